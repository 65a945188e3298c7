"""Rendering apps and cron jobs: object shapes, labels, secrets, ordering and API versions.

The objects in the current API versions are checked against the official schemas: lightkube's
models are generated from Kubernetes' OpenAPI. Loading a dict fails on missing required fields
and wrong types, and silently drops unknown keys, so every object is also compared with its
round trip to catch those.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from lightkube import codecs

from weft.errors import UsageError
from weft.fabricfile import Fabric, load_fabric, parse_fabric
from weft.kube import client
from weft.kube.manifests import (
    APPLY_ORDER,
    MANAGED_BY,
    NEGOTIATED,
    REDACTED,
    UNKNOWN,
    ApiVersions,
    DataStore,
    RenderInput,
    apply_order,
    delete_order,
    env_secret_name,
    fabric_selector,
    image_ref,
    labels,
    render,
    secret_names,
    selector,
)

EXAMPLE = Path(__file__).parents[1] / "fabricfile" / "good" / "apps.yaml"
CERT = "arn:aws:acm:us-east-2:123456789012:certificate/0b7e6f4c"
SECRETS = {
    "database/main/password": "db-password-0123456789abcdef",
    "cache/sessions/auth-token": "cache-token-0123456789abcdef",
    "stripe/api-key": "sk_live_0123456789abcdef",
    "smtp/password": "smtp-password-0123456789",
}
STORES = {
    "main": DataStore(
        "main",
        "database",
        {"host": "main.abc.rds.amazonaws.com", "port": "5432", "database": "main",
         "user": "weft_admin"},
        "database/main/password",
    ),
    "sessions": DataStore(
        "sessions",
        "cache",
        {
            "host": "sessions.abc.cache.amazonaws.com",
            "port": "6379",
            "tls": "true",
            "url": "rediss://sessions.abc.cache.amazonaws.com:6379",
        },
        "cache/sessions/auth-token",
    ),
    "uploads": DataStore(
        "uploads", "bucket", {"bucket": "shop-uploads-1a2b", "region": "us-east-2"}, None
    ),
}  # fmt: skip
ROLES = {
    "web": "arn:aws:iam::123456789012:role/weft/shop/weft-shop-app-web",
    "report": "arn:aws:iam::123456789012:role/weft/shop/weft-shop-app-report",
}
OLD = ApiVersions(
    cronjob="batch/v1beta1",
    hpa="autoscaling/v2beta2",
    pdb="policy/v1beta1",
    ingress="networking.k8s.io/v1beta1",
)

MINIMAL = """\
name: demo
region: us-east-2
network: {cidr: 10.0.0.0/16}
cluster: {api_cidrs: [203.0.113.0/24]}
apps:
  - {name: hello, image: ghcr.io/acme/hello, version: "1.0.0", port: 8080}
"""


@pytest.fixture(scope="module")
def fabric() -> Fabric:
    return load_fabric(EXAMPLE)


def _input(fabric: Fabric, **changes: Any) -> RenderInput:
    values: dict[str, Any] = {
        "fabric": fabric,
        "namespace": "shop",
        "certificate_arn": CERT,
        "data": STORES,
        "secret_values": SECRETS,
        "role_arns": ROLES,
    }
    values.update(changes)
    return RenderInput(**values)


@pytest.fixture(scope="module")
def objects(fabric: Fabric) -> list[dict[str, Any]]:
    return render(_input(fabric))


def _one(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    return container


def _env(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        item["name"]: item.get("value", item.get("valueFrom")) for item in _container(obj)["env"]
    }


def _round_trip(obj: dict[str, Any]) -> dict[str, Any]:
    return codecs.from_dict(copy.deepcopy(obj)).to_dict()


# --- golden shapes ----------------------------------------------------------------------------


def test_a_minimal_app_renders_exactly_this() -> None:
    fabric = parse_fabric(MINIMAL)
    objs = render(RenderInput(fabric, "demo", None, {}, {}))
    common = {
        "app.kubernetes.io/name": "hello",
        "app.kubernetes.io/managed-by": "weft",
        "app.kubernetes.io/version": "1.0.0",
        "weft.dev/fabric": "demo",
        "environment": "demo",
    }
    sel = {"app.kubernetes.io/name": "hello", "weft.dev/fabric": "demo"}
    assert objs == [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": "demo",
                "labels": {
                    "app.kubernetes.io/managed-by": "weft",
                    "weft.dev/fabric": "demo",
                    "environment": "demo",
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "hello", "namespace": "demo", "labels": common},
            "spec": {
                "type": "ClusterIP",
                "selector": sel,
                "ports": [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "hello",
                "namespace": "demo",
                "labels": common,
                "annotations": {
                    "weft.dev/version": "1.0.0",
                    "kubernetes.io/change-cause": "weft: hello 1.0.0",
                },
            },
            "spec": {
                "replicas": 2,
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": sel},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
                },
                "template": {
                    "metadata": {
                        "labels": common,
                        "annotations": {
                            "weft.dev/version": "1.0.0",
                            "kubernetes.io/change-cause": "weft: hello 1.0.0",
                        },
                    },
                    "spec": {
                        "enableServiceLinks": False,
                        "containers": [
                            {
                                "name": "hello",
                                "image": "ghcr.io/acme/hello:1.0.0",
                                "ports": [
                                    {"name": "http", "containerPort": 8080, "protocol": "TCP"}
                                ],
                            }
                        ],
                    },
                },
            },
        },
    ]


def test_the_example_renders_every_kind_in_apply_order(objects: list[dict[str, Any]]) -> None:
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Namespace", "shop"),
        ("ServiceAccount", "web"),
        ("ServiceAccount", "report"),
        ("Secret", "web-env"),
        ("Secret", "worker-env"),
        ("Secret", "report-env"),
        ("Service", "web"),
        ("Service", "api"),
        ("Service", "edge"),
        ("Deployment", "web"),
        ("Deployment", "api"),
        ("Deployment", "edge"),
        ("Deployment", "worker"),
        ("HorizontalPodAutoscaler", "web"),
        ("PodDisruptionBudget", "web"),
        ("PodDisruptionBudget", "api"),
        ("Ingress", "web"),
        ("Ingress", "api"),
        ("CronJob", "report"),
        ("CronJob", "cleanup"),
    ]
    assert all(o["metadata"].get("namespace") == "shop" for o in objects[1:])


def test_container_of_a_full_app(objects: list[dict[str, Any]]) -> None:
    container = _container(_one(objects, "Deployment", "web"))
    assert container["image"] == "ghcr.io/acme/web:v1.4.2"
    assert container["command"] == ["/app/web"]
    assert container["args"] == ["--listen", ":8080"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    probe = {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 5}
    assert container["readinessProbe"] == {**probe, "periodSeconds": 5, "failureThreshold": 3}
    assert container["livenessProbe"] == {**probe, "periodSeconds": 10, "failureThreshold": 3}


def test_a_container_without_options_has_no_empty_keys(objects: list[dict[str, Any]]) -> None:
    container = _container(_one(objects, "CronJob", "cleanup"))
    assert container == {"name": "cleanup", "image": "ghcr.io/acme/jobs:2.0.0"}


def test_rolling_update_and_replicas(objects: list[dict[str, Any]]) -> None:
    web = _one(objects, "Deployment", "web")["spec"]
    # autoscale decides the replicas: an apply must not fight the HPA.
    assert "replicas" not in web
    assert web["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0},
    }
    assert web["progressDeadlineSeconds"] == 300
    assert web["revisionHistoryLimit"] == 10
    assert _one(objects, "Deployment", "api")["spec"]["replicas"] == 2
    assert _one(objects, "Deployment", "worker")["spec"]["replicas"] == 0


def test_a_separate_health_port_is_a_second_container_port(objects: list[dict[str, Any]]) -> None:
    container = _container(_one(objects, "Deployment", "edge"))
    assert container["ports"] == [
        {"name": "http", "containerPort": 80, "protocol": "TCP"},
        {"name": "health", "containerPort": 8081, "protocol": "TCP"},
    ]
    assert container["readinessProbe"]["httpGet"] == {"path": "/", "port": 8081}


def test_services(objects: list[dict[str, Any]]) -> None:
    api = _one(objects, "Service", "api")
    assert api["spec"]["type"] == "ClusterIP"
    assert "annotations" not in api["metadata"]
    edge = _one(objects, "Service", "edge")
    assert edge["spec"]["type"] == "LoadBalancer"
    assert edge["metadata"]["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }
    assert edge["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    # An app without a port has no Service.
    assert not [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "worker"]


def test_every_port_says_tcp(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["kind"] == "Service":
            assert all(port["protocol"] == "TCP" for port in obj["spec"]["ports"])
        if obj["kind"] in ("Deployment", "CronJob"):
            assert all(port["protocol"] == "TCP" for port in _container(obj).get("ports", []))


def test_ingress_with_tls(objects: list[dict[str, Any]]) -> None:
    web = _one(objects, "Ingress", "web")
    assert web["apiVersion"] == "networking.k8s.io/v1"
    assert web["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/group.name": "shop",
        "alb.ingress.kubernetes.io/certificate-arn": CERT,
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "alb.ingress.kubernetes.io/healthcheck-path": "/healthz",
    }
    assert json.loads(web["metadata"]["annotations"]["alb.ingress.kubernetes.io/listen-ports"])
    assert web["spec"] == {
        "ingressClassName": "alb",
        "rules": [
            {
                "host": "www.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "web", "port": {"number": 8080}}},
                        }
                    ]
                },
            }
        ],
    }
    api = _one(objects, "Ingress", "api")
    assert api["spec"]["rules"][0]["host"] == "example.com"
    assert api["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/api"
    assert "alb.ingress.kubernetes.io/healthcheck-path" not in api["metadata"]["annotations"]


def test_ingress_without_tls_listens_on_http_only() -> None:
    text = (
        MINIMAL.replace(
            "port: 8080}",
            "port: 8080, ingress: {host: hello.example.com, tls: false},"
            " health: {path: /ready, port: 9090}}",
        )
        + "dns: {domain: example.com}\n"
    )
    (ingress,) = [o for o in render(RenderInput(parse_fabric(text), "demo", None, {}, {}))
                  if o["kind"] == "Ingress"]  # fmt: skip
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTP": 80}]'
    assert "alb.ingress.kubernetes.io/ssl-redirect" not in annotations
    assert "alb.ingress.kubernetes.io/certificate-arn" not in annotations
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/ready"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-port"] == "9090"


def test_hpa_and_pdb(objects: list[dict[str, Any]]) -> None:
    hpa = _one(objects, "HorizontalPodAutoscaler", "web")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 3,
        "maxReplicas": 10,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70},
                },
            }
        ],
    }
    sel = {"app.kubernetes.io/name": "web", "weft.dev/fabric": "shop"}
    assert _one(objects, "PodDisruptionBudget", "web")["spec"] == {
        "selector": {"matchLabels": sel},
        "maxUnavailable": 1,
    }
    assert _one(objects, "PodDisruptionBudget", "api")["spec"]["minAvailable"] == "50%"
    assert "maxUnavailable" not in _one(objects, "PodDisruptionBudget", "api")["spec"]


def test_cronjob(objects: list[dict[str, Any]]) -> None:
    job = _one(objects, "CronJob", "report")
    assert job["apiVersion"] == "batch/v1"
    spec = job["spec"]
    assert spec["schedule"] == "0 3 * * MON-FRI"
    assert spec["concurrencyPolicy"] == "Replace"
    assert spec["startingDeadlineSeconds"] == 300
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    pod = spec["jobTemplate"]["spec"]["template"]
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["enableServiceLinks"] is False
    assert _container(job)["command"] == ["report", "--daily"]
    assert _container(job)["resources"] == {"requests": {"cpu": "0.5", "memory": "1Gi"}}
    assert job["metadata"]["annotations"] == {"weft.dev/version": "2.0.0"}
    assert _one(objects, "CronJob", "cleanup")["spec"]["concurrencyPolicy"] == "Forbid"


# --- labels -----------------------------------------------------------------------------------


def _labelled(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, str]]]:
    """(where, labels) of every object and every pod or job template in them."""
    found = []
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        found.append((where, obj["metadata"]["labels"]))
        if obj["kind"] == "Deployment":
            found.append((where + " template", obj["spec"]["template"]["metadata"]["labels"]))
        if obj["kind"] == "CronJob":
            job = obj["spec"]["jobTemplate"]
            found.append((where + " job", job["metadata"]["labels"]))
            found.append((where + " template", job["spec"]["template"]["metadata"]["labels"]))
    return found


def test_every_object_and_template_carries_the_labels(objects: list[dict[str, Any]]) -> None:
    labelled = _labelled(objects)
    assert len(labelled) == len(objects) + 4 + 2 * 2
    for where, found in labelled:
        assert found["app.kubernetes.io/managed-by"] == MANAGED_BY, where
        assert found["weft.dev/fabric"] == "shop", where
        assert found["environment"] == "production", where
        if not where.startswith("Namespace/"):
            name = where.split("/")[1].split()[0].removesuffix("-env")
            assert found == labels(load_fabric(EXAMPLE), name), where


def test_labels_and_selectors(fabric: Fabric) -> None:
    assert labels(fabric, "api") == {
        "app.kubernetes.io/name": "api",
        "app.kubernetes.io/managed-by": "weft",
        "app.kubernetes.io/version": "2.0.0-rc.1_build.7",
        "weft.dev/fabric": "shop",
        "environment": "production",
    }
    assert labels(fabric, "api", "3.0.0")["app.kubernetes.io/version"] == "3.0.0"
    assert labels(fabric, "report")["app.kubernetes.io/version"] == "2.0.0"
    assert selector(fabric, "api") == {"app.kubernetes.io/name": "api", "weft.dev/fabric": "shop"}
    assert selector(fabric, "api").items() <= labels(fabric, "api").items()
    assert fabric_selector(fabric).items() <= labels(fabric, "api").items()
    with pytest.raises(UsageError, match=r"no app or cron job named 'apy' \(did you mean 'api'"):
        labels(fabric, "apy")


def test_selectors_never_hold_the_version(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        spec = obj.get("spec", {})
        for sel in (spec.get("selector"), (spec.get("selector") or {}).get("matchLabels")):
            if isinstance(sel, dict) and "app.kubernetes.io/name" in sel:
                assert set(sel) == {"app.kubernetes.io/name", "weft.dev/fabric"}


def test_environment_label_defaults_to_the_fabric_name() -> None:
    fabric = parse_fabric(MINIMAL.replace("name: demo", "name: staging"))
    assert labels(fabric, "hello")["environment"] == "staging"


# --- environment and secrets ------------------------------------------------------------------


def test_environment_variables(objects: list[dict[str, Any]]) -> None:
    ref = {"secretKeyRef": {"name": "web-env", "key": "X"}}

    def secret(key: str) -> dict[str, Any]:
        return {"secretKeyRef": {**ref["secretKeyRef"], "key": key}}

    assert _env(_one(objects, "Deployment", "web")) == {
        "LOG_LEVEL": "info",
        "FEATURES": "a,b",
        "MAIN_HOST": "main.abc.rds.amazonaws.com",
        "MAIN_PORT": "5432",
        "MAIN_DATABASE": "main",
        "MAIN_USER": "weft_admin",
        "MAIN_PASSWORD": secret("MAIN_PASSWORD"),
        "SESSIONS_HOST": "sessions.abc.cache.amazonaws.com",
        "SESSIONS_PORT": "6379",
        "SESSIONS_TLS": "true",
        "SESSIONS_URL": "rediss://sessions.abc.cache.amazonaws.com:6379",
        "SESSIONS_AUTH_TOKEN": secret("SESSIONS_AUTH_TOKEN"),
        "UPLOADS_BUCKET": "shop-uploads-1a2b",
        "UPLOADS_REGION": "us-east-2",
        "STRIPE_API_KEY": secret("STRIPE_API_KEY"),
    }
    assert list(_env(_one(objects, "CronJob", "report"))) == [
        "MAIN_HOST",
        "MAIN_PORT",
        "MAIN_DATABASE",
        "MAIN_USER",
        "MAIN_PASSWORD",
        "UPLOADS_BUCKET",
        "UPLOADS_REGION",
        "SMTP_PASSWORD",
    ]


def test_one_secret_per_workload_holds_every_secret_variable(
    objects: list[dict[str, Any]],
) -> None:
    secret = _one(objects, "Secret", "web-env")
    assert secret["type"] == "Opaque"
    assert secret["stringData"] == {
        "MAIN_PASSWORD": SECRETS["database/main/password"],
        "SESSIONS_AUTH_TOKEN": SECRETS["cache/sessions/auth-token"],
        "STRIPE_API_KEY": SECRETS["stripe/api-key"],
    }
    assert "data" not in secret
    assert _one(objects, "Secret", "report-env")["stringData"] == {
        "MAIN_PASSWORD": SECRETS["database/main/password"],
        "SMTP_PASSWORD": SECRETS["smtp/password"],
    }
    assert env_secret_name("web") == "web-env"
    # Nothing secret: no Secret, no hash.
    api = _one(objects, "Deployment", "api")
    assert "weft.dev/secret-hash" not in api["spec"]["template"]["metadata"]["annotations"]
    assert not [o for o in objects if o["metadata"]["name"] in ("api-env", "cleanup-env")]


def test_secret_values_appear_in_the_secrets_string_data_only(
    objects: list[dict[str, Any]],
) -> None:
    for obj in objects:
        rest = copy.deepcopy(obj)
        if obj["kind"] == "Secret":
            del rest["stringData"]
        text = json.dumps(rest)
        for value in SECRETS.values():
            assert value not in text, f"{value} leaks into {obj['kind']}/{obj['metadata']['name']}"


def test_missing_secret_values_are_redacted(fabric: Fabric) -> None:
    objs = render(_input(fabric, secret_values={"stripe/api-key": "sk"}))
    assert _one(objs, "Secret", "web-env")["stringData"] == {
        "MAIN_PASSWORD": REDACTED,
        "SESSIONS_AUTH_TOKEN": REDACTED,
        "STRIPE_API_KEY": "sk",
    }


def test_unknown_store_settings_render_as_unknown(fabric: Fabric) -> None:
    placeholders = {
        name: DataStore(store.name, store.kind, {}, None) for name, store in STORES.items()
    }
    objs = render(_input(fabric, data=placeholders, secret_values={}))
    env = _env(_one(objs, "Deployment", "web"))
    assert env["MAIN_HOST"] == env["UPLOADS_REGION"] == UNKNOWN
    # Without the store's word for it, the credential has the data drivers' usual name.
    assert _one(objs, "Secret", "web-env")["stringData"]["MAIN_PASSWORD"] == REDACTED
    assert "database/main/password" in secret_names(fabric, ["web"])


def _hash(objs: list[dict[str, Any]], name: str) -> str:
    template = _one(objs, "Deployment", name)["spec"]["template"]
    return str(template["metadata"]["annotations"]["weft.dev/secret-hash"])


def test_the_secret_hash_follows_the_secrets_data(fabric: Fabric) -> None:
    first = _hash(render(_input(fabric)), "web")
    assert len(first) == 16 and int(first, 16) >= 0
    assert _hash(render(_input(fabric)), "web") == first
    changed = {**SECRETS, "stripe/api-key": "sk_live_rotated"}
    assert _hash(render(_input(fabric, secret_values=changed)), "web") != first
    # Values another app uses do not roll this one.
    other = {**SECRETS, "smtp/password": "rotated"}
    assert _hash(render(_input(fabric, secret_values=other)), "web") == first
    # The hash depends on the fabric too (it is salted), and does not hold the value.
    renamed = fabric.model_copy(update={"name": "shop2"})
    assert _hash(render(_input(renamed)), "web") != first
    cron = _one(render(_input(fabric)), "CronJob", "report")
    template = cron["spec"]["jobTemplate"]["spec"]["template"]
    assert len(template["metadata"]["annotations"]["weft.dev/secret-hash"]) == 16


def test_secret_names(fabric: Fabric) -> None:
    assert secret_names(fabric) == {
        "database/main/password",
        "cache/sessions/auth-token",
        "stripe/api-key",
        "smtp/password",
    }
    assert secret_names(fabric, ["worker"]) == {"database/main/password"}
    assert secret_names(fabric, ["api", "cleanup"]) == set()
    assert secret_names(fabric, ["report"]) == {"database/main/password", "smtp/password"}


# --- versions ---------------------------------------------------------------------------------


def test_image_ref() -> None:
    assert image_ref("ghcr.io/acme/web", "1.2.3", "{version}") == "ghcr.io/acme/web:1.2.3"
    assert image_ref("localhost:5000/web", "1.2.3", "v{version}") == "localhost:5000/web:v1.2.3"
    assert image_ref("web", "1.0.0+b.7", "{version}-alpine") == "web:1.0.0_b.7-alpine"


def test_a_version_override_changes_image_labels_and_annotations_not_the_selector(
    fabric: Fabric,
) -> None:
    before = _one(render(_input(fabric)), "Deployment", "web")
    after = _one(render(_input(fabric, version_overrides={"web": "1.5.0"})), "Deployment", "web")
    assert _container(after)["image"] == "ghcr.io/acme/web:v1.5.0"
    assert after["metadata"]["labels"]["app.kubernetes.io/version"] == "1.5.0"
    template = after["spec"]["template"]["metadata"]
    assert template["labels"]["app.kubernetes.io/version"] == "1.5.0"
    assert template["annotations"]["weft.dev/version"] == "1.5.0"
    assert template["annotations"]["kubernetes.io/change-cause"] == "weft: web 1.5.0"
    assert after["metadata"]["annotations"]["weft.dev/version"] == "1.5.0"
    assert after["spec"]["selector"] == before["spec"]["selector"]
    job = _one(render(_input(fabric, version_overrides={"report": "2.1.0"})), "CronJob", "report")
    assert _container(job)["image"] == "ghcr.io/acme/jobs:2.1.0"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nope": "1.0.0"}, "no app or cron job named 'nope'"),
        ({"web": "v1.5.0"}, "cannot deploy web at version 'v1.5.0'"),
        ({"web": "1.5"}, "(did you mean '1.5.0'?)"),
    ],
)
def test_bad_overrides_are_refused(fabric: Fabric, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        render(_input(fabric, version_overrides=overrides))
    assert message in str(caught.value)


# --- selection and refusals -------------------------------------------------------------------


def test_only_renders_the_named_entries_and_the_namespace(fabric: Fabric) -> None:
    objs = render(_input(fabric), ["report", "edge"])
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("Namespace", "shop"),
        ("ServiceAccount", "report"),
        ("Secret", "report-env"),
        ("Service", "edge"),
        ("Deployment", "edge"),
        ("CronJob", "report"),
    ]
    assert render(_input(fabric), []) == []
    with pytest.raises(UsageError, match="did you mean 'edge'"):
        render(_input(fabric), ["egde"])


def test_a_fabric_without_apps_renders_nothing() -> None:
    fabric = parse_fabric(MINIMAL.split("apps:")[0])
    assert render(RenderInput(fabric, "demo", None, {}, {})) == []
    assert secret_names(fabric) == set()


def test_refusals(fabric: Fabric) -> None:
    # A TLS ingress without the fabric's certificate (not issued yet) is HTTP only, and says so.
    (web,) = [
        o for o in render(_input(fabric, certificate_arn=None), ["web"]) if o["kind"] == "Ingress"
    ]
    notes = web["metadata"]["annotations"]
    assert notes["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTP": 80}]'
    assert "alb.ingress.kubernetes.io/certificate-arn" not in notes
    assert "alb.ingress.kubernetes.io/ssl-redirect" not in notes
    assert "certificate is not issued yet" in notes["weft.dev/https-skipped"]
    # Without TLS ingresses no certificate is needed.
    assert render(_input(fabric, certificate_arn=None), ["edge"])
    with pytest.raises(UsageError, match="web uses sessions, and nothing is known about it"):
        render(_input(fabric, data={k: v for k, v in STORES.items() if k != "sessions"}))
    odd = {**STORES, "uploads": DataStore("uploads", "bucket", {"bucket": "b", "acl": "x"}, None)}
    with pytest.raises(ValueError, match="settings weft does not inject: acl"):
        render(_input(fabric, data=odd))
    with pytest.raises(ValueError, match="not 'batch/v2'"):
        ApiVersions(cronjob="batch/v2")


def test_an_entry_that_uses_a_bucket_runs_as_its_own_service_account(
    objects: list[dict[str, Any]],
) -> None:
    for name, kind in (("web", "Deployment"), ("report", "CronJob")):
        account = _one(objects, "ServiceAccount", name)
        assert account["metadata"]["namespace"] == "shop"
        assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLES[name]}
        assert account["metadata"]["labels"] == _one(objects, kind, name)["metadata"]["labels"]
        spec = _one(objects, kind, name)["spec"]
        if kind == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        assert spec["template"]["spec"]["serviceAccountName"] == name
    # the others use no AWS resource: the namespace's default account, and no role
    assert (
        "serviceAccountName" not in _one(objects, "Deployment", "api")["spec"]["template"]["spec"]
    )
    assert {o["metadata"]["name"] for o in objects if o["kind"] == "ServiceAccount"} == set(ROLES)


def test_a_role_not_known_is_refused_or_unknown(fabric: Fabric) -> None:
    with pytest.raises(UsageError, match="web uses an AWS resource, and the ARN of its IAM role"):
        render(_input(fabric, role_arns={}), ["web"])
    objs = render(_input(fabric, role_arns={"web": UNKNOWN}), ["web"])
    annotations = _one(objs, "ServiceAccount", "web")["metadata"]["annotations"]
    assert annotations == {"eks.amazonaws.com/role-arn": UNKNOWN}


# --- ordering ---------------------------------------------------------------------------------


def test_apply_and_delete_order(objects: list[dict[str, Any]]) -> None:
    shuffled = list(reversed(objects))
    ordered = apply_order(shuffled)
    ranks = [APPLY_ORDER.index(o["kind"]) for o in ordered]
    assert ranks == sorted(ranks)
    assert [o["kind"] for o in delete_order(objects)] == [o["kind"] for o in reversed(ordered)]
    assert delete_order(objects)[0]["kind"] == "CronJob"
    assert delete_order(objects)[-1]["kind"] == "Namespace"
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    assert apply_order([other, *objects[:2]]) == [*objects[:2], other]
    assert delete_order([other, *objects[:2]])[0] is other


def test_apply_order_is_stable_within_a_kind() -> None:
    objs = [{"kind": "Service", "n": i} for i in range(5)] + [{"kind": "Namespace"}]
    assert [o.get("n") for o in apply_order(objs)] == [None, 0, 1, 2, 3, 4]


# --- official schemas -------------------------------------------------------------------------


def test_every_current_version_object_matches_the_official_schema(
    objects: list[dict[str, Any]],
) -> None:
    kinds = set()
    for obj in objects:
        assert _round_trip(obj) == obj, f"{obj['kind']}/{obj['metadata']['name']}"
        kinds.add((obj["apiVersion"], obj["kind"]))
    assert kinds == {
        ("v1", "Namespace"),
        ("v1", "ServiceAccount"),
        ("v1", "Secret"),
        ("v1", "Service"),
        ("apps/v1", "Deployment"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("policy/v1", "PodDisruptionBudget"),
        ("networking.k8s.io/v1", "Ingress"),
        ("batch/v1", "CronJob"),
    }


def test_the_minimal_and_non_tls_renderings_match_the_schema_too() -> None:
    text = (
        MINIMAL.replace("port: 8080}", "port: 8080, ingress: {host: a.example.com, tls: false}}")
        + "dns: {domain: example.com}\n"
    )
    for obj in render(RenderInput(parse_fabric(text), "demo", None, {}, {})):
        assert _round_trip(obj) == obj


@pytest.mark.parametrize(
    "path",
    [
        ("spec", "typo"),
        ("spec", "template", "spec", "containers", 0, "imagePullPolcy"),
        ("spec", "template", "spec", "containers", 0, "ports", 0, "hostPortt"),
    ],
)
def test_the_schema_check_catches_unknown_keys(
    objects: list[dict[str, Any]], path: tuple[str | int, ...]
) -> None:
    broken = copy.deepcopy(_one(objects, "Deployment", "web"))
    if "ports" in path:
        broken = copy.deepcopy(_one(objects, "Deployment", "edge"))
    node: Any = broken
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "x"
    assert _round_trip(broken) != broken


def test_the_schema_check_catches_missing_fields_and_wrong_types(
    objects: list[dict[str, Any]],
) -> None:
    service = copy.deepcopy(_one(objects, "Service", "web"))
    del service["spec"]["ports"][0]["port"]
    with pytest.raises(msgspec.ValidationError, match="missing required field `port`"):
        _round_trip(service)
    deployment = copy.deepcopy(_one(objects, "Deployment", "web"))
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "80"
    with pytest.raises(msgspec.ValidationError, match="Expected `int`"):
        _round_trip(deployment)


# --- older API versions -----------------------------------------------------------------------


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            found.extend(_differences(a.get(key), b.get(key), f"{path}.{key}"))
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [path]


def test_older_api_versions_differ_only_where_the_api_did(fabric: Fabric) -> None:
    new = render(_input(fabric))
    old = render(_input(fabric, versions=OLD))
    assert len(new) == len(old)
    expected = {
        "CronJob": ("batch/v1beta1", []),
        "HorizontalPodAutoscaler": ("autoscaling/v2beta2", []),
        "PodDisruptionBudget": ("policy/v1beta1", []),
        "Ingress": (
            "networking.k8s.io/v1beta1",
            [
                ".spec.rules[0].http.paths[0].backend.service",
                ".spec.rules[0].http.paths[0].backend.serviceName",
                ".spec.rules[0].http.paths[0].backend.servicePort",
            ],
        ),
    }
    for a, b in zip(new, old, strict=True):
        version, paths = expected.get(a["kind"], (a["apiVersion"], []))
        assert b["apiVersion"] == version
        diff = [d for d in _differences(a, b) if d != ".apiVersion"]
        assert diff == paths, (a["kind"], diff)
    backend = _one(old, "Ingress", "web")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"serviceName": "web", "servicePort": 8080}


@pytest.mark.parametrize(
    ("field", "value"),
    [("cronjob", "batch/v1beta1"), ("hpa", "autoscaling/v2beta2"), ("pdb", "policy/v1beta1")],
)
def test_each_version_falls_back_on_its_own(fabric: Fabric, field: str, value: str) -> None:
    objs = render(_input(fabric, versions=ApiVersions(**{field: value})))
    versions = {o["kind"]: o["apiVersion"] for o in objs}
    defaults = ApiVersions()
    assert versions == {
        "Namespace": "v1",
        "ServiceAccount": "v1",
        "Secret": "v1",
        "Service": "v1",
        "Deployment": "apps/v1",
        "HorizontalPodAutoscaler": value if field == "hpa" else defaults.hpa,
        "PodDisruptionBudget": value if field == "pdb" else defaults.pdb,
        "Ingress": defaults.ingress,
        "CronJob": value if field == "cronjob" else defaults.cronjob,
    }


def test_api_versions_are_the_negotiated_ones() -> None:
    """By default the newest of each pair; any of a pair is taken, nothing else. The client
    negotiates over the same table."""
    defaults = ApiVersions()
    for kind, (field, allowed) in NEGOTIATED.items():
        assert getattr(defaults, field) == allowed[0], kind
        for version in allowed:
            assert getattr(ApiVersions(**{field: version}), field) == version
        with pytest.raises(ValueError, match=f"weft renders {field} in {allowed[0]} or"):
            ApiVersions(**{field: "v0"})
    assert dict(client.NEGOTIATED) == dict(NEGOTIATED)


def test_a_release_of_a_git_sha_is_rendered_where_the_app_allows_it() -> None:
    text = MINIMAL.replace("port: 8080}", "port: 8080, versioning: any}")
    release = {"version_overrides": {"hello": "3f9c2a1"}}
    objs = render(RenderInput(parse_fabric(text), "demo", None, {}, {}, **release))
    (deployment,) = [o for o in objs if o["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/acme/hello:3f9c2a1"
    assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "3f9c2a1"
    with pytest.raises(UsageError, match=r"not a semantic version.*set versioning: any"):
        render(RenderInput(parse_fabric(MINIMAL), "demo", None, {}, {}, **release))
