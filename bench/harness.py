"""The bench's local cloud: a fresh moto server on loopback with the counting proxy in front, and
the pieces that measure weft through it (targets, per-node call attribution, proxy overhead)."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from weft.aws.account import available_zones, identity
from weft.aws.session import AwsSession, RequestCounter
from weft.core.events import Event
from weft.fabricfile import Fabric
from weft.local import aws_server, moto_quotas
from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, LocalAws
from weft.local.proxy import Latency, Proxy, start_proxy
from weft.ops.plan import inventory
from weft.ops.target import Target, choose_zones, local_session

REPO = Path(__file__).resolve().parent.parent

#: botocore service ids (in weft's counter) whose SigV4 signing name (the proxy's) differs
_SERVICE_ID_TO_SIGNING = {
    "resource-groups-tagging-api": "tagging",
    "route-53": "route53",
    "elastic-load-balancing-v2": "elasticloadbalancing",
    "elastic-load-balancing": "elasticloadbalancing",
    "secrets-manager": "secretsmanager",
    "auto-scaling": "autoscaling",
    "cloudwatch-logs": "logs",
    "cloudwatch": "monitoring",
    "service-quotas": "servicequotas",
    "amp": "aps",
}


def call_key(service: str, operation: str) -> str:
    """A call counted by weft (botocore's service id) keyed as the proxy and the latency model
    key it: ``signing-name:Action``."""
    return f"{_SERVICE_ID_TO_SIGNING.get(service, service)}:{operation}"


@dataclass
class Cloud:
    """A moto server started for one scenario, and the proxy in front of it."""

    directory: Path
    moto: LocalAws
    proxy: Proxy

    @property
    def upstream(self) -> str:
        return self.moto.url

    def reset(self) -> None:
        """Empty the cloud (straight to moto: not counted), and grant again the quotas the
        scenarios need (a reset restores AWS's defaults)."""
        req = urllib.request.Request(f"{self.moto.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=30):
            pass
        grant_quotas(self.moto.url)

    def stop(self) -> None:
        self.proxy.stop()
        aws_server.stop(self.directory)
        shutil.rmtree(self.directory, ignore_errors=True)


#: Quotas the benchmark account has had raised, as a team would ask AWS to before building the
#: largest scenarios: a NAT gateway per zone in six zones needs six Elastic IPs (AWS's default
#: is five). Straight to the local cloud: not counted.
GRANTED_QUOTAS = {"L-0263D0A3": 20.0}
BENCH_REGIONS = ("us-east-1", "us-east-2")


def grant_quotas(url: str) -> None:
    for region in BENCH_REGIONS:
        for code, value in GRANTED_QUOTAS.items():
            moto_quotas.request_set(url, region, code, value)


def start_cloud() -> Cloud:
    directory = Path(tempfile.mkdtemp(prefix="weft-bench-"))
    moto = aws_server.start(directory)
    grant_quotas(moto.url)
    return Cloud(directory, moto, start_proxy(moto.url))


def target_for(fabric: Fabric, url: str) -> Target:
    """A target on the cloud at ``url`` (the proxy), as ``weft.ops.target.connect`` makes one."""
    session = local_session(fabric.region, url)
    account, arn = identity(session)
    zones = choose_zones(fabric, available_zones(session))
    return Target(fabric, session, account, arn, tuple(zones), url)


def warm(target: Target) -> None:
    """Read the whole fabric once, untimed: every client weft needs is created (botocore loads
    its service model) and moto initialises every backend it will touch, so that neither lands
    in a measured phase. A real ``weft`` process pays the first once per command."""
    inventory(target)


def weft_counts(counter: RequestCounter) -> dict[str, Any]:
    """weft's own count, keyed like the proxy's (``signing-name:Action``)."""
    snap = counter.snapshot()
    by_call: Counter[str] = Counter()
    for key, n in snap["by_call"].items():
        service, _, action = key.partition(":")
        by_call[f"{_SERVICE_ID_TO_SIGNING.get(service, service)}:{action}"] += n
    return {**snap, "by_call": dict(sorted(by_call.items()))}


class Attribution(RequestCounter):
    """A request counter that also files each call under the executor node making it.

    The executor runs a node's calls in the worker thread that emitted the node's ``started``
    event, so a thread-local "current node", set and cleared by the event sink, attributes them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._current = threading.local()
        self.by_node: dict[str, Counter[str]] = {}

    def add(self, service: str, operation: str) -> None:
        super().add(service, operation)
        node = getattr(self._current, "node", None)
        if node is not None:
            key = f"{_SERVICE_ID_TO_SIGNING.get(service, service)}:{operation}"
            with self._lock:
                self.by_node.setdefault(node, Counter())[key] += 1

    def on_event(self, event: Event) -> None:
        if event.type == "started":
            self._current.node = event.node
        elif event.type in ("done", "failed"):
            self._current.node = None


def attach_attribution(session: AwsSession) -> Attribution:
    counter = Attribution()
    session.counter = counter
    return counter


def node_weights(attribution: Attribution, latency: Latency) -> dict[str, float]:
    """Each node's modelled time: the sum over its calls of round trip + provisioning delay."""
    return {
        node: sum(latency.cost(key) * n for key, n in calls.items())
        for node, calls in attribution.by_node.items()
    }


@dataclass
class Overhead:
    direct_ms: float
    proxied_ms: float
    calls: int
    samples: list[tuple[float, float]] = field(default_factory=list)

    @property
    def overhead_ms(self) -> float:
        return self.proxied_ms - self.direct_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "call": "ec2:DescribeAvailabilityZones",
            "calls_each": self.calls,
            "direct_median_ms": round(self.direct_ms, 2),
            "proxied_median_ms": round(self.proxied_ms, 2),
            "overhead_ms": round(self.overhead_ms, 2),
        }


def measure_overhead(cloud: Cloud, rounds: int = 6, per_round: int = 20) -> Overhead:
    """Median per-call time of one cheap call, direct to moto and through the proxy (no delays),
    interleaved in rounds so that the machine's background load hits both alike."""
    session = boto3.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name="us-east-2",
    )
    cfg = Config(retries={"total_max_attempts": 1})
    direct = session.client("ec2", endpoint_url=cloud.upstream, config=cfg)
    proxied = session.client("ec2", endpoint_url=cloud.proxy.url, config=cfg)
    latency, cloud.proxy.latency = cloud.proxy.latency, None
    direct.describe_availability_zones()
    proxied.describe_availability_zones()
    d_times: list[float] = []
    p_times: list[float] = []
    try:
        for _ in range(rounds):
            for client, times in ((direct, d_times), (proxied, p_times)):
                for _ in range(per_round):
                    start = time.perf_counter()
                    client.describe_availability_zones()
                    times.append(time.perf_counter() - start)
    finally:
        cloud.proxy.latency = latency
    return Overhead(
        statistics.median(d_times) * 1000, statistics.median(p_times) * 1000, rounds * per_round
    )


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    import botocore
    import moto

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "moto": moto.__version__,
        "botocore": botocore.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "load_average_at_start": [round(x, 2) for x in load],
    }
