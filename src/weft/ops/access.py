"""Cluster access: a kubeconfig context for the fabric's cluster, and the token behind it.

The context (:mod:`weft.kube.kubeconfig`) holds no credential: kubectl runs ``weft token
FABRIC`` whenever it needs one, which signs an STS request locally (as ``aws eks get-token``
does), so the file never goes stale. On AWS it names nothing of this machine (``weft`` from the
PATH, or ``aws eks get-token`` by option), so it is safe to commit; on the local cloud it names
the ``weft`` that wrote it and the local cloud's state directory, so kubectl reaches that local
cloud from any shell. ``weft token`` never starts a local cloud: it says it is not running.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from weft.aws.drivers import DRIVERS
from weft.aws.eks_token import get_token
from weft.aws.inventory import discover
from weft.errors import GuardError, LocalCloudError, UsageError
from weft.fabricfile import Fabric
from weft.kube.kubeconfig import (
    TokenFrom,
    aws_token_command,
    entry_name,
    local_token_command,
    merge,
    render_context,
)
from weft.model.addresses import CLUSTER
from weft.ops.target import Target, local_session, open_session


@dataclass(frozen=True)
class Written:
    """A context written into a kubeconfig: the file, the context's name, the API endpoint."""

    path: Path
    context: str
    endpoint: Any


def default_kubeconfig() -> Path:
    """The first file of ``$KUBECONFIG``, else ``~/.kube/config`` (as kubectl picks it)."""
    first = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


def this_weft() -> str:
    """The absolute path of the ``weft`` that runs (the console script), for a kubeconfig that
    must run this very ``weft`` wherever kubectl runs (outside its virtualenv too)."""
    started = Path(sys.argv[0])
    if started.name == "weft" and started.is_file():
        return str(started.absolute())
    beside = Path(sys.executable).parent / "weft"  # the script installed with this Python
    if beside.is_file():
        return str(beside)
    found = shutil.which("weft")
    return str(Path(found).absolute()) if found else "weft"


def write_kubeconfig(
    target: Target,
    fabric_file: Path,
    path: Path | None = None,
    *,
    token_from: TokenFrom = "weft",
    role_arn: str | None = None,
) -> Written:
    """Write (or merge) the context ``weft-FABRIC`` for the fabric's cluster into ``path``
    (default: :func:`default_kubeconfig`), made current. Its user runs, on AWS, ``weft token``
    from the PATH (or ``aws eks get-token`` with ``token_from="aws"``); on the local cloud, this
    ``weft`` (:func:`this_weft`) with ``fabric_file`` and the local cloud's state directory.
    With ``role_arn`` the entry is ``weft-FABRIC@ROLE`` and its token is the role's (for a
    principal the fabric's ``cluster.access`` lists)."""
    local = target.local_url is not None
    if local and token_from == "aws":
        raise UsageError(
            "the local cloud's clusters take tokens from weft token, not aws eks get-token",
            hint="leave out --token-from aws for a fabric on the local cloud",
        )
    found = discover(target.context(), {"eks_cluster": DRIVERS["eks_cluster"]})
    cluster = found.by_address.get(CLUSTER)
    if cluster is None:
        raise GuardError(f"fabric {target.name} has no cluster yet", hint="create it with: weft up")
    endpoint, ca_data = cluster.outputs.get("endpoint"), cluster.outputs.get("ca_data")
    if local:
        from weft.local.state import state_dir

        command = local_token_command(
            target.name,
            weft=this_weft(),
            fabric_file=str(fabric_file.resolve()),
            state_dir=str(state_dir().absolute()),
            role_arn=role_arn,
        )
    else:
        command = aws_token_command(target.name, cluster.id, target.region, token_from, role_arn)
    new = render_context(
        target.name,
        cluster.id,
        str(endpoint),
        str(ca_data),
        target.region,
        token=command,
        local=local,
        role_arn=role_arn,
    )
    path = path or default_kubeconfig()
    _write_yaml(path, merge(_read_yaml(path), new))
    return Written(path, entry_name(target.name, role_arn), endpoint)


def token(
    fabric: Fabric, asked: str, *, local: bool, role_arn: str | None = None
) -> dict[str, Any]:
    """The ExecCredential kubectl asks ``weft token`` for: an EKS token for the fabric's
    cluster, signed with the standard AWS configuration (or for the local cloud, which must be
    running: :func:`running_local_session`). Refused when the file describes another fabric
    than ``asked``: the kubeconfig entry is stale."""
    if fabric.name != asked:
        raise GuardError(
            f"{fabric.source} describes fabric {fabric.name!r}, not {asked!r}: no token issued",
            hint="the kubeconfig entry points at the wrong file; run weft kubeconfig again",
        )
    if local or fabric.provider == "local":
        return get_token(running_local_session(fabric.region), fabric.name, role_arn=role_arn)
    return region_token(fabric.name, fabric.region, role_arn)


def region_token(cluster_name: str, region: str, role_arn: str | None = None) -> dict[str, Any]:
    """The ExecCredential for the EKS cluster ``cluster_name`` in ``region`` on AWS, signed with
    the standard AWS configuration (no fabric file needed: what a committed kubeconfig runs)."""
    session, _ = open_session(region, local=False)
    return get_token(session, cluster_name, role_arn=role_arn)


def running_local_session(region: str) -> Any:
    """A session for the local cloud that runs, never a new one: a token for a new, empty local
    cloud would only earn kubectl an ``Unauthorized``."""
    from weft.local import aws_server
    from weft.local.state import state_dir

    info = aws_server.status()
    if info is None:
        raise LocalCloudError(
            f"the local cloud is not running (state directory {state_dir()}): no token issued",
            hint="start it with weft local up (or weft up); if it runs with another state "
            "directory, set WEFT_STATE_DIR to it, or run weft kubeconfig again from there",
        )
    return local_session(region, info.url)


def _read_yaml(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = YAML(typ="safe").load(path.read_text())
    except Exception as exc:
        raise UsageError(f"{path} is not a readable kubeconfig: {exc}") from exc
    if data is not None and not isinstance(data, dict):
        raise UsageError(f"{path} is not a kubeconfig (its top level is not a mapping)")
    return data


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".weft-tmp")
    yaml = YAML()
    yaml.default_flow_style = False
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        yaml.dump(data, fh)
    os.replace(tmp, path)
