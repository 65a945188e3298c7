"""IAM roles for service accounts in the local cloud: projected tokens, AssumeRoleWithWebIdentity
checked as STS checks it, and a role session's requests authorized by the role's policies.

On EKS a pod whose ServiceAccount carries ``eks.amazonaws.com/role-arn`` gets, from the pod
identity webhook and the kubelet, a projected service account token (a JWT signed by the
cluster's OIDC issuer: ``iss`` the issuer, ``sub`` ``system:serviceaccount:NS:NAME``, ``aud``
``sts.amazonaws.com``) and the SDK trades it for the role's credentials with
AssumeRoleWithWebIdentity. moto 5.2.5 hands out credentials for any token and any role, and
never checks what those credentials may do. Here:

- **Tokens** (:data:`TOKEN_PATH`, what the kubelet's TokenRequest gives a pod): each cluster's
  issuer has an RSA signing key of its own, made on first use and kept in this process, and the
  token is an RS256 JWT with the claims above ("Kubernetes service account token volume
  projection", and "IAM roles for service accounts", Amazon EKS User Guide).
- **AssumeRoleWithWebIdentity** checks, in AWS's order ("AssumeRoleWithWebIdentity", AWS STS API
  Reference; "Create a role for OpenID Connect federation", IAM User Guide): the token is a JWT
  signed by a known issuer's key (else ``InvalidIdentityToken``), not expired
  (``ExpiredTokenException``), the account has an IAM OIDC provider for its issuer (else
  ``InvalidIdentityToken``: "No OpenIDConnect provider found in your account for ISSUER"), the
  token's audience is one of the provider's client ids (else ``InvalidIdentityToken``:
  "Incorrect token audience"), and the role's trust policy allows
  ``sts:AssumeRoleWithWebIdentity`` to that provider with the token's ``ISSUER:sub`` and
  ``ISSUER:aud`` (else ``AccessDenied``: "Not authorized to perform
  sts:AssumeRoleWithWebIdentity"). The trust policy is read as AWS reads it by
  :func:`weft.local.trust.trust_allows` (not by moto's engine, which takes a ``Deny`` without a
  ``Resource`` for an allow): an explicit ``Deny`` for the provider refuses, conditional or
  not, and an ``Allow`` counts only when its conditions hold for ``ISSUER:sub`` and
  ``ISSUER:aud``, so the emulator never allows what AWS might not.
- **Requests signed with a role session's credentials** are authenticated (SigV4 signature,
  session token) and authorized against the role's inline and attached policies, as AWS
  authorizes every request ("Policy evaluation logic", IAM User
  Guide); a request they do not allow gets ``AccessDenied``. Other credentials (the test and
  demo's administrator) keep moto's defaults. The identity policies, conditions included, are
  evaluated by :mod:`weft.local.iam_conditions` (moto's engine ignores most condition
  operators); KMS requests are not authorized by moto at all.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

TOKEN_PATH = "/weft-local/eks/serviceaccount-token"
#: The audience EKS's pod identity webhook asks tokens for.
STS_AUDIENCE = "sts.amazonaws.com"
#: How long a projected token lasts (the webhook's default).
TOKEN_SECONDS = 86400
DEFAULT_ACCOUNT = "123456789012"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_KEYS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(issuer: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    with _LOCK:
        if issuer not in _KEYS:
            _KEYS[issuer] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _KEYS[issuer]


def mint(issuer: str, subject: str, audience: str, seconds: int = TOKEN_SECONDS) -> str:
    """A projected service account token of ``issuer`` for ``subject`` and ``audience``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": issuer.rsplit("/", 1)[-1]}
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": [audience],
        "iat": now,
        "nbf": now,
        "exp": now + seconds,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = _key(issuer).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _sts_error(code: str, message: str) -> Exception:
    from moto.sts.exceptions import STSClientError

    return STSClientError(code, message)


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of ``token``, once its signature (by a known issuer's key) and lifetime are
    checked; raises STS's errors otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        header_part, claims_part, signature_part = token.split(".")
        header = json.loads(_unb64(header_part))
        claims = json.loads(_unb64(claims_part))
        signature = _unb64(signature_part)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _sts_error("InvalidIdentityToken", "The web identity token is not a JWT") from exc
    issuer = str(claims.get("iss") or "")
    with _LOCK:
        key = _KEYS.get(issuer)
    if header.get("alg") != "RS256" or key is None:
        raise _sts_error(
            "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider"
        )
    try:
        key.public_key().verify(
            signature,
            f"{header_part}.{claims_part}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature as exc:
        raise _sts_error("InvalidIdentityToken", "Token signature is invalid") from exc
    now = time.time()
    if now >= float(claims.get("exp") or 0):
        raise _sts_error(
            "ExpiredTokenException",
            f"Token expired: current date/time {int(now)} must be before the expiration "
            f"date/time {claims.get('exp')}",
        )
    return dict(claims)


def _provider_of(account: str, partition: str, issuer: str) -> Any:
    from moto.iam.models import iam_backends

    host = issuer.removeprefix("https://")
    for provider in iam_backends[account][partition].open_id_providers.values():
        if provider.url == host:
            return provider
    raise _sts_error(
        "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}"
    )


def trust_allows(trust: dict[str, Any], provider_arn: str, values: dict[str, str]) -> bool:
    """Whether ``trust`` lets the web identity of ``provider_arn`` with the context ``values``
    (``ISSUER:sub``, ``ISSUER:aud``) assume the role (:func:`weft.local.trust.trust_allows`)."""
    from weft.local import trust as trust_policy

    return trust_policy.trust_allows(
        trust,
        kind="Federated",
        principal=provider_arn,
        actions=("sts:AssumeRoleWithWebIdentity",),
        context=values,
    )


def check_web_identity(account: str, partition: str, role_arn: str, token: str) -> None:
    """Refuse AssumeRoleWithWebIdentity as STS does (see the module docstring)."""
    from moto.iam.models import iam_backends

    claims = verified_claims(token)
    issuer = str(claims["iss"])
    provider = _provider_of(account, partition, issuer)
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
    audience = next((a for a in audiences if a in provider.client_id_list), None)
    if audience is None:
        raise _sts_error("InvalidIdentityToken", "Incorrect token audience")
    denied = _sts_error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    try:
        role = iam_backends[account][partition].get_role_by_arn(role_arn)
    except Exception as exc:  # moto's NotFound: STS says only "not authorized"
        raise denied from exc
    trust = json.loads(role.assume_role_policy_document)
    host = issuer.removeprefix("https://")
    values = {f"{host}:sub": str(claims.get("sub")), f"{host}:aud": audience}
    if not trust_allows(trust, provider.arn, values):
        raise denied


def _session_key(headers: Any) -> str | None:
    """The access key id of a request signed with a role session's credentials, else None."""
    from moto.sts.models import sts_backends

    auth = str(headers.get("Authorization") or "")
    if "Credential=" not in auth:
        return None
    key_id = auth.split("Credential=", 1)[1].split("/", 1)[0]
    for account in list(sts_backends):
        for backend in sts_backends[account].values():
            if any(role.access_key_id == key_id for role in backend.assumed_roles):
                return key_id
    return None


def apply() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.sts.responses import TokenResponse
    from moto.utilities.utils import get_partition

    original_assume = TokenResponse.assume_role_with_web_identity

    def assume_role_with_web_identity(self: Any) -> Any:
        check_web_identity(
            self.current_account,
            get_partition(self.region),
            str(self._get_param("RoleArn") or ""),
            str(self._get_param("WebIdentityToken") or ""),
        )
        return original_assume(self)

    TokenResponse.assume_role_with_web_identity = assume_role_with_web_identity  # type: ignore[method-assign]

    original_authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if _session_key(self.headers) is None:
            original_authorize(self, iam_request_cls, resource)
            return
        # what moto does once authorization is on (moto.core.authorization), for this request
        # only: the class-wide switch stays off for the other credentials
        path = self.raw_path
        query = urlparse(self.uri).query
        if query:
            path += "?" + query
        request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=path,
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=self._get_action(),
        )
        request.check_signature()
        from weft.local import iam_conditions

        iam_conditions.authorize(self, request, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]


def wrap(app: WsgiApp) -> WsgiApp:
    """The moto WSGI application with the token endpoint answering on :data:`TOKEN_PATH`:
    POST ``{"cluster", "region", "namespace", "service_account"}`` (``audience`` and
    ``account`` optional) gives ``{"token"}``, for a cluster the local EKS holds."""

    def endpoint(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != TOKEN_PATH:
            return app(environ, start_response)
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(size) or b"{}")
            token = _token_for(request)
        except (ValueError, KeyError, OSError) as exc:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"{exc}\n".encode()]
        payload = json.dumps({"token": token}).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    return endpoint


def _token_for(request: dict[str, Any]) -> str:
    from moto.eks.models import eks_backends

    region = str(request["region"])
    account = str(request.get("account") or DEFAULT_ACCOUNT)
    cluster = eks_backends[account][region].clusters.get(str(request["cluster"]))
    if cluster is None:
        raise KeyError(f"no cluster {request['cluster']} in {region}")
    issuer = str(cluster.identity["oidc"]["issuer"])
    subject = f"system:serviceaccount:{request['namespace']}:{request['service_account']}"
    return mint(issuer, subject, str(request.get("audience") or STS_AUDIENCE))


def projected_token(
    aws_url: str,
    *,
    cluster: str,
    region: str,
    namespace: str,
    service_account: str,
    audience: str = STS_AUDIENCE,
) -> str:
    """The token the local cloud's kubelet projects into a pod running as ``service_account``."""
    import urllib.request

    body = json.dumps(
        {
            "cluster": cluster,
            "region": region,
            "namespace": namespace,
            "service_account": service_account,
            "audience": audience,
        }
    ).encode()
    request = urllib.request.Request(
        aws_url.rstrip("/") + TOKEN_PATH,
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.loads(answer.read())["token"])
