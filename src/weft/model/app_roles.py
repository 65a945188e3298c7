"""The AWS identity of each app and cron job that uses an AWS resource (IRSA).

An app or cron job that ``uses:`` a bucket gets an IAM role of its own, ``iam_role.app-NAME``
(:func:`app_role_address`), which only its Kubernetes ServiceAccount may assume: the trust names
the cluster's OIDC provider, the subject ``system:serviceaccount:NAMESPACE:NAME`` and the
audience ``sts.amazonaws.com`` (:func:`weft.model.cluster.irsa_trust`). The ServiceAccount is the
entry's name in the fabric's namespace (:func:`service_account`), and carries the role's ARN in
:data:`ROLE_ARN_ANNOTATION`, which EKS's pod identity webhook reads to give the pods a projected
token and ``AWS_ROLE_ARN``.

The role's one inline policy, :data:`APP_POLICY`, allows exactly what the entry uses
(:func:`app_policy`): on each bucket, listing it (its ARN) and reading, writing and deleting its
objects (``ARN/*``); on the fabric key the buckets are encrypted with, ``kms:Decrypt`` and
``kms:GenerateDataKey`` and only through S3 in the fabric's region (``kms:ViaService``), as
"Using server-side encryption with AWS KMS keys" (Amazon S3 User Guide) requires of a writer to
an SSE-KMS bucket. Nothing else: no wildcard resource, no other bucket of the fabric.

Databases and caches are reached with the credentials weft injects, not with IAM, so they give
no role. Without a cluster nothing runs the apps, and no role is made.
"""

from __future__ import annotations

from typing import Any

from weft.core.resource import Ref, Resource, address_of
from weft.fabricfile import App, CronJob, Fabric
from weft.model.addresses import KMS_KEY
from weft.model.builder import Builder
from weft.model.cluster import iam_role, irsa_trust
from weft.model.data import bucket_name

__all__ = [
    "APP_POLICY",
    "ROLE_ARN_ANNOTATION",
    "app_policy",
    "app_role_address",
    "app_role_resources",
    "bucket_arn",
    "needs_role",
    "service_account",
    "used_buckets",
]

#: The name of the inline policy of an app's role.
APP_POLICY = "weft-app"
#: The ServiceAccount annotation EKS's pod identity webhook reads the role to assume from.
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"

Workload = App | CronJob


def bucket_arn(name: str) -> str:
    """The ARN of the bucket named ``name`` (S3 ARNs have no region or account)."""
    return f"arn:aws:s3:::{name}"


def used_buckets(fabric: Fabric, entry: Workload) -> list[str]:
    """The buckets of the fabric that ``entry`` uses, in its ``uses`` order."""
    kinds = fabric.store_kinds()
    return [name for name in entry.uses if kinds.get(name) == "bucket"]


def needs_role(fabric: Fabric, entry: Workload) -> bool:
    """Whether ``entry`` gets a role of its own (it uses an AWS resource, and there is a
    cluster to run it)."""
    return fabric.cluster is not None and bool(used_buckets(fabric, entry))


def app_role_address(entry: str) -> str:
    """The address of the role of the app or cron job ``entry``."""
    return address_of("iam_role", f"app-{entry}")


def service_account(namespace: str, entry: str) -> str:
    """The IRSA subject of ``entry``'s ServiceAccount (named after the entry)."""
    return f"system:serviceaccount:{namespace}:{entry}"


def app_policy(fabric: Fabric, entry: Workload, *, account_id: str) -> dict[str, Any]:
    """The inline policy of ``entry``'s role (see the module docstring)."""
    arns = [
        bucket_arn(bucket_name(fabric.name, bucket, account_id))
        for bucket in used_buckets(fabric, entry)
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Buckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": arns,
            },
            {
                "Sid": "Objects",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": [f"{arn}/*" for arn in arns],
            },
            {
                "Sid": "BucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": Ref(KMS_KEY, "arn"),
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{fabric.region}.amazonaws.com"}
                },
            },
        ],
    }


def app_role_resources(fabric: Fabric, *, account_id: str) -> list[Resource]:
    """The role of every app and cron job that uses an AWS resource.

    The namespace is the fabric's name, where the application commands put the apps."""
    b = Builder(fabric)
    entries: list[Workload] = [*fabric.apps, *fabric.cronjobs]
    for entry in entries:
        if needs_role(fabric, entry):
            iam_role(
                b,
                f"app-{entry.name}",
                irsa_trust(service_account(fabric.name, entry.name)),
                [],
                {APP_POLICY: app_policy(fabric, entry, account_id=account_id)},
            )
    return b.resources
