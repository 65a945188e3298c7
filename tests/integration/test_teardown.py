"""weft down on the local cloud: the sweep by tag, order, bounded retries, guard rails, report.

What Kubernetes leaves behind is made here directly with boto3, tagged exactly as the AWS Load
Balancer Controller (see weft.local.kube.lb_sim), the in-tree cloud provider, the VPC CNI and the
EBS CSI driver tag theirs: that is what a teardown meets when the cluster's API no longer
answers. The local cloud's EC2 refuses, as AWS does, to delete a subnet or a security group
still in use (weft.local.moto_network), so an unswept load balancer really blocks the teardown.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from weft.aws.journal import read_journal
from weft.aws.lock import acquire_lock, break_lock, read_lock
from weft.aws.sweep import Scope
from weft.cli.main import main
from weft.core.executor import RetryPolicy
from weft.errors import GuardError, LockHeld
from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.kube.load_balancer import lb_name, tg_name
from weft.local.proxy import Latency, start_proxy
from weft.ops import leftovers, teardown
from weft.ops.plan import destroy_plan, inventory
from weft.ops.run import Runner, ensure_unlocked
from weft.ops.target import Target
from weft.ops.teardown import TeardownOptions

from .helpers import (
    CLUSTER_VERSION,
    FAST_RETRY,
    EventLog,
    cloud_counts,
    fabric_text,
    target_for,
    up,
    up_delegated,
)

pytestmark = pytest.mark.integration

CLUSTER = f"""cluster:
  version: "{CLUSTER_VERSION}"
  api_cidrs: [203.0.113.0/24]
nodegroups:
  - name: general
    instance_types: [t3.medium]
    min: 1
    max: 3
"""


def weft(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path: Path, clean_cloud: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")  # no wrapped lines in what the tests read
    return tmp_path


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def controller_tags(cluster: str, stack: str, prefix: str = "service") -> dict[str, str]:
    """The AWS Load Balancer Controller's tags (as weft.local.kube.lb_sim writes them)."""
    return {
        "elbv2.k8s.aws/cluster": cluster,
        f"{prefix}.k8s.aws/stack": stack,
        f"{prefix}.k8s.aws/resource": "LoadBalancer",
        f"kubernetes.io/cluster/{cluster}": "owned",
    }


def leave_kubernetes_resources(target: Target) -> dict[str, Any]:
    """What a cluster whose Services, Ingresses and PVCs were never deleted leaves in its VPC."""
    cluster = target.name
    inv = inventory(target)
    vpc = inv.by_address["vpc.main"].id
    public = sorted(o.id for o in inv.of_kind("subnet") if o.name.startswith("public"))
    private = sorted(o.id for o in inv.of_kind("subnet") if o.name.startswith("private"))
    nodes_sg = inv.by_address["security_group.nodes"].id
    session = target.session
    ec2, elbv2, elb = session.client("ec2"), session.client("elbv2"), session.client("elb")
    made: dict[str, Any] = {}

    # A Service of type LoadBalancer: an NLB, its target group and listener.
    stack = "default/web"
    tags = controller_tags(cluster, stack)
    nlb = elbv2.create_load_balancer(
        Name=lb_name(cluster, stack, "internet-facing"),
        Subnets=public,
        Scheme="internet-facing",
        Type="network",
        Tags=_tags(tags),
    )["LoadBalancers"][0]
    tg = elbv2.create_target_group(
        Name=tg_name(cluster, stack, 80),
        Protocol="TCP",
        Port=30080,
        VpcId=vpc,
        TargetType="instance",
        Tags=_tags({**tags, "service.k8s.aws/resource": f"{stack}:80"}),
    )["TargetGroups"][0]
    elbv2.create_listener(
        LoadBalancerArn=nlb["LoadBalancerArn"],
        Protocol="TCP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )
    # An Ingress: an ALB with the controller's frontend security group, which the controller
    # also names in a rule of the nodes' group.
    ingress = controller_tags(cluster, "shop/front", prefix="ingress")
    frontend = ec2.create_security_group(
        GroupName="k8s-shop-front-0a1b2c3d4e",
        Description="[k8s] Managed SecurityGroup for LoadBalancer",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(ingress)}],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=nodes_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 30000,
                "ToPort": 32767,
                "UserIdGroupPairs": [{"GroupId": frontend, "Description": "elbv2.k8s.aws"}],
            }
        ],
    )
    alb = elbv2.create_load_balancer(
        Name=lb_name(cluster, "shop/front", "internet-facing"),
        Subnets=public,
        SecurityGroups=[frontend],
        Scheme="internet-facing",
        Type="application",
        Tags=_tags(ingress),
    )["LoadBalancers"][0]
    # The in-tree cloud provider: a classic ELB with a k8s-elb-... group.
    legacy_tags = {f"kubernetes.io/cluster/{cluster}": "owned", "kubernetes.io/service-name": "a/b"}
    legacy_sg = ec2.create_security_group(
        GroupName="k8s-elb-a0123456789abcdef",
        Description="Security group for Kubernetes ELB a0123456789abcdef (a/b)",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(legacy_tags)}],
    )["GroupId"]
    elb.create_load_balancer(
        LoadBalancerName="a0123456789abcdef",
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 80, "InstancePort": 31000}],
        Subnets=public,
        SecurityGroups=[legacy_sg],
        Tags=_tags(legacy_tags),
    )
    # The VPC CNI: an interface its node never released; the EBS CSI driver: a PVC's volume.
    eni = ec2.create_network_interface(
        SubnetId=private[0],
        Groups=[nodes_sg],
        Description="aws-K8S-i-0123456789abcdef0",
        TagSpecifications=[
            {
                "ResourceType": "network-interface",
                "Tags": _tags({"cluster.k8s.amazonaws.com/name": cluster}),
            }
        ],
    )["NetworkInterface"]["NetworkInterfaceId"]
    volume = ec2.create_volume(
        AvailabilityZone="us-east-2a",
        Size=8,
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": _tags(
                    {
                        f"kubernetes.io/cluster/{cluster}": "owned",
                        "CSIVolumeName": "pvc-0a1b2c3d",
                        "kubernetes.io/created-for/pvc/name": "data-db-0",
                    }
                ),
            }
        ],
    )["VolumeId"]
    made.update(
        nlb=nlb["LoadBalancerArn"],
        alb=alb["LoadBalancerArn"],
        tg=tg["TargetGroupArn"],
        frontend=frontend,
        legacy_sg=legacy_sg,
        classic="a0123456789abcdef",
        eni=eni,
        volume=volume,
        vpc=vpc,
    )
    return made


def leave_someone_elses(target: Target) -> dict[str, str]:
    """Another cluster's load balancer (in its own VPC) and volume: never weft's to delete."""
    ec2, elbv2 = target.session.client("ec2"), target.session.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(["us-east-2a", "us-east-2b"])
    ]
    lb = elbv2.create_load_balancer(
        Name="k8s-other-lb",
        Subnets=subnets,
        Type="network",
        Tags=_tags(controller_tags("someone-else", "default/api")),
    )["LoadBalancers"][0]["LoadBalancerArn"]
    volume = ec2.create_volume(
        AvailabilityZone="us-east-2a",
        Size=1,
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": _tags({"kubernetes.io/cluster/someone-else": "owned"}),
            }
        ],
    )["VolumeId"]
    return {"lb": lb, "volume": volume}


def load_balancers(target: Target) -> set[str]:
    elbv2, elb = target.session.client("elbv2"), target.session.client("elb")
    names = {lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
    names |= {
        lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancerDescriptions"]
    }
    return names


def test_down_sweeps_what_kubernetes_left_without_its_api(workdir, capsys):
    """No Kubernetes API is involved at all: the sweep finds everything by tag, in AWS."""
    text = fabric_text("sweepy") + CLUSTER
    (workdir / "fabric.yaml").write_text(text)
    target = target_for(text)
    assert up(target).ok
    made = leave_kubernetes_resources(target)
    theirs = leave_someone_elses(target)
    before = load_balancers(target)
    assert len(before) == 4

    # The PVC's volume is data: refused without --delete-data, before anything is deleted.
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 1
    assert made["volume"] in err and "--delete-data" in err, err
    assert load_balancers(target) == before
    assert "eks_cluster.main" in inventory(target)

    code, out, err = weft(capsys, "down", "--yes", "--delete-data")
    assert code == 0, out + err
    assert "Found by tag" in out
    assert "Nothing tagged with the fabric remains" in out
    ec2 = target.session.client("ec2")
    assert load_balancers(target) == {"k8s-other-lb"}
    assert target.session.client("elbv2").describe_target_groups()["TargetGroups"] == []
    groups = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert not {made["frontend"], made["legacy_sg"]} & groups
    enis = {e["NetworkInterfaceId"] for e in ec2.describe_network_interfaces()["NetworkInterfaces"]}
    assert made["eni"] not in enis
    volumes = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
    assert made["volume"] not in volumes and theirs["volume"] in volumes
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [made["vpc"]]}])["Vpcs"] == []
    assert leftovers.find(target) == []
    code, out, _ = weft(capsys, "leftovers", "--json")
    assert code == 0 and json.loads(out)["unintended"] == 0


def test_an_unswept_load_balancer_blocks_the_network_and_down_gives_up_with_a_report(
    clean_cloud,
):
    """An untagged load balancer (not Kubernetes', not the fabric's) keeps its subnets: weft
    retries DependencyViolation up to its deadline, then stops and says what is left."""
    target = target_for(fabric_text("blocked"))
    assert up(target).ok
    inv = inventory(target)
    public = [inv.by_address[f"subnet.public-{z}"].id for z in "ab"]
    elbv2 = target.session.client("elbv2")
    arn = elbv2.create_load_balancer(Name="untagged", Subnets=public, Type="network")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]

    log = EventLog()
    short = RetryPolicy(base=0.05, cap=0.2, deadline=1.5)
    runner = Runner(target, on_event=log, retry=short)
    outcome = teardown.down(runner, destroy_plan(target))
    assert not outcome.ok
    failed = {r.node: str(r.error) for r in outcome.result.failed}
    assert set(failed) == {"subnet.public-a", "subnet.public-b"}, failed
    assert all("DependencyViolation" in e for e in failed.values())
    assert {r.node for r in outcome.result.skipped} == {"vpc.main"}
    assert len(log.of("retrying")) >= 2  # it did retry, and it stopped
    # Everything not in the load balancer's way is gone; the lock is released.
    left = {item.id for item in leftovers.find(target)}
    assert left == {o.id for o in inventory(target).by_address.values()}
    assert set(inventory(target).by_address) == {
        "subnet.public-a",
        "subnet.public-b",
        "vpc.main",
        "fabric_bucket.fabric",
    }
    assert read_lock(target.context()) is None
    # Once the obstacle is gone, the same command finishes the job.
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert teardown.down(Runner(target, retry=FAST_RETRY), destroy_plan(target)).ok
    assert leftovers.find(target) == []


FULL = f"""
cluster:
  version: "{CLUSTER_VERSION}"
  endpoint: both
  api_cidrs: ["203.0.113.0/24"]
nodegroups:
  - name: general
    instance_types: [m6i.large]
    min: 2
    max: 5
fargate:
  - name: batch
    selectors: [{{namespace: batch}}]
databases:
  - name: main
    engine_version: "16.3"
    instance_class: db.t4g.medium
caches:
  - name: sessions
    engine_version: "7.1"
    node_type: cache.t4g.small
buckets:
  - name: uploads
dns:
  domain: order.example.com
"""

#: (deleted first, deleted later): the order weft down must keep (issue #5, step 3).
ORDER = [
    ("eks_nodegroup.general", "eks_cluster.main"),
    ("eks_fargate_profile.batch", "eks_cluster.main"),
    ("eks_addon.vpc-cni", "eks_cluster.main"),
    ("iam_role.ebs-csi", "oidc_provider.cluster"),
    ("eks_cluster.main", "iam_role.cluster"),
    ("eks_nodegroup.general", "iam_role.nodes"),
    ("eks_cluster.main", "subnet.private-a"),
    ("eks_cluster.main", "kms_key.fabric"),
    ("db_instance.main", "db_subnet_group.data"),
    ("db_subnet_group.data", "subnet.private-a"),
    ("db_instance.main", "kms_key.fabric"),
    ("cache_replication_group.sessions", "cache_subnet_group.data"),
    ("cache_replication_group.sessions", "kms_key.fabric"),
    ("cache_subnet_group.data", "subnet.private-b"),
    ("bucket.uploads", "kms_key.fabric"),
    ("route_table.private-a", "nat_gateway.a"),
    ("nat_gateway.a", "eip.nat-a"),
    ("nat_gateway.a", "subnet.public-a"),
    ("nat_gateway.a", "internet_gateway.main"),
    ("subnet.public-a", "vpc.main"),
    ("security_group.nodes", "vpc.main"),
    ("internet_gateway.main", "vpc.main"),
    ("certificate_validation.wildcard", "acm_certificate.wildcard"),
    ("dns_record.cert-validation", "hosted_zone.main"),
    ("oidc_provider.cluster", "eks_cluster.main"),
    ("vpc.main", "fabric_bucket.fabric"),
    ("kms_key.fabric", "fabric_bucket.fabric"),
    ("iam_role.nodes", "fabric_bucket.fabric"),
]


def test_full_fabric_goes_in_reverse_dependency_order_without_final_snapshot(clean_cloud):
    target = target_for(fabric_text("order") + FULL)
    assert up_delegated(target, clean_cloud).ok
    inv = inventory(target)
    kinds = {o.kind for o in inv.by_address.values()}
    # Everything the issue lists is part of this fabric, and so of its teardown.
    assert {
        "eks_nodegroup",
        "eks_fargate_profile",
        "eks_addon",
        "eks_cluster",
        "oidc_provider",
        "cache_replication_group",
        "db_instance",
        "acm_certificate",
        "dns_record",
        "nat_gateway",
        "eip",
        "internet_gateway",
        "subnet",
        "security_group",
        "vpc",
        "iam_role",
        "kms_key",
        "fabric_bucket",
    } <= kinds
    log = EventLog()
    runner = Runner(target, on_event=log, retry=FAST_RETRY, max_workers=1)
    options = TeardownOptions(final_snapshot=False)
    outcome = teardown.down(runner, destroy_plan(target), options)
    assert outcome.ok, [str(r.error) for r in outcome.result.failed]
    done = [e.node for e in log.of("done")]
    assert done[-1] == "fabric_bucket.fabric"
    assert set(done) >= set(inv.by_address)
    for first, later in ORDER:
        assert done.index(first) < done.index(later), (first, later)
    phases = [e.node for e in log.of("phase")]
    assert phases.index("sweep") < phases.index("fabric") < phases.index("bucket")
    kept = leftovers.find(target, include_intended=True)
    assert [k.kind for k in kept] == ["kms key"], kept  # no final snapshot was taken
    rds = target.session.client("rds")
    assert rds.describe_db_snapshots()["DBSnapshots"] == []


DATA = """
databases:
  - name: main
    engine_version: "16"
    instance_class: db.t4g.medium
buckets:
  - name: uploads
"""


def test_protected_fabric_needs_confirm_and_data_is_never_deleted_unasked(workdir, capsys):
    text = fabric_text("shop-prod", zones=2) + DATA
    (workdir / "fabric.yaml").write_text(text)
    target = target_for(text)
    assert target.fabric.protect  # the name contains "prod"
    assert up(target).ok
    bucket = inventory(target).by_address["bucket.uploads"].id
    target.session.client("s3").put_object(Bucket=bucket, Key="a.txt", Body=b"user data")
    before = set(inventory(target).by_address)

    # down: protected, then the wrong name, then deletion protection and the bucket's objects
    code, _, err = weft(capsys, "down", "--yes")
    assert code == 1 and "protected" in err and "--confirm shop-prod" in err
    code, _, err = weft(capsys, "down", "--yes", "--confirm", "shop-dev")
    assert code == 1 and "does not name this fabric" in err
    code, _, err = weft(capsys, "down", "--yes", "--confirm", "shop-prod")
    assert code == 1
    assert "deletion protection" in err and "--no-deletion-protection" in err
    assert "holds 1 object" in err and "--delete-data" in err
    assert set(inventory(target).by_address) == before  # nothing was touched

    # a plan that deletes the database and the bucket lists them apart, and needs --confirm
    (workdir / "fabric.yaml").write_text(fabric_text("shop-prod", zones=2))
    code, out, _ = weft(capsys, "plan", "--json", "--detailed-exitcode")
    assert code == 2
    data = json.loads(out)
    assert {d["address"] for d in data["destructive"]} == {"db_instance.main", "bucket.uploads"}
    assert data["protected"] is True
    code, out, _ = weft(capsys, "plan")
    assert "Destructive changes (2)" in out and "--confirm shop-prod" in out
    code, _, err = weft(capsys, "up", "--yes")
    assert code == 1 and "protected" in err and "db_instance.main" not in err
    assert "database" in err
    code, _, err = weft(capsys, "up", "--yes", "--confirm", "shop-prod")
    assert code == 1 and "deletion protection" in err
    assert set(inventory(target).by_address) == before

    # Unprotected, the database can go; the bucket's data only with --delete-data.
    text = fabric_text("shop-prod", zones=2, extra="protect: false\n") + DATA
    (workdir / "fabric.yaml").write_text(text)
    code, out, err = weft(capsys, "up", "--yes")
    assert code == 0, out + err  # turns deletion protection off (an update, not destructive)
    code, _, err = weft(capsys, "down", "--yes")
    assert code == 1 and "holds 1 object" in err
    code, out, err = weft(capsys, "down", "--yes", "--delete-data")
    assert code == 0, out + err
    assert "final snapshot of a database" in out  # kept by design
    assert leftovers.find(target) == []


def test_a_database_comes_back_from_its_final_snapshot(workdir, capsys):
    """up, data, down (the final snapshot and its key are kept), then up with restore_from:
    the database is restored from that snapshot, with a new master password."""
    text = fabric_text("phoenix", zones=2) + DATA
    (workdir / "fabric.yaml").write_text(text)
    target = target_for(text)
    assert up(target).ok
    rds = target.session.client("rds")
    db = inventory(target).by_address["db_instance.main"]
    # the data marker: a tag, which the final snapshot carries (CopyTagsToSnapshot)
    marker = {"Key": "data", "Value": "orders-1-to-42"}
    rds.add_tags_to_resource(ResourceName=db.outputs["arn"], Tags=[marker])
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 0, out + err
    (snapshot,) = rds.describe_db_snapshots(DBInstanceIdentifier=db.id)["DBSnapshots"]
    name = snapshot["DBSnapshotIdentifier"]
    assert name.startswith(f"{db.id}-final-")
    assert marker in rds.list_tags_for_resource(ResourceName=snapshot["DBSnapshotArn"])["TagList"]

    # a snapshot that is not there is a plan error naming the file's line
    field = "    instance_class: db.t4g.medium\n"
    (workdir / "fabric.yaml").write_text(
        text.replace(field, field + "    restore_from: no-such-snapshot\n")
    )
    code, out, err = weft(capsys, "plan")
    assert code == 1, out + err
    message = " ".join(err.split())
    assert "databases[0].restore_from: no DB snapshot no-such-snapshot was found" in message
    assert "Traceback" not in out + err

    (workdir / "fabric.yaml").write_text(
        text.replace(field, field + "    restore_from: final-snapshot\n")
    )
    code, out, err = weft(capsys, "plan")
    assert code == 0, out + err
    shown = " ".join(out.split())
    assert f"restore_from {name}" in shown
    assert f"database main is restored from snapshot {name}" in shown
    assert "with a new master password" in shown
    code, out, err = weft(capsys, "up", "--yes")
    assert code == 0, out + err
    restored = rds.describe_db_instances(DBInstanceIdentifier=db.id)["DBInstances"][0]
    assert restored["DBInstanceStatus"] == "available"
    events = rds.describe_events(SourceIdentifier=db.id, SourceType="db-instance")["Events"]
    assert f"Restored from snapshot {name}" in [e["Message"] for e in events]
    code, out, err = weft(capsys, "plan", "--detailed-exitcode")
    assert code == 0, out + err  # the restored database is the one the file asks for
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 0, out + err


def test_keep_journal_keeps_the_bucket_and_the_report_says_so(workdir, capsys):
    text = fabric_text("journaled", layout="public", nat="none")
    (workdir / "fabric.yaml").write_text(text)
    target = target_for(text)
    assert up(target).ok
    code, out, err = weft(capsys, "down", "--yes", "--keep-journal")
    assert code == 0, out + err
    assert set(inventory(target).by_address) == {"fabric_bucket.fabric"}
    assert read_lock(target.context()) is None
    entry = read_journal(target.context(), 1)[0]
    assert entry["command"] == "down" and entry["ok"] is True
    kept = leftovers.find(target, include_intended=True)
    assert [(k.kind, k.intended) for k in kept if k.kind == "fabric_bucket"] == [
        ("fabric_bucket", True)
    ]
    code, out, _ = weft(capsys, "leftovers")
    assert code == 0 and "journal" in out
    # The kept bucket is taken back by the next up, and goes with the next plain down.
    assert up(target).ok
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 0, out + err
    assert inventory(target).by_address == {}


def test_leftovers_fails_on_anything_tagged_for_the_fabric(workdir, capsys):
    text = fabric_text("tidy", layout="public", nat="none")
    (workdir / "fabric.yaml").write_text(text)
    target = target_for(text)
    code, out, _ = weft(capsys, "leftovers", "--json")
    assert code == 0 and json.loads(out.splitlines()[-1])["unintended"] == 0
    ec2 = target.session.client("ec2")
    volume = ec2.create_volume(
        AvailabilityZone="us-east-2a",
        Size=1,
        TagSpecifications=[
            {"ResourceType": "volume", "Tags": _tags({"weft:fabric": "tidy", "team": "x"})}
        ],
    )["VolumeId"]
    code, out, _ = weft(capsys, "leftovers", "--json")
    assert code == 1
    report = json.loads(out.splitlines()[-1])
    assert report["unintended"] == 1
    assert [(i["kind"], i["id"]) for i in report["leftovers"]] == [("ebs_volume", volume)]
    code, out, _ = weft(capsys, "leftovers")
    assert code == 1 and "Left behind" in out and volume in out


def test_a_second_writer_fails_at_once_naming_the_holder(workdir, capsys, monkeypatch):
    text = fabric_text("busy", layout="public", nat="none")
    target = target_for(text)
    assert up(target).ok
    # A real `weft up` (a tag change on every resource) talks to the local cloud through a proxy
    # that makes each EC2 tag update take 3 s: it holds the lock for half a minute. Once the
    # lock is taken the child is paused (SIGSTOP), so it surely holds it while others try.
    tagged = fabric_text("busy", layout="public", nat="none", extra="tags:\n  team: web\n")
    (workdir / "fabric.yaml").write_text(tagged.replace("provider: local\n", ""))
    proxy = start_proxy(target.local_url or "", latency=Latency(0.0, {"ec2:CreateTags": 3.0}))
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": proxy.url,
        "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY,
    }
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", target.local_url or "")  # this process: direct
    child = subprocess.Popen(
        [sys.executable, "-m", "weft.cli.main", "up", "--yes", "--parallelism", "1"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        lock = None
        while lock is None and child.poll() is None:
            lock = read_lock(target.context())
        child.send_signal(signal.SIGSTOP)
        assert lock is not None and f"pid {child.pid}" in lock.holder
        for command in (["down", "--yes"], ["up", "--yes"], ["down", "--yes", "--json"]):
            code, out, err = weft(capsys, *command)
            assert code == 1, command
            assert f"pid {child.pid}" in err and f"since {lock.since}" in err, err
            assert "nothing was done" in err and "Traceback" not in out + err
        with pytest.raises(LockHeld):
            ensure_unlocked(target)
    finally:
        proxy.latency = None
        child.send_signal(signal.SIGCONT)
        assert child.wait(timeout=300) == 0
        proxy.stop()
    assert read_lock(target.context()) is None
    assert inventory(target).by_address["vpc.main"].props["tags"]["team"] == "web"
    assert teardown.down(Runner(target, retry=FAST_RETRY), destroy_plan(target)).ok
    assert cloud_counts(target) == {}


def test_a_dead_holder_is_named_as_such(clean_cloud):
    target = target_for(fabric_text("ghosts", layout="public", nat="none"))
    assert up(target).ok
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    holder = f"someone@{os.uname().nodename} pid {child.pid}"
    acquire_lock(target.context("crashed"), command="up", holder=holder)
    with pytest.raises(LockHeld) as info:
        ensure_unlocked(target)
    assert "no longer runs on this host" in str(info.value)
    break_lock(target.context())
    with pytest.raises(GuardError):
        teardown.down(Runner(target), destroy_plan(target), TeardownOptions(confirm="someone-else"))
    assert teardown.down(Runner(target, retry=FAST_RETRY), destroy_plan(target)).ok


def test_the_sweep_claims_only_what_is_the_fabrics():
    """Which tags make a resource the fabric's to sweep (pure: no cloud)."""
    scope = Scope("shop", "shop", frozenset({"vpc-1"}))
    claim = scope.claim
    assert claim({"weft:fabric": "shop"}) == "tagged weft:fabric=shop"
    assert claim({"weft:fabric": "shop", "weft:id": "vpc.main"}) is None  # weft's own
    assert claim({"weft:fabric": "other", "kubernetes.io/cluster/shop": "owned"}) is None
    assert claim({"kubernetes.io/cluster/shop": "shared"}) == "tagged kubernetes.io/cluster/shop"
    assert claim({"elbv2.k8s.aws/cluster": "shop"}) is not None
    assert claim({"cluster.k8s.amazonaws.com/name": "shop"}) is not None
    assert claim({"elbv2.k8s.aws/cluster": "shop-2"}) is None
    assert claim({"kubernetes.io/cluster/shop-2": "owned"}) is None
    assert claim({}) is None
    no_cluster = Scope("shop", None, frozenset({"vpc-1"}))
    assert no_cluster.claim({"kubernetes.io/cluster/shop": "owned"}) is None
    assert no_cluster.claim({"weft:fabric": "shop"}) is not None
    assert scope.in_vpc("vpc-1") and not scope.in_vpc("vpc-2") and not scope.in_vpc(None)
    assert Scope("shop", None, None).in_vpc("vpc-2")  # the report looks everywhere
