"""Which failed writes weft waits for: an admission webhook the API server cannot reach yet
(:func:`weft.kube.client.webhook_unreachable`), and nothing else."""

from __future__ import annotations

import pytest
from lightkube import ApiError
from lightkube.models.meta_v1 import Status

from weft.errors import KubeError
from weft.kube.client import webhook_unreachable

HOOK = (
    'Internal error occurred: failed calling webhook "vingress.elbv2.k8s.aws": failed to call '
    'webhook: Post "https://aws-load-balancer-webhook-service.kube-system.svc:9443/'
    'validate-networking-v1-ingress?timeout=10s": '
)


def failed(code: int, message: str) -> KubeError:
    """A KubeError as ``Kube._call`` raises it, from the API server's Status."""
    cause = ApiError(status=Status(code=code, message=message, reason="InternalError"))
    err = KubeError(f"apply Ingress web/x: {code} InternalError: {message}")
    err.__cause__ = cause
    return err


@pytest.mark.parametrize(
    "why",
    [
        "dial tcp 127.100.9.1:9443: connect: connection refused",
        'no endpoints available for service "aws-load-balancer-webhook-service"',
        "read tcp 10.0.0.1:443->10.0.1.2:9443: read: connection reset by peer",
        "dial tcp 10.0.1.2:9443: i/o timeout",
    ],
)
def test_a_webhook_not_reached_yet_is_waited_for(why: str) -> None:
    assert webhook_unreachable(failed(500, HOOK + why))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # the webhook answered: its refusal is the answer
        (400, 'admission webhook "vingress.elbv2.k8s.aws" denied the request: invalid'),
        # its certificate does not verify: waiting changes nothing
        (500, HOOK + "tls: failed to verify certificate: x509: certificate signed by unknown"),
        # another server error, not a webhook's
        (500, "etcdserver: request timed out, possibly due to connection refused"),
        (409, HOOK + "connection refused"),
    ],
)
def test_anything_else_fails_at_once(code: int, message: str) -> None:
    assert not webhook_unreachable(failed(code, message))
