"""Who the credentials are and where they may act: the caller's account, the region's zones."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from weft.aws.errors import translate
from weft.aws.session import AwsSession
from weft.errors import GuardError


def identity(session: AwsSession) -> tuple[str, str]:
    """The account and ARN of the session's credentials (``sts get-caller-identity``)."""
    try:
        ident = session.caller_identity()
    except NoCredentialsError as exc:
        raise GuardError(
            "no AWS credentials found",
            hint="configure them (aws configure, AWS_PROFILE, SSO), or rehearse with --local",
        ) from exc
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="sts", action="read") from exc
    return ident["account"], ident["arn"]


def available_zones(session: AwsSession) -> list[str]:
    """The region's availability zones this account may use, sorted by name."""
    return list(zone_ids(session))


def zone_ids(session: AwsSession) -> dict[str, str]:
    """The region's availability zones this account may use, sorted by name, each with its zone
    id (``us-east-1e`` -> ``use1-az3``: the physical zone, which names differ on by account)."""
    try:
        resp = session.client("ec2").describe_availability_zones(
            Filters=[
                {"Name": "state", "Values": ["available"]},
                {"Name": "zone-type", "Values": ["availability-zone"]},
            ]
        )
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="availability zones", action="read") from exc
    zones = resp["AvailabilityZones"]
    return {z["ZoneName"]: z["ZoneId"] for z in sorted(zones, key=lambda z: z["ZoneName"])}
