"""The local cloud's SNS e-mail subscriptions and CloudWatch alarm actions, as AWS has them.

moto 5.2.5 confirms every subscription at once and never runs an alarm's actions. AWS:

- an ``email`` / ``email-json`` subscription waits for its owner to follow the link AWS mails
  ("Subscribe an endpoint to an Amazon SNS topic", SNS Developer Guide:
  https://docs.aws.amazon.com/sns/latest/dg/sns-create-subscribe-endpoint-to-topic.html):
  ``Subscribe`` answers ``pending confirmation`` unless ``ReturnSubscriptionArn`` is true, the
  subscription's ``PendingConfirmation`` attribute is ``true``, and ``ListSubscriptionsByTopic``
  lists its ``SubscriptionArn`` as ``PendingConfirmation``; nothing is delivered to it.
  :func:`confirm` (for tests: the owner clicking the link) confirms one.
- an alarm whose state changes runs the actions of its new state when its actions are enabled
  ("Alarm actions", CloudWatch User Guide:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html). An
  SNS action publishes to the topic as the ``cloudwatch.amazonaws.com`` service principal, so it
  is delivered only when (1) the topic's policy lets that principal (of the alarm's account)
  ``sns:Publish``, and (2) for a topic encrypted with a KMS key, the key's policy lets
  ``cloudwatch.amazonaws.com`` use ``kms:Decrypt`` and ``kms:GenerateDataKey*``; an AWS managed
  key (``alias/aws/sns``) never does ("Configure AWS KMS permissions for AWS services", SNS
  Developer Guide:
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services,
  and "Using Amazon CloudWatch alarms", CloudWatch User Guide:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html). AWS
  drops such a publish and records it in the alarm's history ("Failed to execute action ...
  CloudWatch Alarms does not have authorization to access the SNS topic encryption key."); here
  it is dropped and :data:`ACTION_FAILED` keeps it in the alarm's history.

Policies are read as strictly as the emulator can: an ``Allow`` statement counts only when its
principal names the service (or, for the topic, ``AWS: "*"`` as the default topic policy has),
and its conditions only when each is one understood here (the source account / owner and the
source ARN); any other condition is taken as unmet, so the emulator never allows more than AWS.
"""

from __future__ import annotations

import fnmatch
import json
from datetime import UTC, datetime
from typing import Any

SERVICE = "cloudwatch.amazonaws.com"
EMAIL_PROTOCOLS = ("email", "email-json")
PENDING = "PendingConfirmation"
#: the history summary of an action that failed
ACTION_FAILED = "Failed to execute action {arn}. Received error: {error}"
KEY_DENIED = "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."
TOPIC_DENIED = "CloudWatch Alarms does not have authorization to publish to the SNS topic."
_ACCOUNT_KEYS = {"aws:sourceaccount", "aws:sourceowner"}
_ARN_KEYS = {"aws:sourcearn"}


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _statements(policy: str | dict[str, Any]) -> list[dict[str, Any]]:
    try:
        doc = json.loads(policy) if isinstance(policy, str) else policy
        found = doc.get("Statement", [])
    except (ValueError, AttributeError):
        return []
    return [found] if isinstance(found, dict) else [s for s in found if isinstance(s, dict)]


def _services(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal") or {}
    return _listed(principal.get("Service")) if isinstance(principal, dict) else []


def _any_aws(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _listed(principal.get("AWS"))


def _covers(statement: dict[str, Any], action: str) -> bool:
    actions = [a.lower() for a in _listed(statement.get("Action"))]
    return any(fnmatch.fnmatchcase(action.lower(), a) for a in actions)


def _conditions_hold(condition: dict[str, Any], account: str, source_arn: str) -> bool:
    for operator, tests in (condition or {}).items():
        op = operator.lower()
        for key, wanted in (tests or {}).items():
            values = _listed(wanted)
            k = key.lower()
            if k in _ACCOUNT_KEYS and op in ("stringequals", "stringlike"):
                ok = any(fnmatch.fnmatchcase(account, v) for v in values)
            elif k in _ARN_KEYS and op in ("arnlike", "arnequals", "stringlike", "stringequals"):
                like = op.endswith("like")
                ok = any(
                    fnmatch.fnmatchcase(source_arn, v) if like else source_arn == v for v in values
                )
            else:
                ok = False  # not understood: unmet, never more lenient than AWS
            if not ok:
                return False
    return True


def key_allows_cloudwatch(policy: str | dict[str, Any]) -> bool:
    """Whether a KMS key policy lets CloudWatch alarms publish to a topic encrypted with it:
    ``kms:Decrypt`` and ``kms:GenerateDataKey*`` allowed to ``cloudwatch.amazonaws.com``
    (unconditionally: weft's own grant has no condition)."""
    allowed = [
        s
        for s in _statements(policy)
        if s.get("Effect") == "Allow" and SERVICE in _services(s) and not s.get("Condition")
    ]
    return all(
        any(_covers(s, action) for s in allowed)
        for action in ("kms:Decrypt", "kms:GenerateDataKey")
    )


def topic_allows_cloudwatch(policy: str | dict[str, Any], account: str, alarm_arn: str) -> bool:
    """Whether a topic policy lets the CloudWatch alarm ``alarm_arn`` of ``account`` publish."""
    for s in _statements(policy):
        if s.get("Effect") != "Allow" or not _covers(s, "sns:Publish"):
            continue
        if SERVICE not in _services(s) and not _any_aws(s):
            continue
        if _conditions_hold(s.get("Condition") or {}, account, alarm_arn):
            return True
    return False


def _alarm_message(alarm: Any, old_state: str, account: str) -> str:
    return json.dumps(
        {
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description,
            "AWSAccountId": account,
            "NewStateValue": alarm.state_value,
            "NewStateReason": alarm.state_reason,
            "StateChangeTime": datetime.now(UTC).isoformat(),
            "Region": alarm.region_name,
            "AlarmArn": alarm.alarm_arn,
            "OldStateValue": old_state,
            "Trigger": {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                "Statistic": alarm.statistic,
                "Period": alarm.period,
                "EvaluationPeriods": alarm.evaluation_periods,
                "ComparisonOperator": alarm.comparison_operator,
                "Threshold": alarm.threshold,
                "Dimensions": [{"name": d.name, "value": d.value} for d in alarm.dimensions],
            },
        }
    )


def why_not_delivered(alarm_arn: str, topic: Any, kms_key: Any) -> str | None:
    """Why CloudWatch cannot publish alarm ``alarm_arn``'s action to ``topic`` (whose key, if
    it is encrypted, is ``kms_key``: None when there is no such key), or None."""
    account = alarm_arn.split(":")[4]
    if not topic_allows_cloudwatch(topic._policy_json, account, alarm_arn):
        return TOPIC_DENIED
    key_id = str(getattr(topic, "kms_master_key_id", "") or "")
    if not key_id:
        return None
    if key_id.startswith("alias/aws/") or kms_key is None or kms_key.key_state != "Enabled":
        return KEY_DENIED
    return None if key_allows_cloudwatch(kms_key.policy) else KEY_DENIED


def _key_of(account: str, region: str, key_id: str) -> Any:
    from moto.kms.models import kms_backends

    if not key_id or key_id.startswith("alias/aws/"):
        return None
    kms = kms_backends[account][region]
    try:
        return kms.keys.get(kms.any_id_to_key_id(key_id))
    except Exception:  # moto's own lookup errors: no usable key
        return None


def run_actions(alarm: Any, old_state: str) -> None:
    """Run the SNS actions of ``alarm``'s new state, as CloudWatch does."""
    from moto.sns.models import sns_backends

    if not alarm.actions_enabled or alarm.state_value == old_state:
        return
    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }.get(alarm.state_value) or []
    account = alarm.alarm_arn.split(":")[4]
    for arn in actions:
        parts = str(arn).split(":")
        if len(parts) < 6 or parts[2] != "sns":
            continue  # Auto Scaling, EC2 and Systems Manager actions are not emulated
        region, owner = parts[3], parts[4]
        topic: Any = sns_backends[owner][region].topics.get(arn)
        if topic is None:
            error: str | None = "Topic does not exist."
        else:
            key = _key_of(owner, region, str(getattr(topic, "kms_master_key_id", "") or ""))
            error = why_not_delivered(alarm.alarm_arn, topic, key)
        stamp = datetime.now(UTC)
        if error is not None:
            summary = ACTION_FAILED.format(arn=arn, error=error)
            alarm.history.append(("Action", summary, "{}", alarm.state_value, stamp))
            continue
        subject = f'{alarm.state_value}: "{alarm.name}" in {alarm.region_name}'
        topic.publish(_alarm_message(alarm, old_state, account), subject=subject[:100])
        summary = f"Successfully executed action {arn}"
        alarm.history.append(("Action", summary, "{}", alarm.state_value, stamp))


def pending(subscription: Any) -> bool:
    return bool(subscription.protocol in EMAIL_PROTOCOLS and not subscription.confirmed)


def apply() -> None:
    from moto.cloudwatch.models import Alarm
    from moto.sns.models import SNSBackend, Subscription
    from moto.sns.responses import SNSResponse

    subscribe = SNSBackend.subscribe

    def subscribe_as_aws(self: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
        existing = self._find_subscription(topic_arn, endpoint, protocol)
        sub = subscribe(self, topic_arn, endpoint, protocol)
        if protocol in EMAIL_PROTOCOLS and existing is None:
            sub.confirmed = False
            sub.attributes["PendingConfirmation"] = "true"
            sub.attributes["ConfirmationWasAuthenticated"] = "false"
        elif protocol not in EMAIL_PROTOCOLS:
            sub.confirmed = True
        return sub

    SNSBackend.subscribe = subscribe_as_aws  # type: ignore[method-assign]

    def listed_arn(self: Any) -> str:
        return PENDING if pending(self) else str(self.arn)

    # what the list calls serialize as SubscriptionArn
    Subscription.SubscriptionArn = property(listed_arn)  # type: ignore[attr-defined]

    deliver = Subscription.publish

    def publish_unless_pending(self: Any, *args: Any, **kwargs: Any) -> None:
        if pending(self):
            return None
        return deliver(self, *args, **kwargs)

    Subscription.publish = publish_unless_pending  # type: ignore[method-assign]

    respond = SNSResponse.subscribe

    def subscribe_response(self: Any) -> Any:
        result: Any = respond(self)
        protocol = self._get_param("Protocol")
        wants_arn = str(self._get_param("ReturnSubscriptionArn") or "").lower() == "true"
        if protocol in EMAIL_PROTOCOLS and not wants_arn:
            arn = result.result["SubscriptionArn"]
            sub = self.backend.subscriptions.get(arn)
            if sub is not None and pending(sub):
                result.result["SubscriptionArn"] = "pending confirmation"
        return result

    SNSResponse.subscribe = subscribe_response  # type: ignore[method-assign]

    update_state = Alarm.update_state

    def update_state_and_act(self: Any, reason: str, reason_data: str, state_value: str) -> None:
        old = self.state_value
        update_state(self, reason, reason_data, state_value)
        run_actions(self, old)

    Alarm.update_state = update_state_and_act  # type: ignore[method-assign]
