"""The apps section of ``weft plan`` and ``weft deploy --dry-run``: what ``deploy`` would change
in the cluster (:mod:`weft.ops.apps.preview`), one line per object with what changes under it.

``+`` a new object, ``~`` an object changed, ``-`` an object pruned; unchanged objects are
counted, not listed.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from weft.cli.render import escape

MARKS = {"create": ("+", "green"), "update": ("~", "yellow"), "prune": ("-", "red")}


def show(out: Console, preview: Any) -> None:
    """Print ``preview`` (an :class:`~weft.ops.apps.preview.AppsPreview`)."""
    if preview.state == "none":
        return
    out.print("[bold]Apps[/] (weft deploy)")
    if preview.note:
        style = "yellow" if preview.state == "unavailable" else "dim"
        out.print(f"  [{style}]{escape(preview.note)}[/]")
    for change in preview.objects:
        if change.action == "unchanged":
            continue
        mark, style = MARKS[change.action]
        out.print(
            f"  [{style}]{mark} {escape(change.app)}  {change.kind} {escape(change.name)}[/]"
            f"{'' if change.action != 'prune' else '  [red](pruned)[/]'}"
        )
        for line in change.changes:
            out.print(f"      {escape(line)}", soft_wrap=True)
    if preview.state in ("dry-run", "no-cluster"):
        counts = preview.counts()
        out.print(
            f"  Apps: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['prune']} to prune, {counts['unchanged']} unchanged."
        )
