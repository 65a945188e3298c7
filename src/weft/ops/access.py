"""Cluster access: a kubeconfig context for the fabric's cluster, and the token behind it.

The context (:mod:`weft.kube.kubeconfig`) holds no credential: kubectl runs ``weft token
FABRIC`` whenever it needs one, which signs an STS request locally (as ``aws eks get-token``
does), so the file is safe to commit and never goes stale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from weft.aws.drivers import DRIVERS
from weft.aws.eks_token import get_token
from weft.aws.inventory import discover
from weft.errors import GuardError, UsageError
from weft.fabricfile import Fabric
from weft.kube.kubeconfig import entry_name, merge, render_context
from weft.model.addresses import CLUSTER
from weft.ops.target import Target, open_session


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


def write_kubeconfig(target: Target, fabric_file: Path, path: Path | None = None) -> Written:
    """Write (or merge) the context ``weft-FABRIC`` for the fabric's cluster into ``path``
    (default: :func:`default_kubeconfig`), made current; its user runs ``weft token`` with
    ``fabric_file``."""
    found = discover(target.context(), {"eks_cluster": DRIVERS["eks_cluster"]})
    cluster = found.by_address.get(CLUSTER)
    if cluster is None:
        raise GuardError(f"fabric {target.name} has no cluster yet", hint="create it with: weft up")
    endpoint, ca_data = cluster.outputs.get("endpoint"), cluster.outputs.get("ca_data")
    new = render_context(
        target.name,
        cluster.id,
        str(endpoint),
        str(ca_data),
        target.region,
        fabric_file=str(fabric_file.resolve()),
        local=target.local_url is not None,
    )
    path = path or default_kubeconfig()
    _write_yaml(path, merge(_read_yaml(path), new))
    return Written(path, entry_name(target.name), endpoint)


def token(fabric: Fabric, asked: str, *, local: bool) -> dict[str, Any]:
    """The ExecCredential kubectl asks ``weft token`` for: an EKS token for the fabric's
    cluster, signed with the standard AWS configuration (or for the local cloud). Refused when
    the file describes another fabric than ``asked``: the kubeconfig entry is stale."""
    if fabric.name != asked:
        raise GuardError(
            f"{fabric.source} describes fabric {fabric.name!r}, not {asked!r}: no token issued",
            hint="the kubeconfig entry points at the wrong file; run weft kubeconfig again",
        )
    session, _ = open_session(fabric.region, local=local or fabric.provider == "local")
    return get_token(session, fabric.name)


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
