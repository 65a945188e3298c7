"""`weft graph`, run as a user runs it: the fabric's dependency graph, coloured by what `weft up`
would do, as Mermaid, DOT or SVG (Graphviz's dot when installed)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from weft.ops.graph import COLOURS

from .user import environment, weft

pytestmark = pytest.mark.integration

FABRIC = (
    "name: drawn\nregion: us-east-2\nprovider: local\n"
    "network: {cidr: 10.44.0.0/16, zones: 2, nat: none, layout: public}\n"
    "buckets: [{name: uploads}]\n"
)


def _without_dot() -> dict[str, str]:
    """This session's environment, with no Graphviz on the PATH."""
    path = [p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "dot").exists()]
    return environment(120, PATH=os.pathsep.join(path))


def test_graph_draws_the_fabric_coloured_by_plan_action(tmp_path: Path, clean_cloud: str) -> None:
    (tmp_path / "fabric.yaml").write_text(FABRIC)
    plain = _without_dot()

    # nothing made yet: every resource new (green), arrows from what is needed
    ran = weft("graph", cwd=tmp_path, env=plain)
    assert ran.code == 0, ran.both
    assert ran.out.startswith("flowchart LR"), ran.out  # auto without dot: Mermaid
    assert "weft graph" not in ran.out  # the banner goes to standard error
    assert '"vpc.main (create)"' in ran.out and f"fill:{COLOURS['create']}" in ran.out
    dot = weft("graph", "--format", "dot", cwd=tmp_path, env=plain)
    assert dot.code == 0, dot.both
    assert '"vpc.main" -> "subnet.public-a";' in dot.out, dot.out
    assert '"subnet.public-a" [label="subnet.public-a (create)"' in dot.out

    # SVG without Graphviz: a clear error and what to do, nothing written
    svg = weft("graph", "--format", "svg", "--out", "g.svg", cwd=tmp_path, env=plain)
    assert svg.code == 1 and "Graphviz" in svg.err and "--format mermaid" in svg.err, svg.both
    assert not (tmp_path / "g.svg").exists()

    # after up, a change: the bucket's versioning off is an update, the rest is unchanged
    assert weft("up", "--yes", cwd=tmp_path, env=plain).code == 0
    (tmp_path / "fabric.yaml").write_text(FABRIC.replace("uploads}", "uploads, versioning: false}"))
    doc = json.loads(weft("graph", "--json", "--format", "dot", cwd=tmp_path, env=plain).out)
    actions = {n["address"]: n["action"] for n in doc["nodes"]}
    assert actions["bucket.uploads"] == "update" and actions["vpc.main"] == "no-op", actions
    assert {"resource": "subnet.public-a", "needs": "vpc.main"} in doc["edges"]
    assert f'fillcolor="{COLOURS["update"]}"' in doc["text"]

    # with Graphviz's dot on the PATH, auto lays the graph out as SVG
    real = shutil.which("dot")
    bin_dir = tmp_path / "bin"
    if real is None:  # a stand-in that answers as dot -Tsvg does, from the DOT text it is given
        bin_dir.mkdir()
        fake = bin_dir / "dot"
        fake.write_text(
            '#!/bin/sh\n[ "$1" = -Tsvg ] || exit 2\n'
            "echo '<svg xmlns=\"http://www.w3.org/2000/svg\"><!--'; cat; echo '--></svg>'\n"
        )
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = environment(120, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    ran = weft("graph", "--out", "g.svg", cwd=tmp_path, env=env)
    assert ran.code == 0, ran.both
    assert "Wrote g.svg (svg:" in ran.out and "1 update" in ran.out, ran.out
    drawn = (tmp_path / "g.svg").read_text()
    assert "<svg" in drawn and "bucket.uploads" in drawn

    (tmp_path / "fabric.yaml").write_text(FABRIC)
    assert weft("down", "--yes", cwd=tmp_path, env=plain).code == 0
