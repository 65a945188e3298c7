"""What ``observability:`` makes: the fabric's CloudWatch dashboard.

One dashboard per fabric, named :func:`dashboard_name`, whose body (:func:`dashboard_body`) is
built here from the fabric and its other desired resources, as pure data:

- each app on the fabric's load balancer (``ingress``): requests, target 5xx answers and target
  latency of its target group; each app with a load balancer of its own (``load_balancer``):
  new flows and target resets of its Network Load Balancer. The AWS Load Balancer Controller
  names target groups and load balancers ``k8s-NAMESPACE-NAME-HASH`` when the app is deployed,
  after the fabric is made, so these widgets use a CloudWatch ``SEARCH`` expression on the app's
  name rather than ids the fabric cannot know;
- each database: CPU, connections and free storage (``AWS/RDS``, ``DBInstanceIdentifier``);
- each cache: CPU (engine CPU), memory use and evictions of each of its nodes
  (``AWS/ElastiCache``, ``CacheClusterId`` ``GROUP-00N``, as ElastiCache names the members of a
  replication group);
- the NAT gateways: bytes out and in, errors (``ErrorPortAllocation``) and dropped packets;
- the control plane (the free ``AWS/EKS`` metrics): API server requests, 429 and 5xx answers;
- with Container Insights on (``observability.container_insights``), the metrics its CloudWatch
  agent publishes (``ContainerInsights``, "Amazon EKS and Kubernetes Container Insights metrics",
  Amazon CloudWatch User Guide): the nodes' CPU and memory use and their count, failed ones
  apart (``ClusterName``); the pods running in the apps' namespace (``Namespace``,
  ``ClusterName``); and each app's pods' CPU and memory use and container restarts
  (``PodName``, ``Namespace``, ``ClusterName``: the agent names a Deployment's pods after the
  Deployment, so ``PodName`` is the app's name). Without it there are no node or pod widgets:
  those metrics exist only when Container Insights is on, and are billed per observation.

Container Insights' add-on and role are made here too (:func:`container_insights_resources`);
the alarms are :mod:`weft.model.alarms`, the containers' logs :mod:`weft.model.logs`, and
Amazon Managed Service for Prometheus :mod:`weft.model.prometheus`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric
from weft.model.builder import Builder
from weft.model.cluster import CLUSTER, iam_role, irsa_trust

KIND = "dashboard"
ADDRESS = f"{KIND}.fabric"
#: seconds per point
PERIOD = 300
WIDTH = 12
HEIGHT = 6
#: the height of the header (the text widget naming the fabric)
HEADER = 2


def dashboard_name(fabric: str) -> str:
    """The name of the fabric's dashboard (dashboards cannot be tagged: found by this name)."""
    return f"weft-{fabric}"


def console_url(region: str, fabric: str) -> str:
    """The CloudWatch console address of the fabric's dashboard."""
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{dashboard_name(fabric)}"
    )


def ownership(fabric: str, address: str = ADDRESS) -> str:
    """The words in the dashboard's header that say it is weft's, of ``fabric``, at
    ``address``: dashboards cannot be tagged, so discovery reads these (as DNS records' owners
    are read from their TXT companions)."""
    return f"weft:fabric={fabric} weft:id={address}"


def header(fabric: str) -> dict[str, Any]:
    return {
        "type": "text",
        "width": 24,
        "height": HEADER,
        "x": 0,
        "y": 0,
        "properties": {
            "markdown": (
                f"# weft fabric {fabric}\n"
                "Made by weft from the fabric file; `weft up` puts back any change made here. "
                f"`{ownership(fabric)}`"
            )
        },
    }


def _widget(title: str, region: str, metrics: list[list[Any]], stat: str = "Average") -> dict:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stat": stat,
            "period": PERIOD,
            "metrics": metrics,
        },
    }


def _search(namespace: str, metric: str, token: str, stat: str) -> list[Any]:
    """A metric math ``SEARCH`` line; its id (unique in the widget, a lowercase letter first,
    as metric math ids must be) is made from the metric's name."""
    query = f'{namespace} MetricName="{metric}" "{token}"'
    return [
        {
            "expression": f"SEARCH('{query}', '{stat}', {PERIOD})",
            "id": f"search_{metric.lower()}",
            "label": metric,
        }
    ]


def _app_widgets(fabric: Fabric) -> list[dict]:
    region = fabric.region
    widgets = []
    for app in fabric.apps:
        if app.ingress is not None:
            space = "{AWS/ApplicationELB,LoadBalancer,TargetGroup}"
            widgets.append(
                _widget(
                    f"app {app.name}: requests and 5xx",
                    region,
                    [
                        _search(space, "RequestCount", app.name, "Sum"),
                        _search(space, "HTTPCode_Target_5XX_Count", app.name, "Sum"),
                    ],
                    "Sum",
                )
            )
            widgets.append(
                _widget(
                    f"app {app.name}: latency (p90, seconds)",
                    region,
                    [_search(space, "TargetResponseTime", app.name, "p90")],
                    "p90",
                )
            )
        elif app.load_balancer:
            space = "{AWS/NetworkELB,LoadBalancer}"
            widgets.append(
                _widget(
                    f"app {app.name}: connections",
                    region,
                    [
                        _search(space, "NewFlowCount", app.name, "Sum"),
                        _search(space, "TCP_Target_Reset_Count", app.name, "Sum"),
                    ],
                    "Sum",
                )
            )
    return widgets


def of_kind(resources: Iterable[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r.kind == kind]


def dashboard_body(fabric: Fabric, resources: Iterable[Resource]) -> dict[str, Any]:
    """The dashboard's body (``PutDashboard``'s ``DashboardBody``, before JSON) for ``fabric``
    whose other desired resources are ``resources``. NAT gateway ids are Refs, resolved when
    the dashboard is written."""
    region = fabric.region
    resources = list(resources)
    widgets = _app_widgets(fabric)
    for db in of_kind(resources, "db_instance"):
        dim = ["DBInstanceIdentifier", db.props["identifier"]]
        widgets.append(
            _widget(
                f"database {db.name}: CPU % and connections",
                region,
                [
                    ["AWS/RDS", "CPUUtilization", *dim],
                    ["AWS/RDS", "DatabaseConnections", *dim, {"yAxis": "right"}],
                ],
            )
        )
        widgets.append(
            _widget(
                f"database {db.name}: free storage (bytes of {db.props['storage_gb']} GB)",
                region,
                [["AWS/RDS", "FreeStorageSpace", *dim]],
                "Minimum",
            )
        )
    for cache in of_kind(resources, "cache_replication_group"):
        group = cache.props["id"]
        nodes = [f"{group}-{n:03d}" for n in range(1, int(cache.props["num_cache_clusters"]) + 1)]
        for title, metric, stat in (
            ("CPU %", "EngineCPUUtilization", "Average"),
            ("memory %", "DatabaseMemoryUsagePercentage", "Average"),
            ("evictions", "Evictions", "Sum"),
        ):
            widgets.append(
                _widget(
                    f"cache {cache.name}: {title}",
                    region,
                    [["AWS/ElastiCache", metric, "CacheClusterId", node] for node in nodes],
                    stat,
                )
            )
    nats = of_kind(resources, "nat_gateway")
    if nats:
        ids = [Ref(f"nat_gateway.{nat.name}") for nat in nats]
        widgets.append(
            _widget(
                "NAT gateways: bytes",
                region,
                [
                    ["AWS/NATGateway", metric, "NatGatewayId", nat_id]
                    for nat_id in ids
                    for metric in ("BytesOutToDestination", "BytesInFromDestination")
                ],
                "Sum",
            )
        )
        widgets.append(
            _widget(
                "NAT gateways: errors",
                region,
                [
                    ["AWS/NATGateway", metric, "NatGatewayId", nat_id]
                    for nat_id in ids
                    for metric in ("ErrorPortAllocation", "PacketsDropCount")
                ],
                "Sum",
            )
        )
    if fabric.cluster is not None:
        dim = ["ClusterName", fabric.name]
        widgets.append(
            _widget(
                "control plane: API requests, 429 and 5xx",
                region,
                [
                    ["AWS/EKS", "apiserver_request_total", *dim],
                    ["AWS/EKS", "apiserver_request_total_429", *dim],
                    ["AWS/EKS", "apiserver_request_total_5XX", *dim],
                ],
                "Sum",
            )
        )
    widgets.extend(_container_insights_widgets(fabric))
    return {"widgets": [header(fabric.name), *_placed(widgets)]}


#: the namespace of the metrics Container Insights' CloudWatch agent publishes
INSIGHTS = "ContainerInsights"


def _container_insights_widgets(fabric: Fabric) -> list[dict]:
    """The node and pod widgets (none unless Container Insights is on). The apps run in the
    namespace named after the fabric, where the application commands put them."""
    if not fabric.observability.container_insights or fabric.cluster is None:
        return []
    region = fabric.region
    cluster = ["ClusterName", fabric.name]
    namespace = ["Namespace", fabric.name]
    widgets = [
        _widget(
            "nodes: CPU % and memory %",
            region,
            [
                [INSIGHTS, "node_cpu_utilization", *cluster],
                [INSIGHTS, "node_memory_utilization", *cluster],
            ],
        ),
        _widget(
            "nodes: count and failed (not ready)",
            region,
            [
                [INSIGHTS, "cluster_node_count", *cluster],
                [INSIGHTS, "cluster_failed_node_count", *cluster],
            ],
            "Maximum",
        ),
        _widget(
            f"pods running in namespace {fabric.name}",
            region,
            [[INSIGHTS, "namespace_number_of_running_pods", *namespace, *cluster]],
        ),
    ]
    for app in fabric.apps:
        pod = ["PodName", app.name, *namespace, *cluster]
        widgets.append(
            _widget(
                f"app {app.name}: pods' CPU %, memory % and container restarts",
                region,
                [
                    [INSIGHTS, "pod_cpu_utilization", *pod],
                    [INSIGHTS, "pod_memory_utilization", *pod],
                    [
                        INSIGHTS,
                        "pod_number_of_container_restarts",
                        *pod,
                        {"stat": "Sum", "yAxis": "right"},
                    ],
                ],
            )
        )
    return widgets


def _placed(widgets: list[dict]) -> list[dict]:
    """Widgets two to a row, in order."""
    per_row = 24 // WIDTH
    return [
        {**w, "x": (i % per_row) * WIDTH, "y": HEADER + (i // per_row) * HEIGHT}
        for i, w in enumerate(widgets)
    ]


def observability_resources(fabric: Fabric, resources: Iterable[Resource]) -> list[Resource]:
    """The fabric's dashboard (none when ``observability.dashboard`` is off)."""
    if not fabric.observability.dashboard:
        return []
    body = dashboard_body(fabric, resources)
    return [Resource(KIND, "fabric", {"name": dashboard_name(fabric.name), "body": body})]


# -- Container Insights ----------------------------------------------------------------------------

CONTAINER_INSIGHTS = "amazon-cloudwatch-observability"
#: the CloudWatch agent's service account, which the add-on's role trusts
CLOUDWATCH_AGENT_SERVICE_ACCOUNT = "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent"
CLOUDWATCH_AGENT_POLICY = "CloudWatchAgentServerPolicy"


def container_insights_resources(fabric: Fabric, compute: Iterable[str]) -> list[Resource]:
    """The ``amazon-cloudwatch-observability`` add-on and its IRSA role (none unless
    ``observability.container_insights``); the add-on runs pods, so it comes after ``compute``
    (the node groups and Fargate profiles)."""
    if not fabric.observability.container_insights or fabric.cluster is None:
        return []
    b = Builder(fabric)
    role = iam_role(
        b,
        "cloudwatch-agent",
        irsa_trust(CLOUDWATCH_AGENT_SERVICE_ACCOUNT),
        [CLOUDWATCH_AGENT_POLICY],
    )
    b.add(
        "eks_addon",
        CONTAINER_INSIGHTS,
        {
            "cluster_name": CLUSTER,
            "addon_name": CONTAINER_INSIGHTS,
            "addon_version": None,
            "service_account_role_arn": Ref(role.address, "arn"),
            "configuration": {},
        },
        depends_on=tuple(compute),
    )
    return b.resources
