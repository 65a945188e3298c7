"""Route 53 records weft writes in the fabric's zones, with an ownership registry.

Route 53 records cannot be tagged. As external-dns does, every record weft writes has a TXT
companion ``_weft-<type>.<name>`` (see :func:`weft.aws.drivers.hosted_zone.ownership_name`)
holding ``"weft fabric=<fabric> id=<address>"``, written and deleted in the same change batch as
the record (atomically). Discovery reads the records of this fabric's zones and reports only
those with a companion naming this fabric: a record weft did not write is never reported, changed
or deleted.

Props: ``zone_id``, ``name`` (fully qualified, trailing dot), ``type``, ``ttl`` (None for an
alias), ``values`` (compared as a set) and ``alias`` (``{dns_name, zone_id}`` or None). The id is
``<zone id>/<name>/<type>``.

Not a driver of the kit (:mod:`.kit`): a record has no tags to be found by, and a create or an
update is the same one change batch (``UPSERT`` of the record and its ownership record).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination
from weft.aws.drivers.hosted_zone import (
    OWNERSHIP_PREFIX,
    fabric_zones,
    fqdn,
    ownership_name,
    wait_insync,
    zone_id,
)
from weft.core.resource import KindSchema, Observed, Resource, split_address
from weft.errors import PermanentError

KIND = "dns_record"
OWNERSHIP_TTL = 300


def record_id(zid: str, name: str, rtype: str) -> str:
    return f"{zid}/{fqdn(name)}/{rtype}"


def ownership_value(fabric: str, address: str) -> str:
    return f'"weft fabric={fabric} id={address}"'


def _parse_ownership(record: dict[str, Any]) -> tuple[str, str] | None:
    """(fabric, address) from an ownership TXT record, or None."""
    for value in record.get("ResourceRecords") or []:
        words = str(value.get("Value", "")).strip('"').split()
        if len(words) == 3 and words[0] == "weft":
            fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            if "fabric" in fields and "id" in fields:
                return fields["fabric"], fields["id"]
    return None


def _props(zid: str, record: dict[str, Any]) -> dict[str, Any]:
    alias = record.get("AliasTarget")
    return {
        "zone_id": zid,
        "name": fqdn(record["Name"]),
        "type": record["Type"],
        "ttl": record.get("TTL"),
        "values": sorted(str(r["Value"]) for r in record.get("ResourceRecords") or []),
        "alias": (
            {"dns_name": str(alias["DNSName"]).rstrip("."), "zone_id": alias["HostedZoneId"]}
            if alias
            else None
        ),
    }


def _record_set(props: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"Name": fqdn(props["name"]), "Type": props["type"]}
    alias = props.get("alias")
    if alias:
        record["AliasTarget"] = {
            "DNSName": alias["dns_name"],
            "HostedZoneId": alias["zone_id"],
            "EvaluateTargetHealth": False,
        }
    else:
        if props.get("ttl") is None or not props.get("values"):
            raise PermanentError(
                f"record {props['name']} {props['type']} needs a ttl and values (or an alias)"
            )
        record["TTL"] = int(props["ttl"])
        record["ResourceRecords"] = [{"Value": v} for v in props["values"]]
    return record


def _ownership_set(ctx: AwsContext, name: str, rtype: str, address: str) -> dict[str, Any]:
    return {
        "Name": ownership_name(name, rtype),
        "Type": "TXT",
        "TTL": OWNERSHIP_TTL,
        "ResourceRecords": [{"Value": ownership_value(ctx.fabric, address)}],
    }


def _records(ctx: AwsContext, zid: str) -> list[dict[str, Any]]:
    """Every record of the hosted zone ``zid`` (ListResourceRecordSets, paginated)."""
    route53 = ctx.client("route53")
    return list(
        pagination.items(
            route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zid
        )
    )


class DnsRecordDriver(kit.DriverBase):
    """Records of one kind: ``dns_record`` (from the fabric file) or ``app_record`` (written by
    ``weft deploy`` for applications' load balancers; see :mod:`.app_record`). Each reports only
    the records whose ownership names its own kind."""

    def __init__(self, kind: str = KIND, owner: str = "fabric") -> None:
        self.kind = kind
        self.schema = KindSchema(
            kind=kind,
            immutable=frozenset({"zone_id", "name", "type"}),
            # not taggable in AWS: owned through its zone (a TXT ownership record)
            ignored=frozenset({"tags"}),
            unordered=frozenset({"values"}),
            owner=owner,
            updatable=frozenset({"ttl", "values", "alias"}),
        )

    def discover(self, ctx: AwsContext) -> list[Observed]:
        found = []
        for zone, _tags in fabric_zones(ctx):
            zid = zone_id(zone["Id"])
            # the fabric's and the apps' records share one listing of the zone
            records = ctx.read_once(f"route53-records:{zid}", partial(_records, ctx, zid))
            by_key = {(fqdn(r["Name"]), r["Type"]): r for r in records}
            for (name, rtype), record in sorted(by_key.items()):
                if name.startswith(OWNERSHIP_PREFIX) and rtype == "TXT":
                    continue
                owner = by_key.get((ownership_name(name, rtype), "TXT"))
                parsed = _parse_ownership(owner) if owner else None
                if parsed is None or parsed[0] != ctx.fabric:
                    continue
                kind, logical = split_address(parsed[1])
                if kind != self.kind or not logical:
                    continue
                found.append(
                    Observed(
                        kind=self.kind,
                        name=logical,
                        id=record_id(zid, name, rtype),
                        props=_props(zid, record),
                    )
                )
        return found

    def _write(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], action: str
    ) -> Observed:
        record = _record_set(props)
        changes = [
            {"Action": action, "ResourceRecordSet": record},
            {
                "Action": action,
                "ResourceRecordSet": _ownership_set(
                    ctx, props["name"], props["type"], resource.address
                ),
            },
        ]
        answer = ctx.client("route53").change_resource_record_sets(
            HostedZoneId=props["zone_id"],
            ChangeBatch={"Comment": f"weft {ctx.fabric} {resource.address}", "Changes": changes},
        )
        wait_insync(ctx, answer.get("ChangeInfo", {}), f"record {record['Name']} {record['Type']}")
        observed_props = _props(props["zone_id"], record)
        return Observed(
            kind=self.kind,
            name=resource.name,
            id=record_id(props["zone_id"], props["name"], props["type"]),
            props=observed_props,
        )

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        self._refuse_foreign(ctx, resource.address, props)
        return self._write(ctx, resource, props, "UPSERT")

    def change(self, edit: kit.Edit) -> Observed:
        return self._write(edit.ctx, edit.resource, edit.props, "UPSERT")

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        zid = observed.props["zone_id"]
        name, rtype = observed.props["name"], observed.props["type"]
        route53 = ctx.client("route53")
        current = self._current(
            ctx, zid, [(fqdn(name), rtype), (ownership_name(name, rtype), "TXT")]
        )
        # Delete exactly what is there (Route 53 wants the current values); gone is fine.
        changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in current]
        if not changes:
            return
        answer = route53.change_resource_record_sets(
            HostedZoneId=zid, ChangeBatch={"Changes": changes}
        )
        wait_insync(ctx, answer.get("ChangeInfo", {}), f"deletion of record {name} {rtype}")

    def _refuse_foreign(self, ctx: AwsContext, address: str, props: dict[str, Any]) -> None:
        """A record of that name and type weft does not own (the user's): never overwrite it."""
        name, rtype = fqdn(props["name"]), props["type"]
        found = self._current(
            ctx, props["zone_id"], [(name, rtype), (ownership_name(name, rtype), "TXT")]
        )
        record = next((r for r in found if r["Type"] == rtype and fqdn(r["Name"]) == name), None)
        owner = next((r for r in found if fqdn(r["Name"]) != name or r["Type"] != rtype), None)
        if record is None:
            return
        parsed = _parse_ownership(owner) if owner else None
        if parsed is None or parsed[0] != ctx.fabric:
            raise PermanentError(
                f"record {name} {rtype} already exists and was not written by this fabric",
                address=address,
                hint="weft never overwrites records it does not own: delete or rename it first",
            )

    @staticmethod
    def _current(ctx: AwsContext, zid: str, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The record sets of ``keys`` (name, type) that exist in the zone."""
        route53 = ctx.client("route53")
        out = []
        for name, rtype in keys:
            answer = route53.list_resource_record_sets(
                HostedZoneId=zid, StartRecordName=name, StartRecordType=rtype, MaxItems="1"
            )
            for record in answer.get("ResourceRecordSets", []):
                if fqdn(record["Name"]) == name and record["Type"] == rtype:
                    out.append(record)
        return out


DRIVER = DnsRecordDriver()
