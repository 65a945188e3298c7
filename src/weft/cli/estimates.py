"""What the plan says of the account besides the changes: quota notes, and the fabric's monthly
cost (``weft cost``; ``weft plan`` and ``weft up`` show before -> after)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from weft.cli.table import Col, show


def quota_notes(out: Console, notes: list[str]) -> None:
    """The quota preflight's warnings: max sizes that may not fit, quotas not checked."""
    for note in notes:
        out.print(f"[bold yellow]quota:[/] {escape(note)}")


def _money(value: str | None) -> str:
    return "?" if value is None else f"${float(value):,.2f}"


def _quantity(q: float, unit: str) -> str:
    return f"{q:,.6g} {unit}"


def cost_table(out: Console, cost: dict[str, Any], side: str = "after") -> None:
    """The month's cost, line by line (``cost``: :meth:`weft.ops.cost.CostReport.to_dict`)."""
    data = cost[side]
    rows = [
        [
            str(line["address"]),
            str(line["what"]) + (f" ({line['note']})" if line.get("note") else ""),
            _quantity(float(line["quantity"]), str(line["unit"])),
            "?" if line["unit_price"] is None else f"${line['unit_price']}",
            _money(line["monthly"]),
        ]
        for line in data["lines"]
    ]
    rows.append(["", "Total", "", "", _money(data["total"])])
    show(
        out,
        f"Monthly cost in {cost['region']} (USD, on demand)",
        [
            Col("Resource", "id"),
            Col("What"),
            Col("Quantity", "keep"),
            Col("Unit price", "keep"),
            Col("Monthly", "keep"),
        ],
        rows,
        [None] * (len(rows) - 1) + ["bold"],
    )
    cost_footer(out, cost)


def cost_footer(out: Console, cost: dict[str, Any]) -> None:
    out.print(f"[dim]Prices: {escape(str(cost['prices']))}.[/]")
    transcribed = {
        line["price"]["provenance"]
        for side in ("before", "after")
        for line in cost[side]["lines"]
        if line.get("price")
    }
    if "transcribed" in transcribed:
        out.print(
            "[dim]Some prices were transcribed from published pages, not read from the Price "
            "List API (each line's source is in --json).[/]"
        )
    out.print("[dim]Assumptions: " + escape("; ".join(cost["assumptions"])) + ".[/]")
    for note in cost.get("notes") or []:
        out.print(f"[cyan]note:[/] {escape(str(note))}")


def plan_cost(out: Console, cost: dict[str, Any] | None) -> None:
    """The plan's monthly cost before -> after, and the change per changed resource."""
    if not cost:
        return
    before, after = cost["before"]["total"], cost["after"]["total"]
    delta = float(cost["delta"])
    sign = "+" if delta >= 0 else "-"
    out.print(
        f"[bold]Monthly cost:[/] {_money(before)} -> {_money(after)} "
        f"({sign}${abs(delta):,.2f} a month, on demand, {escape(cost['region'])})"
    )
    for change in cost.get("changes") or []:
        d = float(change["delta"])
        out.print(
            f"  {escape(change['address'])}: {_money(change['before'])} -> "
            f"{_money(change['after'])} ({'+' if d >= 0 else '-'}${abs(d):,.2f})"
        )
    out.print(f"[dim]  prices: {escape(str(cost['prices']))}; weft cost shows every line[/]")
