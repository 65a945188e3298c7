"""The quota preflight (weft.ops.quotas): a change that does not fit the account's service quotas
is refused before any write, with the quota, its code, limit, usage, need and how to raise it."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from weft.errors import QuotaExceeded
from weft.local.moto_quotas import request_set
from weft.local.proxy import start_proxy
from weft.ops import apply
from weft.ops.plan import make_plan
from weft.ops.quotas import preflight
from weft.ops.run import Runner
from weft.ops.target import local_session

from .helpers import CLUSTER_VERSION, FAST_RETRY, fabric_text, target_for

pytestmark = pytest.mark.integration

WEFT = shutil.which("weft", path=str(Path(sys.executable).parent)) or "weft"
REGION = "us-east-2"

NODEGROUP = f"""
cluster:
  version: "{CLUSTER_VERSION}"
  endpoint: private
nodegroups:
  - name: general
    instance_types: [m6i.large]
    min: 1
    max: 8
    desired: 3
"""


def vpcs_in_use(target) -> int:
    return len(target.session.client("ec2").describe_vpcs()["Vpcs"])


def test_a_quota_at_current_usage_makes_up_refuse_with_no_write(clean_cloud):
    direct = target_for(fabric_text("quota"))
    request_set(clean_cloud, REGION, "L-F678F1CE", vpcs_in_use(direct))
    with start_proxy(clean_cloud) as proxy:
        target = dataclasses.replace(direct, session=local_session(REGION, proxy.url))
        plan = make_plan(target)
        with pytest.raises(QuotaExceeded) as caught:
            apply.up(Runner(target, retry=FAST_RETRY), plan)
        counts = proxy.counts()
    assert counts.writes == 0, counts.by_call
    assert counts.by_call.get("servicequotas:GetServiceQuota")
    (vpcs,) = caught.value.findings
    assert vpcs["code"] == "L-F678F1CE" and vpcs["needed"] == 1
    assert vpcs["limit"] == vpcs["in_use"] == vpcs_in_use(direct)
    assert "request-service-quota-increase --service-code vpc --quota-code L-F678F1CE" in str(
        caught.value
    )
    # raised: the same up goes through
    request_set(clean_cloud, REGION, "L-F678F1CE", vpcs_in_use(direct) + 1)
    assert apply.up(Runner(direct, retry=FAST_RETRY), make_plan(direct)).ok


def test_vcpus_refuse_at_desired_size_and_warn_at_max_size(clean_cloud):
    target = target_for(fabric_text("cpus", nat="none", layout="public") + NODEGROUP)
    request_set(clean_cloud, REGION, "L-1216C47A", 8)  # 3 x 2 vCPUs fit; 8 x 2 do not
    report = preflight(target, make_plan(target))
    assert report.refusals == []
    (warn,) = report.findings
    assert (warn.code, warn.severity, warn.needed) == ("L-1216C47A", "warn", 16)
    assert any("max sizes" in n for n in report.notes())

    request_set(clean_cloud, REGION, "L-1216C47A", 4)
    refused = preflight(target, make_plan(target))
    assert [(f.code, f.needed, f.limit) for f in refused.refusals] == [("L-1216C47A", 6, 4.0)]


def test_plan_json_carries_the_refusal_and_its_quotas(clean_cloud, tmp_path):
    (tmp_path / "fabric.yaml").write_text(fabric_text("quotajson", nat="single"))
    request_set(clean_cloud, REGION, "L-0263D0A3", 0)
    proc = subprocess.run(
        [WEFT, "plan", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    error = json.loads(proc.stdout.splitlines()[-1])["error"]
    assert error["code"] == "refused"
    (eips,) = error["quotas"]
    assert (eips["code"], eips["service"], eips["limit"], eips["needed"]) == (
        "L-0263D0A3",
        "ec2",
        0,
        1,
    )
    assert eips["console"].endswith("/services/ec2/quotas/L-0263D0A3")
    assert "Traceback" not in proc.stderr


def test_quota_set_by_the_cli_and_a_fitting_plan_records_what_it_checked(clean_cloud, tmp_path):
    (tmp_path / "fabric.yaml").write_text(fabric_text("quotacli"))
    proc = subprocess.run(
        [WEFT, "local", "quota", "set", "L-FE5A380F", "3", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["region"] == REGION
    plan = subprocess.run(
        [WEFT, "plan", "--json"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
    quotas = json.loads(plan.stdout.splitlines()[-1])["meta"]["quotas"]
    assert "L-FE5A380F" in quotas["checked"] and quotas["findings"] == []
