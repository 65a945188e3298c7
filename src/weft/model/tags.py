"""The tags every resource weft creates carries: the cloud's record of what belongs to a fabric."""

from __future__ import annotations

from collections.abc import Mapping

FABRIC_TAG = "weft:fabric"
ID_TAG = "weft:id"
#: On a fabric key ``down`` kept because final snapshots are encrypted with it: which ones.
RETAINED_TAG = "weft:retained"


def resource_tags(fabric: str, kind: str, name: str, user: Mapping[str, str]) -> dict[str, str]:
    """User tags, then weft's own (which win): fabric, logical address and a readable Name."""
    return {
        **dict(user),
        FABRIC_TAG: fabric,
        ID_TAG: f"{kind}.{name}",
        "Name": f"{fabric}-{name}" if name != "main" else fabric,
    }
