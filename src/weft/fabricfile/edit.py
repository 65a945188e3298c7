"""Small, comment-preserving edits weft makes to a fabric file on the user's behalf.

``weft release`` and ``weft rollback`` change what runs; the file must say so too, or the next
``weft deploy`` would quietly undo them. :func:`set_version` rewrites one ``version:`` value of an
app or cron job and nothing else: the other bytes of the file stay as they were, and the file is
replaced atomically. ``weft upgrade`` likewise rewrites ``cluster.version`` after each minor
version it moves the cluster to (:func:`set_cluster_version`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from weft.errors import ConfigError


def set_version(path: Path, name: str, version: str) -> str | None:
    """Set ``version`` of the app or cron job ``name`` in ``path``; the previous value.

    Only the characters of that one value change (ruamel.yaml finds where it is); the rest of the
    file stays byte for byte. Returns None, leaving the file alone, when it already says
    ``version``.
    """
    yaml = YAML(typ="rt")
    text = path.read_text()
    data: Any = yaml.load(text)
    entry: Any = None
    for section in ("apps", "cronjobs"):
        for item in (data or {}).get(section) or []:
            if isinstance(item, dict) and item.get("name") == name:
                entry = item
    if entry is None or "version" not in entry:
        raise ConfigError(f"{path}: no app or cron job named {name} with a version to set")
    old = str(entry["version"])
    if old == version:
        return None
    line_no, col = entry.lc.value("version")  # ruamel's position of the value
    lines = text.splitlines(keepends=True)
    line = lines[line_no]
    token = _SCALAR.match(line, col)
    if token is None:  # not a one-line scalar: leave the file alone rather than guess
        raise ConfigError(f"{path}:{line_no + 1}: cannot rewrite the version of {name} here")
    quote = token.group(0)[0] if token.group(0)[0] in "\"'" else '"'
    lines[line_no] = line[:col] + f"{quote}{version}{quote}" + line[token.end() :]
    tmp = path.with_name(f".{path.name}.weft-tmp")
    tmp.write_text("".join(lines))
    os.replace(tmp, path)
    return old


def set_cluster_version(path: Path, version: str) -> str | None:
    """Set ``cluster.version`` in ``path`` to ``version``; the previous value (None, leaving the
    file alone, when it already says so). Only the characters of that value change."""
    yaml = YAML(typ="rt")
    text = path.read_text()
    data: Any = yaml.load(text)
    cluster: Any = (data or {}).get("cluster") if isinstance(data, dict) else None
    if not isinstance(cluster, dict) or "version" not in cluster:
        raise ConfigError(f"{path}: no cluster.version to set")
    old = str(cluster["version"])
    if old == version:
        return None
    where: Any = cluster  # ruamel's CommentedMap: it knows where each value is
    line_no, col = where.lc.value("version")
    _replace_scalar(path, text, line_no, col, version, "cluster.version")
    return old


def _replace_scalar(path: Path, text: str, line_no: int, col: int, value: str, what: str) -> None:
    """Write ``value`` (quoted as the old one was, else in double quotes) over the one-line
    scalar at ``line_no``/``col`` of ``text`` into ``path``, atomically."""
    lines = text.splitlines(keepends=True)
    line = lines[line_no]
    token = _SCALAR.match(line, col)
    if token is None:
        raise ConfigError(f"{path}:{line_no + 1}: cannot rewrite {what} here")
    quote = token.group(0)[0] if token.group(0)[0] in "\"'" else '"'
    lines[line_no] = line[:col] + f"{quote}{value}{quote}" + line[token.end() :]
    tmp = path.with_name(f".{path.name}.weft-tmp")
    tmp.write_text("".join(lines))
    os.replace(tmp, path)


_SCALAR = re.compile(r"""\"[^"\n]*\"|'[^'\n]*'|[^\s#,}\]]+""")
