"""What the EKS patches share over moto's EKS backend: the errors EKS answers with, finding a
cluster, the updates and add-ons kept on a cluster object, and the routes of the calls added.

moto's own state is the only state: updates and add-ons live on moto's ``Cluster`` objects
(``weft_updates``, ``weft_addons``), so they go with the cluster and with a reset of the server.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def hex32() -> str:
    return uuid.uuid4().hex.upper()


def errors() -> Any:
    """moto's EKS exceptions (imported when used: moto is there only in the server process)."""
    from moto.eks import exceptions

    return exceptions


def serve(paths: tuple[str, ...]) -> None:
    """Serve these EKS paths (before the server builds its URL map)."""
    from moto.eks import urls

    dispatch = urls.response.dispatch
    for path in paths:
        urls.url_paths.setdefault(path, dispatch)


def _error(kind: str, message: str, names: dict[str, Any]) -> Exception:
    error: Exception = getattr(errors(), kind)(
        clusterName=names.get("cluster"),
        nodegroupName=names.get("nodegroup"),
        fargateProfileName=None,
        addonName=names.get("addon"),
        message=message,
    )
    return error


def not_found(message: str, **names: Any) -> Exception:
    """EKS's ResourceNotFoundException, naming the ``cluster``, ``nodegroup`` or ``addon``."""
    return _error("ResourceNotFoundException", message, names)


def cluster(backend: Any, name: str) -> Any:
    """The cluster ``name``, or EKS's ResourceNotFoundException."""
    found = backend.clusters.get(name)
    if found is None:
        raise not_found(f"No cluster found for name: {name}.", cluster=name)
    return found


def invalid(message: str, **names: Any) -> Exception:
    """EKS's InvalidParameterException, naming the ``cluster``, ``nodegroup`` or ``addon``."""
    return _error("InvalidParameterException", message, names)


def invalid_request(message: str, **names: Any) -> Exception:
    """EKS's InvalidRequestException (a request the resource's state does not allow)."""
    return _error("InvalidRequestException", message, names)


def in_use(cluster_name: str, message: str, addon: str | None = None) -> Exception:
    """EKS's ResourceInUseException."""
    error: Exception = errors().ResourceInUseException(
        clusterName=cluster_name, nodegroupName=None, addonName=addon, message=message
    )
    return error


def updates_of(cluster: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(cluster, "weft_updates"):
        cluster.weft_updates = {}
    updates: dict[str, dict[str, Any]] = cluster.weft_updates
    return updates


def addons_of(cluster: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(cluster, "weft_addons"):
        cluster.weft_addons = {}
    addons: dict[str, dict[str, Any]] = cluster.weft_addons
    return addons


def record_update(
    cluster: Any,
    kind: str,
    params: list[dict[str, str]],
    *,
    nodegroup: str | None = None,
    addon: str | None = None,
    update_id: str | None = None,
) -> dict[str, Any]:
    """Record a Successful update on ``cluster`` (of a node group or add-on when named); the
    update as the API answers it."""
    the_id = update_id or str(uuid.uuid4())
    update: dict[str, Any] = {
        "id": the_id,
        "status": "Successful",
        "type": kind,
        "params": params,
        "createdAt": now(),
        "errors": [],
    }
    updates_of(cluster)[the_id] = {**update, "_nodegroup": nodegroup, "_addon": addon}
    return update


def public(update: dict[str, Any]) -> dict[str, Any]:
    """A recorded update without what only the emulator keeps (its node group and add-on)."""
    return {k: v for k, v in update.items() if not k.startswith("_")}


def concerns(update: dict[str, Any], nodegroup: str | None, addon: str | None) -> bool:
    """Whether a recorded update is one of the cluster itself (neither named), of the node
    group, or of the add-on named (DescribeUpdate and ListUpdates see only those)."""
    return (update["_nodegroup"] or None) == (nodegroup or None) and (update["_addon"] or None) == (
        addon or None
    )
