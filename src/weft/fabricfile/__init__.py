"""The fabric file: schema v1, loading with file:line errors, subnet planning, the init template.

Pure: no cloud or terminal I/O. Everything a user can get wrong in the file is raised here as a
:class:`weft.errors.ConfigError`, before anything touches the cloud.

A :class:`Fabric` has the network (:class:`Network`) and optional sections: ``cluster``
(:class:`Cluster`, with :class:`Addon` add-ons), ``nodegroups`` (:class:`NodeGroup`, with
:class:`Taint` taints), ``fargate`` (:class:`FargateProfile`, with :class:`FargateSelector`
selectors), ``databases`` (:class:`Database`), ``caches`` (:class:`Cache`), ``buckets``
(:class:`Bucket`), ``dns`` (:class:`Dns`), ``apps`` (:class:`App`, with :class:`Resources`,
:class:`Health`, :class:`Ingress`, :class:`Autoscale`, :class:`Disruption` and :class:`Rollout`)
and ``cronjobs`` (:class:`CronJob`). Defaults are resolved on the models.
:func:`check_version_step` tells, at plan time, whether a running cluster can move to a version;
:func:`locate` names where a field is (file, line, field) for errors found after loading.
"""

from weft.fabricfile.apps import (
    App,
    Autoscale,
    CronJob,
    Disruption,
    Health,
    Ingress,
    Resources,
    Rollout,
)
from weft.fabricfile.cluster import Addon, Cluster
from weft.fabricfile.data import Bucket, Cache, Database
from weft.fabricfile.dns import Dns
from weft.fabricfile.fargate import FargateProfile, FargateSelector
from weft.fabricfile.k8s_version import check_version_step, k8s_minor
from weft.fabricfile.loader import load_fabric, locate, parse_fabric
from weft.fabricfile.network import Network
from weft.fabricfile.nodegroup import NodeGroup, Taint
from weft.fabricfile.regions import known_zones
from weft.fabricfile.schema import Fabric
from weft.fabricfile.subnets import SubnetPlan, plan_subnets
from weft.fabricfile.template import render_fabric_file

__all__ = [
    "Addon",
    "App",
    "Autoscale",
    "Bucket",
    "Cache",
    "Cluster",
    "CronJob",
    "Database",
    "Disruption",
    "Dns",
    "Fabric",
    "FargateProfile",
    "FargateSelector",
    "Health",
    "Ingress",
    "Network",
    "NodeGroup",
    "Resources",
    "Rollout",
    "SubnetPlan",
    "Taint",
    "check_version_step",
    "k8s_minor",
    "known_zones",
    "load_fabric",
    "locate",
    "parse_fabric",
    "plan_subnets",
    "render_fabric_file",
]
