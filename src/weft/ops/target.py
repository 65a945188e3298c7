"""The fabric a command acts on: its file, the AWS account and region, and the endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from weft.aws.account import identity, zone_ids
from weft.aws.context import AwsContext
from weft.aws.session import AwsSession
from weft.errors import ConfigError, GuardError
from weft.fabricfile import Fabric
from weft.fabricfile.loader import field_place
from weft.fabricfile.regions import EKS_UNSUPPORTED_ZONE_IDS
from weft.ops import retrying


@dataclass(frozen=True)
class Target:
    fabric: Fabric
    session: AwsSession
    account_id: str
    caller_arn: str
    zones: tuple[str, ...]
    local_url: str | None = None

    @property
    def region(self) -> str:
        return self.fabric.region

    @property
    def name(self) -> str:
        return self.fabric.name

    def context(self, run_id: str = "plan") -> AwsContext:
        return AwsContext(self.session, self.fabric.name, self.account_id, run_id=run_id)

    def banner(self) -> dict[str, str]:
        where = f"local cloud {self.local_url}" if self.local_url else "AWS"
        return {
            "fabric": self.fabric.name,
            "account": self.account_id,
            "region": self.region,
            "endpoint": where,
            "file": self.fabric.source,
        }

    def requests(self) -> dict[str, Any]:
        """The AWS requests this command has sent so far: total, reads, writes, by call."""
        return self.session.counter.snapshot()


def local_session(region: str, url: str) -> AwsSession:
    from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

    return AwsSession(region, endpoint_url=url, credentials=(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY))


def open_session(region: str, *, local: bool) -> tuple[AwsSession, str | None]:
    """A session for AWS (standard configuration, untouched) or for the local cloud."""
    if local:
        from weft.local import aws_server

        info = aws_server.start()
        return local_session(region, info.url), info.url
    return AwsSession(region), None


@dataclass(frozen=True)
class LocalKube:
    """The local Kubernetes a fabric's cluster is served by on the local cloud: ``started``
    when this call started it (``seconds`` it took), ``version`` the one running; or why it
    cannot run here (``unavailable``, with ``hint``: what to do)."""

    started: bool = False
    seconds: float = 0.0
    version: str = ""
    unavailable: str | None = None
    hint: str | None = None


def needs_local_kube(target: Target) -> bool:
    """Whether the fabric's cluster is served by the local Kubernetes: on the local cloud,
    every EKS cluster's API endpoint is the local Kubernetes' (:mod:`weft.local.moto_eks`)."""
    return target.local_url is not None and target.fabric.cluster is not None


def local_kube_running() -> bool:
    """Whether the local Kubernetes runs healthy (a quick look: no process is started)."""
    from weft.local.kube import control_plane

    info = control_plane.kube_status()
    return info is not None and info.healthy


def local_kube_unavailable() -> str | None:
    """Why the local Kubernetes cannot run on this machine (with what to do), or None."""
    from weft.local.kube import binaries

    return binaries.unavailable_reason()


def start_local_kube(target: Target) -> LocalKube:
    """Start the local Kubernetes for ``target``'s cluster unless it runs (a no-op then; a
    cold start takes ~10 s). Where it cannot run (its binaries not built, etcd missing), says
    why and what to do instead of raising: the AWS side of the fabric works without it."""
    from weft.local.kube import control_plane

    already = local_kube_running()
    try:
        info = control_plane.start_kube(aws_endpoint=target.local_url)
    except control_plane.KubeUnavailable as exc:
        return LocalKube(unavailable=exc.message, hint=exc.hint)
    return LocalKube(started=not already, seconds=info.cold_start_seconds, version=info.version)


def require_local_kube(target: Target) -> None:
    """Before talking to the fabric's cluster on the local cloud: its Kubernetes answers, or a
    clear refusal saying why not and what to do. Never starts it (the commands do, with
    progress: a library call must not leave processes behind)."""
    if not needs_local_kube(target):
        return
    from weft.local.kube import control_plane

    info = control_plane.kube_status()
    if info is not None and all(
        p.alive for name, p in info.processes.items() if name != "simulators"
    ):
        return
    why = local_kube_unavailable()
    if why:
        raise GuardError(
            f"fabric {target.name}'s cluster is served by the local Kubernetes, which cannot "
            f"run here: {why}",
            hint="the AWS side of the fabric works without it; the apps need it",
        )
    raise GuardError(
        f"fabric {target.name}'s cluster is served by the local Kubernetes, which is not running",
        hint="start it with weft local up (weft commands on a fabric with a cluster start it)",
    )


def choose_zones(
    fabric: Fabric, available: list[str], ids: Mapping[str, str] | None = None
) -> list[str]:
    """The AZs the fabric uses: the first N available, or the explicit list, checked.

    ``ids`` gives each zone name its zone id. A fabric with a cluster avoids the zone ids EKS
    places no control plane in (:data:`weft.fabricfile.regions.EKS_UNSUPPORTED_ZONE_IDS`): a
    count skips them, an explicit list that names one is refused, naming the zone and its id.
    """
    wanted = fabric.network.zones
    where = field_place(fabric.source, ("network", "zones"))
    ids = ids or {}
    refused: set[str] = set()
    if fabric.cluster is not None:
        refused = set(EKS_UNSUPPORTED_ZONE_IDS.get(fabric.region, frozenset()))
    unsupported = [z for z in available if ids.get(z) in refused]
    if isinstance(wanted, int):
        usable = [z for z in available if z not in unsupported]
        if wanted > len(usable):
            skipped = "".join(
                f"; {z} ({ids[z]}) is skipped: EKS places no cluster control plane there"
                for z in unsupported
            )
            raise ConfigError(
                f"{where}: {wanted} zones asked for, but {fabric.region} offers this account "
                f"{len(usable)}: {', '.join(usable)}{skipped}"
            )
        return usable[:wanted]
    missing = [z for z in wanted if z not in available]
    if missing:
        raise ConfigError(
            f"{where}: {', '.join(missing)} not available to this account; "
            f"available in {fabric.region}: {', '.join(available)}"
        )
    named = [(i, z) for i, z in enumerate(wanted) if z in unsupported]
    if named:
        usable = [z for z in available if z not in unsupported]
        index, zone = named[0]
        raise ConfigError(
            f"{field_place(fabric.source, ('network', 'zones', index))}: {zone} is zone id "
            f"{ids[zone]} in this account, where EKS places no cluster control plane: the "
            "cluster could not be created there (UnsupportedAvailabilityZoneException); nothing "
            f"was done. Choose other zones ({', '.join(usable)}), or give a count and weft "
            "skips that zone"
        )
    return list(wanted)


def connect(fabric: Fabric, *, local: bool = False) -> Target:
    """Open the session, check the account the fabric allows, and resolve its zones."""
    use_local = local or fabric.provider == "local"
    session, url = open_session(fabric.region, local=use_local)
    account, arn = retrying.attempt(lambda: identity(session))
    if fabric.account_id and fabric.account_id != account:
        raise GuardError(
            f"{fabric.source}: fabric {fabric.name} belongs to account {fabric.account_id}, "
            f"but the credentials are for account {account} ({arn}); nothing was done",
            hint="switch credentials (AWS_PROFILE, aws sso login) or correct account_id",
        )
    ids = retrying.attempt(lambda: zone_ids(session))
    zones = choose_zones(fabric, list(ids), ids)
    return Target(fabric, session, account, arn, tuple(zones), url)
