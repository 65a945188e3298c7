"""What the apps' manifests are rendered from: the data stores, certificate and secrets the apps
use, read from the cloud, and the API versions the cluster serves.

``weft render`` renders before ``weft up`` made everything: what is missing then shows as a
placeholder, and secret values stay redacted. A deploy renders with everything real, and stops,
before anything is applied, when a store or a secret is missing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from weft.aws import secrets
from weft.aws.inventory import Inventory
from weft.core.resource import Observed, address_of
from weft.errors import ConfigError, GuardError, KubeError
from weft.fabricfile.secret_names import cache_auth_token, database_password
from weft.kube import manifests
from weft.model.addresses import CERTIFICATE
from weft.model.app_roles import app_role_address, needs_role
from weft.ops.apps.connection import Connection


def data_stores(
    conn: Connection, only: Collection[str] | None = None
) -> dict[str, manifests.DataStore]:
    """Facts about every store the (selected) apps use, read from the cloud."""
    fabric = conn.fabric
    used: set[str] = set()
    for item in conn.workloads():
        if only is None or item.name in only:
            used.update(item.uses)
    inv = conn.inventory()
    out: dict[str, manifests.DataStore] = {}
    for db in fabric.databases:
        if db.name in used:
            obs = _need(inv, address_of("db_instance", db.name), "database", db.name)
            out[db.name] = manifests.DataStore(
                db.name,
                "database",
                {
                    "host": str(obs.outputs.get("endpoint") or ""),
                    "port": str(obs.outputs.get("port") or 5432),
                    "database": db.db_name,
                    "user": db.username,
                },
                database_password(db.name),
            )
    for cache in fabric.caches:
        if cache.name in used:
            address = address_of("cache_replication_group", cache.name)
            obs = _need(inv, address, "cache", cache.name)
            host, port = (
                str(obs.outputs.get("endpoint") or ""),
                str(obs.outputs.get("port") or 6379),
            )
            out[cache.name] = manifests.DataStore(
                cache.name,
                "cache",
                {
                    "host": host,
                    "port": port,
                    # weft's caches encrypt in transit: a plain redis:// client is refused
                    "tls": "true",
                    "url": f"rediss://{host}:{port}",
                },
                cache_auth_token(cache.name),
            )
    for bucket in fabric.buckets:
        if bucket.name in used:
            obs = _need(inv, address_of("bucket", bucket.name), "bucket", bucket.name)
            out[bucket.name] = manifests.DataStore(
                bucket.name,
                "bucket",
                {
                    "bucket": str(obs.props.get("bucket") or obs.id),
                    "region": fabric.region,
                },
                None,
            )
    return out


def _need(inv: Inventory, address: str, what: str, name: str) -> Observed:
    found = inv.by_address.get(address)
    if found is None:
        raise GuardError(
            f"{what} {name} does not exist yet, and apps use it",
            hint="create it with: weft up",
        )
    return found


def role_arns(conn: Connection, only: Collection[str] | None, *, reveal: bool) -> dict[str, str]:
    """The ARN of the IAM role of each (selected) app and cron job that has one
    (:mod:`weft.model.app_roles`). A role the cloud does not hold yet stops a deploy
    (GuardError); ``weft render`` (without ``reveal``) shows it as
    :data:`~weft.kube.manifests.UNKNOWN`."""
    out: dict[str, str] = {}
    for item in conn.workloads():
        if (only is not None and item.name not in only) or not needs_role(conn.fabric, item):
            continue
        found = conn.inventory().by_address.get(app_role_address(item.name))
        if found is not None:
            out[item.name] = str(found.outputs.get("arn"))
        elif reveal:
            raise GuardError(
                f"the IAM role of {item.name} ({app_role_address(item.name)}) does not exist "
                f"yet, and {item.name} uses a bucket through it",
                hint="create it with: weft up",
            )
        else:
            out[item.name] = manifests.UNKNOWN
    return out


def certificate_arn(conn: Connection) -> str | None:
    cert = conn.inventory().by_address.get(CERTIFICATE)
    return str(cert.outputs.get("arn")) if cert is not None else None


def secret_values(
    conn: Connection, only: Collection[str] | None, stores: Mapping[str, manifests.DataStore]
) -> dict[str, str]:
    """Every secret the (selected) apps need; a missing one stops the deploy."""
    fabric = conn.fabric
    wanted = set(manifests.secret_names(fabric, only))
    wanted |= {s.secret for s in stores.values() if s.secret}
    values: dict[str, str] = {}
    missing = []
    for name in sorted(wanted):
        value = secrets.find_secret(conn.ctx, name)
        if value is None:
            missing.append(name)
        else:
            values[name] = value
    if missing:
        users = sorted(item.name for item in conn.workloads() if set(item.secrets) & set(missing))
        raise ConfigError(
            f"{fabric.source}: secret{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} not in the secrets store of fabric {fabric.name} "
            f"(used by {', '.join(users) or 'a data store'}); nothing was applied. "
            f"Set {'them' if len(missing) > 1 else 'it'} with: weft secrets set NAME"
        )
    return values


def render_input(
    conn: Connection,
    only: Collection[str] | None,
    *,
    reveal: bool,
    overrides: Mapping[str, str] | None = None,
) -> manifests.RenderInput:
    """Everything the manifests are rendered from; without ``reveal``, secret values stay
    out and what the cloud does not hold yet is a placeholder."""
    stores = data_stores(conn, only) if reveal else _stores_or_placeholders(conn, only)
    values = secret_values(conn, only, stores) if reveal else {}
    return manifests.RenderInput(
        fabric=conn.fabric,
        namespace=conn.namespace,
        certificate_arn=certificate_arn(conn) if reveal else _certificate_or_none(conn),
        data=stores,
        secret_values=values,
        versions=conn.versions if reveal else _versions_or_default(conn),
        version_overrides=dict(overrides or {}),
        role_arns=role_arns(conn, only, reveal=reveal),
    )


def _stores_or_placeholders(
    conn: Connection, only: Collection[str] | None
) -> dict[str, manifests.DataStore]:
    try:
        return data_stores(conn, only)
    except GuardError:
        out = {}
        for kind, items in (
            ("database", conn.fabric.databases),
            ("cache", conn.fabric.caches),
            ("bucket", conn.fabric.buckets),
        ):
            for item in items:
                out[item.name] = manifests.DataStore(item.name, kind, {}, None)  # type: ignore[arg-type]
        return out


def _certificate_or_none(conn: Connection) -> str | None:
    """The certificate's ARN, or (for ``weft render`` before ``weft up`` made it) a
    placeholder saying so."""
    try:
        found = certificate_arn(conn)
    except (KubeError, GuardError):
        found = None
    if found is None and conn.fabric.dns is not None:
        return manifests.UNKNOWN
    return found


def _versions_or_default(conn: Connection) -> manifests.ApiVersions:
    try:
        return conn.versions
    except (KubeError, GuardError):
        return manifests.ApiVersions()


def render(conn: Connection, only: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The manifests, secret values redacted (``weft render``)."""
    conn.check_names(only)
    return manifests.render(render_input(conn, only, reveal=False), only)
