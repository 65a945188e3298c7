"""Load balancers and the AWS Load Balancer Controller over a fabric's whole life, each test
with a fabric of its own (the local API server is shared by every fabric: one controller at a
time, as one per cluster on EKS).
"""

from __future__ import annotations

import pytest

from weft.aws import secrets
from weft.kube import lb_controller as lbc
from weft.local.kube.control_plane import KubeEndpoint
from weft.ops import leftovers, teardown
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import deploy
from weft.ops.apps.teardown import teardown as kubernetes_teardown
from weft.ops.plan import destroy_plan
from weft.ops.run import Runner

from .helpers import FAST_RETRY, down, up, up_delegated
from .test_apps import BASE, DOMAIN, FABRIC, apps_section, target_of

pytestmark = [pytest.mark.integration, pytest.mark.k8s]


def test_a_cluster_without_the_controller_fails_the_deploy_saying_nothing_answered(
    moto_url: str, kube_api: KubeEndpoint
) -> None:
    """A cluster with neither node groups nor Fargate gets no controller: nothing makes the
    load balancer (no event at all, as on EKS), and deploy fails saying so and what to do."""
    bare = BASE.replace(FABRIC, "appsbare").replace(DOMAIN, "bare.example.com")
    bare = bare.split("nodegroups:")[0] + "dns: {domain: bare.example.com}\n"
    text = (
        bare
        + """\
apps:
  - name: api
    image: registry.example.com/acme/api
    version: "2.0.0"
    replicas: 1
    port: 9000
    load_balancer: true
"""
    )
    target = target_of(text)
    assert up(target).ok
    conn = Connection(target)
    try:
        assert conn.kube.get("apps/v1", "Deployment", lbc.NAME, lbc.NAMESPACE) is None
        result = deploy(conn, timeout=120, grace=3, lb_timeout=5)
        assert not result.ok
        (outcome,) = result.outcomes
        assert outcome.outcome == "deployed" and outcome.no_load_balancer
        problem = outcome.problems[-1]
        assert "no load balancer for Service appsbare/api" in problem
        assert "no event from any controller" in problem
        assert "kubectl -n kube-system get deployment aws-load-balancer-controller" in problem
        assert kubernetes_teardown(conn, ["appsbare"], timeout=60).ok
    finally:
        conn.close()
    assert down(target).ok


def test_down_removes_the_apps_load_balancers_first(moto_url: str, kube_api: KubeEndpoint) -> None:
    other = "down.example.com"
    text = (BASE + apps_section(api=True, report=False)).replace(FABRIC, "appsdown")
    text = text.replace(DOMAIN, other)
    target = target_of(text)
    assert up_delegated(target, moto_url).ok
    secrets.put_secret(target.context(), "api-key", "another-secret-value")
    runner = Connection(target)
    assert deploy(runner, timeout=120, grace=3).ok
    cluster = runner.cluster().id
    runner.close()

    def controller_lbs() -> list[str]:
        elbv2 = target.session.client("elbv2")
        arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
        tags = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"] if arns else []
        return [
            t["ResourceArn"]
            for t in tags
            if {"Key": "elbv2.k8s.aws/cluster", "Value": cluster} in t["Tags"]
        ]

    assert len(controller_lbs()) == 2  # the ingress's ALB and the api's NLB
    phases: list[str] = []
    outcome = teardown.down(
        Runner(
            target, retry=FAST_RETRY, on_event=lambda e: phases.append(f"{e.node}: {e.message}")
        ),
        destroy_plan(target),
    )
    assert outcome.ok
    kube_lines = [p for p in phases if p.startswith("kubernetes:")]
    assert any("objects and records deleted" in p for p in kube_lines), kube_lines
    assert controller_lbs() == []
    # the controller goes after its load balancers
    assert any("AWS Load Balancer Controller removed" in p for p in kube_lines), kube_lines
    assert leftovers.find(target) == []
