"""The whole fabric (network, EKS, database, cache, bucket, DNS, certificate) against the local
cloud: up, a plan with nothing to do, a node group scaled in place, a node group replaced
create-then-delete, and a teardown that leaves nothing but the database's final snapshot."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

from weft.core.events import Event
from weft.core.executor import DELETE_SUFFIX
from weft.core.plan import Action
from weft.local import parent_zones
from weft.model.tags import RETAINED_TAG
from weft.ops import apply, leftovers
from weft.ops.plan import inventory, make_plan
from weft.ops.run import Runner
from weft.ops.target import Target

from .helpers import CLUSTER_VERSION, FAST_RETRY, cloud_counts, down, target_for, up

pytestmark = pytest.mark.integration

FABRIC = "full"
NODEGROUP = "eks_nodegroup.general"


def full_fabric(*, desired: int = 3, instance_type: str = "m6i.large") -> str:
    return f"""\
name: {FABRIC}
region: us-east-2
provider: local
network:
  cidr: 10.40.0.0/16
  zones: 3
  nat: single
  layout: private
cluster:
  version: "{CLUSTER_VERSION}"
  endpoint: both
  api_cidrs: ["203.0.113.0/24"]
nodegroups:
  - name: general
    instance_types: [{instance_type}]
    min: 2
    max: 5
    desired: {desired}
databases:
  - name: main
    engine_version: "16.3"
    instance_class: db.t4g.medium
caches:
  - name: sessions
    engine_version: "7.1"
    node_type: cache.t4g.small
buckets:
  - name: uploads
dns:
  domain: full.example.com
"""


#: The network's resources, counted straight from EC2.
EXPECTED_NETWORK = {
    "vpc": 1,
    "subnet": 6,
    "internet_gateway": 1,
    "route_table": 4,
    "security_group": 4,
    "eip": 1,
    "nat_gateway": 1,
}

#: Every resource of the fabric above, per kind.
EXPECTED_KINDS = {
    "fabric_bucket": 1,
    "kms_key": 1,
    "vpc": 1,
    "internet_gateway": 1,
    "subnet": 6,
    "route_table": 4,
    "eip": 1,
    "nat_gateway": 1,
    "security_group": 4,
    "security_group_rule": 11,
    "launch_template": 1,
    "iam_role": 7,  # cluster, nodes, ebs-csi, vpc-cni, lb-controller, fluent-bit, autoscaler
    "log_group": 2,  # the control plane's, the containers'
    "eks_cluster": 1,
    "oidc_provider": 1,
    "eks_nodegroup": 1,
    "eks_addon": 6,  # with metrics-server and fluent-bit
    "db_subnet_group": 1,
    "db_instance": 1,
    "cache_subnet_group": 1,
    "cache_replication_group": 1,
    "bucket": 1,
    "hosted_zone": 1,
    "acm_certificate": 1,
    "dns_record": 1,
    "certificate_validation": 1,
    "dashboard": 1,
}


def nodegroups(target: Target, cluster: str) -> dict[str, dict[str, Any]]:
    """The cluster's node groups straight from EKS (not through weft), by name."""
    eks = target.session.client("eks")
    return {
        name: eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        for name in eks.list_nodegroups(clusterName=cluster)["nodegroups"]
    }


def independent_leftovers(target: Target) -> list[str]:
    """What the fabric could have left, read with plain boto3 per service (not through weft),
    including the kinds the tagging API does not return (EKS, IAM, Route 53)."""
    s = target.session.client
    left: list[str] = [f"eks cluster {c}" for c in s("eks").list_clusters()["clusters"]]
    left += [
        f"iam role {r['RoleName']}"
        for r in s("iam").list_roles()["Roles"]
        if FABRIC in r["RoleName"]
    ]
    left += [
        f"oidc provider {p['Arn']}"
        for p in s("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    ]
    left += [
        f"hosted zone {z['Name']}"
        for z in s("route53").list_hosted_zones()["HostedZones"]
        if z.get("Config", {}).get("Comment") != parent_zones.PARENT_COMMENT  # the local cloud's
    ]
    left += [
        f"certificate {c['DomainName']}"
        for c in s("acm").list_certificates()["CertificateSummaryList"]
    ]
    left += [
        f"db instance {d['DBInstanceIdentifier']}"
        for d in s("rds").describe_db_instances()["DBInstances"]
    ]
    left += [
        f"db subnet group {g['DBSubnetGroupName']}"
        for g in s("rds").describe_db_subnet_groups()["DBSubnetGroups"]
    ]
    left += [
        f"replication group {g['ReplicationGroupId']}"
        for g in s("elasticache").describe_replication_groups()["ReplicationGroups"]
    ]
    left += [
        f"cache subnet group {g['CacheSubnetGroupName']}"
        for g in s("elasticache").describe_cache_subnet_groups()["CacheSubnetGroups"]
        if g["CacheSubnetGroupName"] != "default"
    ]
    left += [f"bucket {b['Name']}" for b in s("s3").list_buckets()["Buckets"]]
    left += [
        f"launch template {t['LaunchTemplateName']}"
        for t in s("ec2").describe_launch_templates()["LaunchTemplates"]
    ]
    left += [f"{kind} x{n}" for kind, n in cloud_counts(target).items()]
    return left


class Recorder:
    """Events in the order the executor emitted them (from its worker threads)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def index(self, type_: str, node: str) -> int:
        return next(i for i, e in enumerate(self.events) if e.type == type_ and e.node == node)


def test_full_fabric_up_change_and_down(clean_cloud: str) -> None:
    target = target_for(full_fabric())
    first = make_plan(target)
    assert Counter(c.kind for c in first.changes) == EXPECTED_KINDS
    assert all(c.action is Action.CREATE for c in first.changes)

    # up: everything but the certificate, which waits for the new zone's delegation; once the
    # domain is delegated (as a registrar would), the next up finishes it
    outcome = up(target)
    assert outcome.ok, [str(r.error) for r in outcome.result.failed]
    assert {r.node for r in outcome.result.waiting} == {
        "acm_certificate.wildcard",
        "dns_record.cert-validation",
        "certificate_validation.wildcard",
    }
    assert outcome.dns is not None and outcome.dns["delegation"] == "not delegated"
    parent_zones.delegate(clean_cloud, "full.example.com")
    outcome = up(target)
    assert outcome.ok, [str(r.error) for r in outcome.result.failed]
    assert not outcome.result.waiting and len(outcome.result.done) == 3
    assert outcome.dns is not None and outcome.dns["delegation"] == "delegated"
    inv = inventory(target)
    assert Counter(o.kind for o in inv.by_address.values()) == EXPECTED_KINDS
    assert inv.duplicates == []
    assert cloud_counts(target) == EXPECTED_NETWORK
    reader = target_for(full_fabric())  # a session of its own: its counter holds the plan only
    before = reader.session.counter.snapshot()["by_call"]
    again = make_plan(reader)
    assert not again.has_changes, [(c.address, c.diffs) for c in again.actionable]
    calls = Counter(reader.session.counter.snapshot()["by_call"])
    calls.subtract(before)
    assert reader.session.counter.writes == 0
    # reads several drivers need are made once: the EKS drivers share the clusters, the
    # certificate and its validation the certificates, the zone and its records the zones
    shared = ("eks:ListClusters", "eks:DescribeCluster", "acm:ListCertificates")
    assert {k: calls[k] for k in shared} == dict.fromkeys(shared, 1)
    assert calls["acm:ListTagsForCertificate"] == calls["acm:DescribeCertificate"] == 1
    assert calls["route-53:ListHostedZones"] == calls["route-53:ListTagsForResources"] == 1
    # listings, not one read per resource: one DescribeAddonVersions for the cluster's version
    # (not one per add-on), one tagging API listing for the KMS key and the buckets, one alarm
    # listing for the fabric's and the apps' alarms, one record listing for the fabric's and
    # the apps' records
    assert calls["eks:DescribeAddonVersions"] == 1
    assert calls["route-53:ListResourceRecordSets"] == 1
    assert calls["resource-groups-tagging-api:GetResources"] == 1
    assert calls["cloudwatch:DescribeAlarms"] == 1

    cluster = inv.by_address["eks_cluster.main"].id
    group = inv.by_address[NODEGROUP].id
    assert list(nodegroups(target, cluster)) == [group]

    # a scaling change: one in-place update of the node group, nothing else
    scaled = target_for(full_fabric(desired=4))
    p = make_plan(scaled)
    assert [(c.address, c.action) for c in p.actionable] == [(NODEGROUP, Action.UPDATE)]
    assert [d.field for d in p.change(NODEGROUP).diffs] == ["scaling"]
    log = Recorder()
    outcome = apply.up(Runner(scaled, retry=FAST_RETRY, on_event=log), p)
    assert outcome.ok, [str(r.error) for r in outcome.result.failed]
    assert [(e.node, e.action) for e in log.events if e.type == "done"] == [(NODEGROUP, "update")]
    live = nodegroups(target, cluster)
    assert list(live) == [group]  # the same group, changed in place
    assert live[group]["scalingConfig"] == {"minSize": 2, "maxSize": 5, "desiredSize": 4}
    assert not make_plan(scaled).has_changes

    # an instance-type change: a new group stands up next to the old one, then the old one goes
    bigger = target_for(full_fabric(desired=4, instance_type="m6i.xlarge"))
    p = make_plan(bigger)
    assert [(c.address, c.action) for c in p.actionable] == [(NODEGROUP, Action.REPLACE)]
    assert "instance_types" in {d.field for d in p.change(NODEGROUP).diffs}
    seen_at_delete: dict[str, dict[str, Any]] = {}

    def watch(event: Event) -> None:
        log(event)
        if event.type == "started" and event.node == NODEGROUP + DELETE_SUFFIX:
            seen_at_delete.update(nodegroups(target, cluster))

    log = Recorder()
    outcome = apply.up(Runner(bigger, retry=FAST_RETRY, on_event=watch), p)
    assert outcome.ok, [str(r.error) for r in outcome.result.failed]
    assert log.index("done", NODEGROUP) < log.index("started", NODEGROUP + DELETE_SUFFIX)
    new_group = inventory(bigger).by_address[NODEGROUP].id
    assert new_group != group
    # when the old group's delete began, both groups stood, the new one ACTIVE
    assert set(seen_at_delete) == {group, new_group}
    assert seen_at_delete[new_group]["status"] == "ACTIVE"
    assert seen_at_delete[new_group]["instanceTypes"] == ["m6i.xlarge"]
    live = nodegroups(target, cluster)
    assert list(live) == [new_group]
    assert live[new_group]["scalingConfig"]["desiredSize"] == 4
    assert not make_plan(bigger).has_changes

    # down: nothing is left but the database's final snapshot and the fabric key it is
    # encrypted with (kept, tagged retained, so the snapshot stays restorable), both reported
    # as kept by design
    gone = down(bigger)
    assert gone.ok, [str(r.error) for r in gone.result.failed]
    remaining = inventory(bigger).by_address
    assert list(remaining) == ["kms_key.fabric"]
    assert RETAINED_TAG in remaining["kms_key.fabric"].props["tags"]
    assert leftovers.find(bigger) == []
    kept = sorted(k.kind for k in leftovers.find(bigger, include_intended=True))
    assert kept == ["kms_key", "rds snapshot"]  # the key, kept (not pending deletion)
    assert all(k.intended for k in leftovers.find(bigger, include_intended=True))
    assert independent_leftovers(bigger) == []
    snapshots = target.session.client("rds").describe_db_snapshots()["DBSnapshots"]
    assert [s["DBInstanceIdentifier"] for s in snapshots] == [inv.by_address["db_instance.main"].id]


def test_full_fabric_down_of_a_partial_up(clean_cloud: str) -> None:
    """A run stopped half-way leaves a partial fabric; down still removes all of it."""
    target = target_for(full_fabric())
    log = Recorder()
    runner = Runner(target, retry=FAST_RETRY, max_workers=4)

    def stop_after_20(event: Event) -> None:
        log(event)
        if event.type == "done" and sum(e.type == "done" for e in log.events) >= 20:
            runner.cancel.set()

    runner.on_event = stop_after_20
    first = apply.up(runner, make_plan(target))
    assert not first.ok and first.result.cancelled
    assert 0 < len(inventory(target)) < sum(EXPECTED_KINDS.values())
    # A certificate requested before the stop is issued a second later (the local cloud's ACM
    # validation wait), which makes its validation appear: a down planned before that would be
    # refused as stale (rightly: the cloud changed). Let it settle first.
    acm = target.session.client("acm")
    for _ in range(100):
        arns = [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]]
        states = {acm.describe_certificate(CertificateArn=a)["Certificate"]["Status"] for a in arns}
        if "PENDING_VALIDATION" not in states:
            break
        time.sleep(0.1)
    gone = down(target)
    assert gone.ok, [str(r.error) for r in gone.result.failed]
    assert leftovers.find(target) == []
    assert independent_leftovers(target) == []
