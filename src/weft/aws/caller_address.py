"""The caller's public IPv4 address, as the internet sees it: what ``weft init`` writes into
``cluster.api_cidrs`` so that the Kubernetes API admits its author and nobody else by default.

The answer comes from an HTTP service that echoes the caller's address: AWS's own
``https://checkip.amazonaws.com`` (the address EKS sees the same caller from), or the URL in
``WEFT_CHECKIP_URL`` (tests point it at a server on loopback). Offline, slow (a few seconds), or
an answer that is not one IPv4 address: None, and the file must say who may reach the API.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.error
import urllib.request

CHECKIP_URL = "https://checkip.amazonaws.com"
#: The environment variable that replaces :data:`CHECKIP_URL`.
CHECKIP_ENV = "WEFT_CHECKIP_URL"
TIMEOUT = 3.0


def source() -> str:
    """Where the caller's address is asked: ``$WEFT_CHECKIP_URL``, else :data:`CHECKIP_URL`."""
    return os.environ.get(CHECKIP_ENV) or CHECKIP_URL


def parse(answer: str) -> str | None:
    """The IPv4 address in an echo service's answer (one address, whitespace around it), or
    None when it is anything else (a proxy's page, an IPv6 address, a loopback or unspecified
    address, which no public endpoint ever sees)."""
    try:
        address = ipaddress.ip_address(answer.strip())
    except ValueError:
        return None
    if address.version != 4 or address.is_loopback or address.is_unspecified:
        return None
    return str(address)


def public_address(url: str | None = None, timeout: float = TIMEOUT) -> str | None:
    """The caller's public IPv4 address, or None when it cannot be found (see the module)."""
    try:
        with urllib.request.urlopen(url or source(), timeout=timeout) as response:
            body = response.read(256)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return parse(body.decode("ascii", errors="replace"))
