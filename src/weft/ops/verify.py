"""``weft verify``: prove the fabric runs applications end to end, then leave nothing behind.

The procedure the older setups kept in a VERIFY.md, as one command. A canary app (not in the
fabric file) goes into its own namespace, ``weft-verify``:

1. **deploy**: 2 replicas of a small web server behind its own load balancer, with a Route 53
   record ``weft-verify.<domain>`` when the fabric has DNS;
2. **reachable**: the record points at the load balancer, which exists and is active; with
   ``http`` on, an HTTP GET through the record's name answers (on AWS; the local cloud's load
   balancers have no data plane, so there the check says it was not made);
3. **rolling upgrade** to a second version, watching the Deployment all along: the available
   replicas never drop below the desired count (the canary's rollout allows no unavailable pod);
4. **delete**: the namespace goes; then its pods, service, load balancer and DNS record must be
   gone.

Before the canary, **data reachable**: every app of the fabric file that ``uses:`` a database or
cache must reach it on its port. Judged from the cloud's security groups, as AWS's
Reachability Analyzer does (:mod:`weft.aws.reachability`): each running pod's address leads to
the network interface holding it and so to the groups the pod really has (its node's, or a
Fargate pod's own), whose egress rules must let the traffic out and the data store's ingress
rules let it in. A store unreachable from one pod fails the step, naming the app, the pod, the
groups and the missing rule; an app with no running pod is reported as not checked.

Each step reports its time; the result is ok only when every step held. The canary is removed
even when a step fails.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from weft.aws import reachability
from weft.core.resource import Observed, address_of
from weft.errors import WeftError
from weft.fabricfile import Fabric
from weft.fabricfile.apps import App
from weft.kube.manifests.labelling import selector
from weft.ops.apps.connection import VERIFY_NAMESPACE, Connection, Report
from weft.ops.apps.deploy import deploy
from weft.ops.apps.records import lb_hostname, load_balancers, remove_record
from weft.ops.target import Target

CANARY = "weft-verify"
#: Seconds between two progress lines while a step waits.
PROGRESS_EVERY = 3.0
NAMESPACE = VERIFY_NAMESPACE
IMAGE = "public.ecr.aws/nginx/nginx"
VERSIONS = ("1.27.0", "1.27.1")
GONE_TIMEOUT = 600.0


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VerifyResult:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [s.to_dict() for s in self.steps]}


def canary_fabric(fabric: Fabric, image: str, version: str) -> Fabric:
    """The fabric with the canary as its only app."""
    app = App.model_validate(
        {
            "name": CANARY,
            "image": image,
            "version": version,
            "replicas": 2,
            "port": 80,
            "health": {"path": "/"},
            "load_balancer": True,
            "resources": {"cpu": "50m", "memory": "64Mi"},
            "rollout": {"max_surge": 1, "max_unavailable": 0, "progress_deadline": 300},
        }
    )
    return fabric.model_copy(update={"apps": [app], "cronjobs": []})


class Verify:
    def __init__(
        self,
        target: Target,
        report: Report,
        step_report: Callable[[Step], None],
        *,
        image: str = IMAGE,
        versions: tuple[str, str] = VERSIONS,
        http: bool = True,
        no_http_reason: str = "--no-http",
        timeout: float = 600.0,
        data: bool = True,
    ) -> None:
        self.target = target
        self.data = data
        self.report = report
        self.step_report = step_report
        self.image = image
        self.versions = versions
        self.http = http
        self.no_http_reason = no_http_reason
        self.timeout = timeout
        self.result = VerifyResult()

    def _apps(self, version: str) -> Connection:
        return Connection(
            self.target,
            self.report,
            fabric=canary_fabric(self.target.fabric, self.image, version),
            namespace=NAMESPACE,
        )

    def _step(self, name: str, fn: Callable[[], str]) -> bool:
        start = time.monotonic()
        try:
            detail, ok = fn(), True
        except (WeftError, AssertionError) as exc:
            detail, ok = str(exc), False
        step = Step(name, ok, round(time.monotonic() - start, 2), detail)
        self.result.steps.append(step)
        self.step_report(step)
        return ok

    def run(self) -> VerifyResult:
        if self.data:
            self._step("data reachable", self._data_reachable)
        first = self._apps(self.versions[0])
        try:
            if self._step("deploy", lambda: self._deploy(first)) and self._step(
                "reachable", lambda: self._reachable(first)
            ):
                self._step("rolling upgrade", self._upgrade)
        finally:
            self._step("delete", lambda: self._delete(first))
            first.close()
        return self.result

    # ----------------------------------------------------------------------------- steps
    def _deploy(self, apps: Connection) -> str:
        result = deploy(apps, timeout=self.timeout, prune=False)
        outcome = result.outcomes[0]
        if not result.ok:
            raise AssertionError(
                f"the canary did not roll out: {'; '.join(outcome.problems) or outcome.outcome}"
            )
        return f"{CANARY} {outcome.version}: 2/2 available in {outcome.seconds:.1f}s"

    def _reachable(self, apps: Connection) -> str:
        # The controller gives the Service its load balancer after the rollout: deploy waits
        # for it only when it has a DNS record to write (a fabric with dns).
        start = time.monotonic()
        said = start
        hostname = lb_hostname(apps, "Service", CANARY)
        while not hostname and time.monotonic() - start < self.timeout:
            if time.monotonic() - said >= PROGRESS_EVERY:
                said = time.monotonic()
                apps.emit(
                    CANARY,
                    "progress",
                    f"waiting for the Service's load balancer ({said - start:.0f}s)",
                )
            time.sleep(1.0)
            hostname = lb_hostname(apps, "Service", CANARY)
        if not hostname:
            raise AssertionError(
                f"the canary's Service got no load balancer in {self.timeout:.0f}s"
            )
        lb = self._load_balancer(apps, hostname)
        if lb is None:
            raise AssertionError(f"no load balancer {hostname} in the account")
        state = (lb.get("State") or {}).get("Code")
        if state != "active":
            raise AssertionError(f"load balancer {lb['LoadBalancerName']} is {state}")
        parts = [f"load balancer {lb['LoadBalancerName']} active"]
        name = hostname
        if self.target.fabric.dns is not None:
            record = self._record(apps)
            if record is None:
                raise AssertionError(f"no DNS record for {CANARY}")
            alias = record.props.get("alias") or {}
            if str(alias.get("dns_name", "")).lower() != hostname.lower():
                raise AssertionError(
                    f"record {record.props.get('name')} points at {alias.get('dns_name')}, "
                    f"not at {hostname}"
                )
            name = str(record.props.get("name", "")).rstrip(".")
            parts.append(f"{name} -> {hostname}")
        if self.http:
            parts.append(self._http(name))
        else:
            parts.append(f"HTTP check not made ({self.no_http_reason})")
        return "; ".join(parts)

    def _upgrade(self) -> str:
        apps = self._apps(self.versions[1])
        floor: list[int] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                dep = apps.kube.get("apps/v1", "Deployment", CANARY, NAMESPACE)
                if dep is not None:
                    floor.append(int((dep.get("status") or {}).get("availableReplicas") or 0))
                stop.wait(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            result = deploy(apps, timeout=self.timeout, prune=False)
        finally:
            stop.set()
            watcher.join()
            apps.close()
        outcome = result.outcomes[0]
        if not result.ok:
            raise AssertionError(f"the upgrade failed: {'; '.join(outcome.problems)}")
        lowest = min(floor) if floor else 0
        if lowest < 2:
            raise AssertionError(f"available replicas dropped to {lowest} of 2 during the upgrade")
        return (
            f"{self.versions[0]} -> {self.versions[1]} in {outcome.seconds:.1f}s; available "
            f"replicas never below 2 ({len(floor)} readings)"
        )

    def _delete(self, apps: Connection) -> str:
        kube = apps.kube
        hostname = lb_hostname(apps, "Service", CANARY)
        kube.delete("v1", "Namespace", NAMESPACE)
        start = time.monotonic()
        deadline = start + GONE_TIMEOUT
        said = start
        left: list[str] = []
        while time.monotonic() < deadline:
            if left and time.monotonic() - said >= PROGRESS_EVERY:
                said = time.monotonic()
                apps.emit(
                    CANARY,
                    "progress",
                    f"deleting: waiting for {', '.join(left)} to go ({said - start:.0f}s)",
                )
            left = []
            if kube.list("v1", "Pod", NAMESPACE):
                left.append("pods")
            if kube.get("v1", "Service", CANARY, NAMESPACE) is not None:
                left.append("service")
            if hostname and self._load_balancer(apps, hostname) is not None:
                left.append(f"load balancer {hostname}")
            if kube.get("v1", "Namespace", NAMESPACE) is not None:
                left.append("namespace")
            if not left:
                break
            time.sleep(1.0)
        record = self._record(apps)
        if record is not None:
            remove_record(apps, record)
            if self._record(apps) is not None:
                left.append(f"record {record.props.get('name')}")
        if left:
            raise AssertionError(f"still there after {GONE_TIMEOUT:.0f}s: {', '.join(left)}")
        return "pods, service, load balancer, DNS record and namespace gone"

    def _data_reachable(self) -> str:
        conn = Connection(self.target, self.report)
        try:
            return data_reachable(conn)
        finally:
            conn.close()

    # --------------------------------------------------------------------------- helpers
    @staticmethod
    def _load_balancer(apps: Connection, hostname: str) -> dict[str, Any] | None:
        return load_balancers(apps).get(hostname.lower())

    def _record(self, apps: Connection) -> Observed | None:
        inv = apps.inventory(fresh=True)
        return inv.by_address.get(address_of("app_record", CANARY))

    def _http(self, name: str) -> str:
        deadline = time.monotonic() + self.timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                socket.getaddrinfo(name, 80)
                with urllib.request.urlopen(f"http://{name}/", timeout=10) as answer:
                    return f"HTTP GET http://{name}/ answered {answer.status}"
            except (OSError, urllib.error.URLError) as exc:
                last = str(exc)
            time.sleep(5.0)
        raise AssertionError(f"http://{name}/ did not answer within {self.timeout:.0f}s: {last}")


def _stores(conn: Connection) -> dict[str, tuple[str, reachability.Endpoint, int]]:
    """The fabric's databases and caches as they are in the cloud: name → (kind, endpoint,
    port). Those not made yet are absent."""
    inv = conn.inventory()
    fabric = conn.fabric
    kinds = [("database", "db_instance", d.name, 5432) for d in fabric.databases] + [
        ("cache", "cache_replication_group", c.name, 6379) for c in fabric.caches
    ]
    out: dict[str, tuple[str, reachability.Endpoint, int]] = {}
    for what, kind, name, default_port in kinds:
        found = inv.by_address.get(address_of(kind, name))
        if found is None:
            continue
        groups = tuple(str(g) for g in found.props.get("security_group_ids") or ())
        port = int(found.outputs.get("port") or default_port)
        out[name] = (what, reachability.Endpoint(f"{what} {name}", None, groups), port)
    return out


def data_reachable(conn: Connection) -> str:
    """Whether every running pod of each app that uses a database or cache reaches it (see the
    module docstring); raises AssertionError naming what cannot."""
    stores = _stores(conn)
    users = [
        (w.name, [u for u in w.uses if u in stores])
        for w in conn.fabric.apps
        if any(u in stores for u in w.uses)
    ]
    if not users:
        return "no app uses a database or cache"
    ctx = conn.target.context()
    pods: dict[str, list[tuple[str, str, str]]] = {}
    for app, _ in users:
        found = conn.kube.list("v1", "Pod", conn.namespace, labels=selector(conn.fabric, app))
        pods[app] = [
            (
                str((p.get("metadata") or {}).get("name", "")),
                str((p.get("status") or {}).get("podIP") or ""),
                str((p.get("status") or {}).get("hostIP") or ""),
            )
            for p in found
            if (p.get("status") or {}).get("phase") == "Running"
            and (p.get("status") or {}).get("podIP")
        ]
    addresses = {
        a for entries in pods.values() for _, pod_ip, host in entries for a in (pod_ip, host) if a
    }
    groups_of = reachability.interface_groups(ctx, addresses)
    every_group = {g for gs in groups_of.values() for g in gs}
    every_group |= {g for _, endpoint, _ in stores.values() for g in endpoint.groups}
    rules = reachability.group_rules(ctx, every_group)
    lines: list[str] = []
    problems: list[str] = []
    for app, used in users:
        if not pods[app]:
            lines.append(f"{app}: no running pod, not checked")
            continue
        judged: dict[tuple[tuple[str, ...], str], reachability.Verdict] = {}
        before = len(problems)
        for pod, pod_ip, host in pods[app]:
            groups = groups_of.get(pod_ip) or groups_of.get(host)
            if groups is None:
                problems.append(f"{app}: no network interface holds pod {pod}'s address {pod_ip}")
                continue
            source = reachability.Endpoint(f"{app} pod {pod}", pod_ip, groups)
            for name in used:
                what, endpoint, port = stores[name]
                verdict = judged.get((groups, name))
                if verdict is None:
                    verdict = reachability.judge(source, endpoint, port, rules)
                    judged[(groups, name)] = verdict
                if not verdict.ok:
                    problems.append(f"{app} cannot reach {what} {name} on {port}: {verdict.reason}")
        if len(problems) == before:
            reached = ", ".join(f"{stores[n][0]} {n}:{stores[n][2]}" for n in used)
            lines.append(f"{app} ({len(pods[app])} pods) reaches {reached}")
    if problems:
        raise AssertionError("; ".join(dict.fromkeys(problems)))
    return "; ".join(lines)
