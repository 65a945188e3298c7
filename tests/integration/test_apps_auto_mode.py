"""An EKS Auto Mode fabric over its whole life on the local cloud: `up` makes an Auto Mode
cluster, `deploy` installs no load-balancer controller and serves the apps through Auto Mode's
own (its IngressClass, its NLB class), `down` leaves nothing; and an Ingress of Auto Mode's
class on a cluster without Auto Mode is served by nothing."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from lightkube import Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.resources.core_v1 import Event, Namespace
from lightkube.resources.networking_v1 import Ingress, IngressClass

from weft.kube import auto_mode
from weft.kube import lb_controller as lbc
from weft.local.kube.control_plane import KubeEndpoint
from weft.ops import leftovers
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import deploy
from weft.ops.apps.records import lb_hostname
from weft.ops.apps.teardown import teardown as kubernetes_teardown

from .helpers import CLUSTER_VERSION, down, up_delegated
from .test_apps import target_of

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FABRIC = "autofab"
DOMAIN = "auto.example.com"
TEXT = f"""\
name: {FABRIC}
region: us-east-2
provider: local
network: {{cidr: 10.61.0.0/16, zones: 3, nat: single, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", compute: auto, api_cidrs: [203.0.113.0/24]}}
dns: {{domain: {DOMAIN}}}
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 2
    port: 8080
    health: {{path: /healthz}}
    ingress: {{host: www.{DOMAIN}}}
  - name: api
    image: registry.example.com/acme/api
    version: "2.0.0"
    replicas: 1
    port: 9000
    load_balancer: true
"""


def _tags(elbv2: Any, arn: str) -> dict[str, str]:
    (described,) = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return {t["Key"]: t["Value"] for t in described["Tags"]}


def test_an_auto_mode_fabric_is_served_by_eks_own_load_balancer_controller(
    moto_url: str, kube_api: KubeEndpoint
) -> None:
    target = target_of(TEXT)
    assert up_delegated(target, moto_url).ok
    eks = target.session.client("eks")
    cluster = eks.describe_cluster(name=FABRIC)["cluster"]
    assert cluster["computeConfig"]["enabled"] is True
    assert cluster["computeConfig"]["nodePools"] == ["general-purpose", "system"]
    assert cluster["storageConfig"]["blockStorage"]["enabled"] is True
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"]["enabled"] is True
    assert eks.list_addons(clusterName=FABRIC)["addons"] == ["metrics-server"]

    conn = Connection(target)
    try:
        result = deploy(conn, timeout=120, grace=3, lb_timeout=60)
        assert result.ok, result.to_dict()
        # the pods run on nodes Auto Mode launched for them, each an EC2 instance of the cluster
        nodes = conn.kube.list("v1", "Node")
        auto_nodes = [
            n
            for n in nodes
            if n["metadata"]["labels"].get("eks.amazonaws.com/compute-type") == "auto"
        ]
        assert auto_nodes and len(auto_nodes) == len(nodes)
        ec2 = target.session.client("ec2")
        instances = [
            i
            for r in ec2.describe_instances(
                Filters=[
                    {"Name": "tag:eks:eks-cluster-name", "Values": [FABRIC]},
                    {"Name": "instance-state-name", "Values": ["running"]},
                ]
            )["Reservations"]
            for i in r["Instances"]
        ]
        assert {i["InstanceId"] for i in instances} == {n["metadata"]["name"] for n in auto_nodes}
        assert all(i["SubnetId"] in cluster["resourcesVpcConfig"]["subnetIds"] for i in instances)
        pods = conn.kube.list("v1", "Pod", FABRIC)
        assert pods and {p["spec"]["nodeName"] for p in pods} <= {
            i["InstanceId"] for i in instances
        }

        # no controller of weft's: Auto Mode's own serves the apps
        assert conn.kube.get("apps/v1", "Deployment", lbc.NAME, lbc.NAMESPACE) is None
        assert conn.kube.get("networking.k8s.io/v1", "IngressClass", lbc.INGRESS_CLASS) is None
        ing_class = conn.kube.get("networking.k8s.io/v1", "IngressClass", auto_mode.INGRESS_CLASS)
        assert ing_class is not None
        assert ing_class["spec"]["controller"] == "eks.amazonaws.com/alb"
        params = conn.kube.get(
            "eks.amazonaws.com/v1", "IngressClassParams", auto_mode.INGRESS_CLASS
        )
        assert params is not None
        certificate = conn.inventory().by_address["acm_certificate.wildcard"].outputs["arn"]
        assert params["spec"]["certificateARNs"] == [certificate]
        assert params["spec"]["group"] == {"name": FABRIC}
        ingress = conn.kube.get("networking.k8s.io/v1", "Ingress", "web", FABRIC)
        assert ingress is not None
        assert ingress["spec"]["ingressClassName"] == auto_mode.INGRESS_CLASS
        api = conn.kube.get("v1", "Service", "api", FABRIC)
        assert api is not None and api["spec"]["loadBalancerClass"] == "eks.amazonaws.com/nlb"

        # the load balancers, in the cluster's VPC, tagged as the controller tags them
        elbv2 = target.session.client("elbv2")
        web_host = lb_hostname(conn, "Ingress", "web")
        api_host = lb_hostname(conn, "Service", "api")
        assert web_host and api_host
        by_dns = {lb["DNSName"]: lb for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
        alb, nlb = by_dns[web_host], by_dns[api_host]
        assert alb["Type"] == "application" and nlb["Type"] == "network"
        assert alb["Scheme"] == "internet-facing"
        assert alb["VpcId"] == cluster["resourcesVpcConfig"]["vpcId"]
        assert _tags(elbv2, alb["LoadBalancerArn"])["elbv2.k8s.aws/cluster"] == FABRIC
        assert _tags(elbv2, alb["LoadBalancerArn"])["ingress.k8s.aws/stack"] == FABRIC
        listeners = elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
        https = next(lsn for lsn in listeners if lsn["Protocol"] == "HTTPS")
        assert https["Certificates"][0]["CertificateArn"] == certificate
        assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        # and a DNS record for each
        records = {
            o.name: o
            for o in conn.inventory(fresh=True).by_address.values()
            if o.kind == "app_record"
        }
        assert records["web"].props["alias"]["dns_name"] == web_host
        assert records["api"].props["alias"]["dns_name"] == api_host

        assert kubernetes_teardown(conn, [FABRIC], timeout=120).ok
        assert (
            conn.kube.get("networking.k8s.io/v1", "IngressClass", auto_mode.INGRESS_CLASS) is None
        )
        assert elbv2.describe_load_balancers()["LoadBalancers"] == []
        # nothing runs on them any more: Auto Mode retires the idle nodes
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and conn.kube.list("v1", "Node"):
            time.sleep(1)
        assert conn.kube.list("v1", "Node") == []
        states = {
            i["State"]["Name"]
            for r in ec2.describe_instances(InstanceIds=[i["InstanceId"] for i in instances])[
                "Reservations"
            ]
            for i in r["Instances"]
        }
        assert states == {"terminated"}
    finally:
        conn.close()
    gone = down(target)
    assert gone.ok, [
        (r.address, r.status, getattr(r, "error", None))
        for r in gone.result.results.values()
        if r.status not in ("done", "waiting")
    ]
    assert leftovers.find(target) == []


def test_auto_modes_ingress_class_without_auto_mode_is_served_by_nothing(
    kube_api: KubeEndpoint,
) -> None:
    """No Auto Mode cluster in the local cloud: an Ingress of Auto Mode's class gets no load
    balancer, only a Warning that nothing serves it (the AWS Load Balancer Controller, were it
    installed, would not take it either)."""
    kube = Client(KubeConfig.from_file(str(kube_api.kubeconfig)), field_manager="weft")
    ns = f"noauto-{uuid.uuid4().hex[:6]}"
    name = f"auto-{uuid.uuid4().hex[:6]}"
    kube.create(Namespace(metadata={"name": ns}))  # type: ignore[arg-type]
    kube.create(
        from_dict(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": name},
                "spec": {"controller": "eks.amazonaws.com/alb"},
            }
        )
    )
    try:
        kube.create(
            from_dict(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "metadata": {"name": "web", "namespace": ns},
                    "spec": {
                        "ingressClassName": name,
                        "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
                    },
                }
            )
        )
        deadline = time.monotonic() + 30
        warnings: list[str] = []
        while time.monotonic() < deadline and not warnings:
            warnings = [
                str(e.message)
                for e in kube.list(Event, namespace=ns)
                if e.type == "Warning" and e.involvedObject.name == "web"
            ]
            time.sleep(0.5)
        assert warnings, "no Warning event"
        assert "runs only on an EKS Auto Mode cluster" in warnings[0]
        ing = kube.get(Ingress, "web", namespace=ns)
        assert not (ing.status and ing.status.loadBalancer and ing.status.loadBalancer.ingress)
        assert not (ing.metadata and ing.metadata.finalizers)
    finally:
        kube.delete(Namespace, ns)
        kube.delete(IngressClass, name)
