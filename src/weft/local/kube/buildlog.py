"""What the local Kubernetes build prints while it works, and how it runs its long commands.

A build takes minutes: every line says how long it has been going, and a command that runs for
long prints a heartbeat with its last line of output, so a user never stares at a silent terminal.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO


class Unavailable(Exception):
    """This way of getting the binaries cannot run on this machine (an environment problem, not a
    code problem): the next way is tried."""


class BuildFailed(Exception):
    """The build ran and failed."""


class Progress:
    """``[k8s 1m05s] message`` lines, the time counted from the start of the build."""

    def __init__(self, label: str = "k8s") -> None:
        self.t0 = time.monotonic()
        self.label = label

    def elapsed(self) -> str:
        secs = int(time.monotonic() - self.t0)
        return f"{secs // 60:2d}m{secs % 60:02d}s"

    def __call__(self, message: str) -> None:
        print(f"[{self.label} {self.elapsed()}] {message}", flush=True)


def run(
    cmd: Sequence[str],
    say: Progress,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    heartbeat: float = 30.0,
) -> int:
    """Run a command, its output to ``log`` (or captured and shown when it fails), printing a
    heartbeat while it runs; its exit code."""
    full_env = {**os.environ, **(env or {})}
    with contextlib.ExitStack() as stack:
        out: IO[bytes]
        if log is not None:
            out = stack.enter_context(open(log, "ab"))
        else:
            out = stack.enter_context(tempfile.TemporaryFile())
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        last = time.monotonic()
        while proc.poll() is None:
            time.sleep(0.5)
            if time.monotonic() - last >= heartbeat:
                last = time.monotonic()
                say(f"  … still running: {' '.join(cmd[:3])}{last_line(log)}")
        if proc.returncode != 0 and log is None:
            out.seek(0)
            tail = out.read().decode(errors="replace").strip().splitlines()[-15:]
            say(f"  `{' '.join(cmd)}` failed (exit {proc.returncode}):")
            for line in tail:
                print(f"    {line}", flush=True)
        return proc.returncode


def last_line(log: Path | None) -> str:
    if log is None:
        return ""
    try:
        with open(log, "rb") as fh:
            fh.seek(max(0, log.stat().st_size - 2000))
            lines = fh.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f" (last output: {lines[-1][:100]})" if lines else ""


def show_tail(log: Path, lines: int = 20) -> None:
    for line in log.read_text(errors="replace").strip().splitlines()[-lines:]:
        print(f"    {line}", flush=True)
