"""CloudWatch metric alarms: the fabric's alarms (:mod:`weft.model.alarms`).

Props: ``alarm_name`` (immutable: a new name is a new alarm), the alarm's definition
(``description``, ``namespace``, ``metric``, ``dimensions`` as a name → value map,
``statistic``, ``period``, ``evaluation_periods``, ``threshold``, ``comparison``,
``treat_missing_data``, ``actions``: the ARNs its ``ALARM`` and ``OK`` states notify) and
``tags``. ``PutMetricAlarm`` replaces an alarm's definition whole (and ignores ``Tags`` for an
alarm that exists), so every definition field has the one setter that puts it again; tags go
through CloudWatch's ``TagResource`` / ``UntagResource``. Output: ``arn`` and ``state``.

Found by listing the alarms named ``weft-FABRIC-...`` (``DescribeAlarms`` with
``AlarmNamePrefix``) and keeping those tagged with the fabric and of the driver's kind:
``metric_alarm`` (from the fabric file) or ``app_alarm`` (an app's load balancer alarm, written
by ``weft deploy`` once the AWS Load Balancer Controller has made the load balancer; see
:mod:`.app_alarm`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, tagger
from weft.core.resource import KindSchema, Observed, Resource

KIND = "metric_alarm"

CLOUDWATCH = tagger.PairTagger(
    "cloudwatch",
    add=lambda c, t, tags: c.tag_resource(ResourceARN=t, Tags=tagging.to_aws(tags)),
    remove=lambda c, t, tags: c.untag_resource(ResourceARN=t, TagKeys=sorted(tags)),
)

#: the props PutMetricAlarm sets
DEFINITION = (
    "description",
    "namespace",
    "metric",
    "dimensions",
    "statistic",
    "period",
    "evaluation_periods",
    "threshold",
    "comparison",
    "treat_missing_data",
    "actions",
)


def prefix(fabric: str) -> str:
    return f"weft-{fabric}-"


def _request(props: dict[str, Any]) -> dict[str, Any]:
    actions = [str(a) for a in props["actions"]]
    return {
        "AlarmName": props["alarm_name"],
        "AlarmDescription": props["description"],
        "Namespace": props["namespace"],
        "MetricName": props["metric"],
        "Dimensions": [
            {"Name": str(k), "Value": str(v)} for k, v in sorted(props["dimensions"].items())
        ],
        "Statistic": props["statistic"],
        "Period": int(props["period"]),
        "EvaluationPeriods": int(props["evaluation_periods"]),
        "Threshold": float(props["threshold"]),
        "ComparisonOperator": props["comparison"],
        "TreatMissingData": props["treat_missing_data"],
        "ActionsEnabled": True,
        "AlarmActions": actions,
        "OKActions": actions,
    }


def _put(edit: kit.Edit) -> None:
    edit.ctx.client("cloudwatch").put_metric_alarm(**_request(edit.props))


PUT = kit.Setter(frozenset(DEFINITION), _put)


def _tagged(ctx: AwsContext) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every metric alarm named with the fabric's prefix, with its tags (one paginated
    DescribeAlarms, then ListTagsForResource per alarm: CloudWatch has no bulk tag read)."""
    cw = ctx.client("cloudwatch")
    alarms = pagination.items(
        cw,
        "describe_alarms",
        "MetricAlarms",
        AlarmNamePrefix=prefix(ctx.fabric),
        AlarmTypes=["MetricAlarm"],
    )
    found = []
    for alarm in alarms:
        answer = presence.if_found(cw.list_tags_for_resource, ResourceARN=str(alarm["AlarmArn"]))
        found.append((alarm, tagging.from_aws((answer or {}).get("Tags"))))
    return found


class MetricAlarmDriver(kit.TaggedDriver):
    setters = (PUT, kit.tags(CLOUDWATCH, kit.by_arn))
    #: PutMetricAlarm is an upsert: a retried create simply puts the alarm again
    adoption_look = "never"

    def __init__(self, kind: str = KIND, owner: str = "fabric") -> None:
        self.schema = KindSchema(
            kind,
            immutable=frozenset({"alarm_name"}),
            updatable=kit.covered(self.setters),
            owner=owner,
        )

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        # the fabric's and the apps' alarms share one listing (and one tag read per alarm)
        alarms = ctx.read_once(f"cloudwatch-alarms:{prefix(ctx.fabric)}", partial(_tagged, ctx))
        for alarm, tags in alarms:
            if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
                continue
            name = tagging.name_from_id_tag(tags, self.schema.kind)
            if name is None or (address is not None and tags.get(tagging.ID_TAG) != address):
                continue
            found.append(self._observed(name, alarm, dict(tags)))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        cw = ctx.client("cloudwatch")
        cw.put_metric_alarm(**_request(props), Tags=tagging.to_aws(props["tags"]))
        (alarm,) = cw.describe_alarms(AlarmNames=[props["alarm_name"]])["MetricAlarms"]
        return self._observed(resource.name, alarm, dict(props["tags"]))

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # DeleteAlarms answers success for names that do not exist
        ctx.client("cloudwatch").delete_alarms(AlarmNames=[observed.id])

    def _observed(self, name: str, alarm: dict[str, Any], tags: dict[str, str]) -> Observed:
        props = {
            "alarm_name": alarm["AlarmName"],
            "description": alarm.get("AlarmDescription", ""),
            "namespace": alarm.get("Namespace"),
            "metric": alarm.get("MetricName"),
            "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []},
            "statistic": alarm.get("Statistic"),
            "period": alarm.get("Period"),
            "evaluation_periods": alarm.get("EvaluationPeriods"),
            "threshold": float(alarm.get("Threshold") or 0),
            "comparison": alarm.get("ComparisonOperator"),
            "treat_missing_data": alarm.get("TreatMissingData"),
            "actions": list(alarm.get("AlarmActions") or []),
            "tags": tags,
        }
        outputs = {"arn": alarm["AlarmArn"], "state": alarm.get("StateValue")}
        return self.observed(name, alarm["AlarmName"], props, outputs)


DRIVER = MetricAlarmDriver()
