"""weft's reading of instance type names (architecture, accelerator) and the AMI type it derives.

The naming rule is held against EC2's own DescribeInstanceTypes data (as moto ships it) for every
instance type listed there, so a family the rule misreads fails here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import moto
import pytest

from weft.fabricfile.instance_types import (
    AMI_TYPES,
    accelerator,
    ami_architecture,
    ami_type_for,
    architecture,
    mix_problem,
)

#: Types whose EC2 data lacks what they carry: the trn2u UltraServer has Trainium2 (Neuron) chips
#: but no NeuronInfo in the data.
DATA_GAPS = {"trn2u"}


def ec2_instance_types() -> dict[str, Any]:
    path = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"
    with gzip.open(path) as f:
        data: dict[str, Any] = json.load(f)
    return data


def test_the_naming_rule_agrees_with_ec2_for_every_instance_type() -> None:
    checked, wrong = 0, []
    for name, info in ec2_instance_types().items():
        arches = info["ProcessorInfo"]["SupportedArchitectures"]
        if any("mac" in a for a in arches) or name.split(".")[0] in DATA_GAPS:
            continue  # Mac instances cannot join EKS
        real_arch = "arm64" if "arm64" in arches else "x86_64"
        makers = {g.get("Manufacturer") for g in info.get("GpuInfo", {}).get("Gpus", [])}
        real_accel = (
            "nvidia" if "NVIDIA" in makers else "neuron" if "NeuronInfo" in info else "none"
        )
        checked += 1
        if (architecture(name), accelerator(name)) != (real_arch, real_accel):
            wrong.append((name, real_arch, real_accel))
    assert checked > 1000
    assert wrong == []


@pytest.mark.parametrize(
    ("types", "ami_type"),
    [
        (["m6i.large", "t3.medium"], "AL2023_x86_64_STANDARD"),
        (["m7g.large", "c7g.xlarge", "t4g.medium"], "AL2023_ARM_64_STANDARD"),
        (["g5.xlarge", "p4d.24xlarge"], "AL2023_x86_64_NVIDIA"),
        (["g5g.xlarge"], "AL2023_ARM_64_NVIDIA"),
        (["inf2.xlarge", "trn1.2xlarge"], "AL2023_x86_64_NEURON"),
        (["g4ad.xlarge"], "AL2023_x86_64_STANDARD"),  # AMD GPUs: no EKS AMI of their own
        (["m7g.large", "m6i.large"], None),
        (["g5.xlarge", "m6i.large"], None),
    ],
)
def test_ami_type_follows_the_instance_types(types: list[str], ami_type: str | None) -> None:
    assert ami_type_for(types) == ami_type
    assert (mix_problem(types) is None) == (ami_type is not None)
    if ami_type is not None:
        assert ami_type in AMI_TYPES
        assert ami_architecture(ami_type) == architecture(types[0])


def test_a_mix_names_each_side() -> None:
    message = mix_problem(["m7g.large", "m6i.large", "c7g.large"])
    assert message is not None
    assert "arm64: m7g.large, c7g.large; x86_64: m6i.large" in message
    assert "separate node groups" in message
