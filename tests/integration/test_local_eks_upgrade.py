"""The local cloud's EKS upgrades, called with plain boto3 over HTTP against moto and the local
Kubernetes: UpdateNodegroupVersion replaces a group's nodes and drains the old ones through the
eviction API (a PodDisruptionBudget allowing no disruption fails the update with
PodEvictionFailure, as EKS does), ListInsights / DescribeInsight report upgrade readiness
(including a deprecated API a client called), and CancelUpdate refuses what EKS refuses.

The versions come from the local cloud's own calendar (:mod:`weft.local.moto_eks.versions`)."""

from __future__ import annotations

import base64
import ssl
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from lightkube import Client
from lightkube.codecs import from_dict
from lightkube.config.kubeconfig import KubeConfig
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace, Node

from weft.local.kube.control_plane import KubeEndpoint
from weft.local.moto_eks import versions

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

REGION = "us-east-2"
ROLE = "arn:aws:iam::123456789012:role/weft/test/cluster"


def upgrade_path() -> tuple[str, str]:
    """(a supported version, the next one) of the local calendar as of today."""
    supported = [
        r.version for r in versions.CALENDAR if r.status(versions.today()) != "UNSUPPORTED"
    ]
    return supported[-2], supported[-1]


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


@pytest.fixture
def kube(kube_api: KubeEndpoint) -> Client:
    return Client(KubeConfig.from_file(str(kube_api.kubeconfig)), trust_env=False)


@pytest.fixture
def group(moto_url: str, kube_api: KubeEndpoint, kube: Client) -> Iterator[dict[str, Any]]:
    """A cluster one version behind the newest, with a node group of two nodes registered."""
    yield from make_group(moto_url, kube, 2)


@pytest.fixture
def wide_group(moto_url: str, kube_api: KubeEndpoint, kube: Client) -> Iterator[dict[str, Any]]:
    """As :func:`group`, with four nodes of which half may be unavailable during an update."""
    yield from make_group(moto_url, kube, 4, {"maxUnavailablePercentage": 50})


def make_group(
    moto_url: str, kube: Client, size: int, update_config: dict[str, int] | None = None
) -> Iterator[dict[str, Any]]:
    old, new = upgrade_path()
    ec2, eks = client(moto_url, "ec2"), client(moto_url, "eks")
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.78.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b"), start=1)
    ]
    name = f"up{uuid.uuid4().hex[:8]}"
    eks.create_cluster(
        name=name, version=old, roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets}
    )
    eks.create_nodegroup(
        clusterName=name,
        nodegroupName="general",
        nodeRole=ROLE,
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 8, "desiredSize": size},
        **({"updateConfig": update_config} if update_config else {}),
    )
    wait_for(lambda: len(nodes_of(kube, name)) == size, "the group's nodes to register")
    namespace = f"ns-{name}"
    kube.create(Namespace(metadata={"name": namespace}))  # type: ignore[arg-type]
    yield {"cluster": name, "old": old, "new": new, "eks": eks, "ns": namespace}
    eks.delete_nodegroup(clusterName=name, nodegroupName="general")
    kube.delete(Namespace, namespace)


def wait_for(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def nodes_of(kube: Client, cluster: str) -> list[dict[str, Any]]:
    return [
        n.to_dict()
        for n in kube.list(Node, labels={"weft.local/cluster": cluster})
        if n.metadata is not None and n.metadata.deletionTimestamp is None
    ]


def deploy(kube: Client, namespace: str, cluster: str, replicas: int, min_available: int) -> None:
    labels = {"app": "web"}
    kube.create(
        from_dict(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "nodeSelector": {"weft.local/cluster": cluster},
                            "containers": [{"name": "web", "image": "nginx:1.27"}],
                        },
                    },
                },
            }
        )
    )
    kube.create(
        from_dict(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {"minAvailable": min_available, "selector": {"matchLabels": labels}},
            }
        )
    )
    wait_for(lambda: available(kube, namespace) == replicas, "the app to be available")


def available(kube: Client, namespace: str) -> int:
    status = kube.get(Deployment, "web", namespace=namespace).status
    return int((status.availableReplicas if status else 0) or 0)


def watch_update(
    kube: Client, eks: Any, cluster: str, update_id: str, namespace: str
) -> tuple[dict[str, Any], int]:
    """(the update once it ended, the fewest available replicas seen meanwhile)."""
    lowest = available(kube, namespace)
    deadline = time.monotonic() + 120
    while True:
        update = eks.describe_update(name=cluster, updateId=update_id, nodegroupName="general")
        lowest = min(lowest, available(kube, namespace))
        if update["update"]["status"] != "InProgress":
            return update["update"], lowest
        assert time.monotonic() < deadline, "the node group update did not end"
        time.sleep(0.2)


def test_a_version_update_replaces_the_nodes_and_keeps_the_app_available(
    group: dict[str, Any], kube: Client
) -> None:
    eks, cluster, new = group["eks"], group["cluster"], group["new"]
    deploy(kube, group["ns"], cluster, replicas=2, min_available=1)
    old_nodes = {n["metadata"]["name"] for n in nodes_of(kube, cluster)}
    eks.update_cluster_version(name=cluster, version=new)
    update = eks.update_nodegroup_version(
        clusterName=cluster, nodegroupName="general", version=new
    )["update"]
    assert update["status"] == "InProgress"
    described = eks.describe_nodegroup(clusterName=cluster, nodegroupName="general")
    assert described["nodegroup"]["status"] == "UPDATING"
    with pytest.raises(ClientError) as busy:  # one update of a group at a time
        eks.update_nodegroup_version(clusterName=cluster, nodegroupName="general", version=new)
    assert busy.value.response["Error"]["Code"] == "ResourceInUseException"

    done, lowest = watch_update(kube, eks, cluster, update["id"], group["ns"])
    assert done["status"] == "Successful", done
    assert lowest >= 1  # never below the PodDisruptionBudget
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName="general")["nodegroup"]
    assert (ng["version"], ng["status"]) == (new, "ACTIVE")
    assert ng["releaseVersion"].startswith(f"{new}.")
    wait_for(lambda: not old_nodes & {n["metadata"]["name"] for n in nodes_of(kube, cluster)}, "")
    nodes = nodes_of(kube, cluster)
    assert len(nodes) == 2
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {f"v{new}.0-eks-local"}
    wait_for(lambda: available(kube, group["ns"]) == 2, "the app to be whole again")


def test_a_version_update_drains_at_most_max_unavailable_nodes_at_once(
    wide_group: dict[str, Any], kube: Client
) -> None:
    eks, cluster, new = wide_group["eks"], wide_group["cluster"], wide_group["new"]
    deploy(kube, wide_group["ns"], cluster, replicas=4, min_available=2)
    old_nodes = {n["metadata"]["name"] for n in nodes_of(kube, cluster)}
    eks.update_cluster_version(name=cluster, version=new)
    update = eks.update_nodegroup_version(
        clusterName=cluster, nodegroupName="general", version=new
    )["update"]
    most = 0  # old nodes out of service at once: cordoned, NotReady or gone
    deadline = time.monotonic() + 120
    while True:
        nodes = {n["metadata"]["name"]: n for n in nodes_of(kube, cluster)}
        out = [
            name
            for name in old_nodes
            if name not in nodes
            or nodes[name]["spec"].get("unschedulable")
            or not any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in nodes[name]["status"].get("conditions") or []
            )
        ]
        # a node drained is terminated: it no longer counts once the next takes its place
        draining = [name for name in out if name in nodes]
        most = max(most, len(draining))
        assert len(draining) <= 2, f"{draining} drained at once; maxUnavailable is 2 (50% of 4)"
        status = eks.describe_update(name=cluster, updateId=update["id"], nodegroupName="general")
        if status["update"]["status"] != "InProgress":
            break
        assert time.monotonic() < deadline, "the node group update did not end"
        time.sleep(0.1)
    assert status["update"]["status"] == "Successful", status
    assert most == 2  # two at once, not one after another
    wait_for(lambda: not old_nodes & {n["metadata"]["name"] for n in nodes_of(kube, cluster)}, "")
    wait_for(lambda: available(kube, wide_group["ns"]) == 4, "the app to be whole again")


def test_an_update_without_a_version_replaces_the_nodes_on_the_newest_ami_release(
    group: dict[str, Any], kube: Client
) -> None:
    eks, cluster, old = group["eks"], group["cluster"], group["old"]
    deploy(kube, group["ns"], cluster, replicas=2, min_available=1)
    before = eks.describe_nodegroup(clusterName=cluster, nodegroupName="general")["nodegroup"]
    newest = before["releaseVersion"]  # a group is created on the newest release
    old_nodes = {n["metadata"]["name"] for n in nodes_of(kube, cluster)}
    for wrong in (f"{group['new']}{newest.removeprefix(old)}", f"{old}.0-20000101"):
        with pytest.raises(ClientError) as refused:
            eks.update_nodegroup_version(
                clusterName=cluster, nodegroupName="general", releaseVersion=wrong
            )
        assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
        assert wrong in refused.value.response["Error"]["Message"]
    update = eks.update_nodegroup_version(clusterName=cluster, nodegroupName="general")["update"]
    assert {p["type"]: p["value"] for p in update["params"]} == {
        "Version": old,
        "ReleaseVersion": newest,
    }
    done, lowest = watch_update(kube, eks, cluster, update["id"], group["ns"])
    assert done["status"] == "Successful", done
    assert lowest >= 1
    after = eks.describe_nodegroup(clusterName=cluster, nodegroupName="general")["nodegroup"]
    assert (after["version"], after["releaseVersion"]) == (old, newest)
    wait_for(lambda: not old_nodes & {n["metadata"]["name"] for n in nodes_of(kube, cluster)}, "")
    assert len(nodes_of(kube, cluster)) == 2


def test_a_pdb_allowing_no_disruption_fails_the_update_with_pod_eviction_failure(
    group: dict[str, Any], kube: Client
) -> None:
    eks, cluster, old, new = group["eks"], group["cluster"], group["old"], group["new"]
    deploy(kube, group["ns"], cluster, replicas=1, min_available=1)
    old_nodes = {n["metadata"]["name"] for n in nodes_of(kube, cluster)}
    eks.update_cluster_version(name=cluster, version=new)
    update = eks.update_nodegroup_version(
        clusterName=cluster, nodegroupName="general", version=new
    )["update"]
    done, lowest = watch_update(kube, eks, cluster, update["id"], group["ns"])
    assert done["status"] == "Failed"
    [error] = done["errors"]
    assert error["errorCode"] == "PodEvictionFailure"
    assert "general" in error["errorMessage"]
    assert any(r.startswith(f"{group['ns']}/web-") for r in error["resourceIds"])
    assert lowest == 1
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName="general")["nodegroup"]
    assert (ng["version"], ng["status"]) == (old, "ACTIVE")

    def back_as_before() -> bool:
        nodes = nodes_of(kube, cluster)
        return {n["metadata"]["name"] for n in nodes} == old_nodes and not any(
            n["spec"].get("unschedulable") for n in nodes
        )

    wait_for(back_as_before, "the old nodes, uncordoned, and no new one")


def _call_deprecated_api(kube_api: KubeEndpoint, agent: str) -> None:
    config = KubeConfig.from_file(str(kube_api.kubeconfig)).get()
    cluster = config.cluster
    if cluster.certificate_auth:
        context = ssl.create_default_context(cafile=str(config.abs_file(cluster.certificate_auth)))
    else:
        ca = base64.b64decode(str(cluster.certificate_auth_data)).decode()
        context = ssl.create_default_context(cadata=ca)
    token = config.user.token if config.user else ""
    request = urllib.request.Request(
        f"{kube_api.endpoint}/api/v1/componentstatuses",
        headers={"Authorization": f"Bearer {token}", "User-Agent": agent},
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        assert "deprecated" in str(answer.headers.get("Warning"))


def test_insights_report_skew_add_ons_and_a_deprecated_api_called(
    group: dict[str, Any], kube_api: KubeEndpoint
) -> None:
    eks, cluster, new = group["eks"], group["cluster"], group["new"]
    agent = f"legacy-tool/{uuid.uuid4().hex[:6]}"
    _call_deprecated_api(kube_api, agent)
    eks.create_addon(clusterName=cluster, addonName="kube-proxy")
    eks.update_cluster_version(name=cluster, version=new)  # the group is now behind

    listed = eks.list_insights(clusterName=cluster)["insights"]
    by_name = {i["name"]: i for i in listed}
    assert {i["category"] for i in listed} == {"UPGRADE_READINESS"}
    skew = by_name["Kubelet version skew"]
    assert skew["insightStatus"]["status"] == "WARNING"
    addons = eks.describe_insight(
        clusterName=cluster, id=by_name["EKS add-on version compatibility"]["id"]
    )["insight"]
    # kube-proxy follows Kubernetes: the version made for the old one does not run on the next
    assert addons["insightStatus"]["status"] == "ERROR"
    [detail] = addons["categorySpecificSummary"]["addonCompatibilityDetails"]
    assert detail["name"] == "kube-proxy" and detail["compatibleVersions"]
    deprecated = eks.describe_insight(
        clusterName=cluster, id=by_name["Deprecated APIs in use"]["id"]
    )["insight"]
    assert deprecated["insightStatus"]["status"] == "WARNING"
    usage = {d["usage"]: d for d in deprecated["categorySpecificSummary"]["deprecationDetails"]}
    stats = usage["/api/v1/componentstatuses"]["clientStats"]
    assert [s["numberOfRequestsLast30Days"] for s in stats if s["userAgent"] == agent] == [1]

    only_errors = eks.list_insights(clusterName=cluster, filter={"statuses": ["ERROR"]})
    assert [i["name"] for i in only_errors["insights"]] == ["EKS add-on version compatibility"]
    with pytest.raises(ClientError) as missing:
        eks.describe_insight(clusterName=cluster, id=str(uuid.uuid4()))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_cancel_update_is_refused_as_eks_refuses_it(group: dict[str, Any]) -> None:
    eks, cluster = group["eks"], group["cluster"]
    update = eks.update_cluster_version(name=cluster, version=group["new"])["update"]
    with pytest.raises(ClientError) as refused:
        eks.cancel_update(name=cluster, updateId=update["id"])
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "VersionRollback" in str(refused.value)
    with pytest.raises(ClientError) as missing:
        eks.cancel_update(name=cluster, updateId=str(uuid.uuid4()))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
