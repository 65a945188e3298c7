"""The upgrade benchmark: ``python -m bench.upgrade [--minors 2] [--scale 100]``.

``weft upgrade`` timed step by step under the latency model, on the local cloud with the local
Kubernetes (the kubelet simulator drains and replaces the node groups' nodes):

1. A fresh local cloud on loopback: a moto server, the local Kubernetes (kube-apiserver,
   kube-controller-manager and the simulators, which talk to moto directly), and the counting
   proxy in front of moto that weft's session goes through. The fabric (:data:`TEXT`: a
   private network, a cluster on the local calendar's third newest supported version, two
   node groups, an app of two replicas with a PodDisruptionBudget keeping one) is brought up
   and its app deployed without the latency model (not measured).
2. The latency model is switched on (the same as the scenarios' ``up``: a round trip on every
   call, provisioning times divided by ``--scale``: UpdateClusterVersion 600 s,
   UpdateNodegroupVersion 300 s, UpdateAddon 30 s), then the preflight and the upgrade run,
   ``--minors`` minor versions (the newest the calendar supports last), as ``weft upgrade
   --to VERSION --yes`` runs them (:func:`weft.ops.upgrade.preflight`, then
   :func:`weft.ops.upgrade.upgrade`).
3. Per step (preflight, each version's control plane, add-ons, node groups, re-rendered objects
   and file; the lock and journal writes between the steps apart) the wall time, the AWS
   requests weft sent (its session's counter, each call filed under the step running, from the
   upgrade's own events) and the proxy's count for the same span, and the modelled bound: the
   provisioning time the model imposes on the step's calls plus a round trip per call. What the
   model leaves out shows as ``wall / bound`` above 1: the Kubernetes work (draining and
   replacing nodes in real time, re-rendering objects), the polls' interval, moto's own time.
4. Throughout the upgrade a thread samples every Deployment's available replicas in the app
   namespace (through the Kubernetes API alone: no AWS request) and compares the fewest seen
   with the PodDisruptionBudget's ``desiredHealthy``; weft's own watch (the dips it reports
   while node groups update) is recorded beside it.

Results go to ``bench/results/upgrade.json`` and ``bench/RESULTS.md`` (:mod:`bench.report`).

The EKS token weft hands the API server is a presigned STS URL that the local authenticator
fetches itself (:mod:`weft.local.eks_auth`), only from the moto server it runs in: the session's
STS client therefore signs for moto directly (presigning sends no request; the proxy would
otherwise stand between the authenticator and STS, which it never does on AWS).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "src") not in sys.path:  # runnable from a checkout without installing weft
    try:
        import weft  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))

from bench.harness import call_key  # noqa: E402
from weft.aws.session import AwsSession, RequestCounter, is_read  # noqa: E402
from weft.local.proxy import Latency, realistic_latency  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FABRIC = "upbench"
#: Outside any step: the fabric's lock, the journal entry after each step, the hooks.
BETWEEN = "between steps"


def log(message: str) -> None:
    print(f"[bench.upgrade {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ------------------------------------------------------------------------- the step ledger
@dataclass
class StepRecord:
    """One step's span: its calls as weft counted them, and the proxy's count for the span."""

    key: str
    kind: str
    started: float
    ended: float | None = None
    status: str = "running"
    calls: Counter[str] = field(default_factory=Counter)
    proxy: Counter[str] = field(default_factory=Counter)
    polls: int = 0
    dips: list[str] = field(default_factory=list)


def step_kind(key: str) -> str:
    """``1.34/addon/coredns`` -> ``addon``; a key without a version (``preflight``) is its own."""
    parts = key.split("/")
    return parts[1] if len(parts) == 3 else key


class StepLedger(RequestCounter):
    """weft's request counter, filing each call under the step running when it was sent.

    The upgrade runs its steps one after another in the calling thread and reports each one's
    ``started`` and its end (``done``, ``skipped`` or ``failed``) through its event callback:
    :meth:`on_event` is that callback. ``proxy_counts`` (the proxy's cumulative count per call)
    is read at each step's start and end, so that each step also gets the proxy's count for its
    span. ``clock`` times the spans. Calls outside any step are filed under :data:`BETWEEN`.
    """

    def __init__(
        self,
        proxy_counts: Callable[[], Mapping[str, int]] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.proxy_counts = proxy_counts
        self.steps: dict[str, StepRecord] = {}
        self.between: Counter[str] = Counter()
        self.current: StepRecord | None = None
        self._proxy_at_start: Mapping[str, int] = {}

    def add(self, service: str, operation: str) -> None:
        super().add(service, operation)
        key = call_key(service, operation)
        with self._lock:
            if self.current is not None:
                self.current.calls[key] += 1
            else:
                self.between[key] += 1

    def begin(self, key: str) -> None:
        if self.proxy_counts is not None:
            self._proxy_at_start = dict(self.proxy_counts())
        record = StepRecord(key, step_kind(key), self.clock())
        with self._lock:
            self.steps[key] = record
            self.current = record

    def end(self, key: str, status: str) -> None:
        record = self.steps.get(key)
        if record is None or record.ended is not None:
            return
        record.ended = self.clock()
        record.status = status
        if self.proxy_counts is not None:
            now = self.proxy_counts()
            record.proxy = Counter(
                {
                    k: n - self._proxy_at_start.get(k, 0)
                    for k, n in now.items()
                    if n > self._proxy_at_start.get(k, 0)
                }
            )
        with self._lock:
            if self.current is record:
                self.current = None

    def by_call(self) -> dict[str, int]:
        """Every call counted, keyed as the proxy keys them."""
        with self._lock:
            every: Counter[str] = Counter(self.between)
            for record in self.steps.values():
                every.update(record.calls)
        return dict(sorted(every.items()))

    def on_event(self, event: Any) -> None:
        """The upgrade's event callback (:class:`weft.ops.upgrade.UpgradeEvent`)."""
        if event.status == "started":
            self.begin(event.step)
        elif event.status in ("done", "skipped", "failed"):
            self.end(event.step, event.status)
        elif self.current is not None and self.current.key == event.step:
            if event.status == "progress":
                self.current.polls += 1
            elif event.status == "dip":
                self.current.dips.append(event.message)


def _requests(calls: Mapping[str, int]) -> dict[str, Any]:
    reads = sum(n for k, n in calls.items() if is_read(k.split(":", 1)[1]))
    total = sum(calls.values())
    return {
        "total": total,
        "reads": reads,
        "writes": total - reads,
        "by_call": dict(sorted(calls.items())),
    }


def modelled(calls: Mapping[str, int], latency: Latency) -> dict[str, float]:
    """What the model imposes on ``calls``: provisioning waits, round trips, and their sum."""
    provisioning = sum(latency.delay(k) * n for k, n in calls.items())
    round_trips = latency.round_trip * sum(calls.values())
    return {
        "provisioning_s": round(provisioning, 3),
        "round_trips_s": round(round_trips, 3),
        "bound_s": round(provisioning + round_trips, 3),
    }


def _ratio(wall: float, bound: float) -> float | None:
    return round(wall / bound, 2) if bound > 0 else None


def step_rows(ledger: StepLedger, latency: Latency, total_wall: float) -> list[dict[str, Any]]:
    """One row per step, in the order they ran, then the calls between the steps (their wall:
    what ``total_wall`` leaves after the steps), then the total."""
    rows: list[dict[str, Any]] = []
    for record in ledger.steps.values():
        wall = (record.ended if record.ended is not None else ledger.clock()) - record.started
        model = modelled(record.calls, latency)
        row: dict[str, Any] = {
            "step": record.key,
            "kind": record.kind,
            "status": record.status,
            "wall_s": round(wall, 3),
            **model,
            "wall_over_bound": _ratio(wall, model["bound_s"]),
            "requests": _requests(record.calls),
            "proxy_total": sum(record.proxy.values()),
            "proxy_and_weft_agree": (
                None if ledger.proxy_counts is None else +record.proxy == +record.calls
            ),
            "polls": record.polls,
        }
        if row["proxy_and_weft_agree"] is False:
            row["differ_proxy_weft"] = {
                k: (record.proxy.get(k, 0), record.calls.get(k, 0))
                for k in sorted(set(record.proxy) | set(record.calls))
                if record.proxy.get(k, 0) != record.calls.get(k, 0)
            }
        if record.dips:
            row["dips"] = list(record.dips)
        rows.append(row)
    in_steps = sum(r["wall_s"] for r in rows)
    between_wall = max(0.0, total_wall - in_steps)
    model = modelled(ledger.between, latency)
    rows.append(
        {
            "step": BETWEEN,
            "kind": "between",
            "status": "-",
            "wall_s": round(between_wall, 3),
            **model,
            "wall_over_bound": _ratio(between_wall, model["bound_s"]),
            "requests": _requests(ledger.between),
            "proxy_total": None,
            "proxy_and_weft_agree": None,
            "polls": 0,
        }
    )
    everything = ledger.by_call()
    model = modelled(everything, latency)
    rows.append(
        {
            "step": "total",
            "kind": "total",
            "status": "-",
            "wall_s": round(total_wall, 3),
            **model,
            "wall_over_bound": _ratio(total_wall, model["bound_s"]),
            "requests": _requests(everything),
            "proxy_total": None,
            "proxy_and_weft_agree": None,
            "polls": sum(r["polls"] for r in rows),
        }
    )
    return rows


# ----------------------------------------------------------------------- availability watch
class Availability:
    """Samples every Deployment's available replicas in ``namespace`` in the background, filing
    the fewest seen per app overall and per step (``step()`` names the step running)."""

    def __init__(self, kube: Any, namespace: str, step: Callable[[], str | None]) -> None:
        self.kube = kube
        self.namespace = namespace
        self.step = step
        self.lowest: dict[str, int] = {}
        self.by_step: dict[str, dict[str, int]] = {}
        self.samples = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="availability", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                found = self.kube.list("apps/v1", "Deployment", namespace=self.namespace)
            except Exception:  # the API server busy a moment: the next sample
                self.errors += 1
                continue
            step = self.step() or BETWEEN
            self.samples += 1
            for d in found:
                name = str((d.get("metadata") or {}).get("name"))
                available = int((d.get("status") or {}).get("availableReplicas") or 0)
                self.lowest[name] = min(self.lowest.get(name, available), available)
                per = self.by_step.setdefault(step, {})
                per[name] = min(per.get(name, available), available)

    def __enter__(self) -> Availability:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


# ------------------------------------------------------------------------------- the fabric
def calendar_path(minors: int) -> list[str]:
    """The local calendar's newest ``minors + 1`` supported versions, oldest first."""
    from weft.local.moto_eks import versions

    supported = [
        r.version for r in versions.CALENDAR if r.status(versions.today()) != "UNSUPPORTED"
    ]
    if len(supported) < minors + 1:
        raise SystemExit(
            f"the local calendar supports {len(supported)} versions today: cannot upgrade "
            f"{minors} minor versions"
        )
    return supported[-(minors + 1) :]


TEXT = """\
name: {name}
region: us-east-2
provider: local
network: {{cidr: 10.61.0.0/16, zones: 2, nat: single, layout: private}}
cluster:
  version: "{version}"     # upgraded by weft upgrade
  api_cidrs: [203.0.113.0/24]
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 2, max: 4, desired: 2}}
  - {{name: batch, instance_types: [m6i.large], min: 1, max: 2, desired: 1}}
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 2
    port: 8080
    disruption: {{min_available: 1}}
"""


class BenchSession(AwsSession):
    """A session through the proxy whose STS client signs for moto itself (the EKS token's
    presigned URL, which the local authenticator fetches from its own server only)."""

    def __init__(self, region: str, proxy_url: str, moto_url: str) -> None:
        from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

        super().__init__(
            region, endpoint_url=proxy_url, credentials=(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
        )
        self.moto_url = moto_url

    def client(self, service: str) -> Any:
        if service != "sts":
            return super().client(service)
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self._session.client(
                    "sts", endpoint_url=self.moto_url, config=self._config
                )
                client.meta.events.register("before-send", self._count)
                self._clients[service] = client
            return client


def _wait_for_budget(kube: Any, namespace: str, timeout: float = 120.0) -> dict[str, Any]:
    """The app's budget computed by the disruption controller, and every replica available."""
    deadline = time.monotonic() + timeout
    while True:
        pdbs = kube.list("policy/v1", "PodDisruptionBudget", namespace=namespace)
        deps = kube.list("apps/v1", "Deployment", namespace=namespace)
        status = {
            str(p["metadata"]["name"]): p.get("status") or {}
            for p in pdbs
            if (p.get("status") or {}).get("expectedPods")
        }
        ready = all(
            int((d.get("status") or {}).get("availableReplicas") or 0)
            >= int((d.get("spec") or {}).get("replicas") or 0)
            for d in deps
        )
        if status and ready and len(status) == len(pdbs):
            return status
        if time.monotonic() > deadline:
            raise SystemExit(f"the app's budget was not computed in {timeout:.0f}s: {pdbs}")
        time.sleep(0.5)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, measure, tear down; the results (see the module docstring)."""
    os.environ.setdefault("WEFT_CHECKIP_URL", "http://127.0.0.1:9/")
    os.environ.setdefault("WEFT_DNS_RESOLVER", "127.0.0.1:9")
    from bench.harness import machine
    from weft.aws.account import identity, zone_ids
    from weft.fabricfile import load_fabric
    from weft.local import aws_server
    from weft.local.kube import binaries, control_plane
    from weft.local.proxy import start_proxy
    from weft.ops import apply
    from weft.ops.apps.connection import Connection, namespace_of
    from weft.ops.apps.deploy import deploy
    from weft.ops.plan import make_plan
    from weft.ops.run import Runner
    from weft.ops.target import Target, choose_zones
    from weft.ops.upgrade import preflight, upgrade

    reason = binaries.unavailable_reason()
    if reason:
        raise SystemExit(f"the upgrade benchmark needs the local Kubernetes: {reason}")
    path = calendar_path(args.minors)
    latency = realistic_latency(args.scale, args.round_trip)
    started = time.perf_counter()
    directory = Path(tempfile.mkdtemp(prefix="weft-bench-upgrade-"))
    old_state = os.environ.get("WEFT_STATE_DIR")
    os.environ["WEFT_STATE_DIR"] = str(directory)  # the local Kubernetes' record, the lock's...
    local = directory / "local"
    out: dict[str, Any] = {
        "scenario": "upgrade",
        "machine": machine(),
        "command": " ".join(["python -m bench.upgrade", *args.argv]),
        "path": path,
        "latency_model": {
            "scale": args.scale,
            "round_trip_s": args.round_trip,
            "delays_s": {
                k: v for k, v in sorted(latency.delays.items()) if k.startswith("eks:Update")
            },
        },
    }
    moto = aws_server.start(local)
    proxy = start_proxy(moto.url)
    try:
        log(f"local Kubernetes ({binaries.selected_version()}) starting")
        t0 = time.perf_counter()
        kube_info = control_plane.start_kube(local, aws_endpoint=moto.url)
        out["kube"] = {"version": kube_info.version, "start_s": round(time.perf_counter() - t0, 2)}
        source = directory / "fabric.yaml"
        source.write_text(TEXT.format(name=FABRIC, version=path[0]))
        fabric = load_fabric(source)
        session = BenchSession(fabric.region, proxy.url, moto.url)
        account, arn = identity(session)
        ids = zone_ids(session)
        target = Target(
            fabric, session, account, arn, tuple(choose_zones(fabric, list(ids), ids)), proxy.url
        )
        log(f"fabric {FABRIC} on Kubernetes {path[0]}: up, then its app deployed (not measured)")
        t0 = time.perf_counter()
        outcome = apply.up(Runner(target), make_plan(target))
        if not outcome.ok:
            raise SystemExit(f"up failed: {[str(r.error) for r in outcome.result.failed]}")
        conn = Connection(target)
        deployed = deploy(conn)
        if not deployed.ok:
            raise SystemExit(f"deploy failed: {deployed}")
        namespace = namespace_of(fabric)
        budgets = _wait_for_budget(conn.kube, namespace)
        out["setup_s"] = round(time.perf_counter() - t0, 2)
        out["budgets"] = {
            name: {k: s.get(k) for k in ("desiredHealthy", "expectedPods", "disruptionsAllowed")}
            for name, s in budgets.items()
        }
        # a connection of its own for the sampler, made before anything is counted
        watcher = Connection(target)
        watcher.kube.list("v1", "Namespace")

        ledger = StepLedger(lambda: proxy.counts().by_call)
        session.counter = ledger
        proxy.reset_counts()
        proxy.latency = latency
        log(f"under the latency model: preflight, then upgrade {' → '.join(path)}")
        try:
            with Availability(
                watcher.kube, namespace, lambda: ledger.current.key if ledger.current else None
            ) as seen:
                t0 = time.perf_counter()
                ledger.begin("preflight")
                plan = preflight(target, path[-1])
                ledger.end("preflight", "done" if plan.ok else "failed")
                if not plan.ok:
                    raise SystemExit(f"preflight refused: {plan.failures()}")

                def report(event: Any) -> None:
                    ledger.on_event(event)
                    if event.status in ("started", "done", "skipped", "failed", "dip"):
                        log(f"  {event.step}: {event.status} {event.message}")

                result = upgrade(target, plan, report)
                total = time.perf_counter() - t0
        finally:
            proxy.latency = None
        proxy_all = proxy.counts()
        weft_all = ledger.by_call()
        out["plan"] = {"path": plan.path, "steps": [s.key for s in plan.steps]}
        out["steps"] = step_rows(ledger, latency, total)
        out["wall_s"] = round(total, 2)
        out["requests"] = {
            "total": proxy_all.total,
            "reads": proxy_all.reads,
            "writes": proxy_all.writes,
            "weft_total": sum(weft_all.values()),
            "proxy_and_weft_agree": proxy_all.by_call == weft_all,
        }
        floor = min(int(s.get("desiredHealthy") or 0) for s in budgets.values())
        out["availability"] = {
            "budget_min_available": floor,
            "lowest_available": dict(seen.lowest),
            "lowest_by_step": seen.by_step,
            "samples": seen.samples,
            "sample_errors": seen.errors,
            "below_budget": any(n < floor for n in seen.lowest.values()) if seen.lowest else None,
            "weft_watch_lowest": {a: list(v) for a, v in result.lowest.items()},
            "weft_reported_dips": result.dips,
        }
        out["final_version"] = path[-1]
        out["file_rewritten"] = f'"{path[-1]}"' in source.read_text()
    finally:
        proxy.stop()
        control_plane.stop_kube(local)
        aws_server.stop(local)
        shutil.rmtree(directory, ignore_errors=True)
        if old_state is None:
            os.environ.pop("WEFT_STATE_DIR", None)
        else:
            os.environ["WEFT_STATE_DIR"] = old_state
    out["bench_wall_s"] = round(time.perf_counter() - started, 1)
    out["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench.upgrade", description=__doc__.split("\n\n")[0])
    p.add_argument("--minors", type=int, default=2, help="minor versions to upgrade (1 or more)")
    p.add_argument("--scale", type=float, default=100.0, help="provisioning time divisor")
    p.add_argument("--round-trip", type=float, default=0.040, help="seconds per API call")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument("--no-report", action="store_true", help="do not regenerate bench/RESULTS.md")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    if args.minors < 1:
        raise SystemExit("--minors: at least 1")
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "upgrade.json").write_text(json.dumps(result, indent=2) + "\n")
    log(f"done in {result['bench_wall_s']:.0f}s -> {args.out / 'upgrade.json'}")
    if not args.no_report:
        from bench import report

        log(f"report: {report.write(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
