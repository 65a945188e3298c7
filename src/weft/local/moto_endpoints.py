"""The local cloud's VPC endpoints hold their network as AWS's do.

moto 5.2.5 gives an interface endpoint one network interface per subnet, but the interfaces carry
none of the endpoint's security groups, and DeleteVpc deletes a VPC that still has endpoints or
security groups of its own. On AWS:

- **An interface endpoint's network interfaces** carry the endpoint's security groups (the VPC's
  default group when it names none), are of type ``vpc_endpoint``, managed by AWS
  (``RequesterManaged``), described ``VPC Endpoint Interface <id>`` ("Access an AWS service using
  an interface VPC endpoint", AWS PrivateLink Guide,
  https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html). So while the
  endpoint exists, its subnets cannot be deleted and neither can its groups
  (:mod:`weft.local.moto_network` refuses both with ``DependencyViolation``).
- **DeleteVpc** fails with ``DependencyViolation`` while the VPC holds an endpoint that is not
  deleted, or a security group other than its default one ("Delete your VPC", Amazon VPC User
  Guide, https://docs.aws.amazon.com/vpc/latest/userguide/delete-vpc.html: "you must first
  delete or detach all resources ... security groups ... VPC endpoints").

This is what an account with GuardDuty Runtime Monitoring meets on teardown: GuardDuty adds a
``guardduty-data`` interface endpoint and a ``GuardDutyManagedSecurityGroup-<vpc>`` group to
every VPC (:mod:`weft.local.guardduty` makes them in the local cloud).
"""

from __future__ import annotations

from typing import Any

GONE = frozenset({"deleted", "deleting", "rejected", "failed", "expired"})


def vpc_users(ec2: Any, vpc_id: str) -> list[str]:
    """What keeps the VPC ``vpc_id`` from being deleted, beyond its subnets (moto checks those)."""
    users = [
        f"VPC endpoint {endpoint.id}"
        for endpoint in ec2.vpc_end_points.values()
        if endpoint.vpc_id == vpc_id and str(endpoint.state).lower() not in GONE
    ]
    for groups in ec2.groups.values():
        for group in groups.values():
            if group.vpc_id == vpc_id and group.name != "default":
                users.append(f"security group {group.id}")
    return users


def apply() -> None:
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models.vpcs import VPCBackend
    from moto.ec2.responses.vpcs import VPCs

    create_vpc_endpoint = VPCBackend.create_vpc_endpoint

    def create_vpc_endpoint_as_aws(self: Any, *args: Any, **kwargs: Any) -> Any:
        endpoint = create_vpc_endpoint(self, *args, **kwargs)
        if str(endpoint.vpc_endpoint_type or "").lower() != "interface":
            return endpoint
        group_ids = list(kwargs.get("security_group_ids") or [])
        if not group_ids:
            default = self.get_security_group_from_name("default", vpc_id=endpoint.vpc_id)
            group_ids = [default.id] if default is not None else []
        groups = [self.get_security_group_from_id(g) for g in group_ids]
        for eni_id in endpoint.network_interface_ids:
            eni = self.enis.get(eni_id)
            if eni is None:
                continue
            eni._group_set = [g for g in groups if g is not None]
            eni.interface_type = "vpc_endpoint"
            eni.requester_managed = True
            eni.description = f"VPC Endpoint Interface {endpoint.id}"
        return endpoint

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint_as_aws  # type: ignore[method-assign]

    delete_vpc = VPCs.delete_vpc

    def guarded_delete_vpc(self: Any) -> Any:
        vpc_id = self._get_param("VpcId")
        users = vpc_users(self.ec2_backend, vpc_id)
        if users:
            raise DependencyViolationError(
                f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
            )
        return delete_vpc(self)

    VPCs.delete_vpc = guarded_delete_vpc  # type: ignore[method-assign]
