"""Which DB instance classes each RDS for PostgreSQL version offers, in the local cloud.

AWS: an RDS engine version is offered on some DB instance classes only ("Supported DB engines
for DB instance classes", Amazon RDS User Guide, Concepts.DBInstanceClass.Support): the Graviton
classes came with given minor versions (db.m7g and db.r7g with PostgreSQL 16.1, 15.2, 14.5 and
13.8; the Graviton2 db.t4g, db.m6g and db.r6g with every 13 and later version), and the older
generations (db.t2, db.m4, db.r4) are not offered by PostgreSQL 13 and later at all.
DescribeOrderableDBInstanceOptions lists the offered combinations (Engine, EngineVersion,
DBInstanceClass filters; paginated), and CreateDBInstance or ModifyDBInstance with a class the
version does not offer fails with ``InvalidParameterCombination`` ("RDS does not support
creating a DB instance with the following combination: DBInstanceClass=..., Engine=...,
EngineVersion=..., LicenseModel=...").

moto 5.2.5 lists no option for ``postgres`` (its table holds Aurora PostgreSQL and Neptune only)
and creates any class on any version. :func:`apply` gives the emulator the table below, kept
from that User Guide page (the families and sizes weft users pick; the minor versions are those
RDS lists per major), and the refusal. It keeps its own copy: :mod:`weft.local` never reads
weft's model.
"""

from __future__ import annotations

from typing import Any

ENGINE = "postgres"
LICENSE_MODEL = "postgresql-license"

#: The minor versions of each PostgreSQL major RDS offers here (first, last).
MINORS: dict[int, tuple[int, int]] = {13: (1, 20), 14: (1, 17), 15: (2, 12), 16: (1, 8), 17: (1, 4)}

_BURSTABLE = ("micro", "small", "medium", "large", "xlarge", "2xlarge")
_GRAVITON = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_X86 = (*_GRAVITON, "24xlarge")
_X86_BIG = (*_X86, "32xlarge")

#: Family -> (its sizes, the first minor of each major that offers it; a major missing: none).
FAMILIES: dict[str, tuple[tuple[str, ...], dict[int, int]]] = {
    "t3": (_BURSTABLE, {13: 1, 14: 1, 15: 2, 16: 1, 17: 1}),
    "m5": (_X86, {13: 1, 14: 1, 15: 2, 16: 1, 17: 1}),
    "r5": (_X86, {13: 1, 14: 1, 15: 2, 16: 1, 17: 1}),
    "m6i": (_X86_BIG, {13: 4, 14: 1, 15: 2, 16: 1, 17: 1}),
    "r6i": (_X86_BIG, {13: 4, 14: 1, 15: 2, 16: 1, 17: 1}),
    "t4g": (_BURSTABLE, {13: 1, 14: 1, 15: 2, 16: 1, 17: 1}),
    "m6g": (_GRAVITON, {13: 1, 14: 1, 15: 2, 16: 1, 17: 1}),
    "r6g": (_GRAVITON, {13: 1, 14: 1, 15: 2, 16: 1, 17: 1}),
    "m7g": (_GRAVITON, {13: 8, 14: 5, 15: 2, 16: 1, 17: 1}),
    "r7g": (_GRAVITON, {13: 8, 14: 5, 15: 2, 16: 1, 17: 1}),
    # db.t2, db.m4 and db.r4: offered up to PostgreSQL 12 only, so not in this table.
}


def _split(version: str) -> tuple[int, int | None] | None:
    parts = version.split(".")
    if not parts[0].isdigit() or len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else None


def versions() -> list[str]:
    """Every PostgreSQL version the table knows, oldest first."""
    return [f"{m}.{n}" for m, (first, last) in MINORS.items() for n in range(first, last + 1)]


def resolve(version: str) -> str | None:
    """The version CreateDBInstance runs for ``version``: a major alone is its newest minor
    here; None for a version RDS does not offer."""
    split = _split(version)
    if split is None or split[0] not in MINORS:
        return None
    major, minor = split
    first, last = MINORS[major]
    if minor is None:
        return f"{major}.{last}"
    return f"{major}.{minor}" if first <= minor <= last else None


def classes(version: str) -> list[str]:
    """The DB instance classes ``version`` (a full version) offers."""
    split = _split(version)
    if split is None or split[1] is None:
        return []
    major, minor = split[0], split[1]
    out: list[str] = []
    for family, (sizes, firsts) in FAMILIES.items():
        first = firsts.get(major)
        if first is not None and minor >= first:
            out.extend(f"db.{family}.{size}" for size in sizes)
    return out


def offered(version: str, instance_class: str) -> bool:
    resolved = resolve(version)
    return resolved is not None and instance_class in classes(resolved)


def options(engine: str, version: str | None, instance_class: str | None) -> list[dict[str, Any]]:
    """DescribeOrderableDBInstanceOptions' rows for ``postgres`` (the filters as AWS applies
    them: an exact engine version, an exact class)."""
    if engine != ENGINE:
        return []
    wanted = [version] if version else versions()
    rows = []
    for v in wanted:
        for c in classes(v):
            if instance_class and c != instance_class:
                continue
            rows.append(
                {
                    "Engine": ENGINE,
                    "EngineVersion": v,
                    "DBInstanceClass": c,
                    "LicenseModel": LICENSE_MODEL,
                    "StorageType": "gp3",
                    "MultiAZCapable": True,
                    "SupportsStorageEncryption": True,
                    "Vpc": True,
                    "MinStorageSize": 20,
                    "MaxStorageSize": 65536,
                    "AvailabilityZones": [],
                }
            )
    return rows


def _refusal(instance_class: str, version: str) -> str:
    return (
        "RDS does not support creating a DB instance with the following combination: "
        f"DBInstanceClass={instance_class}, Engine={ENGINE}, EngineVersion={version}, "
        f"LicenseModel={LICENSE_MODEL}. For supported combinations of instance class and "
        "database engine version, see the documentation."
    )


def _param(params: Any, *names: str) -> Any:
    for name in names:
        value = params.get(name)
        if value is not None:
            return value
    return None


def apply() -> None:
    """The table behind DescribeOrderableDBInstanceOptions, and the refusal of an unoffered
    class by CreateDBInstance and ModifyDBInstance (a new class, a new version, or both)."""
    from moto.rds.exceptions import InvalidParameterCombination
    from moto.rds.models import RDSBackend
    from moto.rds.responses import RDSResponse

    original_options = RDSBackend.describe_orderable_db_instance_options

    def describe_options(self: Any, engine: str, engine_version: str) -> list[dict[str, Any]]:
        if engine == ENGINE:
            return options(engine, engine_version, None)
        return original_options(self, engine, engine_version)

    RDSBackend.describe_orderable_db_instance_options = describe_options  # type: ignore[method-assign]

    original_response = RDSResponse.describe_orderable_db_instance_options

    def describe_response(self: Any) -> Any:
        result = original_response(self)
        wanted = self.params.get("DBInstanceClass")
        body: Any = result._result
        if wanted and isinstance(body, dict):
            rows = body.get("OrderableDBInstanceOptions") or []
            body["OrderableDBInstanceOptions"] = [
                r for r in rows if r.get("DBInstanceClass") == wanted
            ]
        return result

    RDSResponse.describe_orderable_db_instance_options = describe_response  # type: ignore[method-assign]

    original_create = RDSBackend.create_db_instance

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        engine = _param(db_kwargs, "Engine", "engine")
        version = _param(db_kwargs, "EngineVersion", "engine_version")
        instance_class = _param(db_kwargs, "DBInstanceClass", "db_instance_class")
        if (
            engine == ENGINE
            and version
            and instance_class
            and not offered(str(version), str(instance_class))
        ):
            raise InvalidParameterCombination(_refusal(str(instance_class), str(version)))
        return original_create(self, db_kwargs)

    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]

    original_modify = RDSBackend.modify_db_instance

    def modify_db_instance(self: Any, db_instance_identifier: str, db_kwargs: Any) -> Any:
        database = self.describe_db_instances(db_instance_identifier)[0]
        version = _param(db_kwargs, "EngineVersion", "engine_version")
        instance_class = _param(db_kwargs, "DBInstanceClass", "db_instance_class")
        if database.engine == ENGINE and (version or instance_class):
            version = str(version or database.engine_version)
            instance_class = str(instance_class or database.db_instance_class)
            if not offered(version, instance_class):
                raise InvalidParameterCombination(_refusal(instance_class, version))
        return original_modify(self, db_instance_identifier, db_kwargs)

    RDSBackend.modify_db_instance = modify_db_instance  # type: ignore[method-assign]
