"""``weft release``, ``weft history`` and ``weft rollback``: one app's versions over time.

A release is a deploy of one app at a given version (no pruning); its history is what each
deploy and rollback recorded (:mod:`weft.kube.releases`); a rollback restores an earlier
revision, by default that of the last release that worked.
"""

from __future__ import annotations

import time
from typing import Any

from weft.errors import RolloutFailed, UsageError
from weft.kube import manifests, releases, rollout
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import AppOutcome, DeployResult, deploy, rendered_at
from weft.ops.apps.objects import image_of
from weft.ops.apps.revisions import last_good_revision, record, roll_back


def release(conn: Connection, app: str, version: str, **kw: Any) -> DeployResult:
    """Deploy ``version`` of ``app`` (``kw``: the deploy's timeout and grace)."""
    fabric = conn.fabric
    if app not in [a.name for a in fabric.apps] + [c.name for c in fabric.cronjobs]:
        conn.check_names([app])
    return deploy(conn, [app], overrides={app: version}, prune=False, **kw)


def history(conn: Connection, app: str) -> list[releases.Release]:
    conn.check_names([app])
    return releases.load(conn.kube, conn.namespace, app)


def rollback(
    conn: Connection,
    app: str,
    to: int | None = None,
    *,
    timeout: float = 900.0,
    grace: float = 30.0,
) -> AppOutcome:
    """Restore an earlier revision of ``app`` (the last release that worked by default)."""
    conn.check_names([app])
    if app not in [a.name for a in conn.fabric.apps]:
        raise UsageError(f"{app} is a cron job: it has no rollout to roll back")
    start = time.monotonic()
    if to is None:
        to = last_good_revision(conn, app)
    back = roll_back(conn, app, rendered_at(conn, app), to, timeout, grace)
    if back is None:
        raise UsageError(f"app {app} has no earlier revision to roll back to")
    rev, template, settled = back
    version = rollout.template_version(template, manifests.VERSION_ANNOTATION) or "?"
    outcome = AppOutcome(
        app,
        version,
        "deployed" if settled.failure is None else "failed",
        revision=settled.revision,
        rolled_back_to=rev,
        seconds=round(time.monotonic() - start, 2),
    )
    if settled.failure:
        outcome.problems = [settled.failure, *(str(p) for p in settled.problems)]
    record(
        conn,
        app,
        releases.Release(
            version,
            image_of({"spec": {"template": template}}),
            "rollback" if settled.failure is None else "failed",
            revision=settled.revision,
            rolled_back_to=rev,
            detail="; ".join(outcome.problems)[:1000],
        ),
    )
    if settled.failure:
        raise RolloutFailed(
            f"the rollback of {app} to revision {rev} did not settle: "
            + "; ".join(outcome.problems),
            problems=outcome.problems,
        )
    return outcome
