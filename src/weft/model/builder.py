"""Collects the desired resources of one fabric, each tagged as weft tags everything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric
from weft.model.tags import resource_tags


class Builder:
    def __init__(self, fabric: Fabric) -> None:
        self.fabric = fabric
        self.resources: list[Resource] = []

    def add(
        self,
        kind: str,
        name: str,
        props: dict[str, Any],
        depends_on: tuple[str, ...] = (),
        *,
        extra_tags: Mapping[str, str] | None = None,
    ) -> Ref:
        """Add one resource (its ``tags`` prop filled in) and return a Ref to its id."""
        tags = {
            **resource_tags(self.fabric.name, kind, name, self.fabric.tags),
            **(extra_tags or {}),
        }
        self.resources.append(Resource(kind, name, {**props, "tags": tags}, depends_on))
        return Ref(f"{kind}.{name}")
