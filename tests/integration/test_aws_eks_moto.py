"""The local cloud's EKS extension (weft.local.moto_eks), called with plain boto3 over HTTP:
the shapes and errors the AWS EKS API reference documents."""

from __future__ import annotations

import base64
import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ROLE = "arn:aws:iam::123456789012:role/weft/test/cluster"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


@pytest.fixture
def eks(moto_url: str) -> Any:
    return client(moto_url, "eks")


@pytest.fixture
def network(moto_url: str) -> dict[str, Any]:
    ec2 = client(moto_url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b"), start=1)
    ]
    return {"vpc": vpc, "subnets": subnets, "ec2": ec2}


@pytest.fixture
def cluster(eks: Any, network: dict[str, Any]) -> Any:
    name = f"c{uuid.uuid4().hex[:10]}"
    eks.create_cluster(
        name=name,
        version="1.30",
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": network["subnets"]},
    )
    yield name
    for ng in eks.list_nodegroups(clusterName=name).get("nodegroups", []):
        eks.delete_nodegroup(clusterName=name, nodegroupName=ng)
    for fp in eks.list_fargate_profiles(clusterName=name).get("fargateProfileNames", []):
        eks.delete_fargate_profile(clusterName=name, fargateProfileName=fp)
    eks.delete_cluster(name=name)


def local_kube_endpoint() -> str | None:
    from weft.local.kube.control_plane import kube_status

    status = kube_status()
    return status.endpoint if status is not None and status.endpoint else None


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


# ----------------------------------------------------------------------------------- clusters


def test_each_cluster_has_its_own_identity_and_a_real_ca(eks: Any, cluster: str) -> None:
    from cryptography import x509

    other = f"c{uuid.uuid4().hex[:10]}"
    eks.create_cluster(name=other, roleArn=ROLE, resourcesVpcConfig={"subnetIds": []})
    try:
        one = eks.describe_cluster(name=cluster)["cluster"]
        two = eks.describe_cluster(name=other)["cluster"]
    finally:
        eks.delete_cluster(name=other)
    assert one["identity"]["oidc"]["issuer"] != two["identity"]["oidc"]["issuer"]
    assert one["identity"]["oidc"]["issuer"].startswith(
        f"https://oidc.eks.{REGION}.amazonaws.com/id/"
    )
    local = local_kube_endpoint()
    if local:  # while the local Kubernetes runs, every cluster is it (see weft.local.moto_eks)
        assert one["endpoint"] == two["endpoint"] == local
    else:
        assert one["endpoint"] != two["endpoint"]
        assert one["endpoint"].endswith(f".{REGION}.eks.amazonaws.com")
    pem = base64.b64decode(one["certificateAuthority"]["data"])
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.subject == cert.issuer  # self-signed CA


def test_cluster_gets_aws_default_vpc_settings_and_a_cluster_group(
    eks: Any, cluster: str, network: dict[str, Any]
) -> None:
    config = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"]
    assert config["vpcId"] == network["vpc"]
    assert config["endpointPublicAccess"] is True
    assert config["endpointPrivateAccess"] is False
    assert config["publicAccessCidrs"] == ["0.0.0.0/0"]
    group = config["clusterSecurityGroupId"]
    found = network["ec2"].describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert found[0]["VpcId"] == network["vpc"]
    eks.delete_cluster(name=cluster)
    with pytest.raises(ClientError):
        network["ec2"].describe_security_groups(GroupIds=[group])
    eks.create_cluster(name=cluster, roleArn=ROLE, resourcesVpcConfig={"subnetIds": []})


def test_update_cluster_version_one_minor_at_a_time(eks: Any, cluster: str) -> None:
    with pytest.raises(ClientError) as skipped:
        eks.update_cluster_version(name=cluster, version="1.32")
    assert code(skipped) == "InvalidParameterException"
    update = eks.update_cluster_version(name=cluster, version="1.31")["update"]
    assert update["type"] == "VersionUpdate"
    assert {"type": "Version", "value": "1.31"} in update["params"]
    described = eks.describe_update(name=cluster, updateId=update["id"])["update"]
    assert described["status"] == "Successful"
    assert eks.describe_cluster(name=cluster)["cluster"]["version"] == "1.31"
    assert eks.list_updates(name=cluster)["updateIds"] == [update["id"]]
    with pytest.raises(ClientError) as missing:
        eks.describe_update(name=cluster, updateId="nope")
    assert code(missing) == "ResourceNotFoundException"


def test_update_cluster_config_answers_an_update_and_merges(eks: Any, cluster: str) -> None:
    update = eks.update_cluster_config(
        name=cluster,
        resourcesVpcConfig={"endpointPrivateAccess": True, "publicAccessCidrs": ["1.2.3.4/32"]},
    )["update"]
    assert update["type"] == "EndpointAccessUpdate"
    assert update["status"] == "Successful"
    logging = eks.update_cluster_config(
        name=cluster, logging={"clusterLogging": [{"types": ["audit"], "enabled": True}]}
    )["update"]
    assert logging["type"] == "LoggingUpdate"
    eks.update_cluster_config(
        name=cluster, logging={"clusterLogging": [{"types": ["api"], "enabled": True}]}
    )
    described = eks.describe_cluster(name=cluster)["cluster"]
    config = described["resourcesVpcConfig"]
    assert config["subnetIds"]  # kept, not replaced
    assert config["endpointPrivateAccess"] is True
    assert config["publicAccessCidrs"] == ["1.2.3.4/32"]
    enabled = [e for e in described["logging"]["clusterLogging"] if e["enabled"]]
    assert enabled == [{"types": ["api", "audit"], "enabled": True}]
    assert eks.describe_update(name=cluster, updateId=logging["id"])["update"]["status"] == (
        "Successful"
    )
    with pytest.raises(ClientError) as both:
        eks.update_cluster_config(
            name=cluster,
            resourcesVpcConfig={"endpointPrivateAccess": False},
            logging={"clusterLogging": [{"types": ["api"], "enabled": False}]},
        )
    assert code(both) == "InvalidParameterException"


def test_delete_cluster_with_fargate_profile_is_refused(eks: Any, cluster: str) -> None:
    eks.create_fargate_profile(
        clusterName=cluster,
        fargateProfileName="default",
        podExecutionRoleArn=ROLE,
        selectors=[{"namespace": "default"}],
    )
    with pytest.raises(ClientError) as refused:
        eks.delete_cluster(name=cluster)
    assert code(refused) == "ResourceInUseException"
    gone = eks.delete_fargate_profile(clusterName=cluster, fargateProfileName="default")
    assert gone["fargateProfile"]["status"] == "DELETING"


# -------------------------------------------------------------------------------- node groups


def test_nodegroup_reports_cluster_version_tags_and_updates(
    eks: Any, cluster: str, network: dict[str, Any]
) -> None:
    ng = eks.create_nodegroup(
        clusterName=cluster,
        nodegroupName="general",
        nodeRole=ROLE,
        subnets=network["subnets"],
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2},
    )["nodegroup"]
    assert ng["version"] == "1.30"
    assert ng["releaseVersion"].startswith("1.30.")
    eks.tag_resource(resourceArn=ng["nodegroupArn"], tags={"team": "a", "x": "1"})
    eks.untag_resource(resourceArn=ng["nodegroupArn"], tagKeys=["x"])
    assert eks.list_tags_for_resource(resourceArn=ng["nodegroupArn"])["tags"] == {"team": "a"}
    update = eks.update_nodegroup_config(
        clusterName=cluster,
        nodegroupName="general",
        scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 1},
    )["update"]
    described = eks.describe_update(name=cluster, updateId=update["id"], nodegroupName="general")
    assert described["update"]["status"] == "Successful"
    assert eks.list_updates(name=cluster, nodegroupName="general")["updateIds"] == [update["id"]]
    assert eks.list_updates(name=cluster)["updateIds"] == []  # cluster updates only
    deleted = eks.delete_nodegroup(clusterName=cluster, nodegroupName="general")
    assert deleted["nodegroup"]["status"] == "DELETING"


def test_an_account_reset_takes_the_node_groups_nodes_away(
    eks: Any, network: dict[str, Any], local_state_dir: Path
) -> None:
    nodes = local_state_dir / "local" / "nodes.json"
    name = f"c{uuid.uuid4().hex[:10]}"
    eks.create_cluster(
        name=name,
        version="1.30",
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": network["subnets"]},
    )
    eks.create_nodegroup(
        clusterName=name,
        nodegroupName="general",
        nodeRole=ROLE,
        subnets=network["subnets"],
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2},
    )
    assert len(json.loads(nodes.read_text())) == 2
    reset = f"{eks.meta.endpoint_url}/moto-api/reset"
    urllib.request.urlopen(urllib.request.Request(reset, method="POST"), timeout=10).close()
    assert not nodes.exists()  # the kubelet simulator goes back to its generic nodes
    assert eks.list_clusters()["clusters"] == []


# ------------------------------------------------------------------------------------ add-ons


@pytest.mark.parametrize("version", ["1.28", "1.31", "1.33"])
def test_addon_versions_have_one_default_each(eks: Any, version: str) -> None:
    addons = eks.describe_addon_versions(kubernetesVersion=version)["addons"]
    assert {a["addonName"] for a in addons} == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "aws-ebs-csi-driver",
    }
    for addon in addons:
        defaults = [
            v["addonVersion"]
            for v in addon["addonVersions"]
            for c in v["compatibilities"]
            if c["clusterVersion"] == version and c["defaultVersion"]
        ]
        assert len(defaults) == 1, addon["addonName"]
    one = eks.describe_addon_versions(kubernetesVersion=version, addonName="kube-proxy")
    assert [a["addonName"] for a in one["addons"]] == ["kube-proxy"]
    assert one["addons"][0]["addonVersions"][0]["addonVersion"].startswith(f"v{version}.")


def test_addon_lifecycle(eks: Any, cluster: str) -> None:
    created = eks.create_addon(
        clusterName=cluster,
        addonName="aws-ebs-csi-driver",
        serviceAccountRoleArn=ROLE,
        resolveConflicts="OVERWRITE",
        tags={"weft:fabric": "x"},
    )["addon"]
    assert created["status"] == "ACTIVE"
    assert created["addonVersion"] == "v1.38.1-eksbuild.1"  # the default
    assert created["addonArn"].startswith(
        f"arn:aws:eks:{REGION}:123456789012:addon/{cluster}/aws-ebs-csi-driver/"
    )
    assert eks.list_addons(clusterName=cluster)["addons"] == ["aws-ebs-csi-driver"]
    with pytest.raises(ClientError) as twice:
        eks.create_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")
    assert code(twice) == "ResourceInUseException"

    update = eks.update_addon(
        clusterName=cluster,
        addonName="aws-ebs-csi-driver",
        addonVersion="v1.37.0-eksbuild.1",
        serviceAccountRoleArn=ROLE + "-2",
        resolveConflicts="OVERWRITE",
    )["update"]
    assert update["type"] == "AddonUpdate"
    found = eks.describe_update(name=cluster, updateId=update["id"], addonName="aws-ebs-csi-driver")
    assert found["update"]["status"] == "Successful"
    addon = eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]
    assert addon["addonVersion"] == "v1.37.0-eksbuild.1"
    assert addon["serviceAccountRoleArn"] == ROLE + "-2"

    eks.tag_resource(resourceArn=addon["addonArn"], tags={"more": "yes"})
    assert eks.list_tags_for_resource(resourceArn=addon["addonArn"])["tags"] == {
        "weft:fabric": "x",
        "more": "yes",
    }
    deleted = eks.delete_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]
    assert deleted["status"] == "DELETING"
    with pytest.raises(ClientError) as gone:
        eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")
    assert code(gone) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"addonName": "not-an-addon"}, "InvalidParameterException"),
        (
            {"addonName": "kube-proxy", "addonVersion": "v1.20.0-eksbuild.1"},
            "InvalidParameterException",
        ),
    ],
)
def test_addon_create_errors(eks: Any, cluster: str, kwargs: dict[str, str], expected: str) -> None:
    with pytest.raises(ClientError) as refused:
        eks.create_addon(clusterName=cluster, **kwargs)
    assert code(refused) == expected


def test_addon_on_missing_cluster(eks: Any) -> None:
    with pytest.raises(ClientError) as missing:
        eks.create_addon(clusterName="no-such-cluster", addonName="coredns")
    assert code(missing) == "ResourceNotFoundException"


# ------------------------------------------------------------------------------------- IAM


def test_oidc_provider_client_ids(moto_url: str) -> None:
    iam = client(moto_url, "iam")
    arn = iam.create_open_id_connect_provider(
        Url=f"https://oidc.example/id/{uuid.uuid4().hex}",
        ClientIDList=["a"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
    )["OpenIDConnectProviderArn"]
    try:
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
        iam.remove_client_id_from_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID="a"
        )
        found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        assert found["ClientIDList"] == ["b"]
    finally:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_update_cluster_config_refuses_subnets_in_a_zone_the_cluster_was_not_created_in(
    eks: Any, cluster: str, network: dict[str, Any]
) -> None:
    """As EKS: subnets added to a cluster must be in the Availability Zones it was created
    with (Amazon EKS User Guide, networking requirements for VPC and subnets)."""
    ec2 = network["ec2"]
    elsewhere = ec2.create_subnet(
        VpcId=network["vpc"], CidrBlock="10.77.3.0/24", AvailabilityZone="us-east-2c"
    )["Subnet"]["SubnetId"]
    same_zone = ec2.create_subnet(
        VpcId=network["vpc"], CidrBlock="10.77.4.0/24", AvailabilityZone="us-east-2a"
    )["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as refused:
        eks.update_cluster_config(
            name=cluster, resourcesVpcConfig={"subnetIds": [*network["subnets"], elsewhere]}
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert elsewhere in error["Message"] and "us-east-2c" in error["Message"]
    before = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"]["subnetIds"]
    assert sorted(before) == sorted(network["subnets"])  # nothing changed

    # a subnet in a zone the cluster was created in is accepted
    update = eks.update_cluster_config(
        name=cluster, resourcesVpcConfig={"subnetIds": [*network["subnets"], same_zone]}
    )["update"]
    assert update["type"] == "VpcConfigUpdate"
    after = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"]["subnetIds"]
    assert same_zone in after
