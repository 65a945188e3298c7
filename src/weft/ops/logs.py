"""``weft logs APP``: what an app's containers printed.

From the cluster while the app has pods: every pod of the app (its selector: name and fabric),
every container, read through the API server's ``pods/log`` (as ``kubectl logs -l`` does), the
lines of all pods merged in time order, each line named by its pod. From CloudWatch Logs when
the app has no pod left (or with ``source="cloudwatch"``): FilterLogEvents on the fabric's
containers' group (:func:`weft.model.logs.container_log_group`), over the streams Fluent Bit
named after the app's pods (``NAMESPACE/POD/CONTAINER``).

``since`` (seconds) keeps the recent lines only; ``follow`` keeps reading: from the cluster, one
stream per container until the caller stops (Ctrl-C); from CloudWatch Logs, polling every
:data:`POLL_SECONDS`.

Errors a user can reach are said plainly: an app the file does not have, a fabric without a
cluster (or without one made yet), logs turned off in the file, and no logs at all yet.
"""

from __future__ import annotations

import datetime
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from weft.aws.container_logs import filter_events
from weft.errors import GuardError, KubeError, NotFound
from weft.kube import manifests
from weft.model.logs import container_log_group
from weft.ops.apps.connection import Connection

Source = Literal["auto", "kubernetes", "cloudwatch"]
#: How often ``--follow`` asks CloudWatch Logs for new events.
POLL_SECONDS = 2.0


@dataclass(frozen=True)
class LogLine:
    """One line an app's container printed."""

    pod: str
    container: str
    #: when it was written (RFC 3339, UTC), when known
    time: str | None
    line: str
    #: where it was read: ``kubernetes`` (pods/log) or ``cloudwatch``
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def _split_stamp(raw: str) -> tuple[str | None, str]:
    """``2030-01-01T00:00:00.000000000Z text`` → (the time, the text)."""
    text = raw.rstrip("\n")
    stamp, sep, rest = text.partition(" ")
    if sep and re.fullmatch(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)", stamp):
        return stamp, rest
    return None, text


def _iso_ms(ms: int) -> str:
    at = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def app_pod_name(app: str, pod: str) -> bool:
    """Whether ``pod`` is named as a pod of ``app``'s Deployment (``APP-RSHASH-ID``) or of its
    cron job's Jobs (``APP-SCHEDULE-ID``), not of another app whose name starts the same."""
    return re.fullmatch(re.escape(app) + r"-[a-z0-9]+-[a-z0-9]+", pod) is not None


class AppLogs:
    """The logs of one app of the connection's fabric (see the module docstring)."""

    def __init__(self, conn: Connection, app: str, progress: Progress = _quiet) -> None:
        self.conn = conn
        self.app = app
        self.progress = progress
        conn.check_names([app])

    # ------------------------------------------------------------------------------ choose
    def read(
        self, *, since: int | None = None, follow: bool = False, source: Source = "auto"
    ) -> Iterator[LogLine]:
        """The app's lines (see the module docstring); ``source`` says where to read them."""
        if source == "cloudwatch":
            self._require_cluster_made()
            yield from self._cloudwatch(since, follow)
            return
        pods = self._pods()
        if pods or source == "kubernetes":
            if not pods:
                raise NotFound(
                    f"app {self.app} has no pod in namespace {self.conn.namespace}",
                    hint="deploy it (weft deploy), or read what its pods printed before with "
                    "--from cloudwatch",
                )
            yield from self._kubernetes(pods, since, follow)
            return
        self.progress(f"{self.app} has no pod now: reading its logs from CloudWatch Logs")
        yield from self._cloudwatch(since, follow)

    def _require_cluster_made(self) -> None:
        self.conn.cluster()  # the clear errors: no cluster section, no cluster yet

    # ------------------------------------------------------------------------- kubernetes
    def _pods(self) -> list[dict[str, Any]]:
        kube = self.conn.kube
        found = kube.list(
            "v1",
            "Pod",
            namespace=self.conn.namespace,
            labels=manifests.selector(self.conn.fabric, self.app),
        )
        return sorted(found, key=lambda p: str(p["metadata"]["name"]))

    def _containers(self, pod: dict[str, Any]) -> list[str]:
        """The containers of ``pod`` that have started (only they have a log)."""
        started = {
            str(s.get("name"))
            for s in ((pod.get("status") or {}).get("containerStatuses") or [])
            if (s.get("state") or {}).get("running")
            or (s.get("state") or {}).get("terminated")
            or (s.get("lastState") or {}).get("terminated")
        }
        names = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
        return [n for n in names if n in started]

    def _kubernetes(
        self, pods: list[dict[str, Any]], since: int | None, follow: bool
    ) -> Iterator[LogLine]:
        kube = self.conn.kube
        ns = self.conn.namespace
        streams = [(p["metadata"]["name"], c) for p in pods for c in self._containers(p)]
        if not streams:
            waiting = ", ".join(str(p["metadata"]["name"]) for p in pods)
            raise NotFound(
                f"no logs of {self.app} yet: none of its pods has started a container ({waiting})",
                hint="see why with weft status, or try again in a moment",
            )
        if not follow:
            lines: list[LogLine] = []
            for pod, container in streams:
                for raw in self._safe(kube.pod_log(pod, ns, container, since_seconds=since)):
                    stamp, text = _split_stamp(raw)
                    lines.append(LogLine(pod, container, stamp, text, "kubernetes"))
            yield from sorted(lines, key=lambda x: x.time or "")
            return
        self.progress(
            f"following {len(streams)} container(s) of {self.app} in "
            f"{', '.join(sorted({p for p, _ in streams}))} (Ctrl-C to stop)"
        )
        found: queue.Queue[LogLine | BaseException | None] = queue.Queue()
        stop = threading.Event()

        def pump(pod: str, container: str) -> None:
            try:
                stream = kube.pod_log(pod, ns, container, since_seconds=since, follow=True)
                for raw in stream:
                    if stop.is_set():
                        return
                    stamp, text = _split_stamp(raw)
                    found.put(LogLine(pod, container, stamp, text, "kubernetes"))
            except BaseException as exc:  # handed to the reader, which raises it
                found.put(exc)
            finally:
                found.put(None)

        for pod, container in streams:
            threading.Thread(target=pump, args=(pod, container), daemon=True).start()
        open_streams = len(streams)
        try:
            while open_streams:
                item = found.get()
                if item is None:
                    open_streams -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            stop.set()
        self.progress(f"the containers of {self.app} have ended")

    def _safe(self, lines: Iterator[str]) -> Iterator[str]:
        """The lines, or none when the container is gone between listing and reading."""
        try:
            yield from lines
        except KubeError as exc:
            if " 400 " in str(exc) or " 404 " in str(exc):
                return
            raise

    # ------------------------------------------------------------------------- cloudwatch
    def _cloudwatch(self, since: int | None, follow: bool) -> Iterator[LogLine]:
        fabric = self.conn.fabric
        if fabric.observability.logs is None:
            raise GuardError(
                f"{fabric.source}: fabric {fabric.name} does not ship its containers' logs to "
                "CloudWatch Logs (observability.logs is off)",
                hint="turn it on (remove logs: false) and run weft up; meanwhile weft logs "
                "reads the pods' logs while they run",
            )
        group = container_log_group(fabric.name)
        prefix = f"{self.conn.namespace}/{self.app}-"
        start = int((time.time() - since) * 1000) if since else None
        seen: set[str] = set()
        first = True
        while True:
            events = filter_events(self.conn.ctx, group, prefix, start)
            if events is None:
                raise NotFound(
                    f"fabric {fabric.name} has no log group {group} yet",
                    hint="weft up makes it (observability.logs)",
                )
            fresh = []
            for event in events:
                stream = str(event.get("logStreamName") or "")
                parts = stream.split("/")
                if len(parts) != 3 or not app_pod_name(self.app, parts[1]):
                    continue
                key = str(event.get("eventId") or (stream, event.get("timestamp")))
                if key in seen:
                    continue
                seen.add(key)
                fresh.append(event)
                start = max(start or 0, int(event.get("timestamp") or 0))
            if first and not fresh and not follow:
                window = f" in the last {since} s" if since else ""
                raise NotFound(
                    f"no logs of {self.app} yet: it has no pod, and CloudWatch Logs group "
                    f"{group} holds nothing of it{window}",
                    hint="deploy it (weft deploy); Fluent Bit ships what its pods print within "
                    "seconds",
                )
            for event in fresh:
                _, pod, container = str(event["logStreamName"]).split("/")
                yield LogLine(
                    pod,
                    container,
                    _iso_ms(int(event.get("timestamp") or 0)),
                    str(event.get("message") or "").rstrip("\n"),
                    "cloudwatch",
                )
            if not follow:
                return
            if first:
                self.progress(
                    f"following {self.app} in CloudWatch Logs group {group} (Ctrl-C to stop)"
                )
            first = False
            time.sleep(POLL_SECONDS)


def parse_since(text: str) -> int:
    """``90s``, ``15m``, ``1h``, ``2d`` (or a bare number of seconds) → seconds."""
    found = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text or "")
    if not found or int(found[1]) == 0:
        raise ValueError(f"{text!r} is not a duration; expected one like 90s, 15m, 1h or 2d")
    return int(found[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[found[2]]
