"""The application commands: deploy, release, rollback, history, render (and verify).

They act on the fabric's own cluster (found in the cloud, reached with an EKS token), never on
whatever a kubeconfig's current context happens to be. Progress goes to the terminal as one line
per change (``--json``: one JSON object per line on standard output, then the result).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from weft.cli import apps_section, machine, render
from weft.cli.common import EXIT_ERROR, Exit, connect, fabric_options, out

TIMEOUT_HELP = "Seconds to wait for each rollout before it counts as failed."


def _reporter(as_json: bool) -> Callable[[Any], None]:
    console = out(as_json)
    last: dict[str, str] = {}

    def report(event: Any) -> None:
        if as_json:
            machine.app(event.app, event.phase, event.message)
            return
        key = f"{event.app}/{event.phase}"
        if event.phase == "progress" and last.get(key) == event.message:
            return
        last[key] = event.message
        style = {"failed": "red", "rollback": "yellow", "done": "green", "pruned": "yellow"}.get(
            event.phase, "dim" if event.phase in ("applied", "progress") else ""
        )
        text = render.escape(event.message)
        marked = f"[{style}]{text}[/]" if style else text
        console.print(f"  {event.elapsed:6.1f}s  [bold]{render.escape(event.app)}[/]  {marked}")

    return report


def _open(file: Path, local: bool, as_json: bool, command: str) -> Any:
    from weft.ops.apps.connection import Connection

    target = connect(file, local, as_json, command)
    return Connection(target, _reporter(as_json))


def _finish(result: Any, as_json: bool, what: str) -> None:
    if as_json:
        data = {k: v for k, v in result.to_dict().items() if k != "ok"}
        lb_only = any(getattr(o, "no_load_balancer", False) for o in result.outcomes) and all(
            o.outcome not in ("failed", "rolled back") for o in result.outcomes
        )
        code = "no_load_balancer" if lb_only else "rollout_failed"
        machine.summary(result.ok, "ok" if result.ok else "failed", code=code, **data)
    else:
        console = out(as_json)
        rows = []
        for o in result.outcomes:
            note = f"rolled back to revision {o.rolled_back_to}" if o.rolled_back_to else ""
            if getattr(o, "no_load_balancer", False):
                note = "no load balancer"
            rows.append(
                {
                    "app": o.app,
                    "version": o.version,
                    "outcome": o.outcome,
                    "revision": "" if o.revision is None else str(o.revision),
                    "time": f"{o.seconds:.1f}s",
                    "note": note,
                }
            )
        if rows:
            render.rows_table(
                console, rows, ["app", "version", "outcome", "revision", "time", "note"], what
            )
        pruned = list(getattr(result, "pruned", []))
        if pruned:
            console.print(
                f"[yellow]Pruned {len(pruned)} object{'s' if len(pruned) != 1 else ''}[/] the "
                f"fabric file no longer has: {render.escape(', '.join(pruned))}"
            )
        for record in result.records:
            console.print(f"DNS: {render.escape(record)}")
        for o in result.outcomes:
            for problem in o.problems:
                console.print(f"[red]{render.escape(o.app)}:[/] {render.escape(problem)}")
    if not result.ok:
        raise Exit(EXIT_ERROR)


@click.command()
@click.argument("apps", nargs=-1)
@fabric_options
@click.option("--timeout", default=900.0, show_default=True, type=float, help=TIMEOUT_HELP)
@click.option("--no-prune", is_flag=True, help="Keep objects the file no longer names.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what deploy would change in the cluster (a server-side apply dry run) and "
    "change nothing.",
)
@click.option(
    "--lb-timeout",
    default=600.0,
    show_default=True,
    type=float,
    help="Seconds to wait for each Ingress's or load-balanced Service's load balancer.",
)
def deploy(
    apps: tuple[str, ...],
    file: Path,
    local: bool,
    as_json: bool,
    timeout: float,
    no_prune: bool,
    dry_run: bool,
    lb_timeout: float,
) -> None:
    """Apply the apps and cron jobs of the fabric file (or only APPS) and wait for them.

    A rollout that fails is rolled back to the previous revision, and the command exits 1
    naming the pods and why they fail. An app whose load balancer does not come within
    --lb-timeout fails the command too, with what its controller said.

    \b
    Examples:
      weft deploy web api
      weft deploy --dry-run
    """
    from weft.ops.apps.deploy import deploy as deploy_apps

    conn = _open(file, local, as_json, "deploy")
    if dry_run:
        _dry_run(conn, list(apps) or None, as_json, prune=not no_prune)
        return
    try:
        result = deploy_apps(
            conn, list(apps) or None, timeout=timeout, prune=not no_prune, lb_timeout=lb_timeout
        )
    finally:
        conn.close()
    _finish(result, as_json, "Deploy")


def _dry_run(conn: Any, only: list[str] | None, as_json: bool, *, prune: bool) -> None:
    from weft.ops.apps.preview import preview

    try:
        found = preview(conn, only, prune=prune)
    finally:
        conn.close()
    ok = found.state != "unavailable"
    if as_json:
        status = "ok" if ok else "failed"
        machine.summary(ok, status, code="dry_run_unavailable", apps=found.to_dict())
        if not ok:
            raise Exit(EXIT_ERROR)
        return
    apps_section.show(out(as_json), found)
    if not ok:
        raise Exit(EXIT_ERROR)


@click.command()
@click.argument("app")
@click.argument("version")
@fabric_options
@click.option("--timeout", default=900.0, show_default=True, type=float, help=TIMEOUT_HELP)
def release(app: str, version: str, file: Path, local: bool, as_json: bool, timeout: float) -> None:
    """Deploy VERSION of APP, record the release, and write VERSION into the fabric file.

    \b
    Example:
      weft release web 1.4.2
    """
    from weft.errors import UsageError
    from weft.fabricfile import load_fabric
    from weft.fabricfile.edit import set_version
    from weft.fabricfile.image import version_problem
    from weft.ops.apps.release import release as release_app

    fabric = load_fabric(file)
    versioning = {e.name: e.versioning for e in fabric.apps}
    versioning.update({e.name: e.versioning for e in fabric.cronjobs})
    problem = version_problem(version, versioning.get(app, "semver"))
    if problem is not None:
        raise UsageError(f"VERSION: {problem}")
    conn = _open(file, local, as_json, "release")
    try:
        result = release_app(conn, app, version, timeout=timeout)
    finally:
        conn.close()
    if result.ok:
        old = set_version(file, app, version)
        if old is not None and not as_json:
            out(as_json).print(f"{file}: {app} version {old} → {version}")
    _finish(result, as_json, "Release")


@click.command()
@click.argument("app")
@click.option("--to", "to", type=int, default=None, help="The revision to restore (see history).")
@fabric_options
@click.option("--timeout", default=900.0, show_default=True, type=float, help=TIMEOUT_HELP)
def rollback(
    app: str, to: int | None, file: Path, local: bool, as_json: bool, timeout: float
) -> None:
    """Restore the previous revision of APP (or --to REVISION) and write its version back.

    \b
    Example:
      weft rollback web --to 3
    """
    from weft.fabricfile.edit import set_version
    from weft.ops.apps.release import rollback as roll_back

    conn = _open(file, local, as_json, "rollback")
    try:
        outcome = roll_back(conn, app, to, timeout=timeout)
    finally:
        conn.close()
    old = set_version(file, app, outcome.version) if outcome.version != "?" else None
    if as_json:
        machine.summary(True, "ok", **outcome.to_dict())
        return
    console = out(as_json)
    console.print(
        f"[green]{render.escape(app)}[/] is back at revision {outcome.rolled_back_to} "
        f"(version {render.escape(outcome.version)}), now revision {outcome.revision}, "
        f"in {outcome.seconds:.1f}s."
    )
    if old is not None:
        console.print(f"{file}: {app} version {old} → {outcome.version}")


@click.command()
@click.argument("app")
@fabric_options
def history(app: str, file: Path, local: bool, as_json: bool) -> None:
    """List the releases of APP: revision, version, when, outcome.

    \b
    Example:
      weft history web
    """
    from weft.ops.apps.release import history as releases_of

    conn = _open(file, local, as_json, "history")
    try:
        entries = releases_of(conn, app)
    finally:
        conn.close()
    if as_json:
        machine.document({"app": app, "releases": [e.to_dict() for e in entries]})
        return
    rows = []
    for e in entries:
        outcome = e.outcome
        if e.rolled_back_to is not None:
            outcome += (
                f" (to revision {e.rolled_back_to})"
                if e.outcome == "rollback"
                else (f", rolled back to revision {e.rolled_back_to}")
            )
        rows.append(
            {
                "revision": "" if e.revision is None else str(e.revision),
                "version": e.version,
                "when": e.at,
                "outcome": outcome,
                "detail": render.short(e.detail, 120) if e.detail else "",
            }
        )
    console = out(as_json)
    if not rows:
        console.print(f"No release of {render.escape(app)} recorded yet.")
        return
    render.rows_table(
        console,
        rows,
        ["revision", "version", "when", "outcome", "detail"],
        f"Releases of {app}",
        wrap=("outcome", "detail"),
    )


@click.command("render")
@click.argument("apps", nargs=-1)
@fabric_options
def render_(apps: tuple[str, ...], file: Path, local: bool, as_json: bool) -> None:
    """Print the manifests weft would apply (secret values redacted), as YAML or --json.

    \b
    Example:
      weft render web | kubectl diff -f -
    """
    from weft.ops.apps.inputs import render as render_manifests

    # the banner goes to standard error: standard output is the manifests alone
    conn = _open(file, local, True, "render")
    try:
        objects = render_manifests(conn, list(apps) or None)
    finally:
        conn.close()
    if as_json:
        machine.document({"objects": objects})
        return
    click.echo(manifests_yaml(objects), nl=False)


def manifests_yaml(objects: list[dict[str, Any]]) -> str:
    """The manifests as a YAML stream, as kubectl writes them: block style and no anchors or
    aliases (a part two objects share, such as their labels, is written out each time)."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.representer.ignore_aliases = lambda *_: True
    buf = io.StringIO()
    yaml.dump_all(objects, buf)
    return buf.getvalue()


@click.command()
@fabric_options
@click.option(
    "--http/--no-http",
    default=None,
    help="Also GET the canary through its DNS name (default: on AWS yes; on the local cloud "
    "no, its load balancers have no data plane).",
)
@click.option("--image", default=None, help="The canary's image (a web server on port 80).")
@click.option(
    "--versions",
    default=None,
    help="Two versions of the image, first and upgrade, e.g. 1.27.0,1.27.1.",
)
@click.option("--timeout", default=600.0, show_default=True, type=float, help=TIMEOUT_HELP)
def verify(
    file: Path,
    local: bool,
    as_json: bool,
    http: bool | None,
    image: str | None,
    versions: str | None,
    timeout: float,
) -> None:
    """Check each app reaches its databases and caches (from the security groups), then deploy
    a canary, check it is reachable, upgrade it without downtime, delete it.

    \b
    Example:
      weft verify --timeout 300
    """
    from weft.errors import UsageError
    from weft.fabricfile.image import version_problem
    from weft.ops import verify as procedure

    pair = procedure.VERSIONS
    if versions:
        parts = tuple(v.strip() for v in versions.split(","))
        problems = [p for v in parts if (p := version_problem(v))]
        if len(parts) != 2 or problems or parts[0] == parts[1]:
            raise UsageError(
                "--versions takes two different versions, e.g. 1.27.0,1.27.1"
                + (f": {problems[0]}" if problems else "")
            )
        pair = (parts[0], parts[1])
    target = connect(file, local, as_json, "verify")
    console = out(as_json)

    def step(s: Any) -> None:
        if as_json:
            machine.event(
                "step", s.name, "ok" if s.ok else "failed", seconds=s.seconds, message=s.detail
            )
            return
        mark = "[green]✓[/]" if s.ok else "[red]✗[/]"
        console.print(f"{mark} {s.name:<16} {s.seconds:6.1f}s  {render.escape(s.detail)}")

    runner = procedure.Verify(
        target,
        _reporter(as_json) if as_json else (lambda _e: None),
        step,
        image=image or procedure.IMAGE,
        versions=pair,
        http=(target.local_url is None) if http is None else http,
        no_http_reason=(
            "--no-http"
            if http is False
            else "the local cloud's load balancers have no data plane; --http to try anyway"
        ),
        timeout=timeout,
    )
    result = runner.run()
    if as_json:
        machine.summary(
            result.ok,
            "ok" if result.ok else "failed",
            code="verify_failed",
            steps=[s.to_dict() for s in result.steps],
        )
    elif result.ok:
        total = sum(s.seconds for s in result.steps)
        console.print(f"[green]Verified[/] in {total:.1f}s: every step held.")
    if not result.ok:
        if not as_json:
            console.print("[red]Verification failed.[/]")
        raise Exit(EXIT_ERROR)


COMMANDS = (deploy, release, rollback, history, render_, verify)
