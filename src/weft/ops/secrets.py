"""``weft secrets``: the fabric's secrets store, for the commands that set, read, list and
remove its secrets (KMS envelope encryption in the fabric bucket: :mod:`weft.aws.secrets`)."""

from __future__ import annotations

from weft.aws import secrets as store
from weft.aws.secrets import SecretInfo
from weft.fabricfile import App, CronJob
from weft.kube import manifests
from weft.model.addresses import CLUSTER
from weft.ops.apps.connection import Connection
from weft.ops.apps.objects import app_of
from weft.ops.target import Target


def check_name(name: str) -> str:
    """``name``, or a usage error saying why it cannot name a secret (checked before anything
    is read, so a bad name touches no cloud)."""
    return store.check_name(name)


def put(target: Target, name: str, value: str) -> None:
    """Store ``value`` under ``name`` (a new version of it, if it exists)."""
    store.put_secret(target.context(), name, value)


def get(target: Target, name: str) -> str:
    """The value of ``name`` (a not-found error when there is none)."""
    return store.get_secret(target.context(), name)


def listing(target: Target) -> list[SecretInfo]:
    """Every stored secret: names and dates, never values."""
    return store.list_secrets(target.context())


def delete(target: Target, name: str) -> bool:
    """Remove every stored version of ``name``; whether there was one."""
    return store.delete_secret(target.context(), name)


def users(target: Target, name: str) -> list[str]:
    """The apps and cron jobs of the fabric file that use secret ``name``: in their
    ``secrets``, or as the credential of a database or cache they use."""
    fabric = target.fabric
    workloads: list[App | CronJob] = [*fabric.apps, *fabric.cronjobs]
    return [w.name for w in workloads if name in manifests.secret_names(fabric, [w.name])]


def deployed_users(target: Target, name: str) -> list[str]:
    """Of :func:`users`, those deployed: their Deployment or CronJob is in the cluster (whose
    next ``deploy``, ``release`` or ``rollback`` needs it). None when the fabric has no cluster
    yet."""
    wanted = users(target, name)
    if not wanted:
        return []
    conn = Connection(target)
    try:
        if conn.inventory().by_address.get(CLUSTER) is None:
            return []
        selector = {manifests.FABRIC_LABEL: target.fabric.name}
        kinds = [("apps/v1", "Deployment"), (conn.versions.cronjob, "CronJob")]
        running = {
            app_of(obj)
            for api_version, kind in kinds
            for obj in conn.kube.list(api_version, kind, conn.namespace, selector)
        }
    finally:
        conn.close()
    return [u for u in wanted if u in running]
