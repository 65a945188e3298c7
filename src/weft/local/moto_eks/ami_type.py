"""The local EKS's AMI types: the one a node group gets, and the instance types it may run.

- A node group created without ``amiType`` gets ``AL2023_x86_64_STANDARD`` on Kubernetes 1.30
  and later, ``AL2_x86_64`` before (moto: always ``AL2_x86_64``): the Amazon EKS User Guide
  (Amazon Linux 2023 AMIs, "Upgrade from Amazon Linux 2 to AL2023") documents AL2023 as the
  default for new managed node groups from Kubernetes 1.30. A node group whose launch template
  names its own AMI (``ImageId``) gets ``CUSTOM`` and no check (EKS API reference,
  CreateNodegroup ``amiType``: with a custom AMI in the launch template, don't specify it).
- CreateNodegroup refuses instance types of another CPU architecture than the AMI type, with
  the InvalidParameterException EKS answers, e.g. "[t4g.medium] is not a valid instance type for
  requested amiType AL2023_x86_64_STANDARD" (a Graviton type on the default x86_64 AMI, the
  failure eksctl, terraform-aws-eks and CDK users report). moto accepts any pair.

The architecture of an instance type is EC2's own (``ProcessorInfo.SupportedArchitectures`` in
the DescribeInstanceTypes data moto serves), not weft's naming rule: the emulator keeps its own
copy of what it checks. An instance type EC2's data does not list is not judged here.
"""

from __future__ import annotations

from typing import Any

from weft.local.moto_eks import backend

#: Kubernetes minor from which a node group without ``amiType`` runs Amazon Linux 2023.
AL2023_DEFAULT_FROM = (1, 30)


def default_ami_type(version: str | None) -> str:
    """The AMI type EKS gives a node group created without one, on this Kubernetes version."""
    try:
        major, minor = (int(part) for part in str(version).split(".")[:2])
    except ValueError:
        return "AL2023_x86_64_STANDARD"
    return "AL2023_x86_64_STANDARD" if (major, minor) >= AL2023_DEFAULT_FROM else "AL2_x86_64"


def ami_architecture(ami_type: str) -> str | None:
    """The CPU architecture an AMI type runs on; None for CUSTOM (the launch template's AMI)."""
    if ami_type == "CUSTOM":
        return None
    return "arm64" if "ARM_64" in ami_type else "x86_64"


def instance_architectures(instance_type: str) -> list[str] | None:
    """EC2's architectures for an instance type, or None when EC2's data does not list it."""
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    info: dict[str, Any] | None = INSTANCE_TYPES.get(instance_type)
    if info is None:
        return None
    return list(info.get("ProcessorInfo", {}).get("SupportedArchitectures", []))


def mismatch(ami_type: str, instance_types: list[str]) -> str | None:
    """EKS's message when these instance types cannot run this AMI type, else None."""
    wanted = ami_architecture(ami_type)
    if wanted is None:
        return None
    bad = []
    for item in instance_types:
        arches = instance_architectures(item)
        if arches is not None and wanted not in arches:
            bad.append(item)
    if not bad:
        return None
    return f"[{', '.join(bad)}] is not a valid instance type for requested amiType {ami_type}"


def launch_template_image(account_id: str, region: str, spec: dict[str, Any] | None) -> str:
    """The ``ImageId`` a node group's launch template names ("" when none, or no template)."""
    if not spec:
        return ""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    template_id = spec.get("id") or ec2.launch_template_name_to_ids.get(spec.get("name", ""))
    template = ec2.launch_templates.get(template_id or "")
    if template is None:
        return ""
    version = template.get_version(spec.get("version") or "$Default")
    return str(version.data.get("ImageId") or "")


def checked(eks: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """CreateNodegroup's arguments with EKS's ``amiType`` filled in, or EKS's refusal.

    ``eks`` is moto's EKS backend; a cluster it does not have is left to moto to refuse."""
    cluster = eks.clusters.get(kwargs.get("cluster_name"))
    if cluster is None:
        return kwargs
    ami_type = kwargs.get("ami_type")
    if not ami_type:
        image = launch_template_image(
            eks.account_id, eks.region_name, kwargs.get("launch_template")
        )
        ami_type = "CUSTOM" if image else default_ami_type(kwargs.get("version") or cluster.version)
    problem = mismatch(ami_type, list(kwargs.get("instance_types") or []))
    if problem is not None:
        raise backend.invalid(
            problem, cluster=kwargs.get("cluster_name"), nodegroup=kwargs.get("nodegroup_name")
        )
    return {**kwargs, "ami_type": ami_type}


def arch_labels(nodegroup: Any) -> dict[str, str]:
    """The architecture labels a kubelet puts on a node of this node group (amd64 or arm64)."""
    arch = "arm64" if "ARM_64" in str(getattr(nodegroup, "ami_type", "") or "") else "amd64"
    return {"kubernetes.io/arch": arch, "beta.kubernetes.io/arch": arch}
