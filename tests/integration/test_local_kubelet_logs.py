"""``pods/log`` on the local Kubernetes: the real API server asks the simulated node's kubelet
endpoint (over TLS both ways, its certificate checked) for what the container printed."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lightkube import ApiError, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.resources.core_v1 import Namespace, Node, Pod

from weft.local.kube.control_plane import KubeEndpoint

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def kube(kube_api: KubeEndpoint) -> Iterator[Client]:
    client = Client(KubeConfig.from_file(str(kube_api.kubeconfig)), field_manager="weft")
    yield client
    client.close()


@pytest.fixture
def namespace(kube: Client) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    kube.create(from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    yield name
    with contextlib.suppress(ApiError):
        kube.delete(Namespace, name)


def pod(name: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [{"name": "web", "image": image, "ports": [{"containerPort": 8080}]}]
        },
    }


def running(kube: Client, name: str, namespace: str) -> bool:
    found = kube.get(Pod, name, namespace=namespace)
    return bool(found.status and found.status.phase == "Running")


def test_pods_log_reads_what_the_container_printed(kube: Client, namespace: str) -> None:
    kube.create(from_dict(pod("web", "ghcr.io/acme/web:1.0.0")), namespace=namespace)
    wait_for("the pod to run", lambda: running(kube, "web", namespace))
    lines = wait_for(
        "its output", lambda: list(kube.log("web", namespace=namespace, container="web"))
    )
    assert lines == ["starting ghcr.io/acme/web:1.0.0\n", "listening on port 8080\n"]
    stamped = list(kube.log("web", namespace=namespace, timestamps=True, tail_lines=1))
    assert len(stamped) == 1 and stamped[0].split(" ", 1)[1] == "listening on port 8080\n"
    # a crashing container prints at every restart
    kube.create(from_dict(pod("crashy", "ghcr.io/acme/web:crash")), namespace=namespace)

    def exits() -> list[str]:
        try:
            return [line for line in kube.log("crashy", namespace=namespace) if "fatal" in line]
        except ApiError:  # not started yet
            return []

    crashes = wait_for("two crashes", lambda: exits()[1:], timeout=20)
    assert crashes[0] == "fatal: exiting with code 1\n"


def test_the_api_server_reaches_the_kubelet_on_its_dns_address_with_its_certificate(
    kube: Client, kube_api: KubeEndpoint
) -> None:
    (node, *_) = kube.list(Node)
    assert node.status is not None and node.status.addresses is not None
    addresses = {a.type: a.address for a in node.status.addresses}
    assert addresses["InternalDNS"] == "localhost"
    assert not addresses["InternalIP"].startswith("127.")  # still its EC2 address
    assert node.status.daemonEndpoints is not None
    port = node.status.daemonEndpoints.kubeletEndpoint.Port
    certs = Path(kube_api.kubeconfig).parent / "certs"
    # the kubelet's certificate is the local CA's, for localhost ...
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    context.load_cert_chain(
        str(certs / "apiserver-kubelet-client.crt"), str(certs / "apiserver-kubelet-client.key")
    )
    with (
        socket.create_connection(("localhost", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        assert tls.recv(100).startswith(b"HTTP/1.0 200")
    # ... and it answers no client without a certificate of that CA
    anonymous = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    with (
        pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)),
        socket.create_connection(("localhost", port), timeout=5) as raw,
        anonymous.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        if not tls.recv(100):
            raise ConnectionResetError("closed")


def test_follow_streams_the_lines_as_they_are_printed(kube: Client, namespace: str) -> None:
    kube.create(from_dict(pod("loop", "ghcr.io/acme/web:crash")), namespace=namespace)

    def started() -> bool:
        try:
            return bool(list(kube.log("loop", namespace=namespace)))
        except ApiError:
            return False

    wait_for("the first crash", started)
    seen: list[str] = []
    t0 = time.monotonic()
    for line in kube.log("loop", namespace=namespace, follow=True, tail_lines=0):
        seen.append(line)
        if len([x for x in seen if x.startswith("fatal")]) >= 2:
            break
        assert time.monotonic() - t0 < 30, seen
    # only lines printed after the request: each crash's start and exit, as they came
    assert seen[:2] == ["starting ghcr.io/acme/web:crash\n", "fatal: exiting with code 1\n"]
