"""The Kubernetes objects of a fabric's apps and cron jobs, rendered from the spec as plain dicts.

Pure: no I/O. What must come from the cloud is given in :class:`RenderInput` (the data stores'
endpoints, the certificate, secret values, the API versions the cluster serves).

Per app: a ``Secret`` ``<app>-env`` (only when something secret is injected), a ``Service``
(when it has a port), the ``Deployment``, and as configured a ``HorizontalPodAutoscaler``, a
``PodDisruptionBudget`` and an ``Ingress``. Per cron job: its Secret and the ``CronJob``. Before
them, the ``Namespace``. :func:`render` returns them in apply order (:func:`apply_order`).

Labels. Every object, pod templates included, carries :func:`labels`:

- ``app.kubernetes.io/name``: the app or cron job;
- ``app.kubernetes.io/managed-by``: ``weft`` (:data:`MANAGED_BY`);
- ``app.kubernetes.io/version``: the version deployed (``+`` written as ``_``, as in tags);
- ``weft.dev/fabric``: the fabric's name;
- ``environment``: the fabric's ``environment``.

The Namespace carries the last three only (it belongs to the fabric, not to one app). Pods are
selected by :func:`selector`, name and fabric only: a selector is immutable, so it never holds
the version.

Environment variables of a container, in this order: the entry's ``env``; for each store in
``uses``, its plain settings (``MAIN_HOST``, ...) as values and its credential
(``MAIN_PASSWORD``, ``SESSIONS_AUTH_TOKEN``) from the Secret; then each of ``secrets``
(``STRIPE_API_KEY``) from the Secret. The names are made by :func:`weft.fabricfile.apps.store_env`
and :func:`weft.fabricfile.apps.secret_env`. Secret values appear in the Secret's ``stringData`` and
nowhere else; the pod template carries ``weft.dev/secret-hash``, a slow salted hash of the
Secret's data (scrypt, so a short one does not give weak values away to who can read
Deployments), so that a changed secret rolls the pods. Service links are off
(``enableServiceLinks: false``): Kubernetes would otherwise inject ``<SERVICE>_PORT`` and the
like for every Service of the namespace, which collide with weft's names.

API versions that differ between Kubernetes 1.20 and current EKS are :class:`ApiVersions`: the
shapes weft renders are the same in both (``batch/v1beta1`` CronJob, ``autoscaling/v2beta2``
HPA, ``policy/v1beta1`` PDB) except for ``networking.k8s.io/v1beta1`` Ingress, whose backend is
``serviceName``/``servicePort``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from weft.errors import UsageError
from weft.fabricfile import App, CronJob, Fabric
from weft.fabricfile.checks import did_you_mean
from weft.fabricfile.env_vars import STORE_CREDENTIAL, STORE_SETTINGS, secret_env, store_env
from weft.fabricfile.image import image_tag, tag_problem, version_label, version_problem
from weft.fabricfile.secret_names import credential_secret

__all__ = [
    "APPLY_ORDER",
    "CHANGE_CAUSE_ANNOTATION",
    "ENVIRONMENT_LABEL",
    "FABRIC_LABEL",
    "MANAGED_BY",
    "MANAGED_BY_LABEL",
    "NAME_LABEL",
    "REDACTED",
    "SECRET_HASH_ANNOTATION",
    "UNKNOWN",
    "VERSION_ANNOTATION",
    "VERSION_LABEL",
    "ApiVersions",
    "DataStore",
    "RenderInput",
    "apply_order",
    "delete_order",
    "env_secret_name",
    "fabric_selector",
    "image_ref",
    "labels",
    "render",
    "secret_names",
    "selector",
]

REDACTED = "<redacted>"
#: The value of a data store's setting that was not given (the store does not exist yet).
UNKNOWN = "<unknown>"
MANAGED_BY = "weft"
NAME_LABEL = "app.kubernetes.io/name"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
VERSION_LABEL = "app.kubernetes.io/version"
FABRIC_LABEL = "weft.dev/fabric"
ENVIRONMENT_LABEL = "environment"
VERSION_ANNOTATION = "weft.dev/version"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
SECRET_HASH_ANNOTATION = "weft.dev/secret-hash"
#: Kinds in the order they are applied; deleted in reverse.
APPLY_ORDER = (
    "Namespace",
    "Secret",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
    "CronJob",
)
REVISION_HISTORY = 10
#: A CronJob that missed more than 100 starts (say, while the controller was down) is never
#: started again unless it has a starting deadline; this one bounds how late a start may be.
STARTING_DEADLINE = 300
CONTAINER_PORT_NAME = "http"
HEALTH_PORT_NAME = "health"

_INGRESS_CLASS = "alb"
_ALB = "alb.ingress.kubernetes.io/"
_NLB = "service.beta.kubernetes.io/aws-load-balancer-"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 8}

_CRONJOB_VERSIONS = ("batch/v1", "batch/v1beta1")
_HPA_VERSIONS = ("autoscaling/v2", "autoscaling/v2beta2")
_PDB_VERSIONS = ("policy/v1", "policy/v1beta1")
_INGRESS_VERSIONS = ("networking.k8s.io/v1", "networking.k8s.io/v1beta1")


@dataclass(frozen=True)
class ApiVersions:
    """The API version rendered for each kind whose version depends on the cluster.

    Negotiated by the client through discovery: the first of each pair the cluster serves.
    """

    cronjob: str = "batch/v1"  # or "batch/v1beta1" (Kubernetes 1.20)
    hpa: str = "autoscaling/v2"  # or "autoscaling/v2beta2"
    pdb: str = "policy/v1"  # or "policy/v1beta1"
    ingress: str = "networking.k8s.io/v1"  # or "networking.k8s.io/v1beta1"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("cronjob", _CRONJOB_VERSIONS),
            ("hpa", _HPA_VERSIONS),
            ("pdb", _PDB_VERSIONS),
            ("ingress", _INGRESS_VERSIONS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"weft renders {name} in {' or '.join(allowed)}, not {getattr(self, name)!r}"
                )


@dataclass(frozen=True)
class DataStore:
    """Facts about one database, cache or bucket, read from the cloud.

    ``settings`` are the plain values of :data:`weft.fabricfile.apps.STORE_SETTINGS` for its kind
    (``host``, ``port``, ``database``, ``user`` of a database; ``host``, ``port`` of a cache;
    ``bucket``, ``region`` of a bucket); one that is missing renders as :data:`UNKNOWN`.
    ``secret`` is the secrets-store name of its credential (``database/<n>/password``,
    ``cache/<n>/auth-token``), None for buckets (and then the usual name is assumed for the
    others).
    """

    name: str
    kind: Literal["database", "cache", "bucket"]
    settings: Mapping[str, str]
    secret: str | None


@dataclass(frozen=True)
class RenderInput:
    """Everything :func:`render` needs besides the spec."""

    fabric: Fabric
    #: Where the apps live (the fabric's name).
    namespace: str
    #: The fabric's wildcard certificate, for ingresses with TLS.
    certificate_arn: str | None
    #: By name, every store any rendered app or cron job uses.
    data: Mapping[str, DataStore]
    #: Secrets-store name -> value; a missing one renders as :data:`REDACTED`.
    secret_values: Mapping[str, str]
    versions: ApiVersions = ApiVersions()
    #: App or cron job name -> the version to render instead of the file's (``weft release``).
    version_overrides: Mapping[str, str] = field(default_factory=dict)


Workload = App | CronJob


# --- names and labels -------------------------------------------------------------------------


def _workloads(fabric: Fabric) -> dict[str, Workload]:
    entries: list[Workload] = [*fabric.apps, *fabric.cronjobs]
    return {entry.name: entry for entry in entries}


def _find(fabric: Fabric, name: str) -> Workload:
    known = _workloads(fabric)
    if name not in known:
        raise UsageError(
            f"{fabric.source} has no app or cron job named {name!r}{did_you_mean(name, known)}; "
            f"it has: {', '.join(known) or 'none'}"
        )
    return known[name]


def selector(fabric: Fabric, app: str) -> dict[str, str]:
    """The pod selector of an app: its name and the fabric (never the version: immutable)."""
    return {NAME_LABEL: app, FABRIC_LABEL: fabric.name}


def fabric_selector(fabric: Fabric) -> dict[str, str]:
    """The labels every object weft renders for ``fabric`` has: for listing them all."""
    return {MANAGED_BY_LABEL: MANAGED_BY, FABRIC_LABEL: fabric.name}


def labels(fabric: Fabric, app: str, version: str | None = None) -> dict[str, str]:
    """The common labels of an app's or cron job's objects.

    ``version`` is the one being deployed; by default the one in the file. Raises UsageError
    for a name the fabric does not have when no version is given.
    """
    if version is None:
        version = _find(fabric, app).version
    return {
        NAME_LABEL: app,
        MANAGED_BY_LABEL: MANAGED_BY,
        VERSION_LABEL: version_label(version),
        FABRIC_LABEL: fabric.name,
        ENVIRONMENT_LABEL: fabric.environment,
    }


def image_ref(image: str, version: str, tag_format: str) -> str:
    """``image:tag``, the tag being ``tag_format`` with the version (``+`` as ``_``) in it."""
    return f"{image}:{image_tag(version, tag_format)}"


def env_secret_name(app: str) -> str:
    """The name of the Kubernetes Secret holding an app's or cron job's secret variables."""
    return f"{app}-env"


def _selected(fabric: Fabric, only: Collection[str] | None) -> list[Workload]:
    if only is None:
        return list(_workloads(fabric).values())
    for name in only:
        _find(fabric, name)
    return [entry for entry in _workloads(fabric).values() if entry.name in only]


def secret_names(fabric: Fabric, only: Collection[str] | None = None) -> set[str]:
    """Every secrets-store name :func:`render` needs for the (selected) apps and cron jobs.

    The entries' ``secrets``, and the credentials of the databases and caches they use.
    """
    kinds = {
        **{database.name: "database" for database in fabric.databases},
        **{cache.name: "cache" for cache in fabric.caches},
        **{bucket.name: "bucket" for bucket in fabric.buckets},
    }
    found: set[str] = set()
    for entry in _selected(fabric, only):
        found.update(entry.secrets)
        for target in entry.uses:
            credential = credential_secret(kinds[target], target)
            if credential is not None:
                found.add(credential)
    return found


# --- ordering ---------------------------------------------------------------------------------


def _rank(obj: Mapping[str, Any]) -> int:
    kind = obj.get("kind")
    return APPLY_ORDER.index(kind) if kind in APPLY_ORDER else len(APPLY_ORDER)


def apply_order(objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects sorted by kind for applying (:data:`APPLY_ORDER`; other kinds last), stably."""
    return sorted(objs, key=_rank)


def delete_order(objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects in the reverse of :func:`apply_order`: dependents first."""
    return list(reversed(apply_order(objs)))


# --- rendering --------------------------------------------------------------------------------


def render(inp: RenderInput, only: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Every object of the fabric's apps and cron jobs (or only those named), in apply order.

    Raises UsageError for a name in ``only`` or ``version_overrides`` that the fabric does not
    have, an override that is not a version, a store in ``uses`` missing from ``data``, and an
    ingress with TLS without ``certificate_arn``. Nothing is rendered when nothing is selected.
    """
    fabric = inp.fabric
    for name, version in inp.version_overrides.items():
        entry = _find(fabric, name)
        fault = version_problem(version) or tag_problem(image_tag(version, entry.tag_format))
        if fault is not None:
            raise UsageError(f"cannot deploy {name} at version {version!r}: {fault}")
    selected = _selected(fabric, only)
    objs: list[dict[str, Any]] = []
    if selected:
        objs.append(_namespace(inp))
    for entry in selected:
        renderer = _Renderer(inp, entry)
        objs.extend(renderer.app() if isinstance(entry, App) else renderer.cronjob())
    return apply_order(objs)


def _namespace(inp: RenderInput) -> dict[str, Any]:
    fabric = inp.fabric
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": inp.namespace,
            "labels": {
                MANAGED_BY_LABEL: MANAGED_BY,
                FABRIC_LABEL: fabric.name,
                ENVIRONMENT_LABEL: fabric.environment,
            },
        },
    }


def _secret_hash(fabric: str, name: str, data: Mapping[str, str]) -> str:
    text = json.dumps(dict(data), sort_keys=True, separators=(",", ":")).encode()
    salt = f"weft.dev/secret-hash:{fabric}/{name}".encode()
    return hashlib.scrypt(text, salt=salt, **_SCRYPT).hex()


class _Renderer:
    """The objects of one app or cron job."""

    def __init__(self, inp: RenderInput, entry: Workload) -> None:
        self.inp = inp
        self.entry = entry
        self.name = entry.name
        self.version = inp.version_overrides.get(entry.name, entry.version)
        self.labels = labels(inp.fabric, entry.name, self.version)
        self.env, self.secret_data = self._environment()

    # -- pieces

    def _metadata(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "name": name or self.name,
            "namespace": self.inp.namespace,
            "labels": dict(self.labels),
        }
        meta.update({key: value for key, value in extra.items() if value})
        return meta

    def _environment(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        entry, inp = self.entry, self.inp
        env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in entry.env.items()]
        data: dict[str, str] = {}
        secret_ref = env_secret_name(self.name)

        def from_secret(variable: str, secret: str) -> None:
            data[variable] = inp.secret_values.get(secret, REDACTED)
            env.append(
                {
                    "name": variable,
                    "valueFrom": {"secretKeyRef": {"name": secret_ref, "key": variable}},
                }
            )

        for target in entry.uses:
            store = inp.data.get(target)
            if store is None:
                raise UsageError(
                    f"{self.name} uses {target}, and nothing is known about it",
                    hint="create it with: weft up",
                )
            wanted = STORE_SETTINGS[store.kind]
            extra = sorted(set(store.settings) - set(wanted))
            if extra:
                raise ValueError(
                    f"the {store.kind} {target} has settings weft does not inject: "
                    f"{', '.join(extra)} (expected {', '.join(wanted)})"
                )
            for setting in wanted:
                value = store.settings.get(setting, UNKNOWN)
                env.append({"name": store_env(target, setting), "value": value})
            credential = STORE_CREDENTIAL.get(store.kind)
            if credential is not None:
                secret = store.secret or credential_secret(store.kind, target)
                assert secret is not None
                from_secret(store_env(target, credential), secret)
        for secret in entry.secrets:
            from_secret(secret_env(secret), secret)
        return env, data

    def _container(self) -> dict[str, Any]:
        entry = self.entry
        container: dict[str, Any] = {
            "name": self.name,
            "image": image_ref(entry.image, self.version, entry.tag_format),
        }
        if entry.command:
            container["command"] = list(entry.command)
        if entry.args:
            container["args"] = list(entry.args)
        if isinstance(entry, App):
            ports = []
            if entry.port is not None:
                ports.append(
                    {"name": CONTAINER_PORT_NAME, "containerPort": entry.port, "protocol": "TCP"}
                )
            health = entry.health
            if health is not None and health.port is not None and health.port != entry.port:
                ports.append(
                    {"name": HEALTH_PORT_NAME, "containerPort": health.port, "protocol": "TCP"}
                )
            if ports:
                container["ports"] = ports
        if self.env:
            container["env"] = self.env
        resources = entry.resources
        if resources is not None:
            spec: dict[str, Any] = {"requests": {"cpu": resources.cpu, "memory": resources.memory}}
            limits = {
                key: value
                for key, value in (("cpu", resources.cpu_limit), ("memory", resources.memory_limit))
                if value is not None
            }
            if limits:
                spec["limits"] = limits
            container["resources"] = spec
        if isinstance(entry, App) and entry.health is not None:
            health = entry.health
            port = health.port if health.port is not None else entry.port
            probe = {"httpGet": {"path": health.path, "port": port}}
            container["readinessProbe"] = {
                **probe,
                "initialDelaySeconds": health.initial_delay,
                "periodSeconds": 5,
                "failureThreshold": 3,
            }
            container["livenessProbe"] = {
                **probe,
                "initialDelaySeconds": health.initial_delay,
                "periodSeconds": 10,
                "failureThreshold": 3,
            }
        return container

    def _pod_template(self, **spec: Any) -> dict[str, Any]:
        annotations = {
            VERSION_ANNOTATION: self.version,
            CHANGE_CAUSE_ANNOTATION: self._change_cause(),
        }
        if self.secret_data:
            annotations[SECRET_HASH_ANNOTATION] = _secret_hash(
                self.inp.fabric.name, self.name, self.secret_data
            )
        return {
            "metadata": {"labels": dict(self.labels), "annotations": annotations},
            "spec": {**spec, "enableServiceLinks": False, "containers": [self._container()]},
        }

    def _change_cause(self) -> str:
        return f"weft: {self.name} {self.version}"

    def _secret(self) -> list[dict[str, Any]]:
        if not self.secret_data:
            return []
        return [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": self._metadata(env_secret_name(self.name)),
                "type": "Opaque",
                "stringData": dict(self.secret_data),
            }
        ]

    # -- an app

    def app(self) -> list[dict[str, Any]]:
        app = self.entry
        assert isinstance(app, App)
        objs = self._secret()
        if app.port is not None:
            objs.append(self._service(app, app.port))
        objs.append(self._deployment(app))
        if app.autoscale is not None:
            objs.append(self._hpa(app))
        if app.disruption is not None:
            objs.append(self._pdb(app))
        if app.ingress is not None:
            assert app.port is not None
            objs.append(self._ingress(app, app.port))
        return objs

    def _service(self, app: App, port: int) -> dict[str, Any]:
        annotations = (
            {
                _NLB + "type": "external",
                _NLB + "nlb-target-type": "ip",
                _NLB + "scheme": "internet-facing",
            }
            if app.load_balancer
            else None
        )
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._metadata(annotations=annotations),
            "spec": {
                "type": "LoadBalancer" if app.load_balancer else "ClusterIP",
                "selector": selector(self.inp.fabric, self.name),
                "ports": [
                    {
                        "name": CONTAINER_PORT_NAME,
                        "port": port,
                        "targetPort": CONTAINER_PORT_NAME,
                        "protocol": "TCP",
                    }
                ],
            },
        }

    def _deployment(self, app: App) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if app.autoscale is None:
            spec["replicas"] = app.replicas
        spec.update(
            {
                "revisionHistoryLimit": REVISION_HISTORY,
                "progressDeadlineSeconds": app.rollout.progress_deadline,
                "selector": {"matchLabels": selector(self.inp.fabric, self.name)},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {
                        "maxSurge": app.rollout.max_surge,
                        "maxUnavailable": app.rollout.max_unavailable,
                    },
                },
                "template": self._pod_template(),
            }
        )
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self._metadata(
                annotations={
                    VERSION_ANNOTATION: self.version,
                    CHANGE_CAUSE_ANNOTATION: self._change_cause(),
                }
            ),
            "spec": spec,
        }

    def _hpa(self, app: App) -> dict[str, Any]:
        autoscale = app.autoscale
        assert autoscale is not None
        # autoscaling/v2beta2 and v2 have the same shape for a cpu utilization target.
        return {
            "apiVersion": self.inp.versions.hpa,
            "kind": "HorizontalPodAutoscaler",
            "metadata": self._metadata(),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app.name},
                "minReplicas": autoscale.min,
                "maxReplicas": autoscale.max,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": autoscale.cpu},
                        },
                    }
                ],
            },
        }

    def _pdb(self, app: App) -> dict[str, Any]:
        disruption = app.disruption
        assert disruption is not None
        spec: dict[str, Any] = {"selector": {"matchLabels": selector(self.inp.fabric, app.name)}}
        if disruption.min_available is not None:
            spec["minAvailable"] = disruption.min_available
        else:
            spec["maxUnavailable"] = disruption.max_unavailable
        return {
            "apiVersion": self.inp.versions.pdb,
            "kind": "PodDisruptionBudget",
            "metadata": self._metadata(),
            "spec": spec,
        }

    def _ingress(self, app: App, port: int) -> dict[str, Any]:
        ingress = app.ingress
        assert ingress is not None
        annotations = {
            _ALB + "scheme": "internet-facing",
            _ALB + "target-type": "ip",
            _ALB + "group.name": self.inp.fabric.name,
        }
        if ingress.tls:
            if self.inp.certificate_arn is None:
                raise UsageError(
                    f"the ingress of {app.name} uses TLS, and the fabric's certificate is not "
                    "known",
                    hint="create it with: weft up",
                )
            annotations[_ALB + "certificate-arn"] = self.inp.certificate_arn
            annotations[_ALB + "listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 443}]'
            annotations[_ALB + "ssl-redirect"] = "443"
        else:
            annotations[_ALB + "listen-ports"] = '[{"HTTP": 80}]'
        if app.health is not None:
            annotations[_ALB + "healthcheck-path"] = app.health.path
            if app.health.port is not None and app.health.port != port:
                annotations[_ALB + "healthcheck-port"] = str(app.health.port)
        if self.inp.versions.ingress == "networking.k8s.io/v1beta1":
            backend: dict[str, Any] = {"serviceName": app.name, "servicePort": port}
        else:
            backend = {"service": {"name": app.name, "port": {"number": port}}}
        return {
            "apiVersion": self.inp.versions.ingress,
            "kind": "Ingress",
            "metadata": self._metadata(annotations=annotations),
            "spec": {
                "ingressClassName": _INGRESS_CLASS,
                "rules": [
                    {
                        "host": ingress.host,
                        "http": {
                            "paths": [
                                {"path": ingress.path, "pathType": "Prefix", "backend": backend}
                            ]
                        },
                    }
                ],
            },
        }

    # -- a cron job

    def cronjob(self) -> list[dict[str, Any]]:
        job = self.entry
        assert isinstance(job, CronJob)
        # batch/v1beta1 and batch/v1 have the same shape for what weft sets.
        cronjob = {
            "apiVersion": self.inp.versions.cronjob,
            "kind": "CronJob",
            "metadata": self._metadata(annotations={VERSION_ANNOTATION: self.version}),
            "spec": {
                "schedule": job.schedule,
                "concurrencyPolicy": job.concurrency,
                "startingDeadlineSeconds": STARTING_DEADLINE,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": {
                    "metadata": {"labels": dict(self.labels)},
                    "spec": {"template": self._pod_template(restartPolicy="Never")},
                },
            },
        }
        return [*self._secret(), cronjob]
