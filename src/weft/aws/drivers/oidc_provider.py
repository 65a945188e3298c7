"""The IAM OIDC identity provider of the fabric's EKS cluster (IAM roles for service accounts).

IAM lists providers by ARN only: discovery lists them and reads each (its tags come with it),
keeping this fabric's. IAM reports the URL without its scheme; weft's ``url`` is the cluster's
issuer as EKS gives it (``https://...``), so the scheme is put back. The URL is the provider's
identity (its ARN is made from it): a different URL means a new provider.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, presence, tagger
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "oidc_provider"

#: The root CA thumbprint AWS documents for EKS OIDC issuers. IAM no longer checks thumbprints
#: for issuers it secures itself (EKS among them), but the API still wants one.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def _url(iam_url: str) -> str:
    return iam_url if iam_url.startswith("https://") else f"https://{iam_url}"


@kit.setter("thumbprints")
def _set_thumbprints(edit: kit.Edit) -> None:
    edit.ctx.client("iam").update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=edit.id, ThumbprintList=list(edit.props["thumbprints"])
    )


@kit.setter("client_ids")
def _set_client_ids(edit: kit.Edit) -> None:
    iam = edit.ctx.client("iam")
    have, want = set(edit.old("client_ids", [])), set(edit.props["client_ids"])
    for client_id in sorted(want - have):
        iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=edit.id, ClientID=client_id
        )
    for client_id in sorted(have - want):
        iam.remove_client_id_from_open_id_connect_provider(
            OpenIDConnectProviderArn=edit.id, ClientID=client_id
        )


class OidcProviderDriver(kit.TaggedDriver):
    setters = (_set_thumbprints, _set_client_ids, kit.tags(tagger.IAM_OIDC_PROVIDER))
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"url"}),
        unordered=frozenset({"client_ids", "thumbprints"}),
        updatable=kit.covered(setters),
    )
    adoption_look = "always"

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        iam = ctx.client("iam")
        found = []
        for entry in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
            arn = entry["Arn"]
            provider = presence.if_found(
                iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn
            )
            if provider is None:  # deleted since it was listed
                continue
            tags = tagging.from_aws(provider.get("Tags"))
            name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
            if name is None:
                continue
            props = {
                "url": _url(provider["Url"]),
                "client_ids": list(provider.get("ClientIDList") or []),
                "thumbprints": list(provider.get("ThumbprintList") or []),
                "tags": tags,
            }
            found.append(self._observed(name, arn, props))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        answer = presence.unless_exists(
            ctx.client("iam").create_open_id_connect_provider,
            Url=props["url"],
            ClientIDList=list(props["client_ids"]),
            ThumbprintList=list(props["thumbprints"]),
            Tags=tagging.to_aws(props["tags"]),
        )
        if answer is None:
            raise PermanentError(
                f"an IAM OIDC provider for {props['url']} already exists and is not this fabric's",
                address=resource.address,
                hint="an issuer has one provider per account: delete that provider",
            )
        return self._observed(resource.name, answer["OpenIDConnectProviderArn"], props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=observed.id)

    def _observed(self, name: str, arn: str, props: dict[str, Any]) -> Observed:
        return self.observed(name, arn, props, {"arn": arn})


DRIVER = OidcProviderDriver()
