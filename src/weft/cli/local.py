"""``weft local up | status | down``: the embedded local cloud (moto in server mode and a
genuine Kubernetes control plane, on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from weft.cli import machine, render
from weft.cli.common import EXIT_NOT_RUNNING, Exit, json_option, local_option

LOCAL_ACCEPTED = "Accepted, as on every command: this command acts on the local cloud anyway."


@click.group()
def local() -> None:
    """The embedded local cloud (moto server and a Kubernetes control plane on 127.0.0.1).

    \b
    Example:
      weft local up && weft local status
    """


@local.command("up")
@json_option
@local_option(LOCAL_ACCEPTED)
@click.option("--no-kube", is_flag=True, help="Start only the local AWS, not the Kubernetes part.")
def local_up(as_json: bool, local: bool, no_kube: bool) -> None:
    """Start the local cloud (no-op when it runs): local AWS, then the local Kubernetes.

    \b
    Example:
      weft local up --no-kube
    """
    from weft.local import aws_server, parent_zones
    from weft.local.kube import control_plane

    info = aws_server.start()
    parents = parent_zones.ensure(info.url)
    kube: control_plane.LocalKube | None = None
    unavailable: str | None = None
    if not no_kube:
        try:
            kube = _start_kube(control_plane, info.url, render.console(stderr=as_json))
        except control_plane.KubeUnavailable as exc:
            unavailable = exc.message
            render.console(stderr=True).print(f"Local Kubernetes not started: {exc}")
    if as_json:
        machine.document(
            {
                "aws_endpoint": info.url,
                "pid": info.pid,
                "parent_zones": parents,
                "kube_endpoint": kube.endpoint if kube else None,
                "kubeconfig": kube.kubeconfig if kube else None,
                "kube_version": kube.version if kube else None,
                "kube_origin": kube.origin if kube else None,
                "kube_cold_start_seconds": kube.cold_start_seconds if kube else None,
                "kube_unavailable": unavailable,
            }
        )
        return
    con = render.console()
    con.print(f"Local cloud running: AWS endpoint {info.url} (pid {info.pid}).")
    con.print(
        f"  parent zones {', '.join(parents)}: delegate a test domain under them with "
        "weft local delegate DOMAIN"
    )
    if kube:
        con.print(
            f"Local Kubernetes {kube.version} running: {kube.endpoint} "
            f"(kubeconfig {kube.kubeconfig}; started in {kube.cold_start_seconds:.1f}s)."
        )
        if kube.origin:
            con.print(f"  its binaries: {kube.origin}")


def _start_kube(control_plane: Any, aws_endpoint: str, console: Any) -> Any:
    """Start the local Kubernetes, with progress when it is not running yet (about 10 s cold:
    etcd, kube-apiserver, kube-controller-manager, the simulators)."""
    running = control_plane.kube_status()
    if running is not None and all(p.alive for p in running.processes.values()):
        return control_plane.start_kube(aws_endpoint=aws_endpoint)
    console.print("Starting the local Kubernetes (about 10 s the first time)...")
    with console.status("starting etcd, kube-apiserver and kube-controller-manager"):
        return control_plane.start_kube(aws_endpoint=aws_endpoint)


@local.command("delegate")
@json_option
@local_option(LOCAL_ACCEPTED)
@click.argument("domain")
def local_delegate(as_json: bool, local: bool, domain: str) -> None:
    """Delegate DOMAIN to its hosted zone, as a registrar would (the zone must exist).

    The local cloud keeps the DNS of example.com, example.net and example.org; DOMAIN, a
    subdomain of one of them, gets NS records there naming its zone's name servers. Until then,
    as on AWS, nothing sees its records and ACM does not issue its certificate.

    \b
    Example:
      weft local delegate shop.example.com
    """
    from weft.errors import LocalCloudError
    from weft.local import aws_server, parent_zones

    info = aws_server.status()
    if info is None:
        raise LocalCloudError("the local cloud is not running", hint="start it: weft local up")
    servers = parent_zones.delegate(info.url, domain)
    if as_json:
        machine.document({"domain": domain, "name_servers": servers})
        return
    render.console().print(f"Delegated {domain} to {', '.join(servers)}.")


@local.command("down")
@json_option
@local_option(LOCAL_ACCEPTED)
def local_down(as_json: bool, local: bool) -> None:
    """Stop the local cloud; everything in it is gone.

    \b
    Example:
      weft local down
    """
    from weft.local import aws_server
    from weft.local.kube import control_plane

    kube_stopped = control_plane.stop_kube()
    stopped = aws_server.stop()
    if as_json:
        machine.document({"stopped": stopped, "kube_stopped": kube_stopped})
    else:
        render.console().print(
            "Local cloud stopped." if stopped else "The local cloud was not running."
        )
        if kube_stopped:
            render.console().print("Local Kubernetes stopped.")


@local.command("status")
@json_option
@local_option(LOCAL_ACCEPTED)
def local_status(as_json: bool, local: bool) -> None:
    """Is the local cloud running, and where (exit 3 when it is not).

    \b
    Example:
      weft local status --json
    """
    from weft.local import aws_server
    from weft.local.kube import binaries, control_plane

    info = aws_server.status()
    kube = control_plane.kube_status()
    cached = [
        {"version": v, "origin": binaries.origin(v).describe()} for v in binaries.cached_versions()
    ]
    selected = binaries.selected_version()
    if as_json:
        machine.document(
            {
                "running": bool(info),
                "aws_endpoint": info.url if info else None,
                "pid": info.pid if info else None,
                "kube_endpoint": kube.endpoint if kube else None,
                "kubeconfig": kube.kubeconfig if kube else None,
                "kube_healthy": kube.healthy if kube else None,
                "kube_version": kube.version if kube else None,
                "kube_origin": kube.origin if kube else None,
                "kube_cached": cached,
                "kube_selected": selected,
                "kube_unavailable": binaries.unavailable_reason(),
                "kube_processes": (
                    {
                        n: {"pid": p.pid, "alive": p.alive, "log": p.log}
                        for n, p in kube.processes.items()
                    }
                    if kube
                    else None
                ),
            },
            ok=bool(info),
            code="not_running",
        )
    elif info:
        render.console().print(
            f"Local cloud running: AWS endpoint {info.url} (pid {info.pid}, log {info.log})."
        )
    else:
        render.console().print("The local cloud is not running (weft local up starts it).")
    if kube and not as_json:
        con = render.console()
        state = "running" if kube.healthy else "NOT HEALTHY"
        con.print(f"Local Kubernetes {kube.version} {state}: {kube.endpoint}")
        if kube.origin:
            con.print(f"  its binaries: {kube.origin}")
        con.print(f"  kubeconfig {kube.kubeconfig}")
        for name, proc in kube.processes.items():
            con.print(f"  {name}: pid {proc.pid} {'up' if proc.alive else 'DEAD'}, log {proc.log}")
    if not kube and not as_json:
        con = render.console()
        if selected:
            origin = binaries.origin(selected).describe()
            con.print(f"Local Kubernetes {selected} is cached ({origin}); not running.")
        else:
            con.print(f"No local Kubernetes: {binaries.unavailable_reason()}")
    if not info:
        raise Exit(EXIT_NOT_RUNNING)


@local.group("quota")
def quota() -> None:
    """The local account's service quotas (to try a fabric against a small account).

    \b
    Example:
      weft local quota set L-F678F1CE 1 --region us-east-2
    """


@quota.command("set")
@click.argument("code")
@click.argument("value", type=click.FloatRange(min=0))
@click.option(
    "--region",
    default=None,
    help="The quota's Region (default: the region of ./fabric.yaml).",
)
@json_option
@local_option(LOCAL_ACCEPTED)
def quota_set(code: str, value: float, region: str | None, as_json: bool, local: bool) -> None:
    """Apply VALUE to the local account's quota CODE (e.g. L-1216C47A) in a Region.

    The local cloud then answers GetServiceQuota (and, for L-7B6409FD, RDS
    DescribeAccountAttributes) with it, until it is reset or restarted.

    \b
    Example:
      weft local quota set L-0263D0A3 2 --region us-east-2
    """

    from weft.errors import LocalCloudError, UsageError
    from weft.local import aws_server, moto_quotas

    if region is None:
        region = _fabric_region(Path("fabric.yaml"))
    info = aws_server.status()
    if info is None:
        raise LocalCloudError("the local cloud is not running", hint="weft local up starts it")
    try:
        moto_quotas.request_set(info.url, region, code, value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if as_json:
        machine.document({"code": code, "region": region, "value": value})
    else:
        render.console().print(f"Quota {code} in {region} of the local account is now {value:g}.")


def _fabric_region(path: Path) -> str:
    from weft.errors import UsageError
    from weft.fabricfile import load_fabric

    if not path.exists():
        raise UsageError("which Region? give --region (no fabric.yaml here to read it from)")
    return load_fabric(path).region
