"""The warnings and notes a plan carries besides its changes."""

from __future__ import annotations

from weft.fabricfile import parse_fabric
from weft.model.notes import plan_notes

BASE = "name: demo\nregion: us-east-2\nnetwork: {cidr: 10.0.0.0/16}\n"


def test_an_api_open_to_the_world_is_warned_about() -> None:
    fabric = parse_fabric(BASE + "cluster: {api_cidrs: [0.0.0.0/0]}\n")
    (note,) = plan_notes(fabric)
    assert note.level == "warning"
    assert "open to the whole internet" in note.text and "0.0.0.0/0" in note.text


def test_a_restricted_or_private_api_needs_no_warning() -> None:
    restricted = parse_fabric(BASE + "cluster: {api_cidrs: [198.51.100.7/32]}\n")
    private = parse_fabric(BASE + "cluster: {endpoint: private}\n")
    assert plan_notes(restricted) == plan_notes(private) == []


def test_an_app_that_uses_a_bucket_is_told_its_role() -> None:
    fabric = parse_fabric(
        BASE
        + "cluster: {api_cidrs: [198.51.100.7/32]}\n"
        + "buckets: [{name: uploads}]\n"
        + "apps:\n"
        + '  - {name: web, image: ghcr.io/acme/web, version: "1.0.0", uses: [uploads]}\n'
        + '  - {name: api, image: ghcr.io/acme/api, version: "1.0.0"}\n'
    )
    (note,) = plan_notes(fabric)
    assert note.level == "note"
    assert note.text.startswith("web runs as its own IAM role (iam_role.app-web")
    assert "ServiceAccount demo/web" in note.text and "objects in uploads" in note.text
