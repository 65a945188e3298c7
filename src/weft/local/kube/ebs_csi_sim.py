"""The Amazon EBS CSI driver simulator: the StorageClasses of the ``aws-ebs-csi-driver`` add-on
and an EBS volume in the local AWS (moto) for each PersistentVolumeClaim of them, only while
the add-on is installed on the cluster, as on EKS.

**Only with the add-on.** The local Kubernetes serves every local EKS cluster; the add-on of a
cluster is what DescribeAddon answers for it (:mod:`weft.local.moto_eks.addon`), looked for in
the regions and clusters of the nodes registered (``weft.local/cluster``). While one runs, the
StorageClasses its configuration lists are made (labelled as EKS labels an add-on's objects)
and removed once no cluster has the add-on any more. Without the add-on a claim of such a class
stays Pending, with no event, as on EKS.

**A volume per claim** (decisions in :mod:`weft.local.kube.ebs_csi`). A Pending claim of a class
whose provisioner is ``ebs.csi.aws.com`` gets its volume once a pod that uses it is on a node
(``WaitForFirstConsumer``; the scheduler's ``volume.kubernetes.io/selected-node`` annotation is
set on the claim): in that node's zone, encrypted, of the class's type, sized and tagged as the
driver does, then a PersistentVolume ``pvc-<uid>`` pre-bound to the claim, which the real
kube-controller-manager binds. A class with ``Immediate`` binding gets the zone of the first
Ready node of the add-on's cluster. A PersistentVolume the simulator made that is Released with
reclaim policy ``Delete`` has its volume deleted, then goes.

**With the add-on's role, as the controller.** Every EC2 call is made with the credentials of
the add-on's IAM role (``serviceAccountRoleArn``), traded for the projected token of
``kube-system/ebs-csi-controller-sa`` with AssumeRoleWithWebIdentity and authorized by the
role's policies (:mod:`weft.local.moto_irsa`), as for the load-balancer controller
(:mod:`weft.local.kube.lb_install`): an add-on without a role (its pods cannot reach the
node's instance metadata: weft's launch templates set a hop limit of 1), or a role that may not
call ``ec2:CreateVolume``, leaves the claim Pending with the external provisioner's Warning
``ProvisioningFailed`` event, retried every :data:`RESYNC_EVERY` seconds.

The pods' own wait for their volume (the scheduler's VolumeBinding) and the volume's
attachment to the node (ControllerPublishVolume) are not simulated: the kubelet simulator runs
a pod whatever its claims.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from lightkube import ALL_NS, ApiError, Client
from lightkube.codecs import from_dict
from lightkube.resources.core_v1 import Node, PersistentVolume, PersistentVolumeClaim, Pod
from lightkube.resources.storage_v1 import StorageClass
from lightkube.types import PatchType

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.kube import ebs_csi
from weft.local.kube.ebs_csi import Addon
from weft.local.kube.event import emit_event
from weft.local.kube.meta import meta
from weft.local.kube.node import is_ready
from weft.local.moto_irsa import projected_token

log = logging.getLogger("weft.local.kube.ebs")

RESYNC_EVERY = 2.0
COMPONENT = "ebs.csi.aws.com_ebs-csi-controller"
#: Seconds role credentials are reused before they are asked for again.
CREDENTIALS_REUSE = 600.0


class NotProvisioned(Exception):
    """The driver cannot make the volume: the message is its ProvisioningFailed event."""


class EbsCsiDriver:
    def __init__(self, client: Client, aws_endpoint: str, stop: threading.Event) -> None:
        self.client = client
        self.endpoint = aws_endpoint
        self.stop = stop
        self._credentials: dict[tuple[Addon, str], tuple[float, dict[str, str]]] = {}
        self._warned: dict[str, str] = {}

    def start(self) -> None:
        threading.Thread(target=self._loop, name="ebs-csi", daemon=True).start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.sync()
            except Exception:  # a simulator thread must not die: log and retry
                log.exception("EBS CSI driver: sync failed")
            self.stop.wait(RESYNC_EVERY)

    # ------------------------------------------------------------------ what the cloud holds
    def _plain(self, service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        )

    def addons(self, nodes: list[dict[str, Any]]) -> dict[tuple[str, str], Addon]:
        """The EBS CSI add-on of each cluster whose nodes are registered, by (region, cluster)."""
        wanted = sorted(
            {
                (labels[ebs_csi.REGION_LABEL], labels[ebs_csi.CLUSTER_LABEL])
                for labels in ((meta(n).get("labels") or {}) for n in nodes)
                if labels.get(ebs_csi.REGION_LABEL) and labels.get(ebs_csi.CLUSTER_LABEL)
            }
        )
        found: dict[tuple[str, str], Addon] = {}
        for region, cluster in wanted:
            try:
                described = self._plain("eks", region).describe_addon(
                    clusterName=cluster, addonName=ebs_csi.ADDON
                )["addon"]
            except (ClientError, BotoCoreError):
                continue
            addon = ebs_csi.addon_of(cluster, region, described)
            if addon is not None:
                found[(region, cluster)] = addon
        return found

    def _ec2(self, addon: Addon) -> Any:
        """An EC2 client with the add-on's role session; raises NotProvisioned."""
        if not addon.role_arn:
            raise NotProvisioned(
                "rpc error: code = Internal desc = could not create volume in EC2: "
                "NoCredentialProviders: no valid providers in chain (the add-on has no service "
                "account role, and the node's instance metadata is out of reach)"
            )
        key = (addon, addon.role_arn)
        cached = self._credentials.get(key)
        if cached is None or time.monotonic() - cached[0] > CREDENTIALS_REUSE:
            try:
                token = projected_token(
                    self.endpoint,
                    cluster=addon.cluster,
                    region=addon.region,
                    namespace=ebs_csi.NAMESPACE,
                    service_account=ebs_csi.SERVICE_ACCOUNT,
                )
                answer = self._plain("sts", addon.region).assume_role_with_web_identity(
                    RoleArn=addon.role_arn,
                    RoleSessionName=f"ebs-csi-{int(time.time())}",
                    WebIdentityToken=token,
                )
            except ClientError as exc:
                err = exc.response.get("Error") or {}
                raise NotProvisioned(
                    "rpc error: code = Internal desc = could not create volume in EC2: "
                    f"WebIdentityErr: failed to retrieve credentials caused by: "
                    f"{err.get('Code')}: {err.get('Message')}"
                ) from exc
            except (OSError, BotoCoreError) as exc:
                raise NotProvisioned(
                    f"rpc error: code = Internal desc = could not create volume in EC2: {exc}"
                ) from exc
            c = answer["Credentials"]
            cached = (
                time.monotonic(),
                {
                    "aws_access_key_id": c["AccessKeyId"],
                    "aws_secret_access_key": c["SecretAccessKey"],
                    "aws_session_token": c["SessionToken"],
                },
            )
            self._credentials[key] = cached
        region = addon.region
        return boto3.client("ec2", region_name=region, endpoint_url=self.endpoint, **cached[1])

    # ------------------------------------------------------------------ the loop's one pass
    def sync(self) -> None:
        nodes = [dict(n.to_dict()) for n in self.client.list(Node)]
        addons = self.addons(nodes)
        classes = self.storage_classes(addons)
        pods = [dict(p.to_dict()) for p in self.client.list(Pod, namespace=ALL_NS)]
        for claim in self.client.list(PersistentVolumeClaim, namespace=ALL_NS):
            pvc = dict(claim.to_dict())
            if ebs_csi.waits(pvc):
                self.provision(pvc, classes, addons, nodes, pods)
        self.reclaim(addons)

    def storage_classes(self, addons: dict[tuple[str, str], Addon]) -> dict[str, dict[str, Any]]:
        """Make the StorageClasses the add-ons list (remove the ones no add-on lists any more);
        every StorageClass of the cluster, by name."""
        found = [dict(c.to_dict()) for c in self.client.list(StorageClass)]
        have = {meta(c)["name"]: c for c in found}
        wanted: dict[str, dict[str, Any]] = {}
        for _key, addon in sorted(addons.items()):
            for spec in addon.storage_classes:
                body = ebs_csi.storage_class(addon, spec)
                wanted.setdefault(body["metadata"]["name"], body)
        for name, body in wanted.items():
            if name not in have:
                try:
                    self.client.create(from_dict(body))
                    have[name] = body
                    log.info("EBS CSI add-on: StorageClass %s made", name)
                except ApiError as exc:
                    log.warning("EBS CSI add-on: StorageClass %s not made: %s", name, exc)
        for name, sc in list(have.items()):
            labels = meta(sc).get("labels") or {}
            ours = all(labels.get(k) == v for k, v in ebs_csi.ADDON_LABELS.items())
            if ours and name not in wanted:
                try:
                    self.client.delete(StorageClass, name)
                    del have[name]
                    log.info("EBS CSI add-on gone: StorageClass %s removed", name)
                except ApiError as exc:
                    log.warning("StorageClass %s not removed: %s", name, exc)
        return have

    def provision(
        self,
        pvc: dict[str, Any],
        classes: dict[str, dict[str, Any]],
        addons: dict[tuple[str, str], Addon],
        nodes: list[dict[str, Any]],
        pods: list[dict[str, Any]],
    ) -> None:
        sc = ebs_csi.class_of(pvc, classes)
        if sc is None or sc.get("provisioner") != ebs_csi.PROVISIONER:
            return
        m = meta(pvc)
        node = self._node_for(pvc, sc, nodes, pods, addons)
        if node is None:
            return
        labels = meta(node).get("labels") or {}
        addon = addons.get(
            (labels.get(ebs_csi.REGION_LABEL, ""), labels.get(ebs_csi.CLUSTER_LABEL, ""))
        )
        if addon is None:  # the node's cluster runs no EBS CSI driver: nothing answers
            return
        zone = str(labels.get(ebs_csi.ZONE_LABEL) or "")
        name = ebs_csi.pv_name(pvc)
        try:
            if (m.get("annotations") or {}).get(ebs_csi.SELECTED_NODE) != meta(node)["name"]:
                self.client.patch(
                    PersistentVolumeClaim,
                    m["name"],
                    {"metadata": {"annotations": {ebs_csi.SELECTED_NODE: meta(node)["name"]}}},
                    namespace=m["namespace"],
                    patch_type=PatchType.MERGE,
                )
            volume_id, size = self._volume(addon, pvc, sc, zone)
            self.client.create(from_dict(ebs_csi.persistent_volume(pvc, sc, volume_id, size, zone)))
        except NotProvisioned as exc:
            self._warn(pvc, sc, str(exc))
            return
        except ApiError as exc:
            if exc.status.code != 409:  # 409: made by an earlier pass, binding under way
                log.warning("PersistentVolume %s not made: %s", name, exc)
            return
        self._warned.pop(f"{m.get('namespace')}/{m.get('name')}", None)
        emit_event(
            self.client,
            pvc,
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {name}",
            component=COMPONENT,
        )
        log.info("EBS volume for %s/%s in %s: %s", m.get("namespace"), m.get("name"), zone, name)

    def _node_for(
        self,
        pvc: dict[str, Any],
        sc: dict[str, Any],
        nodes: list[dict[str, Any]],
        pods: list[dict[str, Any]],
        addons: dict[tuple[str, str], Addon],
    ) -> dict[str, Any] | None:
        """The node whose zone the volume goes to: that of the claim's first pod placed
        (WaitForFirstConsumer), or any Ready node of a cluster with the add-on (Immediate)."""
        m = meta(pvc)
        by_name = {meta(n)["name"]: n for n in nodes}
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer":
            for pod in sorted(pods, key=lambda p: str(meta(p).get("creationTimestamp"))):
                if meta(pod).get("namespace") != m.get("namespace"):
                    continue
                where = (pod.get("spec") or {}).get("nodeName")
                if where in by_name and m.get("name") in ebs_csi.claims_of(pod):
                    return by_name[where]
            return None
        for node in sorted(nodes, key=lambda n: str(meta(n)["name"])):
            labels = meta(node).get("labels") or {}
            pair = (labels.get(ebs_csi.REGION_LABEL, ""), labels.get(ebs_csi.CLUSTER_LABEL, ""))
            if pair in addons and is_ready(node):
                return node
        return None

    def _volume(
        self, addon: Addon, pvc: dict[str, Any], sc: dict[str, Any], zone: str
    ) -> tuple[str, int]:
        """The volume made for ``pvc`` (one an earlier pass made, found by its tag, is kept)."""
        ec2 = self._ec2(addon)
        name = ebs_csi.pv_name(pvc)
        request = ebs_csi.volume_request(addon, pvc, sc, zone)
        try:
            found = ec2.describe_volumes(Filters=[{"Name": "tag:CSIVolumeName", "Values": [name]}])[
                "Volumes"
            ]
            if found:
                return str(found[0]["VolumeId"]), int(found[0]["Size"])
            made = ec2.create_volume(**request)
        except ClientError as exc:
            err = exc.response.get("Error") or {}
            raise NotProvisioned(
                f'rpc error: code = Internal desc = Could not create volume "{name}": could '
                f"not create volume in EC2: operation error EC2: CreateVolume, api error "
                f"{err.get('Code')}: {err.get('Message')}"
            ) from exc
        except BotoCoreError as exc:
            raise NotProvisioned(f"rpc error: code = Internal desc = {exc}") from exc
        return str(made["VolumeId"]), int(made["Size"])

    def _warn(self, pvc: dict[str, Any], sc: dict[str, Any], message: str) -> None:
        m = meta(pvc)
        text = f'failed to provision volume with StorageClass "{meta(sc).get("name")}": {message}'
        key = f"{m.get('namespace')}/{m.get('name')}"
        if self._warned.get(key) == text:
            return
        self._warned[key] = text
        log.warning("%s: %s", key, text)
        emit_event(
            self.client, pvc, "ProvisioningFailed", text, type_="Warning", component=COMPONENT
        )

    def reclaim(self, addons: dict[tuple[str, str], Addon]) -> None:
        """Delete the volume of each Released PersistentVolume of ours whose policy is Delete,
        then the PersistentVolume."""
        for item in self.client.list(PersistentVolume):
            pv = dict(item.to_dict())
            spec = pv.get("spec") or {}
            annotations = meta(pv).get("annotations") or {}
            if (
                annotations.get(ebs_csi.PROVISIONED_BY) != ebs_csi.PROVISIONER
                or (pv.get("status") or {}).get("phase") != "Released"
                or spec.get("persistentVolumeReclaimPolicy") != "Delete"
            ):
                continue
            zone = self._zone_of(pv)
            volume_id = str((spec.get("csi") or {}).get("volumeHandle") or "")
            addon = next(
                (a for a in addons.values() if zone.startswith(a.region)),
                None,
            )
            if addon is None or not volume_id:
                continue
            try:
                self._ec2(addon).delete_volume(VolumeId=volume_id)
            except ClientError as exc:
                code = (exc.response.get("Error") or {}).get("Code")
                if code != "InvalidVolume.NotFound":
                    log.warning("volume %s not deleted: %s", volume_id, exc)
                    continue
            except (NotProvisioned, BotoCoreError) as exc:
                log.warning("volume %s not deleted: %s", volume_id, exc)
                continue
            try:
                self.client.delete(PersistentVolume, meta(pv)["name"])
            except ApiError as exc:
                log.warning("PersistentVolume %s not deleted: %s", meta(pv)["name"], exc)

    @staticmethod
    def _zone_of(pv: dict[str, Any]) -> str:
        terms = (((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}).get(
            "nodeSelectorTerms"
        ) or []
        for term in terms:
            for expr in term.get("matchExpressions") or []:
                if expr.get("key") == ebs_csi.ZONE_LABEL and expr.get("values"):
                    return str(expr["values"][0])
        return ""
