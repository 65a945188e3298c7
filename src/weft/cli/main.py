"""``weft``: one CLI for the whole fabric lifecycle.

The commands live by family (the fabric file, plan and apply, teardown, state, secrets, cluster
access, applications, the local cloud); this module gathers them under one group and turns what
they raise into exit codes and messages.

Exit codes: 0 success (for ``plan``: no changes), 1 error, 2 ``plan`` found changes,
3 ``local status``: the local cloud is not running, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from weft import __version__
from weft.cli import access, apply, apps, fabric_file, machine, render, secrets, state, teardown
from weft.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, Exit
from weft.cli.local import local
from weft.errors import WeftError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="weft")
def cli() -> None:
    """weft: an AWS + Kubernetes fabric from one declarative file.

    \b
    Quick start (offline, on the embedded local cloud):
      weft init demo --region us-east-2 --local
      weft plan && weft up && weft status && weft down
    """


for _family in (fabric_file, apply, state, teardown, access, apps):
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
