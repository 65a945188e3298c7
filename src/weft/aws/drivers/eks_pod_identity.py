"""EKS Pod Identity associations: which IAM role the pods of one Kubernetes ServiceAccount of
the fabric's cluster get, through the ``eks-pod-identity-agent`` ("Assign an IAM role to a
Kubernetes service account", Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html).

Tagged at creation and found by those tags (ListPodIdentityAssociations on each of the fabric's
clusters, then DescribePodIdentityAssociation for each: a cluster holds few). The cluster,
namespace and ServiceAccount are the association's identity (another one is a new
association); the role changes in place (UpdatePodIdentityAssociation), and so do the tags.
EKS keeps one association per ServiceAccount: one found for it without this fabric's tags is
another's, and the create is refused with what to do. EKS refuses a role whose trust does not
let ``pods.eks.amazonaws.com`` do ``sts:AssumeRole`` and ``sts:TagSession``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import eks, kit, pagination, presence
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "eks_pod_identity_association"


def describe_association(ctx: AwsContext, cluster: str, the_id: str) -> eks.Item | None:
    found = presence.if_found(
        ctx.client("eks").describe_pod_identity_association,
        clusterName=cluster,
        associationId=the_id,
    )
    return None if found is None else dict(found["association"])


def cluster_associations(ctx: AwsContext) -> list[eks.Item]:
    """Every Pod Identity association of the fabric's clusters (read once per discovery)."""

    def read() -> list[eks.Item]:
        found = []
        for cluster in eks.fabric_clusters(ctx):
            for summary in pagination.items(
                ctx.client("eks"),
                "list_pod_identity_associations",
                "associations",
                clusterName=cluster["name"],
            ):
                item = describe_association(ctx, cluster["name"], summary["associationId"])
                if item is not None:
                    found.append(item)
        return found

    return ctx.read_once("eks:pod-identity-associations", read)


@kit.setter("role_arn")
def _role(edit: kit.Edit) -> None:
    edit.ctx.client("eks").update_pod_identity_association(
        clusterName=edit.props["cluster_name"],
        associationId=edit.observed.outputs["association_id"],
        roleArn=edit.props["role_arn"],
    )


class EksPodIdentityDriver(kit.TaggedDriver):
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"cluster_name", "namespace", "service_account"}),
        updatable=frozenset({"role_arn", "tags"}),
        shown=("namespace", "service_account"),
    )

    setters = (_role, eks.TAGS)

    def observe(self, name: str, item: Mapping[str, Any]) -> Observed:
        props = {
            "cluster_name": item["clusterName"],
            "namespace": item["namespace"],
            "service_account": item["serviceAccount"],
            "role_arn": item["roleArn"],
            "tags": eks.tags_of(item),
        }
        outputs = {"arn": item["associationArn"], "association_id": item["associationId"]}
        return self.observed(name, str(item["associationArn"]), props, outputs)

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for item in cluster_associations(ctx):
            name = tagging.owned_name(
                eks.tags_of(item), fabric=ctx.fabric, kind=KIND, address=address
            )
            if name is not None:
                found.append(self.observe(name, item))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        client = ctx.client("eks")
        cluster, namespace, account = (
            props["cluster_name"],
            props["namespace"],
            props["service_account"],
        )
        existing = client.list_pod_identity_associations(
            clusterName=cluster, namespace=namespace, serviceAccount=account
        ).get("associations")
        if existing:
            raise PermanentError(
                f"ServiceAccount {namespace}/{account} of cluster {cluster} already has a Pod "
                f"Identity association ({existing[0]['associationId']}) that is not this "
                "fabric's",
                address=resource.address,
                hint="delete it (aws eks delete-pod-identity-association) or remove it from the "
                "fabric that made it, then re-run",
            )
        item = client.create_pod_identity_association(
            clusterName=cluster,
            namespace=namespace,
            serviceAccount=account,
            roleArn=props["role_arn"],
            tags=eks.eks_tags(props["tags"]),
            clientRequestToken=ctx.token(resource.address),
        )["association"]
        return self.observe(resource.name, item)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        presence.if_found(
            ctx.client("eks").delete_pod_identity_association,
            clusterName=observed.props["cluster_name"],
            associationId=observed.outputs["association_id"],
        )


DRIVER = EksPodIdentityDriver()
