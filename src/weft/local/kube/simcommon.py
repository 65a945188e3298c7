"""What the two simulators share: the lightkube client, a resilient list+watch loop, Events."""

from __future__ import annotations

import datetime
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightkube import ALL_NS, ApiError, Client, KubeConfig
from lightkube.codecs import from_dict

log = logging.getLogger("weft.local.kube")

WatchHandler = Callable[[str, dict[str, Any]], None]


def make_client(kubeconfig: Path, field_manager: str) -> Client:
    return Client(
        KubeConfig.from_file(str(kubeconfig)), field_manager=field_manager, trust_env=False
    )


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def key(obj: dict[str, Any]) -> tuple[str, str]:
    m = meta(obj)
    return (m.get("namespace") or "", m.get("name") or "")


def watch_forever(
    client: Client,
    resource: Any,
    handler: WatchHandler,
    stop: threading.Event,
    *,
    on_relist: Callable[[list[dict[str, Any]]], None] | None = None,
    name: str = "",
) -> None:
    """List then watch ``resource`` in all namespaces, calling ``handler(event_type, obj)``.

    After any error or a closed stream it lists again (each relist replays every object as
    ``ADDED``, so handlers must be idempotent) and resumes the watch from the list's
    resourceVersion. ``on_relist`` receives the full list (to forget objects that vanished)."""
    backoff = 0.5
    label = name or getattr(resource, "__name__", str(resource))
    while not stop.is_set():
        try:
            items = (
                client.list(resource, namespace=ALL_NS)
                if _namespaced(resource)
                else (client.list(resource))
            )
            objs = [_with_kind(item.to_dict(), resource) for item in items]
            version = items.resourceVersion if hasattr(items, "resourceVersion") else None
            if on_relist:
                on_relist(objs)
            for obj in objs:
                _safe(handler, "ADDED", obj, label)
            kwargs: dict[str, Any] = {"server_timeout": 240, "resource_version": version}
            if _namespaced(resource):
                kwargs["namespace"] = ALL_NS
            backoff = 0.5
            for event_type, item in client.watch(resource, **kwargs):
                if stop.is_set():
                    return
                _safe(handler, event_type, _with_kind(item.to_dict(), resource), label)
        except Exception as exc:
            if stop.is_set():
                return
            log.warning("watch %s interrupted (%s: %s); relisting", label, type(exc).__name__, exc)
            stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)


def _with_kind(obj: dict[str, Any], resource: Any) -> dict[str, Any]:
    api = resource._api_info.resource
    obj.setdefault("apiVersion", f"{api.group}/{api.version}" if api.group else api.version)
    obj.setdefault("kind", api.kind)
    return obj


def _namespaced(resource: Any) -> bool:
    from lightkube.core.resource import NamespacedResource

    return isinstance(resource, type) and issubclass(resource, NamespacedResource)


def _safe(handler: WatchHandler, event_type: str, obj: dict[str, Any], label: str) -> None:
    try:
        handler(event_type, obj)
    except Exception:
        log.exception("handling %s %s %s/%s failed", event_type, label, *key(obj))


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
    m = meta(obj)
    namespace = m.get("namespace") or "default"
    stamp = now_iso()
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{m.get('name', 'object')}.{uuid.uuid4().hex[:16]}",
            "namespace": namespace,
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
    try:
        client.create(from_dict(body))
    except ApiError as exc:
        log.debug("event %s on %s/%s not recorded: %s", reason, namespace, m.get("name"), exc)
