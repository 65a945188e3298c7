"""The ElastiCache subnet group of the fabric's caches (the private subnets); see
:mod:`.subnet_group` for how it is found and changed."""

from __future__ import annotations

from weft.aws.drivers import tagger
from weft.aws.drivers.subnet_group import Api, SubnetGroupDriver

KIND = "cache_subnet_group"

DRIVER = SubnetGroupDriver(
    Api(
        kind=KIND,
        service="elasticache",
        prefix="Cache",
        word="cache",
        arn_field="ARN",
        tagger=tagger.ELASTICACHE,
    )
)
