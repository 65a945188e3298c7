"""A minimal DNS client: the NS records of one name, asked of one recursive resolver over UDP.

Enough to see whether a domain is delegated to its Route 53 zone (:mod:`weft.aws.delegation`)
without a DNS library in the base dependencies: one query (RFC 1035 section 4), recursion
desired, the answer section's NS records read back (name compression followed).

The resolver is ``$WEFT_DNS_RESOLVER`` (``HOST`` or ``HOST:PORT``; tests point it at a DNS
server on loopback; ``off`` never asks), else the first ``nameserver`` of ``/etc/resolv.conf``.
No answer in time, a resolver that fails, or an answer that cannot be read raise
:class:`LookupFailed`: the caller then says it cannot check.
"""

from __future__ import annotations

import os
import secrets
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

#: The environment variable naming the resolver to ask (``HOST[:PORT]``, or ``off``).
RESOLVER_ENV = "WEFT_DNS_RESOLVER"
RESOLV_CONF = Path("/etc/resolv.conf")
TIMEOUT = 2.0
ATTEMPTS = 2

TYPE_NS = 2
CLASS_IN = 1
RCODE_NXDOMAIN = 3


class LookupFailed(Exception):
    """The resolver could not be asked, or gave no usable answer."""


@dataclass(frozen=True)
class NsAnswer:
    """What the resolver said: ``exists`` False for NXDOMAIN; the NS names (lowercase, no
    trailing dot) owned by the name asked."""

    resolver: str
    exists: bool
    servers: tuple[str, ...]


def resolver() -> tuple[str, int] | None:
    """The resolver to ask, or None when there is none (or ``$WEFT_DNS_RESOLVER`` is ``off``)."""
    configured = os.environ.get(RESOLVER_ENV, "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        host, sep, port = configured.rpartition(":")
        if sep and port.isdigit() and host and not host.endswith(":"):
            return host.strip("[]"), int(port)
        return configured.strip("[]"), 53
    try:
        lines = RESOLV_CONF.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            return parts[1], 53
    return None


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        raw = label.encode("idna") if label else b""
        if not raw or len(raw) > 63:
            raise LookupFailed(f"{name!r} is not a DNS name")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def query(name: str, qid: int) -> bytes:
    """A standard query for the NS records of ``name``, recursion desired."""
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack(">HH", TYPE_NS, CLASS_IN)


def read_name(data: bytes, offset: int) -> tuple[str, int]:
    """The name at ``offset`` and the offset just past it (compression pointers followed)."""
    labels: list[str] = []
    end: int | None = None
    jumps = 0
    while True:
        if offset >= len(data):
            raise LookupFailed("truncated name in the answer")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data) or jumps > 32:
                raise LookupFailed("bad compression pointer in the answer")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            jumps += 1
            continue
        if length == 0:
            return ".".join(labels).lower(), (end if end is not None else offset + 1)
        labels.append(data[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length


def parse(data: bytes, name: str, qid: int) -> tuple[bool, tuple[str, ...]]:
    """(the name exists, its NS records) from a response to :func:`query`."""
    if len(data) < 12:
        raise LookupFailed("short answer")
    rid, flags, qdcount, ancount, _, _ = struct.unpack(">HHHHHH", data[:12])
    if rid != qid or not flags & 0x8000:
        raise LookupFailed("an answer to another question")
    rcode = flags & 0x000F
    if rcode == RCODE_NXDOMAIN:
        return False, ()
    if rcode != 0:
        raise LookupFailed(f"the resolver failed (rcode {rcode})")
    if flags & 0x0200 and not ancount:
        raise LookupFailed("truncated answer")
    offset = 12
    for _ in range(qdcount):
        _, offset = read_name(data, offset)
        offset += 4
    wanted = name.strip(".").lower()
    servers: list[str] = []
    for _ in range(ancount):
        owner, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise LookupFailed("truncated record in the answer")
        rtype, _rclass, _ttl, rdlength = struct.unpack(">HHIH", data[offset : offset + 10])
        offset += 10
        if rtype == TYPE_NS and owner == wanted:
            server, _ = read_name(data, offset)
            servers.append(server.rstrip("."))
        offset += rdlength
    return True, tuple(sorted(set(servers)))


def lookup_ns(name: str, *, timeout: float = TIMEOUT) -> NsAnswer:
    """Ask the resolver (:func:`resolver`) for the NS records of ``name``."""
    where = resolver()
    if where is None:
        raise LookupFailed(f"no DNS resolver to ask (set {RESOLVER_ENV}=HOST[:PORT])")
    host, port = where
    shown = f"{host}:{port}"
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        qid = secrets.randbelow(0x10000)
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.settimeout(timeout)
                sock.connect((host, port))  # a closed port is then refused at once
                sock.send(query(name, qid))
                while True:
                    data = sock.recv(4096)
                    try:
                        exists, servers = parse(data, name, qid)
                    except LookupFailed as exc:
                        if "another question" in str(exc):
                            continue
                        raise
                    return NsAnswer(shown, exists, servers)
        except (OSError, UnicodeError) as exc:
            last = exc
    raise LookupFailed(f"no answer from the DNS resolver {shown} ({last})")
