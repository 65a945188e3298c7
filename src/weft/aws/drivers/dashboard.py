"""CloudWatch dashboards: the fabric's dashboard (:mod:`weft.model.observability`).

Props: ``name`` (immutable: a new name is a new dashboard) and ``body`` (the dashboard body as
data; ``PutDashboard`` replaces it whole). The id is the name.

Not a driver of the kit's tagged kind (:mod:`.kit`): CloudWatch dashboards cannot be tagged (the
CloudWatch ``TagResource`` API takes alarms and Contributor Insights rules only). As DNS records
are owned through their TXT companions, a dashboard is weft's when its header (a text widget)
holds :func:`weft.model.observability.ownership` of the fabric: discovery reads the dashboard of
the name derived from the fabric (:func:`~weft.model.observability.dashboard_name`) and reports
it only then, and a create refuses to overwrite a dashboard of that name without it
(``PutDashboard`` would replace anyone's dashboard silently).
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, presence
from weft.core.resource import KindSchema, Observed, Resource, thaw
from weft.errors import PermanentError
from weft.model.observability import KIND, dashboard_name

_OWNER_RE = re.compile(r"weft:fabric=([A-Za-z0-9_.-]+) weft:id=([A-Za-z0-9_.:-]+)")


def owner(body: dict[str, Any]) -> tuple[str, str] | None:
    """(fabric, address) named by the ownership words of ``body``'s text widgets, or None."""
    for widget in body.get("widgets") or []:
        if not isinstance(widget, dict) or widget.get("type") != "text":
            continue
        found = _OWNER_RE.search(str((widget.get("properties") or {}).get("markdown", "")))
        if found:
            return found.group(1), found.group(2)
    return None


def read(ctx: AwsContext, name: str) -> dict[str, Any] | None:
    """The body of dashboard ``name``, or None when there is none."""
    answer = presence.if_found(ctx.client("cloudwatch").get_dashboard, DashboardName=name)
    if answer is None:
        return None
    body = json.loads(answer.get("DashboardBody") or "{}")
    return body if isinstance(body, dict) else {}


class DashboardDriver(kit.DriverBase):
    schema = KindSchema(KIND, immutable=frozenset({"name"}), updatable=frozenset({"body"}))

    def discover(self, ctx: AwsContext) -> list[Observed]:
        name = dashboard_name(ctx.fabric)
        body = read(ctx, name)
        if body is None:
            return []
        owned = owner(body)
        if owned is None or owned[0] != ctx.fabric:
            return []
        _, address = owned
        return [self._observed(address.split(".", 1)[-1], name, body)]

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        name = props["name"]
        body = read(ctx, name)
        if body is not None and owner(body) != (ctx.fabric, resource.address):
            raise PermanentError(
                f"a CloudWatch dashboard named {name} already exists and is not this fabric's",
                hint=(
                    "rename or delete that dashboard, or set observability.dashboard to false "
                    "in the fabric file"
                ),
                address=resource.address,
            )
        return self._write(ctx, resource.name, props)

    def change(self, edit: kit.Edit) -> Observed:
        return self._write(edit.ctx, edit.resource.name, edit.props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        presence.if_found(ctx.client("cloudwatch").delete_dashboards, DashboardNames=[observed.id])

    def _write(self, ctx: AwsContext, name: str, props: dict[str, Any]) -> Observed:
        answer = ctx.client("cloudwatch").put_dashboard(
            DashboardName=props["name"], DashboardBody=json.dumps(thaw(props["body"]))
        )
        problems = answer.get("DashboardValidationMessages") or []
        if problems:  # written, but CloudWatch could not use part of it
            raise PermanentError(
                f"CloudWatch found problems in dashboard {props['name']}: "
                + "; ".join(f"{p.get('DataPath')}: {p.get('Message')}" for p in problems),
                hint="this is a defect of weft: report it with the message",
            )
        return self._observed(name, props["name"], thaw(props["body"]))

    def _observed(self, name: str, dashboard: str, body: dict[str, Any]) -> Observed:
        return self.observed(
            name, dashboard, {"name": dashboard, "body": body}, {"name": dashboard}
        )


DRIVER = DashboardDriver()


def fabric_dashboard(ctx: AwsContext) -> Observed | None:
    """The fabric's dashboard as discovery finds it, or None; a failed read as a weft error."""
    try:
        found = DRIVER.discover(ctx)
    except (ClientError, BotoCoreError) as exc:
        raise errors.translate(exc, address=None, action="read", subject="dashboards") from exc
    return found[0] if found else None
