"""The secrets store: KMS envelope encryption in the fabric bucket (local cloud)."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest

from tests.integration.test_aws_data import create, make_ctx, make_fabric
from weft.aws import secrets
from weft.aws.context import AwsContext
from weft.errors import NotFound, PermanentError, UsageError, WeftError

pytestmark = pytest.mark.integration

VALUE = "correct horse battery staple 8c1f"


@pytest.fixture
def ctx(moto_url: str) -> AwsContext:
    ctx = make_ctx(moto_url)
    make_fabric(ctx)
    return ctx


def stored(ctx: AwsContext, name: str) -> dict[str, Any]:
    body = ctx.client("s3").get_object(Bucket=ctx.fabric_bucket, Key=f"secrets/{name}.json")
    document: dict[str, Any] = json.loads(body["Body"].read())
    return document


def test_round_trip(ctx: AwsContext) -> None:
    secrets.put_secret(ctx, "app/api-key", VALUE)
    assert secrets.get_secret(ctx, "app/api-key") == VALUE
    assert secrets.find_secret(ctx, "app/api-key") == VALUE
    secrets.put_secret(ctx, "app/api-key", "second", key_alias=f"alias/weft/{ctx.fabric}")
    assert secrets.get_secret(ctx, "app/api-key") == "second"


def test_envelope_holds_no_plaintext(ctx: AwsContext) -> None:
    secrets.put_secret(ctx, "database/main/password", VALUE)
    document = stored(ctx, "database/main/password")
    assert set(document) == {
        "version",
        "key_id",
        "encrypted_data_key",
        "nonce",
        "ciphertext",
        "updated",
    }
    assert document["version"] == 1
    assert document["key_id"].startswith("arn:aws:kms:")
    assert len(base64.b64decode(document["nonce"])) == 12
    raw = json.dumps(document)
    assert VALUE not in raw
    assert base64.b64encode(VALUE.encode()).decode() not in raw
    # the data key decrypts only with the secret's encryption context
    kms = ctx.client("kms")
    blob = base64.b64decode(document["encrypted_data_key"])
    context = {"weft:fabric": ctx.fabric, "weft:secret": "database/main/password"}
    assert len(kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"]) == 32
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={**context, "weft:secret": "other"})


def test_a_copied_secret_does_not_decrypt(ctx: AwsContext) -> None:
    secrets.put_secret(ctx, "one", VALUE)
    s3 = ctx.client("s3")
    s3.copy_object(
        Bucket=ctx.fabric_bucket,
        Key="secrets/two.json",
        CopySource={"Bucket": ctx.fabric_bucket, "Key": "secrets/one.json"},
    )
    with pytest.raises(WeftError) as err:
        secrets.get_secret(ctx, "two")
    assert VALUE not in str(err.value)


def test_tampered_ciphertext_is_refused(ctx: AwsContext) -> None:
    secrets.put_secret(ctx, "one", VALUE)
    document = stored(ctx, "one")
    data = bytearray(base64.b64decode(document["ciphertext"]))
    data[0] ^= 1
    document["ciphertext"] = base64.b64encode(bytes(data)).decode()
    ctx.client("s3").put_object(
        Bucket=ctx.fabric_bucket, Key="secrets/one.json", Body=json.dumps(document).encode()
    )
    with pytest.raises(PermanentError, match="does not decrypt") as err:
        secrets.get_secret(ctx, "one")
    assert "secret one" in str(err.value)


def test_missing_secret(ctx: AwsContext) -> None:
    assert secrets.find_secret(ctx, "nope") is None
    with pytest.raises(NotFound) as err:
        secrets.get_secret(ctx, "cache/nope/auth-token")
    assert "cache/nope/auth-token" in str(err.value)


def test_without_a_fabric_bucket(moto_url: str) -> None:
    ctx = make_ctx(moto_url)
    assert secrets.find_secret(ctx, "x") is None
    assert secrets.list_secrets(ctx) == []
    create(
        ctx,
        "kms_key",
        "fabric",
        description="weft test",
        alias=f"alias/weft/{ctx.fabric}",
        rotation=False,
    )
    with pytest.raises(NotFound, match="does not exist"):
        secrets.put_secret(ctx, "x", VALUE)


@pytest.mark.parametrize(
    "name", ["", "Upper", "-lead", "a" * 129, "sp ace", "a/../b", "x@y", "/abs"]
)
def test_invalid_names(ctx: AwsContext, name: str) -> None:
    with pytest.raises(UsageError, match="not a valid secret name"):
        secrets.put_secret(ctx, name, VALUE)


def test_list_shows_names_and_dates_only(ctx: AwsContext) -> None:
    secrets.put_secret(ctx, "b/two", VALUE)
    secrets.put_secret(ctx, "a.one", VALUE + "x")
    secrets.put_secret(ctx, "a.one", VALUE + "y")  # a new version
    listed = secrets.list_secrets(ctx)
    assert [s.name for s in listed] == ["a.one", "b/two"]
    assert all(s.updated and s.version for s in listed)
    assert VALUE not in repr(listed)


def test_delete(ctx: AwsContext) -> None:
    secrets.put_secret(ctx, "gone", VALUE)
    secrets.put_secret(ctx, "gone", VALUE + "2")
    assert secrets.delete_secret(ctx, "gone") is True
    assert secrets.find_secret(ctx, "gone") is None
    assert secrets.delete_secret(ctx, "gone") is False
    versions = ctx.client("s3").list_object_versions(
        Bucket=ctx.fabric_bucket, Prefix="secrets/gone.json"
    )
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")


def test_ensure_generated_is_idempotent(ctx: AwsContext) -> None:
    first = secrets.ensure_generated(ctx, "database/main/password")
    assert len(first) == 32 and first.isalnum()
    assert secrets.ensure_generated(ctx, "database/main/password") == first
    short = secrets.ensure_generated(ctx, "pin", length=6, alphabet="0123456789")
    assert len(short) == 6 and short.isdigit()


def test_ensure_generated_under_concurrent_callers(ctx: AwsContext) -> None:
    results: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        try:
            start.wait()
            results.append(secrets.ensure_generated(ctx, "cache/sessions/auth-token"))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(results) == 4
    assert len(set(results)) == 1
    assert secrets.get_secret(ctx, "cache/sessions/auth-token") == results[0]
