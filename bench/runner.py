"""The bench runner: every scenario, every phase, side by side; results to bench/results/*.json
and bench/RESULTS.md. See ``python bench/run.py --help``.

Per scenario, on a fresh moto server behind the counting proxy:

1. without the latency model (raw speed and API cost): ``up`` from empty, a no-op ``plan``, a
   ``plan`` after one change, ``down``. The plans run in a process of their own (bench/probe.py)
   for their peak memory.
2. with the latency model (scenarios that have ``latency=True``): ``up`` from empty with weft's
   default parallelism, then on an emptied cloud the same ``up`` with one worker, then the plain
   boto3 sequential script (bench/baseline.py). The critical-path bound comes from the
   first of these.

Then ``upgrade`` (bench/upgrade.py, on a local cloud of its own with the local Kubernetes):
``weft upgrade`` step by step under the same latency model; left out, saying why, where the
local Kubernetes cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import baseline, report
from bench import upgrade as upgrade_bench
from bench.fabrics import SCENARIOS, Scenario, desired, patched
from bench.harness import (
    REPO,
    Cloud,
    attach_attribution,
    machine,
    measure_overhead,
    node_weights,
    start_cloud,
    target_for,
    warm,
    weft_counts,
)
from weft.aws.drivers import DRIVERS
from weft.core.executor import execution_graph
from weft.local.proxy import Latency, realistic_latency
from weft.ops import apply, teardown
from weft.ops.plan import destroy_plan, inventory, make_plan
from weft.ops.run import Runner
from weft.ops.target import Target

RESULTS = Path(__file__).resolve().parent / "results"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _agree(proxy: dict[str, Any], weft: dict[str, Any]) -> bool:
    return bool(proxy["by_call"] == weft["by_call"])


def _requests(cloud: Cloud, weft: dict[str, Any]) -> dict[str, Any]:
    proxy = cloud.proxy.counts().to_dict()
    differ = {
        k: (proxy["by_call"].get(k, 0), weft["by_call"].get(k, 0))
        for k in set(proxy["by_call"]) | set(weft["by_call"])
        if proxy["by_call"].get(k, 0) != weft["by_call"].get(k, 0)
    }
    return {
        "differ_proxy_weft": dict(sorted(differ.items())),
        "total": proxy["total"],
        "reads": proxy["reads"],
        "writes": proxy["writes"],
        "moto_seconds": proxy["upstream_seconds"],
        "weft_total": weft["total"],
        "proxy_and_weft_agree": _agree(proxy, weft),
        "by_call": proxy["by_call"],
    }


def run_up(
    cloud: Cloud, scenario: Scenario, target: Target, *, workers: int = 8, latency: Latency | None
) -> dict[str, Any]:
    """``weft up`` from empty: plan, then apply (bucket, lock, re-plan, executor, journal)."""
    warm(target)
    cloud.proxy.latency = latency
    attribution = attach_attribution(target.session)
    cloud.proxy.reset_counts()
    with patched(scenario):
        start = time.perf_counter()
        plan = make_plan(target)
        planned = time.perf_counter()
        runner = Runner(target, on_event=attribution.on_event, max_workers=workers)
        outcome = apply.up(runner, plan)
        wall = time.perf_counter() - start
    cloud.proxy.latency = None
    result: dict[str, Any] = {
        "ok": outcome.ok,
        "workers": workers,
        "wall": wall,
        "plan_wall": planned - start,
        "apply_wall": wall - (planned - start),
        "executor_wall": outcome.result.elapsed
        + (outcome.bootstrap.elapsed if outcome.bootstrap else 0.0),
        "summary": plan.counts(),
        "requests": _requests(cloud, weft_counts(attribution)),
    }
    failed = [f"{r.node}: {r.error}" for r in outcome.result.failed]
    if failed:
        result["failed"] = failed[:10]
    writes = result["requests"]["writes"]
    result["requests_per_write"] = result["requests"]["total"] / writes if writes else None
    if latency is not None:
        graph, _steps = execution_graph(plan)
        weights = node_weights(attribution, latency)
        bound, path = graph.longest_path(weights)
        result["critical_path"] = {
            "bound": bound,
            "path": [{"node": n, "weight": round(weights.get(n, 0.0), 3)} for n in path],
            "sum_of_node_weights": sum(weights.values()),
            "calls_in_nodes": sum(sum(c.values()) for c in attribution.by_node.values()),
        }
        # with ``workers`` threads the executor can do no better than the total work spread
        # evenly over them: long waits (a NAT gateway, a cluster) hold a worker too
        worker_bound = max(bound, sum(weights.values()) / workers)
        result["critical_path"]["bound_with_workers"] = worker_bound
        result["wall_over_bound"] = wall / bound if bound else None
        result["wall_over_worker_bound"] = wall / worker_bound if worker_bound else None
        result["executor_over_bound"] = result["executor_wall"] / bound if bound else None
        # the same bound if every call also took moto's measured mean service time in this run
        counts = cloud.proxy.counts()
        service = counts.upstream_seconds / counts.forwarded if counts.forwarded else 0.0
        served = {n: weights[n] + service * sum(attribution.by_node[n].values()) for n in weights}
        bound_served, _ = graph.longest_path(served)
        result["critical_path"]["moto_mean_service_s"] = service
        result["critical_path"]["bound_with_service_time"] = bound_served
        result["wall_over_bound_with_service_time"] = wall / bound_served if bound_served else None
    return result


def run_down(cloud: Cloud, scenario: Scenario, target: Target) -> dict[str, Any]:
    counter = attach_attribution(target.session)
    cloud.proxy.reset_counts()
    with patched(scenario):
        start = time.perf_counter()
        plan = destroy_plan(target)
        outcome = teardown.down(Runner(target), plan)
        wall = time.perf_counter() - start
    result: dict[str, Any] = {
        "ok": outcome.ok,
        "wall": wall,
        "summary": plan.counts(),
        "requests": _requests(cloud, weft_counts(counter)),
    }
    left = len(inventory(target))
    result["left_after"] = left
    return result


def run_plan(cloud: Cloud, scenario: Scenario, *, change: bool) -> dict[str, Any]:
    """One plan in its own process (bench/probe.py): wall time, requests, peak memory."""
    cloud.proxy.reset_counts()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), str(REPO / "src"), env.get("PYTHONPATH", "")) if p
    )
    args = [sys.executable, "-m", "bench.probe", scenario.name, cloud.proxy.url]
    if change:
        args.append("--change")
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    process_wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"plan probe failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    proxy = cloud.proxy.counts().to_dict()
    both: Counter[str] = Counter(data["requests"]["by_call"])
    both.update(data["connect_requests"]["by_call"])
    both.update(data["warm_requests"]["by_call"])
    requests = {
        "total": data["requests"]["total"],
        "reads": data["requests"]["reads"],
        "writes": data["requests"]["writes"],
        "connect": data["connect_requests"]["total"],
        "warm_total": data["warm_requests"]["total"],
        "proxy_total_all": proxy["total"],
        "moto_seconds_all": proxy["upstream_seconds"],
        "proxy_and_weft_agree": proxy["by_call"] == dict(both),
        "by_call": data["requests"]["by_call"],
    }
    return {
        "wall": data["plan_wall"],
        "warm_wall": data["warm_plan_wall"],
        "process_wall": process_wall,
        "connect_wall": data["connect_wall"],
        "import_wall": data["import_wall"],
        "summary": data["summary"],
        "changed": data["changed"],
        "requests": requests,
        "peak_rss_mb": data["peak_rss_mb"],
        "rss_before_plan_mb": data["rss_before_plan_mb"],
    }


def run_baseline(
    cloud: Cloud, scenario: Scenario, target: Target, latency: Latency
) -> dict[str, Any]:
    fabric = target.fabric
    wanted = desired(
        scenario, fabric, account_id=target.account_id, zones=list(target.zones)
    ).resources
    warm(target)  # moto initialises its backends lazily, after a reset too
    cloud.proxy.latency = latency
    cloud.proxy.reset_counts()
    try:
        done = baseline.create_all(wanted, url=cloud.proxy.url, region=fabric.region)
    except baseline.Unsupported as exc:
        return {"skipped": str(exc)}
    finally:
        cloud.proxy.latency = None
    counts = cloud.proxy.counts().to_dict()
    return {
        "wall": done["wall"],
        "created": done["created"],
        "requests": {k: counts[k] for k in ("total", "reads", "writes")},
    }


def run_scenario(
    scenario: Scenario, args: argparse.Namespace, context: dict[str, Any]
) -> dict[str, Any]:
    fabric = scenario.fabric()
    cloud = start_cloud()
    started = time.perf_counter()
    try:
        if "proxy_overhead" not in context:
            log("measuring the proxy's overhead")
            context["proxy_overhead"] = measure_overhead(cloud).to_dict()
        target = target_for(fabric, cloud.proxy.url)
        warm(target)
        wanted = desired(scenario, fabric, account_id=target.account_id, zones=list(target.zones))
        kinds = Counter(r.kind for r in wanted.resources)
        out: dict[str, Any] = {
            "scenario": scenario.name,
            "description": scenario.description,
            "fabric_file": str(scenario.file.relative_to(REPO)),
            "resources": len(wanted.resources),
            "driver_kinds": len(DRIVERS),
            "kinds": dict(sorted(kinds.items())),
            "left_out_no_driver": wanted.left_out,
            "phases": {},
        }
        phases = out["phases"]
        log(f"{scenario.name}: {len(wanted.resources)} resources; up from empty")
        phases["up"] = run_up(cloud, scenario, target, workers=args.workers, latency=None)
        log(f"{scenario.name}: up {phases['up']['wall']:.2f}s; no-op plan")
        phases["plan_noop"] = run_plan(cloud, scenario, change=False)
        log(f"{scenario.name}: plan {phases['plan_noop']['wall']:.2f}s; plan after one change")
        phases["plan_change"] = run_plan(cloud, scenario, change=True)
        log(f"{scenario.name}: down")
        phases["down"] = run_down(cloud, scenario, target)
        log(f"{scenario.name}: down {phases['down']['wall']:.2f}s")
        if scenario.latency and not args.no_latency:
            latency = realistic_latency(args.scale, args.round_trip)
            out["latency_model"] = {
                "scale": args.scale,
                "round_trip_s": args.round_trip,
                "delays_s": dict(sorted(latency.delays.items())),
            }
            lat: dict[str, Any] = {}
            cloud.reset()
            log(f"{scenario.name}: up under the latency model, {args.workers} workers")
            lat["up"] = run_up(cloud, scenario, target, workers=args.workers, latency=latency)
            if scenario.baselines:
                cloud.reset()
                log(f"{scenario.name}: up under the latency model, 1 worker")
                lat["up_one_worker"] = run_up(cloud, scenario, target, workers=1, latency=latency)
                cloud.reset()
                log(f"{scenario.name}: plain boto3 sequential baseline")
                lat["baseline_boto3"] = run_baseline(cloud, scenario, target, latency)
                wall = lat["up"]["wall"]
                lat["speedup_vs_one_worker"] = lat["up_one_worker"]["wall"] / wall
                if "wall" in lat["baseline_boto3"]:
                    lat["speedup_vs_boto3"] = lat["baseline_boto3"]["wall"] / wall
            out["latency"] = lat
    finally:
        cloud.stop()
    out["scenario_wall"] = time.perf_counter() - started
    return out


def run_upgrade(args: argparse.Namespace) -> None:
    """bench/upgrade.py under the same model, its results beside the scenarios'."""
    from weft.local.kube import binaries

    reason = binaries.unavailable_reason()
    if reason:
        log(f"upgrade: left out, the local Kubernetes cannot run here: {reason}")
        return
    log("upgrade: weft upgrade under the latency model, on the local Kubernetes")
    upgrade_bench.main(
        [
            "--scale",
            str(args.scale),
            "--round-trip",
            str(args.round_trip),
            "--out",
            str(args.out),
            "--no-report",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        default=",".join((*SCENARIOS, "upgrade")),
        help="comma-separated, of: " + ", ".join((*SCENARIOS, "upgrade")),
    )
    parser.add_argument("--scale", type=float, default=100.0, help="provisioning time divisor")
    parser.add_argument("--round-trip", type=float, default=0.040, help="seconds per API call")
    parser.add_argument("--workers", type=int, default=8, help="weft's executor parallelism")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency-model runs")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument(
        "--no-report", action="store_true", help="do not regenerate bench/RESULTS.md"
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS and n != "upgrade"]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    context: dict[str, Any] = {"machine": machine(), "command": command.strip()}
    m = context["machine"]
    log(f"machine: {m['cpu_count']} cpus, load {m['load_average_at_start']}")
    started = time.perf_counter()
    for name in names:
        if name == "upgrade":
            continue
        result = run_scenario(SCENARIOS[name], args, context)
        result["machine"] = context["machine"]
        result["command"] = context["command"]
        result["proxy_overhead"] = context.get("proxy_overhead")
        result["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        log(f"{name}: done in {result['scenario_wall']:.1f}s -> {args.out / (name + '.json')}")
    if "upgrade" in names:
        run_upgrade(args)
    total = time.perf_counter() - started
    run_info = {
        **context,
        "scenarios": names,
        "total_wall": total,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (args.out / "run.json").write_text(json.dumps(run_info, indent=2) + "\n")
    if not args.no_report:
        path = report.write(args.out)
        log(f"report: {path}")
    log(f"all done in {total:.1f}s")
    return 0
