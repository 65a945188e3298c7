"""Changing a resource's tags: one :class:`Tagger` per service family, the diff written once.

Every driver's update ends the same way: make the resource's tags equal the desired ones,
leaving ``aws:`` keys alone. What differs is how each service spells it, so that is all a
variant holds (as cluster-api-provider-aws's tags builder has one variant per service):

- :data:`EC2`: ``CreateTags`` / ``DeleteTags`` on a resource id;
- :data:`EKS`: ``TagResource`` / ``UntagResource`` on an ARN, tags as a map;
- :data:`RDS`, :data:`ELASTICACHE`: ``AddTagsToResource`` / ``RemoveTagsFromResource`` on an ARN;
- :data:`IAM_ROLE`, :data:`IAM_OIDC_PROVIDER`, :data:`KMS`, :data:`ACM`: each service's own pair
  of calls (KMS spells the keys ``TagKey``/``TagValue``; ACM removes by key *and* value);
- :class:`Route53ZoneTagger`: one ``ChangeTagsForResource`` that adds and removes together;
- :data:`S3_BUCKET`: S3 has no per-key calls: the whole tag set is put.

A variant makes a call only when something changes (S3 excepted: it always puts the set).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from weft.aws import tags as tagging
from weft.aws.context import AwsContext

#: ``add(client, target, tags to set)``
Add = Callable[[Any, str, dict[str, str]], None]
#: ``remove(client, target, tags to remove with their old values)``
Remove = Callable[[Any, str, dict[str, str]], None]


class Tagger(Protocol):
    def ensure(
        self, ctx: AwsContext, target: str, old: Mapping[str, str], new: Mapping[str, str]
    ) -> None:
        """Make the tags of ``target`` (an id, ARN or name) go from ``old`` to ``new``."""
        ...


@dataclass(frozen=True)
class PairTagger:
    """A service with one call to add or change tags and one to remove them."""

    service: str
    add: Add
    remove: Remove

    def ensure(
        self, ctx: AwsContext, target: str, old: Mapping[str, str], new: Mapping[str, str]
    ) -> None:
        to_set, to_remove = tagging.changes(old, new)
        client = ctx.client(self.service)
        if to_set:
            self.add(client, target, to_set)
        if to_remove:
            self.remove(client, target, {k: old[k] for k in to_remove})


class Route53ZoneTagger:
    """Route 53: adds and removals in one call; weft's hidden zone tags are never removed here."""

    def __init__(self, hidden: frozenset[str]) -> None:
        self.hidden = hidden

    def ensure(
        self, ctx: AwsContext, target: str, old: Mapping[str, str], new: Mapping[str, str]
    ) -> None:
        to_set, to_remove = tagging.changes(old, new)
        kwargs: dict[str, Any] = {}
        if to_set:
            kwargs["AddTags"] = tagging.to_aws(to_set)
        if removed := [k for k in to_remove if k not in self.hidden]:
            kwargs["RemoveTagKeys"] = removed
        if kwargs:
            ctx.client("route53").change_tags_for_resource(
                ResourceType="hostedzone", ResourceId=target, **kwargs
            )


class S3BucketTagger:
    """S3: the bucket's whole tag set is put (there are no per-key calls)."""

    def ensure(
        self, ctx: AwsContext, target: str, old: Mapping[str, str], new: Mapping[str, str]
    ) -> None:
        put_bucket_tags(ctx, target, new)


def put_bucket_tags(ctx: AwsContext, bucket: str, tags: Mapping[str, str]) -> None:
    ctx.client("s3").put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tagging.to_aws(tags)})


def _keys(tags: dict[str, str]) -> list[str]:
    return list(tags)


EC2 = PairTagger(
    "ec2",
    add=lambda c, t, tags: c.create_tags(Resources=[t], Tags=tagging.to_aws(tags)),
    remove=lambda c, t, tags: c.delete_tags(Resources=[t], Tags=[{"Key": k} for k in tags]),
)
EKS = PairTagger(
    "eks",
    add=lambda c, t, tags: c.tag_resource(resourceArn=t, tags=tags),
    remove=lambda c, t, tags: c.untag_resource(resourceArn=t, tagKeys=_keys(tags)),
)


def _arn_tagged(service: str) -> PairTagger:
    """RDS and ElastiCache spell their tag calls alike."""
    return PairTagger(
        service,
        add=lambda c, t, tags: c.add_tags_to_resource(ResourceName=t, Tags=tagging.to_aws(tags)),
        remove=lambda c, t, tags: c.remove_tags_from_resource(ResourceName=t, TagKeys=_keys(tags)),
    )


RDS = _arn_tagged("rds")
ELASTICACHE = _arn_tagged("elasticache")
IAM_ROLE = PairTagger(
    "iam",
    add=lambda c, t, tags: c.tag_role(RoleName=t, Tags=tagging.to_aws(tags)),
    remove=lambda c, t, tags: c.untag_role(RoleName=t, TagKeys=_keys(tags)),
)
IAM_OIDC_PROVIDER = PairTagger(
    "iam",
    add=lambda c, t, tags: c.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=t, Tags=tagging.to_aws(tags)
    ),
    remove=lambda c, t, tags: c.untag_open_id_connect_provider(
        OpenIDConnectProviderArn=t, TagKeys=_keys(tags)
    ),
)
#: KMS spells a tag ``{"TagKey": ..., "TagValue": ...}``.
KMS_TAG = {"key": "TagKey", "value": "TagValue"}
KMS = PairTagger(
    "kms",
    add=lambda c, t, tags: c.tag_resource(KeyId=t, Tags=tagging.to_aws(tags, **KMS_TAG)),
    remove=lambda c, t, tags: c.untag_resource(KeyId=t, TagKeys=_keys(tags)),
)
ACM = PairTagger(
    "acm",
    add=lambda c, t, tags: c.add_tags_to_certificate(CertificateArn=t, Tags=tagging.to_aws(tags)),
    remove=lambda c, t, tags: c.remove_tags_from_certificate(
        CertificateArn=t, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
    ),
)
S3_BUCKET = S3BucketTagger()
