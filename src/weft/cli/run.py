"""An approved plan run in the terminal (``up``, ``down``): live progress, Ctrl-C, and the
closing summary.

Like every command module, this one imports :mod:`weft.ops` only when a command runs, so that
``weft --help`` and ``weft token`` (which kubectl runs for each connection) start quickly.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from weft.cli import machine, render
from weft.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, Exit, out
from weft.errors import WeftError

if TYPE_CHECKING:
    from weft.ops.run import Outcome, Runner


class Interrupts:
    """First Ctrl-C: finish what runs, start nothing new. Second: stop at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._old: Any = None

    def __enter__(self) -> threading.Event:
        def handler(signum: int, frame: Any) -> None:
            if self.event.is_set():
                raise KeyboardInterrupt
            self.event.set()
            render.console(stderr=True).print(
                "[yellow]interrupt: finishing the steps under way, starting no new ones "
                "(Ctrl-C again to stop at once)[/]"
            )

        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, handler)
        return self.event

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


#: What a plan's action is called once done, in the order the plan's summary line counts them.
_DONE = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def done_counts(results: Iterable[Any]) -> str:
    """What was done, counted as the plan counted it: ``48 created, 1 replaced`` (a
    replacement is two steps, its create and its delete, and one change); with the number of
    steps when that differs (``(50 steps)``)."""
    counts: Counter[str] = Counter()
    steps = 0
    for r in results:
        steps += 1
        action = str(r.action)
        if action == "replace (delete)":
            continue
        counts[action.split(" ", 1)[0]] += 1
    changes = sum(counts.values())
    parts = [f"{counts.pop(a)} {word}" for a, word in _DONE.items() if counts.get(a)]
    parts += [f"{n} {a}" for a, n in sorted(counts.items())]
    text = ", ".join(parts) or "nothing"
    return text if steps == changes else f"{text} ({steps} steps)"


def done_of(outcome: Outcome) -> list[Any]:
    """Every step a run did: the fabric bucket's first walk (``up`` makes it before taking the
    lock it holds) and the plan's."""
    boot = outcome.bootstrap
    extra = boot.done if boot is not None and boot is not outcome.result else []
    return [*extra, *outcome.result.done]


def result_of(outcome: Outcome) -> dict[str, Any]:
    """What a run did, for the JSON summary of ``up`` and ``down``."""
    res = outcome.result
    return {
        "run_id": outcome.run_id,
        "done": len(done_of(outcome)),
        "failed": [{"resource": r.node, "error": str(r.error)} for r in res.failed],
        "skipped": [{"resource": r.node, "because": r.skipped_because} for r in res.skipped],
        "waiting": [
            {
                "resource": r.node,
                "because": r.skipped_because,
                "reason": r.error.message if isinstance(r.error, WeftError) else None,
            }
            for r in res.waiting
        ],
        "not_started": [r.node for r in res.not_started],
        "cancelled": res.cancelled,
        "seconds": round(res.elapsed, 2),
        "dns": outcome.dns,
    }


def run_plan(
    target: Any,
    as_json: bool,
    parallelism: int,
    command: str,
    apply: Callable[[Runner], Outcome],
) -> Outcome:
    """Apply (``up``) or tear down (``down``) an approved plan with live progress: ``apply``
    runs it on a :class:`weft.ops.run.Runner` that reports to the terminal and stops on Ctrl-C.
    A failed ``up`` exits 1 (``--json``: after its summary); a failed ``down`` returns, for the
    leftover report to follow (``down`` prints its summary itself, with that report)."""
    from weft.ops.run import Runner

    console = out(as_json)
    what = "Apply" if command == "up" else "Teardown"
    with Interrupts() as cancel:
        runner = Runner(
            target,
            on_event=render.Progress(console, json_lines=as_json),
            max_workers=parallelism,
            cancel=cancel,
        )
        outcome = apply(runner)
    res = outcome.result
    if outcome.ok:
        done = done_counts(done_of(outcome))
        console.print(f"[green]{what} complete:[/] {done} in {res.elapsed:.1f}s.")
        if res.waiting:
            console.print(
                f"[yellow]{len(res.waiting)} waiting[/] on something outside weft "
                f"({', '.join(r.node for r in res.waiting)}): run weft up again once it is done."
            )
            for r in res.waiting:
                if isinstance(r.error, WeftError):
                    console.print(f"  [yellow]⏸[/] {r.node}: {r.error.message}")
        render.delegation(console, outcome.dns)
        if as_json and command == "up":
            machine.summary(True, "ok", **result_of(outcome))
        return outcome
    if res.cancelled:
        console.print(
            f"[yellow]Interrupted:[/] done: {done_counts(done_of(outcome))}; "
            f"{len(res.not_started)} not started. "
            "Everything created is tagged: run the same command again to continue."
        )
        if as_json:
            machine.summary(False, "cancelled", code="interrupted", **result_of(outcome))
        raise Exit(EXIT_INTERRUPTED)
    render.delegation(console, outcome.dns)
    console.print(
        f"[red]{what} incomplete:[/] done: {done_counts(done_of(outcome))}; "
        f"{len(res.failed)} failed, {len(res.skipped)} skipped."
    )
    for r in res.failed:
        console.print(f"  [red]✗[/] {r.node}: {r.error}")
    console.print(
        "Fix the cause and run the same command again: weft resumes, it does not start over."
    )
    if command == "down":
        return outcome
    if as_json:
        machine.summary(False, "failed", code="apply_incomplete", **result_of(outcome))
    raise Exit(EXIT_ERROR)
