"""Resizing an Auto Scaling group with a role session: the policy's resource-tag conditions
decide, as AWS decides.

moto's IAM policy engine (used for role sessions by :mod:`weft.local.moto_irsa`) ignores the
conditions of identity-based policies, so a statement allowing ``autoscaling:SetDesiredCapacity``
only on groups tagged ``k8s.io/cluster-autoscaler/<cluster>: owned`` would allow it on every
group. Amazon EC2 Auto Scaling authorizes those actions against the group's tags ("Control access
to Auto Scaling groups based on tags" — the ``aws:ResourceTag/key`` and
``autoscaling:ResourceTag/key`` condition keys — Amazon EC2 Auto Scaling User Guide,
https://docs.aws.amazon.com/autoscaling/ec2/userguide/control-access-using-iam.html; "Policy
evaluation logic", IAM User Guide). Here, for **SetDesiredCapacity** and
**TerminateInstanceInAutoScalingGroup** signed with a role session's credentials, once moto's
engine has let the request through, some ``Allow`` statement of the role's inline or attached
policies must match the action (wildcards as IAM matches them) and the group's ARN, and every
condition of that statement must hold for the group: ``StringEquals`` / ``StringLike`` on
``aws:ResourceTag/<key>`` or ``autoscaling:ResourceTag/<key>``. A condition on any other key or
with any other operator makes the statement grant nothing, so the emulator never allows what AWS
might not. Otherwise the request gets ``AccessDenied``, as on AWS.

:func:`allowed` is the pure decision.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from typing import Any

#: The actions checked here (the ones that change a group's size).
ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")
_TAG_KEYS = ("aws:resourcetag/", "autoscaling:resourcetag/")


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _matches(patterns: Iterable[Any], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in patterns)


def _condition_holds(condition: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    for operator, clauses in condition.items():
        if operator not in ("StringEquals", "StringLike") or not isinstance(clauses, Mapping):
            return False
        for key, wanted in clauses.items():
            lowered = str(key).lower()
            prefix = next((p for p in _TAG_KEYS if lowered.startswith(p)), None)
            if prefix is None:
                return False
            tag = str(key)[len(prefix) :]
            have = tags.get(tag)
            if have is None:
                return False
            values = [str(v) for v in _list(wanted)]
            if operator == "StringEquals" and have not in values:
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(have, v) for v in values):
                return False
    return True


def allowed(
    documents: Iterable[Mapping[str, Any]], action: str, resource: str, tags: Mapping[str, str]
) -> bool:
    """Whether some Allow statement of ``documents`` grants ``action`` on ``resource`` (a group
    with ``tags``), its conditions holding (see the module docstring)."""
    for document in documents:
        for statement in _list(document.get("Statement")):
            if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
                continue
            if "Action" not in statement or not _matches(_list(statement["Action"]), action):
                continue
            if "Resource" not in statement or not _matches(_list(statement["Resource"]), resource):
                continue
            if _condition_holds(statement.get("Condition") or {}, tags):
                return True
    return False


def _role_documents(account: str, role_arn: str, partition: str) -> list[dict[str, Any]]:
    from moto.iam.models import iam_backends

    iam = iam_backends[account][partition]
    role = iam.get_role_by_arn(role_arn)
    documents = [json.loads(doc) if isinstance(doc, str) else doc for doc in role.policies.values()]
    for policy in role.managed_policies.values():
        version = next(
            (v for v in policy.versions if v.version_id == policy.default_version_id), None
        )
        if version is not None and version.document:
            text = version.document
            documents.append(json.loads(text) if isinstance(text, str) else text)
    return documents


def _session_role(headers: Any) -> tuple[str, str] | None:
    """(account, role ARN) of a request signed with a role session's credentials, else None."""
    from moto.sts.models import sts_backends

    from weft.local.moto_irsa import _session_key

    key = _session_key(headers)
    if key is None:
        return None
    for account in list(sts_backends):
        for backend in sts_backends[account].values():
            for role in backend.assumed_roles:
                if role.access_key_id == key:
                    return account, str(role.role_arn)
    return None


def apply() -> None:
    from moto.autoscaling.exceptions import AutoscalingClientError
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.utilities.utils import get_partition

    def check(self: Any, action: str, group: Any) -> None:
        session = _session_role(self.headers)
        if session is None or group is None:
            return
        account, role_arn = session
        tags = {str(t["Key"]): str(t["Value"]) for t in group.tags}
        documents = _role_documents(account, role_arn, get_partition(self.region))
        if not allowed(documents, action, group.arn, tags):
            raise AutoscalingClientError(
                "AccessDenied",
                f"User: {role_arn} is not authorized to perform: {action} on resource: "
                f"{group.arn} because no identity-based policy allows the {action} action",
            )

    original_set = AutoScalingResponse.set_desired_capacity
    original_terminate = AutoScalingResponse.terminate_instance_in_auto_scaling_group

    def set_desired_capacity(self: Any) -> Any:
        name = self._get_param("AutoScalingGroupName")
        check(self, ACTIONS[0], self.autoscaling_backend.autoscaling_groups.get(name))
        return original_set(self)

    def terminate_instance_in_auto_scaling_group(self: Any) -> Any:
        instance_id = self._get_param("InstanceId")
        group = next(
            (
                g
                for g in self.autoscaling_backend.autoscaling_groups.values()
                if any(s.instance.id == instance_id for s in g.instance_states)
            ),
            None,
        )
        check(self, ACTIONS[1], group)
        return original_terminate(self)

    AutoScalingResponse.set_desired_capacity = set_desired_capacity  # type: ignore[method-assign]
    AutoScalingResponse.terminate_instance_in_auto_scaling_group = (  # type: ignore[method-assign]
        terminate_instance_in_auto_scaling_group
    )
