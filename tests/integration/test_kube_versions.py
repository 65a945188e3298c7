"""The application lifecycle on whichever Kubernetes the local cloud runs (``smoke``).

On a current Kubernetes (1.36 where `make kube` could build or download it) the objects weft
renders in their v1 APIs — ``batch/v1`` CronJob, ``autoscaling/v2`` HPA, ``policy/v1`` PDB — are
applied to a real API server, validated by it and read back; on 1.20 the beta versions it serves
are negotiated instead. The same test runs on both: CI runs it on 1.36 with the whole suite, and
again on 1.20 when that version is cached (``WEFT_K8S_VERSION=1.20.2 pytest -m smoke``), so the
fallback keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from weft.local.kube.control_plane import KubeEndpoint
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import deploy
from weft.ops.apps.release import release, rollback
from weft.ops.apps.teardown import teardown as kubernetes_teardown
from weft.ops.target import Target

from .helpers import CLUSTER_VERSION, down, target_for, up
from .kube_versions import running_version, served_api_versions

pytestmark = [pytest.mark.integration, pytest.mark.k8s, pytest.mark.smoke]

FABRIC = "kubever"

TEXT = f"""\
name: {FABRIC}
region: us-east-2
provider: local
network: {{cidr: 10.61.0.0/16, zones: 2, nat: single, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 2, max: 3, desired: 2}}
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 2
    port: 8080
    health: {{path: /healthz}}
    resources: {{cpu: 250m, memory: 256Mi}}
    autoscale: {{min: 2, max: 4, cpu: 70}}
    disruption: {{max_unavailable: 1}}
cronjobs:
  - {{name: report, schedule: "0 3 * * *", image: registry.example.com/acme/jobs,
     version: "1.0.0", command: [report]}}
"""


@pytest.fixture(scope="module")
def fabric(kube_api: KubeEndpoint, moto_url: str) -> Iterator[Target]:
    target = target_for(TEXT)
    outcome = up(target)
    assert outcome.ok, outcome
    yield target
    conn = Connection(target)
    assert kubernetes_teardown(conn, [FABRIC], timeout=120).ok
    conn.close()
    assert down(target).ok


def test_deploy_release_and_rollback_on_the_running_version(fabric: Target) -> None:
    conn = Connection(fabric)
    versions = conn.versions
    cronjob, hpa, pdb, ingress = served_api_versions(running_version())
    assert (versions.cronjob, versions.hpa, versions.pdb, versions.ingress) == (
        cronjob,
        hpa,
        pdb,
        ingress,
    )
    first = deploy(conn, timeout=120, grace=3)
    assert first.ok, first.to_dict()
    # The server stored each object in the version weft rendered, with weft's fields.
    scaler = conn.kube.get(hpa, "HorizontalPodAutoscaler", "web", FABRIC)
    assert scaler is not None and scaler["apiVersion"] == hpa
    assert (scaler["spec"]["minReplicas"], scaler["spec"]["maxReplicas"]) == (2, 4)
    budget = conn.kube.get(pdb, "PodDisruptionBudget", "web", FABRIC)
    assert budget is not None and budget["apiVersion"] == pdb
    assert budget["spec"]["maxUnavailable"] == 1
    job = conn.kube.get(cronjob, "CronJob", "report", FABRIC)
    assert job is not None and job["apiVersion"] == cronjob
    assert job["spec"]["schedule"] == "0 3 * * *"

    released = release(conn, "web", "1.1.0", timeout=120, grace=3)
    assert released.ok, released.to_dict()
    back = rollback(conn, "web", timeout=120, grace=3)
    assert back.version == "1.0.0"
    dep = conn.kube.get("apps/v1", "Deployment", "web", FABRIC)
    assert dep is not None
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/acme/web:1.0.0"
    conn.close()
