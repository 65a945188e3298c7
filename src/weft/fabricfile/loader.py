"""Reading a fabric file: YAML with line numbers in; a :class:`Fabric` or a ConfigError out.

The document is converted to plain Python data plus a map from field path to line
(:mod:`weft.fabricfile.document`), validated with pydantic, and every problem (pydantic's in
weft's words, :mod:`weft.fabricfile.translation`) is reported as one line::

    fabric.yaml:7: network.nat: 'per_zone' is not allowed; expected one of: none, single, per-zone

A message that names an earlier entry as ``(first as databases[0])`` gets that entry's line added
when it is on another line. Rules across sections
(:func:`~weft.fabricfile.cross_check.cross_problems`) still run when unrelated keys failed, on
whatever is valid. All problems of a file are collected into one :class:`~weft.errors.ConfigError`
(``problems`` holds them one by one). No pydantic or ruamel exception escapes, and no pydantic
wording is shown.
"""

from __future__ import annotations

import contextlib
import re
from functools import partial
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from weft.errors import ConfigError
from weft.fabricfile.apps import App, CronJob
from weft.fabricfile.checks import Path, describe
from weft.fabricfile.cluster import Cluster
from weft.fabricfile.cross_check import cross_problems
from weft.fabricfile.dns import Dns
from weft.fabricfile.document import (
    Converter,
    first_content_line,
    format_path,
    load_yaml,
    one_line,
    plain_scalar,
)
from weft.fabricfile.network import Network
from weft.fabricfile.schema import Fabric
from weft.fabricfile.translation import translate, unknown_key

__all__ = ["field_place", "load_fabric", "locate", "parse_fabric"]


def load_fabric(path: str | FilePath) -> Fabric:
    """Read and validate the fabric file at ``path``."""
    source = str(path)
    try:
        raw = FilePath(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such file; create it with `weft init`") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a directory, not a fabric file") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"{source}: cannot be read: {reason}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{source}:{line}: the file is not UTF-8 text (byte 0x{raw[error.start]:02x} at "
            f"offset {error.start}); save it as UTF-8"
        ) from None
    return parse_fabric(text, source)


def parse_fabric(text: str, source: str = "<string>") -> Fabric:
    """Validate the fabric document ``text``; ``source`` names it in error messages."""
    document = load_yaml(text, source)
    if document is None:
        raise ConfigError(
            f"{source}:1: the file is empty; expected a mapping with at least the keys name, "
            "region and network"
        )
    if not isinstance(document, CommentedMap):
        raise ConfigError(
            f"{source}:{first_content_line(text)}: the top level must be a mapping of keys (name, "
            f"region, network, ...), got {describe(plain_scalar(document))}"
        )
    converter = Converter()
    data = converter.convert(document, ())
    assert isinstance(data, dict)
    reports = list(converter.problems)
    if "source" in data:
        reports.append((("source",), unknown_key("source", Fabric)))
        del data["source"]
    try:
        fabric = Fabric.model_validate({**data, "source": source})
    except ValidationError as error:
        already = [path for path, _ in reports]
        for path, message in [*translate(error), *_cross_check_despite(error, data)]:
            if not any(path[: len(done)] == done for done in already):
                reports.append((path, message))
    else:
        if not reports:
            return fabric
    problems = _render(reports, converter.lines, source)
    raise ConfigError("\n".join(problems), problems=problems)


def field_place(source: str, path: Path) -> str:
    """``FILE:LINE: FIELD`` for a field of a fabric file loaded from ``source``, for checks made
    after loading (at plan, against the cloud); ``FILE: FIELD`` when the file cannot be read
    again."""
    line = None
    with contextlib.suppress(Exception):  # gone or changed since it was loaded: no line then
        document = load_yaml(FilePath(source).read_text(encoding="utf-8-sig"), source)
        if isinstance(document, CommentedMap):
            converter = Converter()
            converter.convert(document, ())
            line = converter.lines.get(path)
    where = f"{source}:{line}" if line is not None else source
    return f"{where}: {format_path(path)}"


def _cross_check_despite(error: ValidationError, data: dict[str, Any]) -> list[tuple[Path, str]]:
    """Rules across sections, which pydantic skips when any key of the fabric failed.

    They run on whatever is valid: region, network, the DNS domain, the names of list entries,
    and the apps and cron jobs that are valid on their own.
    """
    locs = [tuple(detail["loc"]) for detail in error.errors(include_url=False)]
    failed = {loc[:1] for loc in locs}
    if () in failed:
        return []  # the fabric's own cross-check ran: everything was valid and is reported
    region = data.get("region")
    network: Network | None = None
    if ("network",) not in failed:
        with contextlib.suppress(ValidationError):
            network = Network.model_validate(data.get("network"))

    def names(key: str) -> list[str | None] | None:
        raw = data.get(key)
        if raw is None:
            return []
        if not isinstance(raw, list):
            return None
        bad = {loc[1] for loc in locs if loc[:1] == (key,) and loc[2:3] == ("name",)}
        found: list[str | None] = []
        for index, item in enumerate(raw):
            name = item.get("name") if isinstance(item, dict) else None
            found.append(name if isinstance(name, str) and index not in bad else None)
        return found

    def workloads(key: str, model: type[App] | type[CronJob]) -> list[Any] | None:
        entry_names = names(key)
        if entry_names is None:
            return None
        found: list[Any] = []
        for item, name in zip(data.get(key) or [], entry_names, strict=True):
            try:
                found.append(model.model_validate(item))
            except ValidationError:
                found.append(name)
        return found

    domain: str | None = None
    if ("dns",) not in failed:
        with contextlib.suppress(ValidationError):
            domain = Dns.model_validate(data.get("dns")).domain

    cluster: Cluster | None = None
    if ("cluster",) not in failed and data.get("cluster") is not None:
        with contextlib.suppress(ValidationError):
            cluster = Cluster.model_validate(data.get("cluster"))

    return cross_problems(
        region if ("region",) not in failed and isinstance(region, str) else None,
        network,
        has_cluster=data.get("cluster") is not None,
        nodegroups=names("nodegroups"),
        fargate=names("fargate"),
        databases=names("databases"),
        caches=names("caches"),
        buckets=names("buckets"),
        apps=workloads("apps", App),
        cronjobs=workloads("cronjobs", CronJob),
        has_dns=data.get("dns") is not None,
        domain=domain,
        cluster=cluster,
    )


def locate(source: str, section: str, name: str | None, field: str) -> str:
    """Where a field is in the fabric file, as errors name it: ``fabric.yaml:14:
    databases[0].storage_gb`` (``name``: the entry of the list ``section`` with that name;
    None: ``section`` is a mapping). Without the line when the file cannot be read again."""
    fallback = f"{source}: {section}.{name}.{field}" if name else f"{source}: {section}.{field}"
    try:
        document = load_yaml(FilePath(source).read_bytes().decode("utf-8-sig"), source)
    except (OSError, UnicodeDecodeError, ConfigError):
        return fallback
    converter = Converter()
    data = converter.convert(document, ())
    if not isinstance(data, dict):
        return fallback
    path: Path = (section, field)
    if name is not None:
        entries = data.get(section)
        index = next(
            (
                i
                for i, entry in enumerate(entries if isinstance(entries, list) else [])
                if isinstance(entry, dict) and entry.get("name") == name
            ),
            None,
        )
        if index is None:
            return fallback
        path = (section, index, field)
    return f"{source}:{_best_line(path, converter.lines)}: {format_path(path)}"


# --- rendering --------------------------------------------------------------------------------


def _best_line(path: Path, lines: dict[Path, int]) -> int:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return 1


_FIRST_AS_RE = re.compile(r"\(first as ([^()\s]+)\)")


def _first_as(match: re.Match[str], by_field: dict[str, int], line: int) -> str:
    """``(first as databases[0])`` -> ``(first as databases[0] on line 12)``, on another line."""
    earlier = by_field.get(match.group(1))
    if earlier is None or earlier == line:
        return match.group(0)
    return f"(first as {match.group(1)} on line {earlier})"


def _render(reports: list[tuple[Path, str]], lines: dict[Path, int], source: str) -> list[str]:
    rendered: list[tuple[int, str]] = []
    seen: set[str] = set()
    by_field = {format_path(path): line for path, line in lines.items()}
    for path, message in reports:
        line = _best_line(path, lines)
        message = _FIRST_AS_RE.sub(partial(_first_as, by_field=by_field, line=line), message)
        field = format_path(path)
        text = f"{source}:{line}: {field}: {message}" if field else f"{source}:{line}: {message}"
        text = one_line(text)
        if text not in seen:
            seen.add(text)
            rendered.append((line, text))
    rendered.sort(key=lambda item: item[0])
    return [text for _, text in rendered]
