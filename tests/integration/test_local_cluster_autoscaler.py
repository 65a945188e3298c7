"""The Cluster Autoscaler simulator (weft.local.kube.autoscaler_sim) on the local Kubernetes: a
node group of the local EKS grows for pods that wait for room, within its max, only while weft's
rendering of the Cluster Autoscaler is installed and its role may resize the group; idle nodes
go, down to the group's min."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
import pytest
from lightkube import ApiError, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Event, Namespace, Node, Pod

from weft.kube import cluster_autoscaler as cas
from weft.local.kube.control_plane import KubeEndpoint
from weft.model.cluster_autoscaler import autoscaler_policy

from .helpers import CLUSTER_VERSION

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

REGION = "us-east-1"
ADMIN = {"aws_access_key_id": "weft-local", "aws_secret_access_key": "weft-local-secret"}
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def aws(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, **ADMIN)


@pytest.fixture(scope="module")
def kube(kube_api: KubeEndpoint) -> Iterator[Client]:
    client = Client(KubeConfig.from_file(str(kube_api.kubeconfig)), field_manager="weft")
    yield client
    client.close()


def our_nodes(kube: Client, cluster: str) -> list[Any]:
    return [
        n
        for n in kube.list(Node, labels={"weft.local/cluster": cluster})
        if any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))
    ]


@pytest.fixture
def group(kube: Client, clean_cloud: str) -> Iterator[dict[str, Any]]:
    """An EKS cluster with a node group of 1 node (min 1, max 3), its nodes registered."""
    ec2, eks = aws(clean_cloud, "ec2"), aws(clean_cloud, "eks")
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.41.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"), start=1)
    ]
    cluster = f"ca-{uuid.uuid4().hex[:6]}"
    eks.create_cluster(
        name=cluster,
        version=CLUSTER_VERSION,
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": subnets},
    )
    ng = eks.create_nodegroup(
        clusterName=cluster,
        nodegroupName="general",
        nodeRole="arn:aws:iam::123456789012:role/nodes",
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 1},
    )["nodegroup"]
    wait_for("the node group's node", lambda: len(our_nodes(kube, cluster)) == 1)
    namespace = f"ca-{uuid.uuid4().hex[:6]}"
    kube.create(
        from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    )
    yield {
        "cluster": cluster,
        "url": clean_cloud,
        "asg": ng["resources"]["autoScalingGroups"][0]["name"],
        "namespace": namespace,
    }
    with contextlib.suppress(ApiError):
        kube.delete(Namespace, namespace)
    uninstall(kube)


def role(url: str, cluster: str, policy: dict[str, Any]) -> str:
    """The autoscaler's IRSA role for ``cluster`` (its OIDC provider made here)."""
    issuer = aws(url, "eks").describe_cluster(name=cluster)["cluster"]["identity"]["oidc"]["issuer"]
    host = issuer.removeprefix("https://")
    iam = aws(url, "iam")
    provider = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9" * 40]
    )["OpenIDConnectProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": f"system:serviceaccount:{cas.NAMESPACE}:{cas.NAME}",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    name = f"{cluster}-autoscaler"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="autoscaler", PolicyDocument=json.dumps(policy))
    return str(arn)


def install(kube: Client, cluster: str, role_arn: str) -> None:
    """weft's rendering of the autoscaler, applied; its Deployment available."""
    settings = cas.Settings(cluster, REGION, role_arn, CLUSTER_VERSION)
    for obj in cas.objects(settings):
        kube.apply(from_dict(obj), field_manager="weft", force=True)

    def available() -> bool:
        dep = kube.get(Deployment, cas.NAME, namespace=cas.NAMESPACE)
        return bool(dep.status and (dep.status.availableReplicas or 0) >= 1)

    wait_for("the autoscaler's Deployment", available)


def uninstall(kube: Client) -> None:
    settings = cas.Settings("x", REGION, "arn:aws:iam::1:role/x", CLUSTER_VERSION)
    for obj in reversed(cas.objects(settings)):
        with contextlib.suppress(ApiError):
            kube.delete(
                type(from_dict(obj)),
                obj["metadata"]["name"],
                namespace=obj["metadata"].get("namespace"),
            )


def hungry(name: str, replicas: int) -> dict[str, Any]:
    """A Deployment whose pods ask 1 cpu each: three fit a node (3920m allocatable)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "work",
                            "image": "registry.example.com/work:1.0",
                            "resources": {"requests": {"cpu": "1", "memory": "256Mi"}},
                        }
                    ]
                },
            },
        },
    }


def desired(url: str, asg: str) -> int:
    found = aws(url, "autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[asg])
    return int(found["AutoScalingGroups"][0]["DesiredCapacity"])


def events(kube: Client, namespace: str, reason: str) -> list[str]:
    return [e.message or "" for e in kube.list(Event, namespace=namespace) if e.reason == reason]


def pods(kube: Client, namespace: str, phase: str) -> list[Any]:
    return [p for p in kube.list(Pod, namespace=namespace) if p.status and p.status.phase == phase]


def test_pending_pods_grow_the_group_within_max_then_idle_nodes_shrink_it_to_min(
    kube: Client, group: dict[str, Any]
) -> None:
    url, asg, ns, cluster = group["url"], group["asg"], group["namespace"], group["cluster"]
    kube.create(from_dict(hungry("work", 12)), namespace=ns)
    wait_for("pods left unschedulable", lambda: len(pods(kube, ns, "Pending")) >= 9)
    time.sleep(6)  # without the autoscaler nothing grows, as on EKS
    assert desired(url, asg) == 1
    assert events(kube, ns, "TriggeredScaleUp") == []

    install(kube, cluster, role(url, cluster, autoscaler_policy(cluster)))
    wait_for("the group raised to its max", lambda: desired(url, asg) == 3)
    eks = aws(url, "eks")
    described = eks.describe_nodegroup(clusterName=cluster, nodegroupName="general")
    assert described["nodegroup"]["scalingConfig"]["desiredSize"] == 3
    wait_for("three nodes", lambda: len(our_nodes(kube, cluster)) == 3)
    # the autoscaler's own pod takes 100m of the first node: 3 + 3 + 3 run, 3 wait
    wait_for("nine pods running", lambda: len(pods(kube, ns, "Running")) == 9)
    triggered = wait_for("TriggeredScaleUp", lambda: events(kube, ns, "TriggeredScaleUp"))
    assert f"pod triggered scale-up: [{{{asg} 1->3 (max: 3)}}]" in triggered
    refused = wait_for("NotTriggerScaleUp", lambda: events(kube, ns, "NotTriggerScaleUp"))
    assert "pod didn't trigger scale-up: 1 max node group size reached" in refused
    time.sleep(4)
    assert desired(url, asg) == 3  # never past the max
    assert len(pods(kube, ns, "Pending")) == 3

    kube.delete(Deployment, "work", namespace=ns)
    wait_for("the idle nodes removed, down to the min", lambda: desired(url, asg) == 1, 120)
    wait_for("one node", lambda: len(our_nodes(kube, cluster)) == 1, 30)
    scaled_down = [
        e.message
        for e in kube.list(Event, namespace="default")
        if e.reason == "ScaleDown" and e.involvedObject.name.startswith(cluster)
    ]
    assert len(scaled_down) == 2, scaled_down
    time.sleep(4)
    assert desired(url, asg) == 1  # never below the min


def test_a_role_that_may_not_resize_the_group_grows_nothing_and_says_why(
    kube: Client, group: dict[str, Any]
) -> None:
    url, asg, ns, cluster = group["url"], group["asg"], group["namespace"], group["cluster"]
    policy = autoscaler_policy(cluster)
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "ScaleOwnedGroups"]
    install(kube, cluster, role(url, cluster, policy))
    kube.create(from_dict(hungry("work", 6)), namespace=ns)
    warned = wait_for("the autoscaler's warning", lambda: events(kube, ns, "FailedToScaleUpGroup"))
    assert any("AccessDenied" in m and asg in m for m in warned), warned
    # the warning may come before the scheduler has placed the three pods that fit the node
    wait_for("three pods running", lambda: len(pods(kube, ns, "Running")) == 3)
    assert desired(url, asg) == 1
    assert len(pods(kube, ns, "Pending")) == 3


FABRIC = f"""\
name: scalefab
region: us-east-2
provider: local
network: {{cidr: 10.62.0.0/16, zones: 2, nat: single, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 1, max: 3, desired: 1}}
"""


def test_weft_installs_the_autoscaler_for_the_cluster_s_version_and_down_leaves_nothing(
    kube: Client, clean_cloud: str
) -> None:
    from weft.ops.apps import cluster_autoscaler
    from weft.ops.apps.connection import Connection
    from weft.ops.apps.teardown import teardown

    from .helpers import down, target_for, up

    target = target_for(FABRIC)
    assert up(target).ok
    events: list[Any] = []
    conn = Connection(target, events.append)
    try:
        assert cluster_autoscaler.install(conn, timeout=120)
        dep = kube.get(Deployment, cas.NAME, namespace=cas.NAMESPACE)
        (container,) = dep.spec.template.spec.containers
        assert container.image == cas.image_for(CLUSTER_VERSION)
        assert "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled," + (
            "k8s.io/cluster-autoscaler/scalefab"
        ) in (container.args or [])
        sa = conn.kube.get("v1", "ServiceAccount", cas.NAME, cas.NAMESPACE)
        assert sa is not None
        role = conn.inventory().by_address["iam_role.cluster-autoscaler"].outputs["arn"]
        assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role
        assert any(e.app == "cluster-autoscaler" and e.phase == "done" for e in events)
        assert cluster_autoscaler.install(conn, timeout=120)  # again: nothing changes

        report = teardown(conn, ["scalefab"], timeout=60)
        assert report.ok
        assert "Deployment cluster-autoscaler" in " ".join(report.deleted)
        left = [
            (api, kind, name)
            for api, kind, name in [*cas.namespaced(), *cas.cluster_scoped()]
            if conn.kube.get(
                conn.versions.pdb if kind == "PodDisruptionBudget" else api,
                kind,
                name,
                None if (api, kind, name) in cas.cluster_scoped() else cas.NAMESPACE,
            )
            is not None
        ]
        assert left == []
    finally:
        conn.close()
        assert down(target).ok


def test_the_role_resizes_only_groups_tagged_for_its_cluster(
    kube: Client, group: dict[str, Any]
) -> None:
    """The condition of weft's policy is judged against the group's tags, as AWS judges it: the
    same policy written for another cluster may not resize this cluster's group."""
    from botocore.exceptions import ClientError

    from weft.local.moto_irsa import projected_token

    url, asg, cluster = group["url"], group["asg"], group["cluster"]

    def session(policy: dict[str, Any], name: str) -> Any:
        arn = role(url, cluster, policy) if name == "ours" else None
        if arn is None:  # a second role with the same trust
            iam = aws(url, "iam")
            trust = iam.get_role(RoleName=f"{cluster}-autoscaler")["Role"]
            arn = iam.create_role(
                RoleName=f"{cluster}-{name}",
                AssumeRolePolicyDocument=json.dumps(trust["AssumeRolePolicyDocument"]),
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=f"{cluster}-{name}", PolicyName="p", PolicyDocument=json.dumps(policy)
            )
        token = projected_token(
            url, cluster=cluster, region=REGION, namespace=cas.NAMESPACE, service_account=cas.NAME
        )
        creds = aws(url, "sts").assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName=f"test-{name}", WebIdentityToken=token
        )["Credentials"]
        return boto3.client(
            "autoscaling",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    ours = session(autoscaler_policy(cluster), "ours")
    another = session(autoscaler_policy("another-cluster"), "another")
    with pytest.raises(ClientError) as refused:
        another.set_desired_capacity(AutoScalingGroupName=asg, DesiredCapacity=2)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "autoscaling:SetDesiredCapacity" in refused.value.response["Error"]["Message"]
    assert desired(url, asg) == 1
    ours.set_desired_capacity(AutoScalingGroupName=asg, DesiredCapacity=2)
    assert desired(url, asg) == 2
