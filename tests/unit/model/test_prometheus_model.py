"""Amazon Managed Service for Prometheus in the model: a workspace of the fabric and a managed
collector scraping the cluster into it, with a configuration AWS's collectors take; nothing
unless ``observability.prometheus``."""

from __future__ import annotations

import base64

from ruamel.yaml import YAML

from weft.core.resource import Ref, thaw
from weft.fabricfile import parse_fabric
from weft.local.moto_amp import configuration_problem
from weft.model import desired_resources
from weft.model.prometheus import scrape_configuration

BASE = "name: shop\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n"
CLUSTER = (
    "cluster: {endpoint: private}\n"
    "nodegroups:\n  - {name: general, instance_types: [m6i.large], min: 1, max: 3}\n"
)
ACCOUNT = "123456789012"


def resources(extra: str = "") -> dict[str, dict]:
    fabric = parse_fabric(BASE + extra, "f.yaml")
    found = desired_resources(fabric, account_id=ACCOUNT, zones=["us-east-2a", "us-east-2b"])
    return {r.address: thaw(r.props) for r in found}


def test_nothing_unless_asked() -> None:
    found = resources(CLUSTER)
    assert not [a for a in found if a.startswith(("amp_workspace.", "amp_scraper."))]
    off = resources(CLUSTER + "observability: {prometheus: false}\n")
    assert not [a for a in off if a.startswith("amp_")]


def test_a_workspace_and_a_collector_of_the_cluster_into_it() -> None:
    found = resources(CLUSTER + "observability: {prometheus: true}\n")
    workspace = found["amp_workspace.metrics"]
    assert workspace["alias"] == "weft-shop"
    assert workspace["tags"]["weft:fabric"] == "shop"
    assert workspace["tags"]["weft:id"] == "amp_workspace.metrics"
    scraper = found["amp_scraper.cluster"]
    cluster = found["eks_cluster.main"]
    assert scraper["cluster_arn"] == Ref("eks_cluster.main", "arn")
    assert scraper["subnet_ids"] == cluster["subnet_ids"]
    assert scraper["security_group_ids"] == [
        Ref("eks_cluster.main", "cluster_security_group_id"),
        Ref("security_group.cluster"),
    ]
    assert scraper["workspace_arn"] == Ref("amp_workspace.metrics", "arn")
    assert scraper["tags"]["weft:id"] == "amp_scraper.cluster"
    # weft makes no access entry for it: AMP makes its own in an API-mode cluster
    assert cluster["authentication_mode"] == "API"
    assert not [a for a in found if a.startswith("eks_access_entry.") and "aps" in a.lower()]


def config(extra: str) -> dict:
    fabric = parse_fabric(BASE + CLUSTER + extra, "f.yaml")
    loaded: dict = YAML(typ="safe").load(scrape_configuration(fabric))
    return loaded


def test_the_scrape_configuration_is_one_a_managed_collector_takes() -> None:
    for extra in (
        "observability: {prometheus: true}\n",
        "observability: {prometheus: {scrape_interval: 30}}\n",
    ):
        fabric = parse_fabric(BASE + CLUSTER + extra, "f.yaml")
        blob = base64.b64encode(scrape_configuration(fabric).encode()).decode()
        assert configuration_problem(blob) is None
    loaded = config("observability: {prometheus: true}\n")
    assert loaded["global"]["scrape_interval"] == "60s"
    assert loaded["global"]["external_labels"] == {"cluster": "shop"}
    jobs = {job["job_name"]: job for job in loaded["scrape_configs"]}
    assert sorted(jobs) == ["cadvisor", "kubelet", "kubernetes-apiservers", "pods"]
    for name in ("cadvisor", "kubelet", "kubernetes-apiservers"):
        assert jobs[name]["authorization"] == {
            "type": "Bearer",
            "credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token",
        }
    # the kubelets through the API server, the only name a collector resolves
    replacements = [r.get("replacement") for r in jobs["cadvisor"]["relabel_configs"]]
    assert "kubernetes.default.svc:443" in replacements
    assert "/api/v1/nodes/$1/proxy/metrics/cadvisor" in replacements
    keep = jobs["pods"]["relabel_configs"][0]
    assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    assert keep["regex"] == "true"
    assert config("observability: {prometheus: {scrape_interval: 120}}\n")["global"] == {
        "scrape_interval": "120s",
        "external_labels": {"cluster": "shop"},
    }


def test_the_emulator_refuses_what_a_collector_refuses() -> None:
    def blob(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    jobs = "scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs: [{role: pod}]\n"
    assert configuration_problem(blob(jobs)) is None
    assert "less than the minimum" in str(
        configuration_problem(blob("global: {scrape_interval: 10s}\n" + jobs))
    )
    assert "not supported" in str(
        configuration_problem(blob("scrape_configs:\n  - {job_name: a, ec2_sd_configs: []}\n"))
    )
    assert "Bearer" in str(
        configuration_problem(
            blob(
                "scrape_configs:\n  - job_name: a\n"
                "    authorization: {type: Bearer, credentials_file: /etc/token}\n"
            )
        )
    )
    assert "scrape_configs" in str(configuration_problem(blob("global: {}\n")))
    assert "base64" in str(configuration_problem("not base64!"))
