"""The proxy's server: it counts, delays, fails or forwards each request to the local AWS.

For every request :class:`Proxy` names the call (:func:`weft.local.proxy.call.classify`), counts
it, sleeps its :class:`~weft.local.proxy.latency.Latency` (the round trip before the answer, the
provisioning delay after a successful one), answers with a fault when
:class:`~weft.local.proxy.fault.Faults` draws one, and otherwise forwards the request over a
kept-alive connection (one per client connection) and streams the answer back.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from weft.local.proxy.call import Call, classify, is_read
from weft.local.proxy.fault import Faults, choose_fault, fault_response
from weft.local.proxy.latency import Latency

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Counts:
    """What a :class:`Proxy` counted: calls by ``service:Action``, faults, upstream time."""

    by_call: dict[str, int]
    #: calls answered with an injected fault (they are in ``by_call`` too)
    faults: int = 0
    #: time spent waiting for the upstream server's answers (its service time), summed
    upstream_seconds: float = 0.0
    #: calls that were forwarded upstream
    forwarded: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_call.values())

    @property
    def reads(self) -> int:
        return sum(n for k, n in self.by_call.items() if is_read(k.partition(":")[2]))

    @property
    def writes(self) -> int:
        return self.total - self.reads

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "reads": self.reads,
            "writes": self.writes,
            "faults": self.faults,
            "upstream_seconds": round(self.upstream_seconds, 4),
            "forwarded": self.forwarded,
            "by_call": dict(sorted(self.by_call.items())),
        }


class _UpstreamConnection(http.client.HTTPConnection):
    """A kept-alive connection to the upstream server, with Nagle's algorithm off (also when
    http.client reopens it after the server closed it)."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    proxy: Proxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    #: delayed ACKs would add ~40 ms to each answer
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._handle()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.proxy._drop_connection()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        call = classify(self.command, self.path, self.headers, body)
        latency = proxy.latency
        fault = proxy._admit(call)
        if latency is not None and latency.round_trip > 0:
            time.sleep(latency.round_trip)
        if fault is not None:
            status, headers, payload = fault_response(call, fault)
            self._reply(status, headers, payload)
            return
        sent = time.perf_counter()
        try:
            response = self._forward(proxy, body)
        except OSError as exc:
            self._reply(502, {"Content-Type": "text/plain"}, f"proxy: {exc}".encode())
            return
        proxy._served(time.perf_counter() - sent)
        delay = latency.delay(call.key) if latency is not None and response.status < 400 else 0.0
        if delay > 0:
            time.sleep(delay)
        self._relay(response)

    def _forward(self, proxy: Proxy, body: bytes) -> http.client.HTTPResponse:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):
            conn = proxy._connection()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                return conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                proxy._drop_connection()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _reply(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _relay(self, response: http.client.HTTPResponse) -> None:
        self.send_response(response.status, response.reason)
        length = response.getheader("Content-Length")
        for key, value in response.getheaders():
            if key.lower() not in _HOP_BY_HOP and key.lower() not in ("content-length", "date"):
                self.send_header(key, value)
        if self.command == "HEAD" or response.status in (204, 304):
            self.send_header("Content-Length", length or "0")
            self.end_headers()
            response.read()
            return
        if length is not None:
            self.send_header("Content-Length", length)
            self.end_headers()
            while chunk := response.read(_CHUNK):
                self.wfile.write(chunk)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while chunk := response.read(_CHUNK):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


class Proxy:
    """A running proxy; see the module docstring. ``latency`` and ``faults`` may be changed while
    it runs (they apply to the calls that arrive afterwards)."""

    def __init__(
        self,
        upstream_url: str,
        *,
        latency: Latency | None = None,
        faults: Faults | None = None,
        seed: int = 0,
    ) -> None:
        parsed = urllib.parse.urlsplit(upstream_url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream_url!r}")
        self.upstream_url = upstream_url.rstrip("/")
        self._upstream = (parsed.hostname, parsed.port or 80)
        self.latency = latency
        self.faults = faults
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._faults_injected = 0
        self._upstream_seconds = 0.0
        self._forwarded = 0
        self._local = threading.local()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="weft-proxy",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def counts(self) -> Counts:
        with self._lock:
            return Counts(
                dict(self._counts), self._faults_injected, self._upstream_seconds, self._forwarded
            )

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self._faults_injected = 0
            self._upstream_seconds = 0.0
            self._forwarded = 0

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler threads --

    def _admit(self, call: Call) -> str | None:
        """Count the call; the fault to answer it with, if any."""
        faults = self.faults
        with self._lock:
            self._counts[call.key] += 1
            if faults is None or not faults.applies(call):
                return None
            kind = choose_fault(faults, self._rng.random())
            if kind is not None:
                self._faults_injected += 1
            return kind

    def _served(self, seconds: float) -> None:
        with self._lock:
            self._upstream_seconds += seconds
            self._forwarded += 1

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _UpstreamConnection(*self._upstream, timeout=120)
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None


def start_proxy(
    upstream_url: str,
    *,
    latency: Latency | None = None,
    faults: Faults | None = None,
    seed: int = 0,
) -> Proxy:
    """Start a proxy on 127.0.0.1 (a free port) in front of ``upstream_url`` (a moto server)."""
    return Proxy(upstream_url, latency=latency, faults=faults, seed=seed)
