"""The fabric's public Route 53 hosted zone: created, or adopted when the domain already has one.

Adoption: when ``create`` finds exactly one public zone of the domain that carries no
``weft:fabric`` tag, weft tags it (with the hidden tag ``weft:adopted = true``, and the zone's
original comment in ``weft:original-comment``) instead of making a second zone. An adopted zone
is never deleted: ``delete`` removes only the records weft owns in it (see
:mod:`weft.aws.drivers.dns_record`), puts its comment back and removes weft's tags. A zone weft
created is deleted with every record left in it (except its own SOA and NS).

With ``zone_id`` (``dns.zone_id`` in the file), ``create`` adopts exactly that zone, after
checking that it exists, is public, serves the domain and is no other fabric's: so a domain with
several public zones can be served too. The zone id is a prop of every zone (its own id), so
naming another zone later replaces this one (a created zone deleted, an adopted one released).

A domain has one public zone, so ``create`` looks for one of that domain whatever its tags (not
the adoption rule of :mod:`.kit`, which looks for what carries this address); ``update`` is the
kit's.

Hidden tags are not part of the ``tags`` prop (so the desired tags diff equal); ``adopted`` is an
output. Route 53 zones are not in the tagging API: discovery lists the zones (paginated) and
reads their tags in batches of 10, once for this driver and :mod:`.dns_record`.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, tagger
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "hosted_zone"
ADOPTED_TAG = "weft:adopted"
COMMENT_TAG = "weft:original-comment"
HIDDEN_TAGS = frozenset({ADOPTED_TAG, COMMENT_TAG})
OWNERSHIP_PREFIX = "_weft-"
TIMEOUT = 600.0
_TAG_BATCH = 10


def zone_id(raw: str) -> str:
    """``Z123`` from ``/hostedzone/Z123``."""
    return raw.rsplit("/", 1)[-1]


def fqdn(name: str) -> str:
    """A DNS name with its trailing dot, ``*`` unescaped (Route 53 answers ``\\052``)."""
    name = name.replace("\\052", "*")
    return name if name.endswith(".") else f"{name}."


def zone_tags(ctx: AwsContext, zone_ids: list[str]) -> dict[str, dict[str, str]]:
    """Zone id -> its tags (hidden ones included), reading 10 zones per request."""
    route53 = ctx.client("route53")
    out: dict[str, dict[str, str]] = {}
    for start in range(0, len(zone_ids), _TAG_BATCH):
        batch = zone_ids[start : start + _TAG_BATCH]
        answer = route53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=batch)
        for item in answer.get("ResourceTagSets", []):
            out[item["ResourceId"]] = tagging.from_aws(item.get("Tags"))
    return out


def fabric_zones(ctx: AwsContext) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every hosted zone tagged for this fabric, with its tags (hidden ones included).

    Read once per discovery, for this driver and :mod:`.dns_record` (do not change them)."""

    def read() -> list[tuple[dict[str, Any], dict[str, str]]]:
        zones = {
            zone_id(z["Id"]): z
            for z in pagination.items(ctx.client("route53"), "list_hosted_zones", "HostedZones")
        }
        tags = zone_tags(ctx, sorted(zones))
        return [
            (zone, tags[zid])
            for zid, zone in sorted(zones.items())
            if tags.get(zid, {}).get(tagging.FABRIC_TAG) == ctx.fabric
        ]

    return ctx.read_once("route53:fabric-zones", read)


def wait_insync(ctx: AwsContext, change_info: dict[str, Any], what: str) -> None:
    """Wait until a Route 53 change is ``INSYNC`` (on every authoritative server)."""
    change_id = change_info.get("Id")
    if not change_id or change_info.get("Status") == "INSYNC":
        return

    def check() -> bool | str:
        status = ctx.client("route53").get_change(Id=change_id)["ChangeInfo"]["Status"]
        return True if status == "INSYNC" else str(status)

    wait_until(ctx, what, check, timeout=TIMEOUT, interval=2.0, max_interval=10.0)


def _observed(
    ctx: AwsContext, name: str, zone: dict[str, Any], all_tags: dict[str, str]
) -> Observed:
    zid = zone_id(zone["Id"])
    tags = {k: v for k, v in all_tags.items() if k not in HIDDEN_TAGS}
    props = {
        "domain": zone["Name"].rstrip("."),
        "zone_id": zid,
        "comment": (zone.get("Config") or {}).get("Comment") or "",
        "tags": tags,
    }
    servers = (
        ctx.client("route53").get_hosted_zone(Id=zid).get("DelegationSet", {}).get("NameServers")
    )
    return Observed(
        kind=KIND,
        name=name,
        id=zid,
        props=props,
        outputs={
            "name_servers": list(servers or []),
            "adopted": all_tags.get(ADOPTED_TAG) == "true",
        },
    )


@kit.setter("comment")
def _set_comment(edit: kit.Edit) -> None:
    edit.ctx.client("route53").update_hosted_zone_comment(Id=edit.id, Comment=edit.props["comment"])


class HostedZoneDriver(kit.TaggedDriver):
    setters = (_set_comment, kit.tags(tagger.Route53ZoneTagger(HIDDEN_TAGS)))
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"domain", "zone_id"}),
        updatable=kit.covered(setters),
        shown=("domain",),
    )

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for zone, tags in fabric_zones(ctx):
            name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
            if name is not None:
                found.append(_observed(ctx, name, zone, tags))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        if props.get("zone_id"):
            return self._named(ctx, resource, props, str(props["zone_id"]))
        route53 = ctx.client("route53")
        domain = props["domain"].rstrip(".")
        same_name = [
            z
            for z in route53.list_hosted_zones_by_name(DNSName=domain, MaxItems="100").get(
                "HostedZones", []
            )
            if z["Name"] == f"{domain}." and not (z.get("Config") or {}).get("PrivateZone")
        ]
        tags = zone_tags(ctx, [zone_id(z["Id"]) for z in same_name])
        ours = [
            z
            for z in same_name
            if tags.get(zone_id(z["Id"]), {}).get(tagging.FABRIC_TAG) == ctx.fabric
            and tags.get(zone_id(z["Id"]), {}).get(tagging.ID_TAG) == resource.address
        ]
        if ours:  # a retried create: finish it
            zone = ours[0]
            zid = zone_id(zone["Id"])
            observed = _observed(ctx, resource.name, zone, tags[zid])
            changed = {k for k in ("comment", "tags") if observed.props[k] != props[k]}
            return self.update(ctx, resource, props, observed, changed)
        others = {
            owner
            for z in same_name
            if (owner := tags.get(zone_id(z["Id"]), {}).get(tagging.FABRIC_TAG))
        }
        if others:
            raise PermanentError(
                f"the hosted zone of {domain} belongs to fabric {sorted(others)[0]}",
                address=resource.address,
                hint="one domain can be served by one fabric; remove it from the other first",
            )
        if len(same_name) > 1:
            ids = ", ".join(sorted(zone_id(z["Id"]) for z in same_name))
            raise PermanentError(
                f"{domain} has {len(same_name)} public hosted zones ({ids}): weft does not know "
                "which one to adopt",
                address=resource.address,
                hint="delete the ones not delegated to from the parent domain",
            )
        if same_name:
            return self._take_over(ctx, resource, props, same_name[0])
        return self.make(ctx, resource, props)

    def _named(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], zid: str
    ) -> Observed:
        """Adopt the zone the file names (``dns.zone_id``), once it is found fit."""
        domain = props["domain"].rstrip(".")
        found = presence.if_found(
            lambda: ctx.client("route53").get_hosted_zone(Id=zid)["HostedZone"]
        )
        where = f"dns.zone_id {zid}"
        if found is None:
            raise PermanentError(
                f"{where}: no hosted zone {zid} in account {ctx.account_id}",
                address=resource.address,
                hint="name a public hosted zone of this account (weft lists none it cannot see), "
                "or remove dns.zone_id to let weft make or find the zone",
            )
        if (found.get("Config") or {}).get("PrivateZone"):
            raise PermanentError(
                f"{where} is a private hosted zone: the certificate and the apps' records need "
                "a public one",
                address=resource.address,
                hint="name the domain's public hosted zone",
            )
        if found["Name"].rstrip(".").lower() != domain:
            raise PermanentError(
                f"{where} serves {found['Name'].rstrip('.')}, not {domain}",
                address=resource.address,
                hint=f"name a zone of {domain}, or change dns.domain",
            )
        tags = zone_tags(ctx, [zid]).get(zid, {})
        owner = tags.get(tagging.FABRIC_TAG)
        if owner == ctx.fabric and tags.get(tagging.ID_TAG) == resource.address:
            observed = _observed(ctx, resource.name, found, tags)  # a retried create: finish it
            changed = {k for k in ("comment", "tags") if observed.props[k] != props[k]}
            return self.update(ctx, resource, props, observed, changed)
        if owner is not None:
            raise PermanentError(
                f"{where} belongs to fabric {owner}",
                address=resource.address,
                hint="one zone can serve one fabric; remove it from the other first",
            )
        return self._take_over(ctx, resource, props, found)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        route53 = ctx.client("route53")
        domain = props["domain"].rstrip(".")
        answer = route53.create_hosted_zone(
            Name=domain,
            CallerReference=ctx.token(resource.address),
            HostedZoneConfig={"Comment": props["comment"], "PrivateZone": False},
        )
        zid = zone_id(answer["HostedZone"]["Id"])
        route53.change_tags_for_resource(
            ResourceType="hostedzone", ResourceId=zid, AddTags=tagging.to_aws(props["tags"])
        )
        wait_insync(ctx, answer.get("ChangeInfo", {}), f"hosted zone {domain}")
        servers = list(answer.get("DelegationSet", {}).get("NameServers", []))
        ctx.report(
            f"created the hosted zone of {domain}; its name servers: {', '.join(servers)} "
            f"(the NS records of {domain} at its registrar, or in its parent zone, must name them)"
        )
        return self.observed(resource.name, zid, props, {"name_servers": servers, "adopted": False})

    def _take_over(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], zone: dict[str, Any]
    ) -> Observed:
        zid = zone_id(zone["Id"])
        comment = (zone.get("Config") or {}).get("Comment") or ""
        hidden = {ADOPTED_TAG: "true", COMMENT_TAG: comment[:256]}
        route53 = ctx.client("route53")
        route53.change_tags_for_resource(
            ResourceType="hostedzone",
            ResourceId=zid,
            AddTags=tagging.to_aws({**props["tags"], **hidden}),
        )
        ctx.report(f"adopted the existing hosted zone {zid} of {props['domain']}")
        if comment != props["comment"]:
            route53.update_hosted_zone_comment(Id=zid, Comment=props["comment"])
        return _observed(
            ctx,
            resource.name,
            {**zone, "Config": {"Comment": props["comment"]}},
            {**props["tags"], **hidden},
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        route53 = ctx.client("route53")
        zid = observed.id
        found = presence.if_found(zone_tags, ctx, [zid])
        if found is None:
            return
        tags = found.get(zid, {})
        if tags.get(ADOPTED_TAG) == "true":
            self._release(ctx, observed, tags)
            return
        removed = delete_records(ctx, zid, owned_only=False)
        if removed:
            ctx.report(f"deleted {removed} records left in hosted zone {zid}")
        route53.delete_hosted_zone(Id=zid)

    def _release(self, ctx: AwsContext, observed: Observed, tags: dict[str, str]) -> None:
        """Give an adopted zone back: weft's records, comment and tags go; the zone stays."""
        route53 = ctx.client("route53")
        zid = observed.id
        removed = delete_records(ctx, zid, owned_only=True, fabric=ctx.fabric)
        route53.update_hosted_zone_comment(Id=zid, Comment=tags.get(COMMENT_TAG, ""))
        weft_keys = sorted(
            k for k in tags if k.startswith("weft:") or k in observed.props.get("tags", {})
        )
        if weft_keys:
            route53.change_tags_for_resource(
                ResourceType="hostedzone", ResourceId=zid, RemoveTagKeys=weft_keys
            )
        ctx.report(
            f"hosted zone {zid} was adopted, so it stays: removed weft's {removed} records "
            "and its tags"
        )


def _ownership_owner(record: dict[str, Any]) -> str | None:
    """The fabric named by a weft ownership TXT record, or None."""
    for value in record.get("ResourceRecords") or []:
        text = str(value.get("Value", "")).strip('"')
        if text.startswith("weft fabric="):
            return text.split()[1].removeprefix("fabric=")
    return None


def delete_records(
    ctx: AwsContext, zid: str, *, owned_only: bool, fabric: str | None = None
) -> int:
    """Delete records of a zone: every one but its SOA/NS, or only those ``fabric`` owns.

    A record is owned when the TXT record ``_weft-<type>.<name>`` names the fabric; a record and
    its ownership record go in one change batch. Returns how many records were deleted.
    """
    route53 = ctx.client("route53")
    records = list(
        pagination.items(
            route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zid
        )
    )
    apex = next((fqdn(r["Name"]) for r in records if r["Type"] == "SOA"), None)
    by_key = {(fqdn(r["Name"]), r["Type"]): r for r in records}
    doomed: list[dict[str, Any]] = []
    for (name, rtype), record in sorted(by_key.items()):
        if rtype in ("SOA", "NS") and name == apex:
            continue
        if owned_only:
            if name.startswith(OWNERSHIP_PREFIX):
                continue  # goes with the record it vouches for
            owner_key = (ownership_name(name, rtype), "TXT")
            owner = by_key.get(owner_key)
            if owner is None or _ownership_owner(owner) != fabric:
                continue
            doomed.extend([record, owner])
        else:
            doomed.append(record)
    for start in range(0, len(doomed), 100):
        batch = [{"Action": "DELETE", "ResourceRecordSet": r} for r in doomed[start : start + 100]]
        answer = route53.change_resource_record_sets(
            HostedZoneId=zid, ChangeBatch={"Changes": batch}
        )
        wait_insync(ctx, answer.get("ChangeInfo", {}), f"records of hosted zone {zid}")
    return len(doomed) // 2 if owned_only else len(doomed)


def ownership_name(name: str, rtype: str) -> str:
    """The TXT record that says a fabric owns record ``name`` of type ``rtype``.

    ``_weft-<type>.<name>``; a wildcard's ``*`` label becomes ``_any`` (a wildcard must be the
    leftmost label).
    """
    name = fqdn(name)
    if name.startswith("*."):
        name = f"_any.{name[2:]}"
    return f"{OWNERSHIP_PREFIX}{rtype.lower()}.{name}"


DRIVER = HostedZoneDriver()
