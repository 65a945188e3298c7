"""The application commands' connection to one fabric: its cluster, found in the cloud and
reached with an EKS token, the cloud resources the apps use, and the events the commands report.

The cluster is the fabric's own (:data:`weft.model.addresses.CLUSTER`), never a kubeconfig's
current context.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from typing import Any

from weft.aws import eks_token
from weft.aws.drivers import DRIVERS
from weft.aws.inventory import Inventory, discover
from weft.core.resource import Observed
from weft.errors import GuardError, UsageError
from weft.fabricfile import App, CronJob, Fabric
from weft.kube import manifests
from weft.kube.client import Kube
from weft.model.addresses import CLUSTER
from weft.ops import retrying
from weft.ops.target import Target, require_local_kube

#: The cloud resources the application commands read.
KINDS = (
    "eks_cluster",
    "db_instance",
    "cache_replication_group",
    "bucket",
    "acm_certificate",
    "hosted_zone",
    "app_record",
    "app_alarm",
    "iam_role",
    "eks_pod_identity_association",
)
#: Where ``weft verify`` puts its canary.
VERIFY_NAMESPACE = "weft-verify"


@dataclass(frozen=True)
class AppEvent:
    """One thing that happened to an app (what the CLI shows as a progress line)."""

    app: str
    #: applied | pruned | progress | failed | rollback | done | dns | alarm | step | teardown
    phase: str
    message: str
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.phase, **asdict(self)}


Report = Callable[[AppEvent], None]


def ignore(_event: AppEvent) -> None:
    pass


def namespace_of(fabric: Fabric) -> str:
    """The namespace of a fabric's apps."""
    return fabric.name


class Connection:
    """One fabric's cluster and cloud resources, for the application commands.

    ``fabric``: the apps acted on (the fabric file's, or another set: ``weft verify``'s canary);
    ``namespace``: where they go (the fabric's, by default). The inventory is read once (again
    with ``fresh``; ``inventory``: one already read, as ``weft plan`` has), the cluster reached
    on first use; :meth:`close` lets the cluster go.
    """

    def __init__(
        self,
        target: Target,
        report: Report = ignore,
        *,
        fabric: Fabric | None = None,
        namespace: str | None = None,
        inventory: Inventory | None = None,
    ) -> None:
        self.target = target
        self.fabric = fabric or target.fabric
        self.namespace = namespace or namespace_of(target.fabric)
        self.report = report
        self.ctx = target.context()
        self._inv: Inventory | None = inventory
        self._kube: Kube | None = None
        self._versions: manifests.ApiVersions | None = None
        self._t0 = time.monotonic()

    def emit(self, app: str, phase: str, message: str) -> None:
        self.report(AppEvent(app, phase, message, round(time.monotonic() - self._t0, 2)))

    def inventory(self, fresh: bool = False) -> Inventory:
        if self._inv is None or fresh:
            # Read again on throttling or a passing error, as every other reading of the cloud
            # is (:mod:`weft.ops.retrying`): the Kubernetes phase of ``down`` starts with it.
            kinds = {k: DRIVERS[k] for k in KINDS}
            self._inv = retrying.attempt(lambda: discover(self.ctx, kinds))
        return self._inv

    def cluster(self) -> Observed:
        found = self.inventory().by_address.get(CLUSTER)
        if self.fabric.cluster is None:
            raise GuardError(
                f"{self.fabric.source}: fabric {self.fabric.name} has no cluster section",
                hint="add a cluster: section to run applications",
            )
        if found is None:
            raise GuardError(
                f"fabric {self.fabric.name} has no cluster yet", hint="create it with: weft up"
            )
        return found

    @property
    def kube(self) -> Kube:
        if self._kube is None:
            cluster = self.cluster()
            require_local_kube(self.target)
            endpoint, ca = cluster.outputs.get("endpoint"), cluster.outputs.get("ca_data")
            if not endpoint or not ca:
                raise GuardError(
                    f"cluster {cluster.id} has no API endpoint yet (state {cluster.state})",
                    hint="wait for weft up to finish",
                )
            session, name = self.target.session, cluster.id
            self._kube = Kube(
                str(endpoint),
                str(ca),
                lambda: str(eks_token.get_token(session, name)["status"]["token"]),
                cluster=name,
            )
        return self._kube

    @property
    def versions(self) -> manifests.ApiVersions:
        if self._versions is None:
            self._versions = self.kube.api_versions()
        return self._versions

    def close(self) -> None:
        if self._kube is not None:
            self._kube.close()

    def workloads(self) -> list[App | CronJob]:
        return [*self.fabric.apps, *self.fabric.cronjobs]

    def names(self) -> list[str]:
        return [w.name for w in self.workloads()]

    def check_names(self, only: Collection[str] | None) -> None:
        """Refuse names of apps and cron jobs the file does not have."""
        if not only:
            return
        known = self.names()
        unknown = [n for n in only if n not in known]
        if unknown:
            listed = ", ".join(known) or "none"
            raise UsageError(
                f"{self.fabric.source} has no app or cron job named {', '.join(unknown)} "
                f"(it has: {listed})"
            )
