"""A cluster replaced together with its node groups, walked through the CLI: planned in order
(the node groups go before the old cluster and come back after the new one), refused with
`--yes` alone, and done with `--confirm NAME`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import CLUSTER_VERSION
from .user import weft

pytestmark = pytest.mark.integration

FABRIC = (
    "name: rep\nregion: us-east-2\nprovider: local\n"
    "network: {cidr: 10.46.0.0/16, zones: 2, nat: none, layout: public}\n"
    f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24],'
    " encrypt_secrets: false}\n"
    "nodegroups: [{name: general, instance_types: [m6i.large], min: 1, max: 2}]\n"
)


def test_a_cluster_and_its_node_group_replaced_together(tmp_path: Path, clean_cloud: str) -> None:
    file = tmp_path / "fabric.yaml"
    file.write_text(FABRIC)
    assert weft("up", "--yes", cwd=tmp_path).code == 0
    # envelope encryption of secrets: weft makes a new cluster for it, and so new node groups
    file.write_text(FABRIC.replace("encrypt_secrets: false", "encrypt_secrets: true"))
    plan = weft("plan", cwd=tmp_path)
    assert plan.code == 0, plan.both
    assert "cannot order" not in plan.both
    doc = json.loads(weft("plan", "--json", cwd=tmp_path).out)
    actions = {c["address"]: c for c in doc["changes"]}
    assert actions["eks_cluster.main"]["action"] == "replace"
    group = next(c for a, c in actions.items() if a.startswith("eks_nodegroup."))
    assert group["action"] in ("replace", "create"), group
    if group["action"] == "replace":
        assert group["delete_first"] and "deleted first" in group["reason"], group

    refused = weft("up", "--yes", cwd=tmp_path)
    assert refused.code == 1 and "--confirm rep" in refused.err, refused.both
    done = weft("up", "--yes", "--confirm", "rep", cwd=tmp_path)
    assert done.code == 0, done.both
    again = json.loads(weft("plan", "--json", cwd=tmp_path).out)
    assert [c["address"] for c in again["changes"] if c["action"] != "no-op"] == []
    assert weft("down", "--yes", cwd=tmp_path).code == 0
