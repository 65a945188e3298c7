"""The labels and annotations weft puts on the objects it renders, and the selectors built on them.

Every ``weft.dev/*`` key is defined here, once; the rest of weft takes them from here (the local
cloud keeps a copy of its own on purpose: it must not take its truth from what it checks).

Every object, pod templates included, carries :func:`labels`:

- ``app.kubernetes.io/name``: the app or cron job;
- ``app.kubernetes.io/managed-by``: ``weft`` (:data:`MANAGED_BY`);
- ``app.kubernetes.io/version``: the version deployed (``+`` written as ``_``, as in tags);
- ``weft.dev/fabric``: the fabric's name;
- ``environment``: the fabric's ``environment``.

The Namespace belongs to the fabric, not to one app: it carries :func:`fabric_labels`
(managed-by, fabric and environment). Pods are selected by :func:`selector`, name and fabric
only: a selector is immutable, so it never holds the version. :func:`fabric_selector` finds
everything weft rendered for a fabric.

Annotations: ``weft.dev/version`` (the version, as written in the file) on Deployments, CronJobs
and pod templates, with ``kubernetes.io/change-cause`` (:func:`change_cause`) on Deployments and
pod templates; ``weft.dev/secret-hash`` on the pod template of an entry with secret variables;
``weft.dev/https-skipped`` on an Ingress with TLS rendered HTTP only (no certificate yet).
"""

from __future__ import annotations

from weft.fabricfile import Fabric
from weft.fabricfile.image import version_label
from weft.kube.manifests.entries import find

__all__ = [
    "CHANGE_CAUSE_ANNOTATION",
    "ENVIRONMENT_LABEL",
    "FABRIC_LABEL",
    "HTTPS_SKIPPED_ANNOTATION",
    "MANAGED_BY",
    "MANAGED_BY_LABEL",
    "NAME_LABEL",
    "SECRET_HASH_ANNOTATION",
    "VERSION_ANNOTATION",
    "VERSION_LABEL",
    "change_cause",
    "fabric_labels",
    "fabric_selector",
    "labels",
    "selector",
]

MANAGED_BY = "weft"
NAME_LABEL = "app.kubernetes.io/name"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
VERSION_LABEL = "app.kubernetes.io/version"
FABRIC_LABEL = "weft.dev/fabric"
ENVIRONMENT_LABEL = "environment"
VERSION_ANNOTATION = "weft.dev/version"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
SECRET_HASH_ANNOTATION = "weft.dev/secret-hash"
HTTPS_SKIPPED_ANNOTATION = "weft.dev/https-skipped"


def selector(fabric: Fabric, app: str) -> dict[str, str]:
    """The pod selector of an app: its name and the fabric (never the version: immutable)."""
    return {NAME_LABEL: app, FABRIC_LABEL: fabric.name}


def fabric_selector(fabric: Fabric) -> dict[str, str]:
    """The labels every object weft renders for ``fabric`` has: for listing them all."""
    return {MANAGED_BY_LABEL: MANAGED_BY, FABRIC_LABEL: fabric.name}


def fabric_labels(fabric: Fabric) -> dict[str, str]:
    """The labels of what belongs to the fabric rather than to one app: its Namespace."""
    return {
        MANAGED_BY_LABEL: MANAGED_BY,
        FABRIC_LABEL: fabric.name,
        ENVIRONMENT_LABEL: fabric.environment,
    }


def labels(fabric: Fabric, app: str, version: str | None = None) -> dict[str, str]:
    """The common labels of an app's or cron job's objects.

    ``version`` is the one being deployed; by default the one in the file. Raises UsageError
    for a name the fabric does not have when no version is given.
    """
    if version is None:
        version = find(fabric, app).version
    return {
        NAME_LABEL: app,
        MANAGED_BY_LABEL: MANAGED_BY,
        VERSION_LABEL: version_label(version),
        FABRIC_LABEL: fabric.name,
        ENVIRONMENT_LABEL: fabric.environment,
    }


def change_cause(app: str, version: str) -> str:
    """The ``kubernetes.io/change-cause`` of a rollout of ``app`` to ``version``."""
    return f"weft: {app} {version}"
