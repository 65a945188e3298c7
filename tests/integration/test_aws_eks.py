"""The EKS and IAM drivers against the local cloud (a moto server over HTTP, with weft's EKS
extension): create, discover equal, update, discover equal, delete, delete again."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from weft.aws import errors, inventory
from weft.aws.applier import AwsApplier
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS, eks
from weft.aws.drivers.eks_addon import VERSION_TAG
from weft.aws.drivers.oidc_provider import EKS_OIDC_THUMBPRINT
from weft.aws.session import AwsSession
from weft.core.planner import diff_props
from weft.core.resource import Observed, Resource, thaw
from weft.errors import PermanentError, TemporaryError
from weft.local.moto_eks import catalogue

from .helpers import CLUSTER_VERSION, PREVIOUS_VERSION

pytestmark = pytest.mark.integration

REGION = "us-east-2"
POLICY = "arn:aws:iam::aws:policy/"
EKS_KINDS = (
    "eks_addon",
    "eks_fargate_profile",
    "eks_nodegroup",
    "oidc_provider",
    "eks_cluster",
    "iam_role",
)


def make_ctx(url: str, fabric: str) -> AwsContext:
    session = AwsSession(REGION, endpoint_url=url, credentials=("weft-local", "weft-local-secret"))
    return AwsContext(session, fabric=fabric, account_id="123456789012", run_id="r1")


@pytest.fixture
def ctx(moto_url: str) -> Iterator[AwsContext]:
    """A fresh fabric; whatever EKS/IAM resources it still has are deleted afterwards (so the
    shared account stays small for the discovery-cost tests)."""
    context = make_ctx(moto_url, f"t{uuid.uuid4().hex[:10]}")
    yield context
    for kind in EKS_KINDS:
        for observed in DRIVERS[kind].discover(context):
            AwsApplier(context).delete(observed, lambda _: None)


def tags_for(ctx: AwsContext, address: str, **extra: str) -> dict[str, str]:
    name = address.partition(".")[2]
    return {"weft:fabric": ctx.fabric, "weft:id": address, "Name": f"{ctx.fabric}-{name}", **extra}


def desired(
    ctx: AwsContext, kind: str, name: str, /, **props: Any
) -> tuple[Resource, dict[str, Any]]:
    full = {**props, "tags": tags_for(ctx, f"{kind}.{name}")}
    return Resource(kind, name, full), full


def discovered(ctx: AwsContext, kind: str) -> dict[str, Observed]:
    return {o.name: o for o in DRIVERS[kind].discover(ctx)}


def diffs(kind: str, want: dict[str, Any], have: Observed) -> list[str]:
    return [d.field for d in diff_props(want, have.props, DRIVERS[kind].schema)]


def lifecycle(
    ctx: AwsContext, kind: str, name: str, props: dict[str, Any], mutate: dict[str, Any]
) -> Observed:
    """create -> discovered equal -> update -> discovered equal -> delete -> delete again."""
    driver = DRIVERS[kind]
    resource, full = desired(ctx, kind, name, **props)
    created = driver.create(ctx, resource, dict(full))
    found = discovered(ctx, kind)
    assert set(found) == {name}
    assert found[name].id == created.id
    assert diffs(kind, full, found[name]) == []
    assert diffs(kind, full, created) == []

    new_props = {**full, **mutate}
    if "tags" in mutate:
        new_props["tags"] = {**full["tags"], **mutate["tags"]}
    changed = {d.field for d in diff_props(new_props, found[name].props, driver.schema)}
    assert changed == set(mutate)
    updated = driver.update(ctx, Resource(kind, name, new_props), new_props, found[name], changed)
    assert updated.id == created.id
    assert diffs(kind, new_props, updated) == []
    again = discovered(ctx, kind)
    assert diffs(kind, new_props, again[name]) == []

    driver.delete(ctx, again[name])
    assert discovered(ctx, kind) == {}
    AwsApplier(ctx).delete(again[name], lambda _: None)  # already gone: success
    return again[name]


def trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }


def make_role(ctx: AwsContext, name: str, service: str, policies: list[str]) -> Observed:
    resource, props = desired(
        ctx,
        "iam_role",
        name,
        role_name=f"weft-{ctx.fabric}-{name}",
        path=f"/weft/{ctx.fabric}/",
        assume_role_policy=trust(service),
        managed_policies=[POLICY + p for p in policies],
    )
    return DRIVERS["iam_role"].create(ctx, resource, props)


def make_network(ctx: AwsContext) -> dict[str, Any]:
    ec2 = ctx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b"), start=1)
    ]
    group = ec2.create_security_group(
        GroupName=f"{ctx.fabric}-cluster", Description="cluster", VpcId=vpc
    )["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


def cluster_props(
    ctx: AwsContext, role: Observed, net: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    props = {
        "name": ctx.fabric,
        "version": PREVIOUS_VERSION,
        "role_arn": role.outputs["arn"],
        "subnet_ids": net["subnets"],
        "security_group_ids": [net["group"]],
        "endpoint_public": True,
        "endpoint_private": False,
        "public_access_cidrs": ["0.0.0.0/0"],
        "logging": ["api", "audit"],
        "encryption_key_arn": None,
    }
    return {**props, **kw}


def make_cluster(ctx: AwsContext, **kw: Any) -> tuple[Observed, dict[str, Any], Observed]:
    role = make_role(ctx, "cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
    net = make_network(ctx)
    resource, props = desired(ctx, "eks_cluster", "main", **cluster_props(ctx, role, net, **kw))
    return DRIVERS["eks_cluster"].create(ctx, resource, props), net, role


# -------------------------------------------------------------------------------------- tests


def test_eks_kinds_are_registered() -> None:
    for kind in EKS_KINDS:
        assert DRIVERS[kind].schema.kind == kind
    assert DRIVERS["eks_nodegroup"].schema.delete_before_create is False


def test_iam_role_lifecycle(ctx: AwsContext) -> None:
    gone = lifecycle(
        ctx,
        "iam_role",
        "cluster",
        {
            "role_name": f"weft-{ctx.fabric}-cluster",
            "path": f"/weft/{ctx.fabric}/",
            "assume_role_policy": trust("eks.amazonaws.com"),
            "managed_policies": [
                POLICY + "AmazonEKSClusterPolicy",
                POLICY + "AmazonEKSVPCResourceController",
            ],
        },
        {
            "assume_role_policy": trust("ec2.amazonaws.com"),
            "managed_policies": [POLICY + "AmazonEKSWorkerNodePolicy"],
            "tags": {"team": "platform"},
        },
    )
    assert gone.id == gone.outputs["arn"]
    assert gone.id.endswith(f":role/weft/{ctx.fabric}/weft-{ctx.fabric}-cluster")


def test_iam_role_delete_clears_inline_policies_and_instance_profiles(ctx: AwsContext) -> None:
    role = make_role(ctx, "nodes", "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy"])
    iam = ctx.client("iam")
    name = role.props["role_name"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="extra",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )
    iam.create_instance_profile(InstanceProfileName=f"{ctx.fabric}-nodes")
    iam.add_role_to_instance_profile(InstanceProfileName=f"{ctx.fabric}-nodes", RoleName=name)
    DRIVERS["iam_role"].delete(ctx, role)
    assert discovered(ctx, "iam_role") == {}
    iam.delete_instance_profile(InstanceProfileName=f"{ctx.fabric}-nodes")


def test_iam_role_create_twice_adopts_and_foreign_name_is_refused(ctx: AwsContext) -> None:
    first = make_role(ctx, "cluster", "eks.amazonaws.com", [])
    second = make_role(ctx, "cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
    assert first.id == second.id
    assert discovered(ctx, "iam_role")["cluster"].props["managed_policies"] == (
        POLICY + "AmazonEKSClusterPolicy",
    )
    ctx.client("iam").create_role(
        RoleName=f"weft-{ctx.fabric}-other", AssumeRolePolicyDocument="{}"
    )
    try:
        with pytest.raises(PermanentError, match="already exists and is not this fabric's"):
            make_role(ctx, "other", "eks.amazonaws.com", [])
    finally:
        ctx.client("iam").delete_role(RoleName=f"weft-{ctx.fabric}-other")


def test_roles_of_other_fabrics_are_not_reported(moto_url: str, ctx: AwsContext) -> None:
    make_role(ctx, "cluster", "eks.amazonaws.com", [])
    other = make_ctx(moto_url, ctx.fabric + "x")
    assert discovered(other, "iam_role") == {}


def test_oidc_provider_lifecycle(ctx: AwsContext) -> None:
    url = f"https://oidc.eks.{REGION}.amazonaws.com/id/{uuid.uuid4().hex.upper()}"
    gone = lifecycle(
        ctx,
        "oidc_provider",
        "cluster",
        {"url": url, "client_ids": ["sts.amazonaws.com"], "thumbprints": [EKS_OIDC_THUMBPRINT]},
        {
            "client_ids": ["sts.amazonaws.com", "other"],
            "thumbprints": ["a" * 40],
            "tags": {"x": "y"},
        },
    )
    assert gone.id == gone.outputs["arn"]
    assert gone.id.endswith(url.removeprefix("https://"))


def test_eks_cluster_lifecycle(ctx: AwsContext) -> None:
    from cryptography import x509

    key = ctx.client("kms").create_key()["KeyMetadata"]["Arn"]
    role = make_role(ctx, "cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
    net = make_network(ctx)
    reports: list[str] = []
    gone = lifecycle(
        ctx.with_reporter(reports.append),
        "eks_cluster",
        "main",
        cluster_props(ctx, role, net, encryption_key_arn=key),
        {
            "version": CLUSTER_VERSION,
            "endpoint_private": True,
            "public_access_cidrs": ["203.0.113.0/24"],
            "logging": ["audit", "scheduler"],
            "tags": {"team": "platform"},
        },
    )
    out = gone.outputs
    assert gone.id == ctx.fabric
    assert out["arn"].endswith(f":cluster/{ctx.fabric}")
    assert out["endpoint"].startswith("https://")
    assert out["oidc_issuer"] == "https://" + out["oidc_issuer_host"]
    assert out["cluster_security_group_id"].startswith("sg-")
    x509.load_pem_x509_certificate(base64.b64decode(out["ca_data"]))
    assert gone.props["encryption_key_arn"] == key


def test_eks_cluster_public_off_reports_no_cidrs(ctx: AwsContext) -> None:
    cluster, _net, _role = make_cluster(
        ctx, endpoint_public=False, endpoint_private=True, public_access_cidrs=[]
    )
    assert discovered(ctx, "eks_cluster")["main"].props["public_access_cidrs"] == ()
    assert cluster.props["public_access_cidrs"] == ()


def test_eks_cluster_upgrades_one_minor_version_at_a_time(ctx: AwsContext) -> None:
    cluster, _net, _role = make_cluster(ctx)
    driver = DRIVERS["eks_cluster"]
    minor = int(PREVIOUS_VERSION.split(".")[1])
    skip = {**thaw(cluster.props), "version": f"1.{minor + 2}"}
    with pytest.raises(PermanentError, match="EKS upgrades one minor version at a time"):
        driver.update(ctx, Resource("eks_cluster", "main", skip), skip, cluster, {"version"})
    down = {**thaw(cluster.props), "version": f"1.{minor - 1}"}
    with pytest.raises(PermanentError, match="cannot downgrade"):
        driver.update(ctx, Resource("eks_cluster", "main", down), down, cluster, {"version"})
    assert discovered(ctx, "eks_cluster")["main"].props["version"] == PREVIOUS_VERSION


def test_eks_cluster_create_retried_adopts_and_foreign_name_is_refused(ctx: AwsContext) -> None:
    first, net, role = make_cluster(ctx)
    resource, props = desired(ctx, "eks_cluster", "main", **cluster_props(ctx, role, net))
    props["logging"] = ["api"]
    again = DRIVERS["eks_cluster"].create(ctx, resource, props)
    assert again.id == first.id
    assert discovered(ctx, "eks_cluster")["main"].props["logging"] == ("api",)

    stranger = make_ctx(ctx.session.endpoint_url or "", ctx.fabric + "x")
    res2, props2 = desired(stranger, "eks_cluster", "main", **cluster_props(ctx, role, net))
    with pytest.raises(PermanentError, match="already exists and is not this fabric's"):
        DRIVERS["eks_cluster"].create(stranger, res2, props2)


def nodegroup_props(cluster: Observed, role: Observed, net: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster_name": cluster.id,
        "nodegroup_name": "general-abc123",
        "node_role_arn": role.outputs["arn"],
        "subnet_ids": net["subnets"],
        "instance_types": ["t3.large", "t3a.large"],
        "ami_type": "AL2023_x86_64_STANDARD",
        "capacity_type": "SPOT",
        "disk_size": 50,
        "scaling": {"min": 1, "max": 4, "desired": 2},
        "labels": {"tier": "general", "old": "x"},
        "taints": [
            {"key": "dedicated", "value": "batch", "effect": "NoSchedule"},
            {"key": "spot", "value": "", "effect": "PreferNoSchedule"},
        ],
    }


def test_eks_nodegroup_lifecycle(ctx: AwsContext) -> None:
    cluster, net, _role = make_cluster(ctx)
    nodes = make_role(ctx, "nodes", "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy"])
    gone = lifecycle(
        ctx,
        "eks_nodegroup",
        "general",
        nodegroup_props(cluster, nodes, net),
        {
            "scaling": {"min": 2, "max": 6, "desired": 3},
            "labels": {"tier": "general", "new": "y"},
            "taints": [
                {"key": "dedicated", "value": "web", "effect": "NoSchedule"},
                {"key": "other", "value": "1", "effect": "NoExecute"},
            ],
            "tags": {"team": "a"},
        },
    )
    assert gone.outputs["status"] == "ACTIVE"
    assert gone.outputs["arn"].startswith("arn:aws:eks:")


def test_eks_nodegroup_taints_use_aws_spelling_in_the_cloud(ctx: AwsContext) -> None:
    cluster, net, _role = make_cluster(ctx)
    nodes = make_role(ctx, "nodes", "ec2.amazonaws.com", [])
    resource, props = desired(
        ctx, "eks_nodegroup", "general", **nodegroup_props(cluster, nodes, net)
    )
    DRIVERS["eks_nodegroup"].create(ctx, resource, props)
    ng = ctx.client("eks").describe_nodegroup(
        clusterName=cluster.id, nodegroupName="general-abc123"
    )
    taints = {t["key"]: t for t in ng["nodegroup"]["taints"]}
    assert taints["dedicated"] == {"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}
    assert taints["spot"] == {"key": "spot", "effect": "PREFER_NO_SCHEDULE"}
    assert ng["nodegroup"]["version"] == PREVIOUS_VERSION  # the cluster's (moto alone: 1.19)


def test_eks_nodegroup_runs_the_ami_type_of_its_instance_types(ctx: AwsContext) -> None:
    """A Graviton group is created with its arm64 AMI type; without one, EKS (and the local
    cloud) refuses it, and the error names the node group."""
    cluster, net, _role = make_cluster(ctx)
    nodes = make_role(ctx, "nodes", "ec2.amazonaws.com", [])
    graviton = {
        **nodegroup_props(cluster, nodes, net),
        "nodegroup_name": "arm-abc123",
        "instance_types": ["m7g.large", "t4g.large"],
        "ami_type": "AL2023_ARM_64_STANDARD",
    }
    made = DRIVERS["eks_nodegroup"].create(ctx, *desired(ctx, "eks_nodegroup", "arm", **graviton))
    assert made.props["ami_type"] == "AL2023_ARM_64_STANDARD"
    assert discovered(ctx, "eks_nodegroup")["arm"].props["ami_type"] == "AL2023_ARM_64_STANDARD"

    unset = {**graviton, "nodegroup_name": "arm-def456", "ami_type": None}
    with pytest.raises(ClientError) as refused:
        DRIVERS["eks_nodegroup"].create(ctx, *desired(ctx, "eks_nodegroup", "arm2", **unset))
    error = errors.translate(refused.value, address="eks_nodegroup.arm2", action="create")
    assert isinstance(error, PermanentError)  # retrying cannot help
    assert "eks_nodegroup.arm2" in str(error)
    assert "[m7g.large, t4g.large] is not a valid instance type for requested amiType " in str(
        error
    )


def test_eks_nodegroup_replacement_stands_next_to_the_old_one(ctx: AwsContext) -> None:
    cluster, net, _role = make_cluster(ctx)
    nodes = make_role(ctx, "nodes", "ec2.amazonaws.com", [])
    driver = DRIVERS["eks_nodegroup"]
    resource, props = desired(
        ctx, "eks_nodegroup", "general", **nodegroup_props(cluster, nodes, net)
    )
    old = driver.create(ctx, resource, props)
    newer = {**props, "nodegroup_name": "general-def456", "instance_types": ["m6i.large"]}
    new = driver.create(ctx, Resource("eks_nodegroup", "general", newer), newer)
    assert {o.id for o in driver.discover(ctx)} == {old.id, new.id}
    driver.delete(ctx, old)
    assert [o.id for o in driver.discover(ctx)] == [new.id]


def test_eks_fargate_profile_lifecycle(ctx: AwsContext) -> None:
    cluster, net, _role = make_cluster(ctx)
    pods = make_role(ctx, "fargate", "eks-fargate-pods.amazonaws.com", [])
    lifecycle(
        ctx,
        "eks_fargate_profile",
        "batch",
        {
            "cluster_name": cluster.id,
            "profile_name": "batch",
            "pod_execution_role_arn": pods.outputs["arn"],
            "subnet_ids": net["subnets"],
            "selectors": [
                {"namespace": "batch", "labels": {"fargate": "yes"}},
                {"namespace": "jobs", "labels": {}},
            ],
        },
        {"tags": {"team": "b"}},
    )


def addon_props(cluster: Observed, version: str | None, role: str | None = None) -> dict[str, Any]:
    return {
        "cluster_name": cluster.id,
        "addon_name": "aws-ebs-csi-driver",
        "addon_version": version,
        "service_account_role_arn": role,
    }


def test_eks_addon_lifecycle(ctx: AwsContext) -> None:
    cluster, _net, _role = make_cluster(ctx)
    csi = make_role(ctx, "ebs-csi", "eks.amazonaws.com", [])
    gone = lifecycle(
        ctx,
        "eks_addon",
        "aws-ebs-csi-driver",
        addon_props(cluster, None, csi.outputs["arn"]),
        {"addon_version": "v1.37.0-eksbuild.1", "tags": {"x": "1"}},
    )
    assert gone.outputs["version"] == "v1.37.0-eksbuild.1"
    assert VERSION_TAG not in gone.props["tags"]


def test_eks_addon_default_version_follows_the_cluster(ctx: AwsContext) -> None:
    cluster, _net, _role = make_cluster(ctx)
    driver = DRIVERS["eks_addon"]
    resource, props = desired(
        ctx, "eks_addon", "kube-proxy", **{**addon_props(cluster, None), "addon_name": "kube-proxy"}
    )
    created = driver.create(ctx, resource, props)
    assert created.props["addon_version"] is None
    before = catalogue.default_version("kube-proxy", PREVIOUS_VERSION)
    after = catalogue.default_version("kube-proxy", CLUSTER_VERSION)
    assert created.outputs["version"] == before
    assert diffs("eks_addon", props, discovered(ctx, "eks_addon")["kube-proxy"]) == []

    # the cluster moves up a version: the add-on is no longer on the default, and the update
    # fixes it
    ctx.client("eks").update_cluster_version(name=cluster.id, version=CLUSTER_VERSION)
    found = discovered(ctx, "eks_addon")["kube-proxy"]
    assert found.props["addon_version"] == before
    assert diffs("eks_addon", props, found) == ["addon_version"]
    updated = driver.update(ctx, resource, props, found, {"addon_version"})
    assert updated.outputs["version"] == after
    assert diffs("eks_addon", props, discovered(ctx, "eks_addon")["kube-proxy"]) == []


def test_eks_addon_pinned_to_the_default_diffs_equal(ctx: AwsContext) -> None:
    cluster, _net, _role = make_cluster(ctx)
    resource, props = desired(ctx, "eks_addon", "aws-ebs-csi-driver", **addon_props(cluster, None))
    DRIVERS["eks_addon"].create(ctx, resource, props)
    pinned = {**props, "addon_version": "v1.38.1-eksbuild.1"}  # the default, now pinned
    found = discovered(ctx, "eks_addon")["aws-ebs-csi-driver"]
    assert diffs("eks_addon", pinned, found) == ["addon_version"]
    DRIVERS["eks_addon"].update(ctx, resource, pinned, found, {"addon_version"})
    found = discovered(ctx, "eks_addon")["aws-ebs-csi-driver"]
    assert diffs("eks_addon", pinned, found) == []
    assert found.props["addon_version"] == "v1.38.1-eksbuild.1"


def test_eks_addon_role_removed_by_adding_it_again(ctx: AwsContext) -> None:
    cluster, _net, _role = make_cluster(ctx)
    csi = make_role(ctx, "ebs-csi", "eks.amazonaws.com", [])
    driver = DRIVERS["eks_addon"]
    resource, props = desired(
        ctx, "eks_addon", "aws-ebs-csi-driver", **addon_props(cluster, None, csi.outputs["arn"])
    )
    driver.create(ctx, resource, props)
    without = {**props, "service_account_role_arn": None}
    found = discovered(ctx, "eks_addon")["aws-ebs-csi-driver"]
    driver.update(ctx, resource, without, found, {"service_account_role_arn"})
    assert diffs("eks_addon", without, discovered(ctx, "eks_addon")["aws-ebs-csi-driver"]) == []


def test_eks_addon_made_outside_weft_is_taken_over(ctx: AwsContext) -> None:
    cluster, _net, _role = make_cluster(ctx)
    default = catalogue.default_version("coredns", PREVIOUS_VERSION)
    offered = catalogue.addon_info("coredns", PREVIOUS_VERSION)["addonVersions"]
    older = next(v["addonVersion"] for v in offered if v["addonVersion"] != default)
    ctx.client("eks").create_addon(clusterName=cluster.id, addonName="coredns", addonVersion=older)
    resource, props = desired(
        ctx, "eks_addon", "coredns", **{**addon_props(cluster, None), "addon_name": "coredns"}
    )
    DRIVERS["eks_addon"].create(ctx, resource, props)
    found = discovered(ctx, "eks_addon")["coredns"]
    assert diffs("eks_addon", props, found) == []
    assert found.outputs["version"] == default


def test_inventory_orders_eks_teardown(moto_url: str, ctx: AwsContext) -> None:
    cluster, net, _role = make_cluster(ctx)
    nodes = make_role(ctx, "nodes", "ec2.amazonaws.com", [])
    DRIVERS["eks_nodegroup"].create(
        ctx, *desired(ctx, "eks_nodegroup", "general", **nodegroup_props(cluster, nodes, net))
    )
    issuer = cluster.outputs["oidc_issuer"]
    oidc = DRIVERS["oidc_provider"].create(
        ctx,
        *desired(
            ctx,
            "oidc_provider",
            "cluster",
            url=issuer,
            client_ids=["sts.amazonaws.com"],
            thumbprints=[EKS_OIDC_THUMBPRINT],
        ),
    )
    irsa = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc.outputs["arn"]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{cluster.outputs['oidc_issuer_host']}:aud": "sts.amazonaws.com"
                    }
                },
            }
        ],
    }
    DRIVERS["iam_role"].create(
        ctx,
        *desired(
            ctx,
            "iam_role",
            "ebs-csi",
            role_name=f"weft-{ctx.fabric}-ebs-csi",
            path=f"/weft/{ctx.fabric}/",
            assume_role_policy=irsa,
            managed_policies=[],
        ),
    )
    fresh = make_ctx(moto_url, ctx.fabric)
    eks_drivers = {k: DRIVERS[k] for k in EKS_KINDS}
    inv = inventory.discover(fresh, eks_drivers)
    deps = {o.address: set(o.deps) for o in inv}
    assert deps["eks_nodegroup.general"] == {"eks_cluster.main", "iam_role.nodes"}
    assert deps["eks_cluster.main"] == {"iam_role.cluster"}
    assert deps["iam_role.ebs-csi"] == {"oidc_provider.cluster"}
    calls = fresh.session.counter.snapshot()["by_call"]
    # the cluster, node group, Fargate profile and add-on drivers share one read of the clusters
    assert calls["eks:ListClusters"] == 1
    assert calls["eks:DescribeCluster"] == 1
    assert calls["iam:ListRoles"] == 1


def test_cluster_wait_gives_up_on_failed_with_the_health_issues(ctx: AwsContext) -> None:
    failed = {
        "status": "FAILED",
        "health": {"issues": [{"code": "Ec2SubnetNotFound", "message": "x"}]},
    }
    with pytest.raises(PermanentError, match="Ec2SubnetNotFound: x"):
        eks.wait_status(
            ctx,
            "eks_cluster.main",
            "EKS cluster c",
            lambda: failed,
            want="ACTIVE",
            failed=frozenset({"FAILED"}),
            timeout=5,
        )


def test_role_not_yet_assumable_is_temporary_on_create() -> None:
    exc = ClientError(
        {
            "Error": {
                "Code": "InvalidParameterException",
                "Message": "Role with arn: arn:aws:iam::123456789012:role/weft/x/weft-x-cluster, "
                "could not be assumed because it does not exist or the trusted entity is not "
                "correct",
            },
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "CreateCluster",
    )
    created = errors.translate(exc, address="eks_cluster.main", action="create")
    assert isinstance(created, TemporaryError)
    assert not isinstance(
        errors.translate(exc, address="eks_cluster.main", action="update"), TemporaryError
    )
    other = ClientError(
        {"Error": {"Code": "InvalidParameterException", "Message": "Subnets are bad"}},
        "CreateCluster",
    )
    assert not isinstance(errors.translate(other, address=None, action="create"), TemporaryError)


def test_fargate_profile_busy_is_temporary() -> None:
    exc = ClientError(
        {"Error": {"Code": "ResourceInUseException", "Message": "in progress"}},
        "CreateFargateProfile",
    )
    assert isinstance(errors.translate(exc, address=None, action="create"), TemporaryError)
    assert isinstance(errors.translate(exc, address=None, action="delete"), TemporaryError)
