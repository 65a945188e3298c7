"""The fabric's CloudWatch dashboard on the local cloud: PutDashboard as strict as AWS, and the
driver's ownership of a dashboard that cannot be tagged."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from weft.aws.context import AwsContext
from weft.aws.drivers.dashboard import DRIVER, fabric_dashboard
from weft.aws.session import AwsSession
from weft.core.resource import Resource, thaw
from weft.errors import PermanentError
from weft.model.observability import dashboard_name, header

pytestmark = pytest.mark.integration

REGION = "us-east-2"


@pytest.fixture
def ctx(moto_url: str) -> AwsContext:
    session = AwsSession(
        REGION, endpoint_url=moto_url, credentials=("weft-local", "weft-local-secret")
    )
    fabric = f"d{uuid.uuid4().hex[:10]}"
    return AwsContext(session, fabric=fabric, account_id="123456789012", run_id="r1")


def board(fabric: str) -> dict:
    return {"widgets": [header(fabric)]}


def resource(fabric: str) -> tuple[Resource, dict]:
    props = {"name": dashboard_name(fabric), "body": board(fabric)}
    return Resource("dashboard", "fabric", props), props


@pytest.mark.parametrize(
    ("name", "body", "says"),
    [
        ("has space", '{"widgets": []}', "invalid characters"),
        ("x" * 256, '{"widgets": []}', "at most 255"),
        ("ok-name", "[]", "valid JSON object"),
        ("ok-name", '{"start": "-PT6H"}', "widgets array"),
    ],
)
def test_put_dashboard_refuses_what_aws_refuses(ctx, name, body, says):
    cloudwatch = ctx.client("cloudwatch")
    with pytest.raises(ClientError) as refused:
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterInput"
    assert says in refused.value.response["Error"]["Message"]
    assert not cloudwatch.list_dashboards(DashboardNamePrefix=name[:50])["DashboardEntries"]


def test_the_fabrics_dashboard_is_found_by_its_header(ctx):
    res, props = resource(ctx.fabric)
    made = DRIVER.create(ctx, res, props)
    assert made.id == dashboard_name(ctx.fabric)
    found = fabric_dashboard(ctx)
    assert found is not None and found.address == "dashboard.fabric"
    assert thaw(found.props)["body"] == board(ctx.fabric)
    DRIVER.delete(ctx, found)
    assert fabric_dashboard(ctx) is None
    DRIVER.delete(ctx, found)  # deleting again is not an error (a retried teardown)


def test_a_dashboard_of_that_name_not_the_fabrics_is_neither_found_nor_overwritten(ctx):
    cloudwatch = ctx.client("cloudwatch")
    mine = {"widgets": [{"type": "text", "properties": {"markdown": "the team's own"}}]}
    name = dashboard_name(ctx.fabric)
    cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(mine))
    assert fabric_dashboard(ctx) is None
    res, props = resource(ctx.fabric)
    with pytest.raises(PermanentError) as refused:
        DRIVER.create(ctx, res, props)
    assert "already exists and is not this fabric's" in str(refused.value)
    body = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    assert body == mine  # untouched
    cloudwatch.delete_dashboards(DashboardNames=[name])


def test_another_fabrics_header_is_not_this_fabrics(ctx):
    cloudwatch = ctx.client("cloudwatch")
    name = dashboard_name(ctx.fabric)
    cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(board("elsewhere")))
    assert fabric_dashboard(ctx) is None
    cloudwatch.delete_dashboards(DashboardNames=[name])
