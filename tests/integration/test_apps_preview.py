"""`weft plan`'s apps section and `weft deploy --dry-run`, walked as a user walks them: what
deploy would change in the cluster, from a server-side apply dry run, and nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import CLUSTER_VERSION
from .user import weft

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FABRIC = (
    "name: prev\nregion: us-east-2\nprovider: local\n"
    "network: {{cidr: 10.42.0.0/16, zones: 2, nat: none, layout: public}}\n"
    'cluster: {{version: "{version}", api_cidrs: [203.0.113.0/24]}}\n'
    "nodegroups: [{{name: general, instance_types: [m6i.large], min: 1, max: 2}}]\n"
    "apps:\n"
    "  - {{name: web, image: registry.example.com/acme/web, version: '{web}', replicas: {n},"
    " port: 8080, env: {{MODE: {mode}}}, secrets: [api-key]}}\n"
    "{extra}"
)
WORKER = (
    "  - {name: worker, image: registry.example.com/acme/worker, version: '2.0.0', replicas: 1}\n"
)


def fabric(web: str = "1.0.0", n: int = 1, mode: str = "blue", extra: str = WORKER) -> str:
    return FABRIC.format(version=CLUSTER_VERSION, web=web, n=n, mode=mode, extra=extra)


def resource_versions(kube_api: Any) -> dict[str, str]:
    """Every object of the fabric's namespace, by kind and name, with its resourceVersion."""
    from lightkube import Client
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.resources.apps_v1 import Deployment
    from lightkube.resources.core_v1 import ConfigMap, Secret, Service, ServiceAccount

    client = Client(KubeConfig.from_file(str(kube_api.kubeconfig)))
    found = {}
    for kind in (Deployment, Service, Secret, ServiceAccount, ConfigMap):
        for obj in client.list(kind, namespace="prev"):
            found[f"{kind.__name__}/{obj.metadata.name}"] = obj.metadata.resourceVersion
    client.close()
    assert "Deployment/web" in found and "Secret/web-env" in found, found
    return found


def test_plan_and_deploy_dry_run_show_what_deploy_would_change(
    tmp_path: Path, clean_cloud: str, kube_api: Any
) -> None:
    file = tmp_path / "fabric.yaml"
    file.write_text(fabric())
    # before up: no cluster, every app new, shown from the file
    ran = weft("plan", cwd=tmp_path)
    assert ran.code == 0, ran.both
    assert "cluster not created yet: all apps new" in ran.out, ran.out
    assert "+ web  Deployment web" in ran.out and "version 1.0.0" in ran.out, ran.out
    assert weft("up", "--yes", cwd=tmp_path).code == 0
    assert weft("secrets", "set", "api-key", cwd=tmp_path, stdin="s3cr3t-one\n").code == 0
    deploy = weft("deploy", cwd=tmp_path)
    assert deploy.code == 0, deploy.both

    # nothing changed: the dry run says so, and --detailed-exitcode exits 0
    ran = weft("plan", "--detailed-exitcode", cwd=tmp_path)
    assert ran.code == 0, ran.both
    assert "Apps: 0 to create, 0 to update, 0 to prune" in ran.out, ran.out

    # a new version, more replicas, an env change, a new secret value, an app removed
    file.write_text(fabric(web="1.1.0", n=2, mode="green", extra=""))
    assert weft("secrets", "set", "api-key", cwd=tmp_path, stdin="s3cr3t-two\n").code == 0
    before = resource_versions(kube_api)
    ran = weft("plan", "--detailed-exitcode", cwd=tmp_path)
    assert ran.code == 2, ran.both
    dry = weft("deploy", "--dry-run", cwd=tmp_path)
    assert dry.code == 0, dry.both
    for shown in (ran.out, dry.out):
        assert "from a server-side apply dry run" in shown, shown
        assert "~ web  Deployment web" in shown, shown
        assert "container web.image: registry.example.com/acme/web:1.0.0 -> " in shown, shown
        assert "registry.example.com/acme/web:1.1.0" in shown
        assert "spec.replicas: 1 -> 2" in shown
        assert "container web.env.MODE.value: blue -> green" in shown
        assert "version: 1.0.0 -> 1.1.0" in shown
        assert "label app.kubernetes.io/version" not in shown  # said once, as the version
        assert "secret values changed: the pods restart" in shown
        assert "~ web  Secret web-env" in shown, shown
        assert "key API_KEY: value changed (hidden)" in shown, shown
        assert "- worker  Deployment worker" in shown and "(pruned)" in shown, shown
        assert "s3cr3t" not in shown
    as_json = weft("plan", "--json", cwd=tmp_path)
    apps = json.loads(as_json.out)["apps"]
    assert apps["state"] == "dry-run" and apps["counts"]["prune"] >= 1, apps
    web = next(o for o in apps["objects"] if o["kind"] == "Deployment" and o["name"] == "web")
    assert web["action"] == "update" and "spec.replicas: 1 -> 2" in web["changes"], web
    streamed = weft("deploy", "--dry-run", "--json", cwd=tmp_path)
    summary = json.loads(streamed.out.splitlines()[-1])
    assert summary["event"] == "summary" and summary["ok"], summary
    assert summary["apps"]["counts"] == apps["counts"], summary
    assert "s3cr3t" not in as_json.out + streamed.out
    # and nothing in the cluster changed
    assert resource_versions(kube_api) == before

    assert weft("down", "--yes", cwd=tmp_path).code == 0
