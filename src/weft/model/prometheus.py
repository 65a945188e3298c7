"""What ``observability.prometheus`` makes: the cluster's metrics in Amazon Managed Service for
Prometheus (AMP).

- One workspace per fabric (``amp_workspace.metrics``), aliased :func:`workspace_alias`, tagged
  as everything weft makes. Its data is encrypted at rest with a key AWS owns, not the fabric
  key: AMP takes a customer managed key at ``CreateWorkspace`` (``kmsKeyArn``), but an AWS
  managed collector then writes into that workspace only through a pair of IAM roles of the
  cross-account setup, whose trust names the scraper's own ARN ("Creating scraper for
  workspaces enabled with customer managed keys", "Using an AWS managed collector", Amazon
  Managed Service for Prometheus User Guide) — an ARN that exists only once the scraper does.
- One AWS managed collector (``amp_scraper.cluster``): an agentless scraper AWS runs with
  network interfaces in the cluster's subnets and security groups (EKS's cluster security
  group, which reaches the API server's private endpoint, and weft's ``cluster`` group, which
  the nodes accept their kubelet and pod ports from), writing into the workspace. Its
  configuration is :func:`scrape_configuration`. The cluster authenticates it through an
  access entry AMP itself creates for the scraper's service-linked role when the cluster's
  authentication mode is ``API`` or ``API_AND_CONFIG_MAP`` (weft's clusters are ``API``):
  "Configure Amazon EKS for scraper access with access entries" (same guide), so weft makes
  no access entry, ``aws-auth`` mapping or ClusterRole for it.

Nothing without a cluster, or with a public-only endpoint (the fabric file refuses both:
:func:`weft.fabricfile.observability.prometheus_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric
from weft.model import addresses
from weft.model.builder import Builder

WORKSPACE_KIND = "amp_workspace"
SCRAPER_KIND = "amp_scraper"
WORKSPACE = f"{WORKSPACE_KIND}.metrics"
SCRAPER = f"{SCRAPER_KIND}.cluster"
#: The only token file an AWS managed collector authorizes with ("Scraper configuration":
#: "the authorization must be Bearer, and must point to the file ...").
TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def workspace_alias(fabric: str) -> str:
    """The alias of the fabric's workspace (aliases need not be unique: found by tags)."""
    return f"weft-{fabric}"


def scraper_alias(fabric: str) -> str:
    return f"weft-{fabric}"


def query_endpoint(region: str, workspace_id: str) -> str:
    """The workspace's Prometheus-compatible endpoint: ``…/api/v1/query`` to query it,
    ``…/api/v1/remote_write`` to write into it."""
    return f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{workspace_id}/"


_BEARER = f"""\
    scheme: https
    authorization:
      type: Bearer
      credentials_file: {TOKEN_FILE}
"""


def _through_api_server(job: str, path: str) -> str:
    """A job scraping each node's kubelet at ``path`` through the API server's node proxy (the
    collector resolves no other name than ``kubernetes.default.svc``)."""
    return f"""\
  - job_name: {job}
{_BEARER}    kubernetes_sd_configs:
      - role: node
    relabel_configs:
      - action: labelmap
        regex: __meta_kubernetes_node_label_(.+)
      - target_label: __address__
        replacement: kubernetes.default.svc:443
      - source_labels: [__meta_kubernetes_node_name]
        regex: (.+)
        target_label: __metrics_path__
        replacement: /api/v1/nodes/$1/proxy/{path}
"""


def scrape_configuration(fabric: Fabric) -> str:
    """The collector's Prometheus configuration (YAML), within what an AWS managed collector
    takes ("Scraper configuration", Amazon Managed Service for Prometheus User Guide): the
    ``global`` interval (no less than 30 seconds), ``kubernetes_sd_configs`` discovery only,
    Bearer authorization from the service account token file only.

    Jobs: the API server (its ``default/kubernetes`` endpoints); each node's kubelet and
    cAdvisor (containers' CPU, memory, network), through the API server's node proxy; the pods
    annotated ``prometheus.io/scrape: "true"``, at ``prometheus.io/port`` and
    ``prometheus.io/path`` (default ``/metrics``), labelled with their namespace and pod.
    """
    spec = fabric.observability.prometheus
    interval = spec.scrape_interval if spec is not None else 60
    return (
        f"""\
global:
  scrape_interval: {interval}s
  external_labels:
    cluster: {fabric.name}
scrape_configs:
  - job_name: kubernetes-apiservers
{_BEARER}    kubernetes_sd_configs:
      - role: endpoints
    relabel_configs:
      - action: keep
        source_labels:
          - __meta_kubernetes_namespace
          - __meta_kubernetes_service_name
          - __meta_kubernetes_endpoint_port_name
        regex: default;kubernetes;https
"""
        + _through_api_server("kubelet", "metrics")
        + _through_api_server("cadvisor", "metrics/cadvisor")
        + """\
  - job_name: pods
    kubernetes_sd_configs:
      - role: pod
    relabel_configs:
      - action: keep
        source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        regex: "true"
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
"""
    )


def prometheus_resources(fabric: Fabric, resources: Iterable[Resource]) -> list[Resource]:
    """The workspace and the collector scraping the cluster into it (none unless
    ``observability.prometheus``); the collector uses the cluster's subnets (``resources``
    holds the cluster)."""
    if fabric.observability.prometheus is None or fabric.cluster is None:
        return []
    (cluster,) = [r for r in resources if r.address == addresses.CLUSTER]
    b = Builder(fabric)
    workspace = b.add(WORKSPACE_KIND, "metrics", {"alias": workspace_alias(fabric.name)})
    b.add(
        SCRAPER_KIND,
        "cluster",
        {
            "alias": scraper_alias(fabric.name),
            "cluster_arn": Ref(addresses.CLUSTER, "arn"),
            "subnet_ids": list(cluster.props["subnet_ids"]),
            "security_group_ids": [
                Ref(addresses.CLUSTER, "cluster_security_group_id"),
                Ref("security_group.cluster"),
            ],
            "workspace_arn": Ref(workspace.address, "arn"),
            "scrape_configuration": scrape_configuration(fabric),
        },
    )
    return b.resources
