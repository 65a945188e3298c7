"""What EKS makes of a managed node group's launch template (pure: the template's data is given).

From "Customizing managed nodes with launch templates" in the Amazon EKS User Guide
(https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html):

- **Prohibited settings** (:func:`template_problem`): a template used by a managed node group
  may not name a subnet in its network interfaces, an IAM instance profile (the node role of the
  request makes one), a shutdown or hibernation behaviour (EKS controls the instance
  lifecycle), nor security groups both at the instance level and in a network interface. An
  instance type in the template excludes ``instanceTypes`` in the request. EKS refuses such a
  node group (``InvalidParameterException``) at create and at a version update alike.
- **Security groups** (:func:`node_security_groups`): "By default, Amazon EKS applies the
  cluster security group to the instances in your node group [...]. If you specify custom
  security groups in the launch template [...], Amazon EKS doesn't add the cluster security
  group." So a node has the template's groups when it names any, else only the cluster's.

The messages are the User Guide's rules in EKS's words where known, the codes EKS's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Settings a managed node group's template may not hold, and why (the User Guide's table).
PROHIBITED: dict[str, str] = {
    "IamInstanceProfile": "Launch template should not specify an instance profile. The "
    "noderole in your request will be used to construct an instance profile.",
    "InstanceInitiatedShutdownBehavior": "Launch template should not specify a shutdown "
    "behavior: Amazon EKS must control the instance lifecycle.",
    "HibernationOptions": "Launch template should not specify hibernation options: Amazon EKS "
    "must control the instance lifecycle.",
}


def _interfaces(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = data.get("NetworkInterfaces") or []
    return [i for i in found if isinstance(i, Mapping)]


def _interface_groups(data: Mapping[str, Any]) -> list[str]:
    groups: list[str] = []
    for interface in _interfaces(data):
        value = interface.get("Groups") or interface.get("SecurityGroupIds") or []
        groups.extend([value] if isinstance(value, str) else [str(g) for g in value])
    return groups


def _instance_groups(data: Mapping[str, Any]) -> list[str]:
    value = data.get("SecurityGroupIds") or []
    return [value] if isinstance(value, str) else [str(g) for g in value]


def template_problem(
    data: Mapping[str, Any], instance_types: Sequence[str] | None, template: str
) -> str | None:
    """Why EKS refuses a node group launched from ``template`` with this data (None: it does
    not). ``instance_types``: those of the request."""
    for key, message in PROHIBITED.items():
        if data.get(key):
            return message
    if any(i.get("SubnetId") for i in _interfaces(data)):
        return (
            "Launch template should not specify a subnet in its network interfaces: the "
            "subnets of the node group are the request's."
        )
    if _instance_groups(data) and _interface_groups(data):
        return (
            f"Launch template {template} specifies security groups both for the instance and "
            "in a network interface; specify them in one place only."
        )
    if data.get("InstanceType") and instance_types:
        return (
            "Instance types cannot be specified both in the request and in the launch "
            f"template {template}."
        )
    return None


def node_security_groups(data: Mapping[str, Any] | None, cluster_group: str | None) -> list[str]:
    """The security groups of a node launched from a template with this data (None: a node
    group without a template): the template's when it names any, else the cluster's."""
    named = (_instance_groups(data) + _interface_groups(data)) if data else []
    if named:
        return list(dict.fromkeys(named))
    return [cluster_group] if cluster_group else []
