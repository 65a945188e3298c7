"""A user at a terminal: ``weft`` run as a separate process, as a shell runs it.

:func:`weft` runs one command with its output captured (at a terminal width of the caller's
choosing: rich reads ``COLUMNS``); :func:`in_terminal` runs a shell line in a pseudo-terminal,
answering ``y`` to each question weft asks, as a user typing at the prompt would.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: The ``weft`` this test session installed (the console script beside its Python).
WEFT = str(Path(sys.executable).parent / "weft")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def environment(columns: int = 120, **extra: str) -> dict[str, str]:
    """The environment a command runs in: this session's (its ``WEFT_STATE_DIR`` included),
    the terminal width ``columns``, and ``extra``."""
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", **extra}
    env.pop("WEFT_DEBUG", None)
    return env


def weft(
    *args: str,
    cwd: Path,
    columns: int = 120,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300.0,
) -> Ran:
    """Run ``weft ARGS`` in ``cwd`` and wait for it."""
    done = subprocess.run(
        [WEFT, *args],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env or environment(columns),
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def in_terminal(
    line: str, *, cwd: Path, columns: int = 120, answer: str = "y", timeout: float = 300.0
) -> Ran:
    """Run the shell ``line`` in a pseudo-terminal (standard input, output and error all the
    terminal, as in an interactive shell) with ``weft`` on the PATH, typing ``answer`` to every
    ``[y/N]`` question. ``out`` is everything the terminal showed."""
    main, secondary = pty.openpty()
    env = environment(columns, PATH=f"{Path(WEFT).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(
        ["sh", "-c", line],
        cwd=cwd,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    seen = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the terminal closed: every process on it is gone
                    break
                if not chunk:
                    break
                seen += chunk
                if seen.count(b"[y/N]") > answered:
                    answered += 1
                    os.write(main, answer.encode() + b"\n")
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise TimeoutError(f"{line!r} did not finish in {timeout:.0f}s:\n{seen.decode()}")
        code = proc.wait(timeout=30)
    finally:
        os.close(main)
    text = _ANSI.sub("", seen.decode(errors="replace")).replace("\r\n", "\n")
    return Ran(code, text, "")
