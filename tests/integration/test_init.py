"""``weft init`` as a new user runs it: the region from the AWS configuration when --region is
not given, and a NAT choice that is refused, never silently rewritten, when it cannot apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from weft.cli.main import main

pytestmark = pytest.mark.integration


def weft(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path: Path, clean_cloud: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "aws-config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return tmp_path


def test_the_region_comes_from_the_aws_configuration(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = weft(capsys, "init", "noregion", "--local", "-f", "none.yaml")
    assert code == 1 and "no region" in err and "--region" in err
    assert not (workdir / "none.yaml").exists()

    (workdir / "aws-config").write_text("[default]\nregion = eu-west-1\n")
    code, out, err = weft(capsys, "init", "fromprofile", "--local", "-f", "profile.yaml")
    assert code == 0, err
    assert "in eu-west-1" in out
    text = (workdir / "profile.yaml").read_text()
    assert "region: eu-west-1" in text and "eu-west-1a" in text

    monkeypatch.setenv("AWS_REGION", "us-west-2")  # the environment wins over the profile
    code, out, err = weft(capsys, "init", "fromenv", "--local", "-f", "env.yaml", "--json")
    assert code == 0, err
    assert '"region": "us-west-2"' in out and "us-west-2a" in out
    assert "region: us-west-2" in (workdir / "env.yaml").read_text()


def test_a_nat_that_cannot_apply_is_refused_not_rewritten(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--region", "us-east-2", "--local", "--layout", "public")
    code, _, err = weft(capsys, "init", "pub", *args, "--nat", "per-zone", "-f", "a.yaml")
    assert code == 1 and "--nat per-zone needs --layout private" in err
    assert not (workdir / "a.yaml").exists()
    # without --nat the public layout gets none, said in the file
    code, _, err = weft(capsys, "init", "pub", *args, "-f", "b.yaml")
    assert code == 0, err
    assert "nat: none" in (workdir / "b.yaml").read_text()
    code, _, err = weft(capsys, "init", "priv", "--region", "us-east-2", "--local", "-f", "c.yaml")
    assert code == 0, err
    assert "nat: single" in (workdir / "c.yaml").read_text()
