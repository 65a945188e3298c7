"""A bearer token for an EKS cluster's API server, made as ``aws eks get-token`` makes it.

The token is ``k8s-aws-v1.`` followed by the URL-safe base64 (no padding) of a presigned STS
``GetCallerIdentity`` URL. The cluster name is signed in as the header ``x-k8s-aws-id``, so the
token is good for that cluster only; the URL expires after 60 s, and clients are told to refresh
after 14 minutes (EKS accepts a token for 15). Nothing is sent to AWS to make one: the server
side (EKS's authenticator) calls STS with it.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from weft.aws.session import AwsSession

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
URL_EXPIRES = 60
REFRESH_AFTER = datetime.timedelta(minutes=14)
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"

_PARAM = "WeftK8sAwsId"


def _take_cluster_param(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Move the cluster name out of the operation's parameters (STS has no such parameter)."""
    if _PARAM in params:
        context[CLUSTER_HEADER] = params.pop(_PARAM)


def _sign_cluster_header(request: Any, **_: Any) -> None:
    """Put the cluster name in a header before signing, so the signature covers it."""
    if CLUSTER_HEADER in request.context:
        request.headers[CLUSTER_HEADER] = request.context[CLUSTER_HEADER]


def presigned_url(session: AwsSession, cluster_name: str) -> str:
    """A presigned STS GetCallerIdentity URL with ``x-k8s-aws-id: cluster_name`` signed in."""
    sts = session.client("sts")
    events = sts.meta.events
    events.register(
        "provide-client-params.sts.GetCallerIdentity",
        _take_cluster_param,
        unique_id="weft-eks-token-params",
    )
    events.register(
        "before-sign.sts.GetCallerIdentity",
        _sign_cluster_header,
        unique_id="weft-eks-token-header",
    )
    url: str = sts.generate_presigned_url(
        "get_caller_identity",
        Params={_PARAM: cluster_name},
        ExpiresIn=URL_EXPIRES,
        HttpMethod="GET",
    )
    return url


def token_from_url(url: str) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def url_from_token(token: str) -> str:
    """The presigned URL inside a token (for checks and tests)."""
    body = token.removeprefix(TOKEN_PREFIX)
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def as_role(session: AwsSession, role_arn: str) -> AwsSession:
    """A session of the IAM role ``role_arn``, assumed with ``session``'s credentials (as
    ``aws eks get-token --role-arn`` does): the token then names that role, whose access entry
    the cluster checks."""
    credentials = session.client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName="weft-token", DurationSeconds=900
    )["Credentials"]
    return AwsSession(
        session.region,
        endpoint_url=session.endpoint_url,
        credentials=(
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials["SessionToken"],
        ),
    )


def get_token(
    session: AwsSession,
    cluster_name: str,
    *,
    now: datetime.datetime | None = None,
    role_arn: str | None = None,
) -> dict[str, Any]:
    """The ExecCredential a kubeconfig ``exec`` plugin prints for ``cluster_name`` (as the IAM
    role ``role_arn`` when given: :func:`as_role`)."""
    if role_arn:
        session = as_role(session, role_arn)
    now = now or datetime.datetime.now(datetime.UTC)
    expires = (now + REFRESH_AFTER).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "kind": "ExecCredential",
        "apiVersion": EXEC_API_VERSION,
        "spec": {},
        "status": {
            "expirationTimestamp": expires,
            "token": token_from_url(presigned_url(session, cluster_name)),
        },
    }
