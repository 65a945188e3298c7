"""Shared fixtures and the Hypothesis profiles.

The local cloud for integration tests is a real moto server in server mode, over HTTP on
127.0.0.1, started once per test session in a private state directory. Each test that needs a
clean account gets one through ``POST /moto-api/reset``. The local Kubernetes (``kube_api``) is
started on demand in the same state directory.

Run in parallel (``pytest -n 4 --dist loadgroup``, as ``make test`` does), each pytest-xdist
worker is a test session of its own: it gets its own base temporary directory, so its own state
directory, moto server and local Kubernetes, on free ports. What workers share they only read
(the Kubernetes binaries in the cache), apart from Hypothesis's example database, which is safe
to share. A worker takes whole groups of tests (``pytest_collection_modifyitems`` below says
which), and runs only some of the files, in an order of its own: so every integration file
starts on an empty local cloud, whatever the files before it left.

Hypothesis runs ``HYPOTHESIS_PROFILE`` (``dev`` when unset): ``dev`` tries a few examples per
property for a quick loop, ``ci`` (set by ``.ci/run``) the full count, never fewer than any
property asked for before the profiles existed (300). Neither profile has a deadline: examples
are timed on a machine shared with the servers and the other workers, and how fast an example
runs is not what these properties check.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from weft.local.kube.control_plane import KubeEndpoint

from .local_account import reset_account

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# `weft init` asks a service for the caller's public address: never the internet's from a test
# (a closed port on loopback answers at once; the tests that need an answer run their own).
os.environ.setdefault("WEFT_CHECKIP_URL", "http://127.0.0.1:9/")
# Nor the internet's DNS: a domain's delegation is checked in the local cloud's parent zones
# (through Route 53); a closed port on loopback refuses at once (tests run their own server).
os.environ.setdefault("WEFT_DNS_RESOLVER", "127.0.0.1:9")


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
    """URL of a moto server started for this test session (the same one `weft --local` uses).
    At the end the whole local cloud stops: the local Kubernetes too, which `weft` commands
    start for a fabric with a cluster."""
    from weft.local import aws_server
    from weft.local.kube import control_plane

    info = aws_server.start(local_state_dir / "local")
    yield info.url
    control_plane.stop_kube(local_state_dir / "local")
    aws_server.stop(local_state_dir / "local")


@pytest.fixture(scope="session")
def kube_api(local_state_dir: Path, moto_url: str) -> Iterator[KubeEndpoint]:
    """The local Kubernetes for this test session: (kubeconfig path, https endpoint).

    A genuine kube-apiserver + kube-controller-manager (the newest version ``make kube`` cached,
    or ``$WEFT_K8S_VERSION``) on etcd, with the kubelet and load-balancer controller simulators
    (the latter creating load balancers in ``moto_url``). Skips, with the reason, when the
    binaries are not built (``make kube``); fails instead when ``$WEFT_REQUIRE_KUBE`` is set."""
    from weft.local.kube import binaries, control_plane

    reason = binaries.unavailable_reason()
    if reason:
        if os.environ.get("WEFT_REQUIRE_KUBE"):  # CI: a skip must never turn red into green
            pytest.fail(f"local Kubernetes unavailable and WEFT_REQUIRE_KUBE is set: {reason}")
        pytest.skip(f"local Kubernetes unavailable: {reason}")
    directory = local_state_dir / "local"
    info = control_plane.start_kube(directory, aws_endpoint=moto_url)
    yield KubeEndpoint(Path(info.kubeconfig), info.endpoint)
    control_plane.stop_kube(directory)


@pytest.fixture
def clean_cloud(moto_url: str) -> str:
    """The moto server, reset to an empty account for this test."""
    reset_account(moto_url)
    return moto_url


@pytest.fixture(scope="module", autouse=True)
def fresh_cloud_per_file(request: pytest.FixtureRequest) -> None:
    """Every integration file starts on an empty local cloud, not on what the files this worker
    ran before it left (an EKS cluster, a node group: the reset takes the node groups' nodes out
    of the local Kubernetes too, and the kubelet simulator falls back to its generic nodes)."""
    if request.node.get_closest_marker("integration") is None:
        return
    reset_account(request.getfixturevalue("moto_url"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The groups a parallel run (``--dist loadgroup``) gives out whole, one worker each.

    A file is one group (named after it), so its module fixtures (a fabric brought up once for
    the file) are set up once. Every ``k8s`` test is in one group ``k8s``, so a run starts one
    local Kubernetes, not one per worker. A file marked ``spread(n)`` deals its tests to n groups
    instead (for a long file whose tests stand alone: each group sets its fixtures up once). A
    test that names its ``xdist_group`` keeps it."""
    dealt: Counter[str] = Counter()
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if item.get_closest_marker("k8s"):
            group = "k8s"
        else:
            group = item.path.stem
            spread = item.get_closest_marker("spread")
            if spread:
                dealt[group] += 1
                group = f"{group}#{dealt[group] % int(spread.args[0])}"
        item.add_marker(pytest.mark.xdist_group(group))
