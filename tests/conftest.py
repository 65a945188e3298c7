"""Shared fixtures and the Hypothesis profiles.

The local cloud for integration tests is a real moto server in server mode, over HTTP on
127.0.0.1, started once per test session in a private state directory. Each test that needs a
clean account gets one through ``POST /moto-api/reset``. The local Kubernetes (``kube_api``) is
started on demand in the same state directory.

Hypothesis runs ``HYPOTHESIS_PROFILE`` (``dev`` when unset): ``dev`` tries a few examples per
property for a quick loop, ``ci`` (set by ``.ci/run``) the full count, never fewer than any
property asked for before the profiles existed (300). Neither profile has a deadline: examples
are timed on a machine shared with the servers and the other workers, and how fast an example
runs is not what these properties check.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from weft.local.kube.control_plane import KubeEndpoint

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def local_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("weft-state")
    old = os.environ.get("WEFT_STATE_DIR")
    os.environ["WEFT_STATE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("WEFT_STATE_DIR", None)
    else:
        os.environ["WEFT_STATE_DIR"] = old


@pytest.fixture(scope="session")
def moto_url(local_state_dir: Path) -> Iterator[str]:
    """URL of a moto server started for this test session (the same one `weft --local` uses)."""
    from weft.local import aws_server

    info = aws_server.start(local_state_dir / "local")
    yield info.url
    aws_server.stop(local_state_dir / "local")


@pytest.fixture(scope="session")
def kube_api(local_state_dir: Path, moto_url: str) -> Iterator[KubeEndpoint]:
    """The local Kubernetes for this test session: (kubeconfig path, https endpoint).

    A genuine kube-apiserver + kube-controller-manager 1.20.2 on etcd, with the kubelet and
    load-balancer controller simulators (the latter creating load balancers in ``moto_url``).
    Skips, with the reason, when the binaries are not built (``make kube``)."""
    from weft.local.kube import binaries, control_plane

    reason = binaries.unavailable_reason()
    if reason:
        pytest.skip(f"local Kubernetes unavailable: {reason}")
    directory = local_state_dir / "local"
    info = control_plane.start_kube(directory, aws_endpoint=moto_url)
    yield KubeEndpoint(Path(info.kubeconfig), info.endpoint)
    control_plane.stop_kube(directory)


@pytest.fixture
def clean_cloud(moto_url: str) -> str:
    """The moto server, reset to an empty account for this test."""
    req = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass
    return moto_url
