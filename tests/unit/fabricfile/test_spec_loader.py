"""Loading fabric files: good files load with defaults; every bad file names file, line, field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weft.errors import ConfigError
from weft.fabricfile import Fabric, Network, load_fabric, parse_fabric

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad").glob("*.yaml"))
GOOD = HERE / "good"

_EXPECT = re.compile(r'#\s*expect:\s*line=(\d+)\s+field=(\S+)\s+contains="((?:[^"\\]|\\.)*)"')


def _expectation(path: Path) -> tuple[int, str | None, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = _EXPECT.match(first)
    assert match, f"{path.name}: first line must be an '# expect:' header"
    line, field, fragment = match.groups()
    return int(line), (None if field == "-" else field), fragment.replace('\\"', '"')


def test_there_are_enough_bad_files() -> None:
    assert len(BAD) >= 130


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_file_is_reported_with_file_line_field_and_reason(path: Path) -> None:
    line, field, fragment = _expectation(path)
    with pytest.raises(ConfigError) as caught:
        load_fabric(path)
    text = str(caught.value)
    assert str(path) in text
    assert f":{line}: " in text
    matching = [p for p in caught.value.problems if f":{line}: " in p and fragment in p]
    assert matching, f"no problem at line {line} containing {fragment!r} in:\n{text}"
    if field is not None:
        assert any(f":{line}: {field}: " in p for p in matching), text
    for problem in caught.value.problems:
        assert "\n" not in problem
        assert problem.startswith(f"{path}:")
    assert text == "\n".join(caught.value.problems)
    for forbidden in ("Traceback", "pydantic", "type=", "Input should", "http"):
        assert forbidden not in text


def test_message_format_matches_the_documented_example() -> None:
    text = "name: demo\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n  nat: per_zone\n"
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert str(caught.value) == (
        "fabric.yaml:5: network.nat: 'per_zone' is not allowed; expected one of: none, single, "
        "per-zone (did you mean 'per-zone'?)"
    )


def test_unknown_key_message_matches_the_documented_example() -> None:
    text = "name: demo\nregion: us-east-2\nnetwrok:\n  cidr: 10.0.0.0/16\n"
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert (
        "fabric.yaml:3: netwrok: unknown key; did you mean 'network'? Allowed keys here: name, "
        "region, account_id, provider, protect, tags, environment, network, cluster, nodegroups, "
        "fargate, databases, caches, buckets, dns, apps, cronjobs, cost, observability, version"
    ) in caught.value.problems


def test_all_problems_of_a_file_are_collected_in_line_order() -> None:
    text = (
        "name: Demo\n"
        "region: us-east-7\n"
        "account_id: '42'\n"
        "tags:\n"
        "  team: 3\n"
        "network:\n"
        "  cidr: 10.0.1.0/16\n"
        "  zones: [us-east-2a, us-east-2a]\n"
        "  nat: per_zone\n"
        "  colour: blue\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    problems = caught.value.problems
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == [1, 2, 3, 5, 7, 8, 9, 10]
    assert str(caught.value).count("\n") == len(problems) - 1


def test_zone_checks_still_run_when_an_unrelated_key_is_wrong() -> None:
    text = "name: Demo\nregion: us-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 3\n"
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "f.yaml")
    assert len(caught.value.problems) == 2
    assert "f.yaml:5: network.zones: us-west-1 has 2 availability zones" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_fabric(tmp_path / "nope.yaml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_fabric(tmp_path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: demo\nregion: us-east-2\ntags:\n  owner: Jos\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_fabric(path)
    assert f"{path}:4: the file is not UTF-8 text" in str(caught.value)


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: demo\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n")
    assert load_fabric(path).name == "demo"


def test_string_source_defaults_to_placeholder() -> None:
    with pytest.raises(ConfigError, match=r"^<string>:1: the file is empty"):
        parse_fabric("")


def test_minimal_file_gets_defaults() -> None:
    fabric = load_fabric(GOOD / "minimal.yaml")
    assert isinstance(fabric, Fabric)
    assert fabric.name == "demo"
    assert fabric.region == "us-east-2"
    assert fabric.account_id is None
    assert fabric.provider == "aws"
    assert fabric.protect is False
    assert fabric.tags == {}
    assert fabric.version == 1
    assert fabric.source == str(GOOD / "minimal.yaml")
    assert fabric.network == Network(
        cidr="10.0.0.0/16", zones=3, nat="single", layout="private", subnet_size=None
    )
    assert fabric.zone_count() == 3
    assert fabric.zone_names() == ["us-east-2a", "us-east-2b", "us-east-2c"]


def test_prod_name_is_protected_by_default() -> None:
    assert load_fabric(GOOD / "prod.yaml").protect is True


def test_explicit_protect_wins_over_the_prod_default() -> None:
    fabric = load_fabric(GOOD / "full.yaml")
    assert fabric.name == "web-prod"
    assert fabric.protect is False
    assert fabric.provider == "local"
    assert fabric.account_id == "123456789012"
    assert fabric.tags == {"team": "web", "cost-center": "42"}
    assert fabric.network.subnet_size == 20
    assert fabric.zone_count() == 4


def test_explicit_zone_list() -> None:
    fabric = load_fabric(GOOD / "explicit_zones.yaml")
    assert fabric.network.zones == ["us-east-1a", "us-east-1f"]
    assert fabric.zone_count() == 2
    assert fabric.zone_names() == ["us-east-1a", "us-east-1f"]
    assert fabric.account_id == "012345678901"
    assert fabric.network.nat == "per-zone"


def test_public_layout_defaults_to_no_nat() -> None:
    fabric = load_fabric(GOOD / "public.yaml")
    assert fabric.network.layout == "public"
    assert fabric.network.nat == "none"
    text = "name: demo\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n  layout: public\n"
    assert parse_fabric(text).network.nat == "none"


def test_models_are_frozen() -> None:
    fabric = load_fabric(GOOD / "minimal.yaml")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type is an implementation detail
        setattr(fabric, "name", "other")  # noqa: B010 - the point is to try


def test_cidr_with_leading_zeros_is_refused_and_quoted_cidr_is_fine() -> None:
    text = "name: demo\nregion: us-east-2\nnetwork:\n  cidr: 10.000.0.0/16\n"
    with pytest.raises(ConfigError):
        parse_fabric(text)
    ok = "name: demo\nregion: us-east-2\nnetwork:\n  cidr: '10.0.0.0/16'\n"
    assert parse_fabric(ok).network.cidr == "10.0.0.0/16"


def test_anchors_and_merge_keys_work() -> None:
    text = (
        "name: demo\nregion: us-east-2\n"
        "defaults: &net\n  cidr: 10.0.0.0/16\n"
        "network:\n  <<: *net\n  zones: 2\n"
    )
    with pytest.raises(ConfigError, match="defaults: unknown key"):
        parse_fabric(text)
    text = "name: demo\nregion: us-east-2\nnetwork: &net\n  cidr: 10.0.0.0/16\n"
    assert parse_fabric(text).network.cidr == "10.0.0.0/16"
