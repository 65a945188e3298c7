"""Tables that fit the terminal, whatever its width: a column is never dropped.

rich fits a table that is wider than the terminal by narrowing its columns, and a column narrowed
to nothing is simply not shown: at 80 columns the plan lost its ``+ ~ - -/+`` marker and what
changes, ``status`` lost the state. Here the widths are decided before rich sees the table, by
what each column may lose (:class:`Col`):

- ``keep``: shown whole, never shortened (the plan's marker, a state, an address);
- ``id``: shortened in the middle (``subnet-5450…21b9b45``), never below :data:`MIN_ID`
  characters (``--json`` has every id whole);
- ``text``: wrapped onto more lines, never narrower than :data:`MIN_TEXT`.

A string cell is shown as it is, never read as rich markup (a diff has brackets). When even
that does not fit, the rows become a list: the ``keep`` columns on one line, the
others under it, indented and wrapped (:func:`show`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

#: The narrowest an ``id`` column gets: enough for a kind and the tail of the id.
MIN_ID = 16
#: The narrowest a ``text`` column gets before the table becomes a list.
MIN_TEXT = 28
#: What separates two columns: a space, the rule, a space (no outer edge, no outer padding).
GAP = 3
#: How far a list's detail lines are indented.
INDENT = 4

Fit = Literal["keep", "id", "text"]
Cell = str | Text


@dataclass(frozen=True)
class Col:
    """A column: its header, what it may lose to fit (``fit``), its style, and whether a list
    names it in front of its value (``label``)."""

    name: str
    fit: Fit = "text"
    style: str | None = None
    label: bool = True


def width_of(cell: Cell) -> int:
    """The width of ``cell`` on the terminal: its widest line."""
    text = cell if isinstance(cell, Text) else Text(cell)
    return max((line.cell_len for line in text.split("\n")), default=0)


def shorten(cell: Cell, width: int) -> Cell:
    """``cell`` cut in the middle to ``width`` characters (its start says what it is, its end
    which one), its style kept."""
    plain = cell.plain if isinstance(cell, Text) else cell
    if len(plain) <= width:
        return cell
    head = max(1, (width - 1) * 2 // 5)
    tail = width - 1 - head
    short = f"{plain[:head]}…{plain[len(plain) - tail :]}" if tail > 0 else plain[: width - 1] + "…"
    return Text(short, style=cell.style) if isinstance(cell, Text) else short


def widths(columns: Sequence[Col], rows: Sequence[Sequence[Cell]], total: int) -> list[int] | None:
    """The width of each column so that the table is at most ``total`` wide, or None when it
    cannot be without going below a column's minimum (then :func:`show` makes a list)."""
    natural = [
        max([len(col.name), *(width_of(row[i]) for row in rows)]) for i, col in enumerate(columns)
    ]
    room = total - GAP * (len(columns) - 1)
    if sum(natural) <= room:
        return natural
    least = [
        n
        if col.fit == "keep"
        else min(n, max(len(col.name), MIN_ID if col.fit == "id" else MIN_TEXT))
        for col, n in zip(columns, natural, strict=True)
    ]
    spare = room - sum(least)
    if spare < 0:
        return None
    # what is left goes to the columns that lost something, in proportion to what they lost
    lost = [n - m for n, m in zip(natural, least, strict=True)]
    owed = sum(lost)
    given = [m + (spare * lo) // owed for m, lo in zip(least, lost, strict=True)]
    # the remainder of the division, to the text columns (wrapping loses nothing)
    rest = room - sum(given)
    for i, col in enumerate(columns):
        if rest <= 0:
            break
        if col.fit == "text" and given[i] < natural[i]:
            extra = min(rest, natural[i] - given[i])
            given[i] += extra
            rest -= extra
    return given


def show(
    out: Console,
    title: str,
    columns: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    row_styles: Sequence[str | None] | None = None,
) -> None:
    """Print ``rows`` under ``title``: a table as wide as the terminal allows, or a list when
    the terminal is too narrow for one (see the module's docstring)."""
    styles = list(row_styles) if row_styles is not None else [None] * len(rows)
    sized = widths(columns, rows, out.width)
    if sized is None:
        _as_list(out, title, columns, rows, styles)
        return
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col, width in zip(columns, sized, strict=True):
        table.add_column(
            col.name,
            width=width,
            no_wrap=col.fit != "text",
            overflow="fold" if col.fit == "text" else "ellipsis",
            style=col.style,
        )
    for row, style in zip(rows, styles, strict=True):
        cells = [
            shorten(plain(cell), width) if col.fit == "id" else plain(cell)
            for col, cell, width in zip(columns, row, sized, strict=True)
        ]
        table.add_row(*cells, style=style)
    out.print(table)


def _as_list(
    out: Console,
    title: str,
    columns: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    styles: Sequence[str | None],
) -> None:
    out.print(Text(title, style="italic"))
    for row, style in zip(rows, styles, strict=True):
        head = Text("  ").join(
            _styled(cell, col.style)
            for col, cell in zip(columns, row, strict=True)
            if col.fit == "keep" and width_of(cell)
        )
        if style:
            head.stylize(style)
        out.print(head, overflow="fold")
        for col, cell in zip(columns, row, strict=True):
            if col.fit == "keep" or not width_of(cell):
                continue
            line = Text(f"{col.name}: ", style="dim") if col.label else Text()
            line.append_text(_styled(cell, col.style))
            if style:
                line.stylize(style)
            out.print(Padding(line, (0, 0, 0, INDENT)), overflow="fold")


def plain(cell: Cell) -> Text:
    """``cell`` as text shown as it is: a string's brackets are its own (a diff's
    ``[m6i.large] → [m6i.xlarge]``), never read as rich markup."""
    return cell if isinstance(cell, Text) else Text(cell)


def _styled(cell: Cell, style: str | None) -> Text:
    text = plain(cell).copy()
    if style:
        text.stylize(style)
    return text
