"""The local cloud's EKS clusters are the local Kubernetes, reached with EKS tokens.

moto reports the local API server as every cluster's endpoint (with its CA), and the API server
checks ``k8s-aws-v1.`` tokens through the webhook the local AWS serves, as EKS does with the
AWS IAM authenticator.
"""

from __future__ import annotations

import base64
import datetime
import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import boto3
import pytest

from weft.aws import eks_token
from weft.kube.client import Kube
from weft.local import eks_auth
from weft.local.kube.control_plane import KubeEndpoint
from weft.ops.target import local_session

from .kube_versions import running_version, served_api_versions

REGION = "us-east-2"
pytestmark = [pytest.mark.integration, pytest.mark.k8s]


def _eks(moto_url: str) -> Any:
    return boto3.client(
        "eks",
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def _cluster(moto_url: str) -> dict[str, Any]:
    name = f"auth-{uuid.uuid4().hex[:6]}"
    eks = _eks(moto_url)
    eks.create_cluster(
        name=name,
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    return dict(eks.describe_cluster(name=name)["cluster"])


def _api_status(endpoint: str, ca_data: str, token: str) -> int:
    import ssl
    import tempfile

    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as ca:
        ca.write(base64.b64decode(ca_data))
        ca.flush()
        context = ssl.create_default_context(cafile=ca.name)
        request = urllib.request.Request(
            f"{endpoint}/api/v1/namespaces", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return exc.code


def test_a_cluster_reports_the_local_api_server(kube_api: KubeEndpoint, moto_url: str) -> None:
    cluster = _cluster(moto_url)
    assert cluster["endpoint"] == kube_api.endpoint
    pem = base64.b64decode(cluster["certificateAuthority"]["data"]).decode()
    assert pem.startswith("-----BEGIN CERTIFICATE-----")


def test_an_eks_token_is_accepted_and_a_forged_one_refused(
    kube_api: KubeEndpoint, moto_url: str
) -> None:
    cluster = _cluster(moto_url)
    session = local_session(REGION, moto_url)
    token = eks_token.get_token(session, cluster["name"])["status"]["token"]
    ca = cluster["certificateAuthority"]["data"]
    assert _api_status(cluster["endpoint"], ca, token) == 200
    # the same URL pointing elsewhere: the webhook never fetches another address
    url = eks_token.url_from_token(token).replace("127.0.0.1", "localhost", 1)
    assert _api_status(cluster["endpoint"], ca, eks_token.token_from_url(url)) == 401
    assert _api_status(cluster["endpoint"], ca, "k8s-aws-v1.bm9wZQ") == 401


def test_the_adapter_talks_to_the_cluster_with_eks_tokens(
    kube_api: KubeEndpoint, moto_url: str
) -> None:
    cluster = _cluster(moto_url)
    session = local_session(REGION, moto_url)
    kube = Kube(
        cluster["endpoint"],
        cluster["certificateAuthority"]["data"],
        lambda: eks_token.get_token(session, cluster["name"])["status"]["token"],
    )
    versions = kube.api_versions()
    # v1 where the server has it (current EKS); the beta versions on 1.20
    assert (versions.cronjob, versions.hpa, versions.pdb, versions.ingress) == (
        served_api_versions(running_version())
    )
    names = {n["metadata"]["name"] for n in kube.list("v1", "Namespace")}
    assert {"default", "kube-system"} <= names
    assert kube.get("v1", "Namespace", f"absent-{uuid.uuid4().hex[:6]}") is None
    kube.close()


def test_expired_and_malformed_tokens_are_refused() -> None:
    now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    base = "http://127.0.0.1:5000"
    good = (
        f"{base}/?Action=GetCallerIdentity&Version=2011-06-15"
        "&X-Amz-Date=20260101T115500Z&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"
    )
    eks_auth.check_url(good, base, now)
    for bad, why in [
        (good.replace("115500Z", "113000Z"), "expired"),
        (good.replace("GetCallerIdentity", "AssumeRole"), "GetCallerIdentity"),
        (good.replace("%3Bx-k8s-aws-id", ""), "x-k8s-aws-id"),
        (good.replace("127.0.0.1:5000", "169.254.169.254"), "local STS"),
    ]:
        with pytest.raises(eks_auth.Refused, match=why):
            eks_auth.check_url(bad, base, now)
    answer = eks_auth.review({"spec": {"token": "Bearer nope"}}, base, now)
    assert answer["status"]["authenticated"] is False
    assert json.dumps(answer)


# ------------------------------------------------------------------- access entries and policies

POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def _role(moto_url: str) -> str:
    iam = boto3.client(
        "iam",
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
        ],
    }
    name = f"team-{uuid.uuid4().hex[:8]}"
    return str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )


def _request(cluster: dict[str, Any], token: str, path: str, body: Any = None) -> int:
    import ssl
    import tempfile

    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as ca:
        ca.write(base64.b64decode(cluster["certificateAuthority"]["data"]))
        ca.flush()
        context = ssl.create_default_context(cafile=ca.name)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{cluster['endpoint']}{path}",
            data=data,
            method="GET" if body is None else "POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return exc.code


def _config_map(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {}}


def test_access_entries_decide_who_gets_in_and_what_they_may_do(
    kube_api: KubeEndpoint, moto_url: str
) -> None:
    """An API-mode cluster: a role with no entry is refused (401); a role viewing one namespace
    reads there only, writes nothing and never reads Secrets; an editor of the cluster writes."""
    name = f"access-{uuid.uuid4().hex[:6]}"
    eks = _eks(moto_url)
    eks.create_cluster(
        name=name,
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": []},
        accessConfig={"authenticationMode": "API"},
    )
    cluster = dict(eks.describe_cluster(name=name)["cluster"])
    viewer, editor, stranger = _role(moto_url), _role(moto_url), _role(moto_url)
    for role, policy, scope in [
        (viewer, "AmazonEKSViewPolicy", {"type": "namespace", "namespaces": ["web"]}),
        (editor, "AmazonEKSEditPolicy", {"type": "cluster"}),
    ]:
        eks.create_access_entry(clusterName=name, principalArn=role)
        eks.associate_access_policy(
            clusterName=name, principalArn=role, policyArn=POLICY + policy, accessScope=scope
        )
    session = local_session(REGION, moto_url)

    def token(role: str) -> str:
        return str(eks_token.get_token(session, name, role_arn=role)["status"]["token"])

    assert _request(cluster, token(stranger), "/api/v1/namespaces/web/pods") == 401
    viewing = token(viewer)
    assert _request(cluster, viewing, "/api/v1/namespaces/web/pods") == 200
    assert _request(cluster, viewing, "/api/v1/namespaces/default/pods") == 403
    assert _request(cluster, viewing, "/api/v1/namespaces/web/secrets") == 403
    assert _request(cluster, viewing, "/api/v1/nodes") == 403
    cm = _config_map(f"v-{uuid.uuid4().hex[:6]}")
    assert _request(cluster, viewing, "/api/v1/namespaces/web/configmaps", cm) == 403
    editing = token(editor)
    made = _config_map(f"e-{uuid.uuid4().hex[:6]}")
    assert _request(cluster, editing, "/api/v1/namespaces/default/configmaps", made) == 201
    assert _request(cluster, editing, "/api/v1/namespaces/default/secrets") == 200
    assert _request(cluster, editing, "/apis/rbac.authorization.k8s.io/v1/clusterroles") == 403
    # the creator (the credentials that made the cluster) is its administrator
    assert (
        _request(cluster, eks_token.get_token(session, name)["status"]["token"], "/api/v1/nodes")
        == 200
    )
