"""The fabric's KMS key (secrets are envelope-encrypted with it) and its alias.

KMS has no tag filter on its own list calls: keys are found through the Resource Groups Tagging
API (:mod:`.tagging_api`), then described one by one (a fabric has one key). Deleting a key
only schedules it, with the shortest window AWS allows (7 days); a key pending deletion is no
longer reported.

A key that kept snapshots need is not scheduled for deletion: once it is gone (7 days after
``down``) a database's or cache's final snapshot encrypted with it could never be restored. Its
deletion then tags it ``weft:retained`` with the snapshots it protects and reports it; ``weft
leftovers`` lists it as kept on purpose, and a later ``up`` of the fabric finds it again.

The key policy (``policy``, a document) is read with ``GetKeyPolicy`` and put whole with
``PutKeyPolicy``; a new key is created with it.
"""

from __future__ import annotations

import json
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, tagger, tagging_api
from weft.core.resource import KindSchema, Observed, Resource
from weft.model.tags import RETAINED_TAG

KIND = "kms_key"
PENDING_WINDOW_DAYS = 7
_GONE_STATES = frozenset({"PendingDeletion", "PendingReplicaDeletion", "PendingImport"})


def _point_alias(ctx: AwsContext, alias: str, key_id: str) -> None:
    kms = ctx.client("kms")
    if presence.unless_exists(kms.create_alias, AliasName=alias, TargetKeyId=key_id) is None:
        kms.update_alias(AliasName=alias, TargetKeyId=key_id)


def _delete_alias(ctx: AwsContext, alias: str) -> None:
    presence.if_found(ctx.client("kms").delete_alias, AliasName=alias)


@kit.setter("description")
def _set_description(edit: kit.Edit) -> None:
    edit.ctx.client("kms").update_key_description(
        KeyId=edit.id, Description=edit.props["description"]
    )


@kit.setter("alias")
def _set_alias(edit: kit.Edit) -> None:
    alias, old = edit.props.get("alias"), edit.old("alias")
    if alias:
        _point_alias(edit.ctx, alias, edit.id)
    if old and old != alias:
        _delete_alias(edit.ctx, old)


@kit.setter("rotation")
def _set_rotation(edit: kit.Edit) -> None:
    kms = edit.ctx.client("kms")
    if edit.props["rotation"]:
        kms.enable_key_rotation(KeyId=edit.id)
    else:
        kms.disable_key_rotation(KeyId=edit.id)


@kit.setter("policy")
def _set_policy(edit: kit.Edit) -> None:
    edit.ctx.client("kms").put_key_policy(
        KeyId=edit.id, PolicyName="default", Policy=json.dumps(edit.props["policy"])
    )


def snapshots_encrypted_with(ctx: AwsContext, key_id: str) -> list[str]:
    """The kept RDS and ElastiCache snapshots encrypted with the key ``key_id``."""
    found: list[str] = []
    for snap in pagination.items(
        ctx.client("rds"), "describe_db_snapshots", "DBSnapshots", SnapshotType="manual"
    ):
        if str(snap.get("KmsKeyId") or "").endswith(key_id):
            found.append(f"rds:{snap['DBSnapshotIdentifier']}")
    for snap in pagination.items(ctx.client("elasticache"), "describe_snapshots", "Snapshots"):
        if str(snap.get("KmsKeyId") or "").endswith(key_id):
            found.append(f"elasticache:{snap['SnapshotName']}")
    return found


class KmsKeyDriver(kit.TaggedDriver):
    setters = (_set_description, _set_alias, _set_rotation, _set_policy, kit.tags(tagger.KMS))
    schema = KindSchema(kind=KIND, updatable=kit.covered(setters))
    #: a new key has no alias and no rotation
    set_after_create = frozenset({"alias", "rotation"})
    adoption_look = "always"

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        kms = ctx.client("kms")
        candidates = []
        for arn, tags in tagging_api.tagged(ctx, "kms:key", address):
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            # deleted since the tagging API indexed it: not found
            found = presence.if_found(kms.describe_key, KeyId=arn)
            if found is None or found["KeyMetadata"].get("KeyState") in _GONE_STATES:
                continue
            candidates.append((name, found["KeyMetadata"], tags))
        if not candidates:
            return []
        aliases: dict[str, list[str]] = {}
        for alias in pagination.items(kms, "list_aliases", "Aliases"):
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
        found_keys = []
        for name, meta, tags in candidates:
            rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]
            policy = kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]
            names = sorted(
                a for a in aliases.get(meta["KeyId"], []) if not a.startswith("alias/aws/")
            )
            props = {
                "description": meta.get("Description", ""),
                "alias": names[0] if names else None,
                "rotation": bool(rotation),
                "policy": json.loads(policy),
                "tags": tags,
            }
            found_keys.append(self._observed(name, meta, props))
        return found_keys

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        extra = {"Policy": json.dumps(props["policy"])} if props.get("policy") else {}
        meta = ctx.client("kms").create_key(
            Description=props["description"],
            Tags=tagging.to_aws(props["tags"], **tagger.KMS_TAG),
            **extra,
        )["KeyMetadata"]
        return self._observed(resource.name, meta, {**props, "alias": None, "rotation": False})

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        kms = ctx.client("kms")
        meta = kms.describe_key(KeyId=observed.id)["KeyMetadata"]  # NotFound: already gone
        if meta.get("KeyState") in _GONE_STATES:
            return
        needed = snapshots_encrypted_with(ctx, meta["KeyId"])
        if needed:
            listed = ", ".join(needed)
            value = listed if len(listed) <= 256 else listed[:253] + "..."
            kms.tag_resource(
                KeyId=meta["KeyId"], Tags=[{"TagKey": RETAINED_TAG, "TagValue": value}]
            )
            ctx.report(
                f"kept KMS key {meta['KeyId']}: the final snapshots {listed} are encrypted with "
                "it and could not be restored without it (delete them, then the key)"
            )
            return
        # Only aliases that still point at this key: a replacement may have taken the name over.
        for alias in pagination.items(kms, "list_aliases", "Aliases", KeyId=observed.id):
            _delete_alias(ctx, alias["AliasName"])
        kms.schedule_key_deletion(KeyId=observed.id, PendingWindowInDays=PENDING_WINDOW_DAYS)

    def _observed(self, name: str, meta: dict[str, Any], props: dict[str, Any]) -> Observed:
        state = str(meta.get("KeyState", "Enabled")).lower()
        return self.observed(name, meta["KeyId"], props, {"arn": meta["Arn"]}, state=state)


DRIVER = KmsKeyDriver()
