"""The local cloud's EKS, completed where moto 5.2.5 stops short (and the IAM calls EKS needs).

Applied inside the moto server process (:func:`apply`, listed in
:data:`weft.local.moto_fixes.FIXES`), before the server builds its routes. Modelled on the AWS
EKS API reference: the same paths, request and response shapes and error codes. One module per
group of patches, each restoring what AWS does:

- :mod:`.cluster`: each cluster has its own OIDC issuer and endpoint (moto draws one of each per
  process, shared by every cluster), a certificate authority that is a real base64-encoded PEM
  certificate, the default VPC settings AWS fills in, and a cluster security group in its VPC
  (removed with the cluster). Subnets in zones EKS places no control plane in are refused
  (:mod:`.zones`). Deleting a cluster that still has Fargate profiles is refused.
  UpdateClusterConfig answers with its ``update`` (moto answers nothing) and merges the VPC and
  logging settings into the cluster's (moto replaces them); the rules are pure, in
  :mod:`.cluster_config`.
- :mod:`.local_kube`: while the local Kubernetes runs (recorded in ``LOCAL_DIR/kube.json``),
  every cluster's endpoint and certificate authority are that API server's, so clients reach a
  real Kubernetes exactly as they reach an EKS cluster (tokens: :mod:`weft.local.eks_auth`).
- :mod:`.nodegroup`: node groups report the cluster's Kubernetes version (moto: always 1.19),
  and become nodes of the local Kubernetes: ``LOCAL_DIR/nodes.json``, which the kubelet
  simulator follows, holds ``desiredSize`` nodes per group with the labels and taints EKS gives
  them. UpdateNodegroupConfig's update is recorded so DescribeUpdate finds it. Launch templates
  are checked as EKS checks them (:mod:`.launch_template`), and UpdateNodegroupVersion moves a
  group to another version of its template, or to the cluster's Kubernetes version: its nodes
  are then replaced and the old ones drained, PodDisruptionBudgets deciding
  (:mod:`.rollout`; ``PodEvictionFailure`` when they cannot be). Each node is an EC2
  instance with the security groups EKS gives it (:mod:`.instances`), whose interface's
  addresses its pods get.
- :mod:`.asg`: each node group has a real Auto Scaling group in the local Auto Scaling, tagged
  for the Cluster Autoscaler's discovery; its desired capacity and the node group's size follow
  each other.
- :mod:`.ami_type`: a node group without ``amiType`` gets EKS's default (AL2023 from Kubernetes
  1.30), and CreateNodegroup refuses instance types of another architecture than the AMI type.
- :mod:`.update`: UpdateClusterVersion (one minor version at a time, as AWS enforces),
  DescribeUpdate and ListUpdates.
- :mod:`.addon`: CreateAddon, DescribeAddon, ListAddons, UpdateAddon, DeleteAddon and
  DescribeAddonVersions, over a small static catalogue held as data in :mod:`.catalogue` (the
  four add-ons weft installs, per Kubernetes version, one ``defaultVersion`` each).
- :mod:`.auto_mode`: EKS Auto Mode's ``computeConfig``, ``storageConfig`` and
  ``kubernetesNetworkConfig.elasticLoadBalancing`` (CreateCluster, DescribeCluster,
  UpdateClusterConfig), with EKS's refusals.
- :mod:`.access`: access entries, access policies and the cluster's authentication mode
  (``accessConfig``), with EKS's refusals.
- :mod:`.pod_identity`: Pod Identity associations, with EKS's refusals (names, the role's
  trust), and the credentials the Pod Identity agent gives a pod.
- :mod:`.insights`: ListInsights and DescribeInsight (kubelet version skew, add-on
  compatibility, deprecated APIs called, from the local API server's audit log) and
  CancelUpdate's refusal.
- :mod:`.versions`: DescribeClusterVersions, over EKS's Kubernetes release calendar (from the
  EKS documentation, with its date): each version's support status as of today.
- Deletes of clusters, node groups, Fargate profiles and add-ons answer with status
  ``DELETING`` (moto: ``ACTIVE``).
- :mod:`.tag`: TagResource, UntagResource and ListTagsForResource work on node groups, Fargate
  profiles and add-ons too (moto: clusters only).
- :mod:`.oidc_provider` (IAM): AddClientIDToOpenIDConnectProvider and
  RemoveClientIDFromOpenIDConnectProvider.

:mod:`.backend` holds what the patches share (finding a cluster, EKS's errors, the updates and
add-ons kept on a cluster). Everything still happens at once: a cluster is ACTIVE when created,
an update Successful when made, as with the rest of moto.
"""

from __future__ import annotations

from weft.local.moto_eks import (
    access,
    addon,
    asg,
    auto_mode,
    backend,
    cluster,
    insights,
    local_kube,
    nodegroup,
    oidc_provider,
    pod_identity,
    tag,
    update,
    versions,
)


def apply() -> None:
    backend.serve(
        (
            *access.PATHS,
            *pod_identity.PATHS,
            *addon.PATHS,
            *update.PATHS,
            *nodegroup.PATHS,
            *versions.PATHS,
            *insights.PATHS,
        )
    )
    cluster.apply()
    local_kube.apply()
    nodegroup.apply()
    asg.apply()
    update.apply()
    addon.apply()
    access.apply()
    auto_mode.apply()  # after access: it checks its own settings before the others' patches
    pod_identity.apply()
    tag.apply()
    oidc_provider.apply()
    versions.apply()
    insights.apply()
