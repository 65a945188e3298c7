"""Tags on every EKS resource with an ARN: TagResource, UntagResource and ListTagsForResource
find node groups, Fargate profiles, add-ons, access entries and Pod Identity associations by
ARN, as AWS does (moto 5.2.5: clusters only).
"""

from __future__ import annotations

from typing import Any

from weft.local.moto_eks import access, backend, pod_identity


def apply() -> None:
    from moto.eks.models import EKSBackend

    def tag_holder(self: Any, arn: str) -> dict[str, str]:
        for cluster in self.clusters.values():
            if cluster.arn == arn:
                tags: dict[str, str] = cluster.tags
                return tags
            for nodegroup in cluster.nodegroups.values():
                if nodegroup.arn == arn:
                    return nodegroup.tags
            for profile in cluster.fargate_profiles.values():
                if profile.fargate_profile_arn == arn:
                    return profile.tags
            for addon in backend.addons_of(cluster).values():
                if addon["addonArn"] == arn:
                    return addon["tags"]
            for entry in access.entries_of(cluster).values():
                if entry["accessEntryArn"] == arn:
                    return entry["tags"]
            for association in pod_identity.associations_of(cluster).values():
                if association["associationArn"] == arn:
                    return association["tags"]
        raise backend.not_found(f"Resource was not found: {arn}")

    def tag_resource(self: Any, resource_arn: str, tags: dict[str, str]) -> None:
        tag_holder(self, resource_arn).update(tags or {})

    def untag_resource(self: Any, resource_arn: str, tag_keys: Any) -> None:
        holder = tag_holder(self, resource_arn)
        for key in [tag_keys] if isinstance(tag_keys, str) else tag_keys or []:
            holder.pop(key, None)

    def list_tags_for_resource(self: Any, resource_arn: str) -> dict[str, str]:
        return tag_holder(self, resource_arn)

    EKSBackend.tag_resource = tag_resource  # type: ignore[method-assign]
    EKSBackend.untag_resource = untag_resource  # type: ignore[method-assign]
    EKSBackend.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]
