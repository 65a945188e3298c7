"""EKS Pod Identity associations, which moto 5.2.5 lacks: CreatePodIdentityAssociation,
DescribePodIdentityAssociation, ListPodIdentityAssociations, UpdatePodIdentityAssociation and
DeletePodIdentityAssociation (paths, shapes and errors from botocore's EKS model), and the
credentials the Pod Identity agent gives a pod (:func:`credentials_for`).

As "Learn how EKS Pod Identity grants pods access to AWS services" and "Assign an IAM role to a
Kubernetes service account" (Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html,
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html) and the EKS API
reference describe:

- **Names.** The namespace must be a Kubernetes namespace name (an RFC 1123 label: at most 63
  lowercase letters, digits and ``-``, starting and ending with a letter or digit) and the
  service account a Kubernetes object name (an RFC 1123 subdomain, at most 253 characters);
  else ``InvalidParameterException``. The namespace and service account need not exist yet.
- **The role** must exist in the account (``InvalidParameterException``), and its trust policy
  must let the service principal ``pods.eks.amazonaws.com`` do both ``sts:AssumeRole`` and
  ``sts:TagSession`` ("Create a Pod Identity role", https://docs.aws.amazon.com/eks/latest/
  userguide/pod-id-role.html); else ``InvalidParameterException`` "Trust policy of the role
  provided is invalid", as EKS answers. The trust is read as AWS reads it
  (:func:`weft.local.trust.trust_allows`): a statement with a condition is not counted and a
  ``Deny`` for that principal refuses (the emulator never allows more than AWS).
  UpdatePodIdentityAssociation checks a new role alike.
- **One association per service account** (namespace + name) in a cluster: a second is
  ``ResourceInUseException`` "Association already exists: ID".
- ListPodIdentityAssociations filters by ``namespace`` and ``serviceAccount`` and answers
  summaries; Describe, Update and Delete of an unknown id are ``ResourceNotFoundException``.
- **Credentials** (:func:`credentials_for`, what the ``eks-pod-identity-agent`` hands a pod
  through EKS Auth's AssumeRoleForPodIdentity): only on a cluster where the
  ``eks-pod-identity-agent`` add-on is installed ("Set up the Amazon EKS Pod Identity Agent":
  without the agent nothing answers the pod's credentials endpoint, and the SDK finds no
  credentials); only for a service account with an association; and only while the role still
  trusts ``pods.eks.amazonaws.com``. The session is a role session of the local STS, so its
  requests are authorized by the role's policies (:mod:`weft.local.moto_irsa`).

The associations live on moto's cluster object (``weft_pod_identity``), so they go with it.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from weft.local.moto_eks import backend

_ASSOCIATIONS = "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations"
PATHS = (_ASSOCIATIONS + "$", _ASSOCIATIONS + "/(?P<associationId>[^/]+)$")

#: The service principal a Pod Identity role must trust, and what it must allow it.
SERVICE_PRINCIPAL = "pods.eks.amazonaws.com"
TRUST_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
#: The add-on that runs the agent on every node.
AGENT_ADDON = "eks-pod-identity-agent"
TRUST_INVALID = "Trust policy of the role provided is invalid"

_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_ROLE_RE = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/(.+)")


class NoCredentials(Exception):
    """Why a pod gets no Pod Identity credentials (the message is what its SDK would say)."""


def names_problem(namespace: str, service_account: str) -> str | None:
    """None when EKS takes the namespace and service account names; else its message."""
    if not namespace or len(namespace) > 63 or not _LABEL_RE.fullmatch(namespace):
        return (
            f"Namespace {namespace!r} is invalid: it must be a valid Kubernetes namespace name "
            "(at most 63 lowercase alphanumeric characters or '-', starting and ending with an "
            "alphanumeric character)"
        )
    labels = service_account.split(".")
    if (
        not service_account
        or len(service_account) > 253
        or not all(_LABEL_RE.fullmatch(label) for label in labels)
    ):
        return (
            f"Service account {service_account!r} is invalid: it must be a valid Kubernetes "
            "object name (at most 253 lowercase alphanumeric characters, '-' or '.', starting "
            "and ending with an alphanumeric character)"
        )
    return None


def trust_allows_pods(trust: dict[str, Any]) -> bool:
    """Whether ``trust`` lets ``pods.eks.amazonaws.com`` do both :data:`TRUST_ACTIONS`
    (:func:`weft.local.trust.trust_allows`: a conditional statement is not counted, a ``Deny``
    refuses)."""
    from weft.local import trust as trust_policy

    return trust_policy.trust_allows(
        trust, kind="Service", principal=SERVICE_PRINCIPAL, actions=TRUST_ACTIONS
    )


def _role(account_id: str, role_arn: str) -> Any | None:
    from moto.iam.models import iam_backends

    match = _ROLE_RE.fullmatch(role_arn)
    if not match or match.group(1) != account_id:
        return None
    iam = iam_backends[account_id]["aws"]
    return next((r for r in iam.roles.values() if r.arn == role_arn), None)


def role_problem(account_id: str, role_arn: str) -> str | None:
    """None when EKS takes ``role_arn`` for an association; else its message."""
    role = _role(account_id, role_arn)
    if role is None:
        return f"Role {role_arn} does not exist or is not a valid IAM role ARN"
    if not trust_allows_pods(json.loads(role.assume_role_policy_document)):
        return TRUST_INVALID
    return None


def associations_of(cluster: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(cluster, "weft_pod_identity"):
        cluster.weft_pod_identity = {}
    found: dict[str, dict[str, Any]] = cluster.weft_pod_identity
    return found


def _summary(association: dict[str, Any]) -> dict[str, Any]:
    keys = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId")
    return {k: association[k] for k in keys}


def association_for(cluster: Any, namespace: str, service_account: str) -> dict[str, Any] | None:
    """The association of the service account ``namespace/service_account``, if any."""
    return next(
        (
            a
            for a in associations_of(cluster).values()
            if a["namespace"] == namespace and a["serviceAccount"] == service_account
        ),
        None,
    )


def credentials_for(
    account_id: str, region: str, cluster_name: str, namespace: str, service_account: str
) -> dict[str, str]:
    """The credentials the Pod Identity agent gives a pod of ``namespace/service_account`` on
    the cluster (see the module docstring); :class:`NoCredentials` when it gets none."""
    from moto.eks.models import eks_backends
    from moto.sts.models import sts_backends

    cluster = eks_backends[account_id][region].clusters.get(cluster_name)
    if cluster is None:
        raise NoCredentials(f"no EKS cluster {cluster_name} in {region}")
    if AGENT_ADDON not in backend.addons_of(cluster):
        raise NoCredentials(
            f"the {AGENT_ADDON} add-on is not installed on cluster {cluster_name}: nothing "
            "answers the pod's credentials endpoint (169.254.170.23)"
        )
    association = association_for(cluster, namespace, service_account)
    if association is None:
        raise NoCredentials(
            f"no Pod Identity association for service account {namespace}/{service_account} "
            f"on cluster {cluster_name}"
        )
    role_arn = str(association["roleArn"])
    problem = role_problem(account_id, role_arn)
    if problem:
        raise NoCredentials(
            f"AccessDeniedException: EKS Auth could not assume {role_arn} for "
            f"{namespace}/{service_account}: {problem}"
        )
    sts: Any = sts_backends[account_id]["global"]
    role = sts.assume_role(
        region_name=region,
        role_session_name=f"eks-{cluster_name}-{service_account}"[:64],
        role_arn=role_arn,
        policy=None,
        duration=3600,
        external_id=None,
    )
    return {
        "aws_access_key_id": role.access_key_id,
        "aws_secret_access_key": role.secret_access_key,
        "aws_session_token": role.session_token,
    }


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    def find(self: Any) -> tuple[Any, dict[str, Any]]:
        cluster = backend.cluster(self.eks_backend, self._get_param("name"))
        the_id = str(self._get_param("associationId") or "")
        association = associations_of(cluster).get(the_id)
        if association is None:
            raise backend.not_found(
                f"Association {the_id} not found in cluster {cluster.name}.",
                cluster=cluster.name,
            )
        return cluster, association

    def check_role(self: Any, cluster: Any, role_arn: str) -> None:
        problem = role_problem(self.eks_backend.account_id, role_arn)
        if problem:
            raise backend.invalid(problem, cluster=cluster.name)

    def create_pod_identity_association(self: Any) -> Any:
        cluster = backend.cluster(self.eks_backend, self._get_param("name"))
        namespace = str(self._get_param("namespace") or "")
        service_account = str(self._get_param("serviceAccount") or "")
        role_arn = str(self._get_param("roleArn") or "")
        problem = names_problem(namespace, service_account)
        if problem:
            raise backend.invalid(problem, cluster=cluster.name)
        check_role(self, cluster, role_arn)
        existing = association_for(cluster, namespace, service_account)
        if existing is not None:
            raise backend.in_use(
                cluster.name, f"Association already exists: {existing['associationId']}"
            )
        the_id = "a-" + uuid.uuid4().hex[:17]
        now = backend.now()
        association = {
            "clusterName": cluster.name,
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArn": role_arn,
            "associationArn": (
                f"arn:aws:eks:{self.eks_backend.region_name}:{self.eks_backend.account_id}:"
                f"podidentityassociation/{cluster.name}/{the_id}"
            ),
            "associationId": the_id,
            "tags": dict(self._get_param("tags") or {}),
            "createdAt": now,
            "modifiedAt": now,
            "disableSessionTags": bool(self._get_param("disableSessionTags") or False),
        }
        associations_of(cluster)[the_id] = association
        return ActionResult({"association": association})

    def describe_pod_identity_association(self: Any) -> Any:
        _cluster, association = find(self)
        return ActionResult({"association": association})

    def list_pod_identity_associations(self: Any) -> Any:
        cluster = backend.cluster(self.eks_backend, self._get_param("name"))
        namespace = self._get_param("namespace")
        service_account = self._get_param("serviceAccount")
        found = [
            _summary(a)
            for a in sorted(associations_of(cluster).values(), key=lambda a: a["createdAt"])
            if (namespace is None or a["namespace"] == namespace)
            and (service_account is None or a["serviceAccount"] == service_account)
        ]
        return ActionResult({"associations": found})

    def update_pod_identity_association(self: Any) -> Any:
        cluster, association = find(self)
        role_arn = self._get_param("roleArn")
        if role_arn:
            check_role(self, cluster, str(role_arn))
            association["roleArn"] = str(role_arn)
        disable = self._get_param("disableSessionTags")
        if disable is not None:
            association["disableSessionTags"] = bool(disable)
        association["modifiedAt"] = backend.now()
        return ActionResult({"association": association})

    def delete_pod_identity_association(self: Any) -> Any:
        cluster, association = find(self)
        del associations_of(cluster)[association["associationId"]]
        return ActionResult({"association": association})

    EKSResponse.create_pod_identity_association = create_pod_identity_association  # type: ignore[attr-defined]
    EKSResponse.describe_pod_identity_association = describe_pod_identity_association  # type: ignore[attr-defined]
    EKSResponse.list_pod_identity_associations = list_pod_identity_associations  # type: ignore[attr-defined]
    EKSResponse.update_pod_identity_association = update_pod_identity_association  # type: ignore[attr-defined]
    EKSResponse.delete_pod_identity_association = delete_pod_identity_association  # type: ignore[attr-defined]


#: Where the local cloud answers as the Pod Identity agent does (:func:`wrap`).
CREDENTIALS_PATH = "/weft-local/eks/pod-identity-credentials"
DEFAULT_ACCOUNT = "123456789012"


def wrap(app: Any) -> Any:
    """The moto WSGI application with :data:`CREDENTIALS_PATH` answering as the Pod Identity
    agent does for a pod: POST ``{"cluster", "region", "namespace", "service_account"}``
    (``account`` optional) gives ``{"credentials": {...}}``, or 404 ``{"message"}`` when the
    pod gets none (:func:`credentials_for`)."""

    def endpoint(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != CREDENTIALS_PATH:
            return app(environ, start_response)
        status = "200 OK"
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(size) or b"{}")
            answer: dict[str, Any] = {
                "credentials": credentials_for(
                    str(request.get("account") or DEFAULT_ACCOUNT),
                    str(request["region"]),
                    str(request["cluster"]),
                    str(request["namespace"]),
                    str(request["service_account"]),
                )
            }
        except NoCredentials as exc:
            status, answer = "404 Not Found", {"message": str(exc)}
        except (ValueError, KeyError, OSError) as exc:
            status, answer = "400 Bad Request", {"message": str(exc)}
        payload = json.dumps(answer).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    return endpoint


def pod_credentials(
    aws_url: str, *, cluster: str, region: str, namespace: str, service_account: str
) -> dict[str, str]:
    """The credentials a pod of ``namespace/service_account`` gets from the Pod Identity agent
    of the local cloud; :class:`NoCredentials` with the reason when it gets none."""
    import urllib.error
    import urllib.request

    body = json.dumps(
        {
            "cluster": cluster,
            "region": region,
            "namespace": namespace,
            "service_account": service_account,
        }
    ).encode()
    request = urllib.request.Request(
        aws_url.rstrip("/") + CREDENTIALS_PATH,
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return {str(k): str(v) for k, v in json.loads(answer.read())["credentials"].items()}
    except urllib.error.HTTPError as exc:
        try:
            message = str(json.loads(exc.read()).get("message"))
        except ValueError:
            message = str(exc)
        raise NoCredentials(message) from exc
