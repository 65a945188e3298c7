"""The local API server as its administrator reaches it: a bearer token and the local CA, in a
kubeconfig or in plain HTTPS requests (health, version) made before any client is set up."""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.request
from pathlib import Path

CLUSTER_NAME = "weft-local"
ADMIN_USER = "weft-admin"


def ssl_context(ca_file: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


def api_get(
    endpoint: str, path: str, token: str, ca_file: str, timeout: float = 3.0
) -> tuple[int, bytes]:
    """GET ``path`` on the API server with the bearer token; (status, body), 0 when unreachable."""
    req = urllib.request.Request(f"{endpoint}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ssl_context(ca_file)) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return 0, b""


def write_kubeconfig(
    path: Path, endpoint: str, ca_file: Path, token: str, user: str = ADMIN_USER
) -> None:
    """A kubeconfig with the CA inline and a bearer token (JSON, which is valid YAML)."""
    ca_data = base64.b64encode(ca_file.read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER_NAME,
                "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
            }
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {
                "name": CLUSTER_NAME,
                "context": {"cluster": CLUSTER_NAME, "user": user, "namespace": "default"},
            }
        ],
        "current-context": CLUSTER_NAME,
        "preferences": {},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_token(kubeconfig: str | Path) -> str:
    data = json.loads(Path(kubeconfig).read_text())
    return str(data["users"][0]["user"]["token"])
