"""CloudWatch Logs log groups: the EKS control-plane group ``/aws/eks/CLUSTER/cluster``.

EKS writes the control plane's logs to that group and, when it does not exist, creates it
itself: kept forever, unencrypted, and left behind when the cluster is deleted. weft creates it
first (as terraform-aws-eks does), with a retention, encrypted with the fabric key, tagged, and
deletes it on ``down``. Props: ``group_name`` and ``kms_key_arn`` (immutable: a new key is a new
group), ``retention_days`` (``PutRetentionPolicy``) and ``tags``.

CloudWatch Logs has no tag filter on ``DescribeLogGroups`` and the Resource Groups Tagging API
does not list log groups everywhere, so the fabric's groups are found by their name prefix
``/aws/eks/FABRIC/`` (the cluster is named after the fabric) and kept only when tagged with the
fabric. A group EKS already made for the cluster (a fabric from before weft managed it) is taken
over at create: tagged, then given the desired retention; its key cannot be changed that way
(:meth:`LogGroupDriver.make` refuses, naming the fix).
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, tagger
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "log_group"

LOGS = tagger.PairTagger(
    "logs",
    add=lambda c, t, tags: c.tag_resource(resourceArn=t, tags=tags),
    remove=lambda c, t, tags: c.untag_resource(resourceArn=t, tagKeys=sorted(tags)),
)


def prefix(fabric: str) -> str:
    """The name prefix of the fabric's log groups."""
    return f"/aws/eks/{fabric}/"


def _arn(ctx: AwsContext, name: str) -> str:
    return f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}"


@kit.setter("retention_days")
def _set_retention(edit: kit.Edit) -> None:
    logs = edit.ctx.client("logs")
    if edit.props["retention_days"]:
        logs.put_retention_policy(
            logGroupName=edit.id, retentionInDays=int(edit.props["retention_days"])
        )
    else:
        logs.delete_retention_policy(logGroupName=edit.id)


class LogGroupDriver(kit.TaggedDriver):
    setters = (_set_retention, kit.tags(LOGS, kit.by_arn))
    schema = KindSchema(
        KIND, immutable=frozenset({"group_name", "kms_key_arn"}), updatable=kit.covered(setters)
    )
    #: CreateLogGroup takes no retention
    set_after_create = _set_retention.fields
    adoption_look = "always"

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        logs = ctx.client("logs")
        found = []
        groups = pagination.items(
            logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix(ctx.fabric)
        )
        for group in groups:
            arn = _arn(ctx, group["logGroupName"])
            answer = presence.if_found(logs.list_tags_for_resource, resourceArn=arn)
            tags = dict((answer or {}).get("tags") or {})
            if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
                continue
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None or (address is not None and tags.get(tagging.ID_TAG) != address):
                continue
            found.append(self._observed(name, group, tags, arn))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        logs = ctx.client("logs")
        name = props["group_name"]
        request: dict[str, Any] = {"logGroupName": name, "tags": dict(props["tags"])}
        if props.get("kms_key_arn"):
            request["kmsKeyId"] = props["kms_key_arn"]
        if presence.unless_exists(logs.create_log_group, **request) is None:
            # EKS made it for the cluster before weft managed it: take it over.
            (group,) = [
                g
                for g in pagination.items(
                    logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name
                )
                if g["logGroupName"] == name
            ]
            if group.get("kmsKeyId") != props.get("kms_key_arn"):
                raise PermanentError(
                    f"log group {name} already exists with another encryption key (EKS made "
                    "it before weft managed it)",
                    hint="export the logs you need, delete the group, then run weft up again",
                    address=resource.address,
                )
            LOGS.ensure(ctx, _arn(ctx, name), {}, props["tags"])
            return self._observed(resource.name, group, props["tags"], _arn(ctx, name))
        group = {"logGroupName": name, "kmsKeyId": props.get("kms_key_arn")}
        return self._observed(resource.name, group, props["tags"], _arn(ctx, name))

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("logs").delete_log_group(logGroupName=observed.id)

    def _observed(
        self, name: str, group: dict[str, Any], tags: dict[str, str], arn: str
    ) -> Observed:
        props = {
            "group_name": group["logGroupName"],
            "retention_days": group.get("retentionInDays"),
            "kms_key_arn": group.get("kmsKeyId"),
            "tags": tagging.from_aws([{"Key": k, "Value": v} for k, v in tags.items()]),
        }
        return self.observed(name, group["logGroupName"], props, {"arn": arn})


DRIVER = LogGroupDriver()
