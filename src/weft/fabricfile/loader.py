"""Reading a fabric file: YAML with line numbers in; a :class:`Fabric` or a ConfigError out.

The round-trip YAML loader records the line of every mapping key and sequence item. The document
is converted to plain Python data plus a map from field path to line, validated with pydantic, and
every problem is reported as one line::

    fabric.yaml:7: network.nat: 'per_zone' is not allowed; expected one of: none, single, per-zone

A message that names an earlier entry as ``(first as databases[0])`` gets that entry's line added
when it is on another line. Rules across sections (:func:`~weft.fabricfile.schema.cross_problems`)
still run when unrelated keys failed, on whatever is valid. All problems of a file are collected
into one :class:`~weft.errors.ConfigError` (``problems`` holds them one by one). No pydantic or
ruamel exception escapes, and no pydantic wording is shown.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import warnings
from functools import partial
from pathlib import Path as FilePath
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from weft.errors import ConfigError
from weft.fabricfile.apps import App, CronJob
from weft.fabricfile.cluster import SUPPORTED_K8S_VERSIONS
from weft.fabricfile.dns import Dns
from weft.fabricfile.schema import (
    PROBLEM,
    USER_KEYS,
    Fabric,
    Network,
    Path,
    cross_problems,
    describe,
    suggestions,
)

__all__ = ["format_path", "load_fabric", "parse_fabric"]

#: Examples for required keys; ``[]`` stands for any list index.
_REQUIRED_HINTS: dict[Path, str] = {
    ("name",): "e.g. name: demo",
    ("region",): "e.g. region: us-east-2",
    ("network",): "e.g. network: {cidr: 10.0.0.0/16}",
    ("network", "cidr"): "e.g. cidr: 10.0.0.0/16",
    ("cluster", "version"): f'e.g. version: "{SUPPORTED_K8S_VERSIONS[-1]}"',
    ("nodegroups", "[]", "name"): "e.g. name: general",
    ("nodegroups", "[]", "instance_types"): "e.g. instance_types: [m6i.large]",
    ("nodegroups", "[]", "min"): "e.g. min: 1",
    ("nodegroups", "[]", "max"): "e.g. max: 3",
    ("nodegroups", "[]", "taints", "[]", "key"): "e.g. key: dedicated",
    ("nodegroups", "[]", "taints", "[]", "effect"): "e.g. effect: NoSchedule",
    ("fargate", "[]", "name"): "e.g. name: system",
    ("fargate", "[]", "selectors"): "e.g. selectors: [{namespace: kube-system}]",
    ("fargate", "[]", "selectors", "[]", "namespace"): "e.g. namespace: default",
    ("databases", "[]", "name"): "e.g. name: main",
    ("databases", "[]", "engine_version"): 'e.g. engine_version: "16"',
    ("databases", "[]", "instance_class"): "e.g. instance_class: db.t4g.medium",
    ("caches", "[]", "name"): "e.g. name: sessions",
    ("caches", "[]", "engine_version"): 'e.g. engine_version: "7.1"',
    ("caches", "[]", "node_type"): "e.g. node_type: cache.t4g.small",
    ("buckets", "[]", "name"): "e.g. name: uploads",
    ("dns", "domain"): "e.g. domain: example.com",
    ("apps", "[]", "name"): "e.g. name: web",
    ("apps", "[]", "image"): "e.g. image: ghcr.io/acme/web",
    ("apps", "[]", "version"): 'e.g. version: "1.0.0"',
    ("apps", "[]", "resources", "cpu"): "e.g. cpu: 250m",
    ("apps", "[]", "resources", "memory"): "e.g. memory: 256Mi",
    ("apps", "[]", "health", "path"): "e.g. path: /healthz",
    ("apps", "[]", "ingress", "host"): "e.g. host: www.example.com",
    ("apps", "[]", "autoscale", "min"): "e.g. min: 2",
    ("apps", "[]", "autoscale", "max"): "e.g. max: 10",
    ("cronjobs", "[]", "name"): "e.g. name: nightly-report",
    ("cronjobs", "[]", "schedule"): 'e.g. schedule: "0 3 * * *"',
    ("cronjobs", "[]", "image"): "e.g. image: ghcr.io/acme/jobs",
    ("cronjobs", "[]", "version"): 'e.g. version: "1.0.0"',
    ("cronjobs", "[]", "resources", "cpu"): "e.g. cpu: 250m",
    ("cronjobs", "[]", "resources", "memory"): "e.g. memory: 256Mi",
}

_SIMPLE_KEY_RE = re.compile(r"[A-Za-z0-9_:/@+=.-]+")


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
    document = _load_yaml(text, source)
    if document is None:
        raise ConfigError(
            f"{source}:1: the file is empty; expected a mapping with at least the keys name, "
            "region and network"
        )
    if not isinstance(document, CommentedMap):
        raise ConfigError(
            f"{source}:{_first_content_line(text)}: the top level must be a mapping of keys (name, "
            f"region, network, ...), got {describe(_plain_scalar(document))}"
        )
    converter = _Converter()
    data = converter.convert(document, ())
    assert isinstance(data, dict)
    reports = list(converter.problems)
    if "source" in data:
        reports.append((("source",), _unknown_key("source", Fabric)))
        del data["source"]
    try:
        fabric = Fabric.model_validate({**data, "source": source})
    except ValidationError as error:
        already = [path for path, _ in reports]
        for path, message in [*_translate(error), *_cross_check_despite(error, data)]:
            if not any(path[: len(done)] == done for done in already):
                reports.append((path, message))
    else:
        if not reports:
            return fabric
    problems = _render(reports, converter.lines, source)
    raise ConfigError("\n".join(problems), problems=problems)


# --- YAML -------------------------------------------------------------------------------------


def _load_yaml(text: str, source: str) -> Any:
    yaml = YAML(typ="rt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return yaml.load(text)
    except DuplicateKeyError as error:
        raise _duplicate_key_error(error, text, source) from None
    except MarkedYAMLError as error:
        problem_mark, context_mark = error.problem_mark, error.context_mark
        what = _one_line(error.problem or error.context or "invalid YAML")
        if error.context and error.problem:
            started = f" started on line {context_mark.line + 1}" if context_mark else ""
            what = f"{what} ({_one_line(error.context)}{started})"
        mark = problem_mark or context_mark
        if context_mark is not None and "<stream end>" in what:
            mark = context_mark  # an unclosed bracket or quote: point at where it was opened
        line = mark.line + 1 if mark is not None else 1
        if "'\\t'" in what:
            what += "; YAML does not allow tabs for indentation, use spaces"
        raise ConfigError(f"{source}:{line}: invalid YAML: {what}") from None
    except YAMLError as error:
        position = getattr(error, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
        first = _one_line(str(error).splitlines()[0] if str(error) else "unreadable text")
        raise ConfigError(f"{source}:{line}: invalid YAML: {first}") from None
    except RecursionError:
        raise ConfigError(f"{source}: invalid YAML: the document is nested too deeply") from None
    except Exception as error:  # ruamel raises odd exceptions on some malformed input
        raise ConfigError(
            f"{source}: invalid YAML: the YAML reader could not make sense of the document "
            f"({type(error).__name__}: {_one_line(str(error))})"
        ) from None


def _duplicate_key_error(error: DuplicateKeyError, text: str, source: str) -> ConfigError:
    mark = error.problem_mark
    line = mark.line + 1 if mark is not None else 1
    match = re.search(r'duplicate key "(.*?)" with value', error.problem or "")
    key = match.group(1) if match else "?"
    first = _first_occurrence(text, key, line)
    where = f" (first on line {first[1]})" if first else ""
    field = f"{format_path(first[0])}: " if first else ""
    return ConfigError(
        f"{source}:{line}: {field}duplicate key {key!r}{where}; each key may appear only once "
        "in a mapping"
    )


def _first_occurrence(text: str, key: str, duplicate_line: int) -> tuple[Path, int] | None:
    """Where ``key`` was first defined before ``duplicate_line``: its path and line."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = yaml.load(text)
    except Exception:
        return None
    converter = _Converter()
    converter.convert(document, ())
    best: tuple[Path, int] | None = None
    for path, line in converter.lines.items():
        later = best is None or line > best[1]
        if path and path[-1] == key and line < duplicate_line and later:
            best = (path, line)
    return best


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _first_content_line(text: str) -> int:
    """The first line that is not blank, a comment, a directive or a document marker."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%", "---")):
            return number
    return 1


def _line_of(node: Any) -> int:
    lc = getattr(node, "lc", None)
    line = getattr(lc, "line", None)
    return line + 1 if isinstance(line, int) else 1


def _plain_key(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return _plain_scalar(value)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, CommentedSeq):
        return []
    return value


class _OddKey(str):
    """A path element standing for a key that is not text; it is not shown in field paths."""


class _Unsupported:
    """Stands for a value weft cannot take (a custom tag); its problem is already reported."""


class _Converter:
    """Turns ruamel's round-trip document into plain data and a field path -> line map."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.problems: list[tuple[Path, str]] = []
        self._open: set[int] = set()

    def convert(self, node: Any, path: Path) -> Any:
        if isinstance(node, CommentedMap | CommentedSeq):
            if not path:
                self.lines[()] = _line_of(node)
            if id(node) in self._open:
                self.problems.append((path, "a YAML alias refers to itself; that is not allowed"))
                return _Unsupported()
            self._open.add(id(node))
            try:
                if isinstance(node, CommentedMap):
                    return self._mapping(node, path)
                return self._sequence(node, path)
            finally:
                self._open.discard(id(node))
        return self._scalar(node, path)

    def _mapping(self, node: CommentedMap, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        mapping_line = self.lines.get(path, _line_of(node))
        positions = getattr(node.lc, "data", None)
        for key, value in node.items():
            position = positions.get(key) if isinstance(positions, dict) else None
            line = position[0] + 1 if position else mapping_line
            if isinstance(key, bool) or not isinstance(key, str):
                odd: Path = (*path, _OddKey(f"<key on line {line}>"))
                self.lines[odd] = line
                self.problems.append(
                    (
                        odd,
                        f"the key {describe(_plain_key(key))} is not a name; keys are words like "
                        "'name' or 'network'",
                    )
                )
                continue
            key = str(key)
            self.lines[(*path, key)] = line
            result[key] = self.convert(value, (*path, key))
        return result

    def _sequence(self, node: CommentedSeq, path: Path) -> list[Any]:
        result: list[Any] = []
        parent_line = self.lines.get(path, _line_of(node))
        for index, item in enumerate(node):
            try:
                line = node.lc.item(index)[0] + 1
            except (AttributeError, KeyError, IndexError, TypeError):
                line = parent_line
            self.lines[(*path, index)] = line
            result.append(self.convert(item, (*path, index)))
        return result

    def _scalar(self, node: Any, path: Path) -> Any:
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, int):
            # ScalarBoolean subclasses int; bool(node) keeps true/false.
            if type(node).__name__ == "ScalarBoolean":
                return bool(node)
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return str(node)
        if isinstance(node, datetime.date):
            return node
        tag = getattr(node, "tag", None)
        tag = getattr(tag, "value", tag)
        if tag == "tag:yaml.org,2002:str" and hasattr(node, "value"):
            return str(node.value)
        what = f"the YAML tag {tag}" if isinstance(tag, str) and tag else "this kind of YAML value"
        if isinstance(node, bytes):
            what = "binary data (!!binary)"
        elif isinstance(node, set | frozenset) or type(node).__name__ == "CommentedSet":
            what = "a YAML set (!!set)"
        self.problems.append((path, f"{what} is not supported here; write a plain value"))
        return _Unsupported()


# --- pydantic errors -> problems --------------------------------------------------------------


def _translate(error: ValidationError) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for detail in error.errors(include_url=False):
        loc: Path = tuple(detail["loc"])
        kind = detail["type"]
        value = detail.get("input")
        if kind == PROBLEM:
            for subpath, message in detail.get("ctx", {}).get("problems", []):
                found.append(((*loc, *subpath), message))
            continue
        if kind == "extra_forbidden":
            key = loc[-1] if loc else "?"
            found.append((loc, _unknown_key(str(key), _model_at(loc[:-1]))))
        elif kind == "missing":
            hint = _REQUIRED_HINTS.get(tuple("[]" if isinstance(p, int) else p for p in loc))
            found.append((loc, "required key is missing" + (f"; {hint}" if hint else "")))
        else:
            found.append((loc, _type_message(kind, value, loc)))
    return found


def _unknown_key(key: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return "unknown key"
    allowed = USER_KEYS.get(model, tuple(model.model_fields))
    found = suggestions(key, allowed)
    either = " or ".join(repr(s) for s in found)
    hint = f"; did you mean {either}? Allowed" if found else "; allowed"
    return f"unknown key{hint} keys here: {', '.join(allowed)}"


def _model_at(loc: Path) -> type[BaseModel] | None:
    """The model of the mapping at ``loc`` (through lists and mappings of models), if any."""
    annotation: Any = Fabric
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    for candidate in _alternatives(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _alternatives(annotation: Any) -> list[Any]:
    """The types an annotation allows: unions are split, ``Annotated`` metadata dropped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return [alternative for arg in get_args(annotation) for alternative in _alternatives(arg)]
    return [annotation]


def _step(annotation: Any, part: str | int) -> Any:
    for candidate in _alternatives(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(str(part)) if isinstance(part, str) else None
            if field is not None:
                return field.annotation
        elif get_origin(candidate) is list and isinstance(part, int):
            return get_args(candidate)[0]
        elif get_origin(candidate) is dict and isinstance(part, str):
            return get_args(candidate)[1]
    return None


def _type_message(kind: str, value: Any, loc: Path) -> str:
    got = describe(value)
    quote_hint = (
        "; put it in quotes if it is meant as text"
        if isinstance(value, bool | int | float | datetime.date) and value is not None
        else ""
    )
    if kind in ("string_type", "string_sub_type"):
        return f"expected text, got {got}{quote_hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        words = ("yes", "no", "on", "off", "y", "n", "true", "false")
        hint = (
            " (YAML 1.2 reads it as text; write true or false)"
            if isinstance(value, str) and value.lower() in words
            else ""
        )
        return f"expected true or false, got {got}{hint}"
    if kind in ("dict_type", "mapping_type"):
        return f"expected a mapping of keys to values, got {got}"
    if kind in ("model_type", "model_attributes_type"):
        model = _model_at(loc)
        keys = f" ({', '.join(USER_KEYS.get(model, ()))})" if model is not None else ""
        return f"expected a mapping of keys{keys}, got {got}"
    if kind == "list_type":
        entries = "; write each entry on its own line, starting with '- '"
        return f"expected a list, got {got}" + (entries if isinstance(value, dict) else "")
    if kind == "literal_error":
        return f"{got} is not allowed"
    return f"{got} is not a valid value here"


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
    )


# --- rendering --------------------------------------------------------------------------------


def format_path(path: Path) -> str:
    """``("network", "zones", 1)`` -> ``network.zones[1]``; odd keys are quoted in brackets."""
    text = ""
    for part in path:
        if isinstance(part, _OddKey):
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        elif _SIMPLE_KEY_RE.fullmatch(part) and "." not in part:
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


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
        text = _one_line(text)
        if text not in seen:
            seen.add(text)
            rendered.append((line, text))
    rendered.sort(key=lambda item: item[0])
    return [text for _, text in rendered]
