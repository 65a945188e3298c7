"""The load-balancer controller simulator's side in the local AWS (moto): the ELBv2 and EC2
calls that make, complete and delete a load balancer, made with the clients the controller's
role session gives (:mod:`weft.local.kube.lb_install`), in the VPC its ``--aws-vpc-id`` names.

An Ingress stack's ALB gets a security group of its own (``ManagedLBSecurityGroup``: the
listener ports open to the world for ``internet-facing``, to the VPC for ``internal``), its
listeners from the Ingress's annotations (:func:`.load_balancer.ingress_plan`: HTTPS with the
annotated certificate and security policy, HTTP redirecting to HTTPS), and one target group per
backend (``target-type``, health check path) forwarded to by a listener rule on host and path;
an Ingress leaving a group whose ALB stays takes its rules and target groups with it.
Everything is tagged ``elbv2.k8s.aws/cluster`` and with the stack, as the controller tags it.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from weft.local.kube.load_balancer import (
    Backend,
    IngressPlan,
    Where,
    choose_subnets,
    lb_name,
    missing_listeners,
    owns,
    sg_name,
    sg_tags,
    tg_name,
    tg_tags,
)

log = logging.getLogger("weft.local.kube.lb")


def subnets(ec2: Any, where: Where, scheme: str) -> list[str]:
    """The subnets of a new load balancer (:func:`.load_balancer.choose_subnets`) among those of
    the controller's VPC (none without one)."""
    if not where.vpc_id:
        return []
    found = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [where.vpc_id]}])
    return choose_subnets(found["Subnets"], scheme)


def find_lb(elbv2: Any, name: str) -> dict[str, Any] | None:
    try:
        lbs = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in (
            "LoadBalancerNotFound",
            "LoadBalancerNotFoundException",
        ):
            return None
        raise
    return lbs[0] if lbs else None


def create_lb(
    elbv2: Any,
    *,
    name: str,
    subnets: list[str],
    scheme: str,
    kind: str,
    tags: dict[str, str],
    security_groups: list[str] | None = None,
) -> dict[str, Any]:
    """A network load balancer for a Service, an application one for an Ingress."""
    extra = {"SecurityGroups": security_groups} if security_groups else {}
    lb: dict[str, Any] = elbv2.create_load_balancer(
        Name=name,
        Subnets=subnets,
        Scheme=scheme,
        Type="network" if kind == "Service" else "application",
        IpAddressType="ipv4",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        **extra,
    )["LoadBalancers"][0]
    return lb


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def ensure_security_group(
    ec2: Any, where: Where, stack: str, tags: dict[str, str], ports: list[int], scheme: str
) -> str:
    """The Ingress stack's ALB security group (made once, tagged as the controller tags it),
    its listener ports open to the world (``internet-facing``) or the VPC (``internal``)."""
    name = sg_name(where.cluster, stack)
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [where.vpc_id]},
            {"Name": "group-name", "Values": [name]},
        ]
    )["SecurityGroups"]
    if found:
        return str(found[0]["GroupId"])
    group = ec2.create_security_group(
        GroupName=name,
        Description="[k8s] Managed SecurityGroup for LoadBalancer",
        VpcId=where.vpc_id,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tag_list(sg_tags(tags))}],
    )["GroupId"]
    cidr = "0.0.0.0/0"
    if scheme != "internet-facing":
        vpc = ec2.describe_vpcs(VpcIds=[where.vpc_id])["Vpcs"][0]
        cidr = vpc["CidrBlock"]
    if ports:
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": cidr}]}
                for p in sorted(set(ports))
            ],
        )
    return str(group)


def delete_security_group(ec2: Any, where: Where, stack: str, tags: dict[str, str]) -> None:
    """Delete the stack's ALB security group, if it carries the stack's tags."""
    if not where.vpc_id:
        return
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [where.vpc_id]},
            {"Name": "group-name", "Values": [sg_name(where.cluster, stack)]},
        ]
    )["SecurityGroups"]
    for group in found:
        have = {t["Key"]: t["Value"] for t in group.get("Tags") or []}
        if all(have.get(k) == v for k, v in tags.items() if k != "ingress.k8s.aws/resource"):
            ec2.delete_security_group(GroupId=group["GroupId"])


def ensure_ingress(
    elbv2: Any,
    where: Where,
    lb: dict[str, Any],
    plan: IngressPlan,
    *,
    stack: str,
    namespace: str,
    tags: dict[str, str],
) -> None:
    """An Ingress's listeners, target groups and rules on its stack's ALB (see the module
    docstring); what exists already is kept."""
    arn = lb["LoadBalancerArn"]
    existing = {li["Port"]: li for li in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]}
    not_found = {
        "Type": "fixed-response",
        "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
    }
    for proto, port in plan.listeners:
        if port in existing:
            continue
        kw: dict[str, Any] = {}
        action: dict[str, Any] = not_found
        if proto == "HTTPS":
            kw = {
                "Certificates": [{"CertificateArn": plan.certificate_arns[0]}],
                "SslPolicy": plan.ssl_policy,
            }
        elif plan.redirect_to is not None:
            action = {
                "Type": "redirect",
                "RedirectConfig": {
                    "Protocol": "HTTPS",
                    "Port": str(plan.redirect_to),
                    "StatusCode": "HTTP_301",
                },
            }
        existing[port] = elbv2.create_listener(
            LoadBalancerArn=arn, Protocol=proto, Port=port, DefaultActions=[action], **kw
        )["Listeners"][0]
    serving = [
        existing[port]
        for proto, port in plan.listeners
        if proto == "HTTPS" or plan.redirect_to is None
    ]
    for backend in plan.backends:
        tg_arn = _ensure_target_group(elbv2, where, lb, plan, namespace, backend, tags)
        for listener in serving:
            _ensure_rule(elbv2, listener["ListenerArn"], backend, tg_arn)


def ingress_target_groups(where: Where, plan: IngressPlan, namespace: str) -> set[str]:
    """The names of the target groups of an Ingress's backends."""
    return {tg_name(where.cluster, f"{namespace}/{b.service}", b.port) for b in plan.backends}


def remove_ingress_routes(
    elbv2: Any, where: Where, stack: str, scheme: str, names: set[str], keep: set[str]
) -> None:
    """An Ingress leaves a group whose ALB stays: the rules forwarding to its target groups
    (``names``, less those other Ingresses of the group use: ``keep``) go, then the groups."""
    lb = find_lb(elbv2, lb_name(where.cluster, stack, scheme))
    gone = names - keep
    if lb is None or not gone:
        return
    arns: dict[str, str] = {}
    for name in gone:
        try:
            for group in elbv2.describe_target_groups(Names=[name])["TargetGroups"]:
                arns[group["TargetGroupArn"]] = name
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in (
                "TargetGroupNotFound",
                "TargetGroupNotFoundException",
            ):
                raise
    for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
            if rule.get("IsDefault"):
                continue
            if any(a.get("TargetGroupArn") in arns for a in rule.get("Actions") or []):
                elbv2.delete_rule(RuleArn=rule["RuleArn"])
    for arn in arns:
        elbv2.delete_target_group(TargetGroupArn=arn)


def _ensure_target_group(
    elbv2: Any,
    where: Where,
    lb: dict[str, Any],
    plan: IngressPlan,
    namespace: str,
    backend: Backend,
    tags: dict[str, str],
) -> str:
    name = tg_name(where.cluster, f"{namespace}/{backend.service}", backend.port)
    try:
        found = elbv2.describe_target_groups(Names=[name])["TargetGroups"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in (
            "TargetGroupNotFound",
            "TargetGroupNotFoundException",
        ):
            raise
        found = []
    if found:
        return str(found[0]["TargetGroupArn"])
    tg_tags = {**tags, "ingress.k8s.aws/resource": f"{namespace}/{backend.service}:{backend.port}"}
    group = elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=backend.port,
        VpcId=lb.get("VpcId") or where.vpc_id,
        TargetType=plan.target_type,
        HealthCheckPath=plan.health_path,
        HealthCheckPort=plan.health_port,
        Tags=_tag_list(tg_tags),
    )["TargetGroups"][0]
    return str(group["TargetGroupArn"])


def _ensure_rule(elbv2: Any, listener_arn: str, backend: Backend, tg_arn: str) -> None:
    rules = elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
    for rule in rules:
        if any(a.get("TargetGroupArn") == tg_arn for a in rule.get("Actions") or []):
            return
    conditions = []
    if backend.host:
        conditions.append({"Field": "host-header", "HostHeaderConfig": {"Values": [backend.host]}})
    path = (backend.path or "/").rstrip("/")
    conditions.append(
        {"Field": "path-pattern", "PathPatternConfig": {"Values": [f"{path}/*" if path else "/*"]}}
    )
    taken = [int(r["Priority"]) for r in rules if str(r.get("Priority", "")).isdigit()]
    elbv2.create_rule(
        ListenerArn=listener_arn,
        Priority=max(taken, default=0) + 1,
        Conditions=conditions,
        Actions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )


def ensure_service_listeners(
    elbv2: Any,
    where: Where,
    lb: dict[str, Any],
    *,
    kind: str,
    stack: str,
    ports: list[dict[str, Any]],
    tags: dict[str, str],
) -> None:
    """A Service's NLB: per port, a target group and a listener forwarding to it."""
    arn = lb["LoadBalancerArn"]
    existing = {
        listener["Port"] for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    }
    for listener in missing_listeners(ports, existing):
        tg = elbv2.create_target_group(
            Name=tg_name(where.cluster, stack, listener.port),
            Protocol=listener.protocol,
            Port=listener.target_port,
            VpcId=lb.get("VpcId"),
            TargetType="instance",
            Tags=[{"Key": k, "Value": v} for k, v in tg_tags(tags, stack, listener.port).items()],
        )["TargetGroups"][0]
        elbv2.create_listener(
            LoadBalancerArn=arn,
            Protocol=listener.protocol,
            Port=listener.port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )


def delete_lb(elbv2: Any, where: Where, stack: str, scheme: str, kind: str) -> None:
    """Delete the stack's load balancer and its target groups, if it is the stack's."""
    name = lb_name(where.cluster, stack, scheme)
    lb = find_lb(elbv2, name)
    if lb is None:
        return
    arn = lb["LoadBalancerArn"]
    tags = {
        t["Key"]: t["Value"]
        for t in elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    }
    if not owns(tags, where.cluster, kind, stack):
        log.warning("not deleting %s: its tags %s are not those of %s", name, tags, stack)
        return
    groups = elbv2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]
    for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
            for action in rule.get("Actions") or []:
                tg = action.get("TargetGroupArn")
                if tg and tg not in {g["TargetGroupArn"] for g in groups}:
                    groups.extend(
                        elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"]
                    )
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    for tg in groups:
        try:
            elbv2.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
        except ClientError as exc:
            log.warning("target group %s not deleted: %s", tg["TargetGroupName"], exc)
    log.info("%s %s: deleted load balancer %s", kind, stack, name)
