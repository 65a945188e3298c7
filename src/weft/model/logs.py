"""What ``observability.logs`` makes: the containers' logs in CloudWatch Logs.

- One log group per fabric, :func:`container_log_group` (``/aws/eks/FABRIC/containers``, under
  the prefix weft finds the fabric's log groups by), kept ``retention_days`` and encrypted with
  the fabric key (whose policy lets CloudWatch Logs use it for this group:
  :func:`weft.model.fabric.key_policy`).
- The ``fluent-bit`` EKS community add-on ("Community add-ons", Amazon EKS User Guide,
  https://docs.aws.amazon.com/eks/latest/userguide/community-addons.html) — not the Amazon
  CloudWatch Observability add-on, which turns on Container Insights, priced per observation. It
  runs Fluent Bit as a DaemonSet that tails every container's output and sends it with Fluent
  Bit's ``cloudwatch_logs`` output (:func:`fluent_bit_configuration`) to that group, one stream
  per container named ``NAMESPACE/POD/CONTAINER`` (:func:`stream_name`), so ``weft logs`` finds
  an app's streams by prefix once its pods are gone.
- Fluent Bit's role through IRSA (its service account :data:`SERVICE_ACCOUNT`), least
  privilege: ``logs:CreateLogStream``, ``logs:PutLogEvents`` and ``logs:DescribeLogStreams`` on
  that group's streams only; it never creates groups (``auto_create_group`` off).

Nothing without a cluster (there are no containers) or without node groups (Fluent Bit runs on
nodes; a Fargate pod's logs take Fargate's own log router, which weft does not configure), nor
with ``logs: false``.
"""

from __future__ import annotations

from typing import Any

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric
from weft.model import addresses
from weft.model.builder import Builder
from weft.model.cluster import CLUSTER, iam_role, irsa_trust

ADDON = "fluent-bit"
#: Where the add-on runs Fluent Bit, and as whom.
NAMESPACE = "fluent-bit"
SERVICE_ACCOUNT_NAME = "fluent-bit"
SERVICE_ACCOUNT = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT_NAME}"
LOG_GROUP = "log_group.containers"
ROLE = "iam_role.fluent-bit"
#: What Fluent Bit may do, on the group's streams only.
ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


def container_log_group(fabric: str) -> str:
    """The CloudWatch Logs group of the fabric's containers."""
    return f"/aws/eks/{fabric}/containers"


def log_group_arn(region: str, account_id: str, fabric: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{container_log_group(fabric)}"


def stream_name(namespace: str, pod: str, container: str) -> str:
    """The log stream of one container: ``NAMESPACE/POD/CONTAINER``."""
    return f"{namespace}/{pod}/{container}"


def logs_on(fabric: Fabric) -> bool:
    """Whether the fabric ships its containers' logs to CloudWatch Logs."""
    return (
        fabric.cluster is not None
        and bool(fabric.nodegroups)
        and fabric.observability.logs is not None
    )


def fluent_bit_configuration(fabric: Fabric) -> dict[str, Any]:
    """The add-on's ``configurationValues``: Fluent Bit's ``cloudwatch_logs`` output to the
    fabric's group, a stream per container, never creating a group."""
    template = "$kubernetes['namespace_name']/$kubernetes['pod_name']/$kubernetes['container_name']"
    output = "\n".join(
        [
            "[OUTPUT]",
            "    Name cloudwatch_logs",
            "    Match kube.*",
            f"    region {fabric.region}",
            f"    log_group_name {container_log_group(fabric.name)}",
            f"    log_stream_template {template}",
            "    log_stream_prefix unnamed-",
            "    auto_create_group Off",
        ]
    )
    return {"config": {"outputs": output}}


def fluent_bit_policy(region: str, account_id: str, fabric: str) -> dict[str, Any]:
    arn = log_group_arn(region, account_id, fabric)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(ACTIONS),
                "Resource": [arn, f"{arn}:log-stream:*"],
            }
        ],
    }


def logs_resources(fabric: Fabric, account_id: str) -> list[Resource]:
    """The containers' log group, Fluent Bit's role and the add-on (none when logs are off)."""
    spec = fabric.observability.logs
    if not logs_on(fabric) or spec is None:
        return []
    b = Builder(fabric)
    b.add(
        "log_group",
        "containers",
        {
            "group_name": container_log_group(fabric.name),
            "retention_days": spec.retention_days,
            "kms_key_arn": Ref(addresses.KMS_KEY, "arn"),
        },
    )
    role = iam_role(
        b,
        ADDON,
        irsa_trust(SERVICE_ACCOUNT),
        [],
        {"weft-fluent-bit": fluent_bit_policy(fabric.region, account_id, fabric.name)},
    )
    compute = tuple(f"eks_nodegroup.{ng.name}" for ng in fabric.nodegroups)
    b.add(
        "eks_addon",
        ADDON,
        {
            "cluster_name": CLUSTER,
            "addon_name": ADDON,
            "addon_version": None,
            "service_account_role_arn": Ref(role.address, "arn"),
            "configuration": fluent_bit_configuration(fabric),
        },
        # its DaemonSet needs nodes; the group must exist before it writes
        depends_on=(LOG_GROUP, *compute),
    )
    return b.resources
