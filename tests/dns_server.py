"""A small DNS server on loopback (UDP) for tests: answers NS questions from a table.

``records`` maps a name (no trailing dot) to its NS names; a name not in it gets NXDOMAIN.
Answers compress the owner name (a pointer to the question), as real servers do.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\0"


def answer(request: bytes, records: dict[str, list[str]]) -> bytes:
    qid, _flags, _qd = struct.unpack(">HHH", request[:6])
    offset, labels = 12, []
    while request[offset]:
        length = request[offset]
        labels.append(request[offset + 1 : offset + 1 + length].decode())
        offset += 1 + length
    question = request[12 : offset + 5]
    asked = ".".join(labels).lower()
    servers = records.get(asked)
    rcode = 3 if servers is None else 0
    body = b""
    for server in servers or []:
        rdata = _name(server)
        body += struct.pack(">HHHIH", 0xC00C, 2, 1, 300, len(rdata)) + rdata
    header = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, len(servers or []), 0, 0)
    return header + question + body


@contextmanager
def dns_server(records: dict[str, list[str]]) -> Iterator[str]:
    """Serve ``records`` on 127.0.0.1; yields ``127.0.0.1:PORT`` (for ``WEFT_DNS_RESOLVER``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            sock.sendto(answer(data, records), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()
