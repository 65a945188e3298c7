"""A counting, delaying, fault-injecting HTTP proxy in front of the local AWS (moto).

Benchmarks and fault-injection tests point a session at :attr:`Proxy.url` instead of the moto
server. For every request the proxy:

1. names the call ``service:Action``: the service from the SigV4 credential scope of the
   ``Authorization`` header, the action from ``X-Amz-Target`` (JSON protocols), the ``Action=``
   parameter (query protocols: EC2, IAM, RDS, ElastiCache, STS...), or, for REST services (S3,
   EKS, Route 53...), from the method, path and query matched against botocore's own model of the
   service (so no hand-written route table goes stale);
2. counts it (reads are ``Describe/Get/List/Head/Lookup/Search*``, the same rule as
   :mod:`weft.aws.session`, whose counter must agree with this one);
3. optionally sleeps a :class:`Latency`: a round trip on every call, plus a provisioning delay
   after a successful call named in its table (``eks:CreateCluster``: weft waits for readiness
   right after a create, and moto reports everything ready at once, so delaying the create answer
   is the faithful model);
4. optionally answers with a fault instead (:class:`Faults`): a throttling error in the
   service's own protocol, or an HTTP 500, for a seeded random fraction of calls;
5. otherwise forwards the request over a kept-alive connection (one per client connection) and
   streams the answer back.

Loopback only: the proxy listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "PROVISIONING_SECONDS",
    "Call",
    "Counts",
    "Faults",
    "Latency",
    "Proxy",
    "classify",
    "is_read",
    "realistic_latency",
    "start_proxy",
]

#: Read-only calls start with one of these (the rule of weft.aws.session); the rest are writes.
READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "Search")

#: How long real AWS takes to provision (or remove) a resource, in seconds, by the call that
#: starts it. Used by :func:`realistic_latency`; moto itself reports everything ready at once.
PROVISIONING_SECONDS: Mapping[str, float] = {
    "eks:CreateCluster": 600.0,
    "eks:CreateNodegroup": 180.0,
    "eks:CreateFargateProfile": 150.0,
    "eks:CreateAddon": 60.0,
    "eks:DeleteCluster": 300.0,
    "eks:DeleteNodegroup": 300.0,
    "eks:DeleteFargateProfile": 150.0,
    "rds:CreateDBInstance": 400.0,
    "rds:DeleteDBInstance": 300.0,
    "elasticache:CreateReplicationGroup": 400.0,
    "elasticache:DeleteReplicationGroup": 300.0,
    "ec2:CreateNatGateway": 90.0,
    "ec2:DeleteNatGateway": 60.0,
    "acm:RequestCertificate": 60.0,
}

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
_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")
_RPC_V2 = re.compile(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$")
#: Signing names (credential scope) whose botocore service name differs.
_SIGNING_TO_SERVICE = {"tagging": "resourcegroupstaggingapi", "elasticloadbalancing": "elbv2"}


def is_read(action: str) -> bool:
    return action.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class Call:
    """One request, named: ``service`` is the SigV4 signing name (``ec2``, ``s3``, ``eks``...)."""

    service: str
    action: str
    protocol: str  # json | ec2 | query | rest-json | rest-xml | s3 | unknown

    @property
    def key(self) -> str:
        return f"{self.service}:{self.action}"

    @property
    def read(self) -> bool:
        return is_read(self.action)


@dataclass(frozen=True)
class Latency:
    """A latency model: ``round_trip`` seconds added to every call; ``delays[service:Action]``
    seconds added to a successful answer of that call (a resource's provisioning time)."""

    round_trip: float = 0.040
    delays: Mapping[str, float] = field(default_factory=dict)

    def delay(self, call_key: str) -> float:
        return self.delays.get(call_key, 0.0)

    def cost(self, call_key: str) -> float:
        """What one successful call costs under this model."""
        return self.round_trip + self.delay(call_key)


def realistic_latency(scale: float = 100.0, round_trip: float = 0.040) -> Latency:
    """A real region, time divided by ``scale`` for provisioning (the round trip is not scaled)."""
    return Latency(round_trip, {k: v / scale for k, v in PROVISIONING_SECONDS.items()})


@dataclass(frozen=True)
class Faults:
    """Faults to inject: fractions of the calls answered with a throttling error or HTTP 500.

    ``only``: when not empty, faults hit only calls whose service (``ec2``) or ``service:Action``
    is listed.
    """

    throttle: float = 0.0
    server_error: float = 0.0
    only: frozenset[str] = frozenset()

    def applies(self, call: Call) -> bool:
        return not self.only or call.service in self.only or call.key in self.only


@dataclass(frozen=True)
class Counts:
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


# --- naming calls ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    method: str
    path: re.Pattern[str]
    literal_query: tuple[tuple[str, str | None], ...]
    required_query: frozenset[str]
    required_headers: frozenset[str]
    literal_chars: int
    operation: str

    def score(self) -> tuple[int, int, int]:
        return (
            len(self.literal_query),
            len(self.required_query) + len(self.required_headers),
            self.literal_chars,
        )


class _RestRoutes:
    """Every operation of one REST service, from botocore's service model."""

    def __init__(self, service: str) -> None:
        import botocore.session

        model = botocore.session.get_session().get_service_model(service)
        self.protocol = str(model.protocol)
        self.by_method: dict[str, list[_Route]] = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            method = str(op.http.get("method", "POST")).upper()
            path, _, query = str(op.http.get("requestUri", "/")).partition("?")
            literal: list[tuple[str, str | None]] = []
            for part in filter(None, query.split("&")):
                key, eq, value = part.partition("=")
                literal.append((key, value if eq else None))
            pattern = ""
            chars = 0
            for token in re.split(r"(\{[^}]+\})", path):
                if token.startswith("{"):
                    pattern += ".+" if token.endswith("+}") else "[^/]+"
                else:
                    pattern += re.escape(token)
                    chars += len(token)
            req_q: set[str] = set()
            req_h: set[str] = set()
            shape = op.input_shape
            if shape is not None:
                for member in getattr(shape, "required_members", []):
                    ser = shape.members[member].serialization
                    if ser.get("location") == "querystring":
                        req_q.add(str(ser.get("name", member)))
                    elif ser.get("location") == "header":
                        req_h.add(str(ser.get("name", member)).lower())
            self.by_method.setdefault(method, []).append(
                _Route(
                    method,
                    re.compile(pattern),
                    tuple(literal),
                    frozenset(req_q),
                    frozenset(req_h),
                    chars,
                    name,
                )
            )
        for routes in self.by_method.values():
            routes.sort(key=_Route.score, reverse=True)

    def match(self, method: str, path: str, query: Mapping[str, list[str]], headers: Any) -> str:
        for route in self.by_method.get(method, ()):
            if not route.path.fullmatch(path):
                continue
            if any(
                k not in query or (v is not None and v not in query[k])
                for k, v in route.literal_query
            ):
                continue
            if any(k not in query for k in route.required_query):
                continue
            if any(headers.get(h) is None for h in route.required_headers):
                continue
            return route.operation
        return f"{method} {path}"


_routes: dict[str, _RestRoutes | None] = {}
_routes_lock = threading.Lock()


def _rest_routes(service: str) -> _RestRoutes | None:
    with _routes_lock:
        if service not in _routes:
            try:
                _routes[service] = _RestRoutes(_SIGNING_TO_SERVICE.get(service, service))
            except Exception:  # an unknown service: name its calls by method and path
                _routes[service] = None
        return _routes[service]


def classify(method: str, target: str, headers: Any, body: bytes) -> Call:
    """Name one request. ``target`` is the request line's path with its query string."""
    path, _, raw_query = target.partition("?")
    service = "?"
    match = _CREDENTIAL.search(headers.get("Authorization") or "")
    if match:
        service = match.group(1)
    elif raw_query:
        cred = urllib.parse.parse_qs(raw_query).get("X-Amz-Credential")
        if cred:
            parts = cred[0].split("/")
            service = parts[3] if len(parts) > 3 else "?"
    amz_target = headers.get("X-Amz-Target")
    if amz_target:
        return Call(service, amz_target.rpartition(".")[2], "json")
    rpc = _RPC_V2.match(path)
    if rpc:
        return Call(service, rpc.group(1), "json")
    found = _ACTION.search(body) if body else None
    if found is None and raw_query:
        found = _ACTION.search(raw_query.encode())
    if found:
        return Call(service, found.group(1).decode(), "ec2" if service == "ec2" else "query")
    if service == "?":
        return Call(service, f"{method} {path}", "unknown")
    routes = _rest_routes(service)
    if routes is None:
        return Call(service, f"{method} {path}", "unknown")
    query = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
    protocol = "s3" if service == "s3" else routes.protocol
    return Call(service, routes.match(method, path, query, headers), protocol)


# --- faults ------------------------------------------------------------------------------------


def _fault_response(call: Call, kind: str) -> tuple[int, dict[str, str], bytes]:
    """A throttling error (``kind="throttle"``) or a 500 in the call's own protocol."""
    request_id = str(uuid.uuid4())
    throttle = kind == "throttle"
    if call.protocol in ("json", "rest-json"):
        code = "ThrottlingException" if throttle else "InternalFailure"
        message = "Rate exceeded" if throttle else "An internal error occurred"
        body = f'{{"__type": "{code}", "message": "{message}"}}'.encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": request_id,
        }
        return (400 if throttle else 500), headers, body
    if call.protocol == "ec2":
        code = "RequestLimitExceeded" if throttle else "InternalError"
        text = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>"
            f"{'Request limit exceeded.' if throttle else 'An internal error has occurred'}"
            f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return (503 if throttle else 500), {"Content-Type": "text/xml"}, text.encode()
    if call.protocol == "s3":
        code = "SlowDown" if throttle else "InternalError"
        text = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>'
            f"{'Please reduce your request rate.' if throttle else 'Internal error.'}"
            f"</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return (503 if throttle else 500), {"Content-Type": "application/xml"}, text.encode()
    code = "Throttling" if throttle else "InternalFailure"
    text = (
        f"<ErrorResponse><Error><Type>{'Sender' if throttle else 'Receiver'}</Type>"
        f"<Code>{code}</Code><Message>{'Rate exceeded' if throttle else 'Internal failure'}"
        f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return (400 if throttle else 500), {"Content-Type": "text/xml"}, text.encode()


# --- the server --------------------------------------------------------------------------------


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
            status, headers, payload = _fault_response(call, fault)
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
            draw = self._rng.random()
            if draw < faults.throttle:
                kind: str | None = "throttle"
            elif draw < faults.throttle + faults.server_error:
                kind = "server_error"
            else:
                kind = None
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
