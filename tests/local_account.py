"""The local cloud's account, emptied between tests."""

from __future__ import annotations

import urllib.request

#: a reset rebuilds every moto backend and stops what the simulators run for the account; it
#: takes 2-5 s on a loaded 2-core machine, and longer after a test that left a cluster behind
RESET_TIMEOUT = 60.0


def reset_account(moto_url: str, *, parent_zones: bool = True) -> None:
    """An empty account; with ``parent_zones``, the parent zones ``weft local up`` keeps
    (example.com, ...) put back, so a fabric's domain can be delegated as a registrar would."""
    from weft.local import parent_zones as zones

    req = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=RESET_TIMEOUT):
        pass
    if parent_zones:
        zones.ensure(moto_url)
