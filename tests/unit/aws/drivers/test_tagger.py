"""Each service family's way to change tags: the calls made, and none when nothing changes."""

from __future__ import annotations

from weft.aws.drivers import tagger

from .fake_cloud import FakeCloud

OLD = {"weft:fabric": "f", "team": "a", "gone": "x", "aws:cloudformation:stack-name": "s"}
NEW = {"weft:fabric": "f", "team": "b", "added": "y"}


def test_ec2_sets_changed_and_new_tags_then_removes_the_rest() -> None:
    cloud = FakeCloud()
    tagger.EC2.ensure(cloud.context(), "vpc-1", OLD, NEW)
    assert cloud.calls == [
        (
            "ec2",
            "create_tags",
            {
                "Resources": ["vpc-1"],
                "Tags": [{"Key": "added", "Value": "y"}, {"Key": "team", "Value": "b"}],
            },
        ),
        ("ec2", "delete_tags", {"Resources": ["vpc-1"], "Tags": [{"Key": "gone"}]}),
    ]


def test_no_change_makes_no_call_and_aws_keys_are_never_touched() -> None:
    cloud = FakeCloud()
    for variant in (tagger.EC2, tagger.EKS, tagger.RDS, tagger.KMS, tagger.ACM, tagger.IAM_ROLE):
        variant.ensure(cloud.context(), "x", OLD, {k: v for k, v in OLD.items()})
        variant.ensure(cloud.context(), "x", {"aws:x": "1"}, {})
    assert cloud.calls == []


def test_eks_takes_a_map_and_untags_by_key() -> None:
    cloud = FakeCloud()
    tagger.EKS.ensure(cloud.context(), "arn:c", OLD, NEW)
    assert cloud.calls == [
        ("eks", "tag_resource", {"resourceArn": "arn:c", "tags": {"team": "b", "added": "y"}}),
        ("eks", "untag_resource", {"resourceArn": "arn:c", "tagKeys": ["gone"]}),
    ]


def test_rds_and_elasticache_spell_it_alike_on_their_own_client() -> None:
    cloud = FakeCloud()
    tagger.RDS.ensure(cloud.context(), "arn:db", {"a": "1"}, {})
    tagger.ELASTICACHE.ensure(cloud.context(), "arn:c", {}, {"a": "1"})
    assert cloud.calls == [
        ("rds", "remove_tags_from_resource", {"ResourceName": "arn:db", "TagKeys": ["a"]}),
        (
            "elasticache",
            "add_tags_to_resource",
            {"ResourceName": "arn:c", "Tags": [{"Key": "a", "Value": "1"}]},
        ),
    ]


def test_kms_spells_tag_keys_its_own_way() -> None:
    cloud = FakeCloud()
    tagger.KMS.ensure(cloud.context(), "key-1", {}, {"a": "1"})
    assert cloud.calls == [
        ("kms", "tag_resource", {"KeyId": "key-1", "Tags": [{"TagKey": "a", "TagValue": "1"}]})
    ]


def test_acm_removes_by_key_and_old_value() -> None:
    cloud = FakeCloud()
    tagger.ACM.ensure(cloud.context(), "arn:cert", {"a": "1"}, {})
    assert cloud.calls == [
        (
            "acm",
            "remove_tags_from_certificate",
            {"CertificateArn": "arn:cert", "Tags": [{"Key": "a", "Value": "1"}]},
        )
    ]


def test_iam_roles_are_tagged_by_name() -> None:
    cloud = FakeCloud()
    tagger.IAM_ROLE.ensure(cloud.context(), "weft-f-nodes", {"a": "1"}, {"a": "2"})
    assert cloud.calls == [
        ("iam", "tag_role", {"RoleName": "weft-f-nodes", "Tags": [{"Key": "a", "Value": "2"}]})
    ]


def test_route53_adds_and_removes_in_one_call_and_keeps_hidden_tags() -> None:
    cloud = FakeCloud()
    zone = tagger.Route53ZoneTagger(frozenset({"weft:adopted"}))
    zone.ensure(cloud.context(), "Z1", {"a": "1", "weft:adopted": "true"}, {"b": "2"})
    assert cloud.calls == [
        (
            "route53",
            "change_tags_for_resource",
            {
                "ResourceType": "hostedzone",
                "ResourceId": "Z1",
                "AddTags": [{"Key": "b", "Value": "2"}],
                "RemoveTagKeys": ["a"],
            },
        )
    ]
    cloud.calls.clear()
    zone.ensure(cloud.context(), "Z1", {"weft:adopted": "true"}, {})
    assert cloud.calls == []


def test_s3_puts_the_whole_set() -> None:
    cloud = FakeCloud()
    tagger.S3_BUCKET.ensure(cloud.context(), "b", {"a": "1", "c": "3"}, {"a": "2"})
    assert cloud.calls == [
        (
            "s3",
            "put_bucket_tagging",
            {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "a", "Value": "2"}]}},
        )
    ]
