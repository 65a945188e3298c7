"""How the proxy names a request (``service:Action``) and tells reads from writes (pure)."""

from __future__ import annotations

import pytest

from weft.local.proxy import Call, classify, is_read


def signed(service: str, region: str = "us-east-2") -> dict[str, str]:
    scope = f"k/20250101/{region}/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, Signature=x"}


def test_rest_calls_are_named_from_the_botocore_model() -> None:
    headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=k/20250101/us-east-2/s3/aws4_request"}
    assert classify("PUT", "/b/k/with/slashes", headers, b"").action == "PutObject"
    assert classify("PUT", "/b?tagging", headers, b"").action == "PutBucketTagging"
    assert classify("PUT", "/b", headers, b"").action == "CreateBucket"
    assert classify("POST", "/b?delete", headers, b"").action == "DeleteObjects"
    assert classify("GET", "/", headers, b"").action == "ListBuckets"
    eks = {"Authorization": "AWS4-HMAC-SHA256 Credential=k/20250101/us-east-2/eks/aws4_request"}
    assert classify("DELETE", "/clusters/c/node-groups/n", eks, b"").key == "eks:DeleteNodegroup"
    r53 = {"Authorization": "AWS4-HMAC-SHA256 Credential=k/20250101/us-east-1/route53/aws4_request"}
    call = classify("POST", "/2013-04-01/hostedzone/Z1/rrset/", r53, b"")
    assert call.action == "ChangeResourceRecordSets" and not call.read


def test_s3_and_eks_rest_calls_carry_their_protocol() -> None:
    assert classify("GET", "/", signed("s3"), b"").protocol == "s3"
    assert classify("GET", "/clusters", signed("eks"), b"") == Call(
        "eks", "ListClusters", "rest-json"
    )


def test_json_protocols_are_named_by_their_target_header() -> None:
    headers = {**signed("kms"), "X-Amz-Target": "TrentService.CreateKey"}
    assert classify("POST", "/", headers, b"{}") == Call("kms", "CreateKey", "json")


def test_rpc_v2_calls_are_named_by_their_path() -> None:
    call = classify("POST", "/service/GraniteService/operation/GetMetricData", signed("x"), b"")
    assert call == Call("x", "GetMetricData", "json")


def test_query_protocols_are_named_by_their_action_parameter() -> None:
    body = b"Action=DescribeVpcs&Version=2016-11-15"
    assert classify("POST", "/", signed("ec2"), body) == Call("ec2", "DescribeVpcs", "ec2")
    body = b"Version=2010-05-08&Action=CreateRole&RoleName=r"
    assert classify("POST", "/", signed("iam"), body) == Call("iam", "CreateRole", "query")
    # in the query string when the body is empty
    assert classify("GET", "/?Action=ListRoles", signed("iam"), b"").key == "iam:ListRoles"


def test_a_presigned_url_names_its_service_from_the_query() -> None:
    target = (
        "/?Action=GetCallerIdentity&Version=2011-06-15"
        "&X-Amz-Credential=k%2F20250101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Signature=x"
    )
    assert classify("GET", target, {}, b"") == Call("sts", "GetCallerIdentity", "query")


def test_signing_names_map_to_botocore_services() -> None:
    elb = classify("GET", "/", signed("elasticloadbalancing"), b"Action=DescribeLoadBalancers")
    assert elb.key == "elasticloadbalancing:DescribeLoadBalancers"
    tagging = {
        **signed("tagging"),
        "X-Amz-Target": "ResourceGroupsTaggingAPI_20170126.GetResources",
    }
    assert classify("POST", "/", tagging, b"{}").key == "tagging:GetResources"


def test_unsigned_or_unknown_calls_are_named_by_method_and_path() -> None:
    assert classify("GET", "/moto-api/reset", {}, b"") == Call(
        "?", "GET /moto-api/reset", "unknown"
    )
    unknown = classify("GET", "/things/1", signed("no-such-service"), b"")
    assert unknown == Call("no-such-service", "GET /things/1", "unknown")
    unrouted = classify("PATCH", "/nowhere", signed("eks"), b"")
    assert unrouted.action == "PATCH /nowhere"


@pytest.mark.parametrize(
    ("action", "read"),
    [
        ("DescribeVpcs", True),
        ("GetObject", True),
        ("ListClusters", True),
        ("HeadBucket", True),
        ("LookupEvents", True),
        ("SearchResources", True),
        ("CreateVpc", False),
        ("PutObject", False),
        ("DeleteCluster", False),
        ("TagResource", False),
    ],
)
def test_reads_are_named_by_their_prefix(action: str, read: bool) -> None:
    assert is_read(action) is read
    assert Call("svc", action, "json").read is read
