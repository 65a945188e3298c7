"""How weft shows things in a terminal: banners, plans, progress, inventories, errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from weft.cli import machine, table
from weft.core.events import Event
from weft.core.plan import Action, Change, Plan

SYMBOLS = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.REPLACE: ("-/+", "magenta"),
    Action.DELETE: ("-", "red"),
    Action.NOOP: (" ", "dim"),
}
#: The kinds whose replacement needs --confirm on every fabric (weft.ops.guard.DOWNTIME).
REPLACED_WITH_DOWNTIME = frozenset({"eks_cluster", "db_instance", "cache_replication_group"})
PAST = {"create": "created", "update": "updated", "delete": "deleted"}


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def banner(out: Console, info: Mapping[str, str], command: str) -> None:
    out.print(
        Text.assemble(
            ("weft ", "bold"),
            (command, "bold cyan"),
            " · fabric ",
            (info["fabric"], "bold"),
            " · account ",
            (info["account"], "bold"),
            " · region ",
            (info["region"], "bold"),
            f" · {info['endpoint']}",
        )
    )


def short(value: Any, limit: int = 60) -> str:
    if isinstance(value, dict):
        text = ", ".join(f"{k}={short(v, 30)}" for k, v in value.items())
        text = "{" + text + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(short(v, 30) for v in value) + "]"
    else:
        text = str(value) if value is not None else "null"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _diff_lines(change: Change) -> list[str]:
    lines = []
    for d in change.diffs:
        suffix = "  (forces replacement)" if d.forces_replacement else ""
        if d.field == "tags" and isinstance(d.before, dict) and isinstance(d.after, dict):
            before, after = d.before, d.after
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    lines.append(
                        f"tags.{key}: {short(before.get(key, '(none)'))} → "
                        f"{short(after.get(key, '(removed)'))}"
                    )
            continue
        lines.append(f"{d.field}: {short(d.before)} → {short(d.after)}{suffix}")
    return lines


def plan_table(out: Console, plan: Plan, *, title: str = "Plan") -> None:
    changes = plan.actionable
    if not changes:
        out.print(
            f"[green]No changes.[/] The cloud matches the fabric ({len(plan.changes)} resources)."
        )
        plan_notes(out, plan)
        return
    rows: list[list[table.Cell]] = []
    for ch in changes:
        symbol, style = SYMBOLS[ch.action]
        detail = (
            "\n".join(_diff_lines(ch))
            if ch.action in (Action.UPDATE, Action.REPLACE)
            else ch.reason
        )
        rows.append(
            [Text(symbol, style=style), Text(ch.address, style=style), ch.cloud_id or "", detail]
        )
    columns = [
        table.Col("", "keep"),
        table.Col("resource", "keep"),
        table.Col("id", "id", style="dim"),
        table.Col("what changes", "text", label=False),
    ]
    table.show(out, title, columns, rows)
    out.print(summary_line(plan))
    plan_notes(out, plan)


def delegation(out: Console, dns: dict[str, Any] | None) -> None:
    """The fabric's hosted zone: its name servers, and whether the domain is delegated to them
    (with what to set where when it is not): see :mod:`weft.aws.delegation`."""
    if not dns:
        return
    state = str(dns.get("delegation"))
    colour = {"delegated": "green", "not delegated": "yellow"}.get(state, "dim")
    out.print(
        f"DNS: hosted zone {dns.get('zone_id')} of {escape(str(dns.get('domain')))}, "
        f"[{colour}]{state}[/] [dim](checked with {escape(str(dns.get('checked_with')))})[/]"
    )
    for server in dns.get("name_servers") or []:
        out.print(f"  name server {escape(str(server))}")
    if state != "delegated":
        out.print(f"  [dim]{escape(str(dns.get('reason')))}[/]")
        out.print(f"  [yellow]to do:[/] {escape(str(dns.get('todo')))}")


def warnings_of(plan: Plan) -> list[str]:
    """The texts of the plan's warnings (its notes of level ``warning``)."""
    return [str(n.get("text")) for n in plan.meta.get("notes") or [] if n.get("level") == "warning"]


def plan_notes(out: Console, plan: Plan) -> None:
    """The plan's warnings and notes (``meta.notes``: see :mod:`weft.model.notes`)."""
    for note in plan.meta.get("notes") or []:
        if note.get("level") == "warning":
            out.print(f"[bold yellow]warning:[/] {escape(str(note.get('text')))}")
        else:
            out.print(f"[cyan]note:[/] {escape(str(note.get('text')))}")


def destructive(out: Console, changes: list[Any], fabric: str, *, protected: bool) -> None:
    """The plan's destructive changes, listed apart in red (``changes``: guard.Destructive)."""
    if not changes:
        return
    out.print(f"[bold red]Destructive changes ({len(changes)}):[/]")
    for change in changes:
        out.print(f"  [red]✗ {change.address}: {escape(change.what)}[/]")
    if protected:
        out.print(f"[red]Fabric {fabric} is protected: applying needs --confirm {fabric}.[/]")
    elif any(c.action == "replace" and c.kind in REPLACED_WITH_DOWNTIME for c in changes):
        out.print(
            f"[red]Replacing a cluster, a database or a cache needs --confirm {fabric} "
            "(--yes alone never does).[/]"
        )


def summary_line(plan: Plan) -> str:
    c = plan.counts()
    return (
        f"Plan: {c['create']} to create, {c['update']} to update, {c['replace']} to replace, "
        f"{c['delete']} to delete, {c['no-op']} unchanged."
    )


class Progress:
    """Renders executor events as lines; long waits are reported at most every few seconds.

    Thread-safe: the executor emits from its worker threads.
    """

    def __init__(self, out: Console, *, json_lines: bool = False, every: float = 5.0) -> None:
        self.out = out
        self.json_lines = json_lines
        self.every = every
        self._lock = threading.Lock()
        self._last_progress: dict[str, float] = {}
        self.counts = {"done": 0, "failed": 0, "skipped": 0}

    def __call__(self, event: Event) -> None:
        with self._lock:
            if event.type in self.counts:
                self.counts[event.type] += 1
            if self.json_lines:
                machine.resource(event)
                return
            self._render(event)

    def _render(self, e: Event) -> None:
        verb = e.action
        if e.type == "started":
            return
        if e.type == "phase":
            self.out.print(f"[bold]{e.node}[/] [dim]{e.message}[/]")
            return
        if e.type == "done":
            word = PAST.get(verb.split(" ")[0], verb)
            if verb.startswith("replace"):
                word = "replaced: " + ("old deleted" if "delete" in verb else "new created")
            self.out.print(
                f"  [green]✓[/] {e.node.removesuffix('#delete')} {word} [dim]{e.elapsed:.1f}s[/]"
            )
        elif e.type == "failed":
            self.out.print(
                f"  [red]✗ {e.node} ({verb}) failed[/] after {e.attempt} attempt(s): {e.message}"
            )
        elif e.type == "retrying":
            self.out.print(
                f"  [yellow]↻[/] {e.node}: {e.message.splitlines()[0]} — "
                f"retrying in {e.delay:.1f}s "
                f"[dim](attempt {e.attempt})[/]"
            )
        elif e.type == "progress":
            now = time.monotonic()
            if now - self._last_progress.get(e.node, 0.0) >= self.every:
                self._last_progress[e.node] = now
                self.out.print(f"  [cyan]…[/] {e.node}: {e.message} [dim]{e.elapsed:.0f}s[/]")
        elif e.type == "skipped":
            self.out.print(f"  [dim]- {e.node} skipped: {e.message}[/]")
        elif e.type == "waiting":
            first, _, rest = e.message.partition("\n")
            self.out.print(f"  [yellow]⏸[/] {e.node} waiting: {first}")
            for line in rest.splitlines():
                self.out.print(f"    {line.strip()}")
        elif e.type == "cancelled":
            self.out.print(f"  [dim]- {e.node} not started (interrupted)[/]")


def rows_table(
    out: Console,
    rows: list[dict[str, Any]],
    columns: list[str],
    title: str,
    wrap: tuple[str, ...] = ("note",),
) -> None:
    """A table of ``rows`` that fits the terminal (:mod:`weft.cli.table`): the ``wrap``
    columns fold onto more lines, an ``id`` column is shortened in the middle, the others are
    shown whole; a list when the terminal is too narrow for a table."""
    cols = [table.Col(c, "text" if c in wrap else "id" if c == "id" else "keep") for c in columns]
    cells = [[str(row.get(c) or "") for c in columns] for row in rows]
    styles = ["dim" if row.get("state") == "absent" else None for row in rows]
    table.show(out, title, cols, cells, styles)


def escape(text: str) -> str:
    from rich.markup import escape as _escape

    return _escape(text)
