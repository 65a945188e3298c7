"""Environment variables of apps and cron jobs: the names weft injects, and the checks of ``env``
and ``secrets`` that keep every name given once.

What an app or cron job gets injected (its own ``env`` may not use these names):

- for each data store in ``uses`` (see :data:`STORE_SETTINGS`), ``<STORE>_<SETTING>`` with the
  store's name upper-cased and ``-`` as ``_``: ``MAIN_HOST``, ``MAIN_PORT``, ``MAIN_DATABASE``,
  ``MAIN_USER`` and the credential ``MAIN_PASSWORD`` for a database; ``SESSIONS_HOST``,
  ``SESSIONS_PORT``, ``SESSIONS_TLS`` (``true``), ``SESSIONS_URL`` (``rediss://HOST:PORT``) and
  ``SESSIONS_AUTH_TOKEN`` for a cache; ``UPLOADS_BUCKET`` and
  ``UPLOADS_REGION`` for a bucket (:func:`store_env`, :func:`injected_env`);
- for each secret in ``secrets``, its name upper-cased with ``/``, ``-`` and ``.`` as ``_``:
  ``stripe/api-key`` is ``STRIPE_API_KEY`` (:func:`secret_env`).

:mod:`weft.kube.manifests` renders the variables with these names; the values of the credentials
and secrets come from the secrets store (:mod:`weft.fabricfile.secret_names`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from weft.fabricfile.checks import Path, check_unique, describe, problem, secret_name_problem

__all__ = [
    "ENV_NAME_RE",
    "STORE_CREDENTIAL",
    "STORE_SETTINGS",
    "StoreKind",
    "check_env",
    "check_secrets",
    "env_problems",
    "injected_env",
    "secret_env",
    "store_env",
]

StoreKind = Literal["database", "cache", "bucket"]

#: The plain settings of each kind of data store, injected as ``<STORE>_<SETTING>``.
STORE_SETTINGS: dict[str, tuple[str, ...]] = {
    "database": ("host", "port", "database", "user"),
    # ElastiCache encrypts in transit: clients must speak TLS (``TLS`` is "true"; ``URL`` is
    # ``rediss://HOST:PORT``, the scheme redis clients read as TLS; the token stays apart).
    "cache": ("host", "port", "tls", "url"),
    "bucket": ("bucket", "region"),
}
#: The setting under which a store's credential is injected (through a Kubernetes Secret).
STORE_CREDENTIAL: dict[str, str] = {"database": "password", "cache": "auth_token"}
#: The grammar of an environment variable's name.
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- names of injected things -----------------------------------------------------------------


def store_env(store: str, setting: str) -> str:
    """The environment variable of a data store's setting: ``("main-db", "host")`` ->
    ``MAIN_DB_HOST``."""
    return f"{store}_{setting}".upper().replace("-", "_")


def secret_env(secret: str) -> str:
    """The environment variable of a secret: ``stripe/api-key`` -> ``STRIPE_API_KEY``."""
    return re.sub(r"[/.-]", "_", secret.upper())


def injected_env(kind: str, store: str) -> dict[str, str]:
    """The environment variables a store in ``uses`` injects -> what each holds."""
    names = {store_env(store, s): f"the {kind}'s {s}" for s in STORE_SETTINGS[kind]}
    credential = STORE_CREDENTIAL.get(kind)
    if credential is not None:
        names[store_env(store, credential)] = f"the {kind}'s {credential.replace('_', ' ')}"
    return names


# --- checks of env and secrets --------------------------------------------------------------


def _env_name_problem(name: str) -> str | None:
    if ENV_NAME_RE.fullmatch(name):
        return None
    guess = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_").upper()
    hint = f" (did you mean {guess!r}?)" if guess and ENV_NAME_RE.fullmatch(guess) else ""
    shown = describe(name) if name else "an empty name"
    return (
        f"{shown} is not an environment variable name; expected letters, digits and '_', "
        f"not starting with a digit{hint}"
    )


def check_env(env: dict[str, str]) -> dict[str, str]:
    """An after-validator for ``env``: every key is an environment variable name."""
    found = [((key,), message) for key in env if (message := _env_name_problem(key)) is not None]
    if found:
        raise problem(*found)
    return env


def check_secrets(secrets: list[str]) -> list[str]:
    """An after-validator for ``secrets``: valid secret names, each injected under a valid name."""
    found: list[tuple[Path, str]] = []
    for index, name in enumerate(secrets):
        message = secret_name_problem(name)
        if message is not None:
            found.append(((index,), message))
        elif not ENV_NAME_RE.fullmatch(secret_env(name)):
            found.append(
                (
                    (index,),
                    f"{describe(name)} would be injected as {secret_env(name)!r}, which is not "
                    "an environment variable name (it starts with a digit); name the secret "
                    "starting with a letter",
                )
            )
    found.extend(check_unique(secrets, "secret", "secrets"))
    if found:
        raise problem(*found)
    return secrets


def env_problems(env: Mapping[str, str], secrets: Sequence[str]) -> list[tuple[Path, str]]:
    """Environment variable names given twice: by ``env`` and by ``secrets``, or two secrets."""
    found: list[tuple[Path, str]] = []
    first: dict[str, int] = {}
    for index, secret in enumerate(secrets):
        name = secret_env(secret)
        earlier = first.setdefault(name, index)
        if earlier != index:
            found.append(
                (
                    ("secrets", index),
                    f"{secret!r} would be injected as {name}, like {secrets[earlier]!r} (first as "
                    f"secrets[{earlier}]); rename one of the secrets",
                )
            )
    for key in env:
        if key in first:
            found.append(
                (
                    ("env", key),
                    f"{key} is injected from the secret {secrets[first[key]]!r} (first as "
                    f"secrets[{first[key]}]); remove it from env",
                )
            )
    return found
