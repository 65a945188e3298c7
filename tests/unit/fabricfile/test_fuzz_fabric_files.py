"""Generated fabric files through the real CLI: accepted, or refused cleanly before any AWS call.

hypothesis writes fabric files (structured documents, and the example files of
tests/unit/fabricfile/good mangled line by line) and runs the commands a user would: ``validate``,
and for a file the spec refuses, also ``plan``, ``up``, ``down``, ``leftovers`` and ``status``. A
refused file must give exit code 1 and a message naming the file, never a traceback, and must not
cause a single AWS request: the standard AWS configuration points at a recording HTTP server on
127.0.0.1 (which counts every request), and the local cloud's state directory must stay empty (a
file saying ``provider: local`` would start it). A check at the end shows the recorder does see the
requests of an accepted file, so "no request" means something.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from weft.cli.main import main
from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.local import aws_server

from .test_spec_fuzz import documents, sections

pytestmark = pytest.mark.slow

GOOD = sorted((Path(__file__).parent / "good").glob("*.yaml"))
COMMANDS = (
    ["plan"],
    ["up", "--yes"],
    ["down", "--yes", "--confirm", "x"],
    ["leftovers", "--json"],
    ["status"],
)


class Recorder:
    """An HTTP server on 127.0.0.1 that answers every request with a 500 and counts them."""

    def __init__(self) -> None:
        self.requests = 0
        lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _answer(self) -> None:
                with lock:
                    owner.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Recorder, Path]]:
    """AWS configuration pointing at the recorder; a private state directory for the local
    cloud; a working directory. Module-scoped (hypothesis runs many examples per test)."""
    recorder = Recorder()
    work = tmp_path_factory.mktemp("fuzz-cli")
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": recorder.url,
            "AWS_ACCESS_KEY_ID": "fuzz",
            "AWS_SECRET_ACCESS_KEY": "fuzz-secret",
            "AWS_DEFAULT_REGION": "us-east-2",
            "AWS_MAX_ATTEMPTS": "1",
            "WEFT_STATE_DIR": str(work / "state"),
            "COLUMNS": "200",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield recorder, work
    finally:
        os.environ.clear()
        os.environ.update(saved)
        recorder.stop()


def run(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue() + err.getvalue()


def check_file(world: tuple[Recorder, Path], text: str) -> None:
    recorder, work = world
    path = work / "fabric.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        parse_fabric(text, str(path))
    except ConfigError:
        refused = True
    else:
        refused = False
    event("refused" if refused else "accepted")
    code, output = run("validate", "-f", str(path))
    assert "Traceback" not in output and "internal error" not in output, output
    if not refused:
        assert code == 0, output
        return
    assert code == 1 and str(path) in output, output
    before = recorder.requests
    for command in COMMANDS:
        code, output = run(*command, "-f", str(path))
        assert code == 1, (command, output)
        assert "error:" in output and str(path) in output, (command, output)
        assert "Traceback" not in output and "internal error" not in output, (command, output)
    assert recorder.requests == before, "a refused file caused AWS requests"
    assert aws_server.status(work / "state" / "local") is None, "the local cloud was started"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents, sections))
def test_generated_documents(world, document: object) -> None:
    check_file(world, json.dumps(document))


@st.composite
def mangled_examples(draw: st.DrawFn) -> str:
    """A known-good example file with a few lines deleted, duplicated, swapped or retyped."""
    lines = draw(st.sampled_from(GOOD)).read_text().splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "swap", "retype", "indent"]))
        if edit == "delete":
            del lines[i]
        elif edit == "duplicate":
            lines.insert(i, lines[i])
        elif edit == "swap":
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif edit == "indent":
            lines[i] = "  " + lines[i]
        else:
            key, sep, _ = lines[i].partition(":")
            value = draw(
                st.sampled_from(
                    ["", " 0", " -1", " yes", " []", " {}", " x", ' "1.31"', " 10.0.0.0/8"]
                )
            )
            lines[i] = f"{key}:{value}" if sep else lines[i] + value
    return "\n".join(lines) + "\n"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_examples())
def test_mangled_example_files(world, text: str) -> None:
    check_file(world, text)


def test_the_recorder_sees_the_requests_of_an_accepted_file(world):
    """The other side of "no request": an accepted file does reach AWS (here, the recorder)."""
    recorder, work = world
    path = work / "fabric.yaml"
    path.write_text(GOOD[0].read_text().replace("provider: local\n", ""))
    parse_fabric(path.read_text(), str(path))
    before = recorder.requests
    code, output = run("plan", "-f", str(path))
    assert code == 1 and "Traceback" not in output  # the recorder answers 500 to everything
    assert recorder.requests > before
