"""The addresses (``kind.name``) of the resources every command finds by name.

A fabric has one of each; the model creates them under these names, and the commands that look
one up in an inventory (the cluster for the application commands and ``kubeconfig``, the fabric
bucket for the lock and journal, the zone and certificate for the apps' records) use these
constants instead of writing the address out.
"""

from __future__ import annotations

from weft.core.resource import address_of

#: The fabric bucket: lock, journal, secrets.
FABRIC_BUCKET = address_of("fabric_bucket", "fabric")
#: The fabric's KMS key: secrets and data at rest.
KMS_KEY = address_of("kms_key", "fabric")
#: The fabric's EKS cluster.
CLUSTER = address_of("eks_cluster", "main")
#: The fabric's hosted zone.
HOSTED_ZONE = address_of("hosted_zone", "main")
#: The fabric's wildcard certificate.
CERTIFICATE = address_of("acm_certificate", "wildcard")
