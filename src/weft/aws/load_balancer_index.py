"""The region's ELBv2 load balancers by DNS name: what an app's record points at, and whether a
load balancer Kubernetes made still exists."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.context import AwsContext
from weft.aws.errors import translate


def by_dns_name(ctx: AwsContext) -> dict[str, dict[str, Any]]:
    """The account's ELBv2 load balancers in the region, by lower-case DNS name."""
    elbv2 = ctx.client("elbv2")
    try:
        lbs = [
            lb
            for page in elbv2.get_paginator("describe_load_balancers").paginate()
            for lb in page["LoadBalancers"]
        ]
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="load balancers", action="read") from exc
    return {str(lb["DNSName"]).lower(): lb for lb in lbs}


def target_groups(ctx: AwsContext, lb_arn: str) -> list[tuple[str, dict[str, str]]]:
    """(ARN, tags) of each target group of the load balancer ``lb_arn``."""
    elbv2 = ctx.client("elbv2")
    try:
        groups = [
            str(tg["TargetGroupArn"])
            for page in elbv2.get_paginator("describe_target_groups").paginate(
                LoadBalancerArn=lb_arn
            )
            for tg in page["TargetGroups"]
        ]
        described = elbv2.describe_tags(ResourceArns=groups)["TagDescriptions"] if groups else []
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="target groups", action="read") from exc
    tags = {
        str(d["ResourceArn"]): {str(t["Key"]): str(t["Value"]) for t in d.get("Tags") or []}
        for d in described
    }
    return [(arn, tags.get(arn, {})) for arn in groups]


def arn_suffix(arn: str) -> str:
    """What CloudWatch names a load balancer or target group by: its ARN after ``:...:`` and
    the resource type (``app/NAME/ID``, ``targetgroup/NAME/ID``)."""
    return arn.split(":", 5)[-1].removeprefix("loadbalancer/")
