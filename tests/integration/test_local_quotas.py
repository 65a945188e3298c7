"""The local cloud's Service Quotas and RDS account quotas (weft.local.moto_quotas), through boto3
over HTTP, checked against botocore's model of the answers."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.moto_quotas import request_set

pytestmark = pytest.mark.integration

REGION = "us-east-2"


def client(url: str, service: str, region: str = REGION) -> Any:
    return boto3.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name=region,
    ).client(service, endpoint_url=url)


def members(service: str, shape: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    return set(model.shape_for(shape).members)


def test_applied_and_default_quotas_of_every_service_weft_reads(clean_cloud):
    sq = client(clean_cloud, "service-quotas")
    applied = sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
    default = sq.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
    assert default["Value"] == 5.0 and applied["Value"] == 640.0
    assert set(applied) <= members("service-quotas", "ServiceQuota")
    assert applied["QuotaArn"] == f"arn:aws:servicequotas:{REGION}:123456789012:ec2/L-1216C47A"
    for service, code, value in [
        ("vpc", "L-F678F1CE", 5.0),
        ("vpc", "L-FE5A380F", 5.0),
        ("ec2", "L-0263D0A3", 5.0),
        ("eks", "L-1194D53C", 100.0),
        ("eks", "L-BD136A63", 450.0),
        ("rds", "L-7B6409FD", 40.0),
        ("elasticloadbalancing", "L-53DA6B97", 50.0),
    ]:
        assert sq.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"] == value
    listed = sq.list_service_quotas(ServiceCode="eks")["Quotas"]
    assert {q["QuotaCode"] for q in listed} >= {"L-1194D53C", "L-6D54EA21", "L-33415657"}
    # moto's own vpc defaults are still listed next to the ones weft serves
    assert len(sq.list_aws_default_service_quotas(ServiceCode="vpc")["Quotas"]) > 3


def test_an_unknown_quota_is_no_such_resource_as_on_aws(clean_cloud):
    sq = client(clean_cloud, "service-quotas")
    with pytest.raises(ClientError) as caught:
        sq.get_aws_default_service_quota(ServiceCode="eks", QuotaCode="L-00000000")
    assert caught.value.response["Error"]["Code"] == "NoSuchResourceException"


def test_a_quota_set_for_tests_is_applied_in_its_region_until_the_cloud_is_reset(clean_cloud):
    request_set(clean_cloud, REGION, "L-F678F1CE", 1)
    sq = client(clean_cloud, "service-quotas")
    assert sq.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"] == 1
    other = client(clean_cloud, "service-quotas", "eu-west-1")
    assert other.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"] == 5
    # the default is AWS's whatever is applied
    default = sq.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")
    assert default["Quota"]["Value"] == 5
    with pytest.raises(ValueError, match="serves no quota"):
        request_set(clean_cloud, REGION, "L-NOPE", 1)


def test_rds_account_attributes_count_the_instances_against_the_applied_quota(clean_cloud):
    rds = client(clean_cloud, "rds")
    request_set(clean_cloud, REGION, "L-7B6409FD", 3)
    rds.create_db_instance(
        DBInstanceIdentifier="one",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="a-long-password-1",
    )
    quotas = rds.describe_account_attributes()["AccountQuotas"]
    assert all(set(q) <= members("rds", "AccountQuota") for q in quotas)
    (instances,) = [q for q in quotas if q["AccountQuotaName"] == "DBInstances"]
    assert instances["Used"] == 1 and instances["Max"] == 3
