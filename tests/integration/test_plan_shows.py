"""``weft plan`` as a user reads it (the ``weft`` command in a subprocess, on the local cloud):
new resources are shown with what they are, and changes AWS would refuse are refused at plan
time, naming the file, line and field, before anything is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

WEFT = shutil.which("weft", path=str(Path(sys.executable).parent)) or "weft"

FABRIC = """\
name: shows
region: us-east-2
provider: local
network: {cidr: 10.41.0.0/16, zones: 2, nat: none, layout: private}
databases:
  - name: main
    engine_version: "16.3"
    instance_class: db.t4g.medium
    storage_gb: 40
caches:
  - {name: sessions, engine_version: "7.1", node_type: cache.t4g.small}
"""


def weft(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WEFT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=600,
        check=False,
    )


def test_a_new_fabric_is_shown_with_what_each_resource_is(tmp_path: Path, clean_cloud: str) -> None:
    # nodes in private subnets need a way out: a NAT gateway here
    (tmp_path / "fabric.yaml").write_text(
        FABRIC.replace("nat: none", "nat: single")
        + f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}\n'
        + "nodegroups: [{name: general, instance_types: [m6i.large], min: 1, max: 3}]\n"
    )
    shown = weft(tmp_path, "plan")
    assert shown.returncode in (0, 2), shown.stderr
    rows = [line.replace("│", " ").split(maxsplit=2) for line in shown.stdout.splitlines()]
    lines = {row[1]: row[2] for row in rows if len(row) == 3 and row[0] == "+"}
    assert "cidr 10.41.0.0/16" in lines["vpc.main"]
    subnet = lines["subnet.public-a"]
    assert "cidr 10.41." in subnet and "zone us-east-2a" in subnet
    assert f"version {CLUSTER_VERSION}" in lines["eks_cluster.main"]
    nodes = next(line for address, line in lines.items() if address.startswith("eks_nodegroup."))
    assert "instance_types [m6i.large]" in nodes and "scaling {min=1, max=3" in nodes
    db = lines["db_instance.main"]
    assert "engine postgres" in db and "engine_version 16.3" in db
    assert "instance_class db.t4g.medium" in db and "storage_gb 40" in db
    cache = lines["cache_replication_group.sessions"]
    assert "engine_version 7.1" in cache and "node_type cache.t4g.small" in cache


def test_changes_aws_refuses_are_refused_at_plan(tmp_path: Path, clean_cloud: str) -> None:
    fabric = tmp_path / "fabric.yaml"
    fabric.write_text(FABRIC)
    up = weft(tmp_path, "up", "--yes")
    assert up.returncode == 0, up.stdout + up.stderr

    fabric.write_text(
        FABRIC.replace("storage_gb: 40", "storage_gb: 30")
        .replace('engine_version: "16.3"', 'engine_version: "15"')
        .replace('"7.1"', '"7.0"')
    )
    for command in (["plan"], ["up", "--yes"]):
        refused = weft(tmp_path, *command)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        err = " ".join(refused.stderr.split())
        assert "fabric.yaml:9: databases[0].storage_gb: " in err
        assert "can only grow, not shrink to 30 GB" in err
        assert "fabric.yaml:7: databases[0].engine_version: " in err
        assert "RDS cannot downgrade" in err
        assert "fabric.yaml:11: caches[0].engine_version: " in err
        assert "ElastiCache cannot downgrade" in err
        assert "Traceback" not in refused.stderr
    # nothing was changed
    fabric.write_text(FABRIC)
    again = weft(tmp_path, "plan", "--json")
    assert '"create": 0' in again.stdout and '"update": 0' in again.stdout, again.stdout
    assert weft(tmp_path, "down", "--yes", "--no-final-snapshot").returncode == 0


def test_an_instance_class_the_engine_version_does_not_offer_is_refused_at_plan(
    tmp_path: Path, clean_cloud: str
) -> None:
    """RDS offers each PostgreSQL version on some classes only (DescribeOrderableDBInstanceOptions):
    plan and up refuse the others with the file's line and the classes the version offers."""
    fabric = tmp_path / "fabric.yaml"
    fabric.write_text(
        """\
name: classes
region: us-east-2
provider: local
network: {cidr: 10.42.0.0/16, zones: 2, nat: none, layout: private}
databases:
  - name: main
    engine_version: "16.3"
    instance_class: db.t2.micro
  - name: reports
    engine_version: "13.7"
    instance_class: db.m7g.large
  - {name: legacy, engine_version: "16", instance_class: db.r4.large}
"""
    )
    for command in (["plan"], ["up", "--yes"]):
        refused = weft(tmp_path, *command)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        err = " ".join(refused.stderr.split())
        assert "fabric.yaml:8: databases[0].instance_class: " in err, err
        assert "RDS does not offer db.t2.micro for PostgreSQL 16.3; it offers db.t3.micro" in err
        assert "db.t4g.micro" in err
        assert "fabric.yaml:11: databases[1].instance_class: " in err
        assert "RDS does not offer db.m7g.large for PostgreSQL 13.7; it offers db.m6g.large" in err
        assert "fabric.yaml:12: databases[2].instance_class: " in err
        assert "RDS does not offer db.r4.large for PostgreSQL 16" in err
        assert "nothing was changed" in err
        assert "Traceback" not in refused.stderr
    fabric.write_text(
        fabric.read_text()
        .replace("db.t2.micro", "db.t4g.micro")
        .replace('"13.7"', '"13.8"')
        .replace("db.r4.large", "db.r6g.large")
    )
    shown = weft(tmp_path, "plan")
    assert shown.returncode == 0, shown.stdout + shown.stderr


def test_the_plan_shows_who_gets_what_access(tmp_path: Path, clean_cloud: str) -> None:
    """cluster.access: each principal's access entry and its policy, with its namespaces."""
    # nodes in private subnets need a way out: a NAT gateway here
    (tmp_path / "fabric.yaml").write_text(
        FABRIC.replace("nat: none", "nat: single")
        + f'cluster:\n  version: "{CLUSTER_VERSION}"\n  api_cidrs: [203.0.113.0/24]\n  access:\n'
        + '    - {principal: "arn:aws:iam::123456789012:role/dev", policy: edit, '
        + "namespaces: [web]}\n"
        + '    - {principal: "arn:aws:iam::123456789012:user/ops", policy: admin}\n'
    )
    shown = weft(tmp_path, "plan")
    assert shown.returncode in (0, 2), shown.stderr
    rows = [line.replace("│", " ").split(maxsplit=2) for line in shown.stdout.splitlines()]
    lines = {row[1]: row[2] for row in rows if len(row) == 3 and row[0] == "+"}
    assert "authentication_mode API" in lines["eks_cluster.main"]
    policies = [line for address, line in lines.items() if address.startswith("eks_access_policy.")]
    assert len(policies) == 2, lines
    dev = next(line for line in policies if "role/dev" in line)
    assert "AmazonEKSEditPolicy" in dev and "namespaces [web]" in dev
    ops = next(line for line in policies if "user/ops" in line)
    assert "AmazonEKSClusterAdminPolicy" in ops
