"""Whether RDS offers each database's instance class on its engine version, asked at plan.

Not every RDS engine version runs on every DB instance class ("Supported DB engines for DB
instance classes", Amazon RDS User Guide): the Graviton classes came with given minor versions,
the older generations (db.t2, db.m4, db.r4) left with newer majors. CreateDBInstance and
ModifyDBInstance refuse an unoffered pair with ``InvalidParameterCombination``, half-way through
``up``. :func:`check` asks DescribeOrderableDBInstanceOptions first, once per engine and version
(not once per database), and refuses the plan with the file's line, the field and the nearest
classes the version offers.

A pinned version (``"16.3"``) is asked with EngineVersion (the filter is an exact match). A
major version alone (``"16"``: RDS picks the minor) is asked once per class with DBInstanceClass,
and the class passes when some version of that major offers it. A database that already runs the
file's class on the file's version is not asked about. A list that cannot be read is said, and
the check skipped: AWS then judges at create.

ElastiCache has no such call and no such rule for the Redis majors weft creates (6 and 7): every
current node type runs them, so caches are not checked here.
"""

from __future__ import annotations

import re
from collections import defaultdict

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.errors import translate
from weft.aws.inventory import Inventory
from weft.core.resource import address_of
from weft.errors import CloudError, ConfigError
from weft.fabricfile import Fabric, locate
from weft.model.notes import Note

ENGINE = "postgres"
#: How many offered classes a refusal names.
SHOWN = 6

_CLASS_RE = re.compile(r"db\.([a-z]+)([0-9]*)([a-z]*)\.(.+)")
_SIZES = ("micro", "small", "medium", "large", "xlarge")


def _size_rank(size: str) -> float:
    if size in _SIZES:
        return float(_SIZES.index(size))
    digits = size.removesuffix("xlarge")
    return 4.0 + (float(digits) if digits.isdigit() else 1.0)


def nearest(wanted: str, offered: set[str], count: int = SHOWN) -> list[str]:
    """The offered classes closest to ``wanted``: the same kind (t, m, r) first, then the
    same size, then the nearest generation and size."""
    match = _CLASS_RE.fullmatch(wanted)
    if match is None:
        return sorted(offered)[:count]
    kind, generation, _extra, size = match.groups()

    def distance(name: str) -> tuple[int, float, float, str]:
        other = _CLASS_RE.fullmatch(name)
        if other is None:
            return (2, 99.0, 99.0, name)
        o_kind, o_generation, _o_extra, o_size = other.groups()
        return (
            0 if o_kind == kind else 1,
            abs(_size_rank(o_size) - _size_rank(size)),
            abs(int(o_generation or 0) - int(generation or 0)),
            name,
        )

    return sorted(offered, key=distance)[:count]


def _classes_of_version(ctx: AwsContext, version: str) -> set[str]:
    return {
        str(o.get("DBInstanceClass"))
        for o in pagination.items(
            ctx.client("rds"),
            "describe_orderable_db_instance_options",
            "OrderableDBInstanceOptions",
            Engine=ENGINE,
            EngineVersion=version,
        )
    }


def _versions_of_class(ctx: AwsContext, instance_class: str) -> set[str]:
    return {
        str(o.get("EngineVersion"))
        for o in pagination.items(
            ctx.client("rds"),
            "describe_orderable_db_instance_options",
            "OrderableDBInstanceOptions",
            Engine=ENGINE,
            DBInstanceClass=instance_class,
        )
    }


def check(ctx: AwsContext, fabric: Fabric, inv: Inventory) -> list[Note]:
    """Refuse (:class:`ConfigError`, one problem per database) a database whose instance class
    its engine version does not offer; the notes say what could not be checked."""
    pinned: dict[str, list[tuple[str, str]]] = defaultdict(list)
    majors: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for db in fabric.databases:
        observed = inv.by_address.get(address_of("db_instance", db.name))
        if (
            observed is not None
            and observed.props.get("instance_class") == db.instance_class
            and observed.props.get("engine_version") == db.engine_version
        ):
            continue
        group = pinned if "." in db.engine_version else majors
        group[db.engine_version].append((db.name, db.instance_class))
    problems: list[str] = []
    try:
        for version, dbs in pinned.items():
            offered = _classes_of_version(ctx, version)
            for name, instance_class in dbs:
                if instance_class in offered:
                    continue
                where = locate(fabric.source, "databases", name, "instance_class")
                if not offered:
                    problems.append(
                        f"{where}: RDS offers no instance class for PostgreSQL {version}: it "
                        "does not run that version here (pick a version RDS lists)"
                    )
                    continue
                problems.append(
                    f"{where}: RDS does not offer {instance_class} for PostgreSQL {version}; "
                    f"it offers {', '.join(nearest(instance_class, offered))}, among "
                    f"{len(offered)} classes"
                )
        by_class: dict[str, set[str]] = {}
        for version, dbs in majors.items():
            for name, instance_class in dbs:
                if instance_class not in by_class:
                    by_class[instance_class] = _versions_of_class(ctx, instance_class)
                runs = sorted(v for v in by_class[instance_class] if v.split(".")[0] == version)
                if runs:
                    continue
                where = locate(fabric.source, "databases", name, "instance_class")
                elsewhere = sorted({v.split(".")[0] for v in by_class[instance_class]})
                also = (
                    f" (only with PostgreSQL {', '.join(elsewhere)})"
                    if elsewhere
                    else " (with no PostgreSQL version RDS runs)"
                )
                problems.append(
                    f"{where}: RDS does not offer {instance_class} for PostgreSQL "
                    f'{version}{also}; pin a version (engine_version: "{version}.N") to have '
                    "the plan list the classes it offers, or pick a current class such as "
                    "db.t4g.medium or db.m7g.large"
                )
    except (ClientError, BotoCoreError) as exc:
        error: CloudError = translate(
            exc, address=None, action="read", service="rds", subject="RDS instance classes"
        )
        return [Note("warning", f"database instance classes not checked: {error.message}")]
    if problems:
        lines = [f"{p}; nothing was changed" for p in problems]
        raise ConfigError("\n".join(lines), problems=lines)
    return []
