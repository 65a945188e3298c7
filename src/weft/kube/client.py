"""The Kubernetes client adapter: plain dicts in and out, over lightkube, server-side apply only.

Everything weft does to a cluster goes through :class:`Kube`: ``apply`` (server-side apply with
the field manager ``weft``, forced: the fabric file is the truth for the fields weft sets),
``get``, ``list`` (by label selector), ``delete`` (already gone is success), ``patch_status``-free.
Objects are plain ``dict``s, as :mod:`weft.kube.manifests` renders them; any (apiVersion, kind) in
:data:`RESOURCES` can be used, including the older versions a 1.20 cluster serves.

lightkube's rough edges are handled here (see ../research/kube.md): errors arrive as
``ApiError`` only for an exact ``application/json`` content type, so transport and HTTP errors are
caught too and turned into :class:`~weft.errors.KubeError`, naming the object and what to do.

Authentication: a bearer token from ``token()`` (an EKS token made by :mod:`weft.aws.eks_token`
for the fabric's cluster; nothing is stored). EKS accepts a token for 15 minutes, so the
underlying client is rebuilt with a fresh token after :data:`TOKEN_REUSE` seconds.

:meth:`Kube.api_versions` reads the API discovery once and picks, per kind, the newest version the
cluster serves among those weft can render (``batch/v1`` CronJobs on EKS, ``batch/v1beta1`` on
1.20).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from lightkube import ApiError, Client
from lightkube.config.kubeconfig import KubeConfig
from lightkube.core.exceptions import LoadResourceError
from lightkube.core.resource_registry import resource_registry
from lightkube.generic_resource import create_global_resource, create_namespaced_resource
from lightkube.types import CascadeType

from weft.errors import KubeError
from weft.kube.manifests import NEGOTIATED, ApiVersions

FIELD_MANAGER = "weft"
#: Seconds a token is used before a new one is made (EKS accepts one for 15 minutes).
TOKEN_REUSE = 600.0
REQUEST_TIMEOUT = 30.0
#: How long a write waits for an admission webhook that does not answer yet (see
#: :func:`webhook_unreachable`), and how often it tries again meanwhile.
WEBHOOK_WAIT = 60.0
WEBHOOK_RETRY = 1.0
#: What the API server says when it cannot reach a webhook's server (the Go dialer's and its
#: service resolver's words): a server starting, or a pod being replaced, not a refusal.
_UNREACHABLE = (
    "connection refused",
    "no endpoints available for service",
    "connection reset by peer",
    "i/o timeout",
)


@dataclass(frozen=True)
class Kind:
    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def group_version(self) -> tuple[str, str]:
        group, _, version = self.api_version.rpartition("/")
        return group, version


#: Every (apiVersion, kind) weft reads or writes.
RESOURCES: tuple[Kind, ...] = (
    Kind("v1", "Namespace", "namespaces", namespaced=False),
    Kind("v1", "Node", "nodes", namespaced=False),
    Kind("v1", "Secret", "secrets"),
    Kind("v1", "ServiceAccount", "serviceaccounts"),
    Kind("v1", "ConfigMap", "configmaps"),
    Kind("v1", "Service", "services"),
    Kind("v1", "Pod", "pods"),
    Kind("v1", "Event", "events"),
    Kind("apps/v1", "Deployment", "deployments"),
    Kind("apps/v1", "ReplicaSet", "replicasets"),
    Kind("networking.k8s.io/v1", "Ingress", "ingresses"),
    Kind("networking.k8s.io/v1beta1", "Ingress", "ingresses"),
    Kind("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    Kind("autoscaling/v2beta2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    Kind("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    Kind("policy/v1beta1", "PodDisruptionBudget", "poddisruptionbudgets"),
    Kind("batch/v1", "CronJob", "cronjobs"),
    Kind("batch/v1beta1", "CronJob", "cronjobs"),
    Kind("batch/v1", "Job", "jobs"),
    # the AWS Load Balancer Controller's objects (weft.kube.lb_controller)
    Kind("networking.k8s.io/v1", "IngressClass", "ingressclasses", namespaced=False),
    Kind("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", namespaced=False),
    Kind(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        namespaced=False,
    ),
    Kind("rbac.authorization.k8s.io/v1", "Role", "roles"),
    Kind("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    Kind(
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        namespaced=False,
    ),
    Kind(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        namespaced=False,
    ),
    Kind(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        namespaced=False,
    ),
    # EKS Auto Mode's (weft.kube.auto_mode)
    Kind("eks.amazonaws.com/v1", "IngressClassParams", "ingressclassparams", namespaced=False),
)
_BY_KEY = {(k.api_version, k.kind): k for k in RESOURCES}
_CLASSES: dict[tuple[str, str], Any] = {}
_CLASSES_LOCK = threading.Lock()


def kind_of(api_version: str, kind: str) -> Kind:
    try:
        return _BY_KEY[(api_version, kind)]
    except KeyError:
        raise KubeError(f"weft does not handle {kind} in {api_version}") from None


def _resource(api_version: str, kind: str) -> Any:
    """lightkube's class for the kind: its typed model when it has one (and so registered it),
    else a generic resource (the versions lightkube-models no longer carries, e.g. 1.20's)."""
    key = (api_version, kind)
    with _CLASSES_LOCK:
        if key not in _CLASSES:
            k = kind_of(api_version, kind)
            try:
                _CLASSES[key] = resource_registry.load(api_version, kind)
            except LoadResourceError:
                group, version = k.group_version
                make = create_namespaced_resource if k.namespaced else create_global_resource
                _CLASSES[key] = make(group, version, kind, k.plural)
        return _CLASSES[key]


def describe(obj: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` of an object, for messages."""
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind', '?')} {where}{meta.get('name', '?')}"


class Kube:
    """A connection to one cluster's API (see the module docstring)."""

    def __init__(
        self,
        endpoint: str,
        ca_data: str,
        token: Callable[[], str],
        *,
        cluster: str = "cluster",
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.endpoint = endpoint
        self.cluster = cluster
        self._ca_data = ca_data
        self._token = token
        self._timeout = timeout
        self._client: Client | None = None
        self._made = 0.0
        self._lock = threading.Lock()
        self.requests = 0

    # ------------------------------------------------------------------------------ plumbing
    def _config(self, token: str) -> KubeConfig:
        return KubeConfig.from_dict(
            {
                "clusters": [
                    {
                        "name": self.cluster,
                        "cluster": {
                            "server": self.endpoint,
                            "certificate-authority-data": self._ca_data,
                        },
                    }
                ],
                "users": [{"name": "weft", "user": {"token": token}}],
                "contexts": [
                    {"name": "weft", "context": {"cluster": self.cluster, "user": "weft"}}
                ],
                "current-context": "weft",
            }
        )

    def client(self) -> Client:
        with self._lock:
            if self._client is None or time.monotonic() - self._made > TOKEN_REUSE:
                if self._client is not None:
                    self._client.close()
                self._client = Client(
                    self._config(self._token()),
                    field_manager=FIELD_MANAGER,
                    timeout=httpx.Timeout(self._timeout),
                )
                self._made = time.monotonic()
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        self.requests += 1
        try:
            return fn()
        except ApiError as exc:
            status = exc.status
            raise KubeError(
                f"{what}: {status.code} {status.reason}: {status.message}",
                hint=_hint(status.code),
            ) from exc
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            raise KubeError(f"{what}: HTTP {code}", hint=_hint(code)) from exc
        except httpx.HTTPError as exc:
            raise KubeError(
                f"{what}: the cluster API at {self.endpoint} did not answer ({exc})",
                hint="check that the cluster exists (weft status) and that this machine may "
                "reach its endpoint (cluster.api_cidrs in the fabric file)",
            ) from exc

    # ------------------------------------------------------------------------------- verbs
    def apply(self, obj: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply ``obj`` (field manager ``weft``, forced); the object as stored.

        With ``dry_run``, the API server runs the whole apply (defaulting, admission, the merge
        with what other field managers own) and answers the object as it would store it, but
        stores nothing (``dryRun=All``)."""
        res = _resource(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata") or {}
        body = res.from_dict(dict(obj))
        client: Any = self.client()
        deadline = time.monotonic() + WEBHOOK_WAIT
        while True:
            try:
                result = self._call(
                    f"{'dry-run ' if dry_run else ''}apply {describe(obj)}",
                    lambda: client.apply(
                        body,
                        namespace=meta.get("namespace"),
                        field_manager=FIELD_MANAGER,
                        force=True,
                        dry_run=dry_run,
                    ),
                )
            except KubeError as exc:
                if not webhook_unreachable(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise KubeError(
                        exc.message,
                        hint="an admission webhook of the cluster did not answer for "
                        f"{WEBHOOK_WAIT:.0f}s: check that the pods behind its Service are "
                        "running (the webhook's name is in the message)",
                    ) from exc.__cause__
                time.sleep(WEBHOOK_RETRY)
                continue
            return _plain(result)

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        res = _resource(api_version, kind)
        what = describe({"kind": kind, "metadata": {"name": name, "namespace": namespace}})
        try:
            found = self._call(
                f"read {what}", lambda: self.client().get(res, name, namespace=namespace)
            )
        except KubeError as exc:
            if _status_code(exc) == 404:
                return None
            raise
        return _plain(found)

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Every object of the kind (in ``namespace``, or all) carrying ``labels``."""
        res = _resource(api_version, kind)
        ns: Any = namespace if namespace is not None else "*"
        if not kind_of(api_version, kind).namespaced:
            ns = None
        items = self._call(
            f"list {kind} in {namespace or 'every namespace'}",
            lambda: list(self.client().list(res, namespace=ns, labels=dict(labels or {}))),
        )
        out = []
        for item in items:
            plain = _plain(item)
            plain.setdefault("apiVersion", api_version)
            plain.setdefault("kind", kind)
            out.append(plain)
        return out

    def pod_log(
        self,
        name: str,
        namespace: str,
        container: str,
        *,
        since_seconds: int | None = None,
        follow: bool = False,
    ) -> Iterator[str]:
        """The lines container ``container`` of pod ``namespace/name`` printed (``pods/log``),
        each starting with its RFC 3339 timestamp; with ``follow``, lines keep coming until the
        container ends or the caller stops reading."""
        what = f"read the log of pod {namespace}/{name} ({container})"
        client: Any = self.client()
        lines = self._call(
            what,
            lambda: client.log(
                name,
                namespace=namespace,
                container=container,
                follow=follow,
                since=since_seconds,
                timestamps=True,
            ),
        )
        iterator = iter(lines)
        while True:
            try:
                line = self._call(what, lambda: next(iterator))
            except StopIteration:
                return
            yield str(line)

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        foreground: bool = False,
    ) -> bool:
        """Delete the object; False when it was already gone."""
        res = _resource(api_version, kind)
        what = describe({"kind": kind, "metadata": {"name": name, "namespace": namespace}})
        cascade = CascadeType.FOREGROUND if foreground else CascadeType.BACKGROUND
        try:
            self._call(
                f"delete {what}",
                lambda: self.client().delete(res, name, namespace=namespace, cascade=cascade),
            )
        except KubeError as exc:
            if _status_code(exc) == 404:
                return False
            raise
        return True

    def served_kinds(self, api_versions: Iterable[str]) -> set[tuple[str, str]]:
        """Which (apiVersion, kind) pairs of ``api_versions`` the API server serves.

        Discovery per group version: ``batch/v1`` is served by 1.20 too, with Jobs but without
        CronJobs, so the version alone does not say enough.
        """
        http = self.client()._client  # lightkube's generic client: raw discovery reads
        served: set[tuple[str, str]] = set()
        for api_version in sorted(set(api_versions)):
            path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"

            def read(path: str = path) -> dict[str, Any] | None:
                response = http._client.get(path)
                if response.status_code == 404:
                    return None
                response.raise_for_status()
                return dict(response.json())

            found = self._call(f"read API discovery of {api_version}", read)
            for resource in (found or {}).get("resources") or []:
                if "/" not in resource.get("name", ""):  # not a subresource
                    served.add((api_version, str(resource.get("kind"))))
        return served

    def api_versions(self) -> ApiVersions:
        """The versions to render for this cluster (see :func:`negotiate`)."""
        wanted = {v for _field, versions in NEGOTIATED.values() for v in versions}
        return negotiate(self.served_kinds(wanted))


def negotiate(served: Iterable[tuple[str, str]]) -> ApiVersions:
    """The newest version of each negotiated kind among the (apiVersion, kind) pairs served."""
    served = set(served)
    chosen: dict[str, str] = {}
    for kind, (field, versions) in NEGOTIATED.items():
        usable = [v for v in versions if (v, kind) in served]
        if not usable:
            raise KubeError(
                f"the cluster serves {kind} in none of {', '.join(versions)}",
                hint="weft supports Kubernetes 1.20 and later",
            )
        chosen[field] = usable[0]
    return ApiVersions(**chosen)


def _plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    return dict(obj.to_dict())


def _status_code(exc: KubeError) -> int | None:
    cause = exc.__cause__
    if isinstance(cause, ApiError):
        return int(cause.status.code or 0)
    if isinstance(cause, httpx.HTTPStatusError):
        return cause.response.status_code
    return None


def webhook_unreachable(exc: KubeError) -> bool:
    """Whether the API server failed the call because an admission webhook's server could not
    be reached: what happens in the moments after a webhook's Deployment becomes available (on
    EKS the Service's endpoints, on the local cloud its listener, follow the pods a little
    later) and while its pods are replaced. Worth waiting for; a webhook that answers with a
    refusal, or whose certificate does not verify, is not."""
    if _status_code(exc) != 500:
        return False
    message = exc.message
    return "failed calling webhook" in message and any(w in message for w in _UNREACHABLE)


def _hint(code: int | None) -> str | None:
    if code in (401, 403):
        return (
            "the cluster refused weft's credentials: check that the AWS identity weft runs as "
            "may administer the cluster"
        )
    if code == 409:
        return "another writer changed the object at the same time; run the command again"
    if code == 422:
        return "the API server rejected the object: this is a bug in weft's rendering"
    if code is not None and code >= 500:
        return "the cluster API failed; retry, and check the cluster's health (weft status)"
    return None
