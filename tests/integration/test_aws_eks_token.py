"""EKS tokens (``weft token``): a presigned STS GetCallerIdentity URL with the cluster name
signed in, as ``aws eks get-token`` makes it. Made offline: no request is sent."""

from __future__ import annotations

import datetime
import urllib.parse

from weft.aws import eks_token
from weft.aws.session import AwsSession


def session(endpoint_url: str | None = None) -> AwsSession:
    return AwsSession("us-east-2", endpoint_url=endpoint_url, credentials=("AKIDEXAMPLE", "secret"))


def test_token_is_a_presigned_get_caller_identity_url_for_the_cluster() -> None:
    now = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    s = session()
    credential = eks_token.get_token(s, "demo", now=now)
    assert credential["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert credential["kind"] == "ExecCredential"
    assert credential["status"]["expirationTimestamp"] == "2030-01-02T03:18:05Z"
    token = credential["status"]["token"]
    assert token.startswith("k8s-aws-v1.")
    assert "=" not in token
    url = urllib.parse.urlsplit(eks_token.url_from_token(token))
    assert url.scheme == "https"
    assert url.hostname == "sts.us-east-2.amazonaws.com"
    query = urllib.parse.parse_qs(url.query)
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["Version"] == ["2011-06-15"]
    assert query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Credential"][0].startswith("AKIDEXAMPLE/")
    assert s.counter.total == 0  # nothing was sent


def test_tokens_differ_per_cluster_and_leave_the_client_usable() -> None:
    s = session()
    one = eks_token.url_from_token(eks_token.get_token(s, "one")["status"]["token"])
    two = eks_token.url_from_token(eks_token.get_token(s, "two")["status"]["token"])
    sig = "X-Amz-Signature"
    assert urllib.parse.parse_qs(one)[sig] != urllib.parse.parse_qs(two)[sig]
    # a plain presign of the shared client carries no cluster header
    plain = s.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60)
    assert (
        "x-k8s-aws-id"
        not in urllib.parse.parse_qs(urllib.parse.urlsplit(plain).query)["X-Amz-SignedHeaders"][0]
    )


def test_token_for_the_local_cloud_points_at_its_endpoint() -> None:
    url = eks_token.url_from_token(
        eks_token.get_token(session("http://127.0.0.1:5999"), "demo")["status"]["token"]
    )
    assert url.startswith("http://127.0.0.1:5999/?Action=GetCallerIdentity")
