"""What a change needs of the account's quotas, and whether it fits (weft.model.quotas)."""

from __future__ import annotations

from weft.core.resource import Observed, Ref, Resource
from weft.model.quotas import Need, Usage, judge, needs, vcpu_class

VCPUS = {"m6i.large": 2, "m7g.large": 2, "c7g.xlarge": 4, "g5.xlarge": 4, "p5.48xlarge": 192}


def group(name: str, types: list[str], desired: int, top: int, capacity: str = "ON_DEMAND"):
    return Resource(
        "eks_nodegroup",
        name,
        {
            "instance_types": tuple(types),
            "capacity_type": capacity,
            "scaling": {"min": 0, "max": top, "desired": desired},
        },
    )


def network(zones: list[str]) -> list[Resource]:
    out = [Resource("vpc", "main", {}), Resource("internet_gateway", "main", {})]
    for z in zones:
        out.append(Resource("subnet", f"public-{z[-1]}", {"zone": z}))
        out.append(Resource("eip", f"nat-{z[-1]}", {}))
        out.append(
            Resource("nat_gateway", z[-1], {"subnet_id": Ref(f"subnet.public-{z[-1]}", "id")})
        )
    return out


def test_instance_families_choose_their_vcpu_quota():
    assert [vcpu_class(t) for t in ["m6i.large", "t4g.small", "c7gn.xlarge", "r8gd.large"]] == [
        "standard"
    ] * 4
    assert vcpu_class("g5.xlarge") == "gvt" and vcpu_class("vt1.3xlarge") == "gvt"
    assert vcpu_class("p5.48xlarge") == "p"
    assert vcpu_class("inf2.xlarge") is None and vcpu_class("x2idn.16xlarge") is None


def test_a_new_fabric_needs_each_of_its_resources_and_vcpus_at_desired_and_max():
    desired = [
        *network(["us-east-2a", "us-east-2b"]),
        Resource("eks_cluster", "main", {}),
        group("general", ["m6i.large"], 3, 5),
        group("gpu", ["g5.xlarge"], 1, 2),
        group("spot", ["m7g.large", "c7g.xlarge"], 2, 4, "SPOT"),
        Resource("db_instance", "main", {}),
    ]
    got = {(n.code, n.scope, n.severity): n.needed for n in needs(desired, [], VCPUS, albs=(1, 0))}
    assert got[("L-F678F1CE", "", "refuse")] == 1
    assert got[("L-A4707A72", "", "refuse")] == 1
    assert got[("L-FE5A380F", "us-east-2a", "refuse")] == 1
    assert got[("L-FE5A380F", "us-east-2b", "refuse")] == 1
    assert got[("L-0263D0A3", "", "refuse")] == 2
    assert got[("L-1216C47A", "", "refuse")] == 6 and got[("L-1216C47A", "", "warn")] == 10
    assert got[("L-DB2E81BA", "", "refuse")] == 4 and got[("L-DB2E81BA", "", "warn")] == 8
    # a mixed group is counted at its largest type, on the Spot quota
    assert got[("L-34B43A08", "", "refuse")] == 8 and got[("L-34B43A08", "", "warn")] == 16
    assert got[("L-1194D53C", "", "refuse")] == 1
    assert got[("L-6D54EA21", "cluster", "refuse")] == 3
    assert got[("L-BD136A63", "general", "refuse")] == 5
    assert got[("L-7B6409FD", "", "refuse")] == 1
    assert got[("L-53DA6B97", "", "refuse")] == 1


def test_what_the_fabric_has_is_not_needed_again():
    have = [
        Observed("vpc", "main", "vpc-1", {}),
        Observed("subnet", "public-a", "subnet-1", {"zone": "us-east-2a"}),
        Observed("nat_gateway", "a", "nat-1", {"subnet_id": "subnet-1"}),
        Observed(
            "eks_nodegroup",
            "general",
            "ng",
            {"instance_types": ("m6i.large",), "scaling": {"min": 1, "max": 5, "desired": 3}},
        ),
    ]
    desired = [*network(["us-east-2a"]), group("general", ["m6i.large"], 4, 5)]
    got = {(n.code, n.scope, n.severity): n.needed for n in needs(desired, have, VCPUS)}
    assert ("L-F678F1CE", "", "refuse") not in got
    assert ("L-FE5A380F", "us-east-2a", "refuse") not in got
    assert got[("L-1216C47A", "", "refuse")] == 2  # one more node of 2 vCPUs
    assert ("L-1216C47A", "", "warn") not in got  # the max did not change


def test_judge_refuses_what_does_not_fit_and_warns_for_max_sizes():
    wanted = [
        Need("L-F678F1CE", "", 1),
        Need("L-FE5A380F", "us-east-2a", 1),
        Need("L-FE5A380F", "us-east-2b", 1),
        Need("L-1216C47A", "", 6),
        Need("L-1216C47A", "", 10, "warn"),
        Need("L-7B6409FD", "", 1),
    ]
    limits = {"L-F678F1CE": 5, "L-FE5A380F": 5, "L-1216C47A": 16}
    usage = Usage({("L-F678F1CE", ""): 5, ("L-FE5A380F", "us-east-2a"): 4, ("L-1216C47A", ""): 8})
    found = judge(wanted, limits, usage, "us-east-2")
    assert [(f.code, f.scope, f.severity, f.in_use, f.needed) for f in found] == [
        ("L-F678F1CE", "", "refuse", 5, 1),
        ("L-1216C47A", "", "warn", 8, 10),
    ]
    vpcs = found[0]
    assert vpcs.limit == 5
    assert vpcs.request == (
        "aws service-quotas request-service-quota-increase --service-code vpc "
        "--quota-code L-F678F1CE --desired-value 6 --region us-east-2"
    )
    assert vpcs.console.endswith("/servicequotas/home/services/vpc/quotas/L-F678F1CE")
    assert vpcs.console.startswith("https://us-east-2.console.aws.amazon.com/")
    assert "limit 5, in use 5, needed 1" in vpcs.line()
    # the RDS quota could not be read: not judged (the preflight warns about it instead)
    assert all(f.code != "L-7B6409FD" for f in found)
