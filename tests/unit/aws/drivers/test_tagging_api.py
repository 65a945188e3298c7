"""The tagging API's resource type of an ARN, by which discovery's one GetResources listing
(KMS keys and buckets together) is split between the drivers."""

from __future__ import annotations

import pytest

from weft.aws.drivers.tagging_api import SHARED_TYPES, type_of


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        ("arn:aws:s3:::weft-demo-uploads-123456789012", "s3:bucket"),
        ("arn:aws:s3:::bucket/key", "s3:object"),
        ("arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "kms:key"),
        ("arn:aws:kms:us-east-2:123456789012:alias/weft-demo", "kms:alias"),
        ("arn:aws-cn:s3:::a-bucket", "s3:bucket"),
        ("arn:aws:sns:us-east-2:123456789012:alerts", "sns"),
        ("not-an-arn", ""),
    ],
)
def test_the_type_of_an_arn(arn: str, kind: str) -> None:
    assert type_of(arn) == kind


def test_the_shared_types_are_told_apart() -> None:
    assert set(SHARED_TYPES) == {"kms:key", "s3:bucket"}
