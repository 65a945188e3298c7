"""Whether the AWS Load Balancer Controller is really installed in the local cluster, what it
was told, and the AWS credentials its pods would have.

On EKS nothing answers an Ingress or a ``LoadBalancer`` Service until the controller runs, and
the controller knows only what its Deployment tells it: ``--cluster-name``, ``--aws-region`` and
``--aws-vpc-id`` (its pods cannot ask IMDS for them: EKS nodes answer IMDSv2 with a hop limit of
1), ``--ingress-class`` and ``--load-balancer-class`` ("Install AWS Load Balancer Controller
with Helm", Amazon EKS User Guide; the controller's "Controller configuration options"). Its AWS
calls are made with the credentials of its ServiceAccount's IAM role, traded for the projected
token by AssumeRoleWithWebIdentity ("IAM roles for service accounts", Amazon EKS User Guide).

:func:`find` does what the controller's existence means here: a Deployment labelled
``app.kubernetes.io/name=aws-load-balancer-controller`` with an available replica, whose
container has ``--cluster-name`` and ``--aws-vpc-id`` (the real controller exits without a
cluster name, and cannot find its VPC without IMDS). :class:`Credentials` gets the role's
credentials exactly as the pod's SDK would: a token from the local cloud's kubelet
(:func:`weft.local.moto_irsa.projected_token`) for the Deployment's ServiceAccount, traded with
STS for the role named by the ServiceAccount's ``eks.amazonaws.com/role-arn``. The local STS
checks that trade as STS does, and every ELBv2 and EC2 call made with the session is then
authorized by the role's policies with moto's IAM policy engine (:mod:`weft.local.moto_irsa`):
a role that may not create load balancers gets ``AccessDenied``, as on AWS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from lightkube import ALL_NS, ApiError, Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ServiceAccount

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.moto_irsa import projected_token

#: The label the controller's chart (and weft) puts on its Deployment.
NAME_LABEL = "app.kubernetes.io/name"
CONTROLLER_NAME = "aws-load-balancer-controller"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
#: The controller's defaults for the classes it answers.
DEFAULT_INGRESS_CLASS = "alb"
DEFAULT_LB_CLASS = "service.k8s.aws/nlb"
#: Seconds role credentials are reused before they are asked for again.
CREDENTIALS_REUSE = 600.0


class NotReady(Exception):
    """The controller cannot act: the message is the Warning event it would emit."""


@dataclass(frozen=True)
class Installed:
    """A controller running in the cluster, as its Deployment configures it."""

    namespace: str
    deployment: str
    service_account: str
    cluster: str
    region: str
    vpc_id: str
    ingress_class: str
    lb_class: str


def _args(dep: dict[str, Any]) -> dict[str, str]:
    containers = (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    out: dict[str, str] = {}
    for container in containers:
        for arg in [*(container.get("command") or []), *(container.get("args") or [])]:
            if arg.startswith("--") and "=" in arg:
                k, _, v = arg[2:].partition("=")
                out[k] = v
    return out


def _available(dep: dict[str, Any]) -> bool:
    return int((dep.get("status") or {}).get("availableReplicas") or 0) >= 1


def installed(dep: dict[str, Any], default_region: str) -> Installed | None:
    """The controller a Deployment runs, when it is available and told its cluster and VPC."""
    if not _available(dep):
        return None
    args = _args(dep)
    if not args.get("cluster-name") or not args.get("aws-vpc-id"):
        return None
    meta = dep.get("metadata") or {}
    pod_spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    return Installed(
        namespace=str(meta.get("namespace") or "default"),
        deployment=str(meta.get("name")),
        service_account=str(pod_spec.get("serviceAccountName") or "default"),
        cluster=args["cluster-name"],
        region=args.get("aws-region") or default_region,
        vpc_id=args["aws-vpc-id"],
        ingress_class=args.get("ingress-class") or DEFAULT_INGRESS_CLASS,
        lb_class=args.get("load-balancer-class") or DEFAULT_LB_CLASS,
    )


def find(client: Client, default_region: str) -> Installed | None:
    """The controller installed in the cluster (the first available one), or None."""
    try:
        deps = client.list(Deployment, namespace=ALL_NS, labels={NAME_LABEL: CONTROLLER_NAME})
        found = [dict(d.to_dict()) for d in deps]
    except ApiError:
        return None
    for dep in sorted(found, key=lambda d: (d["metadata"]["namespace"], d["metadata"]["name"])):
        ctl = installed(dep, default_region)
        if ctl is not None:
            return ctl
    return None


class Credentials:
    """The controller pods' AWS clients, made with its role's credentials (see the module
    docstring); kept :data:`CREDENTIALS_REUSE` seconds."""

    def __init__(
        self, client: Client, endpoint: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[Installed, str], tuple[float, dict[str, str]]] = {}

    def role_arn(self, ctl: Installed) -> str:
        try:
            sa = self.client.get(ServiceAccount, ctl.service_account, namespace=ctl.namespace)
        except ApiError as exc:
            raise NotReady(
                f"Failed deploy model due to NoCredentialProviders: ServiceAccount "
                f"{ctl.namespace}/{ctl.service_account} not found ({exc.status.code})"
            ) from exc
        arn = ((sa.metadata.annotations if sa.metadata else None) or {}).get(ROLE_ARN_ANNOTATION)
        if not arn:
            raise NotReady(
                "Failed deploy model due to NoCredentialProviders: no valid providers in chain "
                f"(ServiceAccount {ctl.namespace}/{ctl.service_account} has no "
                f"{ROLE_ARN_ANNOTATION}, and the node's instance metadata is out of reach)"
            )
        return str(arn)

    def _credentials(self, ctl: Installed) -> dict[str, str]:
        arn = self.role_arn(ctl)
        key = (ctl, arn)
        with self._lock:
            cached = self._cache.get(key)
            if cached and self.clock() - cached[0] < CREDENTIALS_REUSE:
                return cached[1]
        try:
            token = projected_token(
                self.endpoint,
                cluster=ctl.cluster,
                region=ctl.region,
                namespace=ctl.namespace,
                service_account=ctl.service_account,
            )
        except OSError as exc:  # the local EKS has no such cluster: no issuer signs a token
            raise NotReady(
                f"Failed deploy model due to WebIdentityErr: no token for cluster {ctl.cluster} "
                f"in {ctl.region} ({exc})"
            ) from exc
        sts = self._plain("sts", ctl.region)
        try:
            answer = sts.assume_role_with_web_identity(
                RoleArn=arn,
                RoleSessionName=f"{CONTROLLER_NAME}-{int(time.time())}",
                WebIdentityToken=token,
            )
        except ClientError as exc:
            err = exc.response.get("Error") or {}
            raise NotReady(
                "Failed deploy model due to WebIdentityErr: failed to retrieve credentials "
                f"caused by: {err.get('Code')}: {err.get('Message')}"
            ) from exc
        c = answer["Credentials"]
        creds = {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }
        with self._lock:
            self._cache[key] = (self.clock(), creds)
        return creds

    def _plain(self, service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        )

    def aws(self, ctl: Installed, service: str) -> Any:
        """A client of ``service`` with the controller's role session; raises NotReady."""
        try:
            creds = self._credentials(ctl)
        except (BotoCoreError, ValueError) as exc:
            raise NotReady(f"Failed deploy model due to {type(exc).__name__}: {exc}") from exc
        return boto3.client(service, region_name=ctl.region, endpoint_url=self.endpoint, **creds)
