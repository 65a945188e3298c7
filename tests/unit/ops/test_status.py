"""``weft status`` rows: desired resources present or missing, then what the file does not name."""

from __future__ import annotations

from weft.aws.inventory import build
from weft.core.resource import Observed, Resource
from weft.ops.status import StatusRow, endpoint, rows


def test_endpoints_name_the_port_once() -> None:
    assert endpoint(Observed("vpc", "main", "vpc-1")) is None
    db = Observed("db_instance", "main", "db-1", outputs={"endpoint": "db.example", "port": 5432})
    assert endpoint(db) == "db.example:5432"
    cache = Observed(
        "cache_replication_group", "s", "c-1", outputs={"endpoint": "c.example:6379", "port": 6379}
    )
    assert endpoint(cache) == "c.example:6379"
    cluster = Observed("eks_cluster", "main", "demo", outputs={"endpoint": "https://k.example"})
    assert endpoint(cluster) == "https://k.example"


def test_rows_list_the_file_s_resources_then_strays_and_duplicates() -> None:
    desired = [
        Resource("vpc", "main", {}),
        Resource("subnet", "a", {}),
        Resource("db_instance", "main", {}),
    ]
    inv = build(
        [
            Observed("vpc", "main", "vpc-1", state="available"),
            Observed("vpc", "main", "vpc-2"),
            Observed("db_instance", "main", "db-1", outputs={"endpoint": "db", "port": 5432}),
            Observed("subnet", "old", "subnet-9"),
        ]
    )
    found = rows(desired, inv)
    assert found[:3] == [
        StatusRow("vpc.main", "vpc", "vpc-1", "available"),
        StatusRow("subnet.a", "subnet", None, "absent", "not created yet"),
        StatusRow("db_instance.main", "db_instance", "db-1", "ok", "", "db:5432"),
    ]
    assert {(r.address, r.note) for r in found[3:]} == {
        ("subnet.old", "not in the fabric file"),
        ("vpc.main#2", "a duplicate"),
    }
    assert found[2].to_dict() == {
        "address": "db_instance.main",
        "kind": "db_instance",
        "id": "db-1",
        "state": "ok",
        "endpoint": "db:5432",
        "note": "",
    }


def test_the_alarm_topic_row_names_the_addresses_not_yet_confirmed() -> None:
    desired = [Resource("sns_topic", "alarms", {})]
    topic = Observed(
        "sns_topic", "alarms", "arn:t", outputs={"arn": "arn:t", "pending": ["a@example.com"]}
    )
    (row,) = rows(desired, build([topic]))
    assert "1 e-mail subscription(s) pending confirmation: a@example.com" in row.note
    confirmed = Observed("sns_topic", "alarms", "arn:t", outputs={"arn": "arn:t", "pending": []})
    (row,) = rows(desired, build([confirmed]))
    assert row.note == ""
