"""A fabric whose pods weft runs itself get their roles through EKS Pod Identity
(``cluster.pod_identity: true``): ``up`` makes the agent add-on and the controller's
association, ``deploy`` installs the controller with no IRSA annotation, and the load-balancer
simulator acts with the role the association gives it; an association changed or deleted
outside weft is planned back; ``down`` leaves nothing."""

from __future__ import annotations

import json

import pytest

from weft.core.plan import Action
from weft.kube import lb_controller as lbc
from weft.local.kube.control_plane import KubeEndpoint
from weft.ops import leftovers
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import deploy
from weft.ops.apps.teardown import teardown as kubernetes_teardown
from weft.ops.plan import inventory, make_plan

from .helpers import CLUSTER_VERSION, down, target_for, up, up_delegated

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FABRIC = f"""\
name: appspodid
region: us-east-2
provider: local
network: {{cidr: 10.61.0.0/16, zones: 2, nat: single, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24], pod_identity: true}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 1, max: 3, desired: 2}}
dns: {{domain: podid.example.com}}
apps:
  - name: api
    image: registry.example.com/acme/api
    version: "2.0.0"
    replicas: 1
    port: 9000
    load_balancer: true
"""


def test_the_controller_serves_through_its_pod_identity_role(
    moto_url: str, kube_api: KubeEndpoint
) -> None:
    target = target_for(FABRIC)
    assert up_delegated(target, moto_url).ok
    found = inventory(target).by_address
    association = found["eks_pod_identity_association.lb-controller"]
    assert association.props["namespace"] == lbc.NAMESPACE
    assert association.props["service_account"] == lbc.NAME
    assert association.props["role_arn"] == found["iam_role.lb-controller"].outputs["arn"]
    assert "eks_addon.eks-pod-identity-agent" in found
    conn = Connection(target)
    try:
        result = deploy(conn, timeout=120, grace=3)
        assert result.ok, [o.problems for o in result.outcomes]
        account = conn.kube.get("v1", "ServiceAccount", lbc.NAME, lbc.NAMESPACE)
        assert account is not None
        annotations = (account.get("metadata") or {}).get("annotations") or {}
        assert lbc.ROLE_ARN_ANNOTATION not in annotations
        service = conn.kube.get("v1", "Service", "api", "appspodid")
        assert service is not None
        assert service["status"]["loadBalancer"]["ingress"][0]["hostname"]
        assert kubernetes_teardown(conn, ["appspodid"], timeout=120).ok
    finally:
        conn.close()
    assert down(target).ok
    assert leftovers.find(target) == []


def test_an_association_changed_or_deleted_outside_weft_is_planned_back(
    moto_url: str, kube_api: KubeEndpoint
) -> None:
    text = FABRIC.replace("appspodid", "podidrift").split("apps:")[0]
    text = text.replace("10.61.0.0/16", "10.62.0.0/16").replace("podid.example", "drift.example")
    target = target_for(text.split("dns:")[0])
    assert up(target).ok
    found = inventory(target).by_address
    address = "eks_pod_identity_association.lb-controller"
    association, role = found[address], found["iam_role.lb-controller"].outputs["arn"]
    eks, iam = target.session.client("eks"), target.session.client("iam")
    other = iam.create_role(
        RoleName="podidrift-other",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "pods.eks.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    cluster = association.props["cluster_name"]
    the_id = association.outputs["association_id"]
    eks.update_pod_identity_association(clusterName=cluster, associationId=the_id, roleArn=other)

    drifted = {c.address: c for c in make_plan(target).actionable}
    assert drifted[address].action is Action.UPDATE
    assert [d.field for d in drifted[address].diffs] == ["role_arn"]
    assert up(target).ok
    described = eks.describe_pod_identity_association(clusterName=cluster, associationId=the_id)
    assert described["association"]["roleArn"] == role

    eks.delete_pod_identity_association(clusterName=cluster, associationId=the_id)
    gone = {c.address: c.action for c in make_plan(target).actionable}
    assert gone == {address: Action.CREATE}
    assert up(target).ok
    assert not make_plan(target).has_changes
    assert down(target).ok
    iam.delete_role(RoleName="podidrift-other")
    assert leftovers.find(target) == []
