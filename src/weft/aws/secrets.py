"""The fabric's secrets: KMS envelope encryption, stored in the fabric bucket.

Each secret is one object ``secrets/<name>.json``::

    {"version": 1,
     "key_id": "<ARN of the KMS key that made the data key>",
     "encrypted_data_key": "<base64 of the data key, encrypted by KMS>",
     "nonce": "<base64, 12 bytes>",
     "ciphertext": "<base64 of AES-256-GCM(value) with its tag>",
     "updated": "<UTC ISO time>"}

The data key comes from ``kms.generate_data_key`` with the encryption context
``{"weft:fabric": <fabric>, "weft:secret": <name>}``; the same context (as canonical JSON) is
the GCM associated data, so a ciphertext copied under another name or fabric does not decrypt.
The plaintext data key lives only in memory for one call.

Values never leave through anything observable: no message, error, log line or return value
other than :func:`get_secret` / :func:`find_secret` / :func:`ensure_generated` carries one.
:class:`SecretInfo` (what :func:`list_secrets` returns) holds names, dates and versions only.

``ensure_generated`` is safe under concurrent callers: the first write is a conditional put
(``If-None-Match: *``); a caller that loses the race reads back the winner's value.
"""

from __future__ import annotations

import base64
import json
import secrets as random
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.fabric_store import SECRETS_PREFIX, missing_bucket
from weft.errors import CloudError, NotFound, PermanentError, UsageError
from weft.fabricfile.checks import SECRET_NAME_RE, secret_name_problem
from weft.model.naming import kms_alias

PREFIX = SECRETS_PREFIX
FORMAT_VERSION = 1
#: The grammar of a secret's name; it lives in the spec, which checks names in fabric files too.
NAME_RE = SECRET_NAME_RE
#: Letters and digits: accepted as an RDS master password and an ElastiCache auth token alike.
DEFAULT_ALPHABET = string.ascii_letters + string.digits
DEFAULT_LENGTH = 32
_NONCE_BYTES = 12


@dataclass(frozen=True)
class SecretInfo:
    """A stored secret, without its value."""

    name: str
    updated: str
    version: str


def default_key_alias(ctx: AwsContext) -> str:
    """The alias of the fabric's KMS key."""
    return kms_alias(ctx.fabric)


def check_name(name: str) -> str:
    """``name`` if it is a valid secret name, else :class:`UsageError` saying what is allowed."""
    message = secret_name_problem(name)
    if message is not None:
        raise UsageError(message)
    return name


def object_key(name: str) -> str:
    return f"{PREFIX}{check_name(name)}.json"


def _address(name: str) -> str:
    return f"secret {name}"


def _context(ctx: AwsContext, name: str) -> dict[str, str]:
    return {"weft:fabric": ctx.fabric, "weft:secret": name}


def _aad(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True, separators=(",", ":")).encode()


@contextmanager
def _translated(name: str, action: str) -> Iterator[None]:
    """AWS errors as weft errors naming the secret (never its value: no call here carries it)."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise errors.translate(exc, address=_address(name), action=action) from exc


def _missing_bucket(ctx: AwsContext, name: str) -> NotFound:
    return missing_bucket(ctx, _address(name))


# ------------------------------------------------------------------------------------ envelope


def _seal(ctx: AwsContext, name: str, value: str, key_alias: str) -> bytes:
    context = _context(ctx, name)
    answer = ctx.client("kms").generate_data_key(
        KeyId=key_alias, KeySpec="AES_256", EncryptionContext=context
    )
    nonce = random.token_bytes(_NONCE_BYTES)
    ciphertext = AESGCM(answer["Plaintext"]).encrypt(nonce, value.encode(), _aad(context))
    document = {
        "version": FORMAT_VERSION,
        "key_id": answer["KeyId"],
        "encrypted_data_key": base64.b64encode(answer["CiphertextBlob"]).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return json.dumps(document, indent=2).encode()


def _open(ctx: AwsContext, name: str, body: bytes) -> str:
    try:
        document = json.loads(body)
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"format version {document.get('version')!r}")
        encrypted_key = base64.b64decode(document["encrypted_data_key"])
        nonce = base64.b64decode(document["nonce"])
        ciphertext = base64.b64decode(document["ciphertext"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PermanentError(
            f"the stored secret is unreadable ({type(exc).__name__})",
            address=_address(name),
            hint=f"overwrite it: weft secrets set {name}",
        ) from None
    context = _context(ctx, name)
    data_key = ctx.client("kms").decrypt(
        CiphertextBlob=encrypted_key,
        EncryptionContext=context,
        KeyId=document.get("key_id") or default_key_alias(ctx),
    )["Plaintext"]
    try:
        plaintext = AESGCM(data_key).decrypt(nonce, ciphertext, _aad(context))
    except InvalidTag:
        raise PermanentError(
            "the stored secret does not decrypt (it was altered, or copied from another "
            "name or fabric)",
            address=_address(name),
        ) from None
    return plaintext.decode()


# ------------------------------------------------------------------------------------------ API


def fabric_not_up(ctx: AwsContext, name: str, *, key: bool = False) -> NotFound:
    """The error for a secret of a fabric that is not up: its bucket (or, with ``key``, the KMS
    key that encrypts its secrets) does not exist."""
    what = (
        f"its KMS key ({default_key_alias(ctx)}), which encrypts its secrets, does not exist"
        if key
        else f"its bucket ({ctx.fabric_bucket}), which keeps its secrets, does not exist"
    )
    return NotFound(
        f"fabric {ctx.fabric} is not up yet: {what}",
        address=_address(name),
        hint=f"run weft up first (it creates it); then store it: weft secrets set {name}",
    )


def _missing_part(exc: BaseException) -> str | None:
    """What ``exc`` says does not exist: the fabric key's alias (``"key"``), the fabric bucket
    (``"bucket"``), or None for anything else."""
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return None
    if errors.code_of(cause) == "NotFoundException":  # KMS: no such alias
        return "key"
    return "bucket" if errors.is_no_such_bucket(cause) else None


def put_secret(ctx: AwsContext, name: str, value: str, *, key_alias: str | None = None) -> None:
    """Store (or overwrite) secret ``name``, encrypted under ``key_alias`` (the fabric key).
    Before the fabric is up (no key, no bucket): :func:`fabric_not_up`, not KMS's error."""
    try:
        _put(ctx, name, value, key_alias=key_alias, only_new=False)
    except CloudError as exc:
        missing = _missing_part(exc) if key_alias is None else None
        if missing:
            raise fabric_not_up(ctx, name, key=missing == "key") from None
        raise


def _put(ctx: AwsContext, name: str, value: str, *, key_alias: str | None, only_new: bool) -> None:
    key = object_key(name)
    if not isinstance(value, str) or not value:
        raise UsageError(f"secret {name}: the value must be a non-empty string")
    with _translated(name, "create"):
        body = _seal(ctx, name, value, key_alias or default_key_alias(ctx))
        extra: dict[str, Any] = {"IfNoneMatch": "*"} if only_new else {}
        try:
            ctx.client("s3").put_object(
                Bucket=ctx.fabric_bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                **extra,
            )
        except ClientError as exc:
            if errors.is_no_such_bucket(exc):
                raise _missing_bucket(ctx, name) from None
            raise


def find_secret(ctx: AwsContext, name: str) -> str | None:
    """The value of secret ``name``, or None when there is no such secret."""
    key = object_key(name)
    with _translated(name, "read"):
        try:
            body = ctx.client("s3").get_object(Bucket=ctx.fabric_bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if errors.is_not_found(exc):  # NoSuchKey, or no bucket yet
                return None
            raise
        return _open(ctx, name, body)


def get_secret(ctx: AwsContext, name: str) -> str:
    """The value of secret ``name``; :class:`NotFound` naming it when there is none."""
    value = find_secret(ctx, name)
    if value is None:
        with _translated(name, "read"):
            try:
                ctx.client("s3").head_bucket(Bucket=ctx.fabric_bucket)
            except ClientError as exc:
                if errors.is_not_found(exc) or errors.code_of(exc) == "404":
                    raise fabric_not_up(ctx, name) from None
                raise
        raise NotFound(
            f"there is no secret {name} in fabric {ctx.fabric}",
            address=_address(name),
            hint="list them: weft secrets list",
        )
    return value


def list_secrets(ctx: AwsContext) -> list[SecretInfo]:
    """Every stored secret's name, last update and version id (never a value), by name."""
    found = []
    with _translated("*", "read"):
        try:
            pages = (
                ctx.client("s3")
                .get_paginator("list_object_versions")
                .paginate(Bucket=ctx.fabric_bucket, Prefix=PREFIX)
            )
            for page in pages:
                for item in page.get("Versions", []) or []:
                    key = str(item["Key"])
                    if not item.get("IsLatest") or not key.endswith(".json"):
                        continue
                    modified = item.get("LastModified")
                    found.append(
                        SecretInfo(
                            name=key[len(PREFIX) : -len(".json")],
                            updated=(
                                modified.astimezone(UTC).isoformat(timespec="seconds")
                                if isinstance(modified, datetime)
                                else str(modified or "")
                            ),
                            version=str(item.get("VersionId") or "null"),
                        )
                    )
        except ClientError as exc:
            if errors.is_not_found(exc):  # no bucket yet: no secrets
                return []
            raise
    return sorted(found, key=lambda s: s.name)


def delete_secret(ctx: AwsContext, name: str) -> bool:
    """Delete secret ``name`` with every stored version of it; False when there was none."""
    key = object_key(name)
    s3 = ctx.client("s3")
    with _translated(name, "delete"):
        try:
            versions = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for page in s3.get_paginator("list_object_versions").paginate(
                    Bucket=ctx.fabric_bucket, Prefix=key
                )
                for item in [*(page.get("Versions") or []), *(page.get("DeleteMarkers") or [])]
                if item["Key"] == key
            ]
        except ClientError as exc:
            if errors.is_not_found(exc):
                return False
            raise
        existed = bool(versions)
        for start in range(0, len(versions), 1000):
            s3.delete_objects(
                Bucket=ctx.fabric_bucket,
                Delete={"Objects": versions[start : start + 1000], "Quiet": True},
            )
        return existed


def generate(length: int = DEFAULT_LENGTH, alphabet: str = DEFAULT_ALPHABET) -> str:
    """A random value from ``alphabet`` (cryptographically strong)."""
    if length < 1 or not alphabet:
        raise UsageError("a generated secret needs a positive length and a non-empty alphabet")
    return "".join(random.choice(alphabet) for _ in range(length))


def ensure_generated(
    ctx: AwsContext,
    name: str,
    *,
    length: int = DEFAULT_LENGTH,
    alphabet: str = DEFAULT_ALPHABET,
    key_alias: str | None = None,
) -> str:
    """The value of secret ``name``, generated and stored first when there is none.

    Idempotent, and safe when several callers race: only one conditional put can create the
    object; the others read back what it stored.
    """
    existing = find_secret(ctx, name)
    if existing is not None:
        return existing
    value = generate(length, alphabet)
    try:
        _put(ctx, name, value, key_alias=key_alias, only_new=True)
    except CloudError as exc:
        cause = exc.__cause__
        if cause is None or not errors.is_precondition_failed(cause):
            raise
        return get_secret(ctx, name)
    return value
