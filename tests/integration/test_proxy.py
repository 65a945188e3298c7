"""The counting / delaying / fault-injecting proxy (weft.local.proxy) in front of the local AWS."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from weft.aws import errors
from weft.errors import TemporaryError, WeftError
from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.proxy import Faults, Latency, Proxy, start_proxy
from weft.ops import apply, teardown
from weft.ops.plan import destroy_plan, make_plan
from weft.ops.run import Runner
from weft.ops.target import Target, local_session

from .helpers import FAST_RETRY, cloud_counts, fabric_text, target_for

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ROLE = "arn:aws:iam::123456789012:role/bench"


@pytest.fixture
def proxy(clean_cloud: str) -> Iterator[Proxy]:
    p = start_proxy(clean_cloud)
    yield p
    p.stop()


def clients(url: str, *services: str) -> list[Any]:
    """boto3 clients on ``url`` with retries off: one call is exactly one request."""
    session = boto3.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name=REGION,
    )
    cfg = Config(retries={"total_max_attempts": 1})
    return [session.client(s, endpoint_url=url, config=cfg) for s in services]


def test_listens_on_loopback(proxy: Proxy) -> None:
    assert proxy.url.startswith("http://127.0.0.1:")


def test_counts_are_exact_across_protocols(proxy: Proxy) -> None:
    ec2, kms, s3, eks = clients(proxy.url, "ec2", "kms", "s3", "eks")
    # EC2: query protocol
    ec2.describe_vpcs()
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "v"}])
    ec2.describe_vpcs(VpcIds=[vpc])
    # KMS: JSON protocol
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.describe_key(KeyId=key)
    kms.list_keys()
    # S3: REST-XML, path style
    bucket = "proxy-test-bucket"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
    s3.head_object(Bucket=bucket, Key="a/b.txt")
    s3.head_bucket(Bucket=bucket)
    s3.list_objects_v2(Bucket=bucket)
    s3.list_object_versions(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="a/b.txt")
    # EKS: REST-JSON
    eks.create_cluster(name="c1", roleArn=ROLE, resourcesVpcConfig={"subnetIds": []})
    eks.describe_cluster(name="c1")
    eks.list_clusters()
    eks.create_nodegroup(clusterName="c1", nodegroupName="n1", subnets=["s"], nodeRole=ROLE)
    eks.describe_nodegroup(clusterName="c1", nodegroupName="n1")
    eks.list_nodegroups(clusterName="c1")

    counts = proxy.counts()
    assert counts.by_call == {
        "ec2:DescribeVpcs": 2,
        "ec2:CreateVpc": 1,
        "ec2:CreateTags": 1,
        "kms:CreateKey": 1,
        "kms:DescribeKey": 1,
        "kms:ListKeys": 1,
        "s3:CreateBucket": 1,
        "s3:PutBucketVersioning": 1,
        "s3:PutObject": 1,
        "s3:GetObject": 1,
        "s3:HeadObject": 1,
        "s3:HeadBucket": 1,
        "s3:ListObjectsV2": 1,
        "s3:ListObjectVersions": 1,
        "s3:DeleteObject": 1,
        "eks:CreateCluster": 1,
        "eks:DescribeCluster": 1,
        "eks:ListClusters": 1,
        "eks:CreateNodegroup": 1,
        "eks:DescribeNodegroup": 1,
        "eks:ListNodegroups": 1,
    }
    assert (counts.reads, counts.writes, counts.total) == (13, 9, 22)
    assert counts.faults == 0
    proxy.reset_counts()
    assert proxy.counts().total == 0


def test_weft_counter_and_proxy_agree_on_a_plan(clean_cloud: str, proxy: Proxy) -> None:
    base = target_for(fabric_text("proxycount"))
    target = dataclasses.replace(base, session=local_session(REGION, proxy.url))
    proxy.reset_counts()
    plan = make_plan(target)
    assert plan.has_changes
    weft = target.session.counter.snapshot()
    counts = proxy.counts()
    assert counts.total == weft["total"] > 0
    assert counts.writes == weft["writes"] == 0
    ops_proxy = sorted(k.partition(":")[2] for k, n in counts.by_call.items() for _ in range(n))
    ops_weft = sorted(k.partition(":")[2] for k, n in weft["by_call"].items() for _ in range(n))
    assert ops_proxy == ops_weft


def test_latency_adds_the_round_trip_and_the_provisioning_delay(proxy: Proxy) -> None:
    (ec2,) = clients(proxy.url, "ec2")
    ec2.describe_vpcs()  # the first call of a client pays for its connection
    proxy.latency = Latency(round_trip=0.2, delays={"ec2:CreateVpc": 0.5})
    start = time.perf_counter()
    ec2.describe_vpcs()
    read = time.perf_counter() - start
    start = time.perf_counter()
    ec2.create_vpc(CidrBlock="10.8.0.0/16")
    create = time.perf_counter() - start
    # lower bounds only: a sleep guarantees them, while upper bounds depend on the machine's load
    assert read >= 0.2
    assert create >= 0.2 + 0.5


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded", 503),
        ("kms", lambda c: c.list_keys(), "ThrottlingException", 400),
        ("iam", lambda c: c.list_roles(), "Throttling", 400),
        ("sts", lambda c: c.get_caller_identity(), "Throttling", 400),
        ("s3", lambda c: c.list_buckets(), "SlowDown", 503),
        ("eks", lambda c: c.list_clusters(), "ThrottlingException", 400),
    ],
)
def test_throttling_faults_speak_each_protocol(
    proxy: Proxy, service: str, call: Any, code: str, status: int
) -> None:
    proxy.faults = Faults(throttle=1.0)
    (client,) = clients(proxy.url, service)
    with pytest.raises(ClientError) as info:
        call(client)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    translated = errors.translate(info.value, address="x", action="read")
    assert isinstance(translated, TemporaryError) and translated.retryable
    assert proxy.counts().faults == 1


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("ec2", lambda c: c.describe_vpcs(), "InternalError"),
        ("kms", lambda c: c.list_keys(), "InternalFailure"),
        ("iam", lambda c: c.list_roles(), "InternalFailure"),
        ("s3", lambda c: c.list_buckets(), "InternalError"),
    ],
)
def test_server_errors_are_http_500(proxy: Proxy, service: str, call: Any, code: str) -> None:
    proxy.faults = Faults(server_error=1.0)
    (client,) = clients(proxy.url, service)
    with pytest.raises(ClientError) as info:
        call(client)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert info.value.response["Error"]["Code"] == code
    assert errors.translate(info.value, address="x", action="read").retryable


def test_faults_can_be_limited_to_some_calls(proxy: Proxy) -> None:
    proxy.faults = Faults(throttle=1.0, only=frozenset({"ec2:CreateVpc"}))
    (ec2,) = clients(proxy.url, "ec2")
    ec2.describe_vpcs()
    with pytest.raises(ClientError):
        ec2.create_vpc(CidrBlock="10.7.0.0/16")
    assert proxy.counts().faults == 1


def _proxied(target: Target, url: str) -> Target:
    return dataclasses.replace(target, session=local_session(target.region, url))


def test_weft_converges_through_20_percent_faults(clean_cloud: str, proxy: Proxy) -> None:
    direct = target_for(fabric_text("faulty"))
    proxy.faults = Faults(throttle=0.1, server_error=0.1)
    outcome = None
    for _attempt in range(4):  # the user's answer to a failed up: run it again
        target = _proxied(direct, proxy.url)
        try:
            outcome = apply.up(Runner(target, retry=FAST_RETRY), make_plan(target))
        except WeftError:
            continue
        if outcome.ok:
            break
    assert outcome is not None and outcome.ok
    assert proxy.counts().faults > 0
    for _attempt in range(4):
        try:
            plan = make_plan(_proxied(direct, proxy.url))
            break
        except WeftError:
            continue
    assert not plan.has_changes
    proxy.faults = None
    assert cloud_counts(direct) == {
        "vpc": 1,
        "subnet": 6,
        "internet_gateway": 1,
        "route_table": 4,
        "eip": 1,
        "nat_gateway": 1,
    }
    assert teardown.down(Runner(direct, retry=FAST_RETRY), destroy_plan(direct)).ok
