"""``weft dashboard``: where the fabric's CloudWatch dashboard is, and whether it is there; with
``observability.prometheus``, where its Prometheus workspace is queried."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from weft.aws.drivers import amp_workspace
from weft.aws.drivers.dashboard import fabric_dashboard
from weft.core.resource import thaw
from weft.model.observability import console_url, dashboard_name
from weft.ops.target import Target


@dataclass(frozen=True)
class Dashboard:
    name: str
    url: str
    #: the fabric file asks for it (``observability.dashboard``)
    wanted: bool
    #: it is in the cloud (made by ``weft up``)
    exists: bool
    #: its widgets, the header included
    widgets: int
    #: on the local cloud: the dashboard is in the emulator, the address is the one on AWS
    local: bool
    #: the Prometheus workspace's endpoint (``…/api/v1/query``), when it exists
    prometheus_endpoint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dashboard(target: Target) -> Dashboard:
    """The fabric's dashboard: its console address, and whether it exists; the Prometheus
    workspace's endpoint when the fabric has one."""
    ctx = target.context()
    found = fabric_dashboard(ctx)
    endpoint: str | None = None
    if target.fabric.observability.prometheus is not None:
        for workspace in amp_workspace.DRIVER.find(ctx):
            endpoint = str(workspace.outputs.get("endpoint") or "") or None
    widgets = len(thaw(found.props).get("body", {}).get("widgets") or []) if found else 0
    return Dashboard(
        name=dashboard_name(target.name),
        url=console_url(target.region, target.name),
        wanted=target.fabric.observability.dashboard,
        exists=found is not None,
        widgets=widgets,
        local=target.local_url is not None,
        prometheus_endpoint=endpoint,
    )
