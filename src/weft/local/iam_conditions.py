"""Identity policies of a role session evaluated as AWS evaluates them, conditions included.

moto 5.2.5's IAM engine (:mod:`moto.iam.access_control`), which authorizes the requests of a
role session (:mod:`weft.local.moto_irsa`: IRSA and EKS Pod Identity credentials), ignores
``StringLike`` (and every operator but a few), counts an Allow whose condition fails as an
explicit deny, and checks most requests against the resource ``*`` with no request context at
all. A policy scoped by tags (the Load Balancer Controller's, the Cluster Autoscaler's
``autoscaling:ResourceTag/k8s.io/cluster-autoscaler/CLUSTER: owned``, the EBS CSI driver's
``aws:RequestTag/ebs.csi.aws.com/cluster``) was judged wrong, too lenient or too strict.

Here, for role-session requests only (other credentials keep moto's behaviour), as "Policy
evaluation logic" and "IAM JSON policy elements: Condition operators" (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
describe (:func:`evaluate`, pure):

- an explicit ``Deny`` wins; otherwise the request is allowed only if an ``Allow`` statement
  matches its action (``Action``/``NotAction``, case-insensitive, ``*`` and ``?`` wildcards),
  its resource (``Resource``/``NotResource``, case-sensitive) and **every** condition; else it
  is implicitly denied (a failed condition makes its statement not apply, nothing more);
- operators ``String[Not]Equals[IgnoreCase]``, ``String[Not]Like``, ``Arn[Not]Equals``,
  ``Arn[Not]Like``, ``Bool``, ``Null``, ``Numeric*``, each with ``...IfExists``, and the set
  qualifiers ``ForAnyValue:`` and ``ForAllValues:``. Several values of one key are ORed (NORed
  for a negated operator); several keys and operators are ANDed. A key missing from the request
  context makes a condition false, a negated one true; ``...IfExists`` is true then, ``Null``
  tests exactly that; ``ForAllValues`` is true for a missing key, ``ForAnyValue`` false.
  Condition key names are case-insensitive. An operator this module does not know makes an
  Allow not apply and a Deny apply, so the emulator never allows more than AWS.

The request context and the resources (:func:`request_checks`) come from the request and from
the emulator's own resources, per "Actions, resources, and condition keys" (Service
Authorization Reference) for the actions the simulators call: ``aws:RequestTag/K`` and
``aws:TagKeys`` from the request's tags (EC2 ``TagSpecification.N``/``Tag.N``, ELBv2
``Tags.member.N``); ``aws:ResourceTag/K`` and the service's alias (``ec2:``,
``elasticloadbalancing:``, ``autoscaling:ResourceTag/K``) from the tags of the resource the
request names; the ARN of that resource (ELBv2 load balancer, target group, listener and rule;
EC2 volume and security group; Auto Scaling group). Tagging on create is authorized as AWS
does: an EC2 ``CreateSecurityGroup``/``CreateVolume`` with tags also needs ``ec2:CreateTags``
on the new resource with ``ec2:CreateAction``, an ELBv2 ``CreateLoadBalancer``/
``CreateTargetGroup`` with tags also ``elasticloadbalancing:AddTags`` with
``elasticloadbalancing:CreateAction`` ("Grant permission to tag Amazon EC2 resources during
creation", Amazon EC2 User Guide; "ELB API permissions to tag resources during creation",
Elastic Load Balancing User Guide).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

Context = Mapping[str, Sequence[str]]


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


class UnknownOperator(ValueError):
    """A condition operator this module does not evaluate."""


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: each of the six ``:``-separated parts matched, with wildcards."""
    wanted = pattern.split(":", 5)
    got = value.split(":", 5)
    if len(wanted) != 6 or len(got) != 6:
        return False
    return all(_glob(w, g) for w, g in zip(wanted, got, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


_NUMERIC = {
    "NumericEquals": lambda a, b: a == b,
    "NumericLessThan": lambda a, b: a < b,
    "NumericLessThanEquals": lambda a, b: a <= b,
    "NumericGreaterThan": lambda a, b: a > b,
    "NumericGreaterThanEquals": lambda a, b: a >= b,
}


def _matches(base: str, value: str, wanted: str) -> bool:
    """Whether one context value matches one policy value under a positive operator."""
    if base == "StringEquals":
        return value == wanted
    if base == "StringEqualsIgnoreCase":
        return value.lower() == wanted.lower()
    if base == "StringLike":
        return _glob(wanted, value)
    if base in ("ArnEquals", "ArnLike"):
        return _arn_like(wanted, value)
    if base == "Bool":
        return value.lower() == wanted.lower()
    if base in _NUMERIC:
        a, b = _number(value), _number(wanted)
        return a is not None and b is not None and bool(_NUMERIC[base](a, b))
    raise UnknownOperator(base)


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _value_ok(operator: str, value: str, wanted: Sequence[str]) -> bool:
    """One context value against the policy's values: ORed, or NORed when negated."""
    if operator in _NEGATED:
        return not any(_matches(_NEGATED[operator], value, w) for w in wanted)
    return any(_matches(operator, value, w) for w in wanted)


def _as_strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def condition_holds(operator: str, key: str, wanted: Any, context: Context) -> bool:
    """Whether one condition (``operator``, ``key``, the policy's value(s)) holds in
    ``context`` (keys matched case-insensitively)."""
    values = _lookup(context, key)
    policy_values = _as_strings(wanted)
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnknownOperator(f"{qualifier}:{operator}")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator.removesuffix("IfExists")
    if operator == "Null":
        if qualifier or if_exists:
            raise UnknownOperator(operator)
        absent = not values
        return any(absent == (w.lower() == "true") for w in policy_values)
    if operator not in _NEGATED:
        _matches(operator, "", "")  # unknown operators raise before any short cut
    if qualifier == "ForAllValues":
        return all(_value_ok(operator, v, policy_values) for v in values)
    if qualifier == "ForAnyValue":
        return any(_value_ok(operator, v, policy_values) for v in values)
    if not values:
        return if_exists or operator in _NEGATED
    if operator in _NEGATED:
        return all(_value_ok(operator, v, policy_values) for v in values)
    return any(_value_ok(operator, v, policy_values) for v in values)


def _lookup(context: Context, key: str) -> list[str]:
    wanted = key.lower()
    for name, values in context.items():
        if name.lower() == wanted:
            return list(values)
    return []


def _listed(statement: Mapping[str, Any], element: str) -> list[str] | None:
    if element not in statement:
        return None
    value = statement[element]
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Context
) -> bool:
    actions = _listed(statement, "Action")
    if actions is not None:
        if not any(_glob(a, action, ignore_case=True) for a in actions):
            return False
    else:
        not_actions = _listed(statement, "NotAction") or []
        if any(_glob(a, action, ignore_case=True) for a in not_actions):
            return False
    resources = _listed(statement, "Resource")
    if resources is not None:
        if not any(_glob(r, resource) for r in resources):
            return False
    else:
        not_resources = _listed(statement, "NotResource")
        if not_resources is None or any(_glob(r, resource) for r in not_resources):
            return False
    conditions = statement.get("Condition") or {}
    for operator, tests in conditions.items():
        for key, wanted in (tests or {}).items():
            if not condition_holds(str(operator), str(key), wanted, context):
                return False
    return True


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def evaluate(
    policies: Iterable[Mapping[str, Any]], action: str, resource: str, context: Context
) -> Decision:
    """The decision of identity ``policies`` on ``action`` on ``resource`` in ``context``."""
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            deny = statement.get("Effect") == "Deny"
            try:
                applies = _statement_applies(statement, action, resource, context)
            except UnknownOperator:
                applies = deny  # never allow more than AWS
            if applies and deny:
                return Decision.EXPLICIT_DENY
            allowed = allowed or applies
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


# --- the request context of the local cloud's requests -------------------------------------


@dataclass
class Check:
    """One authorization AWS makes for a request: an action on a resource, in a context."""

    action: str
    resource: str
    context: dict[str, list[str]] = field(default_factory=dict)


def tag_context(
    request_tags: Mapping[str, str] | None, resource_tags: Mapping[str, str] | None, service: str
) -> dict[str, list[str]]:
    """``aws:RequestTag/K`` and ``aws:TagKeys`` of ``request_tags``, ``aws:ResourceTag/K`` and
    ``SERVICE:ResourceTag/K`` of ``resource_tags``."""
    context: dict[str, list[str]] = {}
    if request_tags is not None:
        for key, value in request_tags.items():
            context[f"aws:RequestTag/{key}"] = [value]
        context["aws:TagKeys"] = list(request_tags)
    for key, value in (resource_tags or {}).items():
        context[f"aws:ResourceTag/{key}"] = [value]
        context[f"{service}:ResourceTag/{key}"] = [value]
    return context


def _indexed(params: Mapping[str, Any], prefix: str) -> list[str]:
    """The values of ``PREFIX.1``, ``PREFIX.2``, ... in a query request."""
    found = []
    for name, value in params.items():
        match = re.fullmatch(re.escape(prefix) + r"\.(\d+)", name)
        if match:
            found.append((int(match.group(1)), _first(value)))
    return [value for _, value in sorted(found)]


def _first(value: Any) -> str:
    return str(value[0] if isinstance(value, list) and value else value)


def _tags(params: Mapping[str, Any], prefix: str) -> dict[str, str] | None:
    """Tags ``PREFIX.N.Key``/``PREFIX.N.Value``, or None when the request has none."""
    keys: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, value in params.items():
        match = re.fullmatch(re.escape(prefix) + r"\.(\d+)\.(Key|Value)", name)
        if match:
            (keys if match.group(2) == "Key" else values)[match.group(1)] = _first(value)
    if not keys:
        return None
    return {keys[n]: values.get(n, "") for n in sorted(keys, key=int)}


def _ec2_request_tags(params: Mapping[str, Any], resource_type: str) -> dict[str, str] | None:
    tags: dict[str, str] | None = None
    for n in range(1, 20):
        kind = params.get(f"TagSpecification.{n}.ResourceType")
        if kind is None:
            break
        if _first(kind) == resource_type:
            found = _tags(params, f"TagSpecification.{n}.Tag") or {}
            tags = {**(tags or {}), **found}
    return tags


_EC2_PREFIXES = {"sg-": "security-group", "vol-": "volume", "i-": "instance", "snap-": "snapshot"}


def ec2_checks(
    action: str, params: Mapping[str, Any], arn: Any, tags_of: Any
) -> list[Check] | None:
    """The checks of an EC2 request, or None to leave it to the resource given."""
    from weft.local.moto_ec2_resources import SECURITY_GROUP_ACTIONS, VOLUME_ACTIONS

    kinds = {
        **dict.fromkeys(VOLUME_ACTIONS, "volume"),
        **dict.fromkeys(SECURITY_GROUP_ACTIONS, "security-group"),
    }
    table = {**VOLUME_ACTIONS, **SECURITY_GROUP_ACTIONS}
    if action in table:
        kind = kinds[action]
        param = table[action]
        ident = _first(params[param]) if param and param in params else None
        if param and ident is None:
            return None  # named otherwise (a group name): moto's resource stands
        resource_tags = tags_of(ident) if ident else None
        request_tags = _ec2_request_tags(params, kind) if ident is None else None
        checks = [
            Check(
                f"ec2:{action}", arn(kind, ident), tag_context(request_tags, resource_tags, "ec2")
            )
        ]
        if ident is None and request_tags:
            context = tag_context(request_tags, None, "ec2")
            context["ec2:CreateAction"] = [action]
            checks.append(Check("ec2:CreateTags", arn(kind, None), context))
        return checks
    if action in ("CreateTags", "DeleteTags"):
        request_tags = _tags(params, "Tag") or {}
        checks = []
        for named in _indexed(params, "ResourceId"):
            found = next((k for p, k in _EC2_PREFIXES.items() if named.startswith(p)), None)
            if found is None:
                return None
            checks.append(
                Check(
                    f"ec2:{action}",
                    arn(found, named),
                    tag_context(request_tags, tags_of(named), "ec2"),
                )
            )
        return checks or None
    return None


#: ELBv2 actions on a named resource, and the parameter naming it.
ELBV2_NAMED = {
    "DeleteLoadBalancer": "LoadBalancerArn",
    "ModifyLoadBalancerAttributes": "LoadBalancerArn",
    "SetSecurityGroups": "LoadBalancerArn",
    "SetSubnets": "LoadBalancerArn",
    "SetIpAddressType": "LoadBalancerArn",
    "CreateListener": "LoadBalancerArn",
    "DeleteTargetGroup": "TargetGroupArn",
    "ModifyTargetGroup": "TargetGroupArn",
    "ModifyTargetGroupAttributes": "TargetGroupArn",
    "RegisterTargets": "TargetGroupArn",
    "DeregisterTargets": "TargetGroupArn",
    "DeleteListener": "ListenerArn",
    "ModifyListener": "ListenerArn",
    "ModifyListenerAttributes": "ListenerArn",
    "CreateRule": "ListenerArn",
    "DeleteRule": "RuleArn",
    "ModifyRule": "RuleArn",
}
_LB_TYPES = {"application": "app", "network": "net", "gateway": "gwy"}


def elbv2_checks(
    action: str, params: Mapping[str, Any], prefix: str, tags_of: Any
) -> list[Check] | None:
    """The checks of an ELBv2 request (``prefix``: ``arn:P:elasticloadbalancing:R:A:``)."""
    service = "elasticloadbalancing"
    if action in ELBV2_NAMED:
        arn = _first(params.get(ELBV2_NAMED[action], ""))
        if not arn:
            return None
        return [Check(f"{service}:{action}", arn, tag_context(None, tags_of(arn), service))]
    if action in ("CreateLoadBalancer", "CreateTargetGroup"):
        name = _first(params.get("Name", ""))
        if action == "CreateLoadBalancer":
            kind = _LB_TYPES.get(_first(params.get("Type", "application")), "app")
            arn = f"{prefix}loadbalancer/{kind}/{name}/*"
        else:
            arn = f"{prefix}targetgroup/{name}/*"
        request_tags = _tags(params, "Tags.member")
        checks = [Check(f"{service}:{action}", arn, tag_context(request_tags, None, service))]
        if request_tags:
            context = tag_context(request_tags, None, service)
            context[f"{service}:CreateAction"] = [action]
            checks.append(Check(f"{service}:AddTags", arn, context))
        return checks
    if action in ("AddTags", "RemoveTags"):
        request_tags = _tags(params, "Tags.member") if action == "AddTags" else None
        keys = _indexed(params, "TagKeys.member")
        checks = []
        for arn in _indexed(params, "ResourceArns.member"):
            context = tag_context(request_tags, tags_of(arn), service)
            if keys:
                context["aws:TagKeys"] = keys
            checks.append(Check(f"{service}:{action}", arn, context))
        return checks or None
    return None


def autoscaling_checks(action: str, params: Mapping[str, Any], group_of: Any) -> list[Check] | None:
    """The checks of an Auto Scaling request naming a group (by name, or by an instance)."""
    if action in ("SetDesiredCapacity", "UpdateAutoScalingGroup", "DeleteAutoScalingGroup"):
        group = group_of(name=_first(params.get("AutoScalingGroupName", "")))
    elif action in ("TerminateInstanceInAutoScalingGroup", "SetInstanceHealth"):
        group = group_of(instance=_first(params.get("InstanceId", "")))
    else:
        return None
    if group is None:
        return None  # moto answers its own error for an unknown group
    tags = {str(t.get("Key")): str(t.get("Value", "")) for t in group.tags}
    return [Check(f"autoscaling:{action}", group.arn, tag_context(None, tags, "autoscaling"))]


def request_checks(response: Any, resource: str) -> list[Check]:
    """The authorizations AWS makes for the request ``response`` (a moto response object)
    handles; ``resource`` is the one moto (or another ``weft.local`` fix) determined."""
    from moto.utilities.utils import get_partition

    service = str(getattr(response, "service_name", "") or "")
    action = str(response._get_action())
    params: Mapping[str, Any] = getattr(response, "querystring", None) or {}
    account, region = response.current_account, response.region
    partition = get_partition(region)
    checks: list[Check] | None = None
    if service == "ec2":
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[account][region]

        def ec2_arn(kind: str, ident: str | None) -> str:
            return f"arn:{partition}:ec2:{region}:{account}:{kind}/{ident or '*'}"

        def ec2_tags(ident: str) -> dict[str, str]:
            return dict(backend.tags.get(ident, {}))

        checks = ec2_checks(action, params, ec2_arn, ec2_tags)
    elif service == "elbv2":
        from moto.elbv2.models import elbv2_backends

        elb = elbv2_backends[account][region]

        def elb_tags(arn: str) -> dict[str, str]:
            return dict(elb.tagging_service.get_tag_dict_for_resource(arn))

        prefix = f"arn:{partition}:elasticloadbalancing:{region}:{account}:"
        checks = elbv2_checks(action, params, prefix, elb_tags)
    elif service == "autoscaling":
        from moto.autoscaling.models import autoscaling_backends

        groups = autoscaling_backends[account][region].autoscaling_groups

        def group_of(name: str = "", instance: str = "") -> Any:
            if name:
                return groups.get(name)
            for group in groups.values():
                if any(i.instance.id == instance for i in group.instance_states):
                    return group
            return None

        checks = autoscaling_checks(action, params, group_of)
    if checks is None:
        return [Check(f"{_prefix(service)}:{action}", resource)]
    return checks


def _prefix(service: str) -> str:
    return {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing"}.get(service, service)


def authorize(response: Any, request: Any, resource: str) -> None:
    """Authorize a role session's request (``request``: moto's ``IAMRequest``, its signature
    checked) by its role's identity policies, as AWS does; ``AccessDenied`` otherwise."""
    from moto.core.exceptions import AccessDeniedError
    from moto.iam.access_control import IAMPolicy

    if request._action == "sts:GetCallerIdentity":
        return  # always allowed, even under an explicit deny
    policies = [IAMPolicy(p)._policy_json for p in request._access_key.collect_policies()]
    checks = request_checks(response, resource)
    checks[0].action = request._action  # the service prefix moto signed it with
    for check in checks:
        if evaluate(policies, check.action, check.resource, check.context) != Decision.ALLOW:
            if check.action == request._action:
                request._raise_access_denied()  # in the service's own shape (S3's XML)
            raise AccessDeniedError(user_arn=request._access_key.arn, action=check.action)
    if request._is_assuming_role_operation(resource) and not request._check_role_trust_relationship(
        resource
    ):
        request._raise_access_denied()
