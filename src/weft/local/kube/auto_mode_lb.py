"""EKS Auto Mode's built-in load-balancer controller, simulated: load balancers in the local AWS
for the Ingresses and Services of Auto Mode's classes, only on an Auto Mode cluster.

On an Auto Mode cluster EKS runs a load-balancer controller of its own, with no Deployment in
the cluster ("Create an IngressClass to configure an Application Load Balancer" and "Use
Service Annotations to configure Network Load Balancers", Amazon EKS User Guide). It answers:

- Ingresses of an IngressClass whose controller is ``eks.amazonaws.com/alb``; the scheme, the
  group and the certificates come from the class's ``IngressClassParams``
  (``eks.amazonaws.com/v1``: ``scheme``, ``group.name``, ``certificateARNs``), not from the
  ``alb.ingress.kubernetes.io/scheme``, ``group.name`` or ``certificate-arn`` annotations,
  which Auto Mode does not read (the other annotations, listen ports, redirect, TLS policy,
  health check, it reads as the AWS Load Balancer Controller does);
- Services of ``loadBalancerClass: eks.amazonaws.com/nlb`` (not the
  ``aws-load-balancer-type`` annotation).

The local cloud's EKS lists its Auto Mode clusters in ``auto_mode.json``
(:mod:`weft.local.moto_eks.auto_mode`). While one is listed, this simulator acts as that
controller, for its cluster, region and VPC (the load balancers, target groups, listeners and
security groups as :mod:`.lb_sim` makes them, tagged ``elbv2.k8s.aws/cluster``), and EKS's
IngressClassParams CRD is served. While none is, nothing serves those classes, as on a cluster
without Auto Mode: the Ingress or Service gets a Warning event saying so, and the CRD is not
served (EKS makes it only on Auto Mode clusters). The local Kubernetes serves every local
cluster: the first Auto Mode cluster listed is the one acted for.

Its AWS calls are made with the local cloud's own credentials (EKS acts with the cluster role,
whose policies the simulator does not evaluate).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from lightkube import ApiError, codecs
from lightkube.generic_resource import create_global_resource
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from weft.local.kube import load_balancer as lb_rules
from weft.local.kube.lb_install import Installed
from weft.local.kube.lb_sim import LoadBalancerController
from weft.local.kube.load_balancer import INGRESS_FINALIZER, SERVICE_FINALIZER
from weft.local.kube.meta import meta

log = logging.getLogger("weft.local.kube.auto_mode")

ALB_CONTROLLER = "eks.amazonaws.com/alb"
NLB_CLASS = "eks.amazonaws.com/nlb"
GROUP = "eks.amazonaws.com"
CRD_NAME = f"ingressclassparams.{GROUP}"
STATE_FILE = "auto_mode.json"
_ALB = lb_rules.ALB
#: The annotations Auto Mode takes from IngressClassParams instead.
_FROM_PARAMS = (_ALB + "scheme", _ALB + "group.name", _ALB + "certificate-arn")
IngressClassParams = create_global_resource(GROUP, "v1", "IngressClassParams", "ingressclassparams")
CRD_EVERY = 0.5


def auto_clusters(state_dir: Path) -> list[dict[str, Any]]:
    """The Auto Mode clusters the local EKS lists (none when it lists none)."""
    try:
        found = json.loads((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [c for c in found if isinstance(c, dict) and c.get("cluster")]


def as_controller_reads(ing: dict[str, Any], params: dict[str, Any] | None) -> dict[str, Any]:
    """The Ingress with the scheme, group and certificates of its IngressClassParams in the
    annotations the shared rules (:mod:`.load_balancer`) read, its own of those dropped (pure)."""
    spec = (params or {}).get("spec") or {}
    notes = {k: v for k, v in (meta(ing).get("annotations") or {}).items() if k not in _FROM_PARAMS}
    notes[_ALB + "scheme"] = str(spec.get("scheme") or lb_rules.DEFAULT_SCHEME)
    group = (spec.get("group") or {}).get("name")
    if group:
        notes[_ALB + "group.name"] = str(group)
    certs = [str(c) for c in spec.get("certificateARNs") or []]
    if certs:
        notes[_ALB + "certificate-arn"] = ",".join(certs)
    return {**ing, "metadata": {**meta(ing), "annotations": notes}}


def params_crd() -> dict[str, Any]:
    """The IngressClassParams CRD EKS serves on an Auto Mode cluster (its fields open)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD_NAME, "labels": {"weft.local/made-by": "eks-auto-mode"}},
        "spec": {
            "group": GROUP,
            "scope": "Cluster",
            "names": {
                "plural": "ingressclassparams",
                "singular": "ingressclassparams",
                "kind": "IngressClassParams",
                "listKind": "IngressClassParamsList",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


class AutoModeController(LoadBalancerController):
    """Auto Mode's controller (see the module docstring), on :class:`.lb_sim`'s machinery."""

    component = "eks-auto-mode"

    def controller(self) -> Installed | None:
        clusters = auto_clusters(self.state_dir)
        if not clusters:
            return None
        first = clusters[0]
        return Installed(
            namespace="kube-system",
            deployment="eks-auto-mode",
            service_account="",
            cluster=str(first["cluster"]),
            region=str(first.get("region") or self.default_region),
            vpc_id=str(first.get("vpc_id") or ""),
            ingress_class="",
            lb_class=NLB_CLASS,
        )

    def _aws(self, ctl: Installed, service: str) -> Any:
        return self.credentials._plain(service, ctl.region)

    def _classes(self) -> dict[str, str]:
        return LoadBalancerController.ingress_classes(self)

    def ingress_classes(self) -> dict[str, str]:
        """The classes, Auto Mode's given the name the shared rules know a controller by."""
        return {
            name: lb_rules.CONTROLLER if controller == ALB_CONTROLLER else ""
            for name, controller in self._classes().items()
        }

    def _params(self, class_name: str) -> dict[str, Any] | None:
        from lightkube.resources.networking_v1 import IngressClass

        try:
            ing_class = self.client.get(IngressClass, class_name)
            ref = ing_class.spec.parameters if ing_class.spec else None
            if ref is None or ref.kind != "IngressClassParams":
                return None
            found: Any = self.client.get(IngressClassParams, ref.name)
        except ApiError as exc:
            if exc.status.code == 404:
                return None
            raise
        return dict(found.to_dict())

    def reconcile_ingress(self, ing: dict[str, Any]) -> None:
        name = (ing.get("spec") or {}).get("ingressClassName")
        ours = INGRESS_FINALIZER in (meta(ing).get("finalizers") or [])
        if not name or self._classes().get(str(name)) != ALB_CONTROLLER:
            if ours:
                super().reconcile_ingress(ing)  # it left Auto Mode's class: its ALB goes
            return
        if self.controller() is None:
            if not meta(ing).get("deletionTimestamp"):
                self._warn(
                    ing,
                    "NoController",
                    f"IngressClass {name} names controller {ALB_CONTROLLER}, which runs only "
                    "on an EKS Auto Mode cluster: nothing serves this Ingress",
                )
            return
        super().reconcile_ingress(as_controller_reads(ing, self._params(str(name))))

    def reconcile_service(self, svc: dict[str, Any]) -> None:
        spec = svc.get("spec") or {}
        ours = SERVICE_FINALIZER in (meta(svc).get("finalizers") or [])
        if spec.get("loadBalancerClass") != NLB_CLASS:
            return
        if self.controller() is None:
            if lb_rules.wants_lb(svc) and not ours:
                self._warn(
                    svc,
                    "NoController",
                    f"loadBalancerClass {NLB_CLASS} is served only on an EKS Auto Mode "
                    "cluster: nothing makes this Service's load balancer",
                )
            return
        super().reconcile_service(svc)

    # ------------------------------------------------------------------------------- the CRD
    def sync_crd(self) -> None:
        """Serve the IngressClassParams CRD exactly while an Auto Mode cluster is listed."""
        wanted = bool(auto_clusters(self.state_dir))
        try:
            found = self.client.get(CustomResourceDefinition, CRD_NAME)
            present = True
            labels = (found.metadata.labels if found.metadata else None) or {}
            ours = labels.get("weft.local/made-by") == "eks-auto-mode"
        except ApiError as exc:
            if exc.status.code != 404:
                raise
            present = ours = False
        if wanted and not present:
            self.client.create(codecs.from_dict(params_crd()))
            log.info("Auto Mode cluster listed: CRD %s served", CRD_NAME)
        elif present and ours and not wanted:
            self.client.delete(CustomResourceDefinition, CRD_NAME)
            log.info("no Auto Mode cluster: CRD %s removed", CRD_NAME)

    def crd_loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.sync_crd()
            except ApiError as exc:
                if exc.status.code != 409:
                    log.warning("Auto Mode CRD: %s", exc)
            except Exception:
                log.exception("Auto Mode CRD sync failed")
            self.stop.wait(CRD_EVERY)

    def start(self) -> list[threading.Thread]:
        threads = super().start()
        crd = threading.Thread(target=self.crd_loop, name="auto-mode-crd", daemon=True)
        crd.start()
        return [*threads, crd]
