"""The local cloud's EC2 keeps what is still in use, as AWS does.

moto 5.2.5 deletes a subnet or a security group whatever still uses it. AWS refuses with
``DependencyViolation``, and that refusal is what a teardown meets when Kubernetes left a load
balancer in the VPC (the subnets it sits in, the security groups it uses, cannot go). Applied
inside the moto server process (listed in :data:`weft.local.moto_fixes.FIXES`), on the API
calls only (moto's own internals, such as EKS removing its cluster security group, are not
affected). What it restores:

- **DeleteSubnet** fails with ``DependencyViolation`` while a load balancer (ELBv2 or classic)
  or a network interface is in the subnet. The interface moto makes for a NAT gateway does not
  count once the NAT gateway is deleted (AWS removes it with the NAT gateway; moto keeps it).
- **DeleteSecurityGroup** fails with ``DependencyViolation`` while a network interface or a load
  balancer uses the group, or a rule of another group names it as its source.

And a rule of interface endpoints:

- **CreateVpcEndpoint** refuses an interface endpoint with private DNS (on unless
  ``PrivateDnsEnabled`` is false) in a VPC without both DNS support and DNS hostnames, with
  AWS's ``InvalidParameter``. "DNS attributes for your VPC", Amazon VPC User Guide, and
  "Access an AWS service using an interface VPC endpoint", AWS PrivateLink Guide: "To use
  private DNS, you must enable DNS hostnames and DNS resolution for your VPC". moto 5.2.5
  creates it anyway.

And one thing moto leaves out of a new VPC:

- **CreateVpc** gives the VPC's ``default`` security group the inbound rule AWS creates it with:
  all traffic from members of the group itself (moto makes only the outbound rule to
  0.0.0.0/0). "Default security groups for your VPCs", Amazon VPC User Guide
  (https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html): "Inbound:
  Source: The security group ID (its own resource ID), Protocol: All, Port range: All"; outbound
  all traffic to 0.0.0.0/0. A driver that means to leave the group empty must revoke both.
"""

from __future__ import annotations

from typing import Any


def _elbv2_of(account: str, region: str) -> list[Any]:
    from moto.elbv2.models import elbv2_backends

    try:
        return list(elbv2_backends[account][region].load_balancers.values())
    except KeyError:
        return []


def _classic_of(account: str, region: str) -> list[Any]:
    from moto.elb.models import elb_backends

    try:
        return list(elb_backends[account][region].load_balancers.values())
    except KeyError:
        return []


def _retired_nat_interfaces(ec2: Any) -> set[str]:
    return {
        nat._eni.id
        for nat in getattr(ec2, "nat_gateways", {}).values()
        if nat.state in ("deleting", "deleted") and getattr(nat, "_eni", None) is not None
    }


def _subnet_users(ec2: Any, account: str, region: str, subnet_id: str) -> list[str]:
    users: list[str] = []
    for lb in _elbv2_of(account, region):
        if subnet_id in {getattr(s, "id", s) for s in lb.subnets}:
            users.append(f"load balancer {lb.name}")
    for lb in _classic_of(account, region):
        if subnet_id in set(lb.subnets or ()):
            users.append(f"load balancer {lb.name}")
    retired = _retired_nat_interfaces(ec2)
    for eni in ec2.enis.values():
        if eni.id in retired or eni.subnet is None:
            continue
        if getattr(eni.subnet, "id", eni.subnet) == subnet_id:
            users.append(f"network interface {eni.id}")
    return users


def _group_users(ec2: Any, account: str, region: str, group_id: str) -> list[str]:
    users: list[str] = []
    retired = _retired_nat_interfaces(ec2)
    for eni in ec2.enis.values():
        if eni.id not in retired and group_id in {g.id for g in eni.group_set}:
            users.append(f"network interface {eni.id}")
    for lb in _elbv2_of(account, region):
        if group_id in set(lb.security_groups or ()):
            users.append(f"load balancer {lb.name}")
    for lb in _classic_of(account, region):
        if group_id in set(lb.security_groups or ()):
            users.append(f"load balancer {lb.name}")
    for groups in ec2.groups.values():
        for group in groups.values():
            if group.id == group_id:
                continue
            for rule in [*group.ingress_rules, *group.egress_rules]:
                if (rule.source_group or {}).get("GroupId") == group_id:
                    users.append(f"a rule of security group {group.id}")
                    break
    return users


def _default_group_admits_itself() -> None:
    from moto.ec2.models.vpcs import VPCBackend

    create_vpc = VPCBackend.create_vpc

    def create_vpc_as_aws(self: Any, *args: Any, **kwargs: Any) -> Any:
        vpc = create_vpc(self, *args, **kwargs)
        group = self.get_security_group_from_name("default", vpc_id=vpc.id)
        if group is not None and not group.ingress_rules:
            self.authorize_security_group_ingress(
                group.id, "-1", None, None, [], source_groups=[{"GroupId": group.id}], vpc_id=vpc.id
            )
        return vpc

    VPCBackend.create_vpc = create_vpc_as_aws  # type: ignore[method-assign]


def _on(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _private_dns_needs_vpc_dns() -> None:
    from moto.ec2.exceptions import InvalidParameter
    from moto.ec2.models.vpcs import VPCBackend

    create_vpc_endpoint = VPCBackend.create_vpc_endpoint

    def create_vpc_endpoint_as_aws(self: Any, vpc_id: str, *args: Any, **kwargs: Any) -> Any:
        endpoint_type = kwargs.get("endpoint_type", args[1] if len(args) > 1 else None)
        private_dns = kwargs.get("private_dns_enabled")
        if str(endpoint_type or "Gateway").lower() == "interface" and (
            private_dns is None or _on(private_dns)
        ):
            vpc = self.get_vpc(vpc_id)
            if not (_on(vpc.enable_dns_support) and _on(vpc.enable_dns_hostnames)):
                raise InvalidParameter(
                    "Enabling private DNS requires both enableDnsSupport and "
                    f"enableDnsHostnames VPC attributes set to true for {vpc_id}"
                )
        return create_vpc_endpoint(self, vpc_id, *args, **kwargs)

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint_as_aws  # type: ignore[method-assign]


def apply() -> None:
    from moto.ec2.exceptions import DependencyViolationError

    _default_group_admits_itself()
    _private_dns_needs_vpc_dns()
    from moto.ec2.responses.security_groups import SecurityGroups
    from moto.ec2.responses.subnets import Subnets

    delete_subnet = Subnets.delete_subnet
    delete_security_group = SecurityGroups.delete_security_group

    def guarded_delete_subnet(self: Any) -> Any:
        subnet_id = self._get_param("SubnetId")
        users = _subnet_users(self.ec2_backend, self.current_account, self.region, subnet_id)
        if users:
            raise DependencyViolationError(
                f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
            )
        return delete_subnet(self)

    def guarded_delete_security_group(self: Any) -> Any:
        group_id = self._get_param("GroupId")
        if group_id:
            users = _group_users(self.ec2_backend, self.current_account, self.region, group_id)
            if users:
                raise DependencyViolationError(
                    f"resource {group_id} has a dependent object ({users[0]})"
                )
        return delete_security_group(self)

    Subnets.delete_subnet = guarded_delete_subnet  # type: ignore[method-assign]
    SecurityGroups.delete_security_group = guarded_delete_security_group  # type: ignore[method-assign]
