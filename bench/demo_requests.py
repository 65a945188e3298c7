"""The AWS requests of the demo's fabric: ``python -m bench.demo_requests [--by-call]``.

The fabric ``make demo`` builds (scripts/demo.py: the network ``weft init`` writes plus the
cluster, node group, database, cache, bucket and DNS) on a fresh local cloud, each command as
the CLI runs it, each with a session of its own so that its counter holds that command alone:
``plan`` on an empty account, ``up`` (connect, plan, then apply: fabric bucket, lock, re-plan
under the lock, executor, journal), a no-op ``plan``, and ``down``. Counts are exact (weft's
session counter); wall times are this machine's, without any latency model.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NETWORK = """\
name: demo
region: us-east-2
provider: local
network:
  cidr: 10.0.0.0/16
  zones: 3
  nat: single
  layout: private
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.demo_requests", description=__doc__)
    parser.add_argument("--by-call", action="store_true", help="list the requests per call")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "scripts"))
    import demo

    from weft.aws.account import available_zones, identity
    from weft.fabricfile import parse_fabric
    from weft.local import aws_server
    from weft.ops import apply, teardown
    from weft.ops.plan import destroy_plan, make_plan
    from weft.ops.run import Runner
    from weft.ops.target import Target, choose_zones, local_session

    directory = Path(tempfile.mkdtemp(prefix="weft-demo-requests-"))
    server = aws_server.start(directory)

    def target() -> Target:
        fabric = parse_fabric(NETWORK + demo.FULL_FABRIC, source="fabric.yaml")
        session = local_session(fabric.region, server.url)
        account, arn = identity(session)
        zones = choose_zones(fabric, available_zones(session))
        return Target(fabric, session, account, arn, tuple(zones), server.url)

    def command(name: str, run: Callable[[Target], Any]) -> None:
        start = time.perf_counter()
        t = target()
        summary = run(t)
        wall = time.perf_counter() - start
        snap = t.session.counter.snapshot()
        print(
            f"{name:<12} {snap['total']:4d} requests ({snap['reads']} reads, "
            f"{snap['writes']} writes)  {wall:5.2f} s  {summary}"
        )
        if args.by_call:
            for call, n in snap["by_call"].items():
                print(f"    {call} {n}")

    def up(t: Target) -> dict[str, int]:
        plan = make_plan(t)
        outcome = apply.up(Runner(t), plan)
        if not outcome.ok:
            raise SystemExit(f"up failed: {[str(r.error) for r in outcome.result.failed]}")
        return plan.counts()

    def down(t: Target) -> dict[str, int]:
        plan = destroy_plan(t)
        outcome = teardown.down(Runner(t), plan)
        if not outcome.ok:
            raise SystemExit(f"down failed: {[str(r.error) for r in outcome.result.failed]}")
        return plan.counts()

    try:
        command("plan", lambda t: make_plan(t).counts())
        command("up", up)
        command("plan (no-op)", lambda t: make_plan(t).counts())
        command("down", down)
    finally:
        aws_server.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
