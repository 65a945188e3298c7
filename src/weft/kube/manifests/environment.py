"""The environment of an app's or cron job's container, and the Secret behind its secret part.

Environment variables, in this order (:func:`container_env`): the entry's ``env``; for each store
in ``uses``, its plain settings (``MAIN_HOST``, ...) as values and its credential
(``MAIN_PASSWORD``, ``SESSIONS_AUTH_TOKEN``) from the Secret; then each of ``secrets``
(``STRIPE_API_KEY``) from the Secret. The names are made by
:func:`weft.fabricfile.env_vars.store_env` and :func:`weft.fabricfile.env_vars.secret_env`.

Secret values appear in the Secret ``<app>-env`` (:func:`env_secret_name`, :func:`env_secret`),
in its ``stringData``, and nowhere else; the pod template carries :func:`secret_hash`, a slow
salted hash of the Secret's data (scrypt, so a short one does not give weak values away to who
can read Deployments), so that a changed secret rolls the pods. What comes from the cloud is
given: the stores' settings (:class:`DataStore`) and the secrets' values, whose names
:func:`secret_names` lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from weft.errors import UsageError
from weft.fabricfile import Fabric
from weft.fabricfile.env_vars import STORE_CREDENTIAL, STORE_SETTINGS, secret_env, store_env
from weft.fabricfile.secret_names import credential_secret
from weft.kube.manifests.entries import Workload, selected
from weft.kube.manifests.labelling import SECRET_HASH_ANNOTATION

__all__ = [
    "REDACTED",
    "UNKNOWN",
    "DataStore",
    "container_env",
    "env_secret",
    "env_secret_name",
    "secret_hash",
    "secret_names",
]

#: The value of a secret whose value was not given.
REDACTED = "<redacted>"
#: The value of a data store's setting that was not given (the store does not exist yet).
UNKNOWN = "<unknown>"

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 8}


@dataclass(frozen=True)
class DataStore:
    """Facts about one database, cache or bucket, read from the cloud.

    ``settings`` are the plain values of :data:`weft.fabricfile.env_vars.STORE_SETTINGS` for its
    kind (``host``, ``port``, ``database``, ``user`` of a database; ``host``, ``port`` of a cache;
    ``bucket``, ``region`` of a bucket); one that is missing renders as :data:`UNKNOWN`.
    ``secret`` is the secrets-store name of its credential (``database/<n>/password``,
    ``cache/<n>/auth-token``), None for buckets (and then the usual name is assumed for the
    others).
    """

    name: str
    kind: Literal["database", "cache", "bucket"]
    settings: Mapping[str, str]
    secret: str | None


def env_secret_name(app: str) -> str:
    """The name of the Kubernetes Secret holding an app's or cron job's secret variables."""
    return f"{app}-env"


def secret_names(fabric: Fabric, only: Collection[str] | None = None) -> set[str]:
    """Every secrets-store name :func:`~weft.kube.manifests.render` needs for the (selected) apps
    and cron jobs.

    The entries' ``secrets``, and the credentials of the databases and caches they use.
    """
    kinds = fabric.store_kinds()
    found: set[str] = set()
    for entry in selected(fabric, only):
        found.update(entry.secrets)
        for target in entry.uses:
            credential = credential_secret(kinds[target], target)
            if credential is not None:
                found.add(credential)
    return found


def container_env(
    entry: Workload, data: Mapping[str, DataStore], secret_values: Mapping[str, str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The ``env`` of ``entry``'s container, and the data of its Secret (variable -> value).

    ``data`` holds every store ``entry`` uses; ``secret_values`` maps secrets-store names to
    values (a missing one is :data:`REDACTED`). Raises UsageError for a store not in ``data``.
    """
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in entry.env.items()]
    secret_data: dict[str, str] = {}
    secret_ref = env_secret_name(entry.name)

    def from_secret(variable: str, secret: str) -> None:
        secret_data[variable] = secret_values.get(secret, REDACTED)
        env.append(
            {
                "name": variable,
                "valueFrom": {"secretKeyRef": {"name": secret_ref, "key": variable}},
            }
        )

    for target in entry.uses:
        store = data.get(target)
        if store is None:
            raise UsageError(
                f"{entry.name} uses {target}, and nothing is known about it",
                hint="create it with: weft up",
            )
        wanted = STORE_SETTINGS[store.kind]
        extra = sorted(set(store.settings) - set(wanted))
        if extra:
            raise ValueError(
                f"the {store.kind} {target} has settings weft does not inject: "
                f"{', '.join(extra)} (expected {', '.join(wanted)})"
            )
        for setting in wanted:
            value = store.settings.get(setting, UNKNOWN)
            env.append({"name": store_env(target, setting), "value": value})
        credential = STORE_CREDENTIAL.get(store.kind)
        if credential is not None:
            secret = store.secret or credential_secret(store.kind, target)
            assert secret is not None
            from_secret(store_env(target, credential), secret)
    for secret in entry.secrets:
        from_secret(secret_env(secret), secret)
    return env, secret_data


def secret_hash(fabric: str, name: str, data: Mapping[str, str]) -> str:
    """The ``weft.dev/secret-hash`` of the Secret data of ``name`` in ``fabric``."""
    text = json.dumps(dict(data), sort_keys=True, separators=(",", ":")).encode()
    salt = f"{SECRET_HASH_ANNOTATION}:{fabric}/{name}".encode()
    return hashlib.scrypt(text, salt=salt, **_SCRYPT).hex()


def env_secret(metadata: dict[str, Any], data: Mapping[str, str]) -> list[dict[str, Any]]:
    """The Secret holding ``data`` (none when it is empty), with ``metadata``."""
    if not data:
        return []
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": "Opaque",
            "stringData": dict(data),
        }
    ]
