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
