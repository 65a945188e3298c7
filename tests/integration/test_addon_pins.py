"""Pinned add-on versions (``cluster.addons.NAME.version``) checked at ``plan`` and ``up``
against the versions EKS runs on the cluster's Kubernetes version (DescribeAddonVersions): a
pin that does not run there is refused with the file's line and field and the versions that
do, before anything is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from .helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

WEFT = shutil.which("weft", path=str(Path(sys.executable).parent)) or "weft"

FABRIC = f"""\
name: pins
region: us-east-2
provider: local
network: {{cidr: 10.42.0.0/16, zones: 2, nat: single, layout: private}}
cluster:
  version: "{CLUSTER_VERSION}"
  api_cidrs: [203.0.113.0/24]
  addons:
    coredns: {{}}
    vpc-cni: {{version: PIN}}
nodegroups: [{{name: general, instance_types: [m6i.large], min: 1, max: 2}}]
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


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-2",
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def _offered(url: str, addon: str) -> list[str]:
    found = _client(url, "eks").describe_addon_versions(
        addonName=addon, kubernetesVersion=CLUSTER_VERSION
    )["addons"]
    return [v["addonVersion"] for a in found for v in a["addonVersions"]]


def test_a_pin_that_does_not_run_on_the_cluster_version_is_refused_at_plan(
    tmp_path: Path, clean_cloud: str
) -> None:
    offered = _offered(clean_cloud, "vpc-cni")
    assert offered
    wrong = "v1.0.0-eksbuild.1"
    assert wrong not in offered
    fabric = tmp_path / "fabric.yaml"
    fabric.write_text(FABRIC.replace("PIN", wrong))
    for command in (["plan"], ["up", "--yes"]):
        refused = weft(tmp_path, *command)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        err = " ".join(refused.stderr.split())
        assert "fabric.yaml:10: cluster.addons.vpc-cni.version: " in err, err
        assert f"vpc-cni {wrong} does not run on Kubernetes {CLUSTER_VERSION}" in err, err
        for version in offered:
            assert version in err, err
        assert "Traceback" not in refused.stderr
    # nothing was touched
    vpcs = _client(clean_cloud, "ec2").describe_vpcs(
        Filters=[{"Name": "tag:weft:fabric", "Values": ["pins"]}]
    )["Vpcs"]
    assert vpcs == []

    fabric.write_text(FABRIC.replace("PIN", offered[-1]))
    shown = weft(tmp_path, "plan")
    assert shown.returncode in (0, 2), shown.stdout + shown.stderr
    assert "eks_addon.vpc-cni" in shown.stdout
