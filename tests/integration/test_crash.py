"""Crash tolerance: a real ``weft up`` / ``weft down`` process SIGKILLed after k completed steps.

The child runs the real CLI with ``--json``; the test reads its event stream and kills it
(SIGKILL: no cleanup, no lock release, no journal) as soon as the k-th ``done`` event arrives.
Then, as a user would: ``weft unlock`` (the lock, if the child held it, is named stale: its
process no longer runs on this host), and the same command again. It must converge:

- after a killed ``up``: no duplicate of anything (counted by tag, straight from the cloud), the
  same resources as a clean run, and a plan with no changes;
- after a killed ``down``: nothing tagged for the fabric left (the leftover report is empty).

Every k along the demo's network fabric (3 zones, private layout, one NAT gateway), one step at
a time (``--parallelism 1``, so "after k steps" is exact); a few k along the demo's full fabric
(cluster, node group, database, cache, bucket, DNS), with the default parallelism.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from weft.aws.lock import break_lock
from weft.core.plan import Action
from weft.errors import LockHeld, StalePlan
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.tags import RETAINED_TAG
from weft.ops import leftovers
from weft.ops.plan import make_plan
from weft.ops.run import Outcome, ensure_unlocked
from weft.ops.target import Target

from ..local_account import reset_account
from .helpers import cloud_counts, down, fabric_text, target_for, up, up_delegated
from .test_teardown import FULL

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.spread(4)]

NETWORK = fabric_text("crash")
FULL_FABRIC = fabric_text("crashfull") + FULL
ZONES = ["us-east-2a", "us-east-2b", "us-east-2c"]


def steps(text: str) -> int:
    """How many steps a first ``up`` of ``text`` takes (one per desired resource)."""
    fabric = parse_fabric(text, source="fabric.yaml")
    return len(desired_resources(fabric, account_id="123456789012", zones=ZONES))


def counts_by_tag(target: Target) -> Counter[str]:
    """What carries the fabric's tag, per type, read straight from the cloud (not via weft)."""
    session = target.session
    counts = Counter({f"ec2:{k}": n for k, n in cloud_counts(target).items()})
    flt = [{"Name": "tag:weft:fabric", "Values": [target.name]}]
    rules = session.client("ec2").describe_security_group_rules(Filters=flt)
    counts["ec2:security-group-rule"] = len(rules["SecurityGroupRules"])
    kms = session.client("kms")
    tagging = session.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "weft:fabric", "Values": [target.name]}]
    ):
        for item in page["ResourceTagMappingList"]:
            arn = item["ResourceARN"]
            service, resource = arn.split(":")[2], arn.split(":", 5)[5]
            kind = resource.split("/")[0].split(":")[0]
            if service == "ec2":
                continue  # counted above, with states taken into account
            if service == "kms" and (
                kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
            ):
                continue
            if service == "rds" and kind == "snapshot":
                continue  # final snapshots: kept by design
            if service == "kms" and any(t["Key"] == RETAINED_TAG for t in item.get("Tags", [])):
                continue  # the key the kept final snapshots need: kept by design with them
            counts[f"{service}:{kind}"] += 1
    roles = session.client("iam").list_roles(PathPrefix=f"/weft/{target.name}/")["Roles"]
    counts["iam:role"] = len(roles)
    eks = session.client("eks")
    if target.name in eks.list_clusters()["clusters"]:
        counts["eks:nodegroup"] = len(eks.list_nodegroups(clusterName=target.name)["nodegroups"])
        counts["eks:addon"] = len(eks.list_addons(clusterName=target.name)["addons"])
        profiles = eks.list_fargate_profiles(clusterName=target.name)["fargateProfileNames"]
        counts["eks:fargate-profile"] = len(profiles)
    return +counts


def kill_after(workdir: Path, command: list[str], k: int, parallelism: int) -> int:
    """Run ``weft <command> --yes --json``, SIGKILL it at its k-th completed step; how many
    steps had completed when it died (or ended)."""
    flags = ["--yes", "--json", "--parallelism", str(parallelism)]
    child = subprocess.Popen(
        [sys.executable, "-m", "weft.cli.main", *command, *flags],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    done = 0
    assert child.stdout is not None
    try:
        for line in child.stdout:
            event = json.loads(line)
            if event["event"] == "resource" and event["status"] == "done":
                done += 1
                if done >= k:
                    child.send_signal(signal.SIGKILL)
                    break
    finally:
        child.stdout.close()
        child.wait(timeout=300)
    return done


def recover(target: Target) -> None:
    """``weft unlock`` after a crash: a lock left by the killed process is named stale."""
    try:
        ensure_unlocked(target)
    except LockHeld as held:
        assert "no longer runs on this host" in str(held), held
        break_lock(target.context())


@pytest.fixture(scope="module")
def targets(moto_url: str) -> Iterator[dict[str, Target]]:
    """One target per fabric for the whole module (connecting costs a second each time)."""
    reset_account(moto_url)
    yield {t.name: t for t in (target_for(NETWORK), target_for(FULL_FABRIC))}
    reset_account(moto_url)


@pytest.fixture(scope="module")
def reference(moto_url: str, targets: dict[str, Target]) -> dict[str, Counter[str]]:
    """What a clean, uninterrupted ``up`` of each fabric makes (its domain delegated, so its
    certificate too), counted by tag."""
    found: dict[str, Counter[str]] = {}
    for name, target in targets.items():
        assert up_delegated(target, moto_url).ok
        found[name] = counts_by_tag(target)
        assert down(target).ok
    return found


@pytest.fixture
def clean(moto_url: str, targets: dict[str, Target]) -> None:
    """Each test starts with nothing of its fabric in the cloud (what earlier ones left, by
    design, is only KMS keys pending deletion, which count for nothing here). The local cloud is
    reset only when a failed test left more: resetting costs a second or two."""
    if any(counts_by_tag(t) for t in targets.values()):
        reset_account(moto_url)


def converge(run: Callable[[], Outcome], attempts: int = 4) -> Outcome:
    """Run the command again, as a user would. Requests still in flight when the child died
    can complete a moment later (with eight workers, several of them, one after another; a
    certificate can also turn ISSUED once its validation record lands), between the plan this
    run shows and the one it re-reads under the lock: then weft refuses (the approved plan no
    longer matches), and running the same command again goes through. Each refusal is a real
    change of the cloud, so the number of tries is bounded."""
    for _ in range(attempts - 1):
        try:
            return run()
        except StalePlan:
            continue
    return run()


def crash_and_converge(
    workdir: Path,
    target: Target,
    text: str,
    k: int,
    parallelism: int,
    expected: Counter[str],
    moto_url: str,
) -> None:
    (workdir / "fabric.yaml").write_text(text)

    assert kill_after(workdir, ["up"], k, parallelism) == k
    recover(target)
    # the fabric's new zone is delegated once it exists (as a registrar would), and then up
    # finishes its certificate
    again = converge(lambda: up_delegated(target, moto_url))
    assert again.ok, [str(r.error) for r in again.result.failed]
    # The crash left no duplicate: the run that finished the job deleted nothing.
    assert [c.address for c in again.plan.actionable if c.action is Action.DELETE] == []
    assert counts_by_tag(target) == expected
    assert not make_plan(target).has_changes

    assert kill_after(workdir, ["down"], k, parallelism) == k
    recover(target)
    gone = converge(lambda: down(target))
    assert gone.ok, [str(r.error) for r in gone.result.failed]
    assert counts_by_tag(target) == Counter()
    assert leftovers.find(target) == []


#: Every k by default; WEFT_CRASH_STRIDE=n tries every n-th k only (a quicker local run).
STRIDE = max(1, int(os.environ.get("WEFT_CRASH_STRIDE", "1") or 1))


@pytest.mark.parametrize("k", range(1, steps(NETWORK) + 1, STRIDE))
def test_network_fabric_killed_after_k_steps(tmp_path, moto_url, targets, reference, clean, k):
    crash_and_converge(tmp_path, targets["crash"], NETWORK, k, 1, reference["crash"], moto_url)


#: The full fabric's first up completes all its steps but the certificate's three (the
#: certificate, its validation record, its validation), which wait for the domain's delegation.
WAITING = 3


@pytest.mark.parametrize("k", [3, 24, steps(FULL_FABRIC) - WAITING - 2])
def test_full_fabric_killed_after_k_steps(tmp_path, moto_url, targets, reference, clean, k):
    crash_and_converge(
        tmp_path, targets["crashfull"], FULL_FABRIC, k, 8, reference["crashfull"], moto_url
    )


def test_a_duplicate_is_planned_and_deleted_once(tmp_path, targets, clean):
    """What a crash could leave (a second VPC carrying the same weft:id) goes exactly once."""
    target = targets["crash"]
    assert up(target).ok
    tags = [
        {"Key": "weft:fabric", "Value": target.name},
        {"Key": "weft:id", "Value": "vpc.main"},
        {"Key": "Name", "Value": target.name},
    ]
    ec2 = target.session.client("ec2")
    extra = ec2.create_vpc(
        CidrBlock="10.20.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}],
    )["Vpc"]["VpcId"]
    plan = make_plan(target)
    assert [(c.action, c.address, c.cloud_id, c.reason) for c in plan.actionable] == [
        (Action.DELETE, "vpc.main#2", extra, "duplicate of vpc.main")
    ]
    again = up(target)
    assert again.ok and len(again.result.done) == 1
    assert cloud_counts(target)["vpc"] == 1
    assert down(target).ok
