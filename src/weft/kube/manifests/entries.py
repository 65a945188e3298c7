"""The apps and cron jobs of a fabric by name: what a command names, found or refused.

Apps and cron jobs share one namespace (the fabric file checks it), so a name finds one entry of
either kind. A name the fabric does not have is a :class:`~weft.errors.UsageError` that lists
the names it has.
"""

from __future__ import annotations

from collections.abc import Collection

from weft.errors import UsageError
from weft.fabricfile import App, CronJob, Fabric
from weft.fabricfile.checks import did_you_mean

__all__ = ["Workload", "entries", "find", "selected"]

#: An entry of ``apps`` or ``cronjobs``.
Workload = App | CronJob


def entries(fabric: Fabric) -> dict[str, Workload]:
    """Every app and cron job of ``fabric`` by name, apps first, in file order."""
    found: list[Workload] = [*fabric.apps, *fabric.cronjobs]
    return {entry.name: entry for entry in found}


def find(fabric: Fabric, name: str) -> Workload:
    """The app or cron job ``name``; raises UsageError when the fabric has none of that name."""
    known = entries(fabric)
    if name not in known:
        raise UsageError(
            f"{fabric.source} has no app or cron job named {name!r}{did_you_mean(name, known)}; "
            f"it has: {', '.join(known) or 'none'}"
        )
    return known[name]


def selected(fabric: Fabric, only: Collection[str] | None) -> list[Workload]:
    """The entries named in ``only`` (all when None), in file order; raises UsageError as
    :func:`find` does."""
    if only is None:
        return list(entries(fabric).values())
    for name in only:
        find(fabric, name)
    return [entry for entry in entries(fabric).values() if entry.name in only]
