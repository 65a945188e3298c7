"""IAM roles of the fabric (the cluster's, the nodes', Fargate's, IRSA roles): trust policy and
attached managed policies.

Roles live under the path ``/weft/<fabric>/``: discovery lists that path (one paginated call),
then reads each role's attached policies and tags (IAM has no batch read; a fabric has a few
roles) and keeps those tagged for this fabric. The trust policy is compared as parsed JSON.

The cloud id is the role's **ARN**, not its name: EKS resources refer to roles by ARN, so with
the ARN as id discovery finds the edge "the cluster (node group, profile, add-on) uses this
role", and a teardown deletes the role after them (a node group whose role is gone cannot be
deleted cleanly). The name is in the props (``role_name``).

IAM is eventually consistent: a role just made may not be usable by EKS for ~10 s. That shows up
on the EKS create, which :mod:`weft.aws.errors` treats as temporary.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, pagination
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "iam_role"


def path_of(fabric: str) -> str:
    return f"/weft/{fabric}/"


def policy_document(value: Any) -> Any:
    """A policy document as a dict, whether AWS gave it URL-encoded JSON or parsed."""
    if isinstance(value, str):
        return json.loads(urllib.parse.unquote(value))
    return value


def _observed(name: str, role: dict[str, Any], props: dict[str, Any]) -> Observed:
    return Observed(
        kind=KIND,
        name=name,
        id=role["Arn"],
        props=props,
        outputs={"arn": role["Arn"], "role_name": role["RoleName"]},
    )


def _ignore_not_found(call: Any, **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except ClientError as exc:
        if not errors.is_not_found(exc):
            raise


class IamRoleDriver:
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"role_name", "path"}),
        unordered=frozenset({"managed_policies"}),
    )

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        iam = ctx.client("iam")
        found = []
        for role in pagination.items(iam, "list_roles", "Roles", PathPrefix=path_of(ctx.fabric)):
            role_name = role["RoleName"]
            try:
                tags = tagging.from_aws(
                    pagination.items(iam, "list_role_tags", "Tags", RoleName=role_name)
                )
                if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
                    continue
                if address is not None and tags.get(tagging.ID_TAG) != address:
                    continue
                name = tagging.name_from_id_tag(tags, KIND)
                if name is None:
                    continue
                policies = [
                    p["PolicyArn"]
                    for p in pagination.items(
                        iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
                    )
                ]
            except ClientError as exc:
                if errors.is_not_found(exc):  # deleted since it was listed
                    continue
                raise
            props = {
                "role_name": role_name,
                "path": role["Path"],
                "assume_role_policy": policy_document(role.get("AssumeRolePolicyDocument") or {}),
                "managed_policies": sorted(policies),
                "tags": tags,
            }
            found.append(_observed(name, role, props))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        adopted = adoption.adopt(self, ctx, resource, props, self._find(ctx, resource.address))
        if adopted is not None:
            return adopted
        iam = ctx.client("iam")
        try:
            role = iam.create_role(
                Path=props["path"],
                RoleName=props["role_name"],
                AssumeRolePolicyDocument=json.dumps(props["assume_role_policy"]),
                Tags=tagging.to_aws(props["tags"]),
            )["Role"]
        except ClientError as exc:
            if not errors.is_already_exists(exc):
                raise
            raise PermanentError(
                f"an IAM role named {props['role_name']} already exists and is not this fabric's",
                address=resource.address,
                hint="IAM role names are unique per account: delete or rename that role",
            ) from exc
        for policy in props["managed_policies"]:
            iam.attach_role_policy(RoleName=props["role_name"], PolicyArn=policy)
        return _observed(resource.name, role, props)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        iam = ctx.client("iam")
        role_name = observed.props["role_name"]
        if "assume_role_policy" in changed:
            iam.update_assume_role_policy(
                RoleName=role_name, PolicyDocument=json.dumps(props["assume_role_policy"])
            )
        if "managed_policies" in changed:
            have = set(observed.props.get("managed_policies", ()))
            want = set(props["managed_policies"])
            for policy in sorted(want - have):
                iam.attach_role_policy(RoleName=role_name, PolicyArn=policy)
            for policy in sorted(have - want):
                _ignore_not_found(iam.detach_role_policy, RoleName=role_name, PolicyArn=policy)
        if "tags" in changed:
            to_set, to_remove = tagging.changes(observed.props.get("tags", {}), props["tags"])
            if to_set:
                iam.tag_role(RoleName=role_name, Tags=tagging.to_aws(to_set))
            if to_remove:
                iam.untag_role(RoleName=role_name, TagKeys=to_remove)
        return Observed(
            kind=KIND,
            name=resource.name,
            id=observed.id,
            props=props,
            outputs={"arn": observed.outputs.get("arn"), "role_name": role_name},
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        iam = ctx.client("iam")
        role_name = observed.props["role_name"]
        # NotFound on the first read means the role is already gone; later ones that a step
        # was already done (a retried delete).
        attached = list(
            pagination.items(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
            )
        )
        for policy in attached:
            _ignore_not_found(
                iam.detach_role_policy, RoleName=role_name, PolicyArn=policy["PolicyArn"]
            )
        for inline in pagination.items(
            iam, "list_role_policies", "PolicyNames", RoleName=role_name
        ):
            _ignore_not_found(iam.delete_role_policy, RoleName=role_name, PolicyName=inline)
        for profile in pagination.items(
            iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=role_name
        ):
            _ignore_not_found(
                iam.remove_role_from_instance_profile,
                InstanceProfileName=profile["InstanceProfileName"],
                RoleName=role_name,
            )
        iam.delete_role(RoleName=role_name)


DRIVER = IamRoleDriver()
