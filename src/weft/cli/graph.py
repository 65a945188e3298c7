"""``weft graph``: the fabric's dependency graph, coloured by what ``weft up`` would do."""

from __future__ import annotations

from pathlib import Path

import click

from weft.cli import machine
from weft.cli.common import connect, fabric_options, out


@click.command()
@fabric_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "svg", "dot", "mermaid"]),
    default="auto",
    show_default=True,
    help="svg (laid out by Graphviz's dot), dot (Graphviz text) or mermaid (a flowchart "
    "Markdown viewers draw); auto: svg when dot is installed, else mermaid.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the graph to this file instead of standard output.",
)
def graph(file: Path, local: bool, as_json: bool, fmt: str, out_file: Path | None) -> None:
    """Draw the fabric's dependency graph, each resource coloured by what up would do to it
    (green: create, yellow: update, purple: replace, red: delete, grey: nothing).

    \b
    Examples:
      weft graph --out fabric.svg
      weft graph --format mermaid > fabric.mmd
    """
    from weft.ops import graph as graphs

    target = connect(file, local, as_json, "graph", stdout_is_data=out_file is None)
    found = graphs.fabric_graph(target)
    text, made = graphs.render(found, fmt)
    if out_file is not None:
        out_file.write_text(text)
    if as_json:
        machine.document(
            {
                **found.to_dict(),
                "format": made,
                "out": str(out_file) if out_file else None,
                "text": None if out_file else text,
            }
        )
        return
    if out_file is not None:
        counts: dict[str, int] = {}
        for _kind, action in found.nodes.values():
            counts[action.value] = counts.get(action.value, 0) + 1
        summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
        out(as_json).print(f"Wrote {out_file} ({made}: {len(found.nodes)} resources: {summary})")
    else:
        click.echo(text, nl=False)


COMMANDS = (graph,)
