"""Tables that fit the terminal: at any width every column is there, whole or shortened."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from weft.cli import table
from weft.cli.table import Col

PLAN_COLUMNS = [
    Col("", "keep"),
    Col("resource", "keep"),
    Col("id", "id"),
    Col("what changes", "text", label=False),
]
PLAN_ROWS = [
    [Text("~"), Text("route_table.private-b"), "rtb-85e1f0c2a9aef6f30", "routes: a → b " * 6],
    [Text("-/+"), Text("eks_nodegroup.general"), "weft-demo-general-1a2b3c", "subnets: 2 → 3"],
    [Text("+"), Text("subnet.private-c"), "", "new"],
]


def shown(columns: list[Col], rows: list[list[table.Cell]], width: int) -> str:
    out = Console(file=io.StringIO(), width=width, color_system=None)
    table.show(out, "Plan", columns, rows)
    return out.file.getvalue()  # type: ignore[attr-defined]


def test_the_plan_keeps_its_marker_and_its_diff_at_80_columns() -> None:
    text = shown(PLAN_COLUMNS, PLAN_ROWS, 80)
    assert all(len(line) <= 80 for line in text.splitlines())
    lines = text.splitlines()
    (update,) = (line for line in lines if "route_table.private-b" in line)
    (replace,) = (line for line in lines if "eks_nodegroup.general" in line)
    assert update.startswith("~") and replace.startswith("-/+")
    assert "subnets: 2 → 3" in text and "routes: a → b" in text
    assert "rtb-" in text  # the id, shortened in the middle, keeps its kind ...
    assert "f30" in text  # ... and its tail


def test_a_terminal_too_narrow_for_a_table_gets_a_list() -> None:
    text = shown(PLAN_COLUMNS, PLAN_ROWS, 40)
    assert "┃" not in text and "│" not in text
    lines = text.splitlines()
    assert any(line.startswith("~  route_table.private-b") for line in lines)
    assert any(line.strip() == "subnets: 2 → 3" for line in lines)
    assert any(line.strip().startswith("id: rtb-85e1f0c2a9aef6f30") for line in lines)


def test_a_table_that_fits_is_shown_as_it_is() -> None:
    assert table.widths(PLAN_COLUMNS, PLAN_ROWS, 500) == [
        3,
        len("eks_nodegroup.general"),
        len("weft-demo-general-1a2b3c"),
        len("routes: a → b " * 6),
    ]


def test_shorten_cuts_in_the_middle() -> None:
    assert table.shorten("subnet-5450aa7c0f21b9b45", 16) == "subnet…0f21b9b45"
    assert table.shorten("vpc-1", 16) == "vpc-1"
    short = table.shorten(Text("subnet-5450aa7c0f21b9b45", style="dim"), 10)
    assert isinstance(short, Text) and len(short.plain) == 10 and short.style == "dim"


@given(
    width=st.integers(min_value=60, max_value=240),
    cells=st.lists(
        st.tuples(
            st.text(alphabet="abcdefgh.-_", min_size=1, max_size=40),
            st.text(alphabet="0123456789abcdef-", max_size=40),
            st.text(alphabet="abcdefgh ", max_size=12),
            st.text(alphabet="abcd =→[],", max_size=150),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_no_column_is_ever_dropped(width: int, cells: list[tuple[str, str, str, str]]) -> None:
    columns = [Col("address", "keep"), Col("id", "id"), Col("state", "keep"), Col("note")]
    rows: list[list[table.Cell]] = [list(row) for row in cells]
    sized = table.widths(columns, rows, width)
    if sized is not None:  # a table: within the width, every column as wide as its minimum
        assert sum(sized) + table.GAP * (len(columns) - 1) <= width
        for col, size, row_width in zip(
            columns, sized, (max(table.width_of(r[i]) for r in rows) for i in range(4)), strict=True
        ):
            if col.fit == "keep":
                assert size >= row_width
            elif col.fit == "id":
                assert size >= min(row_width, table.MIN_ID)
    text = shown(columns, rows, width)
    for address, _, state, _ in cells:  # the address and the state, whole, on one line
        assert any(address in line and state.strip() in line for line in text.splitlines())


def test_brackets_in_a_cell_are_shown_not_read_as_markup() -> None:
    rows: list[list[table.Cell]] = [
        [
            Text("~"),
            Text("eks_nodegroup.general"),
            "x",
            "instance_types: [m6i.large] → [m6i.xlarge]",
        ]
    ]
    for width in (80, 120):
        assert "[m6i.large] → [m6i.xlarge]" in shown(PLAN_COLUMNS, rows, width)
