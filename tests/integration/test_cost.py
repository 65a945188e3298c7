"""Prices and cost on the local cloud: its Price List API (weft.local.moto_pricing) in AWS's
format, ``weft cost`` of the demo fabric, the plan's before -> after, the snapshot refresh."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.ops import cost
from weft.ops.plan import make_plan

from .helpers import CLUSTER_VERSION, fabric_text, target_for, up

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WEFT = shutil.which("weft", path=str(Path(sys.executable).parent)) or "weft"
#: The demo fabric's hand-computed monthly total with the control plane in standard support
#: (tests/unit/model/test_cost.py has the lines); extended support adds 730 x $0.50.
DEMO_STANDARD = Decimal("578.33")
EXTENDED_EXTRA = Decimal("365.00")


def pricing(url: str, region: str = "us-east-1") -> Any:
    return boto3.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name=region,
    ).client("pricing", endpoint_url=url)


def load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_get_products_answers_in_the_price_list_format(clean_cloud):
    client = pricing(clean_cloud)
    page = client.get_products(
        ServiceCode="AmazonEC2",
        Filters=[
            {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "Compute Instance"},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-2"},
            {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "m6i.large"},
        ],
        FormatVersion="aws_v1",
        MaxResults=10,
    )
    model = botocore.session.get_session().get_service_model("pricing")
    assert set(page) - {"ResponseMetadata"} <= set(
        model.operation_model("GetProducts").output_shape.members
    )
    (item,) = [json.loads(i) for i in page["PriceList"]]  # JSON strings, as AWS sends them
    assert item["product"]["attributes"]["instanceType"] == "m6i.large"
    (term,) = item["terms"]["OnDemand"].values()
    (dimension,) = term["priceDimensions"].values()
    assert dimension["pricePerUnit"]["USD"] == "0.096" and dimension["unit"] == "Hrs"
    assert item["version"] == "weft-snapshot-transcribed"  # never passed off as AWS's
    contains = client.get_products(
        ServiceCode="AmazonEKS",
        Filters=[{"Type": "CONTAINS", "Field": "usagetype", "Value": "AmazonEKS-Hours:perCluster"}],
    )
    assert len(contains["PriceList"]) == 2  # us-east-1 and USE2-


def test_get_products_has_no_endpoint_outside_its_regions(clean_cloud):
    with pytest.raises(ClientError) as caught:
        pricing(clean_cloud, "us-east-2").get_products(ServiceCode="AmazonEC2")
    assert "no endpoint in us-east-2" in str(caught.value)


def demo_file(tmp_path: Path) -> Path:
    demo = load_script("demo")
    text = fabric_text("demo", nat="single") + re.sub(
        r"\n  version: .*\n", f'\n  version: "{CLUSTER_VERSION}"\n', demo.FULL_FABRIC
    )
    path = tmp_path / "fabric.yaml"
    path.write_text(text.replace("cidr: 10.20.0.0/16", "cidr: 10.0.0.0/16"))
    return path


def test_weft_cost_of_the_demo_fabric_is_the_hand_computed_total(clean_cloud, tmp_path):
    path = demo_file(tmp_path)
    proc = subprocess.run(
        [WEFT, "cost", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    eks = boto3.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name="us-east-2",
    ).client("eks", endpoint_url=clean_cloud)
    status = {
        v["clusterVersion"]: v["status"]
        for v in eks.describe_cluster_versions(includeAll=True)["clusterVersions"]
    }
    extended = status.get(CLUSTER_VERSION) == "EXTENDED_SUPPORT"
    expected = DEMO_STANDARD + (EXTENDED_EXTRA if extended else 0)
    assert Decimal(report["after"]["total"]) == expected
    assert Decimal(report["before"]["total"]) == 0 and report["after"]["unpriced"] == []
    assert report["prices"].startswith("the local cloud's Price List API")
    cluster = [x for x in report["after"]["lines"] if x["address"] == "eks_cluster.main"]
    assert ("extended support" in cluster[0]["what"]) is extended
    assert all(x["price"]["provenance"] == "transcribed" for x in report["after"]["lines"])
    assert any("730 hours a month" in a for a in report["assumptions"])
    assert path.exists()

    offline = subprocess.run(
        [WEFT, "cost", "--json", "--offline"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    again = json.loads(offline.stdout.splitlines()[-1])
    assert again["after"]["total"] == report["after"]["total"]
    assert again["prices"].startswith("weft's price snapshot")


def test_plan_shows_the_cost_delta_of_a_changed_database_class(clean_cloud):
    text = fabric_text("costdb", nat="none", layout="private") + (
        "databases:\n  - name: main\n    engine_version: '16.3'\n    instance_class: {cls}\n"
    )
    assert up(target_for(text.format(cls="db.t4g.medium"))).ok
    target = target_for(text.format(cls="db.t3.medium"))
    plan = make_plan(target)
    report = cost.estimate(target, plan).to_dict(changed=[c.address for c in plan.actionable])
    # Multi-AZ: 2 x 730 h x ($0.072 - $0.065) = $10.22; storage unchanged
    assert report["changes"] == [
        {"address": "db_instance.main", "before": "99.50", "after": "109.72", "delta": "10.22"}
    ]
    assert report["delta"] == "10.22"


def test_the_refresh_script_reads_every_price_through_the_price_list_api(clean_cloud, tmp_path):
    script = load_script("refresh_prices")
    out = tmp_path / "snapshot.json"
    env = {
        "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY,
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        assert script.main(["--endpoint-url", clean_cloud, "--output", str(out)]) == 0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    before = json.loads((ROOT / "src" / "weft" / "price_snapshot.json").read_text())["products"]
    after = json.loads(out.read_text())["products"]
    assert len(after) == len(before)
    assert [p["usd"] for p in after] == [p["usd"] for p in before]
    # the local cloud serves the snapshot: what it answers keeps its provenance
    assert [p["provenance"] for p in after] == [p["provenance"] for p in before]
