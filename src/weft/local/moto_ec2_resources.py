"""EC2 volume requests of a role session authorized on the volume they act on, as AWS does.

AWS authorizes ``ec2:CreateVolume`` on the volume it makes (``arn:aws:ec2:REGION:ACCOUNT:
volume/*``), and ``ec2:DeleteVolume``, ``AttachVolume``, ``DetachVolume`` and ``ModifyVolume``
on the volume named (``.../volume/VOLUME_ID``; "Actions, resources, and condition keys for
Amazon EC2", Service Authorization Reference). A policy that grants them on ``volume/*`` only
(the AWS managed ``AmazonEBSCSIDriverPolicy`` the EBS CSI driver's role carries does) allows
them. moto 5.2.5 checks every EC2 request against the resource ``*``, which no ``volume/*``
pattern matches: the driver's role was refused what AWS allows it. Here the role-session
requests (:mod:`weft.local.moto_irsa`) of those actions are checked against the volume's ARN;
a policy granting ``Resource: "*"`` still matches it, and every other request is unchanged.
"""

from __future__ import annotations

from typing import Any

#: The EC2 actions acting on a volume, and the request parameter naming it (None: a new one).
VOLUME_ACTIONS: dict[str, str | None] = {
    "CreateVolume": None,
    "DeleteVolume": "VolumeId",
    "AttachVolume": "VolumeId",
    "DetachVolume": "VolumeId",
    "ModifyVolume": "VolumeId",
}
#: The EC2 actions acting on a security group ("security-group/GROUP_ID"), and the parameter
#: naming it (None: a new one); :mod:`weft.local.iam_conditions` authorizes them on it.
SECURITY_GROUP_ACTIONS: dict[str, str | None] = {
    "CreateSecurityGroup": None,
    "DeleteSecurityGroup": "GroupId",
    "AuthorizeSecurityGroupIngress": "GroupId",
    "RevokeSecurityGroupIngress": "GroupId",
    "AuthorizeSecurityGroupEgress": "GroupId",
    "RevokeSecurityGroupEgress": "GroupId",
}


def volume_arn(partition: str, region: str, account: str, volume_id: str | None) -> str:
    return f"arn:{partition}:ec2:{region}:{account}:volume/{volume_id or '*'}"


def apply() -> None:
    """Wrap the authorization of requests (after :func:`weft.local.moto_irsa.apply`)."""
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.utilities.utils import get_partition

    inner = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if resource == "*" and getattr(self, "service_name", None) == "ec2":
            action = str(self._get_action())
            if action in VOLUME_ACTIONS:
                param = VOLUME_ACTIONS[action]
                volume_id = self._get_param(param) if param else None
                resource = volume_arn(
                    get_partition(self.region), self.region, self.current_account, volume_id
                )
        inner(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]
