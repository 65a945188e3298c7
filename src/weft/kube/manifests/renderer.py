"""Rendering a fabric's apps and cron jobs: every object, in apply order.

Per app: its ServiceAccount (only when it uses an AWS resource), its Secret (only when something
secret is injected), a Service (when it has a port), the Deployment, and as configured a
HorizontalPodAutoscaler, a PodDisruptionBudget and an Ingress. Per cron job: its ServiceAccount,
its Secret and the CronJob. Before them, the Namespace.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from weft.errors import UsageError
from weft.fabricfile import App, CronJob
from weft.fabricfile.image import image_tag, tag_problem, version_problem
from weft.kube.manifests.context import Context, RenderInput
from weft.kube.manifests.entries import find, selected
from weft.kube.manifests.environment import env_secret, env_secret_name
from weft.kube.manifests.labelling import fabric_labels
from weft.kube.manifests.order import apply_order
from weft.kube.manifests.traffic import ingress, service
from weft.kube.manifests.workloads import cronjob, deployment, hpa, pdb, service_account

__all__ = ["render"]


def render(inp: RenderInput, only: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Every object of the fabric's apps and cron jobs (or only those named), in apply order.

    Raises UsageError for a name in ``only`` or ``version_overrides`` that the fabric does not
    have, an override that is not a version, and a store in ``uses`` missing from ``data``; an
    ingress with TLS without ``certificate_arn`` is rendered HTTP only, marked
    :data:`~weft.kube.manifests.traffic.HTTPS_SKIPPED`. Nothing is rendered when nothing is
    selected.
    """
    fabric = inp.fabric
    for name, version in inp.version_overrides.items():
        entry = find(fabric, name)
        fault = version_problem(version, entry.versioning)
        if fault is None and entry.versioning != "digest":
            fault = tag_problem(image_tag(version, entry.tag_format))
        if fault is not None:
            raise UsageError(f"cannot deploy {name} at version {version!r}: {fault}")
    chosen = selected(fabric, only)
    objs: list[dict[str, Any]] = []
    if chosen:
        objs.append(_namespace(inp))
    for entry in chosen:
        ctx = Context.of(inp, entry)
        objs.extend(_app(ctx, entry) if isinstance(entry, App) else _cronjob(ctx, entry))
    return apply_order(objs)


def _namespace(inp: RenderInput) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": inp.namespace, "labels": fabric_labels(inp.fabric)},
    }


def _secret(ctx: Context) -> list[dict[str, Any]]:
    return env_secret(ctx.metadata(env_secret_name(ctx.name)), ctx.secret_data)


def _app(ctx: Context, app: App) -> list[dict[str, Any]]:
    objs = [*service_account(ctx), *_secret(ctx)]
    if app.port is not None:
        objs.append(service(ctx, app, app.port))
    objs.append(deployment(ctx, app))
    if app.autoscale is not None:
        objs.append(hpa(ctx, app))
    if app.disruption is not None:
        objs.append(pdb(ctx, app))
    if app.ingress is not None:
        assert app.port is not None
        objs.append(ingress(ctx, app, app.port))
    return objs


def _cronjob(ctx: Context, job: CronJob) -> list[dict[str, Any]]:
    return [*service_account(ctx), *_secret(ctx), cronjob(ctx, job)]
