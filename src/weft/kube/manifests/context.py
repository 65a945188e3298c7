"""What rendering works from: the input of a whole render, and the context of one entry.

:class:`RenderInput` is the fabric and what must come from the cloud (the data stores'
endpoints, the certificate, secret values, the API versions the cluster serves). A
:class:`Context` is one app or cron job as it is rendered: the version deployed, the labels and
the environment all of its objects share, and their common :meth:`~Context.metadata`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from weft.errors import UsageError
from weft.fabricfile import Fabric
from weft.kube.manifests.api_versions import ApiVersions
from weft.kube.manifests.entries import Workload
from weft.kube.manifests.environment import DataStore, container_env
from weft.kube.manifests.labelling import labels
from weft.model.app_roles import needs_role

__all__ = ["Context", "RenderInput"]


@dataclass(frozen=True)
class RenderInput:
    """Everything :func:`~weft.kube.manifests.render` needs besides the spec."""

    fabric: Fabric
    #: Where the apps live (the fabric's name).
    namespace: str
    #: The fabric's wildcard certificate, for ingresses with TLS.
    certificate_arn: str | None
    #: By name, every store any rendered app or cron job uses.
    data: Mapping[str, DataStore]
    #: Secrets-store name -> value; a missing one renders as
    #: :data:`~weft.kube.manifests.environment.REDACTED`.
    secret_values: Mapping[str, str]
    versions: ApiVersions = field(default_factory=ApiVersions)
    #: App or cron job name -> the version to render instead of the file's (``weft release``).
    version_overrides: Mapping[str, str] = field(default_factory=dict)
    #: App or cron job name -> the ARN of its IAM role, for each that has one
    #: (:func:`weft.model.app_roles.needs_role`); :data:`UNKNOWN` before ``weft up`` made it.
    role_arns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """One app or cron job being rendered, with what its objects share."""

    inp: RenderInput
    entry: Workload
    #: The version deployed: the override, or the one in the file.
    version: str
    labels: dict[str, str]
    #: The container's ``env``.
    env: list[dict[str, Any]]
    #: The data of the entry's Secret: variable -> value (empty: no Secret).
    secret_data: dict[str, str]
    #: The ARN of the entry's IAM role: its pods run as a ServiceAccount of its own that may
    #: assume it. None: the entry uses no AWS resource, and runs as the namespace's default.
    role_arn: str | None = None

    @classmethod
    def of(cls, inp: RenderInput, entry: Workload) -> Context:
        """The context of ``entry``; raises as :func:`container_env` does, and UsageError when
        ``entry`` needs a role and ``role_arns`` has none for it."""
        version = inp.version_overrides.get(entry.name, entry.version)
        entry_labels = labels(inp.fabric, entry.name, version)
        env, secret_data = container_env(entry, inp.data, inp.secret_values)
        role_arn = None
        if needs_role(inp.fabric, entry):
            role_arn = inp.role_arns.get(entry.name)
            if role_arn is None:
                raise UsageError(
                    f"{entry.name} uses an AWS resource, and the ARN of its IAM role is not known",
                    hint="create the role with: weft up",
                )
        return cls(inp, entry, version, entry_labels, env, secret_data, role_arn)

    @property
    def name(self) -> str:
        """The app's or cron job's name, which its objects are named after."""
        return self.entry.name

    def metadata(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        """``metadata`` of one of the entry's objects: named ``name`` (by default the entry's),
        in the fabric's namespace, with the entry's labels and the ``extra`` keys that are set."""
        meta: dict[str, Any] = {
            "name": name or self.name,
            "namespace": self.inp.namespace,
            "labels": dict(self.labels),
        }
        meta.update({key: value for key, value in extra.items() if value})
        return meta
