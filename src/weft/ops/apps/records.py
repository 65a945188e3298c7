"""The apps' DNS records (``app_record``: Route 53 aliases in the fabric's zone) and the load
balancers they point at.

Every app with an Ingress or a load-balanced Service must get its load balancer within a bound
(``deploy --lb-timeout``, :func:`wait_for_load_balancers`); one that does not is a failure of the
deploy, told with the Warning events of its Ingress or Service (what the AWS Load Balancer
Controller says: "couldn't auto-discover subnets", "AccessDenied", ...) or, without any event,
with the fact that no controller answered it. An app with an Ingress, or a load-balanced Service
and a fabric domain, gets a record for its host once its load balancer has a DNS name; the
records of apps that no longer have one are removed. With alarms on
(``observability.alarms.email``), each app with an Ingress gets an alarm on its target group's
5xx answers (``app_alarm``), on the load balancer and target group the controller made
(:func:`sync_alarms`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from typing import Any

from weft.aws.applier import AwsApplier
from weft.aws.load_balancer_index import arn_suffix, by_dns_name, target_groups
from weft.core.resource import Observed, Resource, thaw
from weft.model.addresses import HOSTED_ZONE
from weft.model.alarms import app_alarm_props
from weft.model.tags import resource_tags
from weft.ops.apps.connection import Connection

#: The kind of the apps' alarms.
KIND = "app_alarm"
#: How long to wait for a load balancer: its name to record, or its deletion in a teardown.
LB_TIMEOUT = 600.0
#: Seconds between two looks at the cluster while waiting.
POLL = 1.0


def hosts(conn: Connection, only: Collection[str] | None = None) -> dict[str, tuple[str, str, str]]:
    """app -> (host, kind, object name) for each app that gets a load balancer."""
    fabric = conn.fabric
    domain = fabric.dns.domain if fabric.dns else None
    out: dict[str, tuple[str, str, str]] = {}
    for app in fabric.apps:
        if only is not None and app.name not in only:
            continue
        if app.ingress is not None:
            out[app.name] = (app.ingress.host, "Ingress", app.name)
        elif getattr(app, "load_balancer", False) and domain:
            host = getattr(app, "host", None) or f"{app.name}.{domain}"
            out[app.name] = (host, "Service", app.name)
    return out


def fronts(conn: Connection, only: Collection[str] | None = None) -> dict[str, tuple[str, str]]:
    """app -> (kind, object name) for each app that gets a load balancer."""
    out: dict[str, tuple[str, str]] = {}
    for app in conn.fabric.apps:
        if only is not None and app.name not in only:
            continue
        if app.ingress is not None:
            out[app.name] = ("Ingress", app.name)
        elif getattr(app, "load_balancer", False):
            out[app.name] = ("Service", app.name)
    return out


def warnings(conn: Connection, kind: str, name: str) -> list[str]:
    """The Warning events of an Ingress or Service, oldest first, each once."""
    found = [
        e
        for e in conn.kube.list("v1", "Event", conn.namespace)
        if e.get("type") == "Warning"
        and (e.get("involvedObject") or {}).get("kind") == kind
        and (e.get("involvedObject") or {}).get("name") == name
    ]
    found.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    out: list[str] = []
    for e in found:
        line = f"{e.get('reason') or 'Warning'}: {e.get('message') or ''}".strip()
        if line not in out:
            out.append(line)
    return out


def missing_lb_problem(conn: Connection, kind: str, name: str, waited: float) -> str:
    """Why the load balancer of an Ingress or Service did not come, and what to do."""
    events = warnings(conn, kind, name)
    where = f"{kind} {conn.namespace}/{name}"
    if events:
        said = "; ".join(events[-3:])
        return (
            f"no load balancer for {where} after {waited:.0f}s; its controller says: {said}. "
            f"Fix what it names (kubectl -n {conn.namespace} describe {kind.lower()} {name}), "
            "then run weft deploy again"
        )
    return (
        f"no load balancer for {where} after {waited:.0f}s, and no event from any controller: "
        "nothing in the cluster handles it. weft installs the AWS Load Balancer Controller in "
        "kube-system on clusters with node groups or Fargate; see whether it runs with "
        "kubectl -n kube-system get deployment aws-load-balancer-controller, then run weft "
        "deploy again (or give it longer with --lb-timeout)"
    )


def wait_for_load_balancers(
    conn: Connection, only: Collection[str] | None, timeout: float
) -> dict[str, str]:
    """Wait up to ``timeout`` for every app's load balancer; app -> problem for those without
    one (see :func:`missing_lb_problem`)."""
    wanted = fronts(conn, only)
    start = time.monotonic()
    deadline = start + timeout
    said = start
    waiting = dict(wanted)
    while waiting:
        waiting = {a: kn for a, kn in waiting.items() if not lb_hostname(conn, *kn)}
        now = time.monotonic()
        if not waiting or now >= deadline:
            break
        if now - said >= 5:
            said = now
            for app in waiting:
                conn.emit(app, "progress", f"waiting for its load balancer ({now - start:.0f}s)")
        time.sleep(POLL)
    waited = time.monotonic() - start
    return {
        app: missing_lb_problem(conn, kind, name, waited) for app, (kind, name) in waiting.items()
    }


def lb_hostname(conn: Connection, kind: str, name: str) -> str | None:
    """The DNS name of the load balancer in front of an Ingress or Service (None: none yet)."""
    api_version = conn.versions.ingress if kind == "Ingress" else "v1"
    obj = conn.kube.get(api_version, kind, name, conn.namespace)
    ingress = (((obj or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress")
    return str(ingress[0].get("hostname")) if ingress and ingress[0].get("hostname") else None


def record_props(zone_id: str, host: str, lb_dns: str, lb_zone: str) -> dict[str, Any]:
    """An alias record of ``host`` in the zone, pointing at a load balancer."""
    return {
        "zone_id": zone_id,
        "name": host if host.endswith(".") else host + ".",
        "type": "A",
        "ttl": None,
        "values": [],
        "alias": {"dns_name": lb_dns, "zone_id": lb_zone},
    }


def sync_records(
    conn: Connection, only: Collection[str] | None = None, *, wait: float, prune: bool = True
) -> list[str]:
    """Alias records for the apps' load balancers; with ``prune``, the records of apps that
    no longer have one go."""
    zone = conn.inventory(fresh=True).by_address.get(HOSTED_ZONE)
    existing = {o.name: o for o in conn.inventory().by_address.values() if o.kind == "app_record"}
    applier = AwsApplier(conn.ctx)
    wanted = hosts(conn, only)
    done: list[str] = []
    if zone is not None and wanted:
        zones = _lb_zones(conn, wanted, wait)
        for app, (host, _kind, _name) in sorted(wanted.items()):
            target = zones.get(app)
            if target is None:
                conn.emit(app, "dns", f"no load balancer yet for {host}: record not written")
                continue
            props = record_props(zone.id, host, target[0], target[1])
            resource = Resource(
                "app_record",
                app,
                {**props, "tags": resource_tags(conn.fabric.name, "app_record", app, {})},
            )
            current = existing.get(app)
            if current is not None and current.props.get("name") != props["name"]:
                applier.delete(current, lambda _m: None)
                current = None
            if current is None:
                applier.create(resource, props, lambda _m: None)
            elif record_differs(current, props):
                applier.update(resource, props, current, {"alias"}, lambda _m: None)
            else:
                continue
            done.append(f"{host} -> {target[0]}")
            conn.emit(app, "dns", f"{host} -> {target[0]}")
    if not prune:
        return done
    keep = set(hosts(conn, None)) if only is None else set(existing) - set(only) | set(wanted)
    for app, obs in existing.items():
        if app not in keep:
            done.append(remove_record(conn, obs))
    return done


def remove_record(conn: Connection, obs: Observed) -> str:
    AwsApplier(conn.ctx).delete(obs, lambda _m: None)
    conn.emit(obs.name, "dns", f"record {obs.props.get('name')} removed")
    return f"{obs.props.get('name')} removed"


def load_balancers(conn: Connection) -> dict[str, dict[str, Any]]:
    """The account's ELBv2 load balancers in the region, by lower-case DNS name."""
    return by_dns_name(conn.ctx)


def _lb_zones(
    conn: Connection, wanted: Mapping[str, tuple[str, str, str]], wait: float
) -> dict[str, tuple[str, str]]:
    """app -> (load balancer DNS name, its canonical hosted zone), waiting up to ``wait``."""
    deadline = time.monotonic() + wait
    names: dict[str, str] = {}
    while True:
        for app, (_host, kind, name) in wanted.items():
            if app not in names:
                hostname = lb_hostname(conn, kind, name)
                if hostname:
                    names[app] = hostname
        if len(names) == len(wanted) or time.monotonic() >= deadline:
            break
        time.sleep(POLL)
    if not names:
        return {}
    by_dns = load_balancers(conn)
    out = {}
    for app, hostname in names.items():
        lb = by_dns.get(hostname.lower())
        if lb is not None:
            out[app] = (hostname, str(lb["CanonicalHostedZoneId"]))
    return out


def record_differs(current: Observed, props: Mapping[str, Any]) -> bool:
    """The record in the cloud differs from ``props`` in some field."""
    return any(thaw(current.props.get(k)) != v for k, v in props.items())


def _app_target_group(conn: Connection, lb_arn: str, app: str) -> str | None:
    """The ARN of ``app``'s target group on the load balancer ``lb_arn``: the one the
    controller tagged ``ingress.k8s.aws/resource`` = ``NAMESPACE/[INGRESS-]SERVICE:PORT``."""
    pattern = re.compile(rf"{re.escape(conn.namespace)}/(?:{re.escape(app)}-)?{re.escape(app)}:.+")
    for arn, tags in target_groups(conn.ctx, lb_arn):
        if pattern.fullmatch(tags.get("ingress.k8s.aws/resource", "")):
            return arn
    return None


def sync_alarms(
    conn: Connection, only: Collection[str] | None = None, *, prune: bool = True
) -> list[str]:
    """Each Ingress app's 5xx alarm on its load balancer and target group (alarms on); with
    ``prune``, the alarms of apps that no longer have one (or of a fabric whose alarms are
    off) go."""
    fabric = conn.fabric
    existing = {o.name: o for o in conn.inventory().by_address.values() if o.kind == KIND}
    applier = AwsApplier(conn.ctx)
    wanted = {
        app: kn
        for app, kn in fronts(conn, only).items()
        if kn[0] == "Ingress" and fabric.observability.alarms.on
    }
    done: list[str] = []
    by_dns = load_balancers(conn) if wanted else {}
    for app, (kind, name) in sorted(wanted.items()):
        hostname = lb_hostname(conn, kind, name)
        lb = by_dns.get(hostname.lower()) if hostname else None
        group = _app_target_group(conn, str(lb["LoadBalancerArn"]), app) if lb else None
        if lb is None or group is None:
            conn.emit(app, "alarm", "no load balancer yet: its 5xx alarm not written")
            continue
        props = app_alarm_props(
            fabric,
            conn.ctx.account_id,
            app,
            arn_suffix(str(lb["LoadBalancerArn"])),
            arn_suffix(group),
        )
        name_ = f"app-{app}-5xx"
        resource = Resource(
            KIND, name_, {**props, "tags": resource_tags(fabric.name, KIND, name_, fabric.tags)}
        )
        full = dict(resource.props)
        current = existing.get(name_)
        if current is None:
            applier.create(resource, full, lambda _m: None)
        elif record_differs(current, full):
            changed = {k for k, v in full.items() if thaw(current.props.get(k)) != v}
            applier.update(resource, full, current, changed, lambda _m: None)
        else:
            continue
        done.append(f"alarm {props['alarm_name']}")
        conn.emit(app, "alarm", f"5xx alarm on {arn_suffix(group)}")
    if not prune:
        return done
    for name_, obs in existing.items():
        app = name_.removeprefix("app-").removesuffix("-5xx")
        if app not in wanted and (only is None or app in only):
            done.append(remove_alarm(conn, obs))
    return done


def remove_alarm(conn: Connection, obs: Observed) -> str:
    AwsApplier(conn.ctx).delete(obs, lambda _m: None)
    conn.emit(obs.name.removeprefix("app-").removesuffix("-5xx"), "alarm", "5xx alarm removed")
    return f"alarm {obs.props.get('alarm_name')} removed"
