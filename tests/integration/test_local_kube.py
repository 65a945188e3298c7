"""The local Kubernetes: a genuine kube-apiserver + kube-controller-manager (the version `make kube`
cached: 1.36, or 1.20 as the last resort) on etcd, with the kubelet and load-balancer controller
simulators of weft.local.

Every test works in a namespace of its own. They skip, with the reason, when the binaries are not
built (``make kube``)."""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from lightkube import ApiError, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import Event, Namespace, Node, Pod, Service
from lightkube.resources.networking_v1 import Ingress

from weft.kube.lb_controller import Settings
from weft.local.kube.admin import read_token
from weft.local.kube.control_plane import KubeEndpoint

from . import lb_controller as lbc_helper
from .kube_versions import running_version

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

REGION = "us-east-1"
T = TypeVar("T")


# ------------------------------------------------------------------------------------ helpers
def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.1)
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


def aws(moto_url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def deployment(name: str, image: str, replicas: int = 3, deadline: int = 600) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "progressDeadlineSeconds": deadline,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        }
                    ]
                },
            },
        },
    }


def lb_service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
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


def apply(kube: Client, body: dict[str, Any], namespace: str) -> dict[str, Any]:
    body = {**body, "metadata": {**body["metadata"], "namespace": namespace}}
    obj: Any = kube.apply(from_dict(body), field_manager="weft", force=True)
    return dict(obj.to_dict())


def get(kube: Client, res: Any, name: str, namespace: str | None = None) -> dict[str, Any] | None:
    """The object as a plain dict, or None when it does not exist."""
    try:
        obj = kube.get(res, name, namespace=namespace) if namespace else kube.get(res, name)
    except ApiError as exc:
        if exc.status.code == 404:
            return None
        raise
    return dict(obj.to_dict())


def items(kube: Client, res: Any, namespace: str | None = None, **kw: Any) -> list[dict[str, Any]]:
    found = kube.list(res, namespace=namespace, **kw) if namespace else kube.list(res, **kw)
    return [dict(o.to_dict()) for o in found]


def rollout_done(kube: Client, name: str, namespace: str) -> dict[str, Any] | None:
    dep = get(kube, Deployment, name, namespace)
    assert dep is not None
    status, replicas = dep.get("status") or {}, dep["spec"]["replicas"]
    done = (
        status.get("observedGeneration", 0) >= dep["metadata"]["generation"]
        and status.get("readyReplicas") == replicas
        and status.get("updatedReplicas") == replicas
        and status.get("availableReplicas") == replicas
    )
    return dep if done else None


def lb_hostname(obj: dict[str, Any] | None) -> str | None:
    ingress = (((obj or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ingress[0].get("hostname") if ingress else None


def container_statuses(kube: Client, namespace: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (pod, cs)
        for pod in items(kube, Pod, namespace)
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
    ]


def network(moto_url: str) -> dict[str, Any]:
    """A VPC with two public subnets tagged for load balancers."""
    ec2 = aws(moto_url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for i, zone in enumerate(("us-east-1a", "us-east-1b")):
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=zone)
        subnets.append(sub["Subnet"]["SubnetId"])
    ec2.create_tags(Resources=subnets, Tags=[{"Key": "kubernetes.io/role/elb", "Value": "1"}])
    return {"vpc": vpc, "subnets": subnets}


@pytest.fixture
def cluster_network(kube: Client, moto_url: str) -> Iterator[dict[str, Any]]:
    """An EKS cluster in a VPC with two public subnets tagged for load balancers, and the AWS
    Load Balancer Controller installed for it (weft's rendering, its IRSA role with weft's
    rendering of the controller's policy)."""
    net = network(moto_url)
    cluster = lbc_helper.eks_cluster(moto_url, REGION, net["vpc"])
    role = lbc_helper.controller_role(moto_url, REGION, cluster)
    lbc_helper.install(kube, Settings(cluster, REGION, net["vpc"], role))
    yield {"cluster": cluster, **net}
    lbc_helper.uninstall(kube)


def load_balancer(moto_url: str, dns: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    elbv2 = aws(moto_url, "elbv2")
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        if lb["DNSName"] == dns:
            arn = lb["LoadBalancerArn"]
            tags = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
            return lb, {t["Key"]: t["Value"] for t in tags}
    return None


# -------------------------------------------------------------------------------------- tests
def test_a_genuine_api_server_with_ready_nodes(kube_api: KubeEndpoint, kube: Client) -> None:
    data = json.loads(kube_api.kubeconfig.read_text())
    ca = data["clusters"][0]["cluster"]["certificate-authority-data"]
    ctx = ssl.create_default_context(cadata=base64.b64decode(ca).decode())
    req = urllib.request.Request(
        f"{kube_api.endpoint}/version",
        headers={"Authorization": f"Bearer {read_token(kube_api.kubeconfig)}"},
    )
    with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
        version = json.loads(resp.read())
    running = running_version()
    assert version["gitVersion"] == f"v{running}"
    assert (version["major"], version["minor"]) == tuple(running.split(".")[:2])
    assert kube_api.endpoint.startswith("https://127.0.0.1:")
    # Without the token the API refuses: authentication is real.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{kube_api.endpoint}/api/v1/namespaces", context=ctx, timeout=5)
    assert refused.value.code in (401, 403)
    # the nodes of the local EKS node groups, or three generic ones when there are none
    nodes = items(kube, Node)
    assert nodes
    for node in nodes:
        assert node["metadata"]["labels"]["weft.local/simulated"] == "true"
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True"
        assert node["status"]["nodeInfo"]["kubeletVersion"] == f"v{running}"


def test_server_side_apply_deployment_becomes_ready(kube: Client, namespace: str) -> None:
    started = time.monotonic()
    applied = apply(kube, deployment("web", "nginx:1.25"), namespace)
    assert applied["metadata"]["generation"] == 1
    assert any(f["manager"] == "weft" for f in applied["metadata"]["managedFields"])
    dep = wait_for("3/3 ready", lambda: rollout_done(kube, "web", namespace), timeout=60)
    print(f"\napply -> 3/3 ready: {time.monotonic() - started:.2f}s")
    assert dep["status"]["readyReplicas"] == 3
    sets = items(kube, ReplicaSet, namespace)
    assert len(sets) == 1
    owner = sets[0]["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("Deployment", "web")
    pods = items(kube, Pod, namespace, labels={"app": "web"})
    assert len(pods) == 3
    for pod in pods:
        status = pod["status"]
        assert status["phase"] == "Running"
        assert status["podIP"].startswith("10.244.")
        conditions = {c["type"]: c["status"] for c in status["conditions"]}
        assert conditions["Ready"] == conditions["ContainersReady"] == "True"
        (cs,) = status["containerStatuses"]
        assert cs["ready"] and "running" in cs["state"]
    # round-robin over the three nodes
    assert len({p["spec"]["nodeName"] for p in pods}) == 3

    # A second apply with a new image rolls out a second ReplicaSet.
    apply(kube, deployment("web", "nginx:1.26"), namespace)

    def second_revision() -> dict[str, Any] | None:
        dep = rollout_done(kube, "web", namespace)
        return dep if dep and dep["metadata"]["generation"] == 2 else None

    dep = wait_for("revision 2 ready", second_revision, timeout=60)
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


def test_failing_image_sticks_the_deployment(kube: Client, namespace: str) -> None:
    body = deployment("broken", "registry.local/app:fail-1", replicas=1, deadline=3)
    apply(kube, body, namespace)

    def pull_error() -> str | None:
        for _pod, cs in container_statuses(kube, namespace):
            reason = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
            if reason:
                return str(reason)
        return None

    assert wait_for("ErrImagePull", pull_error) in ("ErrImagePull", "ImagePullBackOff")
    wait_for("ImagePullBackOff", lambda: pull_error() == "ImagePullBackOff", timeout=15)

    def deadline_exceeded() -> bool:
        dep = get(kube, Deployment, "broken", namespace) or {}
        return any(
            c["type"] == "Progressing"
            and c["status"] == "False"
            and c.get("reason") == "ProgressDeadlineExceeded"
            for c in (dep.get("status") or {}).get("conditions") or []
        )

    wait_for("ProgressDeadlineExceeded", deadline_exceeded, timeout=45)
    dep = get(kube, Deployment, "broken", namespace) or {}
    assert not dep["status"].get("readyReplicas")
    reasons = {e.get("reason") for e in items(kube, Event, namespace)}
    assert "Failed" in reasons


def test_crashing_image_crash_loops(kube: Client, namespace: str) -> None:
    apply(kube, deployment("crashy", "app:crash", replicas=1), namespace)

    def restarts() -> int:
        for pod, cs in container_statuses(kube, namespace):
            if ((cs.get("state") or {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff":
                assert cs["lastState"]["terminated"]["exitCode"] == 1
                assert pod["status"]["phase"] == "Running" and not cs["ready"]
                return int(cs["restartCount"])
        return 0

    wait_for("restartCount >= 2", lambda: restarts() >= 2, timeout=20)


def test_unschedulable_pod_is_reported(kube: Client, namespace: str) -> None:
    body = deployment("picky", "nginx:1.25", replicas=1)
    body["spec"]["template"]["spec"]["nodeSelector"] = {"pool": "gpu"}
    apply(kube, body, namespace)

    def unschedulable() -> str | None:
        for pod in items(kube, Pod, namespace):
            for c in (pod.get("status") or {}).get("conditions") or []:
                if c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable":
                    return str(c["message"])
        return None

    message = wait_for("Unschedulable", unschedulable)
    assert "0/3 nodes are available: 3 node(s) didn't match node selector" in message


def test_job_pods_succeed(kube: Client, namespace: str) -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "migrate", "image": "app:1.0"}],
                }
            },
        },
    }
    apply(kube, job, namespace)
    wait_for(
        "Job complete",
        lambda: ((get(kube, Job, "migrate", namespace) or {}).get("status") or {}).get("succeeded"),
        timeout=30,
    )
    (pod,) = items(kube, Pod, namespace)
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"


def test_load_balancer_service_gets_a_real_elbv2_load_balancer(
    kube: Client, namespace: str, moto_url: str, cluster_network: dict[str, Any]
) -> None:
    apply(kube, deployment("shop", "nginx:1.25", replicas=1), namespace)
    apply(kube, lb_service("shop"), namespace)
    dns = wait_for(
        "LB hostname", lambda: lb_hostname(get(kube, Service, "shop", namespace)), timeout=30
    )
    found = load_balancer(moto_url, dns)
    assert found, f"no load balancer {dns} in the local AWS"
    lb, tags = found
    cluster = cluster_network["cluster"]
    assert lb["Type"] == "network"
    assert lb["Scheme"] == "internet-facing"
    assert lb["VpcId"] == cluster_network["vpc"]
    assert lb["LoadBalancerName"].startswith(f"k8s-{namespace.replace('-', '')[:8]}-shop-")
    assert tags["elbv2.k8s.aws/cluster"] == cluster
    assert tags["service.k8s.aws/stack"] == f"{namespace}/shop"
    assert tags["service.k8s.aws/resource"] == "LoadBalancer"
    assert tags[f"kubernetes.io/cluster/{cluster}"] == "owned"
    svc = get(kube, Service, "shop", namespace) or {}
    assert "service.k8s.aws/resources" in svc["metadata"]["finalizers"]
    elbv2 = aws(moto_url, "elbv2")
    listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert [li["Port"] for li in listeners] == [80]
    groups = elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    assert len(groups) == 1

    # Deleting the Service deletes the load balancer first (finalizer), then the Service goes.
    kube.delete(Service, "shop", namespace=namespace)
    wait_for("Service gone", lambda: get(kube, Service, "shop", namespace) is None, timeout=30)
    assert load_balancer(moto_url, dns) is None
    remaining = {tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]}
    assert groups[0]["TargetGroupArn"] not in remaining


def test_ingress_gets_an_application_load_balancer_with_https_as_annotated(
    kube: Client, namespace: str, moto_url: str, cluster_network: dict[str, Any]
) -> None:
    cert = aws(moto_url, "acm").request_certificate(DomainName="site.example.com")
    arn = cert["CertificateArn"]
    alb = "alb.ingress.kubernetes.io/"
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "site",
            "annotations": {
                alb + "scheme": "internet-facing",
                alb + "target-type": "ip",
                alb + "certificate-arn": arn,
                alb + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                alb + "ssl-redirect": "443",
                alb + "ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                alb + "healthcheck-path": "/healthz",
            },
        },
        "spec": {
            "ingressClassName": "alb",
            "rules": [
                {
                    "host": "site.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "site", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
    apply(kube, ingress, namespace)
    dns = wait_for(
        "ALB hostname", lambda: lb_hostname(get(kube, Ingress, "site", namespace)), timeout=30
    )
    found = load_balancer(moto_url, dns)
    assert found
    lb, tags = found
    cluster = cluster_network["cluster"]
    assert lb["Type"] == "application"
    assert lb["VpcId"] == cluster_network["vpc"]
    assert tags["ingress.k8s.aws/stack"] == f"{namespace}/site"
    assert tags["ingress.k8s.aws/resource"] == "LoadBalancer"
    assert tags["elbv2.k8s.aws/cluster"] == cluster
    elbv2 = aws(moto_url, "elbv2")
    listeners = {
        li["Port"]: li
        for li in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    }
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert [c["CertificateArn"] for c in https["Certificates"]] == [arn]
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert redirect["RedirectConfig"]["Port"] == "443"
    rules = elbv2.describe_rules(ListenerArn=https["ListenerArn"])["Rules"]
    forward = [a for r in rules for a in r["Actions"] if a["Type"] == "forward"]
    assert len(forward) == 1
    group = elbv2.describe_target_groups(TargetGroupArns=[forward[0]["TargetGroupArn"]])[
        "TargetGroups"
    ][0]
    assert group["HealthCheckPath"] == "/healthz" and group["TargetType"] == "ip"
    ec2 = aws(moto_url, "ec2")
    groups = ec2.describe_security_groups(GroupIds=lb["SecurityGroups"])["SecurityGroups"]
    sg_tags = {t["Key"]: t["Value"] for t in groups[0]["Tags"]}
    assert sg_tags["elbv2.k8s.aws/cluster"] == cluster
    assert sg_tags["ingress.k8s.aws/resource"] == "ManagedLBSecurityGroup"
    assert {p["FromPort"] for p in groups[0]["IpPermissions"]} == {80, 443}

    kube.delete(Ingress, "site", namespace=namespace)
    wait_for("ALB deleted", lambda: load_balancer(moto_url, dns) is None, timeout=30)
    wait_for(
        "its security group deleted",
        lambda: (
            not ec2.describe_security_groups(
                Filters=[{"Name": "tag:elbv2.k8s.aws/cluster", "Values": [cluster]}]
            )["SecurityGroups"]
        ),
        timeout=30,
    )
    wait_for("Ingress gone", lambda: get(kube, Ingress, "site", namespace) is None, timeout=30)


def grouped_ingress(name: str, group: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "annotations": {
                "alb.ingress.kubernetes.io/scheme": "internet-facing",
                "alb.ingress.kubernetes.io/group.name": group,
            },
        },
        "spec": {
            "ingressClassName": "alb",
            "rules": [
                {
                    "host": f"{name}.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": name, "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def test_an_ingress_leaving_its_group_takes_its_routes_and_leaves_the_load_balancer(
    kube: Client, namespace: str, moto_url: str, cluster_network: dict[str, Any]
) -> None:
    group = f"g{uuid.uuid4().hex[:6]}"
    for name in ("front", "back"):
        apply(kube, grouped_ingress(name, group), namespace)
    dns = {
        name: wait_for(
            f"{name}'s hostname", lambda n=name: lb_hostname(get(kube, Ingress, n, namespace))
        )
        for name in ("front", "back")
    }
    assert dns["front"] == dns["back"]  # one ALB for the group
    found = load_balancer(moto_url, dns["front"])
    assert found
    elbv2 = aws(moto_url, "elbv2")
    arn = found[0]["LoadBalancerArn"]

    def forwarded() -> set[str]:
        (listener,) = elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
        rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        targets = [
            a["TargetGroupArn"] for r in rules for a in r["Actions"] if a["Type"] == "forward"
        ]
        groups = (
            elbv2.describe_target_groups(TargetGroupArns=targets)["TargetGroups"] if targets else []
        )
        return {g["TargetGroupName"] for g in groups}

    wait_for("two routes", lambda: len(forwarded()) == 2)
    before = forwarded()
    kube.delete(Ingress, "front", namespace=namespace)
    wait_for("front gone", lambda: get(kube, Ingress, "front", namespace) is None)
    after = forwarded()
    assert len(after) == 1 and after < before
    (left,) = before - after
    remaining = {g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert left not in remaining  # its target group went with its route
    assert load_balancer(moto_url, dns["back"])  # the group's ALB stays for back
    kube.delete(Ingress, "back", namespace=namespace)
    wait_for("ALB deleted", lambda: load_balancer(moto_url, dns["back"]) is None)


def stack_load_balancers(moto_url: str, stack: str) -> list[str]:
    """The load balancers tagged with a Service's stack."""
    elbv2 = aws(moto_url, "elbv2")
    arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    tags = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"] if arns else []
    return [
        t["ResourceArn"]
        for t in tags
        if {"Key": "service.k8s.aws/stack", "Value": stack} in t["Tags"]
    ]


def controller_events(kube: Client, namespace: str, name: str) -> list[dict[str, Any]]:
    return [
        e
        for e in items(kube, Event, namespace)
        if e["involvedObject"]["name"] == name
        and (e.get("source") or {}).get("component") == "aws-load-balancer-controller"
    ]


def test_without_the_controller_nothing_answers_as_on_eks(
    kube: Client, namespace: str, moto_url: str
) -> None:
    """No controller in the cluster: no load balancer, no finalizer, no event at all."""
    lbc_helper.uninstall(kube)
    network(moto_url)
    apply(kube, lb_service("lonely"), namespace)
    time.sleep(3)
    svc = get(kube, Service, "lonely", namespace) or {}
    assert lb_hostname(svc) is None
    assert not svc["metadata"].get("finalizers")
    assert controller_events(kube, namespace, "lonely") == []
    assert stack_load_balancers(moto_url, f"{namespace}/lonely") == []


def test_a_controller_whose_role_may_not_create_load_balancers_says_access_denied(
    kube: Client, namespace: str, moto_url: str
) -> None:
    """The controller's calls are authorized by its role's policy: a role that may only
    describe gets AccessDenied, told as the controller's Warning event."""
    net = network(moto_url)
    cluster = lbc_helper.eks_cluster(moto_url, REGION, net["vpc"])
    describe_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ec2:Describe*", "elasticloadbalancing:Describe*"],
                "Resource": "*",
            }
        ],
    }
    role = lbc_helper.controller_role(moto_url, REGION, cluster, describe_only)
    lbc_helper.install(kube, Settings(cluster, REGION, net["vpc"], role))
    try:
        apply(kube, lb_service("denied"), namespace)
        events = wait_for(
            "the controller's warning",
            lambda: [
                e for e in controller_events(kube, namespace, "denied") if e["type"] == "Warning"
            ],
            timeout=30,
        )
        assert events[0]["reason"] == "FailedDeployModel"
        assert "AccessDenied" in events[0]["message"]
        assert "elasticloadbalancing:CreateLoadBalancer" in events[0]["message"]
        assert lb_hostname(get(kube, Service, "denied", namespace)) is None
        assert stack_load_balancers(moto_url, f"{namespace}/denied") == []
        # its finalizer is on: it goes once the controller has seen that no load balancer
        # of its exists (describing is allowed)
        kube.delete(Service, "denied", namespace=namespace)
        wait_for("Service gone", lambda: get(kube, Service, "denied", namespace) is None)
    finally:
        lbc_helper.uninstall(kube)


def test_a_stale_look_at_a_deleted_service_makes_no_load_balancer(
    kube: Client,
    namespace: str,
    moto_url: str,
    local_state_dir: Path,
    cluster_network: dict[str, Any],
) -> None:
    """The resync reconciles what it listed a moment ago: a Service deleted since then (its
    listed copy still carrying the finalizer) must not get a new load balancer."""
    import threading

    from weft.local.kube.lb_sim import LoadBalancerController

    apply(kube, lb_service("stale"), namespace)
    wait_for("LB hostname", lambda: lb_hostname(get(kube, Service, "stale", namespace)))
    stale = get(kube, Service, "stale", namespace) or {}
    assert "service.k8s.aws/resources" in stale["metadata"]["finalizers"]
    kube.delete(Service, "stale", namespace=namespace)
    wait_for("Service gone", lambda: get(kube, Service, "stale", namespace) is None)
    assert stack_load_balancers(moto_url, f"{namespace}/stale") == []
    controller = LoadBalancerController(
        kube, local_state_dir / "local", moto_url, threading.Event()
    )
    controller.reconcile_service({**stale, "kind": "Service", "apiVersion": "v1"})
    assert stack_load_balancers(moto_url, f"{namespace}/stale") == []


def test_namespace_deletion_finalizes_and_removes_its_load_balancers(
    kube: Client, moto_url: str, cluster_network: dict[str, Any]
) -> None:
    name = f"gone-{uuid.uuid4().hex[:6]}"
    kube.create(from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    apply(kube, deployment("api", "nginx:1.25", replicas=2), name)
    apply(kube, lb_service("api"), name)
    wait_for("ready", lambda: rollout_done(kube, "api", name), timeout=60)
    dns = wait_for("LB hostname", lambda: lb_hostname(get(kube, Service, "api", name)), timeout=30)
    assert load_balancer(moto_url, dns)
    started = time.monotonic()
    kube.delete(Namespace, name)
    assert (get(kube, Namespace, name) or {})["status"]["phase"] == "Terminating"
    wait_for("namespace finalized", lambda: get(kube, Namespace, name) is None, timeout=90)
    print(f"\nnamespace deletion: {time.monotonic() - started:.1f}s")
    assert load_balancer(moto_url, dns) is None
    assert not items(kube, Pod, name)


def test_without_the_simulator_the_finalizer_blocks_deletion_as_on_eks(
    kube: Client,
    namespace: str,
    moto_url: str,
    local_state_dir: Path,
    cluster_network: dict[str, Any],
) -> None:
    from weft.local.kube import control_plane

    directory = local_state_dir / "local"
    apply(kube, lb_service("held"), namespace)
    dns = wait_for(
        "LB hostname", lambda: lb_hostname(get(kube, Service, "held", namespace)), timeout=30
    )
    assert control_plane.stop_simulators(directory)
    try:
        kube.delete(Service, "held", namespace=namespace)
        time.sleep(2)
        svc = get(kube, Service, "held", namespace) or {}
        assert svc["metadata"]["deletionTimestamp"]
        assert svc["metadata"]["finalizers"] == ["service.k8s.aws/resources"]
        assert load_balancer(moto_url, dns) is not None
    finally:
        info = control_plane.start_kube(directory, aws_endpoint=moto_url)
        assert info.processes["simulators"].alive
    wait_for("LB deleted after restart", lambda: load_balancer(moto_url, dns) is None, timeout=30)
    wait_for("Service gone", lambda: get(kube, Service, "held", namespace) is None, timeout=30)
