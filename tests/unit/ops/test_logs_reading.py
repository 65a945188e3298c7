"""The pure parts of ``weft logs``: durations, timestamps, which pods are an app's, and how the
local cloud's Fluent Bit reads its output and names streams; what a CloudWatch Logs request
acts on, for IAM."""

from __future__ import annotations

import json

import pytest

from weft.fabricfile import parse_fabric
from weft.local.kube.log_shipper import cloudwatch_output
from weft.local.moto_logs import request_resource
from weft.model.logs import fluent_bit_configuration
from weft.ops.logs import _split_stamp, app_pod_name, parse_since


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800), ("45", 45)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "1w", "h", "-1h", "1.5h"])
def test_a_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_since(text)


def test_the_timestamp_the_api_server_puts_first_is_split_off() -> None:
    assert _split_stamp("2030-01-01T00:00:00.123456789Z hello world\n") == (
        "2030-01-01T00:00:00.123456789Z",
        "hello world",
    )
    assert _split_stamp("no stamp here\n") == (None, "no stamp here")


def test_only_the_apps_own_pods_are_its() -> None:
    assert app_pod_name("web", "web-5d8f7c9b4-x2x7k")
    assert app_pod_name("report", "report-28391234-abcde")
    assert not app_pod_name("web", "web-admin-5d8f7c9b4-x2x7k")
    assert not app_pod_name("web", "webx-5d8f7c9b4-x2x7k")


def test_the_local_fluent_bit_reads_the_output_weft_configures() -> None:
    fabric = parse_fabric(
        "name: shop\nregion: eu-west-1\nnetwork: {cidr: 10.0.0.0/16, zones: 2}\n"
        "cluster: {endpoint: private}\n"
        "nodegroups: [{name: g, instance_types: [m6i.large], min: 1, max: 2}]\n",
        "f.yaml",
    )
    output = cloudwatch_output(json.dumps(fluent_bit_configuration(fabric)), "us-east-1")
    assert output is not None
    assert (output.region, output.group) == ("eu-west-1", "/aws/eks/shop/containers")
    assert output.stream(("shop", "web-1-a", "web")) == "shop/web-1-a/web"
    assert cloudwatch_output(json.dumps({"config": {"outputs": "[OUTPUT]\n Name es"}}), "r") is None
    assert cloudwatch_output("not json", "r") is None


def test_a_logs_request_acts_on_its_stream_or_group() -> None:
    group = "arn:aws:logs:us-east-2:123456789012:log-group:/g"
    assert request_resource("us-east-2", "123456789012", {"logGroupName": "/g"}) == group
    stream = {"logGroupName": "/g", "logStreamName": "a/b"}
    assert request_resource("us-east-2", "123456789012", stream) == f"{group}:log-stream:a/b"
    assert request_resource("us-east-2", "123456789012", {"logGroupIdentifier": group}) == group
    assert request_resource("us-east-2", "123456789012", {}) == "*"
