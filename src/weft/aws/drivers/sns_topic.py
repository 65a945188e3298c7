"""SNS topics: the fabric's alarm topic, with its e-mail subscriptions.

Props: ``name`` (immutable), ``kms_key_arn`` (``KmsMasterKeyId``: the fabric key, whose policy
lets CloudWatch use it), ``policy`` (the topic policy, a document), ``emails`` (the addresses
subscribed with the ``email`` protocol, sorted) and ``tags``. Outputs: ``arn`` and ``pending``,
the addresses whose owners have not yet confirmed (AWS mails each a link; until it is followed,
nothing reaches it: ``weft status`` says so).

Found by listing the account's topics named ``weft-FABRIC-...`` (``ListTopics`` has no filter)
and keeping those tagged with the fabric. A subscription cannot be tagged: the topic's
subscriptions are one of its props. An address taken out of the file is unsubscribed when its
subscription is confirmed. One still pending confirmation cannot be deleted ("Deleting an Amazon
SNS subscription and topic", SNS Developer Guide: "You can't delete a subscription that's
pending confirmation. Amazon SNS automatically deletes unconfirmed subscriptions after 48
hours"), so until then the plan still shows it going. Deleting the topic deletes its
subscriptions.
"""

from __future__ import annotations

import json
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, tagger
from weft.core.resource import KindSchema, Observed, Resource

KIND = "sns_topic"
EMAIL = "email"
#: how ListSubscriptionsByTopic names a subscription awaiting confirmation
PENDING = "PendingConfirmation"

SNS = tagger.PairTagger(
    "sns",
    add=lambda c, t, tags: c.tag_resource(ResourceArn=t, Tags=tagging.to_aws(tags)),
    remove=lambda c, t, tags: c.untag_resource(ResourceArn=t, TagKeys=sorted(tags)),
)


def prefix(fabric: str) -> str:
    return f"weft-{fabric}-"


def _subscriptions(ctx: AwsContext, arn: str) -> list[dict[str, Any]]:
    return [
        s
        for s in pagination.items(
            ctx.client("sns"), "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn
        )
        if s.get("Protocol") == EMAIL
    ]


@kit.setter("policy")
def _set_policy(edit: kit.Edit) -> None:
    edit.ctx.client("sns").set_topic_attributes(
        TopicArn=kit.by_arn(edit),
        AttributeName="Policy",
        AttributeValue=json.dumps(edit.props["policy"]),
    )


@kit.setter("kms_key_arn")
def _set_key(edit: kit.Edit) -> None:
    edit.ctx.client("sns").set_topic_attributes(
        TopicArn=kit.by_arn(edit),
        AttributeName="KmsMasterKeyId",
        AttributeValue=str(edit.props.get("kms_key_arn") or ""),
    )


@kit.setter("emails")
def _set_emails(edit: kit.Edit) -> None:
    sns = edit.ctx.client("sns")
    arn = kit.by_arn(edit)
    wanted = set(edit.props["emails"])
    current = _subscriptions(edit.ctx, arn)
    have = {str(s["Endpoint"]).lower() for s in current}
    for address in sorted(wanted - have):
        sns.subscribe(TopicArn=arn, Protocol=EMAIL, Endpoint=address, ReturnSubscriptionArn=True)
    for sub in current:
        if str(sub["Endpoint"]).lower() not in wanted and sub["SubscriptionArn"] != PENDING:
            presence.if_found(sns.unsubscribe, SubscriptionArn=sub["SubscriptionArn"])


class SnsTopicDriver(kit.TaggedDriver):
    setters = (_set_policy, _set_key, _set_emails, kit.tags(SNS, kit.by_arn))
    schema = KindSchema(KIND, immutable=frozenset({"name"}), updatable=kit.covered(setters))
    #: CreateTopic takes no subscriptions
    set_after_create = _set_emails.fields
    #: CreateTopic answers with the existing topic when its attributes and tags are the same
    adoption_look = "always"

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        sns = ctx.client("sns")
        found = []
        for topic in pagination.items(sns, "list_topics", "Topics"):
            arn = str(topic["TopicArn"])
            if not arn.rsplit(":", 1)[-1].startswith(prefix(ctx.fabric)):
                continue
            answer = presence.if_found(sns.list_tags_for_resource, ResourceArn=arn)
            tags = tagging.from_aws((answer or {}).get("Tags"))
            if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
                continue
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None or (address is not None and tags.get(tagging.ID_TAG) != address):
                continue
            attributes = presence.if_found(sns.get_topic_attributes, TopicArn=arn)
            if attributes is None:
                continue
            found.append(self._observed(ctx, name, arn, attributes["Attributes"], tags))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        attributes = {"Policy": json.dumps(props["policy"])}
        if props.get("kms_key_arn"):
            attributes["KmsMasterKeyId"] = str(props["kms_key_arn"])
        arn = ctx.client("sns").create_topic(
            Name=props["name"], Attributes=attributes, Tags=tagging.to_aws(props["tags"])
        )["TopicArn"]
        made = {**props, "emails": []}
        return self.observed(resource.name, arn, made, {"arn": arn, "pending": []})

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # DeleteTopic deletes its subscriptions too, and answers success for a missing topic
        ctx.client("sns").delete_topic(TopicArn=observed.id)

    def updated(self, edit: kit.Edit) -> Observed:
        pending = sorted(
            str(s["Endpoint"]).lower()
            for s in _subscriptions(edit.ctx, kit.by_arn(edit))
            if s["SubscriptionArn"] == PENDING
        )
        return self.observed(
            edit.resource.name, edit.id, edit.props, {**edit.outputs, "pending": pending}
        )

    def _observed(
        self,
        ctx: AwsContext,
        name: str,
        arn: str,
        attributes: dict[str, Any],
        tags: dict[str, str],
    ) -> Observed:
        subs = _subscriptions(ctx, arn)
        policy = attributes.get("Policy")
        props = {
            "name": arn.rsplit(":", 1)[-1],
            "kms_key_arn": attributes.get("KmsMasterKeyId") or None,
            "policy": json.loads(policy) if policy else None,
            "emails": sorted({str(s["Endpoint"]).lower() for s in subs}),
            "tags": tags,
        }
        pending = sorted(
            str(s["Endpoint"]).lower() for s in subs if s["SubscriptionArn"] == PENDING
        )
        return self.observed(name, arn, props, {"arn": arn, "pending": pending})


DRIVER = SnsTopicDriver()
