"""The AWS drivers, one per resource kind: ``DRIVERS`` maps each kind to its driver.

The contract they keep is in :mod:`weft.aws.drivers.base`. Shared pieces: :mod:`.ec2` (fabric
tag filters, filtered describes, tag updates), :mod:`.pagination`, :mod:`.adoption` (safe retries
of creates without an idempotency token).
"""

from __future__ import annotations

from weft.aws import fabric_bucket
from weft.aws.drivers import (
    eip,
    internet_gateway,
    kms_key,
    nat_gateway,
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
    )
}

__all__ = ["DRIVERS", "Driver"]
