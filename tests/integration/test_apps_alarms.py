"""An app's 5xx alarm: written by ``weft deploy`` on the load balancer and target group the AWS
Load Balancer Controller made (their ARN suffixes, as CloudWatch names them), never planned
away by ``weft up``, removed when the app loses its ingress and by ``weft down``."""

from __future__ import annotations

import pytest

from weft.local.kube.control_plane import KubeEndpoint
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import deploy
from weft.ops.plan import make_plan

from .helpers import CLUSTER_VERSION, down, target_for, up_delegated

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

NAME = "appsalarm"
DOMAIN = "alarm.example.com"
BASE = f"""\
name: {NAME}
region: us-east-2
provider: local
network: {{cidr: 10.61.0.0/16, zones: 2, nat: single, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 2, max: 3, desired: 2}}
dns: {{domain: {DOMAIN}}}
observability:
  alarms: {{email: [oncall@example.com]}}
"""
WEB = f"""\
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 1
    port: 8080
    ingress: {{host: www.{DOMAIN}}}
"""
NO_INGRESS = """\
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 1
    port: 8080
"""


def test_deploy_writes_each_ingress_apps_alarm_on_what_the_controller_made(
    moto_url: str, kube_api: KubeEndpoint
) -> None:
    target = target_for(BASE + WEB)
    assert up_delegated(target, moto_url).ok
    conn = Connection(target)
    try:
        result = deploy(conn, timeout=120, grace=3)
        assert result.ok, [o.problems for o in result.outcomes]
    finally:
        conn.close()
    session = target.session
    cw, elbv2 = session.client("cloudwatch"), session.client("elbv2")
    (alarm,) = cw.describe_alarms(AlarmNames=[f"weft-{NAME}-app-web-5xx"])["MetricAlarms"]
    dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    lbs = [
        lb for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["Type"] == "application"
    ]
    (lb,) = [lb for lb in lbs if lb["LoadBalancerArn"].endswith(dims["LoadBalancer"])]
    assert dims["LoadBalancer"].startswith("app/")
    groups = elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    (group,) = [g for g in groups if g["TargetGroupArn"].endswith(dims["TargetGroup"])]
    assert dims["TargetGroup"] == "targetgroup/" + group["TargetGroupArn"].split("/", 1)[1]
    assert alarm["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert alarm["AlarmActions"] == [f"arn:aws:sns:us-east-2:123456789012:weft-{NAME}-alarms"]

    # weft up does not plan it away: it is the apps'
    plan = make_plan(target)
    assert not [c for c in plan.actionable if c.address.startswith("app_alarm.")]

    # the app loses its ingress: its alarm goes with the next deploy
    target = target_for(BASE + NO_INGRESS)
    conn = Connection(target)
    try:
        assert deploy(conn, timeout=120, grace=3).ok
    finally:
        conn.close()
    assert not cw.describe_alarms(AlarmNames=[f"weft-{NAME}-app-web-5xx"])["MetricAlarms"]

    target = target_for(BASE + WEB)
    conn = Connection(target)
    try:
        assert deploy(conn, timeout=120, grace=3).ok
    finally:
        conn.close()
    assert cw.describe_alarms(AlarmNames=[f"weft-{NAME}-app-web-5xx"])["MetricAlarms"]
    assert down(target).ok
    assert not cw.describe_alarms(AlarmNamePrefix=f"weft-{NAME}-")["MetricAlarms"]
