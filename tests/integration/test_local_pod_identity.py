"""EKS Pod Identity associations in the local EKS, as EKS answers them: the calls moto lacks,
with EKS's refusals (names, a role whose trust does not allow ``pods.eks.amazonaws.com``, a
second association of a service account), and credentials for a pod only where the
``eks-pod-identity-agent`` add-on runs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ACCOUNT = "123456789012"

POD_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ],
}


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def _role(iam: Any, trust: dict[str, Any]) -> str:
    name = f"r{uuid.uuid4().hex[:8]}"
    return str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )


@pytest.fixture
def cluster(clean_cloud: str) -> str:
    name = f"c{uuid.uuid4().hex[:8]}"
    _client(clean_cloud, "eks").create_cluster(
        name=name,
        version=CLUSTER_VERSION,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    return name


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_associations_are_made_listed_updated_and_deleted(clean_cloud: str, cluster: str) -> None:
    eks, iam = _client(clean_cloud, "eks"), _client(clean_cloud, "iam")
    role, other = _role(iam, POD_TRUST), _role(iam, POD_TRUST)
    made = eks.create_pod_identity_association(
        clusterName=cluster,
        namespace="kube-system",
        serviceAccount="aws-load-balancer-controller",
        roleArn=role,
        tags={"weft:fabric": "x"},
    )["association"]
    the_id = made["associationId"]
    assert made["roleArn"] == role and made["tags"] == {"weft:fabric": "x"}
    assert made["associationArn"].endswith(f"/{cluster}/{the_id}")
    eks.create_pod_identity_association(
        clusterName=cluster, namespace="web", serviceAccount="api", roleArn=role
    )
    listed = eks.list_pod_identity_associations(clusterName=cluster, namespace="kube-system")
    assert [a["associationId"] for a in listed["associations"]] == [the_id]
    assert len(eks.list_pod_identity_associations(clusterName=cluster)["associations"]) == 2

    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(
            clusterName=cluster,
            namespace="kube-system",
            serviceAccount="aws-load-balancer-controller",
            roleArn=other,
        )
    assert _code(exc) == "ResourceInUseException"
    assert the_id in str(exc.value)

    updated = eks.update_pod_identity_association(
        clusterName=cluster, associationId=the_id, roleArn=other
    )["association"]
    assert updated["roleArn"] == other
    described = eks.describe_pod_identity_association(clusterName=cluster, associationId=the_id)
    assert described["association"]["roleArn"] == other

    eks.delete_pod_identity_association(clusterName=cluster, associationId=the_id)
    with pytest.raises(ClientError) as exc:
        eks.describe_pod_identity_association(clusterName=cluster, associationId=the_id)
    assert _code(exc) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("namespace", "service_account"),
    [("Kube_System", "sa"), ("-web", "sa"), ("web", "API"), ("web", ""), ("x" * 64, "sa")],
)
def test_names_kubernetes_would_not_take_are_refused(
    clean_cloud: str, cluster: str, namespace: str, service_account: str
) -> None:
    eks, iam = _client(clean_cloud, "eks"), _client(clean_cloud, "iam")
    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(
            clusterName=cluster,
            namespace=namespace,
            serviceAccount=service_account,
            roleArn=_role(iam, POD_TRUST),
        )
    assert _code(exc) == "InvalidParameterException"


def test_a_role_that_does_not_trust_pods_eks_is_refused(clean_cloud: str, cluster: str) -> None:
    eks, iam = _client(clean_cloud, "eks"), _client(clean_cloud, "iam")
    no_tag = json.loads(json.dumps(POD_TRUST))
    no_tag["Statement"][0]["Action"] = "sts:AssumeRole"
    irsa_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    for trust in (no_tag, irsa_only):
        with pytest.raises(ClientError) as exc:
            eks.create_pod_identity_association(
                clusterName=cluster,
                namespace="web",
                serviceAccount="api",
                roleArn=_role(iam, trust),
            )
        assert _code(exc) == "InvalidParameterException"
        assert "Trust policy of the role provided is invalid" in str(exc.value)
    missing = f"arn:aws:iam::{ACCOUNT}:role/nobody"
    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(
            clusterName=cluster, namespace="web", serviceAccount="api", roleArn=missing
        )
    assert _code(exc) == "InvalidParameterException"
    good = eks.create_pod_identity_association(
        clusterName=cluster, namespace="web", serviceAccount="api", roleArn=_role(iam, POD_TRUST)
    )["association"]
    with pytest.raises(ClientError) as exc:
        eks.update_pod_identity_association(
            clusterName=cluster, associationId=good["associationId"], roleArn=_role(iam, no_tag)
        )
    assert _code(exc) == "InvalidParameterException"
