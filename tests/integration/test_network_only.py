"""A network-only fabric (no cluster) gets no cluster, node, load balancer or data security
groups; adding a cluster later adds them. Walked through the CLI, as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import CLUSTER_VERSION
from .user import weft

pytestmark = pytest.mark.integration

NETWORK = (
    "name: netonly\nregion: us-east-2\nprovider: local\n"
    "network: {cidr: 10.43.0.0/16, zones: 2, nat: none, layout: public}\n"
)


def planned(workdir: Path) -> dict[str, str]:
    ran = weft("plan", "--json", cwd=workdir)
    assert ran.code == 0, ran.both
    return {c["address"]: c["action"] for c in json.loads(ran.out)["changes"]}


def test_a_network_only_fabric_has_no_security_groups_until_a_cluster_comes(
    tmp_path: Path, clean_cloud: str
) -> None:
    file = tmp_path / "fabric.yaml"
    file.write_text(NETWORK)
    shown = weft("plan", cwd=tmp_path)
    assert shown.code == 0 and "security_group" not in shown.out, shown.both
    assert not [a for a in planned(tmp_path) if a.startswith("security_group")]
    assert weft("up", "--yes", cwd=tmp_path).code == 0

    file.write_text(
        NETWORK + f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}\n'
    )
    changes = planned(tmp_path)
    for role in ("cluster", "nodes", "lb", "data"):
        assert changes.get(f"security_group.{role}") == "create", changes
    assert changes.get("security_group_rule.nodes-from-cluster") == "create", changes
    assert changes.get("vpc.main") == "no-op", changes

    file.write_text(NETWORK)
    assert weft("down", "--yes", cwd=tmp_path).code == 0
