"""Every registered driver through the same lifecycle against the local cloud.

For each kind: the resources it depends on are built (from the fabric model, through the
planner and the executor, as ``weft up`` does), then the resource itself is

1. created, and discovery finds it with the desired props;
2. planned again: nothing to do;
3. changed in each property its driver declares updatable, one change at a time: the planner
   makes it an in-place update, the executor applies it, and discovery sees the new value;
4. deleted (planned away), and discovery no longer reports it.

The cases name, for each kind, the resource to use and a change of each updatable property
(``tags`` are changed for every kind that can change them). A driver registered without a case,
or a declared property without a change, fails here; a property declared neither immutable nor
updatable fails ``tests/unit/aws/drivers/test_schemas.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from weft.aws import inventory
from weft.aws.applier import AwsApplier
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.session import AwsSession
from weft.core.executor import Executor
from weft.core.plan import Action, Plan
from weft.core.planner import diff_props, plan, resolve
from weft.core.resource import Observed, Ref, Resource, thaw
from weft.fabricfile import Fabric, parse_fabric
from weft.local import parent_zones
from weft.model import alarms, desired_resources, observability
from weft.model.naming import digest

from .helpers import CLUSTER_VERSION, FAST_RETRY, PREVIOUS_VERSION

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.spread(2)]

REGION = "us-east-2"
ZONES = ["us-east-2a", "us-east-2b"]
SCHEMAS = {kind: driver.schema for kind, driver in DRIVERS.items()}


def fabric_text(name: str) -> str:
    """A fabric with a resource of every kind the fabric file can ask for."""
    return f"""\
name: {name}
region: {REGION}
provider: local
tags: {{team: conformance}}
network:
  cidr: 10.40.0.0/16
  zones: 2
  nat: single
  layout: private
  endpoints: true
  flow_logs: {{retention_days: 7}}
cluster:
  version: "{PREVIOUS_VERSION}"
  endpoint: both
  api_cidrs: [203.0.113.0/24]
  logs: [api]
  encrypt_secrets: true
  addons:
    vpc-cni: {{}}
  access:
    - {{principal: "{DEVELOPERS}", policy: edit, namespaces: [web]}}
  pod_identity: true
nodegroups:
  - name: general
    instance_types: [m6i.large]
    min: 1
    max: 3
    desired: 2
    labels: {{role: web}}
    taints: [{{key: dedicated, value: web, effect: NoSchedule}}]
fargate:
  - {{name: system, selectors: [{{namespace: jobs}}]}}
databases:
  - {{name: main, engine_version: "16.3", instance_class: db.t4g.medium}}
caches:
  - {{name: sessions, engine_version: "7.1", node_type: cache.t4g.small, replicas: 1}}
buckets:
  - {{name: uploads}}
dns: {{domain: {name}.example.com}}
observability:
  alarms: {{email: [oncall@example.com]}}
  prometheus: true
"""


def records(domain: str) -> list[Resource]:
    """Records the model does not make: one of the user's (the model's only record validates the
    certificate, which issuing then changes), and one ``weft deploy`` writes for an
    application's load balancer."""
    www = {
        "zone_id": Ref("hosted_zone.main"),
        "name": f"www.{domain}.",
        "type": "CNAME",
        "ttl": 300,
        "values": [f"web.{domain}"],
        "alias": None,
        "tags": {},
    }
    web = {**www, "name": f"web.{domain}.", "type": "A", "ttl": None, "values": []}
    return [
        Resource("dns_record", "www", www),
        Resource("app_record", "web", {**web, "alias": LB_ALIAS}),
    ]


def app_alarms(fabric: Fabric, account_id: str) -> list[Resource]:
    """The alarm ``weft deploy`` writes for an app's load balancer (its ids made up)."""
    props = alarms.app_alarm_props(
        fabric, account_id, "web", "app/k8s-web/50dc6c495c0c9188", "targetgroup/k8s-web/73e2d6bc"
    )
    tags = {"weft:fabric": fabric.name, "weft:id": "app_alarm.app-web-5xx"}
    return [Resource("app_alarm", "app-web-5xx", {**props, "tags": tags})]


def spare_workspace(fabric: str) -> Resource:
    """A second Prometheus workspace of the fabric (the model makes one): where the collector
    case moves its destination."""
    tags = {"weft:fabric": fabric, "weft:id": "amp_workspace.spare"}
    return Resource("amp_workspace", "spare", {"alias": f"weft-{fabric}-spare", "tags": tags})


#: Another configuration an AWS managed collector takes.
SCRAPE_EVERY_TWO_MINUTES = """\
global:
  scrape_interval: 2m
scrape_configs:
  - job_name: pods
    kubernetes_sd_configs:
      - role: pod
"""

#: An inline policy for the IAM role case.
BUCKET_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Objects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::weft-conformance-uploads/*"],
        }
    ],
}
#: The IAM role the access cases grant access to (made before every case).
DEVELOPERS = "arn:aws:iam::123456789012:role/conformance-developers"
ACCESS_DIGEST = digest(DEVELOPERS)
#: A second role for pods (EKS Pod Identity), which the association case moves to.
POD_ROLE = "arn:aws:iam::123456789012:role/conformance-pods"
LB_ALIAS = {"dns_name": "web-123.us-east-2.elb.amazonaws.com", "zone_id": "Z3AADJGX6KTTL2"}


@dataclass(frozen=True)
class Case:
    """The resource a kind is tested with, and a change of each of its updatable props (in
    order; each applies on top of the ones before). ``extra``: more resources to build first.
    ``created_with``: resources created in the same plan, because they bring one another about
    (an issued certificate has a validation, which the local cloud issues a second after the
    request). ``gone_with``: what the resource exists as long as (a certificate's validation,
    its certificate), deleted with it. A change's value may be a function of the fabric's name
    (a dashboard's body names its fabric), called when the case runs."""

    address: str
    changes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    extra: tuple[str, ...] = ()
    created_with: tuple[str, ...] = ()
    gone_with: str | None = None
    #: done to the cloud once the resource exists, before its changes (what a change needs
    #: that the fabric does not make: another version of a node group's launch template)
    before_changes: Callable[[AwsContext, inventory.Inventory], None] | None = None
    #: props the resource is created with instead of the model's (a change needs another start)
    initial: dict[str, Any] = field(default_factory=dict)


#: The cluster's version in the cases' fabric file.
CLUSTER_VERSION_OF_CASES = str(
    getattr(parse_fabric(fabric_text("probe"), source="fabric.yaml").cluster, "version", "")
)


def one_minor_before(version: str) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) - 1}"


def second_template_version(ctx: AwsContext, found: inventory.Inventory) -> None:
    """A second version of the node group's launch template (its default stays the first)."""
    template = found.by_address["launch_template.general"]
    ec2 = ctx.client("ec2")
    ec2.create_launch_template_version(
        LaunchTemplateId=template.id,
        SourceVersion="1",
        LaunchTemplateData={"MetadataOptions": {"HttpTokens": "required"}},
    )


CASES = {
    "fabric_bucket": Case(
        "fabric_bucket.fabric",
        [
            ("versioning", {"versioning": False}),
            ("encryption", {"encryption": "aws:kms"}),
            ("public_access_block", {"public_access_block": False}),
        ],
    ),
    "kms_key": Case(
        "kms_key.fabric",
        [
            ("description", {"description": "changed"}),
            ("alias", {"alias": "alias/weft/conformance-moved"}),
            ("rotation", {"rotation": False}),
            (
                "policy",
                {
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "Enable IAM User Permissions",
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ],
                    }
                },
            ),
        ],
    ),
    "log_group": Case("log_group.cluster", [("retention_days", {"retention_days": 7})]),
    "vpc": Case(
        "vpc.main",
        [
            ("dns_hostnames", {"dns_hostnames": False}),
            ("dns_support", {"dns_support": False, "dns_hostnames": False}),
            ("default_sg_open", {"default_sg_open": True}),
        ],
    ),
    "internet_gateway": Case("internet_gateway.main"),
    "flow_log": Case("flow_log.vpc", extra=("log_group.flow-logs", "iam_role.flow-logs")),
    "subnet": Case("subnet.public-a", [("map_public_ip", {"map_public_ip": False})]),
    "eip": Case("eip.nat-a"),
    "nat_gateway": Case("nat_gateway.a"),
    "route_table": Case(
        "route_table.public",
        [
            (
                "routes",
                {
                    "routes": [
                        {
                            "destination": "0.0.0.0/0",
                            "gateway_id": Ref("internet_gateway.main"),
                            "nat_gateway_id": None,
                        },
                        {
                            "destination": "192.168.0.0/16",
                            "gateway_id": Ref("internet_gateway.main"),
                            "nat_gateway_id": None,
                        },
                    ]
                },
            ),
            ("subnets", {"subnets": [Ref("subnet.public-a")]}),
        ],
    ),
    "security_group": Case("security_group.lb"),
    "interface_endpoint": Case(
        "interface_endpoint.sts",
        [
            ("subnet_ids", {"subnet_ids": [Ref("subnet.private-a")]}),
            (
                "security_group_ids",
                {
                    "security_group_ids": [
                        Ref("security_group.endpoints"),
                        Ref("security_group.nodes"),
                    ]
                },
            ),
        ],
    ),
    "gateway_endpoint": Case(
        "gateway_endpoint.s3",
        [("route_table_ids", {"route_table_ids": [Ref("route_table.private-a")]})],
    ),
    "security_group_rule": Case(
        "security_group_rule.lb-http", [("description", {"description": "changed"})]
    ),
    "iam_role": Case(
        "iam_role.fargate",
        [
            (
                "assume_role_policy",
                {
                    "assume_role_policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "eks-fargate-pods.amazonaws.com"},
                                "Action": ["sts:AssumeRole", "sts:TagSession"],
                            }
                        ],
                    }
                },
            ),
            (
                "managed_policies",
                {"managed_policies": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]},
            ),
            ("inline_policies", {"inline_policies": {"weft-app": BUCKET_READ}}),
            ("inline_policies", {"inline_policies": {"weft-other": BUCKET_READ}}),
        ],
    ),
    "eks_cluster": Case(
        "eks_cluster.main",
        [
            ("version", {"version": CLUSTER_VERSION}),
            ("logging", {"logging": ["api", "audit"]}),
            ("public_access_cidrs", {"public_access_cidrs": ["198.51.100.0/24"]}),
            ("endpoint_private", {"endpoint_private": False}),
            (
                "endpoint_public",
                {"endpoint_public": False, "endpoint_private": True, "public_access_cidrs": []},
            ),
            ("subnet_ids", {"subnet_ids": [Ref("subnet.public-a"), Ref("subnet.public-b")]}),
            ("deletion_protection", {"deletion_protection": True}),
            # off again: EKS refuses to delete a protected cluster
            ("deletion_protection", {"deletion_protection": False}),
            ("authentication_mode", {"authentication_mode": "API"}),
            (
                "auto_mode",
                {"auto_mode": True, "auto_node_role_arn": Ref("iam_role.nodes", "arn")},
            ),
            # the node role stays while Auto Mode is on; off, it goes with it
            ("auto_node_role_arn", {"auto_mode": False, "auto_node_role_arn": None}),
        ],
        # EKS moves the mode forward only: start from the one before
        initial={"authentication_mode": "API_AND_CONFIG_MAP"},
    ),
    "oidc_provider": Case(
        "oidc_provider.cluster",
        [
            ("client_ids", {"client_ids": ["sts.amazonaws.com", "conformance"]}),
            ("thumbprints", {"thumbprints": ["a" * 40]}),
        ],
    ),
    "launch_template": Case(
        "launch_template.general",
        [
            ("security_group_ids", {"security_group_ids": [Ref("security_group.nodes")]}),
            ("metadata", {"metadata": {"http_tokens": "required", "hop_limit": 2}}),
            (
                "root_volume",
                {
                    "root_volume": {
                        "device": "/dev/xvda",
                        "size_gb": 80,
                        "type": "gp3",
                        "encrypted": True,
                    }
                },
            ),
        ],
    ),
    "eks_nodegroup": Case(
        "eks_nodegroup.general",
        [
            ("scaling", {"scaling": {"min": 1, "max": 4, "desired": 3}}),
            ("labels", {"labels": {"role": "api", "tier": "front"}}),
            ("taints", {"taints": [{"key": "spot", "value": "", "effect": "PreferNoSchedule"}]}),
            ("launch_template_version", {"launch_template_version": "2"}),
            ("update_config", {"update_config": {"max_unavailable": 2}}),
            ("version", {"version": CLUSTER_VERSION_OF_CASES}),
        ],
        before_changes=second_template_version,
        initial={"version": one_minor_before(CLUSTER_VERSION_OF_CASES)},
    ),
    "eks_fargate_profile": Case("eks_fargate_profile.system"),
    "eks_addon": Case(
        "eks_addon.vpc-cni",
        [
            ("addon_version", {"addon_version": "v1.18.6-eksbuild.1"}),
            (
                "service_account_role_arn",
                {"service_account_role_arn": Ref("iam_role.nodes", "arn")},
            ),
            ("configuration", {"configuration": {"env": {"WARM_IP_TARGET": "2"}}}),
        ],
    ),
    "eks_access_entry": Case("eks_access_entry.conformance-developers-" + ACCESS_DIGEST),
    "eks_pod_identity_association": Case(
        "eks_pod_identity_association.lb-controller", [("role_arn", {"role_arn": POD_ROLE})]
    ),
    "eks_access_policy": Case(
        "eks_access_policy.conformance-developers-" + ACCESS_DIGEST + "-edit",
        [("namespaces", {"namespaces": ["web", "jobs"]})],
    ),
    "db_subnet_group": Case(
        "db_subnet_group.data",
        [
            ("description", {"description": "changed"}),
            (
                "subnet_ids",
                {"subnet_ids": [Ref("subnet.private-a"), Ref("subnet.public-b")]},
            ),
        ],
    ),
    "db_instance": Case(
        "db_instance.main",
        [
            ("engine_version", {"engine_version": "16.4"}),
            ("instance_class", {"instance_class": "db.t4g.large"}),
            ("storage_gb", {"storage_gb": 30}),
            ("multi_az", {"multi_az": False}),
            ("backup_days", {"backup_days": 3}),
            ("security_group_ids", {"security_group_ids": [Ref("security_group.nodes")]}),
            ("deletion_protection", {"deletion_protection": True}),
            # off again, or the delete at the end would be refused
            ("deletion_protection", {"deletion_protection": False}),
        ],
        extra=("fabric_bucket.fabric",),
    ),
    "cache_subnet_group": Case(
        "cache_subnet_group.data",
        [
            ("description", {"description": "changed"}),
            ("subnet_ids", {"subnet_ids": [Ref("subnet.private-a"), Ref("subnet.public-b")]}),
        ],
    ),
    "cache_replication_group": Case(
        "cache_replication_group.sessions",
        [
            ("description", {"description": "changed"}),
            ("node_type", {"node_type": "cache.t4g.medium"}),
            ("engine_version", {"engine_version": "7.2"}),
            ("num_cache_clusters", {"num_cache_clusters": 3}),
            ("multi_az", {"multi_az": False}),
            ("automatic_failover", {"automatic_failover": False}),
            ("security_group_ids", {"security_group_ids": [Ref("security_group.nodes")]}),
            ("backup_days", {"backup_days": 1}),
        ],
        extra=("fabric_bucket.fabric",),
    ),
    "bucket": Case(
        "bucket.uploads",
        [
            ("versioning", {"versioning": False}),
            ("encryption", {"encryption": "AES256", "kms_key_arn": None}),
            ("kms_key_arn", {"encryption": "aws:kms", "kms_key_arn": Ref("kms_key.fabric", "arn")}),
            ("public_access_block", {"public_access_block": False}),
        ],
    ),
    # the body names the fabric (dashboards cannot be tagged): made for the case's fabric
    "dashboard": Case(
        "dashboard.fabric",
        [("body", {"body": lambda fabric: {"widgets": [observability.header(fabric)]}})],
    ),
    "sns_topic": Case(
        "sns_topic.alarms",
        [
            (
                "policy",
                {
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "Owner",
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                "Action": "SNS:Publish",
                                "Resource": "*",
                            }
                        ],
                    }
                },
            ),
            ("kms_key_arn", {"kms_key_arn": None}),
            # an address is added; one pending confirmation cannot be removed (AWS drops it
            # unconfirmed after 48 hours): see test_aws_alarms.py
            ("emails", {"emails": ["dev@example.com", "oncall@example.com"]}),
        ],
    ),
    "metric_alarm": Case(
        "metric_alarm.db-main-storage",
        [
            ("description", {"description": "changed"}),
            ("namespace", {"namespace": "Custom/Conformance"}),
            ("metric", {"metric": "FreeableMemory"}),
            ("dimensions", {"dimensions": {"DBInstanceIdentifier": "other", "Role": "x"}}),
            ("statistic", {"statistic": "Average"}),
            ("period", {"period": 60}),
            ("evaluation_periods", {"evaluation_periods": 2}),
            ("threshold", {"threshold": 5.0}),
            ("comparison", {"comparison": "LessThanOrEqualToThreshold"}),
            ("treat_missing_data", {"treat_missing_data": "breaching"}),
            ("actions", {"actions": []}),
        ],
    ),
    # the topic's ARN is the alarm's action: the topic first
    "app_alarm": Case(
        "app_alarm.app-web-5xx",
        [
            ("description", {"description": "changed"}),
            ("namespace", {"namespace": "Custom/Conformance"}),
            ("metric", {"metric": "HTTPCode_ELB_5XX_Count"}),
            ("dimensions", {"dimensions": {"LoadBalancer": "app/k8s-web/50dc6c495c0c9188"}}),
            ("statistic", {"statistic": "Average"}),
            ("period", {"period": 60}),
            ("evaluation_periods", {"evaluation_periods": 3}),
            ("threshold", {"threshold": 1.0}),
            ("comparison", {"comparison": "GreaterThanOrEqualToThreshold"}),
            ("treat_missing_data", {"treat_missing_data": "ignore"}),
            ("actions", {"actions": []}),
        ],
        extra=("sns_topic.alarms",),
    ),
    "amp_workspace": Case("amp_workspace.metrics", [("alias", {"alias": "changed"})]),
    "amp_scraper": Case(
        "amp_scraper.cluster",
        [
            ("alias", {"alias": "changed"}),
            ("scrape_configuration", {"scrape_configuration": SCRAPE_EVERY_TWO_MINUTES}),
            ("workspace_arn", {"workspace_arn": Ref("amp_workspace.spare", "arn")}),
        ],
    ),
    "hosted_zone": Case("hosted_zone.main", [("comment", {"comment": "changed"})]),
    "dns_record": Case(
        "dns_record.www",
        [
            ("ttl", {"ttl": 60}),
            ("values", {"values": ["elsewhere.example.net"]}),
            ("alias", {"alias": LB_ALIAS, "ttl": None, "values": []}),
        ],
    ),
    "app_record": Case(
        "app_record.web",
        [
            ("ttl", {"alias": None, "ttl": 60, "values": ["192.0.2.10"]}),
            ("values", {"values": ["192.0.2.11", "192.0.2.12"]}),
            ("alias", {"alias": LB_ALIAS, "ttl": None, "values": []}),
        ],
    ),
    "acm_certificate": Case(
        "acm_certificate.wildcard",
        created_with=("dns_record.cert-validation", "certificate_validation.wildcard"),
    ),
    # a validation is its certificate's state: it exists as long as the issued certificate does
    "certificate_validation": Case(
        "certificate_validation.wildcard",
        created_with=("acm_certificate.wildcard", "dns_record.cert-validation"),
        gone_with="acm_certificate.wildcard",
    ),
}


def test_every_driver_has_a_case() -> None:
    assert set(CASES) == set(DRIVERS)
    for kind, case in CASES.items():
        assert case.address.partition(".")[0] == kind


def ensure_developers_role(ctx: AwsContext) -> None:
    """The roles of :data:`DEVELOPERS` (EKS grants access only to principals that exist) and
    :data:`POD_ROLE` (EKS associates only roles that trust its pods)."""
    iam = ctx.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
        ],
    }
    pods = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    for arn, policy in ((DEVELOPERS, trust), (POD_ROLE, pods)):
        name = arn.rsplit("/", 1)[-1]
        try:
            iam.get_role(RoleName=name)
        except iam.exceptions.NoSuchEntityException:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy))


def make_ctx(url: str) -> AwsContext:
    session = AwsSession(REGION, endpoint_url=url, credentials=("weft-local", "weft-local-secret"))
    fabric = f"c{uuid.uuid4().hex[:8]}"
    return AwsContext(session, fabric=fabric, account_id="123456789012", run_id=uuid.uuid4().hex)


def with_dependencies(addresses: Iterable[str], desired: dict[str, Resource]) -> set[str]:
    todo, seen = list(addresses), set()
    while todo:
        address = todo.pop()
        if address not in seen:
            seen.add(address)
            todo.extend(desired[address].dependencies())
    return seen


class Run:
    """One fabric on the local cloud: plans against what discovery finds, applies them."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx
        #: what discovery found last
        self.inventory = inventory.Inventory()

    def plan(self, desired: Iterable[Resource]) -> Plan:
        self.inventory = inventory.discover(self.ctx, DRIVERS)
        return plan(
            self.ctx.fabric,
            list(desired),
            self.inventory,
            SCHEMAS,
            duplicates=self.inventory.duplicates,
        )

    def apply(self, planned: Plan) -> None:
        result = Executor(AwsApplier(self.ctx), retry=FAST_RETRY).run(planned)
        assert result.ok, [str(r.error) for r in result.failed]

    def found(self, resource: Resource) -> Observed | None:
        by_address = {o.address: o for o in DRIVERS[resource.kind].discover(self.ctx)}
        return by_address.get(resource.address)

    def differences(self, resource: Resource) -> list[str]:
        """The props discovery sees otherwise than ``resource`` wants (refs resolved)."""
        observed = self.found(resource)
        assert observed is not None, f"discovery does not find {resource.address}"
        self.inventory = inventory.discover(self.ctx, DRIVERS)
        lookup = {o.address: o.outputs for o in self.inventory}
        props = resolve(resource.props, lookup)
        schema = SCHEMAS[resource.kind]
        return [
            f"{d.field}: discovered {d.before!r}, wanted {d.after!r}"
            for d in diff_props(props, observed.props, schema)
        ]


def only_change(planned: Plan) -> tuple[Action, str, set[str]]:
    changes = planned.actionable
    assert len(changes) == 1, [(c.address, c.action, c.reason) for c in changes]
    return changes[0].action, changes[0].address, {d.field for d in changes[0].diffs}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_driver_lifecycle(moto_url: str, kind: str) -> None:
    case = CASES[kind]
    schema = DRIVERS[kind].schema
    ctx = make_ctx(moto_url)
    fabric = parse_fabric(fabric_text(ctx.fabric), source="fabric.yaml")
    model = desired_resources(fabric, account_id=ctx.account_id, zones=ZONES)
    made_by_deploy = [
        *records(f"{ctx.fabric}.example.com"),
        *app_alarms(fabric, ctx.account_id),
        spare_workspace(ctx.fabric),
    ]
    desired = {r.address: r for r in [*model, *made_by_deploy]}
    resource = desired[case.address]
    resource = Resource(kind, resource.name, {**resource.props, **case.initial})
    ensure_developers_role(ctx)
    changes = [
        (prop, {k: v(ctx.fabric) if callable(v) else v for k, v in overrides.items()})
        for prop, overrides in case.changes
    ]
    if "tags" in schema.updatable:
        tags = {k: v for k, v in thaw(resource.props["tags"]).items() if k != "team"}
        changes.append(("tags", {"tags": {**tags, "weft-conformance": "changed"}}))
    assert {f for f, _ in changes} == schema.updatable, "a change for each updatable property"

    # what it needs, built first (with what the changes refer to)
    refs = {r.address for _, overrides in changes for r in Resource(kind, "x", overrides).refs()}
    together = {resource.address, *case.created_with}
    needed = with_dependencies([*together, *refs, *case.extra], desired) - together
    base = [desired[a] for a in sorted(needed)]
    run = Run(ctx)
    run.apply(run.plan(base))
    if "hosted_zone.main" in needed:  # the domain delegated to its zone, as a registrar would
        parent_zones.delegate(moto_url, f"{ctx.fabric}.example.com")
    base += [desired[a] for a in case.created_with]

    # 1. created, and found as desired
    created = run.plan([*base, resource])
    creates = {(Action.CREATE, a) for a in (resource.address, *case.created_with)}
    assert {(c.action, c.address) for c in created.actionable} == creates
    run.apply(created)
    assert run.differences(resource) == []

    # 2. nothing left to do
    again = run.plan([*base, resource])
    assert not again.has_changes, [(c.address, c.reason) for c in again.actionable]

    # 3. each updatable property changed in place, and seen so
    if case.before_changes is not None:
        case.before_changes(ctx, run.inventory)
    for prop, overrides in changes:
        resource = Resource(kind, resource.name, {**resource.props, **overrides})
        update = run.plan([*base, resource])
        action, address, fields = only_change(update)
        assert (action, address) == (Action.UPDATE, resource.address)
        assert prop in fields, f"the change of {prop} changed {fields}"
        run.apply(update)
        assert run.differences(resource) == [], f"after changing {prop}"
        assert not run.plan([*base, resource]).has_changes, f"after changing {prop}"

    # 4. deleted (with what depends on it), and gone
    gone = {resource.address, case.gone_with or resource.address}
    keep = [r for r in base if r.address not in gone and not r.dependencies() & gone]
    run.apply(run.plan(keep))
    assert run.found(resource) is None
