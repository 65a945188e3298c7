"""IAM roles for service accounts in the local cloud, as AWS checks them.

A pod's projected token is traded for its role's credentials with AssumeRoleWithWebIdentity only
when STS would: a token signed by the cluster's issuer, an IAM OIDC provider for that issuer
whose client ids hold the token's audience, and a trust policy that allows its ``sub`` and
``aud``. What the credentials may then do is decided by moto's IAM policy engine over the role's
policies (see :mod:`weft.local.moto_irsa`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from weft.local.moto_irsa import projected_token

REGION = "us-east-2"
ACCOUNT = "123456789012"
pytestmark = [pytest.mark.integration]

ADMIN = {"aws_access_key_id": "weft-local", "aws_secret_access_key": "weft-local-secret"}


def _client(service: str, url: str, **credentials: Any) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, **(credentials or ADMIN))


def _setup(url: str, *, provider: bool = True, audience: str = "sts.amazonaws.com") -> Any:
    """A cluster, its OIDC provider, two buckets and the role of ``shop/web``, which may use
    one of them."""
    name = f"irsa-{uuid.uuid4().hex[:6]}"
    eks = _client("eks", url)
    eks.create_cluster(
        name=name,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    issuer = eks.describe_cluster(name=name)["cluster"]["identity"]["oidc"]["issuer"]
    host = issuer.removeprefix("https://")
    iam = _client("iam", url)
    provider_arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    if provider:
        provider_arn = iam.create_open_id_connect_provider(
            Url=issuer, ClientIDList=[audience], ThumbprintList=["9" * 40]
        )["OpenIDConnectProviderArn"]
    s3 = _client("s3", url)
    ours, theirs = f"{name}-uploads", f"{name}-other"
    for bucket in (ours, theirs):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": "system:serviceaccount:shop:web",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    role = iam.create_role(RoleName=f"{name}-web", AssumeRolePolicyDocument=json.dumps(trust))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{ours}"],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": [f"arn:aws:s3:::{ours}/*"],
            },
        ],
    }
    iam.put_role_policy(
        RoleName=f"{name}-web", PolicyName="weft-app", PolicyDocument=json.dumps(policy)
    )
    return name, role["Role"]["Arn"], ours, theirs


def _assume(url: str, role_arn: str, token: str) -> dict[str, str]:
    answer = _client("sts", url).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="pod", WebIdentityToken=token
    )
    creds = answer["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def _token(url: str, cluster: str, account: str = "web", **kw: Any) -> str:
    return projected_token(
        url, cluster=cluster, region=REGION, namespace="shop", service_account=account, **kw
    )


def _code(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error.get("Message"))


def test_the_pod_s_role_may_write_its_bucket_and_nothing_else(clean_cloud: str) -> None:
    cluster, role_arn, ours, theirs = _setup(clean_cloud)
    creds = _assume(clean_cloud, role_arn, _token(clean_cloud, cluster))
    s3 = _client("s3", clean_cloud, **creds)
    s3.put_object(Bucket=ours, Key="hello.txt", Body=b"hi")
    assert s3.get_object(Bucket=ours, Key="hello.txt")["Body"].read() == b"hi"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=ours)["Contents"]] == ["hello.txt"]
    assert _code(lambda: s3.put_object(Bucket=theirs, Key="x", Body=b"x"))[0] == "AccessDenied"
    assert _code(lambda: s3.delete_object(Bucket=ours, Key="hello.txt"))[0] == "AccessDenied"
    assert _code(lambda: s3.list_objects_v2(Bucket=theirs))[0] == "AccessDenied"
    # the administrator's credentials are not the role's
    _client("s3", clean_cloud).put_object(Bucket=theirs, Key="x", Body=b"x")


def test_another_service_account_is_not_trusted(clean_cloud: str) -> None:
    cluster, role_arn, _, _ = _setup(clean_cloud)
    code, message = _code(
        lambda: _assume(clean_cloud, role_arn, _token(clean_cloud, cluster, "api"))
    )
    assert code == "AccessDenied"
    assert message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_a_token_for_another_audience_is_refused(clean_cloud: str) -> None:
    cluster, role_arn, _, _ = _setup(clean_cloud)
    token = _token(clean_cloud, cluster, audience="vault")
    assert _code(lambda: _assume(clean_cloud, role_arn, token)) == (
        "InvalidIdentityToken",
        "Incorrect token audience",
    )


def test_a_forged_token_is_refused(clean_cloud: str) -> None:
    cluster, role_arn, _, _ = _setup(clean_cloud)
    header, _claims, signature = _token(clean_cloud, cluster, "api").split(".")
    genuine = _token(clean_cloud, cluster).split(".")
    forged = ".".join([header, genuine[1], signature])  # web's claims, api's signature
    assert _code(lambda: _assume(clean_cloud, role_arn, forged))[0] == "InvalidIdentityToken"
    assert _code(lambda: _assume(clean_cloud, role_arn, "not-a-jwt"))[0] == "InvalidIdentityToken"


def test_without_an_oidc_provider_the_issuer_is_unknown(clean_cloud: str) -> None:
    cluster, role_arn, _, _ = _setup(clean_cloud, provider=False)
    code, message = _code(lambda: _assume(clean_cloud, role_arn, _token(clean_cloud, cluster)))
    assert code == "InvalidIdentityToken"
    assert message.startswith("No OpenIDConnect provider found in your account for https://")


@pytest.mark.parametrize("conditional", [False, True])
def test_an_explicit_deny_for_the_provider_is_refused(clean_cloud: str, conditional: bool) -> None:
    """AWS: an explicit Deny overrides the Allow ("Policy evaluation logic", IAM User Guide);
    moto's engine ignores the Effect of a statement without a Resource, as trust policies are."""
    cluster, role_arn, _, _ = _setup(clean_cloud)
    iam = _client("iam", clean_cloud)
    name = role_arn.rsplit("/", 1)[1]
    trust = json.loads(json.dumps(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]))
    allow = trust["Statement"][0]
    deny = {key: value for key, value in allow.items() if key != "Condition"}
    deny["Effect"] = "Deny"
    if conditional:
        deny["Condition"] = {"StringLike": {"aws:SourceIp": "10.*"}}
    trust["Statement"].append(deny)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    code, message = _code(lambda: _assume(clean_cloud, role_arn, _token(clean_cloud, cluster)))
    assert code == "AccessDenied"
    assert message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
