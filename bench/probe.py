"""One ``weft plan`` in a process of its own, for its wall time and peak memory.

``python -m bench.probe SCENARIO URL [--change]`` prints one JSON object: the time to read the
cloud and plan (``plan_wall``), the requests that took (weft's own counter), the plan's summary,
and the process's peak RSS. The cloud at URL (the bench's proxy) must already hold the fabric.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

START = time.perf_counter()

REPO = Path(__file__).resolve().parent.parent


def _status_mb(field: str) -> float | None:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mb() -> float:
    return _status_mb("VmRSS") or 0.0


def _peak_rss_mb() -> float:
    """This process's peak resident set size.

    ``VmHWM`` is the high-water mark of this process's own memory. ``ru_maxrss`` is not: Linux
    carries it over from the parent through fork and exec, so a probe started by a runner that
    holds 200 MB would report at least 200 MB whatever the plan used.
    """
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(REPO))
    from bench.fabrics import SCENARIOS, patched
    from bench.harness import attach_attribution, target_for, weft_counts
    from weft.ops.plan import make_plan

    name, url = argv[0], argv[1]
    change = "--change" in argv
    scenario = SCENARIOS[name]
    imported = time.perf_counter()
    target = target_for(scenario.fabric(), url)
    connect_requests = weft_counts(target.session.counter)
    counter = attach_attribution(target.session)
    connected = time.perf_counter()
    rss_before = _rss_mb()
    with patched(scenario, change=change):
        plan = make_plan(target)
        done = time.perf_counter()
        # again, with every client already made: the cost of reading and planning alone
        warm_counter = attach_attribution(target.session)
        warm_start = time.perf_counter()
        again = make_plan(target)
        warm_wall = time.perf_counter() - warm_start
    assert again.counts() == plan.counts()
    peak = _peak_rss_mb()
    print(
        json.dumps(
            {
                "plan_wall": done - connected,
                "warm_plan_wall": warm_wall,
                "warm_requests": weft_counts(warm_counter),
                "connect_wall": connected - imported,
                "import_wall": imported - START,
                "process_wall": done - START,  # through the first plan
                "summary": plan.counts(),
                "changed": [c.address for c in plan.actionable],
                "requests": weft_counts(counter),
                "connect_requests": connect_requests,
                "rss_before_plan_mb": round(rss_before, 1),
                "peak_rss_mb": round(peak, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
