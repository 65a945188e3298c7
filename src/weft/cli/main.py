"""``weft``: one CLI for the whole fabric lifecycle.

The commands live by family (the fabric file, plan and apply, teardown, state, secrets, cluster
access, applications, the local cloud); this module gathers them under one group and turns what
they raise into exit codes and messages.

Exit codes (the table in ``weft --help`` and the README, :data:`EXIT_CODES`): 0 success,
1 error or refusal, 2 ``plan --detailed-exitcode`` found changes, 3 ``local status``: the local
cloud is not running, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import textwrap
import traceback

import click

from weft import __version__
from weft.cli import (
    access,
    apply,
    apps,
    cost,
    fabric_file,
    graph,
    logs,
    machine,
    render,
    secrets,
    state,
    teardown,
    upgrade,
)
from weft.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, Exit
from weft.cli.local import local
from weft.errors import WeftError

#: Every command's exit codes, as ``weft --help`` and the README list them.
EXIT_CODES = (
    ("0", "success (plan: the plan was made, with changes or without)"),
    (
        "1",
        "error: a bad file or option, a refusal (a guard, a declined question), an AWS or "
        "Kubernetes error, a failed step (up, down), a failed rollout (deploy, release, "
        "rollback, verify), resources left behind (down, leftovers)",
    ),
    ("2", "plan --detailed-exitcode only: the plan has changes"),
    ("3", "local status only: the local cloud is not running"),
    ("130", "interrupted (Ctrl-C): run the same command again to continue"),
)

HELP = "\n".join(
    [
        "weft: an AWS + Kubernetes fabric from one declarative file.",
        "",
        "\b",
        "Quick start (offline, on the embedded local cloud):",
        "  weft init demo --region us-east-2 --local",
        "  weft plan && weft up && weft status && weft down",
        "",
        "\b",
        "Exit codes (every command):",
        *(
            textwrap.fill(meaning, 76, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7)
            for code, meaning in EXIT_CODES
        ),
    ]
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=HELP)
@click.version_option(__version__, prog_name="weft")
def cli() -> None:
    pass


for _family in (fabric_file, apply, cost, graph, state, teardown, access, apps, logs, upgrade):
    for _command in _family.COMMANDS:
        cli.add_command(_command)
cli.add_command(secrets.secrets)
cli.add_command(local)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = machine.wanted(args)
    machine.start()
    err = render.console(stderr=True)
    failure: BaseException | None = None
    code = EXIT_OK
    try:
        result = cli.main(args=args, prog_name="weft", standalone_mode=False)
        code = result if isinstance(result, int) else EXIT_OK
    except Exit as done:
        code = done.code
    except click.exceptions.Abort as exc:
        err.print("Aborted.")
        failure, code = exc, EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        failure, code = exc, EXIT_ERROR
    except KeyboardInterrupt as exc:
        err.print("[yellow]Interrupted.[/] Run the same command again to continue.")
        failure, code = exc, EXIT_INTERRUPTED
    except WeftError as exc:
        err.print(f"[red]error:[/] {render.escape(str(exc))}")
        failure, code = exc, EXIT_ERROR
    except Exception as exc:  # a bug in weft: say so, show the traceback only when asked
        if os.environ.get("WEFT_DEBUG"):
            traceback.print_exc()
        else:
            err.print(
                "[red]internal error (a bug in weft):[/] "
                f"{render.escape(traceback.format_exc().splitlines()[-1])}\n"
                "Run again with WEFT_DEBUG=1 for the traceback, and please report it."
            )
        failure, code = exc, EXIT_ERROR
    if as_json and failure is not None and not machine.finished():
        machine.error(failure)
    return code


if __name__ == "__main__":
    sys.exit(main())
