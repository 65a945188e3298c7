"""The commented fabric file that ``weft init`` writes.

The text explains every key and its allowed values, so the file is its own documentation. The
optional sections (cluster, node groups, Fargate, databases, caches, buckets, DNS, apps and cron
jobs) are written as
commented-out examples: removing the leading ``# `` of an example's lines turns it on. The text
is validated before it is returned: what ``weft init`` writes always loads, and it still loads
with every example turned on (the tests check both).
"""

from __future__ import annotations

import json

from weft.fabricfile.apps import MAX_REPLICAS, MAX_WORKLOAD_NAME_LENGTH
from weft.fabricfile.cluster import (
    ADDONS,
    ENDPOINTS,
    LOG_TYPES,
    MAX_API_CIDRS,
    MAX_COMPUTE_NAME_LENGTH,
)
from weft.fabricfile.data import (
    MAX_BACKUP_DAYS,
    MAX_CACHE_REPLICAS,
    MAX_STORAGE_GB,
    MIN_STORAGE_GB,
    SUPPORTED_POSTGRES_MAJORS,
    SUPPORTED_REDIS_MAJORS,
)
from weft.fabricfile.fargate import MAX_SELECTORS
from weft.fabricfile.loader import parse_fabric
from weft.fabricfile.network import LAYOUTS, MAX_VPC_PREFIX, MAX_ZONES, MIN_VPC_PREFIX, NATS
from weft.fabricfile.nodegroup import MAX_DISK_GB, MAX_INSTANCE_TYPES, MIN_DISK_GB, TAINT_EFFECTS
from weft.fabricfile.schema import MAX_NAME_LENGTH, MAX_TAGS, RESERVED_TAG_PREFIXES
from weft.fabricfile.subnets import MAX_SUBNET_PREFIX

__all__ = ["render_fabric_file"]

# Plain scalars that YAML would not read as text.
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: str) -> str:
    if value.lower() in _YAML_WORDS or not value or not value[0].isalpha():
        return json.dumps(value)
    return value


def render_fabric_file(
    name: str,
    region: str,
    zones: list[str],
    *,
    zone_count: int = 3,
    nat: str = "single",
    layout: str = "private",
    cidr: str = "10.0.0.0/16",
    provider: str = "aws",
    api_cidrs: list[str] | None = None,
    k8s_version: str | None = None,
) -> str:
    """A commented fabric file for ``name`` in ``region``.

    ``zones`` are the region's availability zones as discovered from EC2; they are listed in a
    comment, and ``zone_count`` (capped at the number discovered) is written as ``zones: N``.
    ``api_cidrs`` are the networks the cluster example admits to the Kubernetes API (the
    caller's public address, found by ``weft init``); None writes an empty list, which the user
    must fill in before the cluster example loads. ``k8s_version`` is the newest Kubernetes
    version in EKS standard support, from EKS's calendar (found by ``weft init``); None leaves
    the version out of the cluster example, so that ``weft plan`` picks it.
    Raises ConfigError when the arguments do not make a valid fabric (a bad name, say).
    """
    count = min(zone_count, len(zones)) if zones else zone_count
    discovered = ", ".join(zones) if zones else "none discovered"
    protect_default = "true" if "prod" in name else "false"
    name_max, tags_max = MAX_NAME_LENGTH, MAX_TAGS
    subnet_sizes = f"larger than the VPC's, at most {MAX_SUBNET_PREFIX}"
    reserved = " or ".join(json.dumps(prefix) for prefix in RESERVED_TAG_PREFIXES)
    vpc_prefixes = f"/{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX}"
    text = f"""\
# weft fabric file, schema version 1. Validate it with `weft plan`; every key is explained below.
version: 1

# The fabric's name: lowercase letters, digits and hyphens; starts with a letter, ends with a
# letter or digit; at most {name_max} characters. It is part of every AWS resource name and tag.
name: {_scalar(name)}

# The AWS region everything is created in.
region: {region}

# Optional: the AWS account this fabric belongs to (12 digits, in quotes). When set, weft refuses
# to act with credentials of any other account.
# account_id: "123456789012"

# Where to create the fabric: aws (the real cloud) or local (the embedded local cloud).
provider: {provider}

# Protected fabrics need `--confirm NAME` for destructive changes. The default is true when the
# name contains "prod", else false (for this name: {protect_default}).
# protect: {protect_default}

# Optional tags put on every resource: at most {tags_max}; keys may not start with {reserved},
# and "Name" is set by weft.
tags: {{}}

network:
  # The VPC's IPv4 range: prefix length {vpc_prefixes}, the address being the network's first one.
  cidr: {cidr}
  # availability zones in {region} (discovered from EC2): {discovered}
  # Either a count (1 to {MAX_ZONES}; the first N zones are used) or a list of zone names.
  zones: {count}
  # NAT gateways for the private subnets: {", ".join(NATS)}. Must be none for layout public.
  nat: {nat}
  # Subnet layout: {", ".join(LAYOUTS)} (public: public subnets only; private: a private and a
  # public subnet in every zone).
  layout: {layout}
  # Optional: the prefix length of every subnet ({subnet_sizes}). By default
  # the VPC is split into equal slots with room for 4 zones, so adding a zone moves nothing.
  # subnet_size: 20
  # Optional (layout private): VPC endpoints for ECR, STS, EC2, CloudWatch Logs and S3, so
  # that nodes reach them without NAT (needed with nat: none and node groups or Fargate).
  # endpoints: true
""" + _optional_sections(api_cidrs, k8s_version)
    parse_fabric(text, source="<weft init template>")
    return text


def _api_cidrs_lines(api_cidrs: list[str] | None) -> str:
    limit = f"at most {MAX_API_CIDRS}"
    if api_cidrs:
        return f"""\
#   # Networks allowed to reach the public endpoint ({limit}); none for endpoint private.
#   # weft init wrote the public address it was run from; add your team's and CI's networks.
#   # [0.0.0.0/0] would open the API to the whole internet (the plan warns).
#   api_cidrs: {json.dumps(api_cidrs)}"""
    return f"""\
#   # Networks allowed to reach the public endpoint ({limit}); none for endpoint private.
#   # Required with a public endpoint: weft init could not find the public address it runs
#   # from, so list your networks here (like 198.51.100.7/32). [0.0.0.0/0] would open the API
#   # to the whole internet (the plan warns).
#   api_cidrs: []"""


def _version_lines(k8s_version: str | None) -> str:
    quoted = '("1.30", not 1.30, which YAML reads as 1.3)'
    if k8s_version:
        return (
            f"#   # Kubernetes version, in quotes {quoted}. weft init wrote\n"
            "#   # the newest version in EKS standard support; weft plan lists the versions EKS\n"
            "#   # offers. Left out: the newest in standard support when the cluster is created,\n"
            "#   # then the one it runs.\n"
            f"#   version: {json.dumps(k8s_version)}"
        )
    return (
        f"#   # Kubernetes version, in quotes {quoted}. weft init could\n"
        "#   # not ask EKS for its versions, so it is left out: the cluster is created on the\n"
        "#   # newest version in EKS standard support, then keeps the one it runs (weft plan\n"
        "#   # shows which).\n"
        '#   # version: "1.NN"'
    )


def _optional_sections(api_cidrs: list[str] | None, k8s_version: str | None) -> str:
    postgres = ", ".join(str(major) for major in SUPPORTED_POSTGRES_MAJORS)
    redis = " or ".join(str(major) for major in SUPPORTED_REDIS_MAJORS)
    types_max = MAX_INSTANCE_TYPES
    group_names = f"lowercase, at most {MAX_COMPUTE_NAME_LENGTH} characters"
    app_names = f"lowercase, at most {MAX_WORKLOAD_NAME_LENGTH} characters"
    selectors = f"1 to {MAX_SELECTORS} selectors"
    disk, storage = f"{MIN_DISK_GB} to {MAX_DISK_GB}", f"{MIN_STORAGE_GB} to {MAX_STORAGE_GB}"
    backups, cache_replicas = f"0 to {MAX_BACKUP_DAYS}", f"0 to {MAX_CACHE_REPLICAS}"
    pods = f"0 to {MAX_REPLICAS}"
    return f"""\

# Optional: an EKS cluster. Needs at least two zones. Remove the leading "# " to turn it on.
# cluster:
{_version_lines(k8s_version)}
#   # Who reaches the API server: {", ".join(ENDPOINTS)} (both: public and inside the VPC).
#   endpoint: both
{_api_cidrs_lines(api_cidrs)}
#   # Control plane logs sent to CloudWatch, any of:
#   # {", ".join(LOG_TYPES)}.
#   logs: [api, audit, authenticator]
#   # Days CloudWatch Logs keeps them (weft makes the log group, encrypted with the fabric key).
#   log_retention_days: 30
#   # Encrypt Kubernetes secrets with the fabric's KMS key.
#   encrypt_secrets: true
#   # Managed add-ons, any of: {", ".join(ADDONS)}.
#   # All of them when addons is omitted; version null lets EKS pick the version.
#   addons:
#     vpc-cni: {{version: null}}
#     coredns: {{version: null}}
#     kube-proxy: {{version: null}}
#     aws-ebs-csi-driver: {{version: null}}

# Optional: managed node groups (they need the cluster). Names: {group_names}.
# nodegroups:
#   - name: general
#     # 1 to {types_max} EC2 instance types, family.size: m6i.large, t3.medium, c7g.2xlarge, ...
#     instance_types: [m6i.large]
#     # The EKS AMI type; derived from the instance types when left out (arm64 types such as
#     # m7g get AL2023_ARM_64_STANDARD, NVIDIA GPU types AL2023_x86_64_NVIDIA). One group runs
#     # one AMI: its types share an architecture. Or name an AL2023_* or BOTTLEROCKET_* type.
#     # ami_type: AL2023_x86_64_STANDARD
#     # Scaling: min >= 0, max >= 1 and >= min; desired defaults to max(min, 1). The Cluster
#     # Autoscaler then sizes the group between min and max; a new desired here resets it.
#     min: 2
#     max: 6
#     # desired: 3
#     # Spot capacity instead of on-demand.
#     spot: false
#     # Root disk size in GB, {disk}.
#     disk_gb: 50
#     # Kubernetes labels and taints (effect: {", ".join(TAINT_EFFECTS)}).
#     labels: {{role: general}}
#     taints: []

# Optional: Fargate profiles (they need the cluster and layout private): pods matching a
# selector (a namespace, and optionally labels; {selectors}) run on Fargate.
# fargate:
#   - name: system
#     selectors:
#       - {{namespace: kube-system}}

# Optional: RDS PostgreSQL databases (they need layout private and at least two zones).
# Databases, caches and buckets share one namespace: each name may be used once across them.
# databases:
#   - name: main
#     # PostgreSQL major ({postgres}) or major.minor, in quotes.
#     engine_version: "16"
#     instance_class: db.t4g.medium
#     # Storage in GB ({storage}), a standby in a second zone, days of backups ({backups}).
#     storage_gb: 20
#     multi_az: true
#     backup_days: 7
#     # The database created inside (default: the name with "-" as "_") and the master user.
#     db_name: main
#     username: weft_admin

# Optional: ElastiCache Redis caches (they need layout private and at least two zones).
# caches:
#   - name: sessions
#     # Redis major.minor ({redis}), in quotes.
#     engine_version: "7.1"
#     node_type: cache.t4g.small
#     # Read replicas, {cache_replicas}.
#     replicas: 1
#     # Days daily snapshots are kept ({backups}; 0: none).
#     backup_days: 7

# Optional: S3 buckets for applications (private, encrypted).
# buckets:
#   - name: uploads
#     versioning: true

# Optional: the fabric's DNS zone (lowercase, no trailing dot); created, or adopted if it exists.
# dns:
#   domain: example.com

# Optional: how the fabric is watched. On by default and cheap by default: one CloudWatch
# dashboard of the fabric (`weft dashboard` prints its address; $3 a month beyond an account's
# first three) from the metrics AWS publishes for free: each app's load balancer (requests,
# 5xx, latency), database (CPU, connections, free storage), cache (CPU, memory, evictions), NAT
# gateway (bytes, errors) and the control plane (API requests, 429 and 5xx answers). Node and
# pod widgets need Container Insights (priced per observation, off by default: see below).
# Alarms are made only when they have somewhere to go: with e-mail addresses, an SNS topic
# (encrypted with the fabric key) e-mails them when a database has less than 10% of its
# storage free, the certificate is within 30 days of expiry (its renewal failed), a NAT
# gateway refuses connections or drops packets, or an app behind the ingress answers 5xx
# (written by `weft deploy`) ($0.10 a month per alarm). Each address must
# confirm the e-mail AWS sends it (`weft status` shows those still pending). Node and pod
# alarms (CPU, memory, restarts, NotReady) need Container Insights too.
# With a cluster, the containers' output goes to one CloudWatch Logs group of the fabric
# (fluent-bit add-on, encrypted with the fabric key), kept retention_days; false: off.
# observability:
#   dashboard: true
#   alarms:
#     email: [oncall@example.com]
#   logs: {{retention_days: 30}}
#   # Container Insights (needs the cluster): node and pod metrics through the
#   # amazon-cloudwatch-observability add-on, billed per observation. It adds node and pod
#   # widgets to the dashboard (nodes' CPU, memory, count and failed ones; each app's pods'
#   # CPU, memory and restarts) and, with alarms, the node alarms (a node not ready, CPU or
#   # memory above 80%) and each app's restart alarm (a crash loop).
#   container_insights: false
#   # Amazon Managed Service for Prometheus (needs the cluster, its endpoint private or both):
#   # a workspace and an AWS managed collector scraping the API server, kubelets, cAdvisor
#   # and the pods annotated prometheus.io/scrape: "true" every scrape_interval seconds (30 to
#   # 300); billed per collector hour and per sample. true: every 60 seconds.
#   prometheus: false

# Optional: the value of the `environment` label on the apps' Kubernetes objects (default: name).
# environment: production

# Optional: apps on the cluster (they need the cluster). Names: {app_names}.
# apps:
#   - name: web
#     # The image without a tag, and its version (semantic, in quotes). The tag is tag_format
#     # with {{version}} replaced: "v{{version}}" deploys ghcr.io/acme/web:v1.0.0.
#     image: ghcr.io/acme/web
#     version: "1.0.0"
#     tag_format: "{{version}}"
#     versioning: semver    # any: versions that are not semantic (git SHAs, dates, builds);
#                           # digest: image digests (sha256:…), pulled as image@sha256:…
#     # Pods ({pods}), and the port the app listens on (no port: no Service).
#     replicas: 2
#     port: 8080
#     # Environment variables, and secrets of `weft secrets` (stripe/api-key: STRIPE_API_KEY).
#     env: {{LOG_LEVEL: info}}
#     secrets: []
#     # Databases, caches and buckets it uses: MAIN_HOST, MAIN_PORT, MAIN_DATABASE, MAIN_USER,
#     # MAIN_PASSWORD; SESSIONS_HOST, SESSIONS_PORT, SESSIONS_TLS (true: connect with TLS),
#     # SESSIONS_URL (rediss://host:port), SESSIONS_AUTH_TOKEN; UPLOADS_BUCKET, ...
#     uses: [main, sessions, uploads]
#     # Requests (and optional cpu_limit, memory_limit) of each pod.
#     resources: {{cpu: 250m, memory: 256Mi}}
#     # Readiness and liveness probes: an HTTP path (and optional port, initial_delay).
#     health: {{path: /healthz}}
#     # A route on the fabric's load balancer: a host in the DNS domain, a path, HTTPS (tls).
#     # Or `load_balancer: true` for a load balancer of the app's own.
#     ingress: {{host: www.example.com, path: /, tls: true}}
#     # Scaling on cpu use (min >= 1, max >= min; cpu: % of the request), disruption budget,
#     # and the rolling update (pods added and missing at a time, seconds until it fails).
#     autoscale: {{min: 2, max: 10, cpu: 80}}
#     disruption: {{max_unavailable: 1}}
#     rollout: {{max_surge: "25%", max_unavailable: 0, progress_deadline: 600}}

# Optional: jobs on a schedule (five-field cron, like "0 3 * * *" or @daily, in UTC on EKS).
# cronjobs:
#   - name: nightly-report
#     schedule: "0 3 * * *"
#     image: ghcr.io/acme/jobs
#     version: "1.0.0"
#     command: [report]
#     uses: [main]
#     # What to do when the previous run is still going: Allow, Forbid or Replace.
#     concurrency: Forbid
"""
