"""DNS drivers against the local cloud: hosted zones (created or adopted), records with their
ownership registry, ACM certificates and their DNS validation."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from tests.dns_server import dns_server
from tests.integration.test_aws_data import Recorder, desired, discovered, make_ctx, update
from weft.aws import delegation, dns_query
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.core.resource import Observed, thaw
from weft.errors import PermanentError, Waiting
from weft.local import parent_zones

pytestmark = pytest.mark.integration


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def ctx(moto_url: str, rec: Recorder) -> AwsContext:
    return make_ctx(moto_url).with_reporter(rec.messages.append)


@pytest.fixture
def domain() -> str:
    return f"{uuid.uuid4().hex[:8]}.example.com"


def zone_props(ctx: AwsContext, domain: str) -> dict[str, Any]:
    return {"domain": domain, "comment": f"weft fabric {ctx.fabric}"}


def make_zone(ctx: AwsContext, domain: str) -> Observed:
    return DRIVERS["hosted_zone"].create(
        ctx, *desired(ctx, "hosted_zone", "main", **zone_props(ctx, domain))
    )


def records_of(ctx: AwsContext, zone_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    answer = ctx.client("route53").list_resource_record_sets(HostedZoneId=zone_id)
    return {(r["Name"], r["Type"]): r for r in answer["ResourceRecordSets"]}


def zone_exists(ctx: AwsContext, zone_id: str) -> bool:
    zones = ctx.client("route53").list_hosted_zones()["HostedZones"]
    return any(z["Id"].endswith(f"/{zone_id}") for z in zones)


def record_props(zone_id: str, name: str, **over: Any) -> dict[str, Any]:
    return {
        "zone_id": zone_id,
        "name": name,
        "type": "CNAME",
        "ttl": 300,
        "values": ["target.example.net."],
        "alias": None,
        **over,
    }


def user_record(ctx: AwsContext, zone_id: str, name: str, value: str = "192.0.2.10") -> None:
    ctx.client("route53").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ]
        },
    )


# --------------------------------------------------------------------------------- hosted zone


def test_hosted_zone_lifecycle(ctx: AwsContext, domain: str) -> None:
    resource, props = desired(ctx, "hosted_zone", "main", **zone_props(ctx, domain))
    created = DRIVERS["hosted_zone"].create(ctx, resource, props)
    assert "/" not in created.id
    assert created.outputs["adopted"] is False
    assert created.outputs["name_servers"]
    found = discovered(ctx, "hosted_zone")
    assert set(found) == {"main"}
    assert thaw(found["main"].props) == {**props, "zone_id": created.id}
    assert thaw(found["main"].outputs) == thaw(created.outputs)

    _, new = update(ctx, "hosted_zone", found["main"], comment="changed", tags={"team": "dns"})
    found = discovered(ctx, "hosted_zone")
    assert thaw(found["main"].props) == new

    # records left in a zone weft created go with it
    user_record(ctx, created.id, f"left.{domain}.")
    DRIVERS["hosted_zone"].delete(ctx, found["main"])
    assert discovered(ctx, "hosted_zone") == {}
    assert not zone_exists(ctx, created.id)


def test_the_zone_the_file_names_is_adopted_among_several(ctx: AwsContext, domain: str) -> None:
    """``dns.zone_id``: that zone, checked, even where the domain has several public zones
    (which weft refuses to choose between by itself)."""
    route53 = ctx.client("route53")

    def existing(name: str, private: bool = False) -> str:
        config: dict[str, Any] = {"Comment": "the user's", "PrivateZone": private}
        extra: dict[str, Any] = (
            {
                "VPC": {
                    "VPCRegion": "us-east-2",
                    "VPCId": ctx.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"],
                }
            }
            if private
            else {}
        )
        made = route53.create_hosted_zone(
            Name=name, CallerReference=uuid.uuid4().hex, HostedZoneConfig=config, **extra
        )
        return str(made["HostedZone"]["Id"].rsplit("/", 1)[-1])

    one, other = existing(domain), existing(domain)
    resource, props = desired(ctx, "hosted_zone", "main", **zone_props(ctx, domain))
    with pytest.raises(PermanentError, match="has 2 public hosted zones"):
        DRIVERS["hosted_zone"].create(ctx, resource, props)

    def refused(zone_id: str) -> str:
        named = {**props, "zone_id": zone_id}
        with pytest.raises(PermanentError) as caught:
            DRIVERS["hosted_zone"].create(ctx, resource, named)
        return str(caught.value)

    assert "no hosted zone ZNOSUCHZONE in account" in refused("ZNOSUCHZONE")
    assert f"serves other-{domain}, not {domain}" in refused(existing(f"other-{domain}"))
    assert "is a private hosted zone" in refused(existing(domain, private=True))

    named = {**props, "zone_id": other}
    adopted = DRIVERS["hosted_zone"].create(ctx, resource, named)
    assert adopted.id == other and adopted.outputs["adopted"] is True
    found = discovered(ctx, "hosted_zone")["main"]
    assert thaw(found.props) == named
    assert DRIVERS["hosted_zone"].create(ctx, resource, named).id == other  # retried: the same
    DRIVERS["hosted_zone"].delete(ctx, found)
    assert zone_exists(ctx, other) and zone_exists(ctx, one)  # adopted: released, not deleted


def test_hosted_zone_create_retried_finds_the_first(ctx: AwsContext, domain: str) -> None:
    first = make_zone(ctx, domain)
    second = make_zone(ctx, domain)
    assert first.id == second.id
    assert len(discovered(ctx, "hosted_zone")) == 1


def test_existing_zone_is_adopted_and_survives_delete(
    ctx: AwsContext, domain: str, rec: Recorder
) -> None:
    route53 = ctx.client("route53")
    existing = route53.create_hosted_zone(
        Name=domain, CallerReference=uuid.uuid4().hex, HostedZoneConfig={"Comment": "the user's"}
    )["HostedZone"]
    zone_id = existing["Id"].rsplit("/", 1)[-1]
    user_record(ctx, zone_id, f"www.{domain}.")

    resource, props = desired(ctx, "hosted_zone", "main", **zone_props(ctx, domain))
    adopted = DRIVERS["hosted_zone"].create(ctx, resource, props)
    assert adopted.id == zone_id
    assert adopted.outputs["adopted"] is True
    assert any("adopted" in m for m in rec.messages)
    found = discovered(ctx, "hosted_zone")["main"]
    # the hidden adoption tags are not in `tags`
    assert thaw(found.props) == {**props, "zone_id": zone_id}
    assert found.outputs["adopted"] is True

    # a tag update keeps the adoption mark
    update(ctx, "hosted_zone", found, tags={"team": "dns"})
    assert discovered(ctx, "hosted_zone")["main"].outputs["adopted"] is True

    # weft writes a record in it
    record = DRIVERS["dns_record"].create(
        ctx, *desired(ctx, "dns_record", "app-web", **record_props(zone_id, f"app.{domain}."))
    )
    DRIVERS["dns_record"].delete(ctx, record)
    DRIVERS["dns_record"].create(
        ctx, *desired(ctx, "dns_record", "app-web", **record_props(zone_id, f"app.{domain}."))
    )

    DRIVERS["hosted_zone"].delete(ctx, discovered(ctx, "hosted_zone")["main"])
    assert zone_exists(ctx, zone_id)
    left = records_of(ctx, zone_id)
    assert (f"www.{domain}.", "A") in left  # the user's record stays
    assert (f"app.{domain}.", "CNAME") not in left  # weft's goes
    assert not any(name.startswith("_weft-") for name, _ in left)
    tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
    assert not any(t["Key"].startswith("weft:") for t in tags["ResourceTagSet"]["Tags"])
    assert "team" not in {t["Key"] for t in tags["ResourceTagSet"]["Tags"]}
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Config"]["Comment"] == "the user's"
    assert discovered(ctx, "hosted_zone") == {}


def test_zone_of_another_fabric_is_refused(moto_url: str, ctx: AwsContext, domain: str) -> None:
    make_zone(ctx, domain)
    other = make_ctx(moto_url)
    with pytest.raises(PermanentError, match=f"belongs to fabric {ctx.fabric}"):
        make_zone(other, domain)


def test_private_zone_is_not_adopted(ctx: AwsContext, domain: str) -> None:
    vpc = ctx.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    private = ctx.client("route53").create_hosted_zone(
        Name=domain,
        CallerReference=uuid.uuid4().hex,
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": "us-east-2", "VPCId": vpc},
    )["HostedZone"]
    created = make_zone(ctx, domain)
    assert created.id != private["Id"].rsplit("/", 1)[-1]
    assert created.outputs["adopted"] is False


# ---------------------------------------------------------------------------------- dns record


def test_dns_record_lifecycle(ctx: AwsContext, domain: str) -> None:
    zone = make_zone(ctx, domain)
    resource, props = desired(
        ctx, "dns_record", "cert-validation", **record_props(zone.id, f"_abc.{domain}.")
    )
    props.pop("tags")  # records cannot be tagged: the props have none
    created = DRIVERS["dns_record"].create(ctx, resource, props)
    assert created.id == f"{zone.id}/_abc.{domain}./CNAME"
    found = discovered(ctx, "dns_record")
    assert set(found) == {"cert-validation"}
    assert thaw(found["cert-validation"].props) == props
    owner = records_of(ctx, zone.id)[(f"_weft-cname._abc.{domain}.", "TXT")]
    assert owner["ResourceRecords"] == [
        {"Value": f'"weft fabric={ctx.fabric} id=dns_record.cert-validation"'}
    ]

    _, new = update(
        ctx, "dns_record", found["cert-validation"], ttl=60, values=["other.example.net."]
    )
    found = discovered(ctx, "dns_record")
    assert thaw(found["cert-validation"].props) == new

    DRIVERS["dns_record"].delete(ctx, found["cert-validation"])
    assert discovered(ctx, "dns_record") == {}
    left = records_of(ctx, zone.id)
    assert not any(name.endswith(f"_abc.{domain}.") for name, _ in left)
    DRIVERS["dns_record"].delete(ctx, found["cert-validation"])  # already gone: fine


def test_alias_and_multi_value_records(ctx: AwsContext, domain: str) -> None:
    zone = make_zone(ctx, domain)
    alias = {
        **record_props(zone.id, f"*.{domain}.", type="A", ttl=None, values=[]),
        "alias": {"dns_name": "lb-1.us-east-2.elb.amazonaws.com", "zone_id": "Z3AADJGX6KTTL2"},
    }
    resource, props = desired(ctx, "dns_record", "app-web", **alias)
    props.pop("tags")
    DRIVERS["dns_record"].create(ctx, resource, props)
    txt = record_props(zone.id, f"{domain}.", type="TXT", values=['"b=2"', '"a=1"'])
    t_resource, t_props = desired(ctx, "dns_record", "spf", **txt)
    t_props.pop("tags")
    DRIVERS["dns_record"].create(ctx, t_resource, t_props)

    found = discovered(ctx, "dns_record")
    assert set(found) == {"app-web", "spf"}
    assert thaw(found["app-web"].props) == props
    assert sorted(found["spf"].props["values"]) == sorted(t_props["values"])
    # the wildcard's ownership record uses `_any` for the `*` label
    assert (f"_weft-a._any.{domain}.", "TXT") in records_of(ctx, zone.id)
    for observed in found.values():
        DRIVERS["dns_record"].delete(ctx, observed)
    assert discovered(ctx, "dns_record") == {}


def test_records_weft_did_not_write_are_never_touched(
    moto_url: str, ctx: AwsContext, domain: str
) -> None:
    zone = make_zone(ctx, domain)
    user_record(ctx, zone.id, f"www.{domain}.")
    # a record of the same name and type, not weft's: creating over it is refused
    resource, props = desired(
        ctx,
        "dns_record",
        "www",
        **record_props(zone.id, f"www.{domain}.", type="A", values=["192.0.2.99"]),
    )
    props.pop("tags")
    with pytest.raises(PermanentError, match="not written by this fabric"):
        DRIVERS["dns_record"].create(ctx, resource, props)
    assert discovered(ctx, "dns_record") == {}

    # another fabric's ownership record does not make it ours either
    other = make_ctx(moto_url)
    ctx.client("route53").change_resource_record_sets(
        HostedZoneId=zone.id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"_weft-a.www.{domain}.",
                        "Type": "TXT",
                        "TTL": 300,
                        "ResourceRecords": [
                            {"Value": f'"weft fabric={other.fabric} id=dns_record.www"'}
                        ],
                    },
                }
            ]
        },
    )
    assert discovered(ctx, "dns_record") == {}
    assert records_of(ctx, zone.id)[(f"www.{domain}.", "A")]["ResourceRecords"] == [
        {"Value": "192.0.2.10"}
    ]


# ------------------------------------------------------------------------- ACM and validation


def add_cname(ctx: AwsContext, zone_id: str, name: str, value: str) -> None:
    ctx.client("route53").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "CNAME",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ]
        },
    )


def status_of(ctx: AwsContext, arn: str) -> str:
    return str(ctx.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]["Status"])


def test_certificate_and_validation(
    ctx: AwsContext, domain: str, rec: Recorder, moto_url: str
) -> None:
    zone = make_zone(ctx, domain)
    parent_zones.delegate(moto_url, domain)
    resource, props = desired(
        ctx, "acm_certificate", "wildcard", domain=f"*.{domain}", sans=[domain]
    )
    cert = DRIVERS["acm_certificate"].create(ctx, resource, props)
    assert cert.id == cert.outputs["arn"]
    assert cert.outputs["status"] == "PENDING_VALIDATION"
    validation = cert.outputs["validation"]
    assert len(validation) == 1  # the wildcard and the apex share one record
    assert validation[0]["type"] == "CNAME"
    found = discovered(ctx, "acm_certificate")
    assert set(found) == {"wildcard"}
    assert thaw(found["wildcard"].props) == props

    r_resource, r_props = desired(
        ctx,
        "dns_record",
        "cert-validation",
        **record_props(zone.id, validation[0]["name"], values=[validation[0]["value"]]),
    )
    r_props.pop("tags")
    DRIVERS["dns_record"].create(ctx, r_resource, r_props)

    v_resource, v_props = desired(
        ctx,
        "certificate_validation",
        "wildcard",
        certificate_arn=cert.id,
        record_names=[validation[0]["name"]],
    )
    v_props.pop("tags")
    issued = DRIVERS["certificate_validation"].create(ctx, v_resource, v_props)
    assert issued.outputs["arn"] == cert.id
    assert issued.id != cert.id
    assert thaw(issued.props) == v_props
    found_v = discovered(ctx, "certificate_validation")
    assert set(found_v) == {"wildcard"}
    assert thaw(found_v["wildcard"].props) == v_props
    assert discovered(ctx, "acm_certificate")["wildcard"].state == "issued"

    _, new = update(ctx, "acm_certificate", found["wildcard"], tags={"team": "web"})
    assert thaw(discovered(ctx, "acm_certificate")["wildcard"].props) == new

    DRIVERS["certificate_validation"].delete(ctx, found_v["wildcard"])  # nothing to do
    DRIVERS["acm_certificate"].delete(ctx, found["wildcard"])
    assert discovered(ctx, "acm_certificate") == {}
    assert discovered(ctx, "certificate_validation") == {}


def test_validation_progress_names_the_domain(
    ctx: AwsContext, domain: str, rec: Recorder, moto_url: str
) -> None:
    zone = make_zone(ctx, domain)
    parent_zones.delegate(moto_url, domain)
    resource, props = desired(ctx, "acm_certificate", "wildcard", domain=f"*.{domain}", sans=[])
    cert = DRIVERS["acm_certificate"].create(ctx, resource, props)
    record = cert.outputs["validation"][0]
    later = threading.Timer(1.0, add_cname, (ctx, zone.id, record["name"], record["value"]))
    later.start()
    v_resource, v_props = desired(
        ctx, "certificate_validation", "wildcard", certificate_arn=cert.id, record_names=[]
    )
    DRIVERS["certificate_validation"].create(ctx, v_resource, v_props)
    later.join()
    waits = [m for m in rec.messages if m.startswith("waiting for DNS validation of")]
    assert waits and waits[0].startswith(
        f"waiting for DNS validation of *.{domain}: PENDING_VALIDATION ("
    )


def test_a_certificate_waits_for_the_delegation_of_its_zone(
    ctx: AwsContext, domain: str, moto_url: str
) -> None:
    """No certificate is requested (nor waited on for 45 minutes) while the zone answers
    nothing: the create says what to set where, and a later one, once delegated, goes on."""
    zone = make_zone(ctx, domain)
    servers = zone.outputs["name_servers"]
    assert len(servers) == 4
    resource, props = desired(ctx, "acm_certificate", "wildcard", domain=f"*.{domain}", sans=[])
    with pytest.raises(Waiting) as caught:
        DRIVERS["acm_certificate"].create(ctx, resource, props)
    text = str(caught.value)
    assert f"waiting for the delegation of {domain} to its hosted zone {zone.id}" in text
    assert "Route 53 zone example.com" in text
    assert all(s in text for s in servers)
    assert discovered(ctx, "acm_certificate") == {}

    found = delegation.check_domain(ctx, domain)
    assert found is not None and found.state == delegation.NOT_DELEGATED
    parent_zones.delegate(moto_url, domain)
    found = delegation.check_domain(ctx, domain)
    assert found is not None and found.delegated
    assert sorted(found.found) == sorted(servers)
    cert = DRIVERS["acm_certificate"].create(ctx, resource, props)
    assert cert.outputs["status"] == "PENDING_VALIDATION"


def test_the_delegation_checked_through_dns_when_no_parent_zone_is_in_the_account(
    ctx: AwsContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A domain whose parent is not in the account: its NS records asked of a resolver (here
    a DNS server on loopback); no resolver answering: cannot check, and the certificate is
    requested all the same (its DNS may well be right)."""
    domain = f"{uuid.uuid4().hex[:8]}.weft-test.dev"
    zone = make_zone(ctx, domain)
    servers = zone.outputs["name_servers"]
    with dns_server({domain: list(servers)}) as where:
        monkeypatch.setenv(dns_query.RESOLVER_ENV, where)
        found = delegation.check_domain(ctx, domain)
    assert found is not None and found.delegated and found.checked_with == f"DNS resolver {where}"
    with dns_server({domain: ["ns-1.other-dns.net"]}) as where:
        monkeypatch.setenv(dns_query.RESOLVER_ENV, where)
        found = delegation.check_domain(ctx, domain)
        assert found is not None and found.state == delegation.NOT_DELEGATED
        assert "at the domain's registrar" in found.instructions()
        resource, props = desired(ctx, "acm_certificate", "wildcard", domain=f"*.{domain}", sans=[])
        with pytest.raises(Waiting):
            DRIVERS["acm_certificate"].create(ctx, resource, props)
    with dns_server({}) as where:
        monkeypatch.setenv(dns_query.RESOLVER_ENV, where)
        found = delegation.check_domain(ctx, domain)
        assert found is not None and found.state == delegation.NOT_DELEGATED
        assert "NXDOMAIN" in found.reason
    monkeypatch.setenv(dns_query.RESOLVER_ENV, "127.0.0.1:9")
    found = delegation.check_domain(ctx, domain)
    assert found is not None and found.state == delegation.UNKNOWN
    assert DRIVERS["acm_certificate"].create(ctx, resource, props).outputs["arn"]


def test_local_cloud_gives_each_zone_its_own_name_servers(ctx: AwsContext) -> None:
    """As Route 53 does (moto alone gives every zone the same four)."""
    one = make_zone(ctx, f"{uuid.uuid4().hex[:8]}.example.com")
    other = make_zone(ctx, f"{uuid.uuid4().hex[:8]}.example.com")
    assert len(set(one.outputs["name_servers"])) == 4
    assert set(one.outputs["name_servers"]) != set(other.outputs["name_servers"])
    ns = [
        r
        for r in records_of(ctx, one.id).values()
        if r["Type"] == "NS" and r["Name"].rstrip(".") == one.props["domain"]
    ]
    assert {v["Value"].rstrip(".") for v in ns[0]["ResourceRecords"]} == set(
        one.outputs["name_servers"]
    )


def test_local_cloud_issues_a_certificate_only_through_a_delegated_zone(
    ctx: AwsContext, domain: str, moto_url: str
) -> None:
    """As ACM does: pending while its validation CNAME cannot be found from the top of DNS
    (in a zone nothing delegates to, or delegated to another zone's servers), issued once the
    delegation leads to it (moto alone issues a fixed time after the request, records or
    not)."""
    zone = make_zone(ctx, domain)
    acm = ctx.client("acm")
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION"
    record = cert["DomainValidationOptions"][0]["ResourceRecord"]
    add_cname(ctx, zone.id, record["Name"], record["Value"])
    time.sleep(1.5)  # moto's own timer would have issued it by now
    assert status_of(ctx, arn) == "PENDING_VALIDATION"  # in a zone nothing delegates to

    # delegated to another zone's name servers (a stale delegation): still not found
    stale = make_zone(ctx, f"{uuid.uuid4().hex[:8]}.example.com")
    parents = parent_zones.ensure(moto_url)
    ctx.client("route53").change_resource_record_sets(
        HostedZoneId=parents["example.com"],
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": f"{domain}.",
                        "Type": "NS",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": s} for s in stale.outputs["name_servers"]],
                    },
                }
            ]
        },
    )
    assert status_of(ctx, arn) == "PENDING_VALIDATION"

    parent_zones.delegate(moto_url, domain)
    assert status_of(ctx, arn) == "ISSUED"


def test_local_cloud_delegates_only_under_its_parent_zones(moto_url: str) -> None:
    from weft.errors import LocalCloudError

    with pytest.raises(LocalCloudError, match=r"keeps the DNS of example\.com"):
        parent_zones.delegate(moto_url, "shop.weft-test.dev")
