"""The fabric's KMS key (secrets are envelope-encrypted with it) and its alias.

KMS has no tag filter on its own list calls: keys are found through the Resource Groups Tagging
API (one paginated call, which also returns their tags), then described one by one (a fabric has
one key). Deleting a key only schedules it, with the shortest window AWS allows (7 days); a key
pending deletion is no longer reported.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, pagination
from weft.core.resource import KindSchema, Observed, Resource

KIND = "kms_key"
PENDING_WINDOW_DAYS = 7
_GONE_STATES = frozenset({"PendingDeletion", "PendingReplicaDeletion", "PendingImport"})
_KMS_TAG = {"key": "TagKey", "value": "TagValue"}


def _observed(name: str, meta: dict[str, Any], props: dict[str, Any]) -> Observed:
    return Observed(
        kind=KIND,
        name=name,
        id=meta["KeyId"],
        props=props,
        outputs={"arn": meta["Arn"]},
        state=str(meta.get("KeyState", "Enabled")).lower(),
    )


class KmsKeyDriver:
    schema = KindSchema(kind=KIND)

    def _aliases(self, ctx: AwsContext) -> dict[str, list[str]]:
        """Key id -> its alias names (one paginated list_aliases)."""
        out: dict[str, list[str]] = {}
        for alias in pagination.items(ctx.client("kms"), "list_aliases", "Aliases"):
            if alias.get("TargetKeyId"):
                out.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
        return out

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        tag_filters = [{"Key": tagging.FABRIC_TAG, "Values": [ctx.fabric]}]
        if address is not None:
            tag_filters.append({"Key": tagging.ID_TAG, "Values": [address]})
        mappings = list(
            pagination.items(
                ctx.client("resourcegroupstaggingapi"),
                "get_resources",
                "ResourceTagMappingList",
                TagFilters=tag_filters,
                ResourceTypeFilters=["kms:key"],
            )
        )
        kms = ctx.client("kms")
        candidates = []
        for mapping in mappings:
            tags = tagging.from_aws(mapping.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            try:
                meta = kms.describe_key(KeyId=mapping["ResourceARN"])["KeyMetadata"]
            except ClientError as exc:
                if errors.is_not_found(exc):  # deleted since the tagging API indexed it
                    continue
                raise
            if meta.get("KeyState") in _GONE_STATES:
                continue
            candidates.append((name, meta, tags))
        if not candidates:
            return []
        aliases = self._aliases(ctx)
        found = []
        for name, meta, tags in candidates:
            rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]
            names = sorted(
                a for a in aliases.get(meta["KeyId"], []) if not a.startswith("alias/aws/")
            )
            props = {
                "description": meta.get("Description", ""),
                "alias": names[0] if names else None,
                "rotation": bool(rotation),
                "tags": tags,
            }
            found.append(_observed(name, meta, props))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        adopted = adoption.adopt(self, ctx, resource, props, self._find(ctx, resource.address))
        if adopted is not None:
            return adopted
        kms = ctx.client("kms")
        meta = kms.create_key(
            Description=props["description"],
            Tags=tagging.to_aws(props["tags"], **_KMS_TAG),
        )["KeyMetadata"]
        if props.get("alias"):
            self._point_alias(ctx, props["alias"], meta["KeyId"])
        if props["rotation"]:
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        return _observed(resource.name, meta, props)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        kms = ctx.client("kms")
        key_id = observed.id
        if "description" in changed:
            kms.update_key_description(KeyId=key_id, Description=props["description"])
        if "alias" in changed:
            if props.get("alias"):
                self._point_alias(ctx, props["alias"], key_id)
            old = observed.props.get("alias")
            if old and old != props.get("alias"):
                self._delete_alias(ctx, old)
        if "rotation" in changed:
            if props["rotation"]:
                kms.enable_key_rotation(KeyId=key_id)
            else:
                kms.disable_key_rotation(KeyId=key_id)
        if "tags" in changed:
            to_set, to_remove = tagging.changes(observed.props.get("tags", {}), props["tags"])
            if to_set:
                kms.tag_resource(KeyId=key_id, Tags=tagging.to_aws(to_set, **_KMS_TAG))
            if to_remove:
                kms.untag_resource(KeyId=key_id, TagKeys=to_remove)
        return Observed(
            kind=KIND,
            name=resource.name,
            id=key_id,
            props=props,
            outputs={"arn": observed.outputs.get("arn")},
            state=observed.state,
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        kms = ctx.client("kms")
        meta = kms.describe_key(KeyId=observed.id)["KeyMetadata"]  # NotFound: already gone
        if meta.get("KeyState") in _GONE_STATES:
            return
        # Only aliases that still point at this key: a replacement may have taken the name over.
        for alias in pagination.items(kms, "list_aliases", "Aliases", KeyId=observed.id):
            self._delete_alias(ctx, alias["AliasName"])
        kms.schedule_key_deletion(KeyId=observed.id, PendingWindowInDays=PENDING_WINDOW_DAYS)

    @staticmethod
    def _point_alias(ctx: AwsContext, alias: str, key_id: str) -> None:
        kms = ctx.client("kms")
        try:
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        except ClientError as exc:
            if not errors.is_already_exists(exc):
                raise
            kms.update_alias(AliasName=alias, TargetKeyId=key_id)

    @staticmethod
    def _delete_alias(ctx: AwsContext, alias: str) -> None:
        try:
            ctx.client("kms").delete_alias(AliasName=alias)
        except ClientError as exc:
            if not errors.is_not_found(exc):
                raise


DRIVER = KmsKeyDriver()
