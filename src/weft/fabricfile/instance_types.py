"""What an EC2 instance type runs, read from its name: the CPU architecture and the accelerator.

EKS runs a managed node group from one AMI type (``amiType``), and CreateNodegroup refuses
instance types whose architecture does not match it ("[t4g.medium] is not a valid instance type
for requested amiType AL2023_x86_64_STANDARD"); without ``amiType`` EKS takes the x86_64 one. So
weft derives the AMI type from the group's instance types (:func:`ami_type_for`), and the file
check refuses a group that mixes architectures (no AMI fits it).

The rule follows EC2's naming (https://docs.aws.amazon.com/ec2/latest/instancetypes/
instance-type-names.html): a ``g`` right after the generation digit is a Graviton (arm64)
processor (m7g, c6gn, r8gd, t4g, i4g, im4gn, is4gen, g5g), as is the first-generation ``a1``;
``p`` and ``g`` families (and ``gr``) carry NVIDIA GPUs, except ``g4ad`` (AMD GPUs, for which EKS
has no AMI); ``inf`` and ``trn`` carry AWS Neuron chips. A unit test holds the rule against
EC2's own DescribeInstanceTypes data for every type it lists.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "AMI_TYPES",
    "Accelerator",
    "Architecture",
    "accelerator",
    "ami_architecture",
    "ami_type_for",
    "architecture",
]

Architecture = Literal["x86_64", "arm64"]
Accelerator = Literal["nvidia", "neuron", "none"]

#: The AMI types a weft node group may name (``ami_type``): EKS's Amazon Linux 2023 and
#: Bottlerocket types. Not the Amazon Linux 2 ones (no AMIs for Kubernetes 1.33 and later),
#: Windows (its nodes need more than a node group) or CUSTOM (needs an AMI of one's own).
AMI_TYPES = (
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64_FIPS",
    "BOTTLEROCKET_ARM_64_FIPS",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA_FIPS",
    "BOTTLEROCKET_ARM_64_NVIDIA_FIPS",
)

#: The AMI type EKS uses when a node group names none (Kubernetes 1.30 and later).
DEFAULT_AMI_TYPE = "AL2023_x86_64_STANDARD"

# family = letters, the generation digit(s), then the attributes: "m7gd" -> m, 7, gd
_FAMILY_RE = re.compile(r"([a-z]+)(\d+)([a-z]*)")
_NVIDIA_SERIES = frozenset({"p", "g", "gr"})
_NEURON_SERIES = frozenset({"inf", "trn"})
#: GPU families that carry no NVIDIA GPU (AMD Radeon Pro V520).
_NOT_NVIDIA = frozenset({"g4ad"})


def _parts(instance_type: str) -> tuple[str, str, str] | None:
    family = instance_type.split(".", 1)[0].split("-", 1)[0]
    match = _FAMILY_RE.fullmatch(family)
    return (match[1], match[2], match[3]) if match else None


def architecture(instance_type: str) -> Architecture:
    """``arm64`` for a Graviton (or ``a1``) type, else ``x86_64``."""
    parts = _parts(instance_type)
    if parts is None:
        return "x86_64"
    series, generation, attributes = parts
    if (series, generation) == ("a", "1") or attributes.startswith("g"):
        return "arm64"
    return "x86_64"


def accelerator(instance_type: str) -> Accelerator:
    """The accelerator an instance type carries that needs its own AMI: NVIDIA GPUs, Neuron."""
    parts = _parts(instance_type)
    if parts is None:
        return "none"
    series = parts[0]
    family = "".join(parts)
    if series in _NVIDIA_SERIES and family not in _NOT_NVIDIA:
        return "nvidia"
    if series in _NEURON_SERIES:
        return "neuron"
    return "none"


def ami_architecture(ami_type: str) -> Architecture:
    """The CPU architecture an EKS AMI type runs on."""
    return "arm64" if "ARM_64" in ami_type else "x86_64"


def ami_type_for(instance_types: list[str]) -> str | None:
    """The Amazon Linux 2023 AMI type for a node group of these instance types, or None when no
    AMI fits them all (mixed architectures or accelerators: see :func:`mix_problem`)."""
    if mix_problem(instance_types) is not None or not instance_types:
        return None
    arch, accel = architecture(instance_types[0]), accelerator(instance_types[0])
    if accel == "neuron":
        return "AL2023_x86_64_NEURON"
    base = "AL2023_ARM_64" if arch == "arm64" else "AL2023_x86_64"
    return f"{base}_NVIDIA" if accel == "nvidia" else f"{base}_STANDARD"


def mix_problem(instance_types: list[str]) -> str | None:
    """Why one AMI cannot serve all these instance types, or None when it can."""
    by_arch: dict[str, list[str]] = {}
    by_accel: dict[str, list[str]] = {}
    for item in instance_types:
        by_arch.setdefault(architecture(item), []).append(item)
        by_accel.setdefault(accelerator(item), []).append(item)
    if len(by_arch) > 1:
        listed = "; ".join(f"{arch}: {', '.join(types)}" for arch, types in by_arch.items())
        return (
            f"the instance types mix CPU architectures ({listed}); a node group runs one "
            "AMI, for one architecture: put them in separate node groups"
        )
    if len(by_accel) > 1:
        names = {"nvidia": "NVIDIA GPU", "neuron": "AWS Neuron", "none": "no accelerator"}
        listed = "; ".join(f"{names[kind]}: {', '.join(types)}" for kind, types in by_accel.items())
        return (
            f"the instance types mix accelerators ({listed}); a node group runs one AMI, "
            "with or without the accelerator's drivers: put them in separate node groups, "
            "or set ami_type"
        )
    return None
