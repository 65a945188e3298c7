"""IAM roles of the fabric (the cluster's, the nodes', Fargate's, IRSA roles): trust policy,
attached managed policies and inline policies (``inline_policies``: name -> document, compared
as parsed JSON; an app's role holds its least-privilege policy there).

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

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, tagger
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


def _role_name(edit: kit.Edit) -> str:
    return str(edit.old("role_name"))


@kit.setter("assume_role_policy")
def _set_trust(edit: kit.Edit) -> None:
    edit.ctx.client("iam").update_assume_role_policy(
        RoleName=_role_name(edit), PolicyDocument=json.dumps(edit.props["assume_role_policy"])
    )


@kit.setter("managed_policies")
def _set_policies(edit: kit.Edit) -> None:
    iam, role_name = edit.ctx.client("iam"), _role_name(edit)
    have, want = set(edit.old("managed_policies", [])), set(edit.props["managed_policies"])
    for policy in sorted(want - have):
        iam.attach_role_policy(RoleName=role_name, PolicyArn=policy)
    for policy in sorted(have - want):
        presence.if_found(iam.detach_role_policy, RoleName=role_name, PolicyArn=policy)


@kit.setter("inline_policies")
def _set_inline(edit: kit.Edit) -> None:
    iam, role_name = edit.ctx.client("iam"), _role_name(edit)
    have: dict[str, Any] = edit.old("inline_policies", {}) or {}
    want: dict[str, Any] = edit.props["inline_policies"]
    for name, document in sorted(want.items()):
        if have.get(name) != document:
            iam.put_role_policy(
                RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(document)
            )
    for name in sorted(set(have) - set(want)):
        presence.if_found(iam.delete_role_policy, RoleName=role_name, PolicyName=name)


class IamRoleDriver(kit.TaggedDriver):
    setters = (_set_trust, _set_policies, _set_inline, kit.tags(tagger.IAM_ROLE, _role_name))
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"role_name", "path"}),
        unordered=frozenset({"managed_policies"}),
        updatable=kit.covered(setters),
    )
    #: a new role has no policies attached
    set_after_create = frozenset({"managed_policies", "inline_policies"})
    adoption_look = "always"

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        iam = ctx.client("iam")
        found = []
        for role in pagination.items(iam, "list_roles", "Roles", PathPrefix=path_of(ctx.fabric)):
            read = presence.if_found(self._read, ctx, role, address)
            if read is not None:  # None: deleted since it was listed, or not this fabric's
                found.append(read)
        return found

    def _read(self, ctx: AwsContext, role: dict[str, Any], address: str | None) -> Observed | None:
        iam, role_name = ctx.client("iam"), role["RoleName"]
        tags = tagging.from_aws(pagination.items(iam, "list_role_tags", "Tags", RoleName=role_name))
        name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
        if name is None:
            return None
        policies = pagination.items(
            iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
        )
        inline = {
            policy: policy_document(
                iam.get_role_policy(RoleName=role_name, PolicyName=policy)["PolicyDocument"]
            )
            for policy in pagination.items(
                iam, "list_role_policies", "PolicyNames", RoleName=role_name
            )
        }
        props = {
            "role_name": role_name,
            "path": role["Path"],
            "assume_role_policy": policy_document(role.get("AssumeRolePolicyDocument") or {}),
            "managed_policies": sorted(p["PolicyArn"] for p in policies),
            "inline_policies": inline,
            "tags": tags,
        }
        return self._observed(name, role, props)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        answer = presence.unless_exists(
            ctx.client("iam").create_role,
            Path=props["path"],
            RoleName=props["role_name"],
            AssumeRolePolicyDocument=json.dumps(props["assume_role_policy"]),
            Tags=tagging.to_aws(props["tags"]),
        )
        if answer is None:
            raise PermanentError(
                f"an IAM role named {props['role_name']} already exists and is not this fabric's",
                address=resource.address,
                hint="IAM role names are unique per account: delete or rename that role",
            )
        return self._observed(
            resource.name, answer["Role"], {**props, "managed_policies": [], "inline_policies": {}}
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
            presence.if_found(
                iam.detach_role_policy, RoleName=role_name, PolicyArn=policy["PolicyArn"]
            )
        for inline in pagination.items(
            iam, "list_role_policies", "PolicyNames", RoleName=role_name
        ):
            presence.if_found(iam.delete_role_policy, RoleName=role_name, PolicyName=inline)
        for profile in pagination.items(
            iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=role_name
        ):
            presence.if_found(
                iam.remove_role_from_instance_profile,
                InstanceProfileName=profile["InstanceProfileName"],
                RoleName=role_name,
            )
        iam.delete_role(RoleName=role_name)

    def _observed(self, name: str, role: dict[str, Any], props: dict[str, Any]) -> Observed:
        outputs = {"arn": role["Arn"], "role_name": role["RoleName"]}
        return self.observed(name, role["Arn"], props, outputs)


DRIVER = IamRoleDriver()
