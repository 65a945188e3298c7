"""The local control plane's processes: started in their own session with their output in a log,
found again by pid (and a word of their command line, so a recycled pid is never killed), waited
for until ready, and stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from weft.errors import LocalCloudError


@dataclass(frozen=True)
class KubeProcess:
    pid: int
    log: str
    #: A word that must appear in /proc/<pid>/cmdline, so a recycled pid is never killed.
    marker: str
    alive: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(proc: KubeProcess) -> bool:
    """Is the recorded process still running (and still the same program, not a recycled pid)?"""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(proc.pid, os.WNOHANG)  # reap it if it is our child and exited
    try:
        stat = Path(f"/proc/{proc.pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]:
        return False
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    except OSError:
        return False
    # The command line reads empty for an instant while the process execs: give it the benefit.
    return not cmdline or proc.marker.encode() in cmdline


def terminate(proc: KubeProcess, timeout: float) -> bool:
    if not alive(proc):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(proc) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(proc):
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while alive(proc) and time.monotonic() < deadline:
            time.sleep(0.05)
    return True


def spawn(cmd: list[str], log: Path, marker: str, env: dict[str, str] | None = None) -> KubeProcess:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    return KubeProcess(pid=proc.pid, log=str(log), marker=marker)


def log_tail(path: str, lines: int = 8) -> str:
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def wait_until_ready(
    what: str, check: Callable[[], bool], proc: KubeProcess, deadline: float
) -> None:
    """Until ``check()`` holds; an error with the log's last lines when the process exits or
    ``deadline`` (a ``time.monotonic()`` value) passes first."""
    while time.monotonic() < deadline:
        if not alive(proc):
            raise LocalCloudError(
                f"{what} exited at start:\n{log_tail(proc.log)}",
                hint=f"see its log: {proc.log}",
            )
        if check():
            return
        time.sleep(0.1)
    raise LocalCloudError(
        f"{what} did not become ready in time:\n{log_tail(proc.log)}",
        hint=f"see its log: {proc.log}",
    )
