"""How the simulators read the API server: their lightkube client and a resilient list+watch."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightkube import ALL_NS, Client, KubeConfig

from weft.local.kube.meta import key

log = logging.getLogger("weft.local.kube")

WatchHandler = Callable[[str, dict[str, Any]], None]


def make_client(kubeconfig: Path, field_manager: str) -> Client:
    return Client(
        KubeConfig.from_file(str(kubeconfig)), field_manager=field_manager, trust_env=False
    )


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
