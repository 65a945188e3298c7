"""The EKS cluster of a fabric: IAM roles, the cluster, OIDC provider, node groups, Fargate
profiles and managed add-ons.

- The cluster is named after the fabric; its API endpoint access follows ``cluster.endpoint`` and
  ``api_cidrs``; Kubernetes secrets are envelope-encrypted with the fabric's KMS key.
- Node groups live in the private subnets (the public ones in a public layout) of every zone. A
  node group's cloud name carries a digest of the settings EKS cannot change in place (instance
  types, capacity type, disk, AMI type), so changing one of them creates the new group next to
  the old one before the old one is deleted. Each group runs the AMI type its instance types need
  (arm64, NVIDIA, Neuron: :mod:`weft.fabricfile.instance_types`) or the one the file names.
- Each node group is launched from a launch template of its own (:func:`node_launch_template`):
  the nodes carry the cluster security group (so the control plane still reaches the kubelets
  and webhooks) and the fabric's ``nodes`` group (which the data stores admit); IMDSv2 is
  required with a hop limit of 1, so pods cannot borrow the node's role; the root volume is an
  encrypted gp3 one. The template names no AMI: EKS keeps choosing it from the group's AMI type
  and version, so upgrades keep working.
- The data security group also admits the EKS cluster security group on PostgreSQL (5432) when
  there are databases and Redis (6379) when there are caches (:data:`DATA_FROM_CLUSTER`): a
  Fargate pod carries only that group, never weft's ``nodes`` group.
- Add-ons (:func:`addons`): the EBS CSI driver and the VPC CNI each get their own role through
  IRSA (the cluster's OIDC provider); ``AmazonEKS_CNI_Policy`` is then the CNI's, not the nodes'
  (it stays on the node role only when the fabric leaves vpc-cni unmanaged, as the self-managed
  CNI runs with the node's role). The vpc-cni add-on is made before the node groups, so their
  nodes' CNI has its role from the start. The EBS CSI driver tags the volumes it makes with the
  cluster (``k8sTagClusterId``: ``down``, ``leftovers`` and ``--delete-data`` count them) and
  makes the default StorageClass ``gp3``, encrypted. On a fabric without node groups coredns is
  configured to run on Fargate (``computeType``). metrics-server is EKS's community add-on.
- The cluster authenticates through EKS access entries only (authentication mode ``API``; its
  creator keeps cluster admin through the entry EKS makes). Each ``cluster.access`` grant is an
  access entry for its principal and one access policy association (:func:`access_grants`).
- On an EKS Auto Mode cluster (``cluster.compute: auto``) the cluster role also holds Auto
  Mode's policies (:data:`AUTO_MODE_CLUSTER_POLICIES`) and EKS's nodes run with a role of their
  own, ``auto-nodes``, holding only the minimal policies AWS documents
  (:data:`AUTO_MODE_NODE_POLICIES`); the ``nodes`` role is made only for node groups.
- The control plane's log group is weft's, made before the cluster (else EKS makes it, kept
  forever and unencrypted): ``cluster.log_retention_days``, the fabric key, deleted on ``down``.
"""

from __future__ import annotations

from typing import Any

from weft.core.resource import Fmt, Ref, Resource
from weft.fabricfile import Fabric
from weft.fabricfile.cluster import Access
from weft.fabricfile.instance_types import DEFAULT_AMI_TYPE, ami_type_for
from weft.fabricfile.subnets import zone_suffix
from weft.model import addresses
from weft.model.builder import Builder
from weft.model.naming import bounded, digest

AWS_POLICY = "arn:aws:iam::aws:policy/"

#: The root CA thumbprint AWS documents for EKS OIDC issuers (no longer checked by IAM for them).
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

ROLE_POLICIES: dict[str, tuple[str, list[str]]] = {
    "cluster": (
        "eks.amazonaws.com",
        ["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"],
    ),
    "nodes": (
        "ec2.amazonaws.com",
        [
            "AmazonEKSWorkerNodePolicy",
            "AmazonEKS_CNI_Policy",
            "AmazonEC2ContainerRegistryReadOnly",
            "AmazonSSMManagedInstanceCore",
        ],
    ),
    "fargate": ("eks-fargate-pods.amazonaws.com", ["AmazonEKSFargatePodExecutionRolePolicy"]),
}
#: What the cluster role also holds on an EKS Auto Mode cluster, and the policies of the role
#: Auto Mode's nodes run with ("Cluster IAM role" and "EKS Auto Mode node IAM role", Amazon EKS
#: User Guide). The cluster role's trust already allows ``sts:TagSession``, as Auto Mode needs.
AUTO_MODE_CLUSTER_POLICIES = [
    "AmazonEKSComputePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
]
AUTO_MODE_NODE_POLICIES = ["AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"]

EBS_CSI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:ebs-csi-controller-sa"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
CNI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:aws-node"
CNI_POLICY = "AmazonEKS_CNI_Policy"
#: The default StorageClass the EBS CSI driver makes: gp3, encrypted, bound where the pod lands.
DEFAULT_STORAGE_CLASS = {
    "name": "gp3",
    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    "parameters": {"type": "gp3", "encrypted": "true"},
    "volumeBindingMode": "WaitForFirstConsumer",
    "allowVolumeExpansion": True,
    "reclaimPolicy": "Delete",
}


def addon_configuration(fabric: Fabric, addon: str) -> dict[str, Any]:
    """The ``configurationValues`` weft gives ``addon`` (see the module docstring)."""
    if addon == "aws-ebs-csi-driver":
        return {
            "controller": {"k8sTagClusterId": fabric.name},
            "storageClasses": [DEFAULT_STORAGE_CLASS],
        }
    if addon == "coredns" and fabric.fargate and not fabric.nodegroups:
        return {"computeType": "Fargate"}
    return {}


CLUSTER = Ref(addresses.CLUSTER)


def _service_trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": ["sts:AssumeRole", "sts:TagSession"]
                if service == "eks.amazonaws.com"
                else "sts:AssumeRole",
            }
        ],
    }


def _fargate_trust(fabric: Fabric, account_id: str) -> dict[str, Any]:
    """The pod execution role's trust: Fargate, for this cluster's profiles only (the confused
    deputy guard the EKS User Guide's "Amazon EKS Pod execution IAM role" gives)."""
    trust = _service_trust("eks-fargate-pods.amazonaws.com")
    profiles = f"arn:aws:eks:{fabric.region}:{account_id}:fargateprofile/{fabric.name}/*"
    trust["Statement"][0]["Condition"] = {"ArnLike": {"aws:SourceArn": profiles}}
    return trust


def irsa_trust(service_account: str) -> dict[str, Any]:
    """The trust policy of a role for one Kubernetes service account (IRSA): the cluster's OIDC
    provider may assume it with a token whose ``sub`` is ``service_account``
    (``system:serviceaccount:NAMESPACE:NAME``) and whose ``aud`` is STS's, as "Assign IAM roles
    to Kubernetes service accounts" (Amazon EKS User Guide) prescribes."""
    issuer = Ref(addresses.CLUSTER, "oidc_issuer_host")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": Ref("oidc_provider.cluster", "arn")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        Fmt("{0}:sub", issuer): service_account,
                        Fmt("{0}:aud", issuer): "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def cluster_log_group(cluster: str) -> str:
    """The log group EKS writes the control plane's logs of ``cluster`` to."""
    return f"/aws/eks/{cluster}/cluster"


#: The generation of weft's node launch templates, part of a node group's cloud name: EKS
#: cannot give a launch template to a group made without one, so the groups weft made before
#: it had templates are replaced by new ones (made next to them, then deleted).
TEMPLATE_GENERATION = "lt1"
#: The device that holds a node's containers and images, which the file's ``disk_gb`` sizes: the
#: root volume of the EKS-optimized Amazon Linux AMIs (AL2, AL2023, their GPU variants), the data
#: volume of Bottlerocket (its root holds only the read-only OS), ``/dev/sda1`` on Windows.
ROOT_DEVICE = "/dev/xvda"
DATA_DEVICES = {"BOTTLEROCKET": "/dev/xvdb", "WINDOWS": "/dev/sda1"}


def data_device(ami_type: str) -> str:
    """The device ``disk_gb`` sizes on the nodes of ``ami_type`` (see :data:`DATA_DEVICES`)."""
    for family, device in DATA_DEVICES.items():
        if ami_type.startswith(family):
            return device
    return ROOT_DEVICE


#: A pod is one network hop further than its node: with a hop limit of 1 the instance metadata
#: service's answers never reach it (IMDSv2 required, so no unauthenticated v1 requests).
NODE_METADATA = {"http_tokens": "required", "hop_limit": 1}


#: The data security group's rules for what carries only the EKS cluster security group (Fargate
#: pods): name, port, which section of the fabric file needs it, description.
DATA_FROM_CLUSTER = (
    ("data-postgres-from-cluster", 5432, "databases", "PostgreSQL from the cluster security group"),
    ("data-redis-from-cluster", 6379, "caches", "Redis from the cluster security group"),
)


def data_from_cluster(b: Builder) -> None:
    """The data security group's rules admitting the EKS cluster security group."""
    for name, port, section, description in DATA_FROM_CLUSTER:
        if getattr(b.fabric, section):
            b.add(
                "security_group_rule",
                name,
                {
                    "group_id": Ref("security_group.data"),
                    "direction": "ingress",
                    "protocol": "tcp",
                    "from_port": port,
                    "to_port": port,
                    "cidr": None,
                    "source_group_id": Ref(addresses.CLUSTER, "cluster_security_group_id"),
                    "description": description,
                },
            )


def update_config(max_unavailable: int | str) -> dict[str, int]:
    """EKS's ``updateConfig`` for a node group's ``max_unavailable`` (a count or ``"NN%"``)."""
    if isinstance(max_unavailable, str) and max_unavailable.endswith("%"):
        return {"max_unavailable_percentage": int(max_unavailable[:-1])}
    return {"max_unavailable": int(max_unavailable)}


def nodegroup_name(
    name: str,
    instance_types: list[str],
    capacity_type: str,
    disk: int,
    ami_type: str = DEFAULT_AMI_TYPE,
) -> str:
    """The cloud name of a node group: changes exactly when EKS would need a new group.

    The AMI type counts only when it is not EKS's default, so the groups weft made before it
    chose AMI types keep their names."""
    parts: list[object] = [",".join(instance_types), capacity_type, disk, TEMPLATE_GENERATION]
    if ami_type != DEFAULT_AMI_TYPE:
        parts.append(ami_type)
    return f"{name}-{digest(*parts)}"


def node_launch_template(b: Builder, nodegroup: str, disk_gb: int, ami_type: str) -> Ref:
    """The launch template of one node group's nodes (see the module docstring)."""
    return b.add(
        "launch_template",
        nodegroup,
        {
            "name": bounded(f"weft-{b.fabric.name}-{nodegroup}", 128),
            "security_group_ids": [
                Ref(addresses.CLUSTER, "cluster_security_group_id"),
                Ref("security_group.nodes"),
            ],
            "metadata": dict(NODE_METADATA),
            "root_volume": {
                "device": data_device(ami_type),
                "size_gb": disk_gb,
                "type": "gp3",
                "encrypted": True,
            },
        },
    )


def iam_role(
    b: Builder,
    name: str,
    trust: dict[str, Any],
    policies: list[str],
    inline: dict[str, Any] | None = None,
) -> Ref:
    """The IAM role ``name``, under the fabric's path: its trust, AWS managed ``policies`` and
    ``inline`` policies (name -> document)."""
    return b.add(
        "iam_role",
        name,
        {
            "role_name": bounded(f"weft-{b.fabric.name}-{name}", 64),
            "path": f"/weft/{b.fabric.name}/",
            "assume_role_policy": trust,
            "managed_policies": [AWS_POLICY + p for p in policies],
            "inline_policies": dict(inline or {}),
        },
    )


#: Access entries only: the aws-auth ConfigMap no longer counts (EKS's recommendation).
AUTHENTICATION_MODE = "API"
#: The EKS access policies' ARN prefix.
ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"


def access_entry_name(principal: str) -> str:
    """The logical name of ``principal``'s access entry: its role or user name and a digest of
    the whole ARN (two accounts may have a role of the same name)."""
    tail = principal.rsplit("/", 1)[-1].lower()
    slug = "".join(c if c.isalnum() else "-" for c in tail).strip("-")[:40] or "principal"
    return f"{slug}-{digest(principal)}"


def access_policy_name(entry: str, policy_name: str) -> str:
    """The logical name of an access policy association (as its driver names what it finds):
    the entry's name and the policy's, ``dev-1a2b3c-view`` for AmazonEKSViewPolicy."""
    short = policy_name.removeprefix("AmazonEKS").removesuffix("Policy")
    words = "".join(f"-{c.lower()}" if c.isupper() else c for c in short).lstrip("-")
    return f"{entry}-{words}"


def access_grants(b: Builder, grants: list[Access]) -> None:
    """An access entry and an access policy association for each ``cluster.access`` grant."""
    for grant in grants:
        name = access_entry_name(grant.principal)
        entry = b.add(
            "eks_access_entry",
            name,
            {"cluster_name": CLUSTER, "principal_arn": grant.principal},
        )
        b.add(
            "eks_access_policy",
            access_policy_name(name, grant.policy_name),
            {
                "cluster_name": CLUSTER,
                # written out (not a reference): the plan shows who gets what
                "principal_arn": grant.principal,
                "policy_arn": ACCESS_POLICY_PREFIX + grant.policy_name,
                "namespaces": list(grant.namespaces),
            },
            depends_on=(entry.address,),
        )


def cluster_resources(fabric: Fabric, zones: list[str], *, account_id: str) -> list[Resource]:
    spec = fabric.cluster
    if spec is None:
        return []
    b = Builder(fabric)
    suffixes = [zone_suffix(z, fabric.region) for z in zones]
    private = fabric.network.layout == "private"
    node_tier = "private" if private else "public"
    node_subnets = [Ref(f"subnet.{node_tier}-{s}") for s in suffixes]

    cni_role = "vpc-cni" in spec.addons
    auto = spec.auto_mode
    for role, (service, policies) in ROLE_POLICIES.items():
        if role == "fargate" and fabric.fargate:
            iam_role(b, role, _fargate_trust(fabric, account_id), policies)
        elif role == "cluster" and auto:
            iam_role(b, role, _service_trust(service), policies + AUTO_MODE_CLUSTER_POLICIES)
        elif role == "nodes" and auto and not fabric.nodegroups:
            continue  # Auto Mode's nodes have a role of their own
        elif role == "nodes" and cni_role:
            iam_role(b, role, _service_trust(service), [p for p in policies if p != CNI_POLICY])
        elif role != "fargate":
            iam_role(b, role, _service_trust(service), policies)
    if auto:
        iam_role(b, "auto-nodes", _service_trust("ec2.amazonaws.com"), AUTO_MODE_NODE_POLICIES)
    public = spec.endpoint in ("public", "both")
    log_group: tuple[str, ...] = ()
    if spec.logs:
        b.add(
            "log_group",
            "cluster",
            {
                "group_name": cluster_log_group(fabric.name),
                "retention_days": spec.log_retention_days,
                "kms_key_arn": Ref(addresses.KMS_KEY, "arn"),
            },
        )
        log_group = ("log_group.cluster",)
    b.add(
        "eks_cluster",
        "main",
        {
            "name": fabric.name,
            "version": spec.version,
            "role_arn": Ref("iam_role.cluster", "arn"),
            # The control plane's network interfaces go where the nodes are: the private subnets
            # of a private layout (EKS's recommendation), never next to the load balancers.
            "subnet_ids": node_subnets,
            "security_group_ids": [Ref("security_group.cluster")],
            "endpoint_public": public,
            "endpoint_private": spec.endpoint in ("private", "both"),
            "public_access_cidrs": list(spec.api_cidrs) if public else [],
            "logging": list(spec.logs),
            "encryption_key_arn": Ref(addresses.KMS_KEY, "arn") if spec.encrypt_secrets else None,
            # EKS refuses DeleteCluster from anyone while it is on (weft down included)
            "deletion_protection": fabric.protect,
            "authentication_mode": AUTHENTICATION_MODE,
            # EKS Auto Mode: compute, block storage and load balancing, on or off together
            "auto_mode": auto,
            "auto_node_role_arn": Ref("iam_role.auto-nodes", "arn") if auto else None,
        },
        log_group,
    )
    b.add(
        "oidc_provider",
        "cluster",
        {
            "url": Ref(addresses.CLUSTER, "oidc_issuer"),
            "client_ids": ["sts.amazonaws.com"],
            "thumbprints": [EKS_OIDC_THUMBPRINT],
        },
    )
    data_from_cluster(b)
    access_grants(b, spec.access)
    if "aws-ebs-csi-driver" in spec.addons:
        iam_role(b, "ebs-csi", irsa_trust(EBS_CSI_SERVICE_ACCOUNT), [EBS_CSI_POLICY])
    if cni_role:
        iam_role(b, "vpc-cni", irsa_trust(CNI_SERVICE_ACCOUNT), [CNI_POLICY])
        # before the nodes: their CNI needs its role to make them Ready
        cni = b.add(
            "eks_addon",
            "vpc-cni",
            {
                "cluster_name": CLUSTER,
                "addon_name": "vpc-cni",
                "addon_version": spec.addons["vpc-cni"].version,
                "service_account_role_arn": Ref("iam_role.vpc-cni", "arn"),
                "configuration": addon_configuration(fabric, "vpc-cni"),
            },
        )
    before_nodes = (cni.address,) if cni_role else ()

    compute: list[str] = []
    for ng in fabric.nodegroups:
        capacity = "SPOT" if ng.spot else "ON_DEMAND"
        types = list(ng.instance_types)
        # the file check refused instance types no one AMI type fits, unless ami_type is set
        ami_type = ng.ami_type or ami_type_for(types) or DEFAULT_AMI_TYPE
        template = node_launch_template(b, ng.name, ng.disk_gb, ami_type)
        compute.append(
            b.add(
                "eks_nodegroup",
                ng.name,
                {
                    "cluster_name": CLUSTER,
                    "nodegroup_name": nodegroup_name(
                        ng.name, types, capacity, ng.disk_gb, ami_type
                    ),
                    "node_role_arn": Ref("iam_role.nodes", "arn"),
                    "subnet_ids": node_subnets,
                    "instance_types": types,
                    "ami_type": ami_type,
                    "capacity_type": capacity,
                    # the disk is the launch template's (EKS refuses a size next to a template)
                    "disk_size": None,
                    "launch_template_id": template,
                    "launch_template_version": Ref(template.address, "version"),
                    "scaling": {"min": ng.min, "max": ng.max, "desired": ng.desired},
                    # the cluster's version: a cluster upgrade never leaves kubelets behind
                    "version": spec.version,
                    "update_config": update_config(ng.max_unavailable),
                    "labels": dict(ng.labels),
                    "taints": [
                        {"key": t.key, "value": t.value, "effect": t.effect} for t in ng.taints
                    ],
                },
                before_nodes,
            ).address
        )
    for profile in fabric.fargate:
        compute.append(
            b.add(
                "eks_fargate_profile",
                profile.name,
                {
                    "cluster_name": CLUSTER,
                    "profile_name": profile.name,
                    "pod_execution_role_arn": Ref("iam_role.fargate", "arn"),
                    "subnet_ids": [Ref(f"subnet.private-{s}") for s in suffixes],
                    "selectors": [
                        {"namespace": sel.namespace, "labels": dict(sel.labels)}
                        for sel in profile.selectors
                    ],
                },
            ).address
        )
    roles = {"aws-ebs-csi-driver": Ref("iam_role.ebs-csi", "arn")}
    for addon_name, addon in spec.addons.items():
        if addon_name == "vpc-cni":
            continue  # made above, before the nodes
        b.add(
            "eks_addon",
            addon_name,
            {
                "cluster_name": CLUSTER,
                "addon_name": addon_name,
                "addon_version": addon.version,
                "service_account_role_arn": roles.get(addon_name),
                "configuration": addon_configuration(fabric, addon_name),
            },
            # add-ons that run pods need somewhere to run them
            depends_on=tuple(compute),
        )
    return b.resources
