"""The fabric's alarms on the local cloud: e-mail subscriptions wait for confirmation and alarm
actions reach an encrypted topic only when CloudWatch may use its key, as on AWS
(weft.local.moto_alarms); ``up`` makes the topic, its subscriptions, the key grant and the
alarms on the real dimensions of what it made, and ``down`` leaves none of them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from weft.aws.context import AwsContext
from weft.aws.session import AwsSession
from weft.model.alarms import alarm_key_statement, topic_name
from weft.model.fabric import key_policy
from weft.model.observability import CONTAINER_INSIGHTS as CONTAINER_INSIGHTS_ADDON

from .helpers import CLUSTER_VERSION, down, fabric_text, target_for, up, up_delegated

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ACCOUNT = "123456789012"


@pytest.fixture
def ctx(moto_url: str) -> AwsContext:
    session = AwsSession(
        REGION, endpoint_url=moto_url, credentials=("weft-local", "weft-local-secret")
    )
    fabric = f"a{uuid.uuid4().hex[:10]}"
    return AwsContext(session, fabric=fabric, account_id=ACCOUNT, run_id="r1")


def queue_on(ctx: AwsContext, topic_arn: str) -> str:
    """An SQS queue subscribed to the topic (delivered at once): what reaches the topic."""
    sqs = ctx.client("sqs")
    url = sqs.create_queue(QueueName=f"q{uuid.uuid4().hex[:12]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    ctx.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def received(ctx: AwsContext, url: str) -> list[dict[str, Any]]:
    answer = ctx.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def alarm_on(ctx: AwsContext, topic_arn: str) -> str:
    name = f"weft-{ctx.fabric}-probe"
    ctx.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "probe"}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="LessThanThreshold",
        AlarmActions=[topic_arn],
    )
    return name


def owner_only(topic_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "SNS:Publish",
                "Resource": topic_arn,
            }
        ],
    }


def test_an_email_subscription_waits_for_its_owner(ctx: AwsContext) -> None:
    sns = ctx.client("sns")
    topic = sns.create_topic(Name=f"weft-{ctx.fabric}-mail")["TopicArn"]
    answer = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    assert answer["SubscriptionArn"] == "pending confirmation"
    arn = sns.subscribe(
        TopicArn=topic,
        Protocol="email",
        Endpoint="dev@example.com",
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "true"
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert {(s["Endpoint"], s["SubscriptionArn"]) for s in listed} == {
        ("oncall@example.com", "PendingConfirmation"),
        ("dev@example.com", "PendingConfirmation"),
    }
    sns.delete_topic(TopicArn=topic)


def _key(ctx: AwsContext, grant: bool) -> str:
    fabric = target_for(fabric_text(ctx.fabric)).fabric
    policy = key_policy(fabric, ACCOUNT)
    if grant:
        policy["Statement"].append(alarm_key_statement())
    kms = ctx.client("kms")
    return str(kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"])


@pytest.mark.parametrize(
    ("case", "delivered"),
    [
        ("key grants CloudWatch", True),
        ("key policy without CloudWatch", False),
        ("AWS managed key", False),
        ("topic policy without CloudWatch", False),
    ],
)
def test_an_alarm_reaches_its_topic_only_when_cloudwatch_may_use_the_key(
    ctx: AwsContext, case: str, delivered: bool
) -> None:
    """As on AWS: CloudWatch publishes an alarm's action to an encrypted topic only when the
    key policy lets cloudwatch.amazonaws.com use the key (never with alias/aws/sns), and only
    when the topic policy lets it publish; otherwise the notification is dropped."""
    sns = ctx.client("sns")
    key = {
        "key grants CloudWatch": lambda: _key(ctx, grant=True),
        "key policy without CloudWatch": lambda: _key(ctx, grant=False),
        "AWS managed key": lambda: "alias/aws/sns",
        "topic policy without CloudWatch": lambda: _key(ctx, grant=True),
    }[case]()
    topic = sns.create_topic(Name=f"weft-{ctx.fabric}-alarms", Attributes={"KmsMasterKeyId": key})[
        "TopicArn"
    ]
    if case == "topic policy without CloudWatch":
        sns.set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(owner_only(topic))
        )
    queue = queue_on(ctx, topic)
    name = alarm_on(ctx, topic)
    ctx.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    messages = received(ctx, queue)
    if delivered:
        (message,) = messages
        alarm = json.loads(message["Message"])
        assert alarm["AlarmName"] == name and alarm["NewStateValue"] == "ALARM"
        assert message["Subject"] == f'ALARM: "{name}" in {REGION}'
    else:
        assert messages == []
    ctx.client("cloudwatch").delete_alarms(AlarmNames=[name])
    sns.delete_topic(TopicArn=topic)


FABRIC_EXTRA = """\
databases:
  - {name: main, engine_version: "16.3", instance_class: db.t4g.medium, storage_gb: 50}
observability:
  alarms: {email: [oncall@example.com, Dev@Example.com]}
"""


def test_up_makes_the_alarms_on_what_it_made_and_down_removes_them(clean_cloud: str) -> None:
    name = f"al{uuid.uuid4().hex[:6]}"
    text = fabric_text(name, zones=2, extra=FABRIC_EXTRA + f"dns: {{domain: {name}.example.com}}\n")
    target = target_for(text)
    outcome = up_delegated(target, clean_cloud)
    assert outcome.ok, outcome
    session = target.session
    sns, cw = session.client("sns"), session.client("cloudwatch")
    kms, rds, ec2 = session.client("kms"), session.client("rds"), session.client("ec2")

    # the topic: encrypted with the fabric key, which lets CloudWatch use it
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic_name(name)}"
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    key_arn = attributes["KmsMasterKeyId"]
    key = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert key["KeyState"] == "Enabled"
    policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    assert alarm_key_statement() in policy["Statement"]
    topic_policy = json.loads(attributes["Policy"])
    (cloudwatch,) = [
        s
        for s in topic_policy["Statement"]
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    # the subscriptions: each address waits for its owner
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert {(s["Endpoint"], s["SubscriptionArn"]) for s in listed} == {
        ("dev@example.com", "PendingConfirmation"),
        ("oncall@example.com", "PendingConfirmation"),
    }

    # weft status says who has not confirmed yet
    from weft.ops.status import status

    (row,) = [r for r in status(target).rows if r.address == "sns_topic.alarms"]
    assert "2 e-mail subscription(s) pending confirmation" in row.note
    assert "dev@example.com, oncall@example.com" in row.note

    # the alarms: on the dimensions of what weft made, to the topic
    alarms = {
        a["AlarmName"]: a
        for a in cw.describe_alarms(AlarmNamePrefix=f"weft-{name}-")["MetricAlarms"]
    }
    (db,) = rds.describe_db_instances()["DBInstances"]
    (nat,) = [
        n
        for n in ec2.describe_nat_gateways()["NatGateways"]
        if n["State"] in ("pending", "available")
    ]
    (cert,) = session.client("acm").list_certificates()["CertificateSummaryList"]

    def dims(alarm: str) -> dict[str, str]:
        return {d["Name"]: d["Value"] for d in alarms[alarm]["Dimensions"]}

    storage = alarms[f"weft-{name}-db-main-storage"]
    assert dims(f"weft-{name}-db-main-storage") == {
        "DBInstanceIdentifier": db["DBInstanceIdentifier"]
    }
    assert storage["Threshold"] == 50 * 1024**3 * 0.10
    assert storage["ComparisonOperator"] == "LessThanThreshold"
    assert dims(f"weft-{name}-nat-a-port-errors") == {"NatGatewayId": nat["NatGatewayId"]}
    assert dims(f"weft-{name}-nat-a-dropped") == {"NatGatewayId": nat["NatGatewayId"]}
    expiry = alarms[f"weft-{name}-certificate-wildcard-expiry"]
    assert expiry["Namespace"] == "AWS/CertificateManager"
    assert dims(expiry["AlarmName"]) == {"CertificateArn": cert["CertificateArn"]}
    assert len(alarms) == 4
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic] and alarm["ActionsEnabled"]
        tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
        assert {"Key": "weft:fabric", "Value": name} in tags

    # an alarm goes off: CloudWatch reaches the topic through the fabric key's grant
    ctx = AwsContext(session, fabric=name, account_id=ACCOUNT, run_id="r1")
    queue = queue_on(ctx, topic)
    cw.set_alarm_state(AlarmName=storage["AlarmName"], StateValue="ALARM", StateReason="test")
    (message,) = received(ctx, queue)
    assert json.loads(message["Message"])["AlarmName"] == storage["AlarmName"]

    # down: no topic, no alarm
    assert down(target).ok
    assert not cw.describe_alarms(AlarmNamePrefix=f"weft-{name}-")["MetricAlarms"]
    assert topic not in {t["TopicArn"] for t in sns.list_topics()["Topics"]}


def test_cost_prices_the_alarms_and_their_emails_from_the_price_list(clean_cloud: str) -> None:
    """``weft cost``'s path: the local cloud's Price List API prices each alarm, the topic's
    e-mails at the stated volume, and the dashboard."""
    from weft.ops import cost
    from weft.ops.plan import make_plan

    text = fabric_text("alcost", zones=2, extra=FABRIC_EXTRA + "cost: {alarm_notifications: 50}\n")
    target = target_for(text)
    report = cost.estimate(target, make_plan(target)).to_dict()
    assert report["prices"].startswith("the local cloud's Price List API")
    assert report["after"]["unpriced"] == []
    by = {x["address"]: x for x in report["after"]["lines"]}
    for name in ("db-main-storage", "nat-a-port-errors", "nat-a-dropped"):
        line = by[f"metric_alarm.{name}"]
        assert line["unit_price"] == "0.10" and line["monthly"] == "0.10"
    mail = by["sns_topic.alarms"]
    assert mail["quantity"] == 100 and mail["unit_price"] == "0.00002"
    assert by["dashboard.fabric"]["monthly"] == "3.00"
    assert any("cost.alarm_notifications" in a for a in report["assumptions"])


CONTAINER_INSIGHTS = f"""\
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 1, max: 2, desired: 1}}
observability:
  container_insights: true
  alarms: {{email: [oncall@example.com]}}
apps:
  - {{name: web, image: registry.example.com/acme/web, version: "1.0.0"}}
"""


@pytest.mark.k8s
def test_container_insights_brings_its_add_on_role_and_node_alarms(
    clean_cloud: str, kube_api: Any
) -> None:
    name = f"ci{uuid.uuid4().hex[:6]}"
    target = target_for(fabric_text(name, zones=2, extra=CONTAINER_INSIGHTS))
    assert up(target).ok
    session = target.session
    eks, iam, cw = session.client("eks"), session.client("iam"), session.client("cloudwatch")
    addon = eks.describe_addon(clusterName=name, addonName=CONTAINER_INSIGHTS_ADDON)["addon"]
    role = addon["serviceAccountRoleArn"]
    trust = iam.get_role(RoleName=role.rsplit("/", 1)[-1])["Role"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    subjects = [
        v for c in statement["Condition"].values() for k, v in c.items() if k.endswith(":sub")
    ]
    assert subjects == ["system:serviceaccount:amazon-cloudwatch:cloudwatch-agent"]
    policies = iam.list_attached_role_policies(RoleName=role.rsplit("/", 1)[-1])
    assert [p["PolicyName"] for p in policies["AttachedPolicies"]] == [
        "CloudWatchAgentServerPolicy"
    ]
    alarms = {
        a["AlarmName"]: a
        for a in cw.describe_alarms(AlarmNamePrefix=f"weft-{name}-nodes-")["MetricAlarms"]
    }
    assert sorted(alarms) == [f"weft-{name}-nodes-{w}" for w in ("cpu", "memory", "not-ready")]
    for alarm in alarms.values():
        assert alarm["Namespace"] == "ContainerInsights"
        assert alarm["Dimensions"] == [{"Name": "ClusterName", "Value": name}]
    # the app's restart alarm, on the dimensions the CloudWatch agent publishes
    (restarts,) = cw.describe_alarms(AlarmNames=[f"weft-{name}-pods-web-restarts"])["MetricAlarms"]
    assert (restarts["Namespace"], restarts["MetricName"]) == (
        "ContainerInsights",
        "pod_number_of_container_restarts",
    )
    assert restarts["Dimensions"] == [
        {"Name": "ClusterName", "Value": name},
        {"Name": "Namespace", "Value": name},
        {"Name": "PodName", "Value": "web"},
    ]
    # the dashboard shows the nodes and the app's pods
    body = json.loads(cw.get_dashboard(DashboardName=f"weft-{name}")["DashboardBody"])
    lines = [m for w in body["widgets"] for m in w.get("properties", {}).get("metrics", [])]
    insights = [m[1:] for m in lines if m[0] == "ContainerInsights"]
    assert ["node_cpu_utilization", "ClusterName", name] in insights
    assert ["cluster_failed_node_count", "ClusterName", name] in insights
    pod = ["PodName", "web", "Namespace", name, "ClusterName", name]
    assert ["pod_memory_utilization", *pod] in insights
    assert ["pod_number_of_container_restarts", *pod, {"stat": "Sum", "yAxis": "right"}] in insights
    assert down(target).ok
    assert not cw.describe_alarms(AlarmNamePrefix=f"weft-{name}-")["MetricAlarms"]
