"""Can one address reach another on a TCP port? Judged from the security groups EC2 holds.

What ``weft verify`` asks of every app that uses a database or cache: do its pods reach it?
The answer is read from the cloud, the way AWS's Reachability Analyzer reasons about security
groups ("Security group rules", Amazon VPC User Guide,
https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html):

- a pod's security groups are those of the network interface holding its address (the VPC CNI
  gives pods secondary addresses of their node's interfaces, which carry the node's groups; a
  Fargate pod has an interface of its own): DescribeNetworkInterfaces filtered by
  ``addresses.private-ip-address`` (:func:`interface_groups`);
- security groups are stateful and allow only: traffic passes when an **egress** rule of one of
  the source's groups admits the destination (its address in the rule's CIDR, or one of its
  groups referenced) on the port, **and** an **ingress** rule of one of the destination's groups
  admits the source the same way (:func:`judge`). Protocol ``-1`` admits every port.

Not judged: network ACLs (a fabric keeps the VPC's default one, which allows everything) and
prefix-list rules (weft writes none; such a rule is taken to admit nothing).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.context import AwsContext
from weft.aws.errors import translate


@dataclass(frozen=True)
class Rule:
    """One security group rule, as DescribeSecurityGroupRules reports it."""

    rule_id: str
    group_id: str
    egress: bool
    protocol: str
    from_port: int
    to_port: int
    cidr: str | None
    source_group: str | None
    description: str = ""

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Rule:
        return cls(
            rule_id=str(item.get("SecurityGroupRuleId", "")),
            group_id=str(item.get("GroupId", "")),
            egress=bool(item.get("IsEgress")),
            protocol=str(item.get("IpProtocol", "-1")),
            from_port=int(item.get("FromPort", -1) if item.get("FromPort") is not None else -1),
            to_port=int(item.get("ToPort", -1) if item.get("ToPort") is not None else -1),
            cidr=item.get("CidrIpv4") or item.get("CidrIpv6"),
            source_group=(item.get("ReferencedGroupInfo") or {}).get("GroupId"),
            description=str(item.get("Description") or ""),
        )

    def covers(self, port: int) -> bool:
        """Whether the rule admits TCP on ``port``."""
        if self.protocol == "-1":
            return True
        if self.protocol not in ("tcp", "6"):
            return False
        return self.from_port <= port <= self.to_port

    def admits(self, address: str | None, groups: Iterable[str]) -> bool:
        """Whether the rule's peer is ``address`` (in its CIDR) or one of ``groups``."""
        if self.source_group is not None:
            return self.source_group in set(groups)
        if self.cidr is None:
            return False  # a prefix list: not judged
        network = ipaddress.ip_network(self.cidr, strict=False)
        if address is None:
            return network.prefixlen == 0  # an unknown address is only in "anywhere"
        try:
            return ipaddress.ip_address(address) in network
        except ValueError:
            return False

    def describe(self) -> str:
        peer = self.source_group or self.cidr or "a prefix list"
        ports = "all" if self.protocol == "-1" else f"{self.from_port}-{self.to_port}"
        text = f"{self.rule_id} of {self.group_id} ({'to' if self.egress else 'from'} {peer}"
        return f"{text}, ports {ports})"


@dataclass(frozen=True)
class Endpoint:
    """One end of a connection: its address (None when unknown) and its security groups."""

    what: str
    address: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


def judge(source: Endpoint, destination: Endpoint, port: int, rules: Sequence[Rule]) -> Verdict:
    """Whether ``source`` reaches ``destination`` on TCP ``port`` under ``rules`` (those of both
    ends' groups); the reason names the rules that allow it, or what is missing."""
    if not source.groups:
        return Verdict(False, f"{source.what} has no security group")
    if not destination.groups:
        return Verdict(False, f"{destination.what} has no security group")
    out = [
        r
        for r in rules
        if r.egress
        and r.group_id in source.groups
        and r.covers(port)
        and r.admits(destination.address, destination.groups)
    ]
    inbound = [
        r
        for r in rules
        if not r.egress
        and r.group_id in destination.groups
        and r.covers(port)
        and r.admits(source.address, source.groups)
    ]
    if not out:
        return Verdict(
            False,
            f"no egress rule of {', '.join(source.groups)} ({source.what}) lets TCP {port} out "
            f"to {destination.what}",
        )
    if not inbound:
        return Verdict(
            False,
            f"no ingress rule of {', '.join(destination.groups)} ({destination.what}) admits "
            f"{source.what} (groups {', '.join(source.groups)}) on TCP {port}",
        )
    return Verdict(True, f"allowed by {inbound[0].describe()}")


def interface_groups(ctx: AwsContext, addresses: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The security groups of the network interface holding each of ``addresses`` (those no
    interface holds are absent)."""
    wanted = sorted(set(addresses))
    if not wanted:
        return {}
    ec2 = ctx.client("ec2")
    found: dict[str, tuple[str, ...]] = {}
    try:
        for start in range(0, len(wanted), 100):
            chunk = wanted[start : start + 100]
            pages = ec2.get_paginator("describe_network_interfaces").paginate(
                Filters=[{"Name": "addresses.private-ip-address", "Values": chunk}]
            )
            for page in pages:
                for eni in page["NetworkInterfaces"]:
                    groups = tuple(g["GroupId"] for g in eni.get("Groups") or [])
                    for a in eni.get("PrivateIpAddresses") or []:
                        if a.get("PrivateIpAddress") in chunk:
                            found[a["PrivateIpAddress"]] = groups
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="network interfaces", action="read") from exc
    return found


def group_rules(ctx: AwsContext, group_ids: Iterable[str]) -> list[Rule]:
    """Every rule of the security groups ``group_ids``."""
    wanted = sorted(set(group_ids))
    if not wanted:
        return []
    ec2 = ctx.client("ec2")
    try:
        pages = ec2.get_paginator("describe_security_group_rules").paginate(
            Filters=[{"Name": "group-id", "Values": wanted}]
        )
        return [Rule.of(item) for page in pages for item in page["SecurityGroupRules"]]
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="security group rules", action="read") from exc
