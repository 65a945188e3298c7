"""Kubeconfig entries for a fabric's cluster (pure: dicts in, dicts out; no AWS, no files).

Each fabric gets one cluster, one user and one context, all named ``weft-<fabric>``. The user
holds no credential: it runs a command (an exec plugin) whenever kubectl needs one, so the file
never goes stale. Which command (:class:`TokenCommand`):

- on AWS, ``weft token FABRIC --region REGION`` with ``weft`` from the PATH, or ``aws eks
  get-token`` (as eksctl writes it): nothing in the entry belongs to one machine or one person,
  so the file is safe to commit and works for every teammate with credentials for the account;
- on the local cloud, the absolute path of the ``weft`` that wrote the entry, with its fabric
  file and the local cloud's state directory (``WEFT_STATE_DIR`` in the plugin's environment):
  kubectl reaches that local cloud from any shell, inside weft's virtualenv or not.

:func:`merge` puts these entries into an existing kubeconfig, replacing entries of the same names
and keeping everything else.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
_SECTIONS = ("clusters", "users", "contexts")
#: Where kubectl gets its token on AWS: ``weft token`` or ``aws eks get-token``.
TokenFrom = Literal["weft", "aws"]


def entry_name(fabric: str, role_arn: str | None = None) -> str:
    """``weft-FABRIC``; ``weft-FABRIC@ROLE`` for the entry that acts as the IAM role
    ``role_arn`` (one per role a user may take)."""
    name = f"weft-{fabric}"
    return f"{name}@{role_arn.rsplit('/', 1)[-1]}" if role_arn else name


def role_args(role_arn: str | None) -> list[str]:
    """The token command's arguments that make it act as ``role_arn``."""
    return ["--role-arn", role_arn] if role_arn else []


@dataclass(frozen=True)
class TokenCommand:
    """The exec plugin's command, its arguments and its environment."""

    command: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def to_exec(self) -> dict[str, Any]:
        plugin: dict[str, Any] = {
            "apiVersion": EXEC_API_VERSION,
            "command": self.command,
            "args": list(self.args),
        }
        if self.env:
            plugin["env"] = [{"name": k, "value": v} for k, v in sorted(self.env.items())]
        return {**plugin, "interactiveMode": "Never", "provideClusterInfo": False}


def aws_token_command(
    fabric: str,
    cluster_name: str,
    region: str,
    token_from: TokenFrom = "weft",
    role_arn: str | None = None,
) -> TokenCommand:
    """For a cluster on AWS: ``weft token FABRIC --region REGION`` (``weft`` from the PATH), or
    with ``token_from="aws"`` the AWS CLI's ``aws eks get-token``, as eksctl writes it. Neither
    names a file or a directory of this machine."""
    if token_from == "aws":
        return TokenCommand(
            "aws",
            [
                *("eks", "get-token", "--output", "json"),
                *("--cluster-name", cluster_name, "--region", region),
                *role_args(role_arn),
            ],
        )
    return TokenCommand("weft", ["token", fabric, "--region", region, *role_args(role_arn)])


def local_token_command(
    fabric: str, *, weft: str, fabric_file: str, state_dir: str, role_arn: str | None = None
) -> TokenCommand:
    """For a cluster on the local cloud: the ``weft`` at ``weft`` (an absolute path), reading
    ``fabric_file``, with the local cloud's ``state_dir`` in its environment."""
    return TokenCommand(
        weft,
        ["token", fabric, "-f", fabric_file, "--local", *role_args(role_arn)],
        {"WEFT_STATE_DIR": state_dir},
    )


def render_context(
    fabric: str,
    cluster_name: str,
    endpoint: str,
    ca_data: str,
    region: str,
    *,
    token: TokenCommand,
    local: bool,
    role_arn: str | None = None,
) -> dict[str, Any]:
    """A kubeconfig holding the fabric's cluster, user and context (current context: it); its
    user runs ``token`` for a credential."""
    name = entry_name(fabric, role_arn)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": ca_data,
                    # what this entry stands for, for people and tools reading the file
                    "extensions": [
                        {
                            "name": "weft",
                            "extension": {
                                "fabric": fabric,
                                "eks-cluster": cluster_name,
                                "region": region,
                                "local": local,
                            },
                        }
                    ],
                },
            }
        ],
        "users": [
            {
                "name": name,
                "user": {"exec": token.to_exec()},
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }


def merge(existing: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``existing`` with ``new``'s clusters, users and contexts put in (same names replaced,
    others kept, order kept) and ``new``'s current context made current. Neither is changed."""
    merged: dict[str, Any] = copy.deepcopy(existing) if existing else {}
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    merged.setdefault("preferences", {})
    for section in _SECTIONS:
        entries = [e for e in merged.get(section) or [] if isinstance(e, dict)]
        for entry in new.get(section) or []:
            for i, old in enumerate(entries):
                if old.get("name") == entry.get("name"):
                    entries[i] = copy.deepcopy(entry)
                    break
            else:
                entries.append(copy.deepcopy(entry))
        merged[section] = entries
    if new.get("current-context"):
        merged["current-context"] = new["current-context"]
    return merged
