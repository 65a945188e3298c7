"""Corrections to the moto emulator where it differs from AWS, applied inside the local server.

weft's drivers are the code users run against AWS; where the emulator mis-implements a call, the
emulator is fixed here (in the local cloud's own process), never the driver. Each fix names the
AWS behaviour it restores. Applied by :mod:`weft.local.moto_main` before the server starts.
"""

from __future__ import annotations

from typing import Any


def _rule_description_from_source_group() -> None:
    """AWS returns the Description of a rule that references another security group.

    moto 5.2.5 reads a rule's description only from its CIDR range, so a group-referencing rule
    created with a description is described without one.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]


def _nat_gateway_tag_filters() -> None:
    """AWS honours ``tag:KEY``, ``tag-key`` and ``tag-value`` filters on DescribeNatGateways.

    moto 5.2.5 ignores them and returns every NAT gateway of the region.
    """
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.utils import tag_filter_matches

    original = NatGatewayBackend.describe_nat_gateways

    def describe_nat_gateways(self: Any, filters: Any, nat_gateway_ids: Any) -> Any:
        found = original(self, filters, nat_gateway_ids)
        for name, values in (filters or {}).items():
            if name.startswith("tag:") or name in ("tag-key", "tag-value"):
                found = [n for n in found if tag_filter_matches(n, name, values)]
        return found

    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways  # type: ignore[method-assign]


def _target_groups_of_a_bare_load_balancer() -> None:
    """AWS answers DescribeTargetGroups for a load balancer without target groups with an empty
    list (an ALB made for an Ingress has none until a rule forwards somewhere).

    moto 5.2.5 raises TargetGroupNotFound instead.
    """
    from moto.elbv2.exceptions import TargetGroupNotFoundError
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.describe_target_groups

    def describe_target_groups(
        self: Any, load_balancer_arn: Any, target_group_arns: Any, names: Any
    ) -> Any:
        try:
            return original(self, load_balancer_arn, target_group_arns, names)
        except TargetGroupNotFoundError:
            if load_balancer_arn and not target_group_arns and not names:
                return []
            raise

    ELBv2Backend.describe_target_groups = describe_target_groups  # type: ignore[method-assign]


def _presigned_urls_reach_their_service() -> None:
    """AWS serves a presigned URL (SigV4 in the query string) by the service in its credential
    scope: an EKS token is a presigned STS GetCallerIdentity URL, which the authenticator calls.

    moto 5.2.5 infers the service from the Authorization header only, so it answers a presigned
    STS URL as an S3 ListBuckets; and it reads the caller's access key from that header (or
    ``AWSAccessKeyId``) only, so a presigned GetCallerIdentity of an assumed role answered as
    moto's default user. AWS identifies the caller by the key in ``X-Amz-Credential``.
    """
    from urllib.parse import parse_qs

    from moto.core.responses import BaseResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original_key = BaseResponse.get_access_key

    def get_access_key(self: Any) -> str:
        if "Authorization" not in self.headers:
            credential = (self.querystring.get("X-Amz-Credential") or [""])[0]
            if credential.count("/") == 4:
                return str(credential.split("/", 1)[0])
        return str(original_key(self))

    BaseResponse.get_access_key = get_access_key  # type: ignore[method-assign]

    original = DomainDispatcherApplication.infer_service_region_host

    def infer_service_region_host(self: Any, environ: dict[str, Any], path: str) -> Any:
        if not environ.get("HTTP_AUTHORIZATION"):
            query = parse_qs(environ.get("QUERY_STRING") or "")
            credential = (query.get("X-Amz-Credential") or [""])[0]
            if credential.count("/") == 4:
                environ = {
                    **environ,
                    "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={credential}, "
                    "SignedHeaders=host, Signature=presigned",
                }
        return original(self, environ, path)

    DomainDispatcherApplication.infer_service_region_host = infer_service_region_host  # type: ignore[method-assign]


def _ec2_tags_by_resource() -> None:
    """AWS answers a tag-filtered Describe* in a time that does not grow with the account.

    moto 5.2.5 reads the tags of each candidate resource by scanning every tag of every EC2
    resource in the region (``describe_tags`` with a ``resource-id`` filter, one regular
    expression match per tag), so one filtered describe costs (resources x all tags): with a
    thousand tagged resources a single DescribeSecurityGroupRules took most of a second and an
    ``up`` of that size spent minutes inside moto. The tags are read here from moto's own
    per-resource table, with the same answer.
    """
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    def get_tags(self: Any) -> list[dict[str, str]]:
        if not self.id:
            return []
        tags = self.ec2_backend.tags.get(self.id) or {}
        kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
        return [
            {"resource_id": self.id, "key": k, "value": v, "resource_type": kind}
            for k, v in list(tags.items())
        ]

    TaggedEC2Resource.get_tags = get_tags  # type: ignore[method-assign]


def _launch_template_tags() -> None:
    """AWS's DescribeLaunchTemplates reports a template's tags as they are now (CreateTags and
    DeleteTags included).

    moto 5.2.5 answers with a copy taken when the template was created, so a tag added later is
    never described.
    """
    from moto.ec2.models.launch_templates import LaunchTemplate

    def tags(self: Any) -> list[dict[str, str]]:
        return list(self.get_tags())

    def ignore(self: Any, value: Any) -> None:
        """The copy moto takes at creation is not kept: the tags are read when described."""

    LaunchTemplate.tags = property(tags, ignore)  # type: ignore[assignment]


def _interface_addresses_filter() -> None:
    """AWS's DescribeNetworkInterfaces filter ``addresses.private-ip-address`` matches every
    private IPv4 address of an interface, its secondary ones included ("The private IPv4
    addresses associated with the network interface", EC2 API Reference,
    DescribeNetworkInterfaces), and an interface matches when any of its addresses is any of
    the values: that is how a pod's address (a secondary address the VPC CNI gave it) leads to
    the interface, and so to its security groups.

    moto 5.2.5 matches the primary address only.
    """
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    original = NetworkInterfaceBackend.get_all_network_interfaces
    name = "addresses.private-ip-address"

    def get_all_network_interfaces(self: Any, eni_ids: Any = None, filters: Any = None) -> Any:
        filters = dict(filters or {})
        wanted = filters.pop(name, None)
        found = original(self, eni_ids, filters or None)
        if wanted is None:
            return found
        values = set(wanted if isinstance(wanted, list) else [wanted])
        return [
            eni
            for eni in found
            if values & {a.get("PrivateIpAddress") for a in eni.private_ip_addresses or []}
            or eni.private_ip_address in values
        ]

    NetworkInterfaceBackend.get_all_network_interfaces = get_all_network_interfaces  # type: ignore[method-assign]


def _route53_and_acm_validation() -> None:
    """Each hosted zone its own name servers; a DNS-validated certificate issued only when DNS,
    resolved down the delegations from the local cloud's parent zones, leads to its validation
    record: see :mod:`weft.local.moto_route53`."""
    from weft.local import moto_route53

    moto_route53.apply()


def _data_stores() -> None:
    """RDS and ElastiCache corrections: see :mod:`weft.local.moto_data`."""
    from weft.local import moto_data

    moto_data.apply_all()


def _network_in_use() -> None:
    """Subnets and security groups still in use are not deleted: see :mod:`.moto_network`."""
    from weft.local import moto_network

    moto_network.apply()


def _vpc_endpoints() -> None:
    """VPC endpoints hold their network: see :mod:`weft.local.moto_endpoints`."""
    from weft.local import moto_endpoints

    moto_endpoints.apply()


def _logs_key_policy() -> None:
    """CreateLogGroup uses a KMS key only when its policy allows CloudWatch Logs: see
    :mod:`.moto_logs`."""
    from weft.local import moto_logs

    moto_logs.apply()


def _dashboards() -> None:
    """PutDashboard checks the name and the body: see :mod:`.moto_dashboards`."""
    from weft.local import moto_dashboards

    moto_dashboards.apply()


def _alarms() -> None:
    """E-mail subscriptions wait for confirmation; alarms run their SNS actions when CloudWatch
    may publish (topic policy, key policy): see :mod:`.moto_alarms`."""
    from weft.local import moto_alarms

    moto_alarms.apply()


def _eks() -> None:
    """EKS add-ons, updates, cluster identity, tags (and OIDC client IDs): see :mod:`.moto_eks`."""
    from weft.local import moto_eks

    moto_eks.apply()


def _irsa() -> None:
    """Web identities checked and role sessions authorized: see :mod:`.moto_irsa`."""
    from weft.local import moto_irsa

    moto_irsa.apply()


def _ec2_volume_resources() -> None:
    """EC2 volume requests of a role session authorized on the volume: see
    :mod:`.moto_ec2_resources` (after :func:`_irsa`, whose authorization it wraps)."""
    from weft.local import moto_ec2_resources

    moto_ec2_resources.apply()


def _flow_log_roles() -> None:
    """CreateFlowLogs assumes its delivery role, as AWS does: see :mod:`.moto_flow_logs`."""
    from weft.local import moto_flow_logs

    moto_flow_logs.apply()


def _prometheus() -> None:
    """Amazon Managed Service for Prometheus: managed collectors, and workspaces as AWS answers
    for them: see :mod:`.moto_amp` (after :func:`_eks`, whose access entries it adds to)."""
    from weft.local import moto_amp

    moto_amp.apply()


FIXES = (
    _rule_description_from_source_group,
    _nat_gateway_tag_filters,
    _target_groups_of_a_bare_load_balancer,
    _presigned_urls_reach_their_service,
    _ec2_tags_by_resource,
    _launch_template_tags,
    _interface_addresses_filter,
    _route53_and_acm_validation,
    _data_stores,
    _network_in_use,
    _vpc_endpoints,
    _logs_key_policy,
    _flow_log_roles,
    _dashboards,
    _alarms,
    _eks,
    _prometheus,
    _irsa,
    _ec2_volume_resources,
)


def apply() -> None:
    for fix in FIXES:
        fix()
