"""EKS Auto Mode's nodes, simulated: an EC2 instance, and a node of the local Kubernetes, for
pods nothing can run, and idle ones retired.

On an Auto Mode cluster EKS launches nodes itself, from its built-in node pools, when pods are
pending that no node can take, and consolidates nodes that run nothing ("Learn about EKS Auto
Mode managed instances" and "Create a Node Pool for EKS Auto Mode", Amazon EKS User Guide): each
is an EC2 instance owned by EKS, labelled ``eks.amazonaws.com/compute-type: auto`` and with its
node pool (``karpenter.sh/nodepool``). While the local EKS lists an Auto Mode cluster
(``auto_mode.json``, :mod:`weft.local.moto_eks.auto_mode`), :class:`AutoModeNodes` does that:

- a pending pod that no node takes, and that a node of the ``general-purpose`` pool would fit
  (its node selector, affinity and tolerations), gets one new instance (at most one launch per
  :data:`LAUNCH_EVERY` seconds, so the scheduler places what the new node takes first), in one
  of the cluster's subnets, round robin, with the cluster security group, tagged
  ``eks:eks-cluster-name`` and ``eks:kubernetes-node-pool-name``;
- a node that runs no pod (DaemonSets' aside) for :data:`IDLE_AFTER` seconds is retired: its
  instance terminated, its node gone.

The nodes are listed in ``auto_nodes.json``, which the kubelet simulator follows next to
``nodes.json`` (:func:`weft.local.kube.kubelet_sim.load_nodes`): while that file exists, the
simulator's three generic nodes are not made, so on an Auto Mode cluster without node groups
only Auto Mode's nodes run pods, as on EKS. When no Auto Mode cluster is listed any more (it was
deleted: the local EKS then terminates its instances), the file goes.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from lightkube import ALL_NS, ApiError, Client
from lightkube.resources.core_v1 import Pod

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.kube import scheduling
from weft.local.kube.auto_mode_lb import auto_clusters
from weft.local.kube.meta import meta

log = logging.getLogger("weft.local.kube.auto_mode_nodes")

STATE_FILE = "auto_nodes.json"
COMPUTE_TYPE = "eks.amazonaws.com/compute-type"
NODE_POOL_LABEL = "karpenter.sh/nodepool"
NODE_POOL = "general-purpose"
INSTANCE_TYPE = "m7i.large"
#: The image of the simulated nodes (moto does not check images unless told to).
NODE_IMAGE = "ami-0eks0auto0node0"
#: The tag the local EKS finds Auto Mode's instances by when their cluster goes.
AUTO_TAG = "weft.local/eks-auto-mode"
LAUNCH_EVERY = 3.0
IDLE_AFTER = 20.0
EVERY = 1.0


def load(state_dir: Path) -> list[dict[str, Any]] | None:
    """The Auto Mode nodes listed, or None when there is no list (no Auto Mode cluster)."""
    try:
        data = json.loads((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return (
        [n for n in data if isinstance(n, dict) and n.get("name")]
        if isinstance(data, list)
        else None
    )


def template(cluster: str, zone: str, region: str) -> dict[str, Any]:
    """A Ready node of the ``general-purpose`` pool, as the scheduler's rules judge one."""
    return {
        "metadata": {"name": "auto-template", "labels": node_labels(cluster, zone, region)},
        "spec": {},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def node_labels(cluster: str, zone: str, region: str) -> dict[str, str]:
    return {
        COMPUTE_TYPE: "auto",
        NODE_POOL_LABEL: NODE_POOL,
        "eks.amazonaws.com/nodeclass": "default",
        "node.kubernetes.io/instance-type": INSTANCE_TYPE,
        "topology.kubernetes.io/zone": zone,
        "topology.kubernetes.io/region": region,
        "weft.local/cluster": cluster,
    }


def wants_node(pods: list[dict[str, Any]], fits: dict[str, Any], *, any_node: bool) -> bool:
    """Whether a pending pod no node took (``any_node``: whether there is a node at all) would
    fit a new node like ``fits`` (pure)."""
    for pod in pods:
        conditions = (pod.get("status") or {}).get("conditions") or []
        refused = not any_node or any(
            c.get("type") == "PodScheduled"
            and c.get("status") == "False"
            and c.get("reason") == "Unschedulable"
            for c in conditions
        )
        if scheduling.is_pending(pod) and refused and scheduling.fit_problem(pod, fits) is None:
            return True
    return False


def idle_nodes(
    nodes: list[str], pods: list[dict[str, Any]], since: dict[str, float], now: float
) -> list[str]:
    """The nodes that ran no pod (but DaemonSets') for :data:`IDLE_AFTER` seconds; ``since``
    (node -> when it was first seen idle) is kept up to date (pure but for it)."""
    busy = set()
    for pod in pods:
        owners = meta(pod).get("ownerReferences") or []
        if any(o.get("kind") == "DaemonSet" for o in owners):
            continue
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            busy.add(node)
    out = []
    for name in nodes:
        if name in busy:
            since.pop(name, None)
            continue
        first = since.setdefault(name, now)
        if now - first >= IDLE_AFTER:
            out.append(name)
    return out


class AutoModeNodes:
    """Launches and retires Auto Mode's nodes (see the module docstring)."""

    def __init__(
        self,
        client: Client,
        state_dir: Path,
        aws_endpoint: str,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.state_dir = state_dir
        self.endpoint = aws_endpoint
        self.stop = stop
        self.clock = clock
        self.last_launch = -LAUNCH_EVERY
        self.idle_since: dict[str, float] = {}
        self.rr = itertools.count()

    def _ec2(self, region: str) -> Any:
        return boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        )

    def _write(self, nodes: list[dict[str, Any]] | None) -> None:
        path = self.state_dir / STATE_FILE
        if nodes is None:
            path.unlink(missing_ok=True)
            return
        text = json.dumps(nodes, indent=1)
        with contextlib.suppress(OSError):
            if path.read_text() == text:
                return  # unchanged: the kubelet simulator follows the file's changes
        tmp = path.with_suffix(".auto.tmp")
        tmp.write_text(text)
        tmp.replace(path)

    def _launch(self, cluster: dict[str, Any]) -> dict[str, Any] | None:
        name, region = str(cluster["cluster"]), str(cluster.get("region"))
        subnets = list(cluster.get("subnet_ids") or [])
        if not subnets:
            return None
        ec2 = self._ec2(region)
        subnet = subnets[next(self.rr) % len(subnets)]
        groups = [cluster["security_group"]] if cluster.get("security_group") else []
        tags = [
            {"Key": "eks:eks-cluster-name", "Value": name},
            {"Key": "eks:kubernetes-node-pool-name", "Value": NODE_POOL},
            {"Key": f"kubernetes.io/cluster/{name}", "Value": "owned"},
            {"Key": AUTO_TAG, "Value": name},
        ]
        (instance,) = ec2.run_instances(
            ImageId=NODE_IMAGE,
            InstanceType=INSTANCE_TYPE,
            MinCount=1,
            MaxCount=1,
            # the primary interface goes with the instance, as AWS does by default
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet,
                    "Groups": groups,
                    "DeleteOnTermination": True,
                }
            ],
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )["Instances"]
        zone = str(instance["Placement"]["AvailabilityZone"])
        node_id = str(instance["InstanceId"])
        log.info("Auto Mode cluster %s: launched %s in %s for pending pods", name, node_id, zone)
        return {
            "name": node_id,
            "labels": node_labels(name, zone, region),
            "taints": [],
            "ip": instance.get("PrivateIpAddress"),
            "provider_id": f"aws:///{zone}/{node_id}",
            **({"security_groups": groups} if groups else {}),
        }

    def _terminate(self, region: str, instance_id: str) -> None:
        with contextlib.suppress(Exception):  # gone with its cluster already
            self._ec2(region).terminate_instances(InstanceIds=[instance_id])

    def step(self) -> None:
        clusters = auto_clusters(self.state_dir)
        listed = load(self.state_dir)
        if not clusters:
            if listed is not None:
                self._write(None)
                log.info("no Auto Mode cluster: its nodes are gone")
            return
        cluster = clusters[0]
        nodes = [
            n for n in listed or [] if n["labels"].get("weft.local/cluster") == cluster["cluster"]
        ]
        pods = [dict(p.to_dict()) for p in self.client.list(Pod, namespace=ALL_NS)]
        now = self.clock()
        region = str(cluster.get("region"))
        for name in idle_nodes([n["name"] for n in nodes], pods, self.idle_since, now):
            self._terminate(region, name)
            nodes = [n for n in nodes if n["name"] != name]
            self.idle_since.pop(name, None)
            log.info("Auto Mode cluster %s: retired idle node %s", cluster["cluster"], name)
        fits = template(str(cluster["cluster"]), f"{region}a", region)
        any_node = bool(nodes) or (self.state_dir / "nodes.json").exists()
        if now - self.last_launch >= LAUNCH_EVERY and wants_node(pods, fits, any_node=any_node):
            launched = self._launch(cluster)
            if launched is not None:
                nodes.append(launched)
                self.last_launch = now
        self._write(nodes)

    def loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.step()
            except ApiError as exc:
                log.warning("Auto Mode nodes: %s", exc)
            except Exception:
                log.exception("Auto Mode nodes failed")
            self.stop.wait(EVERY)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.loop, name="auto-mode-nodes", daemon=True)
        thread.start()
        return thread
