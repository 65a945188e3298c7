"""The plan's check of each database's instance class against the classes its engine version
offers: one DescribeOrderableDBInstanceOptions call per engine and version, the nearest
offered classes named (a recording client in place of RDS; the integration tests run it
against the local cloud)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from weft.aws.inventory import Inventory
from weft.aws.rds_classes import check, nearest
from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.local import moto_rds_classes

FABRIC = """\
name: classes
region: us-east-2
network: {cidr: 10.42.0.0/16, zones: 2, nat: none, layout: private}
databases:
  - {name: a, engine_version: "16.3", instance_class: db.t2.micro}
  - {name: b, engine_version: "16.3", instance_class: db.m7g.large}
  - {name: c, engine_version: "16.3", instance_class: db.t4g.medium}
  - {name: d, engine_version: "13.7", instance_class: db.m7g.large}
"""


class Rds:
    """Answers DescribeOrderableDBInstanceOptions from the local cloud's table."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def can_paginate(self, _operation: str) -> bool:
        return False

    def describe_orderable_db_instance_options(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(kw)
        rows = moto_rds_classes.options(
            kw["Engine"], kw.get("EngineVersion"), kw.get("DBInstanceClass")
        )
        return {"OrderableDBInstanceOptions": rows}


class Ctx:
    def __init__(self) -> None:
        self.rds = Rds()

    def client(self, _service: str) -> Rds:
        return self.rds


def test_one_call_per_version_and_every_refusal_named(tmp_path: Path) -> None:
    path = tmp_path / "fabric.yaml"
    path.write_text(FABRIC)
    fabric = parse_fabric(FABRIC, str(path))
    ctx = Ctx()
    with pytest.raises(ConfigError) as refused:
        check(ctx, fabric, Inventory())  # type: ignore[arg-type]
    assert [c.get("EngineVersion") for c in ctx.rds.calls] == ["16.3", "13.7"]
    problems = refused.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}:5: databases[0].instance_class: ")
    assert "db.t2.micro for PostgreSQL 16.3; it offers db.t3.micro, db.t4g.micro" in problems[0]
    assert problems[1].startswith(f"{path}:8: databases[3].instance_class: ")


def test_a_class_the_version_offers_passes(tmp_path: Path) -> None:
    text = FABRIC.replace("db.t2.micro", "db.t3.micro").replace('"13.7"', '"13.8"')
    assert check(Ctx(), parse_fabric(text, "f.yaml"), Inventory()) == []  # type: ignore[arg-type]


def test_nearest_prefers_the_same_kind_and_size() -> None:
    offered = {"db.m6g.large", "db.m6g.xlarge", "db.r6g.large", "db.t4g.large", "db.m5.large"}
    assert nearest("db.m7g.large", offered, 3) == ["db.m6g.large", "db.m5.large", "db.m6g.xlarge"]


def test_a_major_version_is_asked_once_per_class(tmp_path: Path) -> None:
    text = """\
name: classes
region: us-east-2
network: {cidr: 10.42.0.0/16, zones: 2, nat: none, layout: private}
databases:
  - {name: a, engine_version: "16", instance_class: db.r4.large}
  - {name: b, engine_version: "13", instance_class: db.m7g.large}
  - {name: c, engine_version: "16", instance_class: db.m7g.large}
"""
    path = tmp_path / "fabric.yaml"
    path.write_text(text)
    ctx = Ctx()
    with pytest.raises(ConfigError) as refused:
        check(ctx, parse_fabric(text, str(path)), Inventory())  # type: ignore[arg-type]
    asked = sorted(c["DBInstanceClass"] for c in ctx.rds.calls)
    assert asked == ["db.m7g.large", "db.r4.large"]
    assert refused.value.problems == [
        f"{path}:5: databases[0].instance_class: RDS does not offer db.r4.large for PostgreSQL "
        '16 (with no PostgreSQL version RDS runs); pin a version (engine_version: "16.N") to '
        "have the plan list the classes it offers, or pick a current class such as "
        "db.t4g.medium or db.m7g.large; nothing was changed"
    ]
