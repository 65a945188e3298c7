"""The security-group reasoning of the reachability check (pure)."""

from weft.aws.reachability import Endpoint, Rule, judge

ANY_OUT = {"IpProtocol": "-1", "CidrIpv4": "0.0.0.0/0", "IsEgress": True}


def rule(group: str, rule_id: str = "sgr-1", **item: object) -> Rule:
    return Rule.of({"GroupId": group, "SecurityGroupRuleId": rule_id, **item})


def tcp_from(group: str, port: int, source: str) -> Rule:
    return rule(
        group,
        f"sgr-{group}-{source}",
        IpProtocol="tcp",
        FromPort=port,
        ToPort=port,
        ReferencedGroupInfo={"GroupId": source},
    )


POD = Endpoint("web pod", "10.0.1.20", ("sg-nodes", "sg-cluster"))
DB = Endpoint("database main", None, ("sg-data",))


def test_a_rule_naming_one_of_the_pods_groups_admits_it() -> None:
    rules = [rule("sg-nodes", **ANY_OUT), tcp_from("sg-data", 5432, "sg-nodes")]
    verdict = judge(POD, DB, 5432, rules)
    assert verdict.ok and "sgr-sg-data-sg-nodes" in verdict.reason


def test_a_group_no_pod_carries_admits_nothing() -> None:
    # the data group admits "nodes", but the pod (a Fargate pod) carries the cluster group only
    fargate = Endpoint("web pod", "10.0.1.21", ("sg-cluster",))
    rules = [rule("sg-cluster", **ANY_OUT), tcp_from("sg-data", 5432, "sg-nodes")]
    verdict = judge(fargate, DB, 5432, rules)
    assert not verdict.ok
    assert "no ingress rule of sg-data" in verdict.reason and "sg-cluster" in verdict.reason


def test_the_port_and_the_egress_side_count_too() -> None:
    assert not judge(
        POD, DB, 6379, [rule("sg-nodes", **ANY_OUT), tcp_from("sg-data", 5432, "sg-nodes")]
    ).ok
    no_egress = judge(POD, DB, 5432, [tcp_from("sg-data", 5432, "sg-nodes")])
    assert not no_egress.ok and "no egress rule" in no_egress.reason


def test_cidr_rules_match_the_address() -> None:
    inside = rule(
        "sg-data", "sgr-c", IpProtocol="tcp", FromPort=5000, ToPort=6000, CidrIpv4="10.0.0.0/16"
    )
    outside = rule(
        "sg-data", "sgr-d", IpProtocol="tcp", FromPort=5432, ToPort=5432, CidrIpv4="10.9.0.0/16"
    )
    assert judge(POD, DB, 5432, [rule("sg-nodes", **ANY_OUT), inside]).ok
    assert not judge(POD, DB, 5432, [rule("sg-nodes", **ANY_OUT), outside]).ok
    # an egress rule to a CIDR cannot be judged for a destination of unknown address
    narrow_out = rule("sg-nodes", "sgr-e", IpProtocol="-1", CidrIpv4="10.0.0.0/16", IsEgress=True)
    assert not judge(POD, DB, 5432, [narrow_out, inside]).ok
