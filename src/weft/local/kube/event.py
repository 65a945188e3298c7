"""core/v1 Events the simulators record about the objects they act on, as a kubelet, the
scheduler or the load-balancer controller records them (best effort)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from lightkube import ApiError, Client
from lightkube.codecs import from_dict

from weft.local.kube.meta import meta, now_iso

log = logging.getLogger("weft.local.kube")


def event_body(
    obj: dict[str, Any],
    reason: str,
    message: str,
    *,
    type_: str,
    component: str,
    host: str | None,
    stamp: str,
    suffix: str,
) -> dict[str, Any]:
    """The Event about ``obj`` (pure): named ``<object>.<suffix>`` in the object's namespace
    (``default`` for a cluster-scoped object), seen once at ``stamp``."""
    m = meta(obj)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{m.get('name', 'object')}.{suffix}",
            "namespace": m.get("namespace") or "default",
        },
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": m.get("name"),
            "namespace": m.get("namespace"),
            "uid": m.get("uid"),
            "resourceVersion": m.get("resourceVersion"),
        },
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": component, **({"host": host} if host else {})},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "reportingComponent": component,
        "reportingInstance": host or component,
    }


def emit_event(
    client: Client,
    obj: dict[str, Any],
    reason: str,
    message: str,
    *,
    type_: str = "Normal",
    component: str,
    host: str | None = None,
) -> None:
    """Record a core/v1 Event about ``obj`` (best effort, like every controller does)."""
    body = event_body(
        obj,
        reason,
        message,
        type_=type_,
        component=component,
        host=host,
        stamp=now_iso(),
        suffix=uuid.uuid4().hex[:16],
    )
    try:
        client.create(from_dict(body))
    except ApiError as exc:
        namespace = body["metadata"]["namespace"]
        log.debug(
            "event %s on %s/%s not recorded: %s", reason, namespace, meta(obj).get("name"), exc
        )
