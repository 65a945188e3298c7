"""The commented fabric file that ``weft init`` writes.

The text explains every key and its allowed values, so the file is its own documentation. It is
validated before it is returned: what ``weft init`` writes always loads.
"""

from __future__ import annotations

import json

from weft.spec.loader import parse_fabric
from weft.spec.schema import LAYOUTS, MAX_ZONES, NATS

__all__ = ["render_fabric_file"]

# Plain scalars that YAML would not read as text.
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: str) -> str:
    if value.lower() in _YAML_WORDS or not value or not value[0].isalpha():
        return json.dumps(value)
    return value


def render_fabric_file(
    name: str,
    region: str,
    zones: list[str],
    *,
    zone_count: int = 3,
    nat: str = "single",
    layout: str = "private",
    cidr: str = "10.0.0.0/16",
    provider: str = "aws",
) -> str:
    """A commented fabric file for ``name`` in ``region``.

    ``zones`` are the region's availability zones as discovered from EC2; they are listed in a
    comment, and ``zone_count`` (capped at the number discovered) is written as ``zones: N``.
    Raises ConfigError when the arguments do not make a valid fabric (a bad name, say).
    """
    count = min(zone_count, len(zones)) if zones else zone_count
    discovered = ", ".join(zones) if zones else "none discovered"
    protect_default = "true" if "prod" in name else "false"
    text = f"""\
# weft fabric file, schema version 1. Validate it with `weft plan`; every key is explained below.
version: 1

# The fabric's name: lowercase letters, digits and hyphens; starts with a letter, ends with a
# letter or digit; at most 30 characters. It is part of every AWS resource name and tag.
name: {_scalar(name)}

# The AWS region everything is created in.
region: {region}

# Optional: the AWS account this fabric belongs to (12 digits, in quotes). When set, weft refuses
# to act with credentials of any other account.
# account_id: "123456789012"

# Where to create the fabric: aws (the real cloud) or local (the embedded local cloud).
provider: {provider}

# Protected fabrics need `--confirm NAME` for destructive changes. The default is true when the
# name contains "prod", else false (for this name: {protect_default}).
# protect: {protect_default}

# Optional tags put on every resource: at most 40; keys may not start with "aws:" or "weft:",
# and "Name" is set by weft.
tags: {{}}

network:
  # The VPC's IPv4 range: prefix length /16 to /24, the address being the network's first one.
  cidr: {cidr}
  # availability zones in {region} (discovered from EC2): {discovered}
  # Either a count (1 to {MAX_ZONES}; the first N zones are used) or a list of zone names.
  zones: {count}
  # NAT gateways for the private subnets: {", ".join(NATS)}. Must be none for layout public.
  nat: {nat}
  # Subnet layout: {", ".join(LAYOUTS)} (public: public subnets only; private: a private and a
  # public subnet in every zone).
  layout: {layout}
  # Optional: the prefix length of every subnet (larger than the VPC's, at most 28). By default
  # the VPC is split into equal slots with room for 4 zones, so adding a zone moves nothing.
  # subnet_size: 20
"""
    parse_fabric(text, source="<weft init template>")
    return text
