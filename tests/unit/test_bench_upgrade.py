"""The upgrade benchmark's pure parts: each call filed under the step running, per-step rows
(wall, requests, the modelled bound and the ratio), and their section in bench/RESULTS.md."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bench import report
from bench.upgrade import BETWEEN, StepLedger, call_key, step_rows

from weft.local.proxy import Latency
from weft.ops.upgrade import UpgradeEvent

LATENCY = Latency(0.04, {"eks:UpdateClusterVersion": 6.0, "eks:UpdateAddon": 0.3})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def ledger_of_one_upgrade() -> tuple[StepLedger, Clock]:
    clock = Clock()
    proxy: Counter[str] = Counter()
    ledger = StepLedger(lambda: dict(proxy), clock)

    def call(service: str, operation: str, through_proxy: bool = True) -> None:
        ledger.add(service, operation)
        if through_proxy:
            proxy[call_key(service, operation)] += 1

    ledger.begin("preflight")
    call("eks", "DescribeCluster")
    call("eks", "ListNodegroups")
    clock.now += 1.0
    ledger.end("preflight", "done")
    call("s3", "PutObject")  # the lock, between the steps
    ledger.on_event(UpgradeEvent("1.34/control-plane/c", "started", "1.33 → 1.34"))
    call("eks", "DescribeUpdate")
    call("eks", "UpdateClusterVersion")
    ledger.on_event(UpgradeEvent("1.34/control-plane/c", "progress", "InProgress, 0s"))
    call("eks", "DescribeUpdate")
    clock.now += 6.5
    ledger.on_event(UpgradeEvent("1.34/control-plane/c", "done", "1.34", 6.5))
    ledger.on_event(UpgradeEvent("1.34/addon/coredns", "started", "a → b"))
    call("eks", "UpdateAddon")
    call("elastic-load-balancing-v2", "DescribeLoadBalancers", through_proxy=False)
    ledger.on_event(UpgradeEvent("1.34/addon/coredns", "dip", "app web: 1 of 2 available"))
    clock.now += 0.5
    ledger.on_event(UpgradeEvent("1.34/addon/coredns", "done", "b", 0.5))
    ledger.on_event(UpgradeEvent("1.34/file/cluster.version", "started", "1.33 → 1.34"))
    clock.now += 0.25
    ledger.on_event(UpgradeEvent("1.34/file/cluster.version", "skipped", "already 1.34"))
    return ledger, clock


def test_calls_are_keyed_by_the_signing_name_as_the_proxy_keys_them() -> None:
    assert call_key("cloudwatch", "DescribeAlarms") == "monitoring:DescribeAlarms"
    assert call_key("resource-groups-tagging-api", "GetResources") == "tagging:GetResources"
    assert call_key("eks", "UpdateAddon") == "eks:UpdateAddon"


def test_each_call_is_filed_under_the_step_running_and_between_steps_apart() -> None:
    ledger, _clock = ledger_of_one_upgrade()
    steps = ledger.steps
    assert list(steps) == [
        "preflight",
        "1.34/control-plane/c",
        "1.34/addon/coredns",
        "1.34/file/cluster.version",
    ]
    assert steps["1.34/control-plane/c"].calls == Counter(
        {"eks:DescribeUpdate": 2, "eks:UpdateClusterVersion": 1}
    )
    assert steps["1.34/control-plane/c"].polls == 1
    assert steps["1.34/addon/coredns"].dips == ["app web: 1 of 2 available"]
    # keyed as the proxy keys them (the signing name, not botocore's service id)
    assert "elasticloadbalancing:DescribeLoadBalancers" in steps["1.34/addon/coredns"].calls
    assert ledger.between == Counter({"s3:PutObject": 1})
    assert ledger.current is None
    assert ledger.total == 8  # the plain counter still counts everything


def test_rows_hold_wall_requests_the_modelled_bound_and_the_ratio() -> None:
    ledger, _clock = ledger_of_one_upgrade()
    rows = {r["step"]: r for r in step_rows(ledger, LATENCY, total_wall=9.0)}
    cp = rows["1.34/control-plane/c"]
    assert (cp["kind"], cp["status"], cp["wall_s"]) == ("control-plane", "done", 6.5)
    assert cp["requests"]["total"] == 3
    assert (cp["requests"]["reads"], cp["requests"]["writes"]) == (2, 1)
    assert cp["provisioning_s"] == 6.0
    assert cp["round_trips_s"] == 0.12
    assert cp["bound_s"] == 6.12
    assert cp["wall_over_bound"] == round(6.5 / 6.12, 2)
    assert cp["proxy_total"] == 3 and cp["proxy_and_weft_agree"] is True
    addon = rows["1.34/addon/coredns"]
    assert addon["provisioning_s"] == 0.3 and addon["bound_s"] == 0.38
    # a call the proxy did not see (straight to the server) shows as a disagreement, named
    assert addon["proxy_total"] == 1 and addon["proxy_and_weft_agree"] is False
    assert addon["differ_proxy_weft"] == {"elasticloadbalancing:DescribeLoadBalancers": (0, 1)}
    assert "differ_proxy_weft" not in cp
    assert addon["dips"] == ["app web: 1 of 2 available"]
    assert rows["preflight"]["kind"] == "preflight" and rows["preflight"]["bound_s"] == 0.08
    file = rows["1.34/file/cluster.version"]
    assert file["status"] == "skipped" and file["bound_s"] == 0 and file["wall_over_bound"] is None
    between = rows[BETWEEN]
    assert between["wall_s"] == round(9.0 - (1.0 + 6.5 + 0.5 + 0.25), 3)
    assert between["requests"]["total"] == 1 and between["bound_s"] == 0.04
    total = rows["total"]
    assert total["requests"]["total"] == 8 and total["wall_s"] == 9.0
    assert total["bound_s"] == round(6.0 + 0.3 + 8 * 0.04, 3)
    assert total["polls"] == 1


def test_a_step_never_ended_is_timed_to_now_and_ends_only_once() -> None:
    clock = Clock()
    ledger = StepLedger(clock=clock)
    ledger.on_event(UpgradeEvent("1.34/nodegroup/g", "started", ""))
    clock.now += 2.0
    [row, *_] = step_rows(ledger, LATENCY, total_wall=2.0)
    assert row["status"] == "running" and row["wall_s"] == 2.0
    assert row["proxy_and_weft_agree"] is None  # no proxy to compare with
    ledger.end("1.34/nodegroup/g", "failed")
    clock.now += 5.0
    ledger.end("1.34/nodegroup/g", "done")
    assert ledger.steps["1.34/nodegroup/g"].status == "failed"
    assert ledger.steps["1.34/nodegroup/g"].ended == 102.0


def test_the_report_renders_the_upgrade_apart_from_the_scenarios(tmp_path: Path) -> None:
    ledger, _clock = ledger_of_one_upgrade()
    result = {
        "scenario": "upgrade",
        "path": ["1.33", "1.34"],
        "latency_model": {
            "scale": 100.0,
            "round_trip_s": 0.04,
            "delays_s": dict(LATENCY.delays),
        },
        "kube": {"version": "v1.36.2"},
        "command": "python -m bench.upgrade --minors 1",
        "steps": step_rows(ledger, LATENCY, total_wall=9.0),
        "requests": {"total": 8, "reads": 4, "writes": 4, "proxy_and_weft_agree": False},
        "availability": {
            "budget_min_available": 1,
            "lowest_available": {"web": 1},
            "lowest_by_step": {"1.34/control-plane/c": {"web": 2}},
            "samples": 40,
            "below_budget": False,
            "weft_reported_dips": [{"app": "web", "desired": 2, "available": 1}],
        },
        "final_version": "1.34",
        "file_rewritten": True,
    }
    (tmp_path / "upgrade.json").write_text(json.dumps(result))
    out = report.write(tmp_path, tmp_path / "RESULTS.md")
    text = out.read_text()
    assert "## Upgrade: 1.33 → 1.34" in text
    assert (
        "| 1.34/control-plane/c | done | 6.50 s | 3 (2 / 1) | yes | 6.00 s | 6.12 s | 1.06 | 1 "
        "| web 2 |" in text
    )
    assert "| 1.34/addon/coredns | done | 0.50 s | 2 (1 / 1) | **no** |" in text
    assert "| 1.34/file/cluster.version | skipped | 0.25 s | 0 (0 / 0) | yes | 0.00 s" in text
    assert "| **total** | - | 9.00 s | 8 (5 / 3) | - |" in text
    assert text.count("| web 1 |") == 1  # the total's: the fewest over the whole run
    assert "fewest available web 1 against a budget of 1" in text and "never below it" in text
    assert "reported 1 dip(s) (web 1/2)" in text
    assert "**Upgrade** (`python -m bench.upgrade`" in text
    # not taken for a scenario of its own
    assert "### upgrade" not in text
