"""The fabric file: schema v1, loading with file:line errors, subnet planning, the init template.

Pure: no cloud or terminal I/O. Everything a user can get wrong in the file is raised here as a
:class:`weft.errors.ConfigError`, before anything touches the cloud.
"""

from weft.spec.loader import load_fabric, parse_fabric
from weft.spec.regions import known_zones
from weft.spec.schema import Fabric, Network
from weft.spec.subnets import SubnetPlan, plan_subnets
from weft.spec.template import render_fabric_file

__all__ = [
    "Fabric",
    "Network",
    "SubnetPlan",
    "known_zones",
    "load_fabric",
    "parse_fabric",
    "plan_subnets",
    "render_fabric_file",
]
