"""The load-balancer controller simulator with its role through EKS Pod Identity: no IRSA
annotation on its ServiceAccount, the role found through the cluster's Pod Identity association
— and credentials only once the ``eks-pod-identity-agent`` add-on runs, as on EKS."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from lightkube import ApiError, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.resources.core_v1 import Event, Namespace, Service

from weft.kube import lb_controller as lbc
from weft.kube.lb_controller import Settings
from weft.local.kube.control_plane import KubeEndpoint
from weft.model.lb_controller import controller_policy

from . import lb_controller as lbc_helper

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

REGION = "us-east-1"
T = TypeVar("T")

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


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 45.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def kube(kube_api: KubeEndpoint) -> Iterator[Client]:
    client = Client(KubeConfig.from_file(str(kube_api.kubeconfig)), field_manager="weft")
    yield client
    client.close()


@pytest.fixture
def namespace(kube: Client) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    kube.create(from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    yield name
    with contextlib.suppress(ApiError):
        kube.delete(Namespace, name)


def _service(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
            },
        },
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"}],
        },
    }


def _hostname(kube: Client, name: str, namespace: str) -> str | None:
    svc = kube.get(Service, name, namespace=namespace).to_dict()
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ingress[0].get("hostname") if ingress else None


def _warnings(kube: Client, namespace: str, name: str) -> list[str]:
    return [
        str(e.message)
        for e in kube.list(Event, namespace=namespace)
        if e.involvedObject.name == name
        and e.source is not None
        and e.source.component == "aws-load-balancer-controller"
        and e.type == "Warning"
    ]


def _network(moto_url: str) -> str:
    ec2 = lbc_helper.aws(moto_url, "ec2", REGION)
    vpc = str(ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"])
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.41.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    ec2.create_tags(Resources=subnets, Tags=[{"Key": "kubernetes.io/role/elb", "Value": "1"}])
    return vpc


def test_the_controller_acts_with_its_pod_identity_role_once_the_agent_runs(
    kube: Client, namespace: str, moto_url: str
) -> None:
    vpc = _network(moto_url)
    cluster = lbc_helper.eks_cluster(moto_url, REGION, vpc)
    eks = lbc_helper.aws(moto_url, "eks", REGION)
    iam = lbc_helper.aws(moto_url, "iam", REGION)
    name = f"{cluster}-lbc"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(POD_TRUST))
    iam.put_role_policy(
        RoleName=name, PolicyName="controller", PolicyDocument=json.dumps(controller_policy())
    )
    eks.create_pod_identity_association(
        clusterName=cluster,
        namespace=lbc.NAMESPACE,
        serviceAccount=lbc.NAME,
        roleArn=role["Role"]["Arn"],
    )
    lbc_helper.install(kube, Settings(cluster, REGION, vpc, ""))
    try:
        kube.apply(from_dict(_service("podid", namespace)), field_manager="weft", force=True)
        # no agent on the cluster: the pod's SDK finds no credentials
        warnings = wait_for("the controller's warning", lambda: _warnings(kube, namespace, "podid"))
        assert "NoCredentialProviders" in warnings[0]
        assert "eks-pod-identity-agent" in warnings[0]
        assert _hostname(kube, "podid", namespace) is None

        eks.create_addon(clusterName=cluster, addonName="eks-pod-identity-agent")
        dns = wait_for("a load balancer", lambda: _hostname(kube, "podid", namespace))
        elbv2 = lbc_helper.aws(moto_url, "elbv2", REGION)
        assert dns in {lb["DNSName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
        kube.delete(Service, "podid", namespace=namespace)
        wait_for(
            "the Service gone",
            lambda: not [s for s in kube.list(Service, namespace=namespace) if s.metadata],
        )
    finally:
        lbc_helper.uninstall(kube)
