"""EKS Auto Mode on the local cloud's clusters, which moto 5.2.5 drops: CreateCluster,
DescribeCluster and UpdateClusterConfig carry ``computeConfig``, ``storageConfig`` and
``kubernetesNetworkConfig.elasticLoadBalancing``.

As "Create an EKS Auto Mode Cluster with the AWS CLI" and "Enable EKS Auto Mode on an existing
cluster" (Amazon EKS User Guide, https://docs.aws.amazon.com/eks/latest/userguide/create-auto.html,
https://docs.aws.amazon.com/eks/latest/userguide/auto-enable-existing.html) and the EKS API
reference (``ComputeConfigRequest``, ``StorageConfigRequest``, ``ElasticLoadBalancing``) describe,
EKS refuses with ``InvalidParameterException``:

- the three capabilities not all enabled or all disabled together (compute, block storage, load
  balancing: Auto Mode is one feature, turned on and off as a whole);
- compute enabled without a node role, or with node pools other than ``general-purpose`` and
  ``system``; a node role that does not exist in IAM;
- Auto Mode on a cluster below Kubernetes 1.29 (the first version it supports);
- changing the node role of a cluster whose compute is enabled ("This value cannot be changed
  after the compute capability of EKS Auto Mode is enabled", ``ComputeConfigRequest.nodeRoleArn``).

UpdateClusterConfig turning Auto Mode on or off is an ``AutoModeUpdate`` (parameters
``ComputeConfig``, ``StorageConfig``, ``KubernetesNetworkConfig``) and, like every other kind of
update, cannot be combined with another one in the same request.

The settings live on moto's cluster object (``compute_config``, ``storage_config``,
``kubernetes_network_config``), so DescribeCluster reports them through botocore's shape.
``auto_mode.json`` in the local cloud's state directory lists the Auto Mode clusters (name,
region, VPC, subnets, cluster security group) for the simulators of the local Kubernetes,
which act as Auto Mode's built-in load-balancer controller only for them
(:mod:`weft.local.kube.auto_mode_lb`) and launch Auto Mode's nodes in them
(:mod:`weft.local.kube.auto_mode_nodes`); it is rewritten whenever a cluster is created, updated
or deleted, and on a reset. Deleting a cluster terminates the instances Auto Mode launched for
it, as EKS does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from weft.local.moto_eks import backend, local_kube
from weft.local.moto_eks.catalogue import minor_of

#: The first Kubernetes minor version EKS Auto Mode supports (1.29).
MIN_MINOR = 29
#: The built-in node pools EKS Auto Mode offers.
NODE_POOLS = ("general-purpose", "system")
ALL_OR_NOTHING = (
    "For EKS Auto Mode, please ensure that all required configs, including computeConfig, "
    "kubernetesNetworkConfig, and blockStorage are all either fully enabled or fully disabled."
)


def _compute_on(compute: Mapping[str, Any] | None) -> bool:
    return bool((compute or {}).get("enabled"))


def _storage_on(storage: Mapping[str, Any] | None) -> bool:
    return bool(((storage or {}).get("blockStorage") or {}).get("enabled"))


def _elb_on(network: Mapping[str, Any] | None) -> bool:
    return bool(((network or {}).get("elasticLoadBalancing") or {}).get("enabled"))


def problem(
    compute: Mapping[str, Any] | None,
    storage: Mapping[str, Any] | None,
    network: Mapping[str, Any] | None,
    version: str | None,
    *,
    role_exists: Any = None,
) -> str | None:
    """None when EKS accepts these Auto Mode settings on a cluster at Kubernetes ``version``;
    else the message it refuses them with (see the module docstring). ``role_exists`` (an ARN ->
    bool callable) checks the node role when given."""
    states = {_compute_on(compute), _storage_on(storage), _elb_on(network)}
    if len(states) > 1:
        return ALL_OR_NOTHING
    if not _compute_on(compute):
        return None
    minor = minor_of(str(version or ""))
    if minor is not None and minor < MIN_MINOR:
        return (
            f"EKS Auto Mode is only supported for cluster version 1.{MIN_MINOR} or above; "
            f"this cluster runs {version}."
        )
    pools = list((compute or {}).get("nodePools") or [])
    unknown = [p for p in pools if p not in NODE_POOLS]
    if unknown:
        return (
            f"Unsupported node pool(s) {', '.join(unknown)}: the built-in node pools are "
            f"{', '.join(NODE_POOLS)}."
        )
    role = (compute or {}).get("nodeRoleArn")
    if pools and not role:
        return "When nodePools are specified in computeConfig, nodeRoleArn must be provided."
    if role and not pools:
        return "When computeConfig nodeRoleArn is provided, nodePools must be provided."
    if role and role_exists is not None and not role_exists(role):
        return f"The node role {role} does not exist."
    return None


def enabled(cluster: Any) -> bool:
    """Whether ``cluster`` (moto's object) runs EKS Auto Mode."""
    return _compute_on(getattr(cluster, "compute_config", None))


#: The file that lists the Auto Mode clusters, in the local cloud's state directory.
STATE_FILE = "auto_mode.json"


def clusters_of(clusters: Any) -> list[dict[str, Any]]:
    """The Auto Mode clusters among moto's ``clusters`` (name, region, VPC), as the simulators
    read them (pure)."""
    found = []
    for cluster in clusters:
        if enabled(cluster) and getattr(cluster, "status", "ACTIVE") != "DELETING":
            config = getattr(cluster, "resources_vpc_config", None) or {}
            region = str(cluster.arn).split(":")[3]
            found.append(
                {
                    "cluster": cluster.name,
                    "region": region,
                    "vpc_id": config.get("vpcId"),
                    # where Auto Mode launches its nodes, and the group they carry
                    "subnet_ids": list(config.get("subnetIds") or []),
                    "security_group": config.get("clusterSecurityGroupId"),
                }
            )
    return sorted(found, key=lambda c: (c["region"], c["cluster"]))


def write_state() -> None:
    """Rewrite :data:`STATE_FILE` from every cluster of the local EKS (atomically)."""
    if local_kube.LOCAL_DIR is None:
        return
    from moto.eks.models import eks_backends

    clusters = [
        cluster
        for regions in eks_backends.values()
        for backend_ in regions.values()
        for cluster in backend_.clusters.values()
    ]
    path = local_kube.LOCAL_DIR / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(clusters_of(clusters), indent=1))
    tmp.replace(path)


#: The tag the simulated Auto Mode nodes carry (:mod:`weft.local.kube.auto_mode_nodes`).
NODE_TAG = "weft.local/eks-auto-mode"


def _terminate_nodes(account_id: str, region: str, cluster: str) -> None:
    """Terminate the instances Auto Mode launched for ``cluster``: EKS ends them with it."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    ids = [
        instance.id
        for instance in ec2.all_instances()
        if instance.state != "terminated"
        and (ec2.tags.get(instance.id) or {}).get(NODE_TAG) == cluster
    ]
    if ids:
        ec2.terminate_instances(ids)


def _role_exists(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    def exists(arn: str) -> bool:
        iam = iam_backends[account_id]["global"]
        return any(role.arn == arn for role in iam.roles.values())

    return exists


def _store(cluster: Any, compute: Any, storage: Any, network: Any) -> None:
    """Keep the settings on the cluster as EKS reports them."""
    on = _compute_on(compute)
    cluster.compute_config = (
        {
            "enabled": True,
            "nodePools": list(compute.get("nodePools") or []),
            "nodeRoleArn": compute.get("nodeRoleArn"),
        }
        if on
        # turning compute off keeps nothing of it but the flag
        else {"enabled": False}
    )
    cluster.storage_config = {"blockStorage": {"enabled": on}}
    current = dict(getattr(cluster, "kubernetes_network_config", None) or {})
    current.update({k: v for k, v in (network or {}).items() if k != "elasticLoadBalancing"})
    current.setdefault("serviceIpv4Cidr", "172.20.0.0/16")
    current.setdefault("ipFamily", "ipv4")
    current["elasticLoadBalancing"] = {"enabled": on}
    cluster.kubernetes_network_config = current


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    original_create = EKSResponse.create_cluster

    def create_cluster(self: Any) -> Any:
        compute = self._get_param("computeConfig")
        storage = self._get_param("storageConfig")
        network = self._get_param("kubernetesNetworkConfig")
        name = self._get_param("name")
        asked = compute is not None or storage is not None or _elb_on(network)
        if asked:
            # no version: EKS's default one, always past 1.29
            refused = problem(
                compute,
                storage,
                network,
                self._get_param("version"),
                role_exists=_role_exists(self.current_account),
            )
            if refused:
                raise backend.invalid(refused, cluster=name)
        result = original_create(self)
        cluster = self.eks_backend.clusters.get(name)
        if cluster is not None and asked:
            _store(cluster, compute, storage, network)
            write_state()
        return result

    EKSResponse.create_cluster = create_cluster  # type: ignore[method-assign]

    original_update = EKSResponse.update_cluster_config

    def update_cluster_config(self: Any) -> Any:
        compute = self._get_param("computeConfig")
        storage = self._get_param("storageConfig")
        network = self._get_param("kubernetesNetworkConfig")
        if compute is None and storage is None and network is None:
            return original_update(self)
        name = self._get_param("name")
        others = ("resourcesVpcConfig", "logging", "accessConfig")
        if any(self._get_param(k) for k in others) or (
            self._get_param("deletionProtection") is not None
        ):
            raise backend.invalid("Only one type of update can be allowed.", cluster=name)
        cluster = backend.cluster(self.eks_backend, name)
        refused = problem(
            compute,
            storage,
            network,
            cluster.version,
            role_exists=_role_exists(self.current_account),
        )
        if refused:
            raise backend.invalid(refused, cluster=name)
        if enabled(cluster) and _compute_on(compute):
            have = cluster.compute_config.get("nodeRoleArn")
            if compute.get("nodeRoleArn") != have:
                raise backend.invalid(
                    f"The node role of cluster {name} ({have}) cannot be changed after the "
                    "compute capability of EKS Auto Mode is enabled.",
                    cluster=name,
                )
        _store(cluster, compute, storage, network)
        params = [
            {"type": "ComputeConfig", "value": json.dumps(cluster.compute_config)},
            {"type": "StorageConfig", "value": json.dumps(cluster.storage_config)},
            {
                "type": "KubernetesNetworkConfig",
                "value": json.dumps(
                    {
                        "elasticLoadBalancing": cluster.kubernetes_network_config[
                            "elasticLoadBalancing"
                        ]
                    }
                ),
            },
        ]
        update = backend.record_update(cluster, "AutoModeUpdate", params)
        write_state()
        return ActionResult({"update": update})

    EKSResponse.update_cluster_config = update_cluster_config  # type: ignore[method-assign]

    from moto.eks.models import EKSBackend

    original_delete = EKSBackend.delete_cluster
    original_reset = EKSBackend.reset

    def delete_cluster(self: Any, name: str) -> Any:
        result = original_delete(self, name)
        _terminate_nodes(self.account_id, self.region_name, name)
        write_state()
        return result

    def reset(self: Any) -> Any:
        result = original_reset(self)
        write_state()
        return result

    EKSBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]
    EKSBackend.reset = reset  # type: ignore[method-assign]
