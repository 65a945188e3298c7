"""What ``observability.alarms`` makes: CloudWatch alarms to an SNS topic of the fabric.

On only with ``email`` addresses (:mod:`weft.fabricfile.observability`): the topic, encrypted
with the fabric key (whose policy grants CloudWatch its use: :func:`alarm_key_statement`), with
a policy letting this account's alarms publish (:func:`topic_policy`) and an e-mail
subscription per address; and the alarms (:func:`alarm_specs`): a database with less than 10%
of its storage free, the certificate within 30 days of expiry, NAT gateway port allocation
errors and dropped packets; with Container Insights, the node alarms (:func:`node_alarm_specs`)
and each app's restart alarm (:func:`pod_alarm_specs`). Each app's 5xx alarm is written by
``weft deploy`` on the load balancer the controller made (:func:`app_alarm_props`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric
from weft.model.builder import Builder
from weft.model.observability import INSIGHTS, PERIOD, of_kind

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


def _counted(
    fabric: Fabric,
    name: str,
    description: str,
    metric: tuple[str, str],
    dimensions: dict[str, Any],
    *,
    periods: int,
) -> tuple[str, dict[str, Any]]:
    """An alarm on a count: set off when it is above 0 in each of ``periods`` 5-minute periods
    running."""
    return _alarm(
        fabric,
        name,
        description,
        metric,
        dimensions,
        statistic="Sum",
        period=PERIOD,
        periods=periods,
        threshold=0.0,
        comparison="GreaterThanThreshold",
    )


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
    for db in of_kind(resources, "db_instance"):
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
    for cert in of_kind(resources, "acm_certificate"):
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
    for nat in of_kind(resources, "nat_gateway"):
        dim = {"NatGatewayId": Ref(nat.address)}
        out.append(
            _counted(
                fabric,
                f"nat-{nat.name}-port-errors",
                f"weft fabric {fabric.name}: NAT gateway {nat.name} could not allocate source "
                "ports (connections refused)",
                ("AWS/NATGateway", "ErrorPortAllocation"),
                dim,
                periods=1,
            )
        )
        out.append(
            _counted(
                fabric,
                f"nat-{nat.name}-dropped",
                f"weft fabric {fabric.name}: NAT gateway {nat.name} dropped packets for 15 minutes",
                ("AWS/NATGateway", "PacketsDropCount"),
                dim,
                periods=3,
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


#: node CPU or memory above this share for 15 minutes sets off its alarm
NODE_BUSY = 80.0


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
            _counted(
                fabric,
                f"pods-{app.name}-restarts",
                f"weft fabric {fabric.name}: the containers of app {app.name} keep restarting "
                "(restarts in each of the last three 5-minute periods)",
                (INSIGHTS, "pod_number_of_container_restarts"),
                {"ClusterName": fabric.name, "Namespace": fabric.name, "PodName": app.name},
                periods=3,
            )
        )
    return out
