"""The cross-check of a fabric file: rules across its sections.

Each section's model checks what it can see alone; the rules here need more than one section:
the zones of the region, the names shared by databases, caches and buckets, what needs a cluster,
private subnets or two zones (:func:`cross_problems`), and what apps and cron jobs refer to: the
cluster, the DNS domain, the data stores in ``uses``, the other entries and their routes
(:func:`workload_problems`).

They work on a partly valid file too: the loader calls :func:`cross_problems` with whatever is
valid when other keys failed, so that one run reports every problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from weft.fabricfile.apps import App, CronJob
from weft.fabricfile.checks import Path, did_you_mean
from weft.fabricfile.cluster import ANYWHERE, Cluster
from weft.fabricfile.env_vars import StoreKind, injected_env, secret_env
from weft.fabricfile.network import Network, zone_problems

__all__ = ["cross_problems", "workload_problems"]


# --- sections ---------------------------------------------------------------------------------


def cross_problems(
    region: str | None,
    network: Network | None,
    *,
    has_cluster: bool,
    nodegroups: Sequence[str | None] | None,
    fargate: Sequence[str | None] | None,
    databases: Sequence[str | None] | None,
    caches: Sequence[str | None] | None,
    buckets: Sequence[str | None] | None,
    apps: Sequence[App | str | None] | None = (),
    cronjobs: Sequence[CronJob | str | None] | None = (),
    has_dns: bool = False,
    domain: str | None = None,
    cluster: Cluster | None = None,
) -> list[tuple[Path, str]]:
    """The rules across sections of a fabric; paths are relative to the fabric.

    The list sections are given as the names of their entries: the rules need no more, except
    for apps and cron jobs, given as their models (or only their names when they are not valid;
    see :func:`workload_problems`). It works on a partly valid file too (the
    loader calls it when other keys failed): ``region`` or ``network`` is None when it is not
    valid, a list section is None when it is not a list, and a name is None when it is not valid.
    Checks that need something unknown are skipped. ``has_cluster`` and ``has_dns`` tell whether
    a cluster or dns section is written (valid or not); ``domain`` is the valid DNS domain;
    ``cluster`` the valid cluster section (for :func:`reach_problems`).
    """
    found: list[tuple[Path, str]] = []
    if region is not None and network is not None:
        found.extend(zone_problems(region, network.zones))
    if network is not None:
        found.extend(reach_problems(network, cluster, nodegroups, fargate))
    needs_cluster = (
        ("nodegroups", nodegroups, "node groups"),
        ("fargate", fargate, "Fargate profiles"),
    )
    for key, entries, what in needs_cluster:
        if entries and not has_cluster:
            found.append(
                (
                    (key,),
                    f"{what} need a cluster, and this fabric has none; add a cluster section "
                    f"(e.g. cluster: {{api_cidrs: [198.51.100.7/32]}}) or remove {key}",
                )
            )
    if network is not None:
        count = network.zone_count()
        zones = f"this fabric has {count} (network.zones)"
        if has_cluster and count < 2:
            found.append(
                (
                    ("cluster",),
                    f"an EKS cluster needs subnets in at least two availability zones; {zones}",
                )
            )
        # (key, entries, what, why two zones are needed or None)
        private_only: tuple[tuple[str, Sequence[Any] | None, str, str | None], ...] = (
            ("fargate", fargate, "a Fargate profile", None),
            ("databases", databases, "a database", "an RDS subnet group spans two zones"),
            ("caches", caches, "a cache", "Multi-AZ failover spans two zones"),
        )
        for key, entries, what, why in private_only:
            if not entries:
                continue
            if network.layout != "private":
                found.append(
                    (
                        (key, 0),
                        f"{what} needs private subnets; this fabric's layout is "
                        f"{network.layout} (use network.layout: private)",
                    )
                )
            if why is not None and count < 2:
                found.append(
                    (
                        (key, 0),
                        f"{what} needs subnets in at least two availability zones ({why}); {zones}",
                    )
                )
    for key, entries, what in (
        ("nodegroups", nodegroups, "node group"),
        ("fargate", fargate, "Fargate profile"),
    ):
        first: dict[str, int] = {}
        for index, name in enumerate(entries or []):
            if name is None:
                continue
            seen = first.setdefault(name, index)
            if seen != index:
                found.append(
                    (
                        (key, index, "name"),
                        f"the name {name!r} is already used (first as {key}[{seen}]); "
                        f"each {what} needs its own name",
                    )
                )
    shared: dict[str, tuple[str, int, str]] = {}
    for key, data_entries, what in (
        ("databases", databases, "database"),
        ("caches", caches, "cache"),
        ("buckets", buckets, "bucket"),
    ):
        for index, name in enumerate(data_entries or []):
            if name is None:
                continue
            earlier = shared.setdefault(name, (key, index, what))
            if earlier != (key, index, what):
                found.append(
                    (
                        (key, index, "name"),
                        f"{name!r} clashes with the {earlier[2]} of the same name (first as "
                        f"{earlier[0]}[{earlier[1]}]); databases, caches and buckets share one "
                        "namespace, so each name may be used once",
                    )
                )
    stores: dict[str, StoreKind] | None = {}
    store_sections: tuple[tuple[StoreKind, Sequence[str | None] | None], ...] = (
        ("database", databases),
        ("cache", caches),
        ("bucket", buckets),
    )
    for kind, names in store_sections:
        if stores is None or names is None or None in names:
            stores = None
            continue
        for store in names:
            assert store is not None
            stores.setdefault(store, kind)
    found.extend(
        workload_problems(
            apps,
            cronjobs,
            has_cluster=has_cluster,
            has_dns=has_dns,
            domain=domain,
            stores=stores,
        )
    )
    return found


def reach_problems(
    network: Network,
    cluster: Cluster | None,
    nodegroups: Sequence[str | None] | None,
    fargate: Sequence[str | None] | None,
) -> list[tuple[Path, str]]:
    """Fabrics that validate but whose nodes could never join their cluster.

    - **Private subnets without NAT.** A node in a private subnet reaches ECR (its images,
      the add-ons' images), STS, EC2 and the EKS API through a NAT gateway, or through VPC
      endpoints (``network.endpoints: true``): with ``nat: none`` and no endpoints it never
      becomes Ready, and a Fargate pod never pulls its image ("Deploy private clusters with
      limited internet access", EKS User Guide). (The EKS API itself the nodes reach through
      the cluster's private endpoint, ``endpoint: both`` or ``private``.)
    - **Nodes outside the public endpoint's allow-list.** With ``endpoint: public`` the nodes
      reach the Kubernetes API through the public endpoint, from the NAT gateways' addresses
      (private layout) or their own public addresses (public layout). ``api_cidrs`` that do not
      admit them lock the nodes out ("Cluster API server endpoint", EKS User Guide). weft
      refuses rather than add addresses to the allow-list by itself: the NAT addresses exist only
      once ``up`` has allocated them (a node's public address is anyone's guess, and changes),
      and who may reach the API is the file's decision. ``endpoint: both`` is the fix EKS
      recommends: the nodes use the private endpoint inside the VPC, and the public one stays
      restricted to ``api_cidrs``.
    """
    computes = [
        (key, what)
        for key, entries, what in (
            ("nodegroups", nodegroups, "node groups"),
            ("fargate", fargate, "Fargate profiles"),
        )
        if entries
    ]
    if cluster is not None and cluster.auto_mode:
        # EKS Auto Mode's nodes are launched in the cluster's subnets, as node groups' are
        computes.append(("cluster.compute", "EKS Auto Mode"))
    if not computes:
        return []
    key, what = computes[0]
    found: list[tuple[Path, str]] = []
    if network.layout == "private" and network.nat == "none" and not network.endpoints:
        found.append(
            (
                ("network", "nat"),
                f"'none' leaves the private subnets without a way out, and this fabric has "
                f"{what} ({key}): their nodes could never pull images from ECR or reach STS, "
                "EC2 and the EKS API, so they would never join the cluster; use network.nat: "
                "single (or per-zone), or network.endpoints: true (VPC endpoints for them)",
            )
        )
    no_way_out = network.layout == "private" and network.nat == "none"
    if cluster is not None and cluster.endpoint == "public" and no_way_out:
        found.append(
            (
                ("cluster", "endpoint"),
                f"'public' leaves the nodes of the {what} ({key}) no way to the Kubernetes API: "
                "they are in private subnets without NAT; use cluster.endpoint: both (the nodes "
                "then reach the API inside the VPC)",
            )
        )
    elif cluster is not None and cluster.endpoint == "public" and ANYWHERE not in cluster.api_cidrs:
        source = (
            "the NAT gateways' public addresses"
            if network.layout == "private"
            else "their own public addresses"
        )
        found.append(
            (
                ("cluster", "endpoint"),
                f"'public' makes the nodes of the {what} ({key}) reach the Kubernetes API "
                f"from {source}, which cluster.api_cidrs does not admit: they could never join "
                "the cluster; use cluster.endpoint: both (the nodes then reach the API inside "
                "the VPC, and the public endpoint stays limited to api_cidrs)",
            )
        )
    return found


# --- apps and cron jobs -----------------------------------------------------------------------


def workload_problems(
    apps: Sequence[App | str | None] | None,
    cronjobs: Sequence[CronJob | str | None] | None,
    *,
    has_cluster: bool,
    has_dns: bool,
    domain: str | None,
    stores: Mapping[str, StoreKind] | None,
) -> list[tuple[Path, str]]:
    """The rules of apps and cron jobs that involve the rest of the fabric.

    An entry of ``apps`` / ``cronjobs`` is its model, only its name when the entry is not valid,
    or None when not even the name is; a section is None when it is not a list. ``has_dns``
    tells whether a dns section is written, ``domain`` is its domain when valid. ``stores`` maps
    each data store's name to its kind, or is None when some names are not known (then unknown
    ``uses`` targets cannot be told). Paths are relative to the fabric.
    """
    found: list[tuple[Path, str]] = []
    for key, entries, what in (("apps", apps, "apps"), ("cronjobs", cronjobs, "cron jobs")):
        if entries and not has_cluster:
            found.append(
                (
                    (key,),
                    f"{what} run on the fabric's cluster, and this fabric has none; add a cluster "
                    f"section or remove {key}",
                )
            )
    found.extend(_name_problems(apps or [], cronjobs or []))
    found.extend(_tls_problems(apps or []))
    routes: dict[tuple[str, str], tuple[str, int]] = {}
    for key, entries in (("apps", apps), ("cronjobs", cronjobs)):
        for index, entry in enumerate(entries or []):
            if isinstance(entry, App | CronJob):
                found.extend(
                    (((key, index, *path), message))
                    for path, message in _uses_problems(entry, stores)
                )
            if isinstance(entry, App) and entry.ingress is not None:
                found.extend(
                    ((("apps", index, "ingress", *path), message))
                    for path, message in _ingress_problems(entry, index, has_dns, domain, routes)
                )
    return found


def _name_problems(
    apps: Sequence[App | str | None], cronjobs: Sequence[CronJob | str | None]
) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    first: dict[str, tuple[str, int]] = {}
    for key, entries, what in (("apps", apps, "app"), ("cronjobs", cronjobs, "cron job")):
        for index, entry in enumerate(entries):
            name = entry.name if isinstance(entry, App | CronJob) else entry
            if name is None:
                continue
            earlier = first.setdefault(name, (key, index))
            if earlier == (key, index):
                continue
            if earlier[0] == key:
                message = (
                    f"the name {name!r} is already used (first as {key}[{earlier[1]}]); each "
                    f"{what} needs its own name"
                )
            else:
                message = (
                    f"{name!r} clashes with the app of the same name (first as apps"
                    f"[{earlier[1]}]); apps and cron jobs share one namespace (their objects and "
                    "labels are named after them), so each name may be used once"
                )
            found.append(((key, index, "name"), message))
    return found


def _tls_problems(apps: Sequence[App | str | None]) -> list[tuple[Path, str]]:
    """Ingresses share the fabric's one ALB, whose HTTP-to-HTTPS redirect applies to all of them."""
    found: list[tuple[Path, str]] = []
    first: tuple[int, bool] | None = None
    for index, app in enumerate(apps):
        if not isinstance(app, App) or app.ingress is None:
            continue
        if first is None:
            first = (index, app.ingress.tls)
        elif app.ingress.tls != first[1]:
            found.append(
                (
                    ("apps", index, "ingress", "tls"),
                    f"tls is {str(app.ingress.tls).lower()} here and "
                    f"{str(first[1]).lower()} for apps[{first[0]}] (first as "
                    f"apps[{first[0]}].ingress); the ingresses of a fabric share one load "
                    "balancer, whose redirect from HTTP to HTTPS applies to all of them, so tls "
                    "must be the same for all",
                )
            )
    return found


def _uses_problems(
    entry: App | CronJob, stores: Mapping[str, StoreKind] | None
) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    injected: dict[str, tuple[str, str]] = {}
    for index, target in enumerate(entry.uses):
        if stores is None:
            continue
        kind = stores.get(target)
        if kind is None:
            have = ", ".join(stores) if stores else "none"
            found.append(
                (
                    ("uses", index),
                    f"{target!r} is not a database, cache or bucket of this fabric"
                    f"{did_you_mean(target, stores)}; it has: {have}",
                )
            )
            continue
        for name, what in injected_env(kind, target).items():
            injected.setdefault(name, (target, what))
    for key in entry.env:
        if key in injected:
            target, what = injected[key]
            found.append(
                (
                    ("env", key),
                    f"{key} is injected by uses: {target} ({what}); remove it from env",
                )
            )
    for index, secret in enumerate(entry.secrets):
        name = secret_env(secret)
        if name in injected:
            target, what = injected[name]
            found.append(
                (
                    ("secrets", index),
                    f"{secret!r} would be injected as {name}, which uses: {target} already sets "
                    f"({what}); rename the secret",
                )
            )
    return found


def _ingress_problems(
    app: App,
    index: int,
    has_dns: bool,
    domain: str | None,
    routes: dict[tuple[str, str], tuple[str, int]],
) -> list[tuple[Path, str]]:
    ingress = app.ingress
    assert ingress is not None
    found: list[tuple[Path, str]] = []
    if not has_dns:
        found.append(
            (
                (),
                "an ingress host is a name in the fabric's DNS zone, and this fabric has none; "
                "add a dns section (e.g. dns: {domain: example.com}) or remove the ingress",
            )
        )
    elif domain is not None:
        host = ingress.host
        if host != domain and not host.endswith("." + domain):
            found.append(
                (
                    ("host",),
                    f"{host!r} is not in the fabric's domain {domain!r}; expected {domain} or a "
                    f"name under it, like {app.name}.{domain}",
                )
            )
        elif ingress.tls and host.count(".") > domain.count(".") + 1:
            found.append(
                (
                    ("host",),
                    f"{host!r} is not covered by the fabric's certificate (*.{domain} and "
                    f"{domain}: a wildcard covers one label); use a host like "
                    f"{app.name}.{domain}, or tls: false",
                )
            )
    route = (ingress.host, ingress.path)
    earlier = routes.setdefault(route, (app.name, index))
    if earlier != (app.name, index):
        found.append(
            (
                ("path",),
                f"{ingress.host}{ingress.path} already goes to app {earlier[0]!r} (first as "
                f"apps[{earlier[1]}].ingress); each host and path routes to one app",
            )
        )
    return found
