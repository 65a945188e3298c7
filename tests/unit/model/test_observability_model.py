"""The fabric's dashboard: its body built from the fabric, and its ownership words."""

from __future__ import annotations

import json

from weft.aws.drivers.dashboard import owner
from weft.core.resource import Ref, thaw
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.alarms import alarm_key_statement
from weft.model.observability import (
    console_url,
    dashboard_name,
    ownership,
)

from ...integration.helpers import CLUSTER_VERSION

ZONES = ["us-east-2a", "us-east-2b"]


def fabric_text(observability: str = "") -> str:
    return f"""\
name: shop
region: us-east-2
network: {{cidr: 10.0.0.0/16, zones: 2, nat: per-zone, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", endpoint: private}}
databases:
  - {{name: main, engine_version: "16", instance_class: db.t4g.medium, storage_gb: 50}}
caches:
  - {{name: sessions, engine_version: "7.1", node_type: cache.t4g.small, replicas: 1}}
dns: {{domain: shop.example.com}}
apps:
  - name: web
    image: ghcr.io/acme/web
    version: "1.0.0"
    port: 8080
    ingress: {{host: www.shop.example.com, path: /, tls: true}}
  - name: api
    image: ghcr.io/acme/api
    version: "1.0.0"
    port: 8080
    load_balancer: true
  - {{name: worker, image: ghcr.io/acme/worker, version: "1.0.0"}}
{observability}"""


def resources(observability: str = "") -> dict:
    fabric = parse_fabric(fabric_text(observability), "fabric.yaml")
    return {r.address: r for r in desired_resources(fabric, account_id="123456789012", zones=ZONES)}


def dashboard() -> dict:
    return thaw(resources()["dashboard.fabric"].props)


def titles(body: dict) -> list[str]:
    return [w["properties"].get("title", "") for w in body["widgets"]]


def metrics_of(body: dict, title: str) -> list:
    (widget,) = [w for w in body["widgets"] if w["properties"].get("title") == title]
    return widget["properties"]["metrics"]


def test_one_dashboard_named_after_the_fabric_by_default():
    props = dashboard()
    assert props["name"] == dashboard_name("shop") == "weft-shop"
    assert "tags" not in props  # dashboards cannot be tagged
    assert "observability" not in fabric_text()


def test_the_dashboard_can_be_turned_off():
    assert "dashboard.fabric" not in resources("observability: {dashboard: false}\n")


def test_a_widget_for_each_app_with_a_load_balancer():
    body = dashboard()["body"]
    names = titles(body)
    assert "app web: requests and 5xx" in names
    assert "app web: latency (p90, seconds)" in names
    assert "app api: connections" in names
    assert not [t for t in names if "worker" in t]  # no load balancer, no widget
    web = json.dumps(metrics_of(body, "app web: requests and 5xx"))
    assert "AWS/ApplicationELB" in web and "HTTPCode_Target_5XX_Count" in web
    assert '\\"web\\"' in web  # the search is on the app's name
    (search,) = metrics_of(body, "app web: latency (p90, seconds)")[0]
    assert search == {
        "expression": (
            "SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} "
            'MetricName="TargetResponseTime" "web"\', \'p90\', 300)'
        ),
        "id": "search_targetresponsetime",
        "label": "TargetResponseTime",
    }


def test_database_widgets_name_its_instance():
    body = dashboard()["body"]
    cpu = metrics_of(body, "database main: CPU % and connections")
    assert cpu[0] == ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "weft-shop-main"]
    assert cpu[1][1] == "DatabaseConnections"
    storage = metrics_of(body, "database main: free storage (bytes of 50 GB)")
    assert storage == [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", "weft-shop-main"]]


def test_cache_widgets_cover_every_node():
    body = dashboard()["body"]
    for title, metric in (
        ("cache sessions: CPU %", "EngineCPUUtilization"),
        ("cache sessions: memory %", "DatabaseMemoryUsagePercentage"),
        ("cache sessions: evictions", "Evictions"),
    ):
        nodes = [m[3] for m in metrics_of(body, title)]
        assert nodes == ["weft-shop-sessions-001", "weft-shop-sessions-002"]
        assert {m[1] for m in metrics_of(body, title)} == {metric}


def test_nat_widgets_refer_to_every_gateway():
    body = dashboard()["body"]
    errors = metrics_of(body, "NAT gateways: errors")
    assert {m[3] for m in errors} == {Ref("nat_gateway.a"), Ref("nat_gateway.b")}
    assert {m[1] for m in errors} == {"ErrorPortAllocation", "PacketsDropCount"}
    assert {m[1] for m in metrics_of(body, "NAT gateways: bytes")} == {
        "BytesOutToDestination",
        "BytesInFromDestination",
    }


def test_control_plane_widget():
    metrics = metrics_of(dashboard()["body"], "control plane: API requests, 429 and 5xx")
    assert [m[1] for m in metrics] == [
        "apiserver_request_total",
        "apiserver_request_total_429",
        "apiserver_request_total_5XX",
    ]
    assert all(m[2:] == ["ClusterName", "shop"] for m in metrics)


def test_no_cluster_no_control_plane_widget_and_widgets_do_not_overlap():
    text = "name: bare\nregion: us-east-2\nnetwork: {cidr: 10.0.0.0/16, zones: 2}\n"
    fabric = parse_fabric(text, "fabric.yaml")
    (board,) = [
        r
        for r in desired_resources(fabric, account_id="123456789012", zones=ZONES)
        if r.kind == "dashboard"
    ]
    assert not [t for t in titles(thaw(board.props)["body"]) if "control plane" in t]
    cells = set()
    for w in dashboard()["body"]["widgets"]:
        for x in range(w["x"], w["x"] + w["width"]):
            for y in range(w["y"], w["y"] + w["height"]):
                assert (x, y) not in cells
                cells.add((x, y))
        assert w["x"] + w["width"] <= 24


def test_the_header_says_whose_it_is():
    body = dashboard()["body"]
    assert body["widgets"][0]["type"] == "text"
    assert ownership("shop") in body["widgets"][0]["properties"]["markdown"]
    assert owner(body) == ("shop", "dashboard.fabric")
    assert owner({"widgets": [{"type": "metric", "properties": {"title": ownership("x")}}]}) is None
    assert owner({}) is None


def test_console_url():
    assert console_url("eu-west-1", "shop") == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#dashboards/dashboard/weft-shop"
    )


def test_alarms_come_only_with_addresses_to_send_them_to() -> None:
    fabric = parse_fabric(fabric_text(), source="fabric.yaml")
    resources = desired_resources(fabric, account_id="123456789012", zones=ZONES)
    assert not [r for r in resources if r.kind in ("sns_topic", "metric_alarm")]
    (key,) = [r for r in resources if r.kind == "kms_key"]
    assert alarm_key_statement() not in thaw(key.props)["policy"]["Statement"]


def test_the_alarms_watch_what_weft_makes_and_go_to_the_encrypted_topic() -> None:
    text = fabric_text(
        "observability:\n"
        "  alarms: {email: [Oncall@Example.com, dev@example.com, dev@example.com]}\n"
    )
    fabric = parse_fabric(text, source="fabric.yaml")
    resources = desired_resources(fabric, account_id="123456789012", zones=ZONES)
    by = {r.address: r for r in resources}
    topic = thaw(by["sns_topic.alarms"].props)
    assert topic["name"] == "weft-shop-alarms"
    assert topic["emails"] == ["dev@example.com", "oncall@example.com"]
    assert by["sns_topic.alarms"].props["kms_key_arn"] == Ref("kms_key.fabric", "arn")
    (cloudwatch,) = [
        s
        for s in topic["policy"]["Statement"]
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    key_statements = thaw(by["kms_key.fabric"].props)["policy"]["Statement"]
    assert alarm_key_statement() in key_statements
    alarms = {r.name: r for r in resources if r.kind == "metric_alarm"}
    assert sorted(alarms) == [
        "certificate-wildcard-expiry",
        "db-main-storage",
        "nat-a-dropped",
        "nat-a-port-errors",
        "nat-b-dropped",
        "nat-b-port-errors",
    ]
    storage = alarms["db-main-storage"].props
    assert storage["threshold"] == 50 * 1024**3 * 0.1
    assert dict(storage["dimensions"]) == {"DBInstanceIdentifier": "weft-shop-main"}
    assert dict(alarms["nat-b-dropped"].props["dimensions"]) == {
        "NatGatewayId": Ref("nat_gateway.b")
    }
    expiry = alarms["certificate-wildcard-expiry"].props
    assert dict(expiry["dimensions"]) == {"CertificateArn": Ref("acm_certificate.wildcard", "arn")}
    assert expiry["threshold"] == 30.0 and expiry["comparison"] == "LessThanThreshold"
    for alarm in alarms.values():
        assert tuple(alarm.props["actions"]) == (Ref("sns_topic.alarms", "arn"),)
        assert alarm.props["alarm_name"] == f"weft-shop-{alarm.name}"


def test_container_insights_is_off_by_default_and_brings_its_add_on_role_and_node_alarms():
    plain = parse_fabric(fabric_text(), source="fabric.yaml")
    addresses = {
        r.address for r in desired_resources(plain, account_id="123456789012", zones=ZONES)
    }
    assert "eks_addon.amazon-cloudwatch-observability" not in addresses
    text = fabric_text(
        "observability:\n  container_insights: true\n  alarms: {email: [oncall@example.com]}\n"
    )
    fabric = parse_fabric(text, source="fabric.yaml")
    by = {r.address: r for r in desired_resources(fabric, account_id="123456789012", zones=ZONES)}
    addon = by["eks_addon.amazon-cloudwatch-observability"]
    assert addon.props["service_account_role_arn"] == Ref("iam_role.cloudwatch-agent", "arn")
    assert set(addon.depends_on) == {a for a in by if a.startswith("eks_nodegroup.")}
    role = thaw(by["iam_role.cloudwatch-agent"].props)
    assert role["managed_policies"] == ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]
    assert "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent" in str(
        role["assume_role_policy"]
    )
    nodes = {a: r for a, r in by.items() if a.startswith("metric_alarm.nodes-")}
    assert sorted(nodes) == [
        "metric_alarm.nodes-cpu",
        "metric_alarm.nodes-memory",
        "metric_alarm.nodes-not-ready",
    ]
    for alarm in nodes.values():
        assert alarm.props["namespace"] == "ContainerInsights"
        assert dict(alarm.props["dimensions"]) == {"ClusterName": "shop"}


INSIGHTS_TITLES = (
    "nodes: CPU % and memory %",
    "nodes: count and failed (not ready)",
    "pods running in namespace shop",
)


def test_no_node_or_pod_widget_without_container_insights():
    body = dashboard()["body"]
    assert "ContainerInsights" not in json.dumps(body, default=str)
    names = titles(body)
    assert not [t for t in names if t in INSIGHTS_TITLES or "restarts" in t]


def test_container_insights_brings_node_and_pod_widgets_on_the_agents_metrics():
    by = resources("observability:\n  container_insights: true\n")
    body = thaw(by["dashboard.fabric"].props)["body"]
    cluster = ["ClusterName", "shop"]
    assert metrics_of(body, "nodes: CPU % and memory %") == [
        ["ContainerInsights", "node_cpu_utilization", *cluster],
        ["ContainerInsights", "node_memory_utilization", *cluster],
    ]
    assert metrics_of(body, "nodes: count and failed (not ready)") == [
        ["ContainerInsights", "cluster_node_count", *cluster],
        ["ContainerInsights", "cluster_failed_node_count", *cluster],
    ]
    assert metrics_of(body, "pods running in namespace shop") == [
        ["ContainerInsights", "namespace_number_of_running_pods", "Namespace", "shop", *cluster]
    ]
    # each app (load balancer or not) by its Deployment's name, in the fabric's namespace
    for app in ("web", "api", "worker"):
        pod = ["PodName", app, "Namespace", "shop", *cluster]
        cpu, memory, restarts = metrics_of(
            body, f"app {app}: pods' CPU %, memory % and container restarts"
        )
        assert cpu == ["ContainerInsights", "pod_cpu_utilization", *pod]
        assert memory == ["ContainerInsights", "pod_memory_utilization", *pod]
        assert restarts == [
            "ContainerInsights",
            "pod_number_of_container_restarts",
            *pod,
            {"stat": "Sum", "yAxis": "right"},
        ]
    # laid out with the others, none overlapping
    cells = set()
    for w in body["widgets"]:
        for x in range(w["x"], w["x"] + w["width"]):
            for y in range(w["y"], w["y"] + w["height"]):
                assert (x, y) not in cells
                cells.add((x, y))


def test_container_insights_brings_a_restart_alarm_per_app_only_with_alarms_on():
    quiet = resources("observability:\n  container_insights: true\n")
    assert not [a for a in quiet if a.startswith("metric_alarm.")]
    plain = resources("observability:\n  alarms: {email: [oncall@example.com]}\n")
    assert not [a for a in plain if a.startswith("metric_alarm.pods-")]
    by = resources(
        "observability:\n  container_insights: true\n  alarms: {email: [oncall@example.com]}\n"
    )
    pods = {a: thaw(r.props) for a, r in by.items() if a.startswith("metric_alarm.pods-")}
    assert sorted(pods) == [
        "metric_alarm.pods-api-restarts",
        "metric_alarm.pods-web-restarts",
        "metric_alarm.pods-worker-restarts",
    ]
    web = pods["metric_alarm.pods-web-restarts"]
    assert web["alarm_name"] == "weft-shop-pods-web-restarts"
    assert (web["namespace"], web["metric"]) == (
        "ContainerInsights",
        "pod_number_of_container_restarts",
    )
    assert web["dimensions"] == {"ClusterName": "shop", "Namespace": "shop", "PodName": "web"}
    assert (web["statistic"], web["period"], web["evaluation_periods"]) == ("Sum", 300, 3)
    assert (web["threshold"], web["comparison"]) == (0.0, "GreaterThanThreshold")
    assert web["actions"] == [Ref("sns_topic.alarms", "arn")]
    assert by["metric_alarm.pods-web-restarts"].depends_on == ("sns_topic.alarms",)
