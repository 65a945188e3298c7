"""What each reading of the leftover report means: the pure half of weft.ops.leftovers."""

from __future__ import annotations

from weft.aws.remains import Instance
from weft.core.resource import Observed
from weft.ops.leftovers import (
    Leftover,
    discovered,
    elastic_ips,
    instances,
    kept_journal,
    log_groups,
    mentions,
    scanned,
    tagged,
)

ACCOUNT = "arn:aws:{service}:us-east-2:123456789012:{resource}"


def arn(service: str, resource: str) -> str:
    return ACCOUNT.format(service=service, resource=resource)


def never(_: str) -> bool:
    raise AssertionError("not to be asked")


def test_the_journal_is_kept_when_the_last_run_was_a_successful_down() -> None:
    assert kept_journal([{"command": "down", "ok": True}, {"command": "up", "ok": True}])
    assert not kept_journal([{"command": "down", "ok": False}])
    assert not kept_journal([{"command": "up", "ok": True}])
    assert not kept_journal([])


def test_what_discovery_finds_is_left_unless_it_is_the_kept_journal() -> None:
    asked: list[bool] = []

    def journal_kept() -> bool:
        asked.append(True)
        return True

    vpc = Observed("vpc", "main", "vpc-1")
    bucket = Observed("fabric_bucket", "fabric", "weft-demo-bucket")
    assert discovered([vpc], journal_kept) == [
        Leftover("vpc", "vpc-1", "still present (weft discovery)")
    ]
    assert asked == []  # the journal is read only when the bucket is there
    assert discovered([bucket], journal_kept) == [
        Leftover(
            "fabric_bucket",
            "weft-demo-bucket",
            "the fabric's journal, kept by down --keep-journal",
            True,
        )
    ]
    assert discovered([bucket], lambda: False)[0].intended is False


def test_a_scan_says_why_and_the_state_unless_it_is_plain() -> None:
    found = scanned(
        [
            Observed("ebs_volume", "vol-1", "vol-1", {"why": "tagged x"}, state="in-use"),
            Observed("elbv2_load_balancer", "lb", "arn:lb", {"why": "tagged y"}),
            Observed("ec2_security_group", "sg", "sg-1", state=""),
        ]
    )
    assert [item.why for item in found] == [
        "in-use, tagged x (scan)",
        "tagged y (scan)",
        "tagged for the fabric (scan)",
    ]
    assert [item.kind for item in found] == [
        "ebs_volume",
        "elbv2_load_balancer",
        "ec2_security_group",
    ]


def test_instances_addresses_and_log_groups() -> None:
    assert instances([Instance("i-1", "running")]) == [
        Leftover("ec2 instance", "i-1", "running, tagged for the fabric or its cluster")
    ]
    assert elastic_ips(["eipalloc-1"]) == [
        Leftover("elastic ip", "eipalloc-1", "still allocated, tagged for the fabric")
    ]
    (logs,) = log_groups(["/aws/eks/demo/cluster"])
    assert logs.intended
    assert logs.why.endswith("aws logs delete-log-group --log-group-name /aws/eks/demo/cluster")


def test_an_arn_another_reading_found_is_not_listed_twice() -> None:
    assert mentions(arn("ec2", "vpc/vpc-1"), {"vpc-1"})
    assert mentions("arn:x", {"arn:x"})
    assert mentions(arn("rds", "db:main"), {"main"})
    assert not mentions(arn("ec2", "vpc/vpc-12"), {"vpc-1"})
    assert tagged(arn("ec2", "vpc/vpc-1"), {"vpc-1"}, kms_pending=never, nat_gone=never) is None


def test_a_final_snapshot_and_a_key_waiting_for_deletion_are_kept_by_design() -> None:
    snapshot = tagged(arn("rds", "snapshot:demo-final"), set(), kms_pending=never, nat_gone=never)
    assert snapshot == Leftover(
        "rds snapshot",
        arn("rds", "snapshot:demo-final"),
        "final snapshot of a database, kept",
        True,
    )
    key = arn("kms", "key/k-1")
    pending = tagged(key, set(), kms_pending=lambda a: a == key, nat_gone=never)
    assert pending is not None and pending.intended and pending.kind == "kms key"
    enabled = tagged(key, set(), kms_pending=lambda _a: False, nat_gone=never)
    assert enabled == Leftover(
        "kms", key, "still tagged for the fabric or its cluster (tagging API)"
    )


def test_a_nat_gateway_already_gone_is_not_left() -> None:
    nat = arn("ec2", "natgateway/nat-1")
    asked: list[str] = []

    def gone(nat_id: str) -> bool:
        asked.append(nat_id)
        return True

    assert tagged(nat, set(), kms_pending=never, nat_gone=gone) is None
    assert asked == ["nat-1"]
    left = tagged(nat, set(), kms_pending=never, nat_gone=lambda _n: False)
    assert left is not None and left.kind == "ec2" and not left.intended


def test_a_terminated_instance_the_tagging_api_still_lists_is_not_left() -> None:
    # live instances are read (and reported) by their own reading; what else the tagging API
    # lists of EC2 instances is terminated
    node = arn("ec2", "instance/i-0abc")
    assert tagged(node, set(), kms_pending=never, nat_gone=never) is None


def test_an_arn_of_unknown_shape_is_still_reported() -> None:
    assert tagged("not-an-arn", set(), kms_pending=never, nat_gone=never) == Leftover(
        "?", "not-an-arn", "still tagged for the fabric or its cluster (tagging API)"
    )


def test_a_key_kept_for_final_snapshots_is_left_on_purpose() -> None:
    kept = Observed(
        "kms_key", "fabric", "key-1", {"tags": {"weft:retained": "rds:weft-demo-main-final-1"}}
    )
    assert discovered([kept], lambda: False) == [
        Leftover(
            "kms_key", "key-1", "kept: the final snapshots rds:weft-demo-main-final-1 need it", True
        )
    ]
    plain = Observed("kms_key", "fabric", "key-2", {"tags": {}})
    assert discovered([plain], lambda: False)[0].intended is False
