"""Every desired resource of a fabric."""

from __future__ import annotations

from typing import Any

from weft.core.resource import Resource
from weft.fabricfile import Fabric
from weft.model.alarms import alarm_key_statement, alarm_resources
from weft.model.app_roles import app_role_resources
from weft.model.cluster import cluster_log_group, cluster_resources
from weft.model.cluster_autoscaler import cluster_autoscaler_resources
from weft.model.data import data_resources
from weft.model.dns import dns_resources
from weft.model.lb_controller import lb_controller_resources
from weft.model.logs import container_log_group, logs_on, logs_resources
from weft.model.naming import fabric_bucket_name, kms_alias
from weft.model.network import flow_log_group, flow_log_resources, network_resources
from weft.model.observability import container_insights_resources, observability_resources
from weft.model.pod_identity import pod_identity_resources
from weft.model.prometheus import prometheus_resources
from weft.model.tags import resource_tags


def key_policy(fabric: Fabric, account_id: str) -> dict[str, Any]:
    """The fabric key's policy: the account's IAM policies decide (the policy every new key gets),
    and CloudWatch Logs may use it for the cluster's control-plane log group, as "Encrypt log
    data in CloudWatch Logs using AWS Key Management Service" (CloudWatch Logs User Guide)
    requires: without it CreateLogGroup refuses the key; for the VPC flow logs' group when
    the file asks for flow logs, and for the containers' group when the fabric ships them."""
    region = fabric.region
    groups = [
        f"arn:aws:logs:{region}:{account_id}:log-group:{name}"
        for name in (
            cluster_log_group(fabric.name),
            *([flow_log_group(fabric.name)] if fabric.network.flow_logs else []),
            *([container_log_group(fabric.name)] if logs_on(fabric) else []),
        )
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatch Logs of the cluster",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": groups[0]
                        if len(groups) == 1
                        else groups
                    }
                },
            },
            # the alarm topic is encrypted with this key: CloudWatch must be able to use it
            *([alarm_key_statement()] if fabric.observability.alarms.on else []),
        ],
    }


def foundation_resources(fabric: Fabric, account_id: str) -> list[Resource]:
    """The fabric bucket (lock, journal, secrets) and the fabric's KMS key."""
    name = fabric.name
    return [
        Resource(
            "fabric_bucket",
            "fabric",
            {
                "bucket": fabric_bucket_name(name, account_id, fabric.region),
                "versioning": True,
                "encryption": "AES256",
                "public_access_block": True,
                "tags": resource_tags(name, "fabric_bucket", "fabric", fabric.tags),
            },
        ),
        Resource(
            "kms_key",
            "fabric",
            {
                "description": f"weft fabric {name}: secrets and data at rest",
                "alias": kms_alias(name),
                "rotation": True,
                "policy": key_policy(fabric, account_id),
                "tags": resource_tags(name, "kms_key", "fabric", fabric.tags),
            },
        ),
    ]


def desired_resources(fabric: Fabric, *, account_id: str, zones: list[str]) -> list[Resource]:
    resources = [
        *foundation_resources(fabric, account_id),
        *network_resources(fabric, zones),
        *flow_log_resources(fabric, account_id),
        *cluster_resources(fabric, zones, account_id=account_id),
        *data_resources(fabric, zones, account_id=account_id),
        *dns_resources(fabric),
        *app_role_resources(fabric, account_id=account_id),
        *lb_controller_resources(fabric),
        *logs_resources(fabric, account_id),
        *cluster_autoscaler_resources(fabric),
        *pod_identity_resources(fabric),
    ]
    compute = [r.address for r in resources if r.kind in ("eks_nodegroup", "eks_fargate_profile")]
    return [
        *resources,
        *observability_resources(fabric, resources),
        *alarm_resources(fabric, resources, account_id),
        *container_insights_resources(fabric, compute),
        *prometheus_resources(fabric, resources),
    ]
