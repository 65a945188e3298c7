"""The IAM OIDC identity provider of the fabric's EKS cluster (IAM roles for service accounts).

IAM lists providers by ARN only: discovery lists them and reads each (its tags come with it),
keeping this fabric's. IAM reports the URL without its scheme; weft's ``url`` is the cluster's
issuer as EKS gives it (``https://...``), so the scheme is put back. The URL is the provider's
identity (its ARN is made from it): a different URL means a new provider.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "oidc_provider"

#: The root CA thumbprint AWS documents for EKS OIDC issuers. IAM no longer checks thumbprints
#: for issuers it secures itself (EKS among them), but the API still wants one.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def _url(iam_url: str) -> str:
    return iam_url if iam_url.startswith("https://") else f"https://{iam_url}"


def _observed(name: str, arn: str, props: dict[str, Any]) -> Observed:
    return Observed(kind=KIND, name=name, id=arn, props=props, outputs={"arn": arn})


class OidcProviderDriver:
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"url"}),
        unordered=frozenset({"client_ids", "thumbprints"}),
    )

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        iam = ctx.client("iam")
        found = []
        for entry in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
            arn = entry["Arn"]
            try:
                provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
            except ClientError as exc:
                if errors.is_not_found(exc):  # deleted since it was listed
                    continue
                raise
            tags = tagging.from_aws(provider.get("Tags"))
            if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
                continue
            if address is not None and tags.get(tagging.ID_TAG) != address:
                continue
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            props = {
                "url": _url(provider["Url"]),
                "client_ids": list(provider.get("ClientIDList") or []),
                "thumbprints": list(provider.get("ThumbprintList") or []),
                "tags": tags,
            }
            found.append(_observed(name, arn, props))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        adopted = adoption.adopt(self, ctx, resource, props, self._find(ctx, resource.address))
        if adopted is not None:
            return adopted
        try:
            arn = ctx.client("iam").create_open_id_connect_provider(
                Url=props["url"],
                ClientIDList=list(props["client_ids"]),
                ThumbprintList=list(props["thumbprints"]),
                Tags=tagging.to_aws(props["tags"]),
            )["OpenIDConnectProviderArn"]
        except ClientError as exc:
            if not errors.is_already_exists(exc):
                raise
            raise PermanentError(
                f"an IAM OIDC provider for {props['url']} already exists and is not this fabric's",
                address=resource.address,
                hint="an issuer has one provider per account: delete that provider",
            ) from exc
        return _observed(resource.name, arn, props)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        iam = ctx.client("iam")
        arn = observed.id
        if "thumbprints" in changed:
            iam.update_open_id_connect_provider_thumbprint(
                OpenIDConnectProviderArn=arn, ThumbprintList=list(props["thumbprints"])
            )
        if "client_ids" in changed:
            have = set(observed.props.get("client_ids", ()))
            want = set(props["client_ids"])
            for client_id in sorted(want - have):
                iam.add_client_id_to_open_id_connect_provider(
                    OpenIDConnectProviderArn=arn, ClientID=client_id
                )
            for client_id in sorted(have - want):
                iam.remove_client_id_from_open_id_connect_provider(
                    OpenIDConnectProviderArn=arn, ClientID=client_id
                )
        if "tags" in changed:
            to_set, to_remove = tagging.changes(observed.props.get("tags", {}), props["tags"])
            if to_set:
                iam.tag_open_id_connect_provider(
                    OpenIDConnectProviderArn=arn, Tags=tagging.to_aws(to_set)
                )
            if to_remove:
                iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=to_remove)
        return _observed(resource.name, arn, props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=observed.id)


DRIVER = OidcProviderDriver()
