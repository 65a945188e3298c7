"""Start, stop and inspect the local AWS: a moto server (server mode, HTTP, 127.0.0.1).

The server runs as a background process whose pid and URL are recorded in
``<state dir>/local/aws.json``, so separate ``weft`` invocations share one local cloud.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from weft.errors import LocalCloudError
from weft.local.state import local_dir

#: Credentials the local cloud accepts; moto maps every key to account 123456789012.
LOCAL_ACCESS_KEY = "weft-local"
LOCAL_SECRET_KEY = "weft-local-secret"

#: Environment of the moto child: load AWS-managed IAM policies (EKS roles attach them). (ACM
#: issues a certificate once DNS leads to its validation record: :mod:`.moto_route53`.)
MOTO_ENV = {
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class LocalAws:
    pid: int
    url: str
    started_at: float
    log: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _record_path(directory: Path | None = None) -> Path:
    return (directory or local_dir()) / "aws.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def status(directory: Path | None = None) -> LocalAws | None:
    """The running local AWS, or None (a stale record of a dead process is removed)."""
    path = _record_path(directory)
    try:
        data = json.loads(path.read_text())
        info = LocalAws(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not _alive(info.pid) or not _answers(info.url):
        path.unlink(missing_ok=True)
        return None
    return info


def start(directory: Path | None = None) -> LocalAws:
    """Start the local AWS unless it already runs; return where it listens."""
    directory = directory or local_dir()
    directory.mkdir(parents=True, exist_ok=True)
    running = status(directory)
    if running:
        return running
    try:
        import moto  # noqa: F401
    except ImportError as exc:
        raise LocalCloudError(
            "the local cloud needs the moto emulator, which is not installed",
            hint="pip install 'weft[local]'",
        ) from exc
    port_file = directory / "aws.port"
    port_file.unlink(missing_ok=True)
    log_path = directory / "aws.log"
    env = {**os.environ, **MOTO_ENV}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "weft.local.moto_main", str(port_file)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    url = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalCloudError(
                f"the local AWS server exited at start (code {proc.returncode})",
                hint=f"see its log: {log_path}",
            )
        if port_file.exists():
            url = f"http://127.0.0.1:{int(port_file.read_text())}"
            if _answers(url):
                break
        time.sleep(0.05)
    else:
        proc.kill()
        raise LocalCloudError(
            f"the local AWS server did not answer within {START_TIMEOUT:.0f}s",
            hint=f"see its log: {log_path}",
        )
    info = LocalAws(pid=proc.pid, url=url, started_at=time.time(), log=str(log_path))
    tmp = _record_path(directory).with_suffix(".tmp")
    tmp.write_text(json.dumps(info.to_dict()))
    os.replace(tmp, _record_path(directory))
    return info


def stop(directory: Path | None = None, timeout: float = 10.0) -> bool:
    """Stop the local AWS; True when one was running. Its state is lost (moto keeps none)."""
    path = _record_path(directory)
    try:
        info = LocalAws(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return False
    stopped = False
    if _alive(info.pid):
        os.kill(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(info.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(info.pid, os.WNOHANG)
            time.sleep(0.05)
        if _alive(info.pid):
            os.kill(info.pid, signal.SIGKILL)
        stopped = True
    path.unlink(missing_ok=True)
    return stopped
