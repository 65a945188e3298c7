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


def _of_kind(resources: Iterable[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r.kind == kind]


def dashboard_body(fabric: Fabric, resources: Iterable[Resource]) -> dict[str, Any]:
    """The dashboard's body (``PutDashboard``'s ``DashboardBody``, before JSON) for ``fabric``
    whose other desired resources are ``resources``. NAT gateway ids are Refs, resolved when
    the dashboard is written."""
    region = fabric.region
    resources = list(resources)
    widgets = _app_widgets(fabric)
    for db in _of_kind(resources, "db_instance"):
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
    for cache in _of_kind(resources, "cache_replication_group"):
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
    nats = _of_kind(resources, "nat_gateway")
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


# -- alarms --------------------------------------------------------------------------------------

TOPIC_KIND = "sns_topic"
TOPIC_ADDRESS = f"{TOPIC_KIND}.alarms"
ALARM_KIND = "metric_alarm"
#: CloudWatch's service principal, which publishes alarm actions
CLOUDWATCH = "cloudwatch.amazonaws.com"
#: bytes in a GiB (RDS allocates storage in GiB; FreeStorageSpace is in bytes)
GIB = 1024**3
#: a database's free storage below this share of its allocated storage sets off its alarm
DB_FREE_SHARE = 0.10
#: a certificate this many days or fewer before it expires sets off its alarm
CERT_DAYS = 30


def topic_name(fabric: str) -> str:
    """The name of the fabric's alarm topic (found by it and by its tags)."""
    return f"weft-{fabric}-alarms"


def topic_arn(fabric: Fabric, account_id: str) -> str:
    return f"arn:aws:sns:{fabric.region}:{account_id}:{topic_name(fabric.name)}"


def alarm_prefix(fabric: str) -> str:
    """The name prefix of the fabric's alarms (discovery lists them by it)."""
    return f"weft-{fabric}-"


def alarm_key_statement() -> dict[str, Any]:
    """The fabric key policy's grant to CloudWatch: the alarm topic is encrypted with the fabric
    key, and CloudWatch publishes to it only when it may use the key ("Configure AWS KMS
    permissions for AWS services", SNS Developer Guide); without it every alarm is dropped."""
    return {
        "Sid": "CloudWatch alarms to the alarm topic",
        "Effect": "Allow",
        "Principal": {"Service": CLOUDWATCH},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    }


def topic_policy(fabric: Fabric, account_id: str) -> dict[str, Any]:
    """The alarm topic's policy: the account manages it, and CloudWatch alarms of this account
    (and of this region) only may publish to it."""
    arn = topic_arn(fabric, account_id)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": arn,
            },
            {
                "Sid": "CloudWatch alarms of this account",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH},
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:aws:cloudwatch:{fabric.region}:{account_id}:alarm:*"
                    },
                },
            },
        ],
    }


def _alarm(
    fabric: Fabric,
    name: str,
    description: str,
    metric: tuple[str, str],
    dimensions: dict[str, Any],
    *,
    statistic: str,
    period: int,
    periods: int,
    threshold: float,
    comparison: str,
    missing: str = "notBreaching",
) -> tuple[str, dict[str, Any]]:
    namespace, metric_name = metric
    return name, {
        "alarm_name": f"{alarm_prefix(fabric.name)}{name}",
        "description": description,
        "namespace": namespace,
        "metric": metric_name,
        "dimensions": dimensions,
        "statistic": statistic,
        "period": period,
        "evaluation_periods": periods,
        "threshold": threshold,
        "comparison": comparison,
        "treat_missing_data": missing,
        "actions": [Ref(TOPIC_ADDRESS, "arn")],
    }


def alarm_specs(fabric: Fabric, resources: Iterable[Resource]) -> list[tuple[str, dict[str, Any]]]:
    """(name, props) of the fabric's alarms, tags aside: the failures a small team must hear
    about, on the dimensions of the resources weft makes.

    - each database: ``FreeStorageSpace`` (minimum over 5 minutes) below 10% of its allocated
      storage;
    - the fabric's certificate: ``DaysToExpiry`` (daily) below 30 (ACM renews it by itself; the
      alarm says a renewal failed, as when its validation record was removed);
    - each NAT gateway: any ``ErrorPortAllocation`` (connections refused: the gateway ran out of
      ports to one destination) and ``PacketsDropCount`` for 15 minutes running.

    None for the control plane: EKS runs it, its 5xx are in the dashboard, and an alarm there
    wakes people for what only AWS can fix. Node and pod alarms need Container Insights
    (:func:`node_alarm_specs`, :func:`pod_alarm_specs`).
    """
    out: list[tuple[str, dict[str, Any]]] = []
    resources = list(resources)
    for db in _of_kind(resources, "db_instance"):
        gb = int(db.props["storage_gb"])
        out.append(
            _alarm(
                fabric,
                f"db-{db.name}-storage",
                f"weft fabric {fabric.name}: database {db.name} has less than 10% of its "
                f"{gb} GiB free",
                ("AWS/RDS", "FreeStorageSpace"),
                {"DBInstanceIdentifier": db.props["identifier"]},
                statistic="Minimum",
                period=PERIOD,
                periods=1,
                threshold=float(int(gb * GIB * DB_FREE_SHARE)),
                comparison="LessThanThreshold",
                missing="missing",
            )
        )
    for cert in _of_kind(resources, "acm_certificate"):
        out.append(
            _alarm(
                fabric,
                f"certificate-{cert.name}-expiry",
                f"weft fabric {fabric.name}: certificate {cert.props['domain']} expires in "
                f"less than {CERT_DAYS} days (ACM could not renew it)",
                ("AWS/CertificateManager", "DaysToExpiry"),
                {"CertificateArn": Ref(cert.address, "arn")},
                statistic="Minimum",
                period=86400,
                periods=1,
                threshold=float(CERT_DAYS),
                comparison="LessThanThreshold",
            )
        )
    for nat in _of_kind(resources, "nat_gateway"):
        dim = {"NatGatewayId": Ref(nat.address)}
        out.append(
            _alarm(
                fabric,
                f"nat-{nat.name}-port-errors",
                f"weft fabric {fabric.name}: NAT gateway {nat.name} could not allocate source "
                "ports (connections refused)",
                ("AWS/NATGateway", "ErrorPortAllocation"),
                dim,
                statistic="Sum",
                period=PERIOD,
                periods=1,
                threshold=0.0,
                comparison="GreaterThanThreshold",
            )
        )
        out.append(
            _alarm(
                fabric,
                f"nat-{nat.name}-dropped",
                f"weft fabric {fabric.name}: NAT gateway {nat.name} dropped packets for 15 minutes",
                ("AWS/NATGateway", "PacketsDropCount"),
                dim,
                statistic="Sum",
                period=PERIOD,
                periods=3,
                threshold=0.0,
                comparison="GreaterThanThreshold",
            )
        )
    return out


def alarm_resources(
    fabric: Fabric, resources: Iterable[Resource], account_id: str
) -> list[Resource]:
    """The alarm topic (encrypted with the fabric key, its e-mail subscriptions) and the
    alarms; none without ``observability.alarms.email``."""
    alarms = fabric.observability.alarms
    if not alarms.on:
        return []
    b = Builder(fabric)
    topic = b.add(
        TOPIC_KIND,
        "alarms",
        {
            "name": topic_name(fabric.name),
            "kms_key_arn": Ref("kms_key.fabric", "arn"),
            "policy": topic_policy(fabric, account_id),
            "emails": sorted(set(alarms.email)),
        },
    )
    specs = [*alarm_specs(fabric, resources), *node_alarm_specs(fabric), *pod_alarm_specs(fabric)]
    for name, props in specs:
        b.add(ALARM_KIND, name, props, depends_on=(topic.address,))
    return b.resources


#: an app's target 5xx answers in one period that set off its alarm (two periods running)
APP_5XX = 5


def app_alarm_props(
    fabric: Fabric, account_id: str, app: str, load_balancer: str, target_group: str
) -> dict[str, Any]:
    """The props of ``app``'s alarm (``app_alarm``, written by ``weft deploy``): its target
    group's 5xx answers (``HTTPCode_Target_5XX_Count``, on the ``LoadBalancer`` and
    ``TargetGroup`` dimensions: the ARN suffixes of what the AWS Load Balancer Controller made)
    above :data:`APP_5XX` in 5 minutes, two periods running, to the alarm topic. Apps with a
    Network Load Balancer of their own get none: it answers no HTTP."""
    _, props = _alarm(
        fabric,
        f"app-{app}-5xx",
        f"weft fabric {fabric.name}: app {app} answered more than {APP_5XX} 5xx responses in "
        "5 minutes, twice running",
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        {"LoadBalancer": load_balancer, "TargetGroup": target_group},
        statistic="Sum",
        period=PERIOD,
        periods=2,
        threshold=float(APP_5XX),
        comparison="GreaterThanThreshold",
    )
    return {**props, "actions": [topic_arn(fabric, account_id)]}


# -- Container Insights ----------------------------------------------------------------------------

CONTAINER_INSIGHTS = "amazon-cloudwatch-observability"
#: the CloudWatch agent's service account, which the add-on's role trusts
CLOUDWATCH_AGENT_SERVICE_ACCOUNT = "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent"
CLOUDWATCH_AGENT_POLICY = "CloudWatchAgentServerPolicy"
#: node CPU or memory above this share for 15 minutes sets off its alarm
NODE_BUSY = 80.0


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


def node_alarm_specs(fabric: Fabric) -> list[tuple[str, dict[str, Any]]]:
    """Container Insights' node alarms (``ContainerInsights``, ``ClusterName``): a node not
    ready (``cluster_failed_node_count`` above 0 for 10 minutes), and the nodes' CPU or memory
    above 80% on average for 15 minutes."""
    if not fabric.observability.container_insights or fabric.cluster is None:
        return []
    dim = {"ClusterName": fabric.name}
    out = [
        _alarm(
            fabric,
            "nodes-not-ready",
            f"weft fabric {fabric.name}: a node of the cluster is not ready",
            ("ContainerInsights", "cluster_failed_node_count"),
            dim,
            statistic="Maximum",
            period=PERIOD,
            periods=2,
            threshold=0.0,
            comparison="GreaterThanThreshold",
        )
    ]
    for what, metric in (("cpu", "node_cpu_utilization"), ("memory", "node_memory_utilization")):
        out.append(
            _alarm(
                fabric,
                f"nodes-{what}",
                f"weft fabric {fabric.name}: the nodes' {what} above {NODE_BUSY:g}% for 15 minutes",
                ("ContainerInsights", metric),
                dim,
                statistic="Average",
                period=PERIOD,
                periods=3,
                threshold=NODE_BUSY,
                comparison="GreaterThanThreshold",
            )
        )
    return out


def pod_alarm_specs(fabric: Fabric) -> list[tuple[str, dict[str, Any]]]:
    """Container Insights' restart alarm of each app (``pods-APP-restarts``): its containers
    restarted in each of three 5-minute periods running, as a crash loop does (a single restart,
    or a rollout, stays quiet). ``pod_number_of_container_restarts`` counts the restarts since the
    agent's previous sample, on ``PodName`` (the Deployment's name for its pods: the app's),
    ``Namespace`` (the fabric's, where the apps run) and ``ClusterName``."""
    if not fabric.observability.container_insights or fabric.cluster is None:
        return []
    out = []
    for app in fabric.apps:
        out.append(
            _alarm(
                fabric,
                f"pods-{app.name}-restarts",
                f"weft fabric {fabric.name}: the containers of app {app.name} keep restarting "
                "(restarts in each of the last three 5-minute periods)",
                (INSIGHTS, "pod_number_of_container_restarts"),
                {"ClusterName": fabric.name, "Namespace": fabric.name, "PodName": app.name},
                statistic="Sum",
                period=PERIOD,
                periods=3,
                threshold=0.0,
                comparison="GreaterThanThreshold",
            )
        )
    return out
