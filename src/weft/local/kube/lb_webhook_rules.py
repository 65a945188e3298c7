"""What the AWS Load Balancer Controller's admission webhooks decide, as pure functions of the
objects they are sent (weft's own rendering of the controller's v3.5.0 ``webhooks/``, in
kubernetes-sigs/aws-load-balancer-controller): Ingress validation (:func:`validate_ingress`),
IngressClassParams validation (:func:`validate_ingress_class_params`) and the pod mutator's
readiness gates (:func:`readiness_gates`). :mod:`weft.local.kube.lb_webhooks` serves them to the
local API server over TLS.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from weft.local.kube import lb_install

ALB_CONTROLLER = "ingress.k8s.aws/alb"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
INGRESS_PREFIX = "alb.ingress.kubernetes.io"
TARGET_HEALTH_PREFIX = "target-health.elbv2.k8s.aws"
LEGACY_TARGET_HEALTH_PREFIX = "target-health.alb.ingress.k8s.aws"


class Denied(Exception):
    """The webhook refuses the object: the message is the controller's."""


# ------------------------------------------------------------------------- Ingress validation
def _conditions_error(raw: str, key: str) -> str | None:
    """The controller's JSON parse error for a conditions annotation, or None."""
    try:
        value = json.loads(raw)
    except ValueError as e:
        return f"failed to parse json annotation, {key}: {raw}: {e}"
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        return f"failed to parse json annotation, {key}: {raw}: expected a list of conditions"
    for cond in value:
        for name, config in cond.items():
            if name.endswith("Config") and config is not None and not isinstance(config, dict):
                return f"failed to parse json annotation, {key}: {raw}: {name} is not an object"
    return None


def _values_error(config: dict[str, Any], regex: bool) -> str | None:
    values, regexes = config.get("values") or [], config.get("regexValues") or []
    if not isinstance(values, list) or not isinstance(regexes, list):
        return "values must be a list"
    if not regex:
        return "values cannot be empty" if not values else None
    if not values and not regexes:
        return "values or regexValues must be specified"
    if values and regexes:
        return "precisely one of values and regexValues can be specified"
    return None


#: field → (its config's key, whether regexValues may stand for values)
_CONDITIONS = {
    "host-header": ("hostHeaderConfig", True),
    "path-pattern": ("pathPatternConfig", True),
    "http-header": ("httpHeaderConfig", True),
    "http-request-method": ("httpRequestMethodConfig", False),
    "query-string": ("queryStringConfig", False),
    "source-ip": ("sourceIPConfig", False),
}


def condition_error(cond: dict[str, Any]) -> str | None:
    """The controller's ``RuleCondition.Validate`` message for one condition, or None."""
    spec = _CONDITIONS.get(str(cond.get("field")))
    if spec is None:
        return None  # the controller checks only the fields it knows
    name, regex = spec
    config = cond.get(name)
    if config is None:
        return f"missing {name}"
    if name == "queryStringConfig":
        pairs = config.get("values") or []
        if not pairs:
            return f"invalid {name}: Values cannot be empty"
        for pair in pairs:
            if not isinstance(pair, dict) or not pair.get("value"):
                return f"invalid {name}: value cannot be empty"
        return None
    err = _values_error(config, regex)
    return f"invalid {name}: {err}" if err else None


@dataclass(frozen=True)
class IngressSettings:
    """What the controller's Ingress validator is told by its flags."""

    ingress_class: str = lb_install.DEFAULT_INGRESS_CLASS
    disable_class_annotation: bool = False
    disable_group_annotation: bool = False


def validate_ingress(
    ing: dict[str, Any],
    old: dict[str, Any] | None,
    ingress_classes: Callable[[], list[dict[str, Any]]],
    settings: IngressSettings,
) -> None:
    """Raise :class:`Denied` with the controller's message when it refuses the Ingress
    (``webhooks/networking/ingress_validator.go``); ``ingress_classes`` lists the cluster's."""
    meta, spec = ing.get("metadata") or {}, ing.get("spec") or {}
    annotations = meta.get("annotations") or {}
    old_annotations = ((old or {}).get("metadata") or {}).get("annotations") or {}

    def load(name: str | None) -> dict[str, Any] | None:
        classes = ingress_classes()
        if name is None:
            defaults = [
                c
                for c in classes
                if ((c.get("metadata") or {}).get("annotations") or {}).get(
                    DEFAULT_CLASS_ANNOTATION
                )
                == "true"
            ]
            if len(defaults) > 1:
                raise Denied("multiple default IngressClasses found")
            if not defaults:
                return None
            return defaults[0]
        for c in classes:
            if (c.get("metadata") or {}).get("name") == name:
                return c
        raise Denied(f'invalid ingress class: ingressclasses.networking.k8s.io "{name}" not found')

    # checkIngressClass: only the controller's own Ingresses are checked
    if CLASS_ANNOTATION in annotations:
        if annotations[CLASS_ANNOTATION] != settings.ingress_class:
            return
    else:
        cls = load(spec.get("ingressClassName"))
        if cls is None:
            if settings.ingress_class:
                return
        elif (cls.get("spec") or {}).get("controller") != ALB_CONTROLLER:
            return
    if settings.disable_class_annotation:
        used_new = annotations.get(CLASS_ANNOTATION) == settings.ingress_class
        used_old = old_annotations.get(CLASS_ANNOTATION) == settings.ingress_class
        if used_new and not used_old:
            raise Denied(f"new usage of `{CLASS_ANNOTATION}` annotation is forbidden")
    if settings.disable_group_annotation:
        group_key = f"{INGRESS_PREFIX}/group.name"
        if group_key in annotations and (
            group_key not in old_annotations or annotations[group_key] != old_annotations[group_key]
        ):
            raise Denied(f"new usage of `{group_key}` annotation is forbidden")
    new_class = spec.get("ingressClassName")
    old_class = ((old or {}).get("spec") or {}).get("ingressClassName")
    if new_class is not None and (old_class is None or old_class != new_class):
        load(new_class)
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            service = ((path.get("backend") or {}).get("service") or {}).get("name")
            if not service:
                continue
            key = f"{INGRESS_PREFIX}/conditions.{service}"
            if key not in annotations:
                continue
            err = _conditions_error(annotations[key], key)
            if err:
                raise Denied(err)
            for cond in json.loads(annotations[key]):
                err = condition_error(cond)
                if err:
                    raise Denied(
                        f"ignoring Ingress {meta.get('namespace')}/{meta.get('name')} since "
                        f"invalid {key} annotation: {err}"
                    )


# ---------------------------------------------------------------- IngressClassParams validation
def _cidr_error(cidr: str) -> str | None:
    """Go's ``net.ParseCIDR`` checks as the controller words them."""
    try:
        if "/" not in cidr:
            raise ValueError(cidr)
        net = ipaddress.ip_network(cidr, strict=False)
        address = ipaddress.ip_address(cidr.split("/", 1)[0])
    except ValueError:
        detail = "Could not be parsed as a CIDR"
        if "/" not in cidr:
            with contextlib.suppress(ValueError):
                ip = ipaddress.ip_address(cidr)
                detail += f' (did you mean "{cidr}/{32 if ip.version == 4 else 64}")'
        return detail
    if address != net.network_address:
        return (
            "Network contains bits outside prefix "
            f'(did you mean "{net.network_address}/{net.prefixlen}")'
        )
    return None


def validate_ingress_class_params(params: dict[str, Any]) -> None:
    """Raise :class:`Denied` with the controller's field errors
    (``webhooks/elbv2/ingressclassparams_validator.go``)."""
    spec = params.get("spec") or {}
    errors: list[str] = []
    for i, cidr in enumerate(spec.get("inboundCIDRs") or []):
        err = _cidr_error(str(cidr))
        if err:
            errors.append(f'spec.inboundCIDRs[{i}]: Invalid value: "{cidr}": {err}')
    subnets = spec.get("subnets")
    if subnets is not None:
        ids, tags = subnets.get("ids"), subnets.get("tags")
        if ids is None and tags is None:
            errors.append("spec.subnets: Required value: must have either `ids` or `tags`")
        elif ids is not None and tags is not None:
            errors.append("spec.subnets.tags: Forbidden: may not have both `ids` and `tags` set")
        elif ids is not None:
            seen: set[str] = set()
            for i, sid in enumerate(ids):
                if sid in seen:
                    errors.append(f'spec.subnets.ids[{i}]: Duplicate value: "{sid}"')
                seen.add(sid)
        else:
            if not tags:
                errors.append("spec.subnets.tags: Required value: must have at least one tag key")
            for tag, values in sorted(tags.items()):
                seen_values: set[str] = set()
                for i, value in enumerate(values or []):
                    if value in seen_values:
                        errors.append(f'spec.subnets.tags[{tag}][{i}]: Duplicate value: "{value}"')
                    seen_values.add(value)
    if len(errors) == 1:
        raise Denied(errors[0])
    if errors:
        raise Denied("[" + ", ".join(errors) + "]")


# ----------------------------------------------------------------------- pod readiness gates
def readiness_gates(
    pod: dict[str, Any], bindings: list[dict[str, Any]], services: dict[str, dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The pod's readiness gates after the controller's injector
    (``pkg/inject/pod_readiness/pod_readiness_gate.go``), or None when it changes nothing:
    one ``target-health.elbv2.k8s.aws/<binding>`` gate for each ``ip`` TargetGroupBinding whose
    Service (``services`` by name) selects the pod; legacy gates dropped when any applies."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    wanted: list[str] = []
    for tgb in bindings:
        spec = tgb.get("spec") or {}
        if spec.get("targetType") != "ip":
            continue
        svc = services.get(str((spec.get("serviceRef") or {}).get("name")))
        if svc is None:
            continue
        selector = (svc.get("spec") or {}).get("selector") or {}
        if selector and all(labels.get(k) == v for k, v in selector.items()):
            wanted.append(f"{TARGET_HEALTH_PREFIX}/{tgb['metadata']['name']}")
    if not wanted:
        return None
    gates = [
        g
        for g in (pod.get("spec") or {}).get("readinessGates") or []
        if not str(g.get("conditionType", "")).startswith(LEGACY_TARGET_HEALTH_PREFIX)
    ]
    have = {g.get("conditionType") for g in gates}
    gates += [{"conditionType": c} for c in wanted if c not in have]
    return gates
