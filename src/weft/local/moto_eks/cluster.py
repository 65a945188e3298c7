"""The local EKS's clusters, as AWS makes them (moto 5.2.5 differs where noted).

- **Identity**: each cluster has its own OIDC issuer and endpoint (moto draws one of each per
  process, shared by every cluster), and a certificate authority that is a real base64-encoded
  PEM certificate (moto: 30 random characters).
- **VPC**: the default VPC settings AWS fills in (:func:`.cluster_config.with_vpc_defaults`),
  the VPC of the cluster's subnets, and a cluster security group in that VPC, removed with the
  cluster (moto: no VPC id, no cluster security group).
- **Versions**: a version past EKS extended support (or not in EKS's calendar) is refused with
  ``InvalidParameterException`` "unsupported Kubernetes version 1.NN", and a cluster created
  without a version gets EKS's default one (moto: 1.19), as :mod:`.versions` describes.
- **Zones**: a subnet in a zone EKS places no control plane in (``use1-az3``, ...) is refused
  with UnsupportedAvailabilityZoneException (:mod:`.zones`; moto creates the cluster).
- **Logging** is described as AWS describes it: enabled types, then disabled ones.
- **Deletes**: deleting a cluster that still has Fargate profiles is refused (moto deletes it),
  and the answer says ``DELETING`` (moto: ``ACTIVE``).
- **UpdateClusterConfig** answers with its ``update`` (moto answers nothing), merges the VPC and
  logging settings into the cluster's (moto replaces them), and refuses a request that changes
  both or neither, as AWS does.
- **Subnet updates** (moto takes any): UpdateClusterConfig may change the cluster's subnets only
  within the availability zones it was created in (:func:`.cluster_config.subnet_zone_problem`;
  "View Amazon EKS networking requirements for VPC and subnets", Amazon EKS User Guide,
  https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html); otherwise
  ``InvalidParameterException``.
- **Deletion protection** (moto ignores it): CreateCluster and UpdateClusterConfig set
  ``deletionProtection`` (a ``DeletionProtectionUpdate``), DescribeCluster reports it, and
  DeleteCluster refuses a protected cluster with ``InvalidRequestException``, as "Protect Amazon
  EKS clusters from accidental deletion" (Amazon EKS User Guide,
  https://docs.aws.amazon.com/eks/latest/userguide/deletion-protection.html) describes: the
  protection has to be turned off before the cluster can be deleted.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import threading
import uuid
from typing import Any

from weft.local.moto_eks import backend, cluster_config, versions, zones

_CA_LOCK = threading.Lock()
_CA_PEM: list[str] = []


def ca_data() -> str:
    """A base64-encoded PEM certificate of a self-signed CA, made once per process.

    ``cryptography`` is a dependency of moto itself, so it is there wherever the local cloud is.
    """
    with _CA_LOCK:
        if not _CA_PEM:
            _CA_PEM.append(_make_ca())
        return _CA_PEM[0]


def _make_ca() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = backend.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return base64.b64encode(pem).decode()


def apply() -> None:
    from moto.eks.models import EKSBackend
    from moto.eks.responses import EKSResponse

    original_create = EKSBackend.create_cluster
    original_delete = EKSBackend.delete_cluster

    def create_cluster(self: Any, *args: Any, **kwargs: Any) -> Any:
        # EKS creates no cluster on a version past support; no version: its default one
        on = versions.today()
        if not kwargs.get("version"):
            kwargs["version"] = versions.default_version(on)
        refused = versions.refusal(kwargs.get("version"), on)
        if refused:
            raise backend.invalid(refused, cluster=str(kwargs.get("name")))
        # EKS refuses control plane subnets in the zones it does not support
        zones.check(
            self.account_id,
            self.region_name,
            str(kwargs.get("name")),
            kwargs.get("resources_vpc_config"),
        )
        cluster = original_create(self, *args, **kwargs)
        region = self.region_name
        cluster.identity = {
            "oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{backend.hex32()}"}
        }
        cluster.endpoint = f"https://{backend.hex32()}.gr7.{region}.eks.amazonaws.com"
        cluster.certificate_authority = {"data": ca_data()}
        config = cluster_config.with_vpc_defaults(cluster.resources_vpc_config)
        vpc_id = _vpc_of_subnets(self.account_id, region, config["subnetIds"])
        if vpc_id:
            config["vpcId"] = vpc_id
            group = _make_cluster_group(self.account_id, region, cluster.name, vpc_id)
            if group:
                config["clusterSecurityGroupId"] = group
        cluster.resources_vpc_config = config
        # the zones it is created in: the only ones its subnets may ever be in
        created = set(_zones_of(self.account_id, region, config["subnetIds"]).values())
        cluster.weft_zones = created  # type: ignore[attr-defined]
        cluster.logging = cluster_config.logging_state(cluster_config.enabled_logs(cluster.logging))
        return cluster

    def delete_cluster(self: Any, name: str) -> Any:
        cluster = self.clusters.get(name)
        if cluster is not None and getattr(cluster, "deletion_protection", False):
            raise backend.invalid_request(
                f"Cluster {name} cannot be deleted because deletion protection is enabled. "
                "Disable deletion protection and try again.",
                cluster=name,
            )
        if cluster is not None and cluster.fargate_profiles:
            raise backend.in_use(name, "Cluster has fargate profiles attached")
        result = original_delete(self, name)
        group = (result.resources_vpc_config or {}).get("clusterSecurityGroupId")
        if group:
            _delete_group(self.account_id, self.region_name, group)
        result.status = "DELETING"
        return result

    EKSBackend.create_cluster = create_cluster  # type: ignore[method-assign]

    original_create_response = EKSResponse.create_cluster

    def create_cluster_response(self: Any) -> Any:
        result = original_create_response(self)
        cluster = self.eks_backend.clusters.get(self._get_param("name"))
        if cluster is not None:
            cluster.deletion_protection = bool(self._get_param("deletionProtection", False))
        return result

    EKSResponse.create_cluster = create_cluster_response  # type: ignore[method-assign]
    EKSBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]

    def update_cluster_config(self: Any) -> Any:
        from moto.core.responses import ActionResult

        name = self._get_param("name")
        vpc_config = self._get_param("resourcesVpcConfig")
        logging = self._get_param("logging")
        protection = self._get_param("deletionProtection")
        cluster = backend.cluster(self.eks_backend, name)
        if len([p for p in (vpc_config, logging, protection) if p is not None and p != {}]) > 1:
            raise backend.invalid("Only one type of update can be allowed.", cluster=name)
        if protection is not None:
            cluster.deletion_protection = bool(protection)
            update = backend.record_update(
                cluster,
                "DeletionProtectionUpdate",
                [{"type": "DeletionProtection", "value": json.dumps(bool(protection))}],
            )
        elif vpc_config:
            if "subnetIds" in vpc_config:
                region = self.eks_backend.region_name
                requested = _zones_of(self.eks_backend.account_id, region, vpc_config["subnetIds"])
                problem = cluster_config.subnet_zone_problem(
                    getattr(cluster, "weft_zones", set()), requested
                )
                if problem:
                    raise backend.invalid(problem, cluster=name)
            cluster.resources_vpc_config = {**(cluster.resources_vpc_config or {}), **vpc_config}
            kind, params = cluster_config.vpc_update(vpc_config)
            update = backend.record_update(cluster, kind, params)
        elif logging:
            cluster.logging = cluster_config.logging_after(cluster.logging, logging)
            update = backend.record_update(
                cluster, "LoggingUpdate", cluster_config.logging_update_params(logging)
            )
        else:
            raise backend.invalid(
                "No changes needed for the provided cluster config.", cluster=name
            )
        return ActionResult({"update": update})

    EKSResponse.update_cluster_config = update_cluster_config  # type: ignore[method-assign]


def _vpc_of_subnets(account_id: str, region: str, subnet_ids: list[str]) -> str | None:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    for subnet_id in subnet_ids:
        try:
            return str(ec2.get_subnet(subnet_id).vpc_id)
        except Exception:  # an unknown subnet: moto does not validate EKS subnets
            continue
    return None


def _zones_of(account_id: str, region: str, subnet_ids: list[str]) -> dict[str, str]:
    """The Availability Zone of each known subnet of ``subnet_ids``."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    zones = {}
    for subnet_id in subnet_ids or []:
        with contextlib.suppress(Exception):  # an unknown subnet: moto does not validate them
            zones[subnet_id] = str(ec2.get_subnet(subnet_id).availability_zone)
    return zones


def _make_cluster_group(account_id: str, region: str, cluster: str, vpc_id: str) -> str | None:
    """The security group EKS creates for a cluster's control plane and managed nodes."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    try:
        group = ec2.create_security_group(
            name=f"eks-cluster-sg-{cluster}-{uuid.uuid4().int % 10**10}",
            description="EKS created security group applied to ENI that is attached to EKS "
            "Control Plane master nodes, as well as any managed workloads.",
            vpc_id=vpc_id,
            tags={"aws:eks:cluster-name": cluster, f"kubernetes.io/cluster/{cluster}": "owned"},
        )
    except Exception:  # not worth failing the cluster for: AWS always has one, moto may not
        return None
    return str(group.id)


def _delete_group(account_id: str, region: str, group_id: str) -> None:
    from moto.ec2.models import ec2_backends

    with contextlib.suppress(Exception):  # already gone
        ec2_backends[account_id][region].delete_security_group(group_id=group_id)
