"""What weft reads off a Kubernetes object it rendered or found: its app, version and image.

Pure: dicts in, strings out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.kube.manifests import NAME_LABEL, VERSION_ANNOTATION, VERSION_LABEL


def app_of(obj: Mapping[str, Any]) -> str:
    """The app an object belongs to: its name label, else its own name."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return str(labels.get(NAME_LABEL) or (obj.get("metadata") or {}).get("name"))


def version_of(obj: Mapping[str, Any]) -> str:
    """The version an object (a Deployment, or a CronJob's job template) runs; ``?`` unknown."""
    spec = obj.get("spec") or {}
    template = (
        spec.get("template")
        or ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
        or {}
    )
    for source in (template.get("metadata") or {}, obj.get("metadata") or {}):
        value = (source.get("annotations") or {}).get(VERSION_ANNOTATION) or (
            source.get("labels") or {}
        ).get(VERSION_LABEL)
        if value:
            return str(value)
    return "?"


def image_of(obj: Mapping[str, Any]) -> str:
    """The image of the first container of an object's pod template; ``?`` unknown."""
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or [{}]
    return str(containers[0].get("image") or "?")
