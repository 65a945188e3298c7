"""``weft logs APP`` on the local cloud: a pod's output read through the real API server's
``pods/log`` (served by the simulated kubelet), the same lines shipped by the fluent-bit
add-on to the fabric's CloudWatch Logs group through its least-privilege role, read from there
once the pods are gone; clear errors; ``down`` leaves nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from botocore.exceptions import ClientError

from weft.cli.main import main
from weft.errors import GuardError, NotFound, UsageError
from weft.local.kube.control_plane import KubeEndpoint
from weft.local.moto_irsa import projected_token
from weft.model.logs import container_log_group
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import deploy
from weft.ops.logs import AppLogs, LogLine
from weft.ops.target import Target

from .helpers import CLUSTER_VERSION, down, target_for, up

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FABRIC = "logsfab"
T = TypeVar("T")

BASE = f"""\
name: {FABRIC}
region: us-east-2
provider: local
network: {{cidr: 10.70.0.0/16, zones: 2, nat: none, layout: public}}
cluster:
  version: "{CLUSTER_VERSION}"
  endpoint: both
  api_cidrs: [0.0.0.0/0]
  addons: {{vpc-cni: {{}}, coredns: {{}}, kube-proxy: {{}}}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 1, max: 3, desired: 2}}
"""
APPS = """\
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 2
    port: 8080
"""


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def fabric(kube_api: KubeEndpoint, moto_url: str) -> Iterator[Target]:
    target = target_for(BASE + APPS)
    outcome = up(target)
    assert outcome.ok, outcome
    yield target
    assert down(target).ok


def read(target: Target, app: str = "web", **kwargs: Any) -> list[LogLine]:
    conn = Connection(target)
    try:
        return list(AppLogs(conn, app).read(**kwargs))
    finally:
        conn.close()


def test_weft_logs_reads_the_pods_then_cloudwatch_once_they_are_gone(
    fabric: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = Connection(fabric)
    result = deploy(conn, timeout=300)
    conn.close()
    assert result.ok, result

    lines = wait_for("both pods' start lines", lambda: read(fabric)[3:] and read(fabric))
    assert {x.source for x in lines} == {"kubernetes"}
    assert len({x.pod for x in lines}) == 2
    starts = [x for x in lines if x.line.startswith("starting ")]
    assert {x.line for x in starts} == {"starting registry.example.com/acme/web:1.0.0"}
    assert all(x.time for x in lines) and [x.time for x in lines] == sorted(x.time for x in lines)

    # the CLI, as a script reads it
    path = tmp_path / "fabric.yaml"
    path.write_text(BASE + APPS)
    capsys.readouterr()
    assert main(["logs", "web", "--since", "1h", "-f", str(path), "--local", "--json"]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [e["event"] for e in events][-1] == "summary"
    logged = [e for e in events if e["event"] == "log"]
    assert len(logged) == len(lines) and logged[0]["status"] == "line"
    assert logged[0]["log"] == f"{logged[0]['pod']}/{logged[0]['container']}"
    assert events[-1]["source"] == ["kubernetes"] and events[-1]["lines"] == len(lines)

    # Fluent Bit shipped the same lines to the fabric's group, one stream per container
    logs = fabric.session.client("logs")
    group = container_log_group(FABRIC)
    streams = wait_for(
        "the pods' streams",
        lambda: (
            [
                s["logStreamName"]
                for s in logs.describe_log_streams(logGroupName=group)["logStreams"]
                if s["logStreamName"].startswith(f"{FABRIC}/web-")
            ][1:]
            and logs.describe_log_streams(logGroupName=group)["logStreams"]
        ),
    )
    assert {s["logStreamName"].split("/")[1] for s in streams} >= {x.pod for x in lines}
    shipped = wait_for(
        "the lines in CloudWatch Logs",
        lambda: (found := read(fabric, source="cloudwatch")) and len(found) >= len(lines) and found,
    )
    assert {(x.pod, x.line) for x in shipped} >= {(x.pod, x.line) for x in lines}
    assert {x.source for x in shipped} == {"cloudwatch"}

    # the app goes (pruned from the file): its pods are gone, its logs are not
    conn = Connection(fabric, fabric=target_for(BASE + "apps: []\n").fabric)
    assert deploy(conn, timeout=300).ok
    conn.close()
    wait_for(
        "the pods to go",
        lambda: (
            not Connection(fabric).kube.list(
                "v1", "Pod", namespace=FABRIC, labels={"app.kubernetes.io/name": "web"}
            )
        ),
    )
    after = read(fabric)
    assert {x.source for x in after} == {"cloudwatch"}
    assert {(x.pod, x.line) for x in after} >= {(x.pod, x.line) for x in lines}
    with pytest.raises(NotFound, match="app web has no pod"):
        read(fabric, source="kubernetes")


def test_weft_logs_says_what_is_wrong(fabric: Target) -> None:
    with pytest.raises(UsageError, match="has no app or cron job named nope"):
        read(fabric, "nope")
    # a fabric whose cluster is not made yet
    not_up = target_for((BASE + APPS).replace(f"name: {FABRIC}", "name: logsnone"))
    with pytest.raises(GuardError, match="fabric logsnone has no cluster yet"):
        read(not_up)
    # CloudWatch Logs when the file turned them off
    off = target_for(BASE + APPS + "observability: {logs: false}\n")
    with pytest.raises(GuardError, match=r"observability\.logs is off"):
        read(off, source="cloudwatch")


def test_fluent_bits_role_writes_only_to_the_fabrics_group(fabric: Target, moto_url: str) -> None:
    """A role session's CloudWatch Logs requests are authorized against the group and stream
    they name (Service Authorization Reference, CloudWatch Logs), not against ``*``."""
    session = fabric.session
    addon = session.client("eks").describe_addon(clusterName=FABRIC, addonName="fluent-bit")
    token = projected_token(
        moto_url,
        cluster=FABRIC,
        region="us-east-2",
        namespace="fluent-bit",
        service_account="fluent-bit",
    )
    creds = session.client("sts").assume_role_with_web_identity(
        RoleArn=addon["addon"]["serviceAccountRoleArn"],
        RoleSessionName="probe",
        WebIdentityToken=token,
    )["Credentials"]
    logs = boto3.client(
        "logs",
        region_name="us-east-2",
        endpoint_url=moto_url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    session.client("logs").create_log_group(logGroupName="someone-elses")
    with pytest.raises(ClientError) as refused:
        logs.create_log_stream(logGroupName="someone-elses", logStreamName="x")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "logs:CreateLogStream on resource:" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        logs.create_log_group(logGroupName="another")
    group = container_log_group(FABRIC)
    logs.create_log_stream(logGroupName=group, logStreamName="t/probe/x")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="t/probe/x",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "probe"}],
    )
    session.client("logs").delete_log_group(logGroupName="someone-elses")
