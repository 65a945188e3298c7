"""The names under which weft keeps data stores' credentials in the fabric's secrets store.

One place for them: the data drivers generate and store the credentials under these names, the
applications' manifests read them back from there, and ``weft secrets list`` shows them.
"""

from __future__ import annotations


def database_password(database: str) -> str:
    """The secret holding the master password of database ``database``."""
    return f"database/{database}/password"


def cache_auth_token(cache: str) -> str:
    """The secret holding the AUTH token of cache ``cache``."""
    return f"cache/{cache}/auth-token"


def credential_secret(kind: str, store: str) -> str | None:
    """The secret holding a data store's credential (None for buckets, which have none)."""
    if kind == "database":
        return database_password(store)
    if kind == "cache":
        return cache_auth_token(store)
    return None
