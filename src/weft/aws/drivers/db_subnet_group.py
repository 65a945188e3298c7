"""The RDS subnet group of the fabric's databases (the private subnets); see
:mod:`.subnet_group` for how it is found and changed."""

from __future__ import annotations

from weft.aws.drivers import tagger
from weft.aws.drivers.subnet_group import Api, SubnetGroupDriver

KIND = "db_subnet_group"

DRIVER = SubnetGroupDriver(
    Api(
        kind=KIND,
        service="rds",
        prefix="DB",
        word="db",
        arn_field="DBSubnetGroupArn",
        tagger=tagger.RDS,
    )
)
