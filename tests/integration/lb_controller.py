"""Installing the AWS Load Balancer Controller into the local Kubernetes for tests that drive
Services and Ingresses directly: an EKS cluster and its OIDC provider in the local AWS, the
controller's role (weft's rendering of its policy, or another), and weft's rendering of the
chart's objects applied to the API server."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
import uuid
from typing import Any

import boto3
from lightkube import ApiError, Client
from lightkube.codecs import from_dict
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Service

from weft.kube import lb_controller as lbc
from weft.local.kube.lb_sim import CONTROLLER_TTL
from weft.model.lb_controller import controller_policy

ACCOUNT = "123456789012"
ADMIN = {"aws_access_key_id": "weft-local", "aws_secret_access_key": "weft-local-secret"}


def aws(url: str, service: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=region, **ADMIN)


def controller_role(
    url: str, region: str, cluster: str, policy: dict[str, Any] | None = None
) -> str:
    """The controller's IRSA role for ``cluster`` (its OIDC provider made here), with
    ``policy`` (weft's rendering of the controller's by default)."""
    issuer = aws(url, "eks", region).describe_cluster(name=cluster)["cluster"]["identity"]["oidc"][
        "issuer"
    ]
    host = issuer.removeprefix("https://")
    iam = aws(url, "iam", region)
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
                        f"{host}:sub": f"system:serviceaccount:{lbc.NAMESPACE}:{lbc.NAME}",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    name = f"{cluster}-lbc"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="controller",
        PolicyDocument=json.dumps(policy or controller_policy()),
    )
    return str(arn)


def eks_cluster(url: str, region: str, vpc: str) -> str:
    cluster = f"kube-test-{uuid.uuid4().hex[:6]}"
    aws(url, "eks", region).create_cluster(
        name=cluster,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    return cluster


def webhook_address(kube: Client) -> tuple[str, int]:
    svc = kube.get(Service, lbc.WEBHOOK_SERVICE, namespace=lbc.NAMESPACE)
    assert svc.spec is not None and svc.spec.clusterIP and svc.spec.ports
    return svc.spec.clusterIP, svc.spec.ports[0].port


def served_certificate(kube: Client) -> str | None:
    """The PEM certificate served at the webhook Service's ClusterIP, or None."""
    host, port = webhook_address(kube)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=2) as raw,
            ctx.wrap_socket(raw) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except OSError:
        return None
    return ssl.DER_cert_to_PEM_cert(der) if der else None


def install(kube: Client, settings: lbc.Settings, timeout: float = 60.0) -> None:
    """Apply weft's rendering of the controller and wait until its Deployment is available and
    its webhooks are served (the Ingress validator's ``failurePolicy`` is Fail: an Ingress made
    before then is refused, as on a cluster whose webhook endpoints are not there yet)."""
    for obj in lbc.objects(settings, lbc.webhook_tls(None)):
        kube.apply(from_dict(obj), field_manager="weft", force=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dep = kube.get(Deployment, lbc.NAME, namespace=lbc.NAMESPACE)
        if dep.status and (dep.status.availableReplicas or 0) >= 1 and served_certificate(kube):
            return
        time.sleep(0.2)
    raise AssertionError("the controller's Deployment did not become available and serve")


def uninstall(kube: Client) -> None:
    """Delete the controller's objects (what is gone already is skipped)."""
    objs = lbc.objects(
        lbc.Settings("x", "us-east-1", "vpc-x", "arn:aws:iam::1:role/x"), lbc.webhook_tls(None)
    )
    for obj in reversed(objs):
        res = type(from_dict(obj))
        with contextlib.suppress(ApiError):
            kube.delete(res, obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            kube.get(Deployment, lbc.NAME, namespace=lbc.NAMESPACE)
        except ApiError:
            break
        time.sleep(0.2)
    time.sleep(CONTROLLER_TTL + 0.5)  # the simulator's look at the cluster is kept that long
