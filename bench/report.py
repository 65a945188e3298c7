"""bench/RESULTS.md, regenerated from bench/results/*.json (``python -m bench.report``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORDER = ("network", "standard", "large", "huge")
#: Results of their own shape (bench/upgrade.py), rendered in sections of their own.
OWN_SECTIONS = ("upgrade",)

DEFINITIONS = """\
## What is measured, and how

- **Harness.** Each scenario gets a fresh moto server (`weft.local.aws_server`, 127.0.0.1) with
  the counting proxy `weft.local.proxy` in front; weft's session points at the proxy. The proxy
  names every request `service:Action` and counts it; weft's own `session.counter` counts the
  same requests on the client side, and every phase records whether the two agree call for call
  (`agree`). Reads are `Describe/Get/List/Head/Lookup/Search*`, everything else is a write.
- **Phases** (no latency model: raw speed on this machine, moto answering as fast as it can):
  `up` = `make_plan` + `apply.up` (fabric bucket, lock, re-plan under the lock, executor,
  journal, unlock) from an empty account; `plan` = `make_plan` on the created fabric, in a
  process of its own (bench/probe.py) so that its peak RSS can be read; `plan, 1 change` = the
  same after changing one rule's description (`security_group_rule.lb-http`: one in-place update
  expected); `down` = `destroy_plan` + `teardown.down`. Plan wall time is the time to read the
  cloud and plan, after the session exists (the process's start-up and imports are reported
  apart in the JSON as `import_wall`/`process_wall`).
- **Latency model** (`weft.local.proxy.realistic_latency`): every call waits a round trip
  (default 40 ms, like a real region), and a successful call that starts a long provisioning
  waits that time divided by `--scale` (default 100): `eks:CreateCluster` 600 s,
  `rds:CreateDBInstance` 400 s, `elasticache:CreateReplicationGroup` 400 s,
  `eks:CreateNodegroup` 180 s, `ec2:CreateNatGateway` 90 s, `acm:RequestCertificate` 60 s
  (the full table, deletes included, is in each JSON). moto reports everything ready at once,
  so delaying the answer to the create call is the faithful model: weft waits for readiness
  right after it.
- **Critical-path bound.** The execution graph of the `up` plan
  (`weft.core.executor.execution_graph`), each node weighted by the modelled cost of the API
  calls that node made in that run (round trip + provisioning delay per call; calls are filed
  under a node by the executor thread that ran it), and `Graph.longest_path` over it. It is the
  least time any executor could take given those calls, with unlimited parallelism and a server
  that answers in zero time. It leaves out what `up` does outside the graph (the first plan,
  the lock, the re-plan under the lock, the journal) and moto's own service time: both are in
  the wall time, so `wall / bound` counts them as overhead. Where the work spread over the
  executor's workers (the sum of all node weights / workers: a long wait holds a worker too)
  exceeds the critical path, that is the tighter bound, reported beside it.
- **Baselines,** in the same run, under the same model, each on an emptied cloud: weft with one
  executor worker (`up, 1 worker`), and a plain boto3 script (`bench/baseline.py`) that
  creates the same resources one after another in dependency order, the way a developer would
  write it by hand (no discovery, no adoption, no lock). Speed-up = baseline wall / weft wall.
- **Proxy overhead** is measured per run: the median time of one cheap call
  (`ec2:DescribeAvailabilityZones`) direct to moto and through the proxy with no delays,
  interleaved. It is small next to moto's own time per call; the figures are not corrected
  for it.
"""


def _load(directory: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run: dict[str, Any] = {}
    if (directory / "run.json").exists():
        run = json.loads((directory / "run.json").read_text())
    results = []
    names = [n for n in ORDER if (directory / f"{n}.json").exists()]
    names += sorted(
        p.stem for p in directory.glob("*.json") if p.stem not in (*ORDER, *OWN_SECTIONS, "run")
    )
    for name in names:
        results.append(json.loads((directory / f"{name}.json").read_text()))
    return run, results


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _req(phase: dict[str, Any]) -> str:
    r = phase["requests"]
    return f"{r['total']} ({r['reads']} / {r['writes']})"


def _agree(phase: dict[str, Any]) -> str:
    return "yes" if phase["requests"].get("proxy_and_weft_agree") else "**no**"


def _summary(summary: dict[str, int]) -> str:
    parts = [f"{n} {a}" for a, n in summary.items() if n and a != "no-op"]
    return ", ".join(parts) or "no changes"


def scenario_section(res: dict[str, Any]) -> str:
    ph = res["phases"]
    lines = [
        f"### {res['scenario']}: {res['resources']} resources",
        "",
        f"{res['description']} (`{res['fabric_file']}`). Kinds: "
        + ", ".join(f"{k} {n}" for k, n in res["kinds"].items())
        + ".",
    ]
    if res.get("left_out_no_driver"):
        lines.append(
            "Left out (no AWS driver yet, or depending on such a kind): "
            + ", ".join(f"{k} {n}" for k, n in res["left_out_no_driver"].items())
            + "."
        )
    lines += [
        "",
        "| phase | wall | requests (reads / writes) | proxy = weft | result | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    up = ph["up"]
    lines.append(
        f"| up from empty | {_s(up['wall'])} | {_req(up)} | {_agree(up)} | "
        f"{'ok' if up['ok'] else '**failed**'}: {_summary(up['summary'])} | - |"
    )
    for key, label in (("plan_noop", "plan (no-op)"), ("plan_change", "plan, 1 change")):
        p = ph[key]
        changed = p.get("changed") or []
        which = f" ({', '.join(changed)})" if 0 < len(changed) <= 3 else ""
        lines.append(
            f"| {label} | {_s(p['wall'])} (warm {_s(p.get('warm_wall'))}) | {_req(p)} | "
            f"{_agree(p)} | {_summary(p['summary'])}{which} | {p['peak_rss_mb']:.0f} MB |"
        )
    down = ph["down"]
    lines.append(
        f"| down | {_s(down['wall'])} | {_req(down)} | {_agree(down)} | "
        f"{'ok' if down['ok'] else '**failed**'}: {_summary(down['summary'])}; "
        f"{down['left_after']} left | - |"
    )
    lat = res.get("latency")
    if lat:
        model = res["latency_model"]
        lines += [
            "",
            f"Under the latency model (round trip {model['round_trip_s'] * 1000:.0f} ms, "
            f"provisioning / {model['scale']:g}):",
            "",
            "| run | wall | requests (reads / writes) | bound | wall / bound | speed-up |",
            "|---|---|---|---|---|---|",
        ]
        up = lat["up"]
        cp = up["critical_path"]
        workers = cp.get("bound_with_workers")
        worker_note = (
            f"; {up['wall_over_worker_bound']:.2f} of the {up['workers']}-worker bound "
            f"{_s(workers)}"
            if workers and workers > cp["bound"] * 1.01
            else ""
        )
        lines.append(
            f"| weft up, {up['workers']} workers | {_s(up['wall'])} | {_req(up)} | "
            f"{_s(cp['bound'])} | {up['wall_over_bound']:.2f} "
            f"(executor alone {up['executor_over_bound']:.2f}{worker_note}) | 1 |"
        )
        one = lat.get("up_one_worker")
        base = lat.get("baseline_boto3")
        if one is None or base is None:
            lines.append("| sequential baselines | not run for this scenario | | | | |")
        else:
            lines.append(
                f"| weft up, 1 worker | {_s(one['wall'])} | {_req(one)} | - | - | "
                f"{lat['speedup_vs_one_worker']:.2f}x |"
            )
            if "wall" in base:
                r = base["requests"]
                lines.append(
                    f"| plain boto3, sequential | {_s(base['wall'])} | "
                    f"{r['total']} ({r['reads']} / {r['writes']}) | - | - | "
                    f"{lat['speedup_vs_boto3']:.2f}x (at most "
                    f"{base['wall'] / cp['bound']:.2f}x: baseline / bound) |"
                )
            else:
                lines.append(f"| plain boto3, sequential | - | - | - | - | {base['skipped']} |")
        path = " → ".join(f"{p['node']} ({p['weight']:.2f})" for p in cp["path"])
        lines += ["", f"Critical path: {path}."]
    return "\n".join(lines)


def upgrade_section(res: dict[str, Any]) -> str:
    """bench/upgrade.py's results: ``weft upgrade`` step by step under the latency model."""
    model = res["latency_model"]
    kube = res.get("kube") or {}
    avail = res.get("availability") or {}
    req = res["requests"]
    lines = [
        f"## Upgrade: {' → '.join(res['path'])}",
        "",
        f"`weft upgrade` (preflight, then the upgrade) of a cluster with two node groups and an "
        f"app of two replicas serving, on the local cloud with the local Kubernetes "
        f"({kube.get('version', '?')}: the kubelet simulator drains and replaces the nodes), "
        f"under the latency model (round trip {model['round_trip_s'] * 1000:.0f} ms, "
        f"provisioning / {model['scale']:g}: "
        + ", ".join(f"`{k}` {v:g} s" for k, v in model["delays_s"].items() if v)
        + f"). Command: `{res.get('command', 'python -m bench.upgrade')}`; "
        f"recorded {res.get('recorded_at')}, load at start "
        f"{(res.get('machine') or {}).get('load_average_at_start')}.",
        "",
        "| step | result | wall | requests (reads / writes) | proxy = weft | provisioning "
        "modelled | bound | wall / bound | polls | fewest available |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_step = avail.get("lowest_by_step") or {}

    def fewest(seen: dict[str, int] | None) -> str:
        return ", ".join(f"{app} {n}" for app, n in sorted((seen or {}).items())) or "-"

    for row in res["steps"]:
        r = row["requests"]
        agree = row.get("proxy_and_weft_agree")
        ratio = row.get("wall_over_bound")
        name = f"**{row['step']}**" if row["kind"] == "total" else row["step"]
        lines.append(
            f"| {name} | {row['status']} | {_s(row['wall_s'])} | "
            f"{r['total']} ({r['reads']} / {r['writes']}) | "
            f"{'-' if agree is None else ('yes' if agree else '**no**')} | "
            f"{_s(row['provisioning_s'])} | {_s(row['bound_s'])} | "
            f"{'-' if ratio is None else f'{ratio:.2f}'} | {row['polls']} | "
            + fewest(
                avail.get("lowest_available")
                if row["kind"] == "total"
                else by_step.get(row["step"])
            )
            + " |"
        )
    lowest = avail.get("lowest_available") or {}
    floor = avail.get("budget_min_available")
    below = avail.get("below_budget")
    dips = avail.get("weft_reported_dips") or []
    lines += [
        "",
        f"Requests in all: {req['total']} ({req['reads']} reads / {req['writes']} writes), "
        f"proxy = weft: {'yes' if req.get('proxy_and_weft_agree') else '**no**'}. "
        "App availability, sampled every 0.2 s through the Kubernetes API for the whole run "
        f"({avail.get('samples', 0)} samples): fewest available "
        + ", ".join(f"{app} {n}" for app, n in sorted(lowest.items()))
        + f" against a budget of {floor} (the PodDisruptionBudget's desiredHealthy): "
        + ("**below the budget**" if below else "never below it" if below is False else "-")
        + f"; weft's own watch reported {len(dips)} dip(s)"
        + (
            " (" + "; ".join(f"{d['app']} {d['available']}/{d['desired']}" for d in dips) + ")"
            if dips
            else ""
        )
        + f". The file was {'rewritten' if res.get('file_rewritten') else '**not** rewritten'}"
        f" to {res.get('final_version')}.",
    ]
    return "\n".join(lines)


def _targets(results: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    by = {r["scenario"]: r for r in results}
    rows: list[tuple[str, str, str]] = []
    noop = {n: r["phases"]["plan_noop"]["requests"] for n, r in by.items()}
    if noop:
        totals = {n: q["total"] for n, q in noop.items()}
        writes = sum(q["writes"] for q in noop.values())
        # network, large and huge hold the same kinds, from 29 to ~1,000 resources
        same_kinds = {totals[n] for n in ("network", "large", "huge") if n in totals}
        drivers = next(iter(by.values())).get("driver_kinds", "?")
        rows.append(
            (
                "no-op plan: requests independent of size (one batched read per kind), 0 writes",
                ", ".join(
                    f"{n}: {t} requests for {by[n]['resources']} resources"
                    for n, t in totals.items()
                )
                + f" ({drivers} kinds discovered; network, large and huge hold the same"
                " kinds, standard more of them and kinds read per resource); writes " + str(writes),
                "met" if len(same_kinds) <= 1 and writes == 0 else "not met",
            )
        )
    if "huge" in by:
        p = by["huge"]["phases"]["plan_noop"]
        rows.append(
            (
                "huge: no-op plan under 3 s (no latency model)",
                f"{p['wall']:.2f} s (whole process {p['process_wall']:.2f} s)",
                "met" if p["wall"] < 3 else "not met",
            )
        )
        rows.append(
            (
                "huge: plan memory under 200 MB",
                f"peak RSS {p['peak_rss_mb']:.0f} MB "
                f"(before planning {p['rss_before_plan_mb']:.0f} MB)",
                "met" if p["peak_rss_mb"] < 200 else "not met",
            )
        )
    for n, r in by.items():
        lat = r.get("latency")
        if not lat:
            continue
        up = lat["up"]
        ratio = up["wall_over_bound"]
        cp = up["critical_path"]
        workers = cp.get("bound_with_workers")
        extra = (
            f"; {up['wall_over_worker_bound']:.2f} x the bound {up['workers']} workers impose"
            if workers and workers > cp["bound"] * 1.01
            else ""
        )
        rows.append(
            (
                f"{n}: up wall ≤ 1.2 x critical-path bound",
                f"{ratio:.2f}: {_s(up['wall'])} / {_s(cp['bound'])} "
                f"(executor alone {up['executor_over_bound']:.2f}{extra})",
                "met" if ratio <= 1.2 else "not met",
            )
        )
    if "standard" in by and by["standard"].get("latency", {}).get("up_one_worker"):
        lat = by["standard"]["latency"]
        boto = lat.get("speedup_vs_boto3")
        base = lat.get("baseline_boto3") or {}
        bound = lat["up"]["critical_path"]["bound"]
        ceiling = (
            f" (no executor can pass {base['wall'] / bound:.2f}x: baseline / bound)"
            if "wall" in base and bound
            else ""
        )
        rows.append(
            (
                "standard: up ≥ 3x faster than the sequential baseline",
                (f"{boto:.2f}x vs plain boto3{ceiling}, " if boto else "")
                + f"{lat['speedup_vs_one_worker']:.2f}x vs one worker",
                "met" if (boto or 0) >= 3 else "not met",
            )
        )
    for n, r in by.items():
        up = r["phases"]["up"]
        q = up["requests"]
        ratio = q["total"] / q["writes"] if q["writes"] else 0
        rows.append(
            (
                f"{n}: up requests ≤ 1.3 x writes",
                f"{q['total']} requests / {q['writes']} writes = {ratio:.2f}",
                "met" if ratio <= 1.3 else "not met",
            )
        )
    return rows


UPGRADE_DEFINITIONS = """\
- **Upgrade** (`python -m bench.upgrade`, bench/upgrade.py): a fresh local cloud with the local
  Kubernetes; the fabric brought up and its app deployed without the latency model; then, under
  it, `preflight` and `upgrade` as `weft upgrade --to VERSION --yes` runs them. Each call weft
  sends is filed under the step running (from the upgrade's own `started`/`done` events), and
  the proxy's count over the same span is compared with it. A step's **bound** is what the model
  imposes on its calls: the provisioning time of the calls that start one
  (`eks:UpdateClusterVersion`, `eks:UpdateAddon`, `eks:UpdateNodegroupVersion`) plus a round trip
  per call. What the model does not hold shows as `wall / bound` above 1: the Kubernetes work
  (draining and replacing nodes in real time, re-rendering objects, which no AWS call waits
  for), the polls' interval (0.5 s on the local cloud; each poll is a round trip in the bound),
  moto's own time. `between steps` is the fabric's lock and the journal entry after each step.
  `polls` counts the progress reports (a poll that found the update still running, with the
  nodes' and apps' state); `fewest available` is the fewest available replicas the sampler
  saw during the step.
"""


def render(
    run: dict[str, Any], results: list[dict[str, Any]], upgrade: dict[str, Any] | None = None
) -> str:
    m = run.get("machine") or (results[0]["machine"] if results else {})
    overhead = run.get("proxy_overhead") or (results[0].get("proxy_overhead") if results else None)
    lines = [
        "# weft benchmarks",
        "",
        "Generated by `make bench` (`python bench/run.py`) from `bench/results/*.json`; do not",
        "edit by hand. Regenerate the text alone with `python -m bench.report`.",
        "",
        f"- command: `{run.get('command', 'python bench/run.py')}`",
        f"- machine: {m.get('cpu_count')} CPUs ({m.get('processor')}), {m.get('platform')}, "
        f"Python {m.get('python')}, moto {m.get('moto')}, botocore {m.get('botocore')}",
        f"- commit: {m.get('git_commit', '?')[:12]}"
        + (" (with uncommitted changes)" if m.get("git_dirty") else ""),
        f"- load average at start / end: {m.get('load_average_at_start')}"
        f" / {run.get('load_average_at_end', '?')} (2 cores shared with other work)",
    ]
    if run.get("total_wall") is not None:
        lines.append(f"- whole run: {run['total_wall']:.0f} s; recorded {run.get('recorded_at')}")
    if overhead:
        lines.append(
            f"- proxy overhead per call: {overhead['overhead_ms']:.2f} ms "
            f"(median {overhead['proxied_median_ms']:.2f} ms "
            f"through the proxy vs {overhead['direct_median_ms']:.2f} ms direct, "
            f"{overhead['calls_each']} calls each)"
        )
    lines += ["", "## Targets", "", "| target | measured | |", "|---|---|---|"]
    for name, value, verdict in _targets(results):
        lines.append(f"| {name} | {value} | {verdict} |")
    lines += ["", "## Scenarios", ""]
    for res in results:
        lines += [scenario_section(res), ""]
    if upgrade is not None:
        lines += [upgrade_section(upgrade), ""]
    lines += [DEFINITIONS]
    if upgrade is not None:
        lines += [UPGRADE_DEFINITIONS]
    return "\n".join(lines).rstrip() + "\n"


def write(directory: Path = HERE / "results", out: Path = HERE / "RESULTS.md") -> Path:
    run, results = _load(directory)
    upgrade_file = directory / "upgrade.json"
    upgrade = json.loads(upgrade_file.read_text()) if upgrade_file.exists() else None
    out.write_text(render(run, results, upgrade))
    return out


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results"))
