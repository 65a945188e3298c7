"""The AWS drivers, one per resource kind: ``DRIVERS`` maps each kind to its driver.

The contract they keep is in :mod:`weft.aws.drivers.base`; :mod:`.kit` writes discover, create
and update once, so a driver is its hooks (find, make, setters, delete), with :mod:`.adoption`
(safe retries of creates), :mod:`.tagger` (tag changes, one variant per service family),
:mod:`.presence` ("not found" and "already exists" as answers) and :mod:`.pagination`. What a
service family's drivers share: :mod:`.ec2`, :mod:`.eks`, :mod:`.rds` (RDS and ElastiCache),
:mod:`.s3_bucket`, :mod:`.tagging_api` (KMS keys and buckets found by tag).
"""

from __future__ import annotations

from weft.aws.drivers import (
    acm_certificate,
    amp_scraper,
    amp_workspace,
    app_alarm,
    app_record,
    bucket,
    cache_replication_group,
    cache_subnet_group,
    certificate_validation,
    dashboard,
    db_instance,
    db_subnet_group,
    dns_record,
    eip,
    eks_access_entry,
    eks_access_policy,
    eks_addon,
    eks_cluster,
    eks_fargate_profile,
    eks_nodegroup,
    eks_pod_identity,
    fabric_bucket,
    flow_log,
    hosted_zone,
    iam_role,
    internet_gateway,
    kms_key,
    launch_template,
    log_group,
    metric_alarm,
    nat_gateway,
    oidc_provider,
    route_table,
    security_group,
    security_group_rule,
    sns_topic,
    subnet,
    vpc,
    vpc_endpoint,
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
        log_group,
        flow_log,
        eks_cluster,
        oidc_provider,
        launch_template,
        eks_nodegroup,
        eks_fargate_profile,
        eks_addon,
        eks_access_entry,
        eks_access_policy,
        eks_pod_identity,
        # observability
        dashboard,
        sns_topic,
        metric_alarm,
        app_alarm,
        amp_workspace,
        amp_scraper,
    )
}
for _endpoint in (vpc_endpoint.INTERFACE_DRIVER, vpc_endpoint.GATEWAY_DRIVER):
    DRIVERS[_endpoint.schema.kind] = _endpoint

__all__ = ["DRIVERS", "Driver"]
