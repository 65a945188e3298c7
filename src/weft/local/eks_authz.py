"""The local cloud's EKS authorizer: what an access entry's access policies allow, as a webhook.

On EKS, what a principal may do through its access entry is decided by EKS's own authorizer,
after Kubernetes RBAC ("Associate access policies with access entries", Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html): each associated access
policy allows what its documented permissions list ("Review access policy permissions", same
guide, https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html), over
the whole cluster or over the namespaces of its scope.

The local Kubernetes does the same: its ``--authorization-mode=RBAC,Webhook`` asks
``<local AWS URL>{PATH}`` (:func:`wrap`, served by the moto process next to the authenticator)
about every request RBAC does not allow. The authenticator (:mod:`weft.local.eks_auth`) puts
each association of the principal in a group of the ``system:`` namespace (which no access entry
may name, so no one can claim one): :func:`policy_group`. :func:`decide` reads those groups:

- ``AmazonEKSClusterAdminPolicy`` at cluster scope never gets here (the authenticator puts its
  principal in ``system:masters``); at namespace scope it allows everything in the namespaces;
- ``AmazonEKSAdminPolicy``: as Kubernetes' ``admin`` role: ``edit``, plus Roles and RoleBindings;
- ``AmazonEKSEditPolicy``: as ``edit``: reads, and writes of workloads, Services, ConfigMaps,
  Secrets, PVCs, Ingresses, NetworkPolicies, autoscalers, disruption budgets, ServiceAccounts;
  no RBAC, no quotas;
- ``AmazonEKSViewPolicy``: as ``view``: reads of those, never Secrets;
- ``AmazonEKSAdminViewPolicy``: reads of everything, Secrets included.

A namespace scope allows requests in its namespaces only (and reading those Namespace objects);
a cluster scope allows the same in every namespace, and reading Namespaces. Anything else
(nodes, cluster-wide objects) is refused, as EKS's policies do. The resource lists are the
Kubernetes roles' main ones, not every group they name: where they differ, the local cloud is
the stricter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

PATH = "/weft-local/eks/authorize"
GROUP_PREFIX = "system:weft-local:eks-access-policy:"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

READ = frozenset({"get", "list", "watch"})
WRITE = frozenset({"create", "update", "patch", "delete", "deletecollection"})

#: (API group, resource or resource/subresource) that ``view`` reads.
_VIEWABLE = frozenset(
    {
        ("", r)
        for r in (
            "pods",
            "pods/log",
            "pods/status",
            "services",
            "services/status",
            "endpoints",
            "configmaps",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "events",
            "limitranges",
            "resourcequotas",
            "resourcequotas/status",
            "bindings",
        )
    }
    | {
        ("apps", r)
        for r in (
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
            "daemonsets",
            "daemonsets/status",
            "controllerrevisions",
        )
    }
    | {("batch", r) for r in ("jobs", "jobs/status", "cronjobs", "cronjobs/status")}
    | {
        ("autoscaling", "horizontalpodautoscalers"),
        ("autoscaling", "horizontalpodautoscalers/status"),
    }
    | {("networking.k8s.io", r) for r in ("ingresses", "ingresses/status", "networkpolicies")}
    | {("policy", "poddisruptionbudgets"), ("policy", "poddisruptionbudgets/status")}
    | {("discovery.k8s.io", "endpointslices"), ("events.k8s.io", "events")}
)
#: What ``edit`` writes (and reads, with :data:`_VIEWABLE`).
_EDITABLE = frozenset(
    {
        ("", r)
        for r in (
            "pods",
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
            "pods/eviction",
            "services",
            "services/proxy",
            "endpoints",
            "configmaps",
            "secrets",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "serviceaccounts/token",
        )
    }
    | {
        ("apps", r)
        for r in (
            "deployments",
            "deployments/scale",
            "deployments/rollback",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
            "daemonsets",
        )
    }
    | {("batch", r) for r in ("jobs", "cronjobs")}
    | {("autoscaling", "horizontalpodautoscalers")}
    | {("networking.k8s.io", r) for r in ("ingresses", "networkpolicies")}
    | {("policy", "poddisruptionbudgets")}
)
#: What ``admin`` adds to ``edit``.
_ADMIN_ONLY = frozenset(
    {
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("authorization.k8s.io", "localsubjectaccessreviews"),
    }
)


def policy_group(policy: str, namespace: str | None = None) -> str:
    """The group the authenticator gives a principal for an association of ``policy`` (its
    name, e.g. AmazonEKSViewPolicy), at cluster scope or in ``namespace``."""
    return f"{GROUP_PREFIX}{policy}" + (f":{namespace}" if namespace else "")


def _grants(groups: Iterable[str]) -> list[tuple[str, str | None]]:
    """(policy name, namespace or None for the whole cluster) of each policy group."""
    found: list[tuple[str, str | None]] = []
    for group in groups:
        if group.startswith(GROUP_PREFIX):
            policy, _, namespace = group.removeprefix(GROUP_PREFIX).partition(":")
            found.append((policy, namespace or None))
    return found


def policy_allows(policy: str, verb: str, api_group: str, resource: str) -> bool:
    """Whether ``policy`` allows ``verb`` on ``resource`` (``pods`` or ``pods/log``) of
    ``api_group``, in a namespace it covers."""
    key = (api_group, resource)
    if policy == "AmazonEKSClusterAdminPolicy":
        return True
    if policy == "AmazonEKSAdminViewPolicy":
        return verb in READ
    view = verb in READ and key in _VIEWABLE
    if policy == "AmazonEKSViewPolicy":
        return view
    edit = view or (key in _EDITABLE and (verb in READ | WRITE or resource.endswith("/token")))
    if policy == "AmazonEKSEditPolicy":
        return edit
    if policy == "AmazonEKSAdminPolicy":
        return edit or (
            key in _ADMIN_ONLY and (verb in READ | WRITE or verb in ("bind", "escalate"))
        )
    return False


def decide(spec: Mapping[str, Any]) -> tuple[bool, str]:
    """(allowed, reason) for a SubjectAccessReview's ``spec``."""
    grants = _grants(spec.get("groups") or [])
    if not grants:
        return False, "no EKS access policy is associated with this principal"
    attributes = spec.get("resourceAttributes")
    if not attributes:
        return False, "EKS access policies allow no non-resource URLs beyond discovery"
    verb = str(attributes.get("verb") or "")
    api_group = str(attributes.get("group") or "")
    resource = str(attributes.get("resource") or "")
    if attributes.get("subresource"):
        resource = f"{resource}/{attributes['subresource']}"
    namespace = attributes.get("namespace") or None
    name = attributes.get("name") or None
    for policy, scope in grants:
        if api_group == "" and resource == "namespaces" and verb in READ:
            # a cluster scope reads every Namespace; a namespace scope its own
            if scope is None or (verb == "get" and name == scope):
                return True, f"{policy} allows reading namespaces"
            continue
        if namespace is None and scope is not None:
            continue  # cluster-wide: only a cluster scope reaches it
        if scope is not None and namespace != scope:
            continue
        if namespace is None and policy != "AmazonEKSAdminViewPolicy" and not _namespaced(resource):
            continue
        if policy_allows(policy, verb, api_group, resource):
            where = f"in namespace {scope}" if scope else "in the cluster"
            return True, f"{policy} {where} allows {verb} {resource}"
    return False, "no EKS access policy of this principal allows it"


def _namespaced(resource: str) -> bool:
    """Whether a request across all namespaces is for a namespaced resource weft's policies
    cover (a list of pods in every namespace, not nodes)."""
    keys = {r for _group, r in _VIEWABLE | _EDITABLE | _ADMIN_ONLY}
    return resource in keys


def answer(body: Mapping[str, Any]) -> dict[str, Any]:
    """The SubjectAccessReview answer for a SubjectAccessReview request."""
    allowed, reason = decide(body.get("spec") or {})
    return {
        "apiVersion": body.get("apiVersion") or "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "status": {"allowed": allowed, "reason": reason},
    }


def wrap(app: WsgiApp) -> WsgiApp:
    """The moto WSGI application with the authorizer answering on :data:`PATH`."""

    def webhook(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(size) or b"{}")
        except (ValueError, OSError):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"expected a SubjectAccessReview in JSON\n"]
        payload = json.dumps(answer(request)).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    return webhook


def webhook_kubeconfig(aws_endpoint: str) -> dict[str, Any]:
    """The kubeconfig-shaped file kube-apiserver reads to find the authorizer."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "eks-authorizer", "cluster": {"server": aws_endpoint + PATH}}],
        "users": [{"name": "kube-apiserver", "user": {}}],
        "contexts": [
            {"name": "webhook", "context": {"cluster": "eks-authorizer", "user": "kube-apiserver"}}
        ],
        "current-context": "webhook",
    }
