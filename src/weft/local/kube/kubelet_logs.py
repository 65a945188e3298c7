"""What the simulated containers print, and the kubelet endpoint that serves it.

:class:`LogBook` keeps each simulated container's output (what the kubelet simulator makes the
container "print": its start line, its exits — :mod:`weft.local.kube.kubelet_sim`), one line at
a time with the time it was written, as a container runtime's log file does.

:class:`KubeletServer` is the simulated nodes' kubelet HTTPS endpoint, on loopback: the API
server answers ``pods/log`` (``kubectl logs``, ``weft logs``) by calling the pod's node's kubelet
at ``GET /containerLogs/NAMESPACE/POD/CONTAINER`` with the query the API server passes on
(``follow``, ``sinceSeconds``, ``sinceTime``, ``tailLines``, ``timestamps``, ``limitBytes``),
as a real kubelet serves it. Every simulated node reports this server as its kubelet
(``InternalDNS`` ``localhost``, ``daemonEndpoints.kubeletEndpoint.Port``:
:func:`weft.local.kube.node.node_status`). The server presents a certificate signed by the
control plane's CA and accepts only clients with a certificate of that CA (the API server's
``--kubelet-client-certificate``), as a kubelet with ``--client-ca-file`` does
(:mod:`weft.local.kube.kubelet_tls`). A container it does not know is answered 404.
"""

from __future__ import annotations

import datetime
import logging
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from weft.local.kube.kubelet_tls import KubeletTls
from weft.local.kube.pod_status import Step

log = logging.getLogger("weft.local.kube.kubelet")

Key = tuple[str, str, str]  # namespace, pod, container
_PATH = re.compile(r"^/containerLogs/([^/]+)/([^/]+)/([^/]+)$")


@dataclass(frozen=True)
class Line:
    at: datetime.datetime
    text: str

    def render(self, timestamps: bool) -> str:
        if not timestamps:
            return self.text + "\n"
        stamp = self.at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
        return f"{stamp} {self.text}\n"


class LogBook:
    """The simulated containers' output, kept per container (thread-safe)."""

    def __init__(self, clock: Callable[[], datetime.datetime] | None = None) -> None:
        self._lines: dict[Key, list[Line]] = {}
        self._changed = threading.Condition()
        self._clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        self._listeners: list[Callable[[Key, Line], None]] = []

    def listen(self, listener: Callable[[Key, Line], None]) -> None:
        """Call ``listener`` with every line written from now on (a log shipper)."""
        self._listeners.append(listener)

    def write(self, namespace: str, pod: str, container: str, text: str) -> None:
        key = (namespace, pod, container)
        lines = [Line(self._clock(), t) for t in text.splitlines() or [""]]
        with self._changed:
            self._lines.setdefault(key, []).extend(lines)
            self._changed.notify_all()
        for line in lines:
            for listener in list(self._listeners):
                try:
                    listener(key, line)
                except Exception:  # a shipper's failure never stops the container
                    log.exception("log listener failed for %s", "/".join(key))

    def forget_pod(self, namespace: str, pod: str) -> None:
        """Drop a deleted pod's logs (a kubelet removes its containers' log files with it)."""
        with self._changed:
            for key in [k for k in self._lines if k[:2] == (namespace, pod)]:
                del self._lines[key]

    def known(self, key: Key) -> bool:
        with self._changed:
            return key in self._lines

    def lines(self, key: Key, start: int = 0) -> list[Line]:
        with self._changed:
            return list(self._lines.get(key, [])[start:])

    def wait(self, key: Key, count: int, timeout: float) -> None:
        """Wait up to ``timeout`` s for the container to have more than ``count`` lines."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._lines.get(key, [])) > count, timeout)


def select(
    lines: list[Line],
    query: dict[str, str],
    now: datetime.datetime,
) -> list[Line]:
    """The lines a ``/containerLogs`` query asks for (``sinceSeconds``/``sinceTime``, then
    ``tailLines``)."""
    chosen = lines
    if query.get("sinceSeconds", "").isdigit():
        cut = now - datetime.timedelta(seconds=int(query["sinceSeconds"]))
        chosen = [line for line in chosen if line.at >= cut]
    elif query.get("sinceTime"):
        try:
            cut = datetime.datetime.fromisoformat(query["sinceTime"].replace("Z", "+00:00"))
        except ValueError:
            cut = None
        if cut is not None:
            chosen = [line for line in chosen if line.at >= cut]
    tail = query.get("tailLines", "")
    if tail.isdigit():
        chosen = chosen[-int(tail) :] if int(tail) else []
    return chosen


def container_output(pod: dict[str, Any], step: Step) -> list[tuple[str, str]]:
    """What the pod's containers print at ``step`` of the simulation, as (container, line): a
    container that starts prints its start line and the ports it listens on; one that crashes
    starts and exits 1 at every restart; a Job's container that completes says so. A container
    whose image cannot be pulled never runs, so prints nothing."""
    out: list[tuple[str, str]] = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        name, image = str(container.get("name", "")), str(container.get("image", ""))
        outcome = step.outcomes.get(name)
        if outcome == "crash":
            out += [(name, f"starting {image}"), (name, "fatal: exiting with code 1")]
        elif outcome == "ok":
            if step.first_report:
                out.append((name, f"starting {image}"))
                out += [
                    (name, f"listening on port {port['containerPort']}")
                    for port in container.get("ports") or []
                    if port.get("containerPort")
                ]
            if step.phase == "Succeeded":
                out.append((name, "done: exiting with code 0"))
    return out


class KubeletServer:
    """The kubelet endpoint of every simulated node (see the module docstring)."""

    def __init__(self, book: LogBook, tls: KubeletTls, stop: threading.Event) -> None:
        self.book = book
        self.stop = stop
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(tls.serving_cert), str(tls.serving_key))
        context.load_verify_locations(str(tls.ca_cert))
        context.verify_mode = ssl.CERT_REQUIRED
        server = self
        handler = type("Handler", (_Handler,), {"kubelet": server})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_address[1])

    def start(self) -> threading.Thread:
        thread = threading.Thread(
            target=self.httpd.serve_forever, name="kubelet-server", daemon=True
        )
        thread.start()
        threading.Thread(
            target=self._stop_on_signal, name="kubelet-server-stop", daemon=True
        ).start()
        return thread

    def _stop_on_signal(self) -> None:
        self.stop.wait()
        self.httpd.shutdown()


class _Handler(BaseHTTPRequestHandler):
    kubelet: KubeletServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("kubelet endpoint: " + format, *args)

    def _answer(self, code: int, body: str) -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._answer(200, "ok")
            return
        match = _PATH.match(url.path)
        if match is None:
            self._answer(404, "404 page not found\n")
            return
        key: Key = (unquote(match[1]), unquote(match[2]), unquote(match[3]))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        book = self.kubelet.book
        if not book.known(key):
            self._answer(404, f'container "{key[2]}" in pod "{key[1]}" is not known\n')
            return
        timestamps = query.get("timestamps") == "true"
        limit = int(query["limitBytes"]) if query.get("limitBytes", "").isdigit() else None
        lines = book.lines(key)
        chosen = select(lines, query, datetime.datetime.now(datetime.UTC))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        sent = 0

        def send(batch: list[Line]) -> bool:
            nonlocal sent
            data = "".join(line.render(timestamps) for line in batch).encode()
            if limit is not None:
                data = data[: max(0, limit - sent)]
            if data:
                self.wfile.write(data)
                self.wfile.flush()
                sent += len(data)
            return limit is None or sent < limit

        if not send(chosen) or query.get("follow") != "true":
            return
        seen = len(lines)
        while not self.kubelet.stop.is_set():
            self.kubelet.book.wait(key, seen, 1.0)
            more = self.kubelet.book.lines(key, seen)
            seen += len(more)
            try:
                if more and not send(more):
                    return
                if not more:
                    # a closed client shows only on writing: keep the connection honest
                    self.wfile.flush()
            except OSError:
                return
            if not self.kubelet.book.known(key):
                return
