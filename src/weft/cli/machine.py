"""``--json``: the one contract every command keeps with the scripts that read it.

Every command takes ``--json``. Standard output then carries JSON and nothing else; everything
meant for people (the banner, tables, progress lines, prompts) goes to standard error. Two shapes:

**Short commands** (``validate``, ``init``, ``plan``, ``graph``, ``status``, ``leftovers``,
``dashboard``, ``unlock``, ``kubeconfig``, ``token``, ``secrets …``, ``history``, ``render``,
``local …``) print one JSON document: an object with ``"ok"`` (true when the command succeeded)
and what the command reports (``plan``: the plan; ``status``: the resources; ...).

**Long commands** (``up``, ``down``, ``deploy``, ``release``, ``rollback``, ``verify``,
``upgrade``, ``logs``) stream
newline-delimited JSON (NDJSON): one object per line, as things happen, every one of the same
schema::

    {"event": "resource", "resource": "subnet.private-a", "status": "done",
     "action": "create", "elapsed": 12.31, "seconds": 1.02, "message": ""}
    {"event": "app", "app": "web", "status": "applied", "elapsed": 3.1,
     "message": "Deployment demo/web"}

- ``event``: what the line is about — ``plan`` (what the command is about to do), ``phase`` (a
  phase of ``down`` begins or reports), ``resource`` (one step on one cloud resource), ``app``
  (one step on one application), ``step`` (one step of ``verify``), ``upgrade`` (one step of
  ``upgrade``, named ``VERSION/KIND/SUBJECT``: ``1.NN/nodegroup/general``; ``dip`` when an
  app's available replicas fall during a node group's update), ``log`` (one line an app's
  container printed, ``weft logs``: ``log`` is ``POD/CONTAINER``, with ``app``, ``pod``,
  ``container``, ``time``, ``line`` and ``source``: ``kubernetes`` or ``cloudwatch``),
  ``leftovers`` (the leftover report of ``down``), ``summary``, ``error``;
- the subject, under the key the event names: ``resource`` (its address), ``app`` (its name),
  ``phase`` or ``step`` (its name);
- ``status``: what happened to the subject (:data:`STATUSES` lists them per event);
- ``elapsed``: seconds since the command started (one clock for the whole stream, never
  decreasing); ``seconds``, where given, is how long the subject's own step has taken;
- optional: ``action`` (a resource step: ``create``, ``update``, ``delete``, ``replace …``),
  ``message`` (for people; never parse it), ``attempt`` and ``delay`` (a retried step).

The stream ends with exactly one ``{"event": "summary", "ok": ..., "status": ...}`` holding the
command's result (``up``: steps done, failed, skipped; ``deploy``: each app's outcome; ...), or,
when the command could not run to its end, with the error object below.

**Errors**, whatever the command, are one JSON object on standard output (the last line of a
stream), with a stable ``code`` (:data:`ERROR_CODES`, :data:`FAILURE_CODES`)::

    {"event": "error", "ok": false, "status": "error", "elapsed": 0.41,
     "error": {"code": "config", "message": "fabric.yaml:4: network.nat: ...",
               "hint": null, "problems": ["..."]}}

A quota refusal (code ``refused``) also carries ``quotas``: each quota the change does not
fit, with ``code``, ``service``, ``limit``, ``in_use``, ``needed``, ``console`` and ``request``
(the ``aws service-quotas request-service-quota-increase`` line).

The human form of the error goes to standard error as well. A summary or document whose ``ok``
is false carries a ``code`` too (``apply_incomplete``, ``leftovers``, ``rollout_failed``,
``no_load_balancer``, ...).
Secret values never appear in any of it; only ``secrets get``, asked for a value by name,
prints that value.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

import click

from weft.core.events import Event
from weft.errors import (
    CloudError,
    ConfigError,
    CycleError,
    GuardError,
    KubeError,
    LocalCloudError,
    LockHeld,
    NotFound,
    QuotaExceeded,
    RolloutFailed,
    StalePlan,
    TemporaryError,
    UsageError,
    WeftError,
)

#: Every ``event`` of a stream, with the ``status`` values it takes.
STATUSES: dict[str, tuple[str, ...]] = {
    "plan": ("planned",),
    "phase": ("running",),
    "resource": (
        "started",
        "progress",
        "retrying",
        "done",
        "failed",
        "skipped",
        "waiting",
        "cancelled",
    ),
    "app": (
        "applied",
        "pruned",
        "progress",
        "rollback",
        "done",
        "failed",
        "dns",
        "alarm",
        "step",
        "teardown",
    ),
    "step": ("ok", "failed"),
    "upgrade": ("started", "progress", "dip", "done", "skipped", "failed"),
    "log": ("line",),
    "rotate": ("started", "progress", "dip", "done", "skipped", "failed"),
    "leftovers": ("clean", "found"),
    "summary": ("ok", "failed", "cancelled", "declined", "nothing to do"),
    "error": ("error",),
}

#: The stable codes of errors, most specific class first.
ERROR_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (ConfigError, "config"),
    (UsageError, "usage"),
    (click.UsageError, "usage"),
    (LockHeld, "locked"),
    (StalePlan, "stale_plan"),
    (GuardError, "refused"),
    (LocalCloudError, "local_cloud"),
    (RolloutFailed, "rollout_failed"),
    (KubeError, "kubernetes"),
    (CycleError, "cycle"),
    (TemporaryError, "cloud_temporary"),
    (NotFound, "not_found"),
    (CloudError, "cloud"),
    (WeftError, "error"),
    (click.Abort, "interrupted"),
    (KeyboardInterrupt, "interrupted"),
)
#: The codes of a summary or document whose ``ok`` is false (the command ran, and failed).
FAILURE_CODES = (
    "apply_incomplete",  # up: steps failed (named in "failed")
    "teardown_incomplete",  # down: steps failed
    "interrupted",  # up, down: Ctrl-C; run the same command again to continue
    "leftovers",  # down, leftovers: something tagged with the fabric remains
    "rollout_failed",  # deploy, release, rollback: an app did not roll out
    "no_load_balancer",  # deploy, release: rolled out, but an app's load balancer did not come
    "verify_failed",  # verify: a step did not hold
    "dry_run_unavailable",  # deploy --dry-run: the cluster did not answer, or deploy would stop
    "not_running",  # local status: the local cloud is not running
)
#: An error that is a bug in weft.
INTERNAL = "internal"

_lock = threading.Lock()
_state = {"t0": time.monotonic(), "final": False}


def start() -> None:
    """A new command starts: the stream's clock starts at zero."""
    with _lock:
        _state["t0"] = time.monotonic()
        _state["final"] = False


def elapsed() -> float:
    return round(time.monotonic() - float(_state["t0"]), 2)


def finished() -> bool:
    """Whether the command has printed its final object (document, summary or error)."""
    return bool(_state["final"])


def _write(data: Mapping[str, Any], *, final: bool) -> None:
    line = json.dumps(data, default=str) + "\n"
    with _lock:
        sys.stdout.write(line)
        sys.stdout.flush()
        if final:
            _state["final"] = True


def document(data: Mapping[str, Any], *, ok: bool = True, code: str | None = None) -> None:
    """A short command's one document: ``{"ok": ok, **data}`` (``code`` when not ok)."""
    head: dict[str, Any] = {"ok": ok}
    if not ok and code:
        head["code"] = code
    _write({**head, **data}, final=True)


def event(kind: str, subject: str | None, status: str, **fields: Any) -> None:
    """One line of a stream: ``{"event": kind, kind: subject, "status": status, "elapsed": ...,
    **fields}`` (the subject under the key the event names)."""
    line: dict[str, Any] = {"event": kind}
    if subject is not None:
        line[kind] = subject
    line["status"] = status
    line["elapsed"] = elapsed()
    line.update({k: v for k, v in fields.items() if v is not None})
    _write(line, final=False)


def resource(e: Event) -> None:
    """An executor event as a stream line (``phase`` events as ``phase`` lines)."""
    if e.type == "phase":
        event("phase", e.node, "running", message=e.message)
        return
    fields: dict[str, Any] = {"action": e.action, "message": e.message or None}
    if e.type not in ("started", "skipped", "cancelled"):
        fields["seconds"] = round(e.elapsed, 2)
    if e.type in ("retrying", "failed", "done"):
        fields["attempt"] = e.attempt
    if e.type == "retrying":
        fields["delay"] = round(e.delay, 2)
    event("resource", e.node, e.type, **fields)


def app(name: str, status: str, message: str) -> None:
    """An application event (:class:`weft.ops.apps.connection.AppEvent`) as a stream line."""
    event("app", name, status, message=message)


def summary(ok: bool, status: str, *, code: str | None = None, **fields: Any) -> None:
    """The last line of a stream: the command's result."""
    line: dict[str, Any] = {"event": "summary", "ok": ok, "status": status}
    if not ok and code:
        line["code"] = code
    line["elapsed"] = elapsed()
    line.update(fields)
    _write(line, final=True)


def code_of(exc: BaseException) -> str:
    for cls, code in ERROR_CODES:
        if isinstance(exc, cls):
            return code
    return INTERNAL


def error_object(exc: BaseException) -> dict[str, Any]:
    """The error object for ``exc`` (see the module docstring)."""
    if isinstance(exc, WeftError):
        message, hint = exc.message, exc.hint
    elif isinstance(exc, click.ClickException):
        message, hint = exc.format_message(), None
    elif isinstance(exc, (click.Abort, KeyboardInterrupt)):
        message, hint = "interrupted", "run the same command again to continue"
    else:
        message = f"internal error (a bug in weft): {type(exc).__name__}: {exc}"
        hint = "run again with WEFT_DEBUG=1 for the traceback, and please report it"
    err: dict[str, Any] = {"code": code_of(exc), "message": message, "hint": hint}
    if isinstance(exc, ConfigError):
        err["problems"] = list(exc.problems)
    if isinstance(exc, RolloutFailed):
        err["problems"] = list(exc.problems)
    if isinstance(exc, QuotaExceeded):
        err["problems"] = list(exc.problems)
        err["quotas"] = list(exc.findings)
    if isinstance(exc, CloudError):
        err["resource"] = exc.address
        err["request_id"] = exc.request_id
    if isinstance(exc, CycleError):
        err["cycle"] = list(exc.cycle)
    return {"event": "error", "ok": False, "status": "error", "elapsed": elapsed(), "error": err}


def error(exc: BaseException) -> None:
    """Print the error object for ``exc`` on standard output."""
    _write(error_object(exc), final=True)


def wanted(argv: list[str]) -> bool:
    """Whether the command line asks for ``--json`` (before any ``--``)."""
    for arg in argv:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False
