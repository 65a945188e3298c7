"""What a plan says besides its changes: warnings about choices the file made on purpose, and
notes about what weft adds on the file's behalf.

Pure: each note is derived from the fabric alone, so ``weft plan`` shows the same notes whatever
the cloud holds. ``weft plan`` and ``weft up`` print them under the plan; ``--json`` gives them in
the plan's ``meta.notes``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from weft.fabricfile import App, CronJob, Fabric
from weft.fabricfile.cluster import ANYWHERE
from weft.model.app_roles import app_role_address, needs_role, used_buckets

Level = Literal["warning", "note"]


@dataclass(frozen=True)
class Note:
    level: Level
    text: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def plan_notes(fabric: Fabric) -> list[Note]:
    """The warnings and notes of a plan of ``fabric``."""
    found: list[Note] = []
    cluster = fabric.cluster
    if cluster is not None and cluster.endpoint != "private" and ANYWHERE in cluster.api_cidrs:
        found.append(
            Note(
                "warning",
                f"cluster.api_cidrs has {ANYWHERE}: the Kubernetes API's public endpoint is open "
                "to the whole internet (anyone can try credentials against it); list your "
                "networks instead, or use endpoint: private",
            )
        )
    entries: list[App | CronJob] = [*fabric.apps, *fabric.cronjobs]
    for entry in entries:
        if needs_role(fabric, entry):
            buckets = ", ".join(used_buckets(fabric, entry))
            found.append(
                Note(
                    "note",
                    f"{entry.name} runs as its own IAM role ({app_role_address(entry.name)}, "
                    f"through the ServiceAccount {fabric.name}/{entry.name}): read, write and "
                    f"delete objects in {buckets} and use the fabric key through S3, nothing "
                    "else",
                )
            )
    return found
