"""The minimal DNS client that checks a domain's delegation, against a DNS server on loopback."""

from __future__ import annotations

import pytest

from tests.dns_server import dns_server
from weft.aws import dns_query
from weft.aws.delegation import DELEGATED, NOT_DELEGATED, judge

SERVERS = ["ns-1.awsdns-00.com", "ns-2.awsdns-00.net"]


def test_the_ns_records_of_a_delegated_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    with dns_server({"shop.example.com": SERVERS}) as where:
        monkeypatch.setenv(dns_query.RESOLVER_ENV, where)
        answer = dns_query.lookup_ns("Shop.Example.com.")
    assert answer.exists and answer.servers == tuple(SERVERS)
    assert answer.resolver == where


def test_a_name_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    with dns_server({}) as where:
        monkeypatch.setenv(dns_query.RESOLVER_ENV, where)
        answer = dns_query.lookup_ns("nowhere.example.com")
    assert not answer.exists and answer.servers == ()


def test_no_resolver_answering_is_a_lookup_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dns_query.RESOLVER_ENV, "127.0.0.1:9")
    with pytest.raises(
        dns_query.LookupFailed, match=r"no answer from the DNS resolver 127\.0\.0\.1:9"
    ):
        dns_query.lookup_ns("shop.example.com", timeout=0.5)
    monkeypatch.setenv(dns_query.RESOLVER_ENV, "off")
    with pytest.raises(dns_query.LookupFailed, match="no DNS resolver"):
        dns_query.lookup_ns("shop.example.com")


def test_the_resolver_from_resolv_conf(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch local\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n")
    monkeypatch.delenv(dns_query.RESOLVER_ENV, raising=False)
    monkeypatch.setattr(dns_query, "RESOLV_CONF", conf)
    assert dns_query.resolver() == ("10.0.0.2", 53)
    monkeypatch.setenv(dns_query.RESOLVER_ENV, "[::1]:5353")
    assert dns_query.resolver() == ("::1", 5353)


def test_compressed_names_are_followed() -> None:
    query = dns_query.query("a.example.com", 7)
    # an answer whose NS target points back into the question's name (example.com)
    rdata = b"\x03ns1\xc0\x0e"
    record = b"\xc0\x0c\x00\x02\x00\x01\x00\x00\x01\x2c" + len(rdata).to_bytes(2, "big") + rdata
    response = b"\x00\x07\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + query[12:] + record
    assert dns_query.parse(response, "a.example.com", 7) == (True, ("ns1.example.com",))


def test_judging_what_was_found() -> None:
    assert judge(("NS-1.awsdns-00.com.",), tuple(SERVERS))[0] == DELEGATED
    assert judge((), tuple(SERVERS)) == (NOT_DELEGATED, "no NS records point at the zone")
    state, reason = judge(("ns-9.other.net",), tuple(SERVERS))
    assert state == NOT_DELEGATED and "other name servers (ns-9.other.net)" in reason
