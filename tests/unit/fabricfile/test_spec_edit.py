"""Rewriting one app's version in a fabric file, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from weft.errors import ConfigError
from weft.fabricfile.edit import set_cluster_version, set_version

TEXT = """\
name: x   # a comment
apps:
  - name: web        # the site
    image: a/web
    version: 1.0.0   # pinned
    port: 80
  - {name: api, image: a/api, version: '2.0.0'}
cronjobs:
  - name: report
    image: a/jobs
    version: "3.0.0"
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "fabric.yaml"
    p.write_text(TEXT)
    return p


def test_only_the_version_changes(path: Path) -> None:
    assert set_version(path, "web", "1.1.0") == "1.0.0"
    assert path.read_text() == TEXT.replace("version: 1.0.0   #", 'version: "1.1.0"   #')


def test_quotes_and_flow_mappings_are_kept(path: Path) -> None:
    assert set_version(path, "api", "2.1.0") == "2.0.0"
    assert set_version(path, "report", "3.0.1") == "3.0.0"
    text = path.read_text()
    assert "version: '2.1.0'}" in text
    assert 'version: "3.0.1"\n' in text


def test_the_same_version_leaves_the_file_alone(path: Path) -> None:
    before = path.stat().st_mtime_ns
    assert set_version(path, "api", "2.0.0") is None
    assert path.stat().st_mtime_ns == before
    assert path.read_text() == TEXT


def test_an_unknown_name_is_an_error(path: Path) -> None:
    with pytest.raises(ConfigError, match="no app or cron job named nope"):
        set_version(path, "nope", "1.0.0")
    assert path.read_text() == TEXT


def test_the_cluster_version_is_rewritten_and_nothing_else(tmp_path: Path) -> None:
    minor = 40
    old, new = f"1.{minor}", f"1.{minor + 1}"
    text = f"name: x\ncluster:\n  version: '{old}'   # kept\n  endpoint: both\n"
    path = tmp_path / "fabric.yaml"
    path.write_text(text)
    assert set_cluster_version(path, new) == old
    assert path.read_text() == text.replace(f"'{old}'", f"'{new}'")
    assert set_cluster_version(path, new) is None
    path.write_text("name: x\n")
    with pytest.raises(ConfigError, match=r"no cluster\.version"):
        set_cluster_version(path, new)
