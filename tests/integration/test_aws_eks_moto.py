"""The local cloud's EKS extension (weft.local.moto_eks), called with plain boto3 over HTTP:
the shapes and errors the AWS EKS API reference documents."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from weft.local.moto_eks.versions import CALENDAR

from ..local_account import reset_account
from .helpers import CLUSTER_VERSION, PREVIOUS_VERSION

pytestmark = pytest.mark.integration


def next_minor(version: str) -> str:
    return f"1.{int(version.split('.')[1]) + 1}"


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
        version=PREVIOUS_VERSION,
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
        eks.update_cluster_version(name=cluster, version=next_minor(CLUSTER_VERSION))
    assert code(skipped) == "InvalidParameterException"
    update = eks.update_cluster_version(name=cluster, version=CLUSTER_VERSION)["update"]
    assert update["type"] == "VersionUpdate"
    assert {"type": "Version", "value": CLUSTER_VERSION} in update["params"]
    described = eks.describe_update(name=cluster, updateId=update["id"])["update"]
    assert described["status"] == "Successful"
    assert eks.describe_cluster(name=cluster)["cluster"]["version"] == CLUSTER_VERSION
    assert eks.list_updates(name=cluster)["updateIds"] == [update["id"]]
    with pytest.raises(ClientError) as missing:
        eks.describe_update(name=cluster, updateId="nope")
    assert code(missing) == "ResourceNotFoundException"


def test_versions_past_eks_support_are_refused_and_no_version_gets_the_default(
    eks: Any, network: dict[str, Any]
) -> None:
    """Amazon EKS User Guide, "Understand the Kubernetes version lifecycle on EKS": after the end
    of extended support EKS creates no cluster with a version (InvalidParameterException
    "unsupported Kubernetes version 1.NN"), nor one it does not list; CreateCluster without a
    version uses EKS's default one (CreateCluster, Amazon EKS API Reference)."""
    from weft.local.moto_eks.versions import CALENDAR, default_version, today

    on = today()
    past = [r.version for r in CALENDAR if r.status(on) == "UNSUPPORTED"]
    newest = default_version(on)
    assert newest is not None
    beyond = f"1.{int(CALENDAR[-1].version[2:]) + 1}"
    for version in [*past[-1:], beyond]:
        with pytest.raises(ClientError) as refused:
            eks.create_cluster(
                name=f"c{uuid.uuid4().hex[:10]}",
                version=version,
                roleArn=ROLE,
                resourcesVpcConfig={"subnetIds": network["subnets"]},
            )
        assert code(refused) == "InvalidParameterException"
        assert refused.value.response["Error"]["Message"] == (
            f"unsupported Kubernetes version {version}"
        )
    assert not eks.list_clusters()["clusters"]

    name = f"c{uuid.uuid4().hex[:10]}"
    made = eks.create_cluster(
        name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": network["subnets"]}
    )
    assert made["cluster"]["version"] == newest
    if CALENDAR[-1].version == newest:  # the next minor version is not in EKS's calendar yet
        with pytest.raises(ClientError) as refused:
            eks.update_cluster_version(name=name, version=beyond)
        assert code(refused) == "InvalidParameterException"
        assert f"unsupported Kubernetes version {beyond}" in str(refused.value)
        assert eks.describe_cluster(name=name)["cluster"]["version"] == newest
    eks.delete_cluster(name=name)


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


def test_create_cluster_refuses_a_subnet_in_a_zone_eks_does_not_support(moto_url: str) -> None:
    """In the local us-east-1 (as moto maps it), us-east-1e is the zone id use1-az3, where EKS
    places no control plane: CreateCluster answers UnsupportedAvailabilityZoneException."""
    ec2 = boto3.client(
        "ec2",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )
    eks = boto3.client(
        "eks",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )
    zone_ids = {
        z["ZoneName"]: z["ZoneId"] for z in ec2.describe_availability_zones()["AvailabilityZones"]
    }
    assert zone_ids["us-east-1e"] == "use1-az3"
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        zone: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.78.{i}.0/24", AvailabilityZone=zone)[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b", "us-east-1e"), start=1)
    }
    name = f"c{uuid.uuid4().hex[:10]}"
    with pytest.raises(ClientError) as refused:
        eks.create_cluster(
            name=name,
            version=PREVIOUS_VERSION,
            roleArn=ROLE,
            resourcesVpcConfig={"subnetIds": list(subnets.values())},
        )
    assert code(refused) == "UnsupportedAvailabilityZoneException"
    error = refused.value.response
    assert error["Error"]["Message"] == (
        f"Cannot create cluster '{name}' because us-east-1e, the targeted availability zone, "
        "does not currently have sufficient capacity to support the cluster. Retry and choose "
        "from these availability zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, "
        "us-east-1f"
    )
    assert error["validZones"] == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
        "us-east-1d",
        "us-east-1f",
    ]
    assert error["clusterName"] == name
    assert name not in eks.list_clusters()["clusters"]

    # the same VPC without that subnet: created
    eks.create_cluster(
        name=name,
        version=PREVIOUS_VERSION,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": [subnets["us-east-1a"], subnets["us-east-1b"]]},
    )
    eks.delete_cluster(name=name)


def test_a_cluster_with_deletion_protection_cannot_be_deleted(eks: Any, network: Any) -> None:
    """As on AWS: DeleteCluster is refused until the protection is turned off."""
    name = f"c{uuid.uuid4().hex[:10]}"
    eks.create_cluster(
        name=name,
        version=PREVIOUS_VERSION,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": network["subnets"]},
        deletionProtection=True,
    )
    assert eks.describe_cluster(name=name)["cluster"]["deletionProtection"] is True
    with pytest.raises(ClientError) as refused:
        eks.delete_cluster(name=name)
    assert code(refused) == "InvalidRequestException"
    assert "deletion protection" in str(refused.value)
    update = eks.update_cluster_config(name=name, deletionProtection=False)["update"]
    assert update["type"] == "DeletionProtectionUpdate"
    assert eks.describe_cluster(name=name)["cluster"]["deletionProtection"] is False
    assert eks.delete_cluster(name=name)["cluster"]["status"] == "DELETING"


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
    assert ng["version"] == PREVIOUS_VERSION
    assert ng["releaseVersion"].startswith(f"{PREVIOUS_VERSION}.")
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


def test_create_nodegroup_refuses_instance_types_of_another_architecture(
    eks: Any, cluster: str, network: dict[str, Any]
) -> None:
    """EKS defaults amiType to AL2023_x86_64_STANDARD (Kubernetes 1.30 and later) and refuses a
    Graviton type on it, as it does for the node groups eksctl and terraform users report."""
    group = {
        "clusterName": cluster,
        "nodeRole": ROLE,
        "subnets": network["subnets"],
        "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 1},
    }
    with pytest.raises(ClientError) as refused:
        eks.create_nodegroup(nodegroupName="graviton", instanceTypes=["t4g.medium"], **group)
    assert code(refused) == "InvalidParameterException"
    assert refused.value.response["Error"]["Message"] == (
        "[t4g.medium] is not a valid instance type for requested amiType AL2023_x86_64_STANDARD"
    )
    with pytest.raises(ClientError) as refused:
        eks.create_nodegroup(
            nodegroupName="graviton",
            instanceTypes=["m7g.large", "m6i.large"],
            amiType="AL2023_ARM_64_STANDARD",
            **group,
        )
    assert "[m6i.large] is not a valid instance type" in str(refused.value)
    assert eks.list_nodegroups(clusterName=cluster)["nodegroups"] == []

    arm = eks.create_nodegroup(
        nodegroupName="graviton",
        instanceTypes=["t4g.medium", "m7g.large"],
        amiType="AL2023_ARM_64_STANDARD",
        **group,
    )["nodegroup"]
    assert arm["amiType"] == "AL2023_ARM_64_STANDARD"
    plain = eks.create_nodegroup(nodegroupName="plain", instanceTypes=["m6i.large"], **group)
    assert plain["nodegroup"]["amiType"] == "AL2023_x86_64_STANDARD"  # moto alone: AL2_x86_64

    # a launch template with its own AMI: EKS reports CUSTOM and checks no architecture
    template = network["ec2"].create_launch_template(
        LaunchTemplateName=f"{cluster}-custom",
        LaunchTemplateData={"ImageId": "ami-12c6146b"},
    )["LaunchTemplate"]
    custom = eks.create_nodegroup(
        nodegroupName="custom",
        instanceTypes=["t4g.medium"],
        launchTemplate={"id": template["LaunchTemplateId"]},
        **group,
    )["nodegroup"]
    assert custom["amiType"] == "CUSTOM"


def test_an_account_reset_takes_the_node_groups_nodes_away(
    eks: Any, network: dict[str, Any], local_state_dir: Path
) -> None:
    nodes = local_state_dir / "local" / "nodes.json"
    name = f"c{uuid.uuid4().hex[:10]}"
    eks.create_cluster(
        name=name,
        version=PREVIOUS_VERSION,
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
    reset_account(eks.meta.endpoint_url, parent_zones=False)
    assert not nodes.exists()  # the kubelet simulator goes back to its generic nodes
    assert eks.list_clusters()["clusters"] == []


def template(ec2: Any, **data: Any) -> dict[str, Any]:
    """A launch template with ``data`` (a metadata setting when none)."""
    made = ec2.create_launch_template(
        LaunchTemplateName=f"lt-{uuid.uuid4().hex[:10]}",
        LaunchTemplateData=data or {"MetadataOptions": {"HttpTokens": "required"}},
    )["LaunchTemplate"]
    return {"id": made["LaunchTemplateId"], "name": made["LaunchTemplateName"]}


def nodegroup_from(eks: Any, cluster: str, network: dict[str, Any], name: str, **kw: Any) -> Any:
    return eks.create_nodegroup(
        clusterName=cluster,
        nodegroupName=name,
        nodeRole=ROLE,
        subnets=network["subnets"],
        scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 1},
        **kw,
    )["nodegroup"]


def test_nodegroup_runs_a_version_of_its_launch_template(
    eks: Any, cluster: str, network: dict[str, Any]
) -> None:
    ec2 = network["ec2"]
    lt = template(ec2)
    ng = nodegroup_from(eks, cluster, network, "templated", launchTemplate={"id": lt["id"]})
    assert ng["launchTemplate"] == {**lt, "version": "1"}  # the default, when none is named
    assert "diskSize" not in ng  # the template's, not the group's
    ec2.create_launch_template_version(
        LaunchTemplateId=lt["id"], SourceVersion="1", LaunchTemplateData={}
    )
    update = eks.update_nodegroup_version(
        clusterName=cluster,
        nodegroupName="templated",
        launchTemplate={"id": lt["id"], "version": "2"},
    )["update"]
    assert update["type"] == "VersionUpdate"
    assert {"type": "LaunchTemplateVersion", "value": "2"} in update["params"]
    described = eks.describe_nodegroup(clusterName=cluster, nodegroupName="templated")
    assert described["nodegroup"]["launchTemplate"]["version"] == "2"
    done = eks.describe_update(name=cluster, updateId=update["id"], nodegroupName="templated")
    assert done["update"]["status"] == "Successful"

    # another template, or a version that does not exist: refused
    other = template(ec2)
    for spec in ({"id": other["id"], "version": "1"}, {"id": lt["id"], "version": "9"}):
        with pytest.raises(ClientError) as exc:
            eks.update_nodegroup_version(
                clusterName=cluster, nodegroupName="templated", launchTemplate=spec
            )
        assert code(exc) == "InvalidParameterException"


def test_a_group_made_without_a_template_cannot_be_given_one(
    eks: Any, cluster: str, network: dict[str, Any]
) -> None:
    nodegroup_from(eks, cluster, network, "plain")
    lt = template(network["ec2"])
    with pytest.raises(ClientError) as exc:
        eks.update_nodegroup_version(
            clusterName=cluster, nodegroupName="plain", launchTemplate={"id": lt["id"]}
        )
    assert code(exc) == "InvalidParameterException"
    assert "not created with a launch template" in str(exc.value)


@pytest.mark.parametrize(
    "data",
    [
        {"IamInstanceProfile": {"Name": "mine"}},
        {"InstanceInitiatedShutdownBehavior": "terminate"},
        {"HibernationOptions": {"Configured": True}},
        {"NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-12345678"}]},
        {"InstanceType": "m6i.large"},
    ],
    ids=["instance-profile", "shutdown", "hibernation", "subnet", "instance-type"],
)
def test_launch_template_settings_eks_prohibits_are_refused(
    eks: Any, cluster: str, network: dict[str, Any], data: dict[str, Any]
) -> None:
    lt = template(network["ec2"], **data)
    with pytest.raises(ClientError) as exc:
        nodegroup_from(
            eks,
            cluster,
            network,
            "refused",
            launchTemplate={"id": lt["id"]},
            instanceTypes=["m6i.large"],
        )
    assert code(exc) == "InvalidParameterException"
    assert eks.list_nodegroups(clusterName=cluster)["nodegroups"] == []


def test_an_unknown_launch_template_is_refused(
    eks: Any, cluster: str, network: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as exc:
        nodegroup_from(
            eks, cluster, network, "ghost", launchTemplate={"id": "lt-0123456789abcdef0"}
        )
    assert code(exc) == "InvalidParameterException"


def test_launch_template_tags_are_described_as_they_are_now(network: dict[str, Any]) -> None:
    ec2 = network["ec2"]
    lt = template(ec2)
    ec2.create_tags(Resources=[lt["id"]], Tags=[{"Key": "team", "Value": "a"}])
    found = ec2.describe_launch_templates(LaunchTemplateIds=[lt["id"]])["LaunchTemplates"][0]
    assert found["Tags"] == [{"Key": "team", "Value": "a"}]


# --------------------------------------------------------------------------- cluster versions


def test_describe_cluster_versions_serves_the_eks_calendar_as_of_today(eks: Any) -> None:
    from weft.local.moto_eks.versions import CALENDAR, today

    on = today()
    answer = eks.describe_cluster_versions()["clusterVersions"]
    listed = [v["clusterVersion"] for v in answer]
    expected = [r.version for r in reversed(CALENDAR) if r.status(on) != "UNSUPPORTED"]
    assert listed == expected and listed  # newest first; past support: not offered
    for info in answer:
        release = next(r for r in CALENDAR if r.version == info["clusterVersion"])
        assert info["versionStatus"] == release.status(on)
        assert info["endOfStandardSupportDate"].date() == release.end_of_standard
        assert info["endOfExtendedSupportDate"].date() == release.end_of_extended
    defaults = eks.describe_cluster_versions(defaultOnly=True)["clusterVersions"]
    assert [d["versionStatus"] for d in defaults] in (["STANDARD_SUPPORT"], [])
    everything = eks.describe_cluster_versions(includeAll=True)["clusterVersions"]
    oldest = everything[-1]
    first = CALENDAR[0].version
    assert oldest["clusterVersion"] == first and oldest["versionStatus"] == CALENDAR[0].status(on)
    one = eks.describe_cluster_versions(clusterVersions=[first], includeAll=True)
    assert [v["clusterVersion"] for v in one["clusterVersions"]] == [first]


# ------------------------------------------------------------------------------------ add-ons


@pytest.mark.parametrize("version", [CALENDAR[0].version, PREVIOUS_VERSION, CLUSTER_VERSION])
def test_addon_versions_have_one_default_each(eks: Any, version: str) -> None:
    addons = eks.describe_addon_versions(kubernetesVersion=version)["addons"]
    assert {a["addonName"] for a in addons} == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "aws-ebs-csi-driver",
        "metrics-server",  # EKS's community add-ons
        "fluent-bit",
        "eks-pod-identity-agent",
        "amazon-cloudwatch-observability",
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


# ------------------------------------------------------------- nodes as instances of the cloud


def nodes_in(path: Path, cluster: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [n for n in json.loads(path.read_text()) if n["labels"]["weft.local/cluster"] == cluster]


def test_nodes_are_instances_with_the_security_groups_eks_gives_them(
    eks: Any, cluster: str, network: dict[str, Any], local_state_dir: Path
) -> None:
    path = local_state_dir / "local" / "nodes.json"
    ec2 = network["ec2"]
    cluster_group = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"][
        "clusterSecurityGroupId"
    ]
    nodes_group = ec2.create_security_group(
        GroupName=f"nodes-{cluster}", Description="nodes", VpcId=network["vpc"]
    )["GroupId"]

    # without a launch template: the cluster security group only
    nodegroup_from(eks, cluster, network, "plain")
    (plain,) = nodes_in(path, cluster)
    assert plain["security_groups"] == [cluster_group]

    # with a template naming groups: exactly those (EKS adds no cluster group then)
    lt = template(ec2, SecurityGroupIds=[nodes_group])
    nodegroup_from(eks, cluster, network, "templated", launchTemplate={"id": lt["id"]})
    templated = next(n for n in nodes_in(path, cluster) if "templated" in n["name"])
    assert templated["security_groups"] == [nodes_group]

    # what the kubelet simulator registers is the instance, and a pod's address leads to it
    instance_id = templated["provider_id"].rsplit("/", 1)[1]
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]
    instance = described["Instances"][0]
    assert instance["PrivateIpAddress"] == templated["ip"]
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [nodes_group]
    assert instance["SubnetId"] in network["subnets"]
    assert templated["pod_ips"] and templated["ip"] not in templated["pod_ips"]
    holder = ec2.describe_network_interfaces(
        Filters=[{"Name": "addresses.private-ip-address", "Values": [templated["pod_ips"][0]]}]
    )["NetworkInterfaces"]
    assert [[g["GroupId"] for g in eni["Groups"]] for eni in holder] == [[nodes_group]]

    # a template version with other groups: the nodes are recycled onto new instances
    ec2.create_launch_template_version(
        LaunchTemplateId=lt["id"],
        SourceVersion="1",
        LaunchTemplateData={"SecurityGroupIds": [nodes_group, cluster_group]},
    )
    eks.update_nodegroup_version(
        clusterName=cluster,
        nodegroupName="templated",
        launchTemplate={"id": lt["id"], "version": "2"},
    )
    recycled = next(n for n in nodes_in(path, cluster) if "templated" in n["name"])
    assert recycled["security_groups"] == [nodes_group, cluster_group]
    assert recycled["provider_id"] != templated["provider_id"]
    old = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert old["State"]["Name"] == "terminated"

    # a group deleted: its instances go with it
    eks.delete_nodegroup(clusterName=cluster, nodegroupName="templated")
    assert [n["name"] for n in nodes_in(path, cluster)] == [plain["name"]]
    gone = recycled["provider_id"].rsplit("/", 1)[1]
    state = ec2.describe_instances(InstanceIds=[gone])["Reservations"][0]["Instances"][0]
    assert state["State"]["Name"] == "terminated"
    held = ec2.describe_network_interfaces(
        Filters=[{"Name": "addresses.private-ip-address", "Values": [recycled["ip"]]}]
    )["NetworkInterfaces"]
    assert held == []  # its interface went with it


def test_cluster_subnets_change_only_within_the_zones_it_was_created_in(
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

    # and the subnets can be swapped for others within those zones
    update = eks.update_cluster_config(
        name=cluster, resourcesVpcConfig={"subnetIds": [same_zone, network["subnets"][1]]}
    )["update"]
    assert update["type"] == "VpcConfigUpdate"
    config = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"]
    assert sorted(config["subnetIds"]) == sorted([same_zone, network["subnets"][1]])
