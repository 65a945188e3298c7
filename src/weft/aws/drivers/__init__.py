"""The AWS drivers, one per resource kind: ``DRIVERS`` maps each kind to its driver.

The contract they keep is in :mod:`weft.aws.drivers.base`. Shared pieces: :mod:`.ec2` (fabric
tag filters, filtered describes, tag updates), :mod:`.pagination`, :mod:`.adoption` (safe retries
of creates without an idempotency token).
"""

from __future__ import annotations

from weft.aws.drivers import (
    acm_certificate,
    app_record,
    bucket,
    cache_replication_group,
    cache_subnet_group,
    certificate_validation,
    db_instance,
    db_subnet_group,
    dns_record,
    eip,
    eks_addon,
    eks_cluster,
    eks_fargate_profile,
    eks_nodegroup,
    fabric_bucket,
    hosted_zone,
    iam_role,
    internet_gateway,
    kms_key,
    nat_gateway,
    oidc_provider,
    route_table,
    security_group,
    security_group_rule,
    subnet,
    vpc,
)
from weft.aws.drivers.base import Driver

DRIVERS: dict[str, Driver] = {
    module.DRIVER.schema.kind: module.DRIVER
    for module in (
        kms_key,
        vpc,
        internet_gateway,
        subnet,
        eip,
        nat_gateway,
        route_table,
        security_group,
        security_group_rule,
        fabric_bucket,
        db_subnet_group,
        db_instance,
        cache_subnet_group,
        cache_replication_group,
        bucket,
        hosted_zone,
        dns_record,
        app_record,
        acm_certificate,
        certificate_validation,
        # EKS
        iam_role,
        eks_cluster,
        oidc_provider,
        eks_nodegroup,
        eks_fargate_profile,
        eks_addon,
    )
}

__all__ = ["DRIVERS", "Driver"]
