"""Image digests as versions (`versioning: digest`), walked through the CLI as a user would:
validated, rendered as `image@sha256:…`, released, recorded and written into the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import CLUSTER_VERSION
from .user import weft

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FIRST = "sha256:" + "1a2b3c4d" * 8
SECOND = "sha256:" + "5e6f7a8b" * 8
FABRIC = (
    "name: dig\nregion: us-east-2\nprovider: local\n"
    "network: {cidr: 10.45.0.0/16, zones: 2, nat: none, layout: public}\n"
    f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}\n'
    "nodegroups: [{name: general, instance_types: [m6i.large], min: 1, max: 2}]\n"
    "apps: [{name: web, image: registry.example.com/acme/web, versioning: digest,"
    f" version: '{FIRST}', replicas: 1, port: 8080}}]\n"
)


def test_an_app_released_by_image_digest(tmp_path: Path, clean_cloud: str, kube_api: Any) -> None:
    file = tmp_path / "fabric.yaml"
    # without the option, a digest is refused, saying which option allows it
    file.write_text(FABRIC.replace(" versioning: digest,", ""))
    ran = weft("validate", cwd=tmp_path)
    assert ran.code == 1 and "set versioning: digest" in ran.err, ran.both

    file.write_text(FABRIC)
    assert weft("validate", cwd=tmp_path).code == 0
    rendered = weft("render", cwd=tmp_path)
    assert rendered.code == 0, rendered.both
    flat = " ".join(rendered.out.split())  # long values are folded onto the next line
    assert f"image: registry.example.com/acme/web@{FIRST}" in flat, rendered.out
    assert f"app.kubernetes.io/version: {('sha256_' + '1a2b3c4d' * 8)[:63]} " in flat

    # release refuses what is not a digest before touching anything
    ran = weft("release", "web", "1.2.3", cwd=tmp_path)
    assert ran.code == 1 and "is not an image digest" in ran.err, ran.both

    assert weft("up", "--yes", cwd=tmp_path).code == 0
    assert weft("deploy", cwd=tmp_path).code == 0
    ran = weft("release", "web", SECOND, cwd=tmp_path)
    assert ran.code == 0, ran.both
    assert f"version: '{SECOND}'" in file.read_text() or f"version: {SECOND}" in file.read_text()
    history = weft("history", "web", cwd=tmp_path, columns=200)
    assert history.code == 0 and SECOND in history.out and FIRST in history.out, history.out
    assert weft("down", "--yes", cwd=tmp_path).code == 0
