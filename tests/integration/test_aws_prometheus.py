"""Amazon Managed Service for Prometheus on the local cloud: workspaces and managed collectors
answer and refuse as AWS does (weft.local.moto_amp); ``up`` with ``observability.prometheus``
makes the fabric's workspace and a collector scraping its cluster into it, and ``down`` leaves
neither."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from weft.aws.context import AwsContext
from weft.aws.session import AwsSession
from weft.model.prometheus import scrape_configuration, workspace_alias

from .helpers import CLUSTER_VERSION, down, fabric_text, target_for, up

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "eks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture
def ctx(moto_url: str) -> AwsContext:
    session = AwsSession(
        REGION, endpoint_url=moto_url, credentials=("weft-local", "weft-local-secret")
    )
    return AwsContext(session, fabric=f"p{uuid.uuid4().hex[:8]}", account_id=ACCOUNT, run_id="r1")


def _network(ctx: AwsContext, cidr: str) -> tuple[str, list[str], str]:
    """A VPC with two subnets in two zones and a security group: (VPC, subnets, group)."""
    ec2 = ctx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.rsplit(".", 2)[0]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{n * 16}.0/20", AvailabilityZone=zone)[
            "Subnet"
        ]["SubnetId"]
        for n, zone in enumerate((f"{REGION}a", f"{REGION}b"))
    ]
    group = ec2.create_security_group(
        GroupName=f"g{uuid.uuid4().hex[:6]}", Description="x", VpcId=vpc
    )
    return vpc, subnets, group["GroupId"]


def _cluster(ctx: AwsContext, subnets: list[str], *, private: bool = True) -> str:
    iam = ctx.client("iam")
    role = iam.create_role(
        RoleName=f"r{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    name = f"c{uuid.uuid4().hex[:8]}"
    cluster = ctx.client("eks").create_cluster(
        name=name,
        version=CLUSTER_VERSION,
        roleArn=role,
        resourcesVpcConfig={
            "subnetIds": subnets,
            "endpointPrivateAccess": private,
            "endpointPublicAccess": True,
        },
        accessConfig={"authenticationMode": "API"},
    )["cluster"]
    return str(cluster["arn"])


def _workspace(ctx: AwsContext) -> str:
    amp = ctx.client("amp")
    made = amp.create_workspace(alias=f"w-{ctx.fabric}")
    assert made["status"]["statusCode"] == "CREATING"
    described = amp.describe_workspace(workspaceId=made["workspaceId"])["workspace"]
    assert described["status"]["statusCode"] == "ACTIVE"
    return str(made["arn"])


def _config(interval: str = "60s") -> dict[str, bytes]:
    text = f"global:\n  scrape_interval: {interval}\nscrape_configs:\n  - job_name: pods\n"
    text += "    kubernetes_sd_configs:\n      - role: pod\n"
    return {"configurationBlob": text.encode()}


def _create(ctx: AwsContext, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "source": {"eksConfiguration": overrides.pop("eks")},
        "destination": {"ampConfiguration": {"workspaceArn": overrides.pop("workspace")}},
        "scrapeConfiguration": overrides.pop("config", _config()),
        "tags": {"weft:fabric": ctx.fabric},
        **overrides,
    }
    return dict(ctx.client("amp").create_scraper(**request))


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_collector_is_made_active_with_its_access_entry_and_deleted(ctx: AwsContext) -> None:
    _vpc, subnets, group = _network(ctx, "10.61.0.0/16")
    cluster = _cluster(ctx, subnets)
    workspace = _workspace(ctx)
    eks = {"clusterArn": cluster, "subnetIds": subnets, "securityGroupIds": [group]}
    made = _create(ctx, eks=eks, workspace=workspace, alias="probe")
    assert made["status"]["statusCode"] == "CREATING"
    amp = ctx.client("amp")
    scraper = amp.describe_scraper(scraperId=made["scraperId"])["scraper"]
    assert scraper["status"]["statusCode"] == "ACTIVE"
    assert scraper["source"]["eksConfiguration"] == eks
    assert scraper["destination"]["ampConfiguration"]["workspaceArn"] == workspace
    assert scraper["scrapeConfiguration"]["configurationBlob"] == _config()["configurationBlob"]
    assert scraper["tags"] == {"weft:fabric": ctx.fabric}
    role = scraper["roleArn"].rsplit("/", 1)[-1]
    assert role.startswith("AWSServiceRoleForAmazonPrometheusScraper_")
    # AMP gives the collector's role an access entry in a cluster in API mode
    name = cluster.rsplit("/", 1)[-1]
    entries = ctx.client("eks").list_access_entries(clusterName=name)["accessEntries"]
    assert f"arn:aws:iam::{ACCOUNT}:role/{role}" in entries
    listed = amp.list_scrapers(filters={"destinationArn": [workspace]})["scrapers"]
    assert [s["scraperId"] for s in listed] == [made["scraperId"]]
    assert amp.list_scrapers(filters={"alias": ["other"]})["scrapers"] == []

    updated = amp.update_scraper(scraperId=made["scraperId"], scrapeConfiguration=_config("2m"))
    assert updated["status"]["statusCode"] == "UPDATING"
    deleted = amp.delete_scraper(scraperId=made["scraperId"])
    assert deleted["status"]["statusCode"] == "DELETING"
    with pytest.raises(ClientError) as gone:
        amp.describe_scraper(scraperId=made["scraperId"])
    assert _code(gone) == "ResourceNotFoundException"
    entries = ctx.client("eks").list_access_entries(clusterName=name)["accessEntries"]
    assert f"arn:aws:iam::{ACCOUNT}:role/{role}" not in entries


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("cluster missing", "does not exist"),
        ("endpoint public only", "private access"),
        ("subnet of another VPC", "is not in the VPC"),
        ("one zone", "at least two availability zones"),
        ("workspace missing", "not found"),
        ("interval under 30 seconds", "less than the minimum of 30s"),
        ("discovery other than Kubernetes", "ec2_sd_configs is not supported"),
    ],
)
def test_create_scraper_refuses_what_aws_refuses(ctx: AwsContext, case: str, says: str) -> None:
    """As "Using an AWS managed collector" says: the cluster must exist with private endpoint
    access, the subnets (two zones at least) and groups be the cluster's, the workspace exist,
    and the configuration be one a managed collector takes."""
    _vpc, subnets, group = _network(ctx, "10.62.0.0/16")
    _other_vpc, other_subnets, _ = _network(ctx, "10.63.0.0/16")
    cluster = _cluster(ctx, subnets, private=case != "endpoint public only")
    workspace = _workspace(ctx)
    eks = {"clusterArn": cluster, "subnetIds": subnets, "securityGroupIds": [group]}
    request: dict[str, Any] = {"eks": eks, "workspace": workspace}
    if case == "cluster missing":
        eks["clusterArn"] = cluster.rsplit("/", 1)[0] + "/nowhere"
    elif case == "subnet of another VPC":
        eks["subnetIds"] = [subnets[0], other_subnets[1]]
    elif case == "one zone":
        eks["subnetIds"] = subnets[:1]
    elif case == "workspace missing":
        request["workspace"] = workspace.rsplit("/", 1)[0] + "/ws-nowhere"
    elif case == "interval under 30 seconds":
        request["config"] = _config("15s")
    elif case == "discovery other than Kubernetes":
        text = "scrape_configs:\n  - job_name: x\n    ec2_sd_configs:\n      - region: us-east-2\n"
        request["config"] = {"configurationBlob": text.encode()}
    with pytest.raises(ClientError) as refused:
        _create(ctx, **request)
    expected = "ResourceNotFoundException" if case == "workspace missing" else "ValidationException"
    assert _code(refused) == expected
    assert says in str(refused.value.response["Error"]["Message"])
    assert (
        ctx.client("amp").list_scrapers(filters={"destinationArn": [workspace]})["scrapers"] == []
    )


def test_workspaces_answer_as_aws(ctx: AwsContext) -> None:
    """A workspace is CREATING when made; a key that does not exist is refused; one that does is
    reported back; deleting one that does not exist is ResourceNotFoundException."""
    amp = ctx.client("amp")
    with pytest.raises(ClientError) as refused:
        amp.create_workspace(
            alias="k", kmsKeyArn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.uuid4()}"
        )
    assert _code(refused) == "ValidationException"
    key = ctx.client("kms").create_key()["KeyMetadata"]["Arn"]
    made = amp.create_workspace(alias="k", kmsKeyArn=key)
    assert made["status"]["statusCode"] == "CREATING" and made["kmsKeyArn"] == key
    assert amp.describe_workspace(workspaceId=made["workspaceId"])["workspace"]["kmsKeyArn"] == key
    amp.delete_workspace(workspaceId=made["workspaceId"])
    with pytest.raises(ClientError) as missing:
        amp.delete_workspace(workspaceId=made["workspaceId"])
    assert _code(missing) == "ResourceNotFoundException"


PROMETHEUS = f"""\
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 1, max: 2, desired: 1}}
observability:
  prometheus: {{scrape_interval: 30}}
"""


@pytest.mark.k8s
def test_up_makes_the_workspace_and_its_collector_and_down_removes_them(
    clean_cloud: str, kube_api: Any
) -> None:
    name = f"pm{uuid.uuid4().hex[:6]}"
    target = target_for(fabric_text(name, zones=2, extra=PROMETHEUS))
    assert up(target).ok
    session = target.session
    amp, eks = session.client("amp"), session.client("eks")
    (workspace,) = [
        w
        for w in amp.list_workspaces()["workspaces"]
        if w.get("tags", {}).get("weft:fabric") == name
    ]
    assert workspace["alias"] == workspace_alias(name)
    assert workspace["status"]["statusCode"] == "ACTIVE"
    assert workspace["tags"]["weft:id"] == "amp_workspace.metrics"
    (summary,) = amp.list_scrapers(filters={"destinationArn": [workspace["arn"]]})["scrapers"]
    scraper = amp.describe_scraper(scraperId=summary["scraperId"])["scraper"]
    assert scraper["status"]["statusCode"] == "ACTIVE"
    assert scraper["tags"]["weft:id"] == "amp_scraper.cluster"
    cluster = eks.describe_cluster(name=name)["cluster"]
    source = scraper["source"]["eksConfiguration"]
    assert source["clusterArn"] == cluster["arn"]
    assert sorted(source["subnetIds"]) == sorted(cluster["resourcesVpcConfig"]["subnetIds"])
    assert cluster["resourcesVpcConfig"]["clusterSecurityGroupId"] in source["securityGroupIds"]
    config = scraper["scrapeConfiguration"]["configurationBlob"].decode()
    assert config == scrape_configuration(target.fabric)
    assert "scrape_interval: 30s" in config
    role = scraper["roleArn"].rsplit("/", 1)[-1]
    entries = eks.list_access_entries(clusterName=name)["accessEntries"]
    assert f"arn:aws:iam::{ACCOUNT}:role/{role}" in entries

    # weft status shows where to query it
    from weft.ops.status import status

    (row,) = [r for r in status(target).rows if r.address == "amp_workspace.metrics"]
    described = amp.describe_workspace(workspaceId=workspace["workspaceId"])["workspace"]
    assert row.endpoint == described["prometheusEndpoint"]
    base = described["prometheusEndpoint"].rstrip("/")
    assert f"query: {base}/api/v1/query" in row.note
    assert f"remote write: {base}/api/v1/remote_write" in row.note
    from weft.ops.dashboard import dashboard

    assert dashboard(target).prometheus_endpoint == described["prometheusEndpoint"]

    # nothing left to do; then down leaves neither
    from weft.ops.plan import make_plan

    assert not make_plan(target).has_changes
    assert down(target).ok
    assert not [
        w
        for w in amp.list_workspaces()["workspaces"]
        if w.get("tags", {}).get("weft:fabric") == name
    ]
    assert not [
        s for s in amp.list_scrapers()["scrapers"] if s.get("tags", {}).get("weft:fabric") == name
    ]


def test_cost_says_how_prometheus_is_billed_and_leaves_it_out_of_the_total(
    clean_cloud: str,
) -> None:
    from weft.ops import cost
    from weft.ops.plan import make_plan

    target = target_for(fabric_text("pmcost", zones=2, extra=PROMETHEUS))
    report = cost.estimate(target, make_plan(target)).to_dict()
    (note,) = [n for n in report["notes"] if "Amazon Managed Service for Prometheus" in n]
    assert "per collector hour" in note and "not in the total" in note
    assert "https://aws.amazon.com/prometheus/pricing/" in note
    assert not [x for x in report["after"]["lines"] if x["address"].startswith("amp_")]
    assert not [x for x in report["after"]["unpriced"] if x["address"].startswith("amp_")]
