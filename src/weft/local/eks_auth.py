"""The local cloud's EKS authenticator: a token webhook served by the local AWS (moto) process.

On EKS, the API server hands every bearer token to the AWS IAM authenticator, which decodes the
``k8s-aws-v1.`` token into a presigned STS ``GetCallerIdentity`` URL, calls STS with it and maps
the identity it gets back to a Kubernetes user. The cluster's creator is an administrator.

The local Kubernetes does the same through its ``--authentication-token-webhook-config-file``
pointing at ``<local AWS URL>{PATH}``. :func:`wrap` puts the webhook in front of the moto server's
WSGI application (:mod:`weft.local.moto_main` does it), so it lives exactly as long as the local
AWS. For each ``TokenReview`` it:

1. decodes the token into the URL (:func:`weft.aws.eks_token.url_from_token`);
2. refuses a URL that is not a ``GetCallerIdentity`` call to this very server (the webhook never
   fetches another address), that does not sign the ``x-k8s-aws-id`` header, or whose signature
   time is more than 15 minutes old (EKS accepts a token for 15 minutes);
3. fetches the URL, as the authenticator calls STS, and reads the caller's ARN from the answer;
4. maps that identity as EKS does (:func:`access_of`): the IAM principal it stands for (an
   assumed role's session is its role) must have an access entry on a cluster of the local cloud
   whose authentication mode takes access entries, or have created a cluster whose aws-auth
   ConfigMap still counts (``CONFIG_MAP``, ``API_AND_CONFIG_MAP``: the creator is its
   administrator). Anyone else is refused, as EKS answers 401 to a principal with no access.
   AmazonEKSClusterAdminPolicy at cluster scope (the creator's) puts the user in
   ``system:masters``; every other association becomes a group that the local authorizer
   (:mod:`weft.local.eks_authz`) reads, and the entry's ``kubernetesGroups`` are groups too.

moto does not check request signatures, so unlike EKS the webhook cannot tell which cluster a token
was made for; every cluster of the local cloud shares the one local API server anyway.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

PATH = "/weft-local/eks/authenticate"
TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
TOKEN_LIFETIME = datetime.timedelta(minutes=15)
ADMIN_GROUPS = ("system:masters", "system:authenticated")
_ARN_RE = re.compile(r"<Arn>([^<]+)</Arn>")
_USER_ID_RE = re.compile(r"<UserId>([^<]+)</UserId>")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Refused(Exception):
    """The token does not authenticate; the message says why (it goes to the API server log)."""


def _url_of(token: str) -> str:
    if not token.startswith(TOKEN_PREFIX):
        raise Refused("not an EKS token (no k8s-aws-v1. prefix)")
    body = token.removeprefix(TOKEN_PREFIX)
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused("the token is not base64 of a URL") from exc


def check_url(url: str, own_base: str, now: datetime.datetime) -> None:
    """Refuse a presigned URL that EKS's authenticator would refuse (see the module docstring)."""
    parts = urllib.parse.urlsplit(url)
    own = urllib.parse.urlsplit(own_base)
    if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        raise Refused(f"the token's URL does not point at the local STS ({own.netloc})")
    query = {k.lower(): v for k, v in urllib.parse.parse_qsl(parts.query)}
    if query.get("action") != "GetCallerIdentity":
        raise Refused("the token's URL is not an STS GetCallerIdentity call")
    if CLUSTER_HEADER not in query.get("x-amz-signedheaders", "").split(";"):
        raise Refused(f"the token does not sign the {CLUSTER_HEADER} header")
    try:
        signed = datetime.datetime.strptime(query["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
    except (KeyError, ValueError) as exc:
        raise Refused("the token's URL has no valid X-Amz-Date") from exc
    if now - signed > TOKEN_LIFETIME:
        raise Refused("the token expired (EKS accepts a token for 15 minutes)")


def identity(url: str, timeout: float = 5.0) -> tuple[str, str]:
    """Call STS with the presigned URL, as the authenticator does: (ARN, user id)."""
    request = urllib.request.Request(url, headers={CLUSTER_HEADER: "weft-local"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read().decode()
    except urllib.error.HTTPError as exc:
        raise Refused(f"STS refused the token's URL (HTTP {exc.code})") from exc
    except OSError as exc:
        raise Refused(f"STS did not answer: {exc}") from exc
    arn, user_id = _ARN_RE.search(body), _USER_ID_RE.search(body)
    if not arn:
        raise Refused("STS answered without an ARN")
    return arn.group(1), user_id.group(1) if user_id else arn.group(1)


Access = Callable[[str], list[str]]


def groups_of(entries: Iterable[dict[str, Any]]) -> list[str]:
    """The Kubernetes groups of a principal with these access entries (see the module
    docstring)."""
    from weft.local import eks_authz

    groups: list[str] = []
    for entry in entries:
        groups += [str(g) for g in entry.get("kubernetesGroups") or []]
        for association in entry.get("associatedAccessPolicies") or []:
            policy = str(association["policyArn"]).rsplit("/", 1)[-1]
            scope = association.get("accessScope") or {}
            if scope.get("type") == "namespace":
                groups += [
                    eks_authz.policy_group(policy, ns) for ns in scope.get("namespaces") or []
                ]
            elif policy == "AmazonEKSClusterAdminPolicy":
                groups.append("system:masters")
            else:
                groups.append(eks_authz.policy_group(policy))
    return [*sorted(set(groups)), "system:authenticated"]


def access_of(arn: str) -> list[str]:
    """The groups of the caller ``arn`` in the local cloud's EKS (moto's state, read in the
    moto process); :class:`Refused` when it has no access."""
    from moto.eks.models import eks_backends

    from weft.local.moto_eks import access

    clusters = [
        cluster
        for regions in eks_backends.values()
        for backend in regions.values()
        for cluster in backend.clusters.values()
    ]
    principal = access.iam_principal(arn)
    if principal in access.creators(clusters):
        return list(ADMIN_GROUPS)
    entries = access.principals(clusters).get(principal)
    if not entries:
        raise Refused(f"{principal} has no access entry on any cluster of the local cloud")
    return groups_of(entries)


def review(
    body: dict[str, Any], own_base: str, now: datetime.datetime, access: Access | None = None
) -> dict[str, Any]:
    """The TokenReview answer for a TokenReview request; ``access`` maps the caller's ARN to
    its groups (:func:`access_of` by default)."""
    api_version = body.get("apiVersion") or "authentication.k8s.io/v1beta1"
    token = str((body.get("spec") or {}).get("token") or "")
    try:
        url = _url_of(token)
        check_url(url, own_base, now)
        arn, user_id = identity(url)
        groups = (access or access_of)(arn)
    except Refused as exc:
        status: dict[str, Any] = {"authenticated": False, "error": str(exc)}
    else:
        status = {
            "authenticated": True,
            "user": {
                "username": arn,
                "uid": f"aws-iam-authenticator:{user_id}",
                "groups": groups,
            },
        }
    return {"apiVersion": api_version, "kind": "TokenReview", "status": status}


def wrap(app: WsgiApp) -> WsgiApp:
    """The moto WSGI application with the webhook answering on :data:`PATH`."""

    def webhook(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
            return [b"POST a TokenReview\n"]
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(size) or b"{}")
        except (ValueError, OSError):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"expected a TokenReview in JSON\n"]
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        answer = review(request, f"http://{host}", datetime.datetime.now(datetime.UTC))
        payload = json.dumps(answer).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    return webhook


def webhook_kubeconfig(aws_endpoint: str) -> dict[str, Any]:
    """The kubeconfig-shaped file kube-apiserver reads to find the webhook."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "eks-authenticator", "cluster": {"server": aws_endpoint + PATH}}],
        "users": [{"name": "kube-apiserver", "user": {}}],
        "contexts": [
            {
                "name": "webhook",
                "context": {"cluster": "eks-authenticator", "user": "kube-apiserver"},
            }
        ],
        "current-context": "webhook",
    }
