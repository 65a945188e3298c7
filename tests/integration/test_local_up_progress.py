"""`weft local up` says what it waits for when the local Kubernetes starts cold (~10 s), and
nothing when it already runs. Run as a user runs it, with a state directory of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .user import environment, weft

pytestmark = pytest.mark.integration


def test_local_up_shows_progress_while_the_local_kubernetes_starts(tmp_path: Path) -> None:
    from weft.local.kube import binaries

    reason = binaries.unavailable_reason()
    if reason:
        if os.environ.get("WEFT_REQUIRE_KUBE"):
            pytest.fail(f"local Kubernetes unavailable and WEFT_REQUIRE_KUBE is set: {reason}")
        pytest.skip(f"local Kubernetes unavailable: {reason}")
    env = environment(120, WEFT_STATE_DIR=str(tmp_path / "state"))
    try:
        cold = weft("local", "up", cwd=tmp_path, env=env)
        assert cold.code == 0, cold.both
        assert "Starting the local Kubernetes (about 10 s the first time)..." in cold.out
        assert "Local Kubernetes" in cold.out and "running" in cold.out, cold.out
        warm = weft("local", "up", cwd=tmp_path, env=env)
        assert warm.code == 0, warm.both
        assert "Starting the local Kubernetes" not in warm.out, warm.out
    finally:
        weft("local", "down", cwd=tmp_path, env=env)
