"""The fabric file as a YAML document: plain data, and the line of every field.

:func:`load_yaml` reads the text with ruamel's round-trip loader, which records the line of every
mapping key and sequence item, and turns what YAML itself refuses (bad syntax, tabs, a duplicate
key) into a one-line :class:`~weft.errors.ConfigError` with the line. :class:`Converter` turns
the document into plain Python data and a map from field path to line; what weft cannot take
(a key that is not text, a custom tag, a set, an alias that refers to itself) becomes a problem
at its path. :func:`format_path` writes a field path as messages show it.
"""

from __future__ import annotations

import datetime
import re
import warnings
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from weft.errors import ConfigError
from weft.fabricfile.checks import Path, describe

__all__ = [
    "Converter",
    "first_content_line",
    "format_path",
    "load_yaml",
    "one_line",
    "plain_scalar",
]

_SIMPLE_KEY_RE = re.compile(r"[A-Za-z0-9_:/@+=.-]+")


def load_yaml(text: str, source: str) -> Any:
    """The round-trip document of ``text``; raises ConfigError (``source:line: ...``) if invalid."""
    yaml = YAML(typ="rt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return yaml.load(text)
    except DuplicateKeyError as error:
        raise _duplicate_key_error(error, text, source) from None
    except MarkedYAMLError as error:
        problem_mark, context_mark = error.problem_mark, error.context_mark
        what = one_line(error.problem or error.context or "invalid YAML")
        if error.context and error.problem:
            started = f" started on line {context_mark.line + 1}" if context_mark else ""
            what = f"{what} ({one_line(error.context)}{started})"
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
        first = one_line(str(error).splitlines()[0] if str(error) else "unreadable text")
        raise ConfigError(f"{source}:{line}: invalid YAML: {first}") from None
    except RecursionError:
        raise ConfigError(f"{source}: invalid YAML: the document is nested too deeply") from None
    except Exception as error:  # ruamel raises odd exceptions on some malformed input
        raise ConfigError(
            f"{source}: invalid YAML: the YAML reader could not make sense of the document "
            f"({type(error).__name__}: {one_line(str(error))})"
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
    converter = Converter()
    converter.convert(document, ())
    best: tuple[Path, int] | None = None
    for path, line in converter.lines.items():
        later = best is None or line > best[1]
        if path and path[-1] == key and line < duplicate_line and later:
            best = (path, line)
    return best


def one_line(text: str) -> str:
    """``text`` on one line, runs of white space as one space."""
    return " ".join(str(text).split())


def first_content_line(text: str) -> int:
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
    return plain_scalar(value)


def plain_scalar(value: Any) -> Any:
    """A scalar as it is, a sequence as an empty list: enough to describe it in a message."""
    if isinstance(value, CommentedSeq):
        return []
    return value


class _OddKey(str):
    """A path element standing for a key that is not text; it is not shown in field paths."""


class _Unsupported:
    """Stands for a value weft cannot take (a custom tag); its problem is already reported."""


class Converter:
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
