"""Every desired resource of a fabric."""

from __future__ import annotations

from weft.core.resource import Resource
from weft.fabricfile import Fabric
from weft.model.cluster import cluster_resources
from weft.model.data import data_resources
from weft.model.dns import dns_resources
from weft.model.naming import fabric_bucket_name, kms_alias
from weft.model.network import network_resources
from weft.model.tags import resource_tags


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
                "tags": resource_tags(name, "kms_key", "fabric", fabric.tags),
            },
        ),
    ]


def desired_resources(fabric: Fabric, *, account_id: str, zones: list[str]) -> list[Resource]:
    return [
        *foundation_resources(fabric, account_id),
        *network_resources(fabric, zones),
        *cluster_resources(fabric, zones),
        *data_resources(fabric, zones, account_id=account_id),
        *dns_resources(fabric),
    ]
