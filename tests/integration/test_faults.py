"""Fault tolerance: up and down through a proxy that throttles 20% of calls and fails 5% (HTTP 500).

The proxy (weft.local.proxy) sits between weft and the local cloud and answers a seeded random
fifth of all calls with the service's own throttling error (``Throttling``,
``RequestLimitExceeded``, ``SlowDown``...) and a twentieth with an HTTP 500. The SDK retries a
call up to 3 times; what still fails reaches weft, which must absorb it: the executor retries the
step; discovery, the sweep, the lock, the journal and the leftover report are read or written
again (weft.ops.retrying). One ``up`` and one ``down``, not "run it until it works": each must
succeed at once. The fabric is the demo's network with a cluster, and the ``down`` must also
sweep what Kubernetes left in the VPC.
"""

from __future__ import annotations

import dataclasses

import pytest

from weft.core.executor import RetryPolicy
from weft.local.proxy import Faults, start_proxy
from weft.ops import apply, leftovers, teardown
from weft.ops.plan import destroy_plan, make_plan
from weft.ops.run import Runner
from weft.ops.target import Target, local_session
from weft.ops.teardown import TeardownOptions

from .helpers import cloud_counts, fabric_text, target_for
from .test_crash import counts_by_tag
from .test_teardown import CLUSTER, leave_kubernetes_resources, load_balancers

pytestmark = pytest.mark.integration

FAULTS = Faults(throttle=0.20, server_error=0.05)
RETRY = RetryPolicy(base=0.1, cap=1.0, deadline=120.0)


def through(target: Target, url: str) -> Target:
    return dataclasses.replace(target, session=local_session(target.region, url))


def test_up_and_down_converge_through_throttling_and_server_errors(clean_cloud):
    direct = target_for(fabric_text("faulty") + CLUSTER)
    with start_proxy(clean_cloud, faults=FAULTS, seed=7) as proxy:
        target = through(direct, proxy.url)
        outcome = apply.up(Runner(target, retry=RETRY), make_plan(target))
        assert outcome.ok, [str(r.error) for r in outcome.result.failed]
        assert not make_plan(target).has_changes
        counts = proxy.counts()
        assert counts.faults > 0.15 * counts.total  # the faults were there, in every service

        proxy.faults = None
        made = counts_by_tag(direct)
        assert made["ec2:vpc"] == 1 and made["ec2:subnet"] == 6 and made["eks:nodegroup"] == 1
        left = leave_kubernetes_resources(direct)
        proxy.faults = FAULTS
        proxy.reset_counts()

        options = TeardownOptions(delete_data=True)
        gone = teardown.down(Runner(target, retry=RETRY), destroy_plan(target), options)
        assert gone.ok, [str(r.error) for r in gone.result.failed]
        assert leftovers.find(target) == []
        counts = proxy.counts()
        assert counts.faults > 0.15 * counts.total
    assert cloud_counts(direct) == {}
    assert counts_by_tag(direct) == {}
    assert load_balancers(direct) == set()
    volumes = direct.session.client("ec2").describe_volumes()["Volumes"]
    assert left["volume"] not in {v["VolumeId"] for v in volumes}
