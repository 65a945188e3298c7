"""EBS volumes tagged for the fabric or its cluster (the EBS CSI driver's, left by PVCs).

Found with one filtered describe per tag (volumes are in no VPC: the tags alone decide, and the
cluster's tags only when the fabric has that cluster). Only detached (``available``) volumes are
swept: one still attached goes once its instance has gone (the sweep after the fabric's deletion).
"""

from __future__ import annotations

from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.sweep.base import Sweeper, raw_tags
from weft.aws.sweep.scope import tag_filters
from weft.core.resource import KindSchema, Observed

KIND = "ebs_volume"


class VolumeSweeper(Sweeper):
    schema = KindSchema(kind=KIND)
    noun = "volume"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        client = ctx.client("ec2")
        volumes: dict[str, dict[str, object]] = {}
        for filters in tag_filters(self.scope):
            for vol in pagination.items(client, "describe_volumes", "Volumes", Filters=filters):
                volumes.setdefault(vol["VolumeId"], vol)
        found = []
        for volume_id, vol in sorted(volumes.items()):
            why = self.scope.claim(raw_tags(vol.get("Tags")))  # type: ignore[arg-type]
            state = str(vol.get("State", "in-use"))
            if why is None or state in ("deleting", "deleted"):
                continue
            if not everything and state != "available":
                continue
            found.append(
                Observed(
                    kind=KIND,
                    name=volume_id,
                    id=volume_id,
                    props={
                        "zone": vol.get("AvailabilityZone"),
                        "size_gb": vol.get("Size"),
                        "why": why,
                    },
                    state=state,
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_volume(VolumeId=observed.id)
