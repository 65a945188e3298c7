"""The data part of a fabric file: RDS PostgreSQL databases, ElastiCache Redis caches, S3 buckets.

::

    databases:
      - {name: main, engine_version: "16.3", instance_class: db.t4g.medium}
    caches:
      - {name: sessions, engine_version: "7.1", node_type: cache.t4g.small}
    buckets:
      - {name: uploads}

Defaults resolved here: a database's ``db_name`` is its ``name`` with ``-`` replaced by ``_``;
``username`` is ``weft_admin``.

A database's ``restore_from`` (``final-snapshot``, or an RDS snapshot identifier or ARN) makes
``weft up`` create it from that snapshot rather than empty: ``final-snapshot`` is the newest
final snapshot ``weft down`` took of it. Whether the snapshot exists is checked by ``weft plan``;
the file holds only its shape.

Databases, caches and buckets share one namespace (a name may be used once across the three);
that rule, and that databases and caches need private subnets in two zones, live in
:func:`weft.fabricfile.cross_check.cross_problems`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, PlainValidator, model_validator

from weft.fabricfile.checks import (
    CLASS_PREFIXES,
    MODEL_CONFIG,
    NAME_RE,
    check_in_range,
    check_label,
    describe,
    problem,
    quote_hint,
)

__all__ = [
    "DEFAULT_USERNAME",
    "FINAL_SNAPSHOT",
    "MAX_BACKUP_DAYS",
    "MAX_CACHE_REPLICAS",
    "MAX_STORAGE_GB",
    "MIN_STORAGE_GB",
    "RESERVED_DB_NAMES",
    "RESERVED_USERNAMES",
    "SUPPORTED_POSTGRES_MAJORS",
    "SUPPORTED_REDIS_MAJORS",
    "Bucket",
    "Cache",
    "Database",
    "default_db_name",
]

#: The PostgreSQL major versions weft creates RDS instances with.
SUPPORTED_POSTGRES_MAJORS = (13, 14, 15, 16, 17)
#: The Redis major versions weft creates ElastiCache replication groups with.
SUPPORTED_REDIS_MAJORS = (6, 7)
RESERVED_DB_NAMES = ("postgres", "template0", "template1", "rdsadmin")
RESERVED_USERNAMES = ("postgres", "rdsadmin", "admin", "root", "user", "public")
DEFAULT_USERNAME = "weft_admin"
MAX_DATABASE_NAME_LENGTH = 30
MAX_CACHE_NAME_LENGTH = 20
MAX_BUCKET_NAME_LENGTH = 20
MIN_STORAGE_GB = 20
MAX_STORAGE_GB = 65536
MAX_BACKUP_DAYS = 35
MAX_CACHE_REPLICAS = 5

_POSTGRES_VERSION_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_REDIS_VERSION_RE = re.compile(r"([0-9]+)\.([0-9]+)")
_INSTANCE_CLASS_RE = re.compile(r"db\.[a-z0-9]+\.[a-z0-9]+")
_NODE_TYPE_RE = re.compile(r"cache\.[a-z0-9]+\.[a-z0-9]+")
_DB_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
_USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}")
#: ``restore_from``: the newest final snapshot ``weft down`` took of the database.
FINAL_SNAPSHOT = "final-snapshot"
# An RDS DB snapshot identifier (1 to 255 letters, digits or hyphens; a letter first; no hyphen
# last nor two in a row: RDS API Reference, CreateDBSnapshot), or a snapshot's ARN.
_SNAPSHOT_ID_RE = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,254}(?<!-)")
_SNAPSHOT_ARN_RE = re.compile(r"arn:aws[a-z-]*:rds:[a-z0-9-]+:[0-9]{12}:snapshot:(.+)")


def _check_restore_from(value: Any) -> str:
    if isinstance(value, str):
        arn = _SNAPSHOT_ARN_RE.fullmatch(value)
        if value == FINAL_SNAPSHOT or _SNAPSHOT_ID_RE.fullmatch(arn.group(1) if arn else value):
            return value
    raise problem(
        (
            (),
            f"{describe(value)} is not a snapshot to restore from; expected {FINAL_SNAPSHOT} "
            "(the newest final snapshot weft down took of this database) or an RDS snapshot "
            "identifier (a letter, then letters, digits and single hyphens) or ARN",
        )
    )


def default_db_name(name: str) -> str:
    """The PostgreSQL database a database entry named ``name`` gets when db_name is not given."""
    return name.replace("-", "_")


def _text_version(value: Any, example: str, what: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise problem(((), quote_hint(value, "engine_version", str(value))))
    if not isinstance(value, str):
        raise problem(((), f'expected {what} in quotes like "{example}", got {describe(value)}'))
    return value


def _check_postgres_version(value: Any) -> str:
    text = _text_version(value, "16.3", "a PostgreSQL version")
    supported = ", ".join(str(major) for major in SUPPORTED_POSTGRES_MAJORS)
    match = _POSTGRES_VERSION_RE.fullmatch(text)
    if not match:
        raise problem(
            (
                (),
                f"{describe(text)} is not a PostgreSQL version; expected a major version or "
                f'major.minor, like "16" or "16.3" (supported majors: {supported})',
            )
        )
    if int(match.group(1)) not in SUPPORTED_POSTGRES_MAJORS:
        raise problem(
            (
                (),
                f"PostgreSQL {match.group(1)} is not supported; expected one of the major "
                f'versions {supported}, written like "16" or "16.3"',
            )
        )
    return text


def _check_redis_version(value: Any) -> str:
    text = _text_version(value, "7.1", "a Redis version")
    supported = ", ".join(str(major) for major in SUPPORTED_REDIS_MAJORS)
    if text == "6.x":
        return text
    if text == "6.0":
        raise problem(
            (
                (),
                'ElastiCache has no Redis version "6.0": it names that release "6.x"; write '
                'engine_version: "6.x" (or "6.2" for Redis 6.2)',
            )
        )
    match = _REDIS_VERSION_RE.fullmatch(text)
    if not match:
        raise problem(
            (
                (),
                f'{describe(text)} is not a Redis version; expected major.minor like "7.1" '
                f"(supported majors: {supported})",
            )
        )
    if int(match.group(1)) not in SUPPORTED_REDIS_MAJORS:
        raise problem(
            ((), f"Redis {match.group(1)} is not supported; expected major version {supported}")
        )
    return text


def _class_checker(prefix: str, pattern: re.Pattern[str], what: str, example: str) -> Any:
    def check(value: str) -> str:
        if pattern.fullmatch(value):
            return value
        guess = value.strip().lower()
        for other in CLASS_PREFIXES:
            if guess.startswith(other) and guess.count(".") >= 2:
                guess = guess[len(other) :]
        guess = prefix + guess
        if pattern.fullmatch(guess):
            message = f"{describe(value)} is not {what}; did you mean {guess!r}?"
        else:
            message = f"{describe(value)} is not {what}; expected one like {example}"
        raise problem(((), message))

    return check


def _check_identifier(
    pattern: re.Pattern[str], reserved: tuple[str, ...], what: str, rule: str
) -> Any:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            shown = describe(value) if value else "an empty name"
            raise problem(((), f"{shown} is not a valid {what}; expected {rule}"))
        if value.lower() in reserved:
            raise problem(
                (
                    (),
                    f"{describe(value)} is reserved by PostgreSQL or RDS and cannot be the {what}; "
                    f"reserved: {', '.join(reserved)}",
                )
            )
        return value

    return check


class Database(BaseModel):
    """An RDS PostgreSQL instance in the private subnets, encrypted with the fabric KMS key."""

    model_config = MODEL_CONFIG

    name: Annotated[
        str,
        AfterValidator(
            check_label(MAX_DATABASE_NAME_LENGTH, "it becomes part of the RDS instance's name")
        ),
    ]
    engine_version: Annotated[str, PlainValidator(_check_postgres_version)]
    instance_class: Annotated[
        str,
        AfterValidator(
            _class_checker(
                "db.", _INSTANCE_CLASS_RE, "an RDS instance class", "db.t4g.medium or db.m7g.large"
            )
        ),
    ]
    storage_gb: Annotated[
        int,
        AfterValidator(check_in_range(MIN_STORAGE_GB, MAX_STORAGE_GB, "a storage size in GB")),
    ] = 20
    multi_az: bool = True
    backup_days: Annotated[
        int, AfterValidator(check_in_range(0, MAX_BACKUP_DAYS, "a number of days"))
    ] = 7
    # Always set after validation (the default is resolved from name).
    db_name: Annotated[
        str,
        AfterValidator(
            _check_identifier(
                _DB_NAME_RE,
                RESERVED_DB_NAMES,
                "database name",
                "a letter followed by up to 62 letters, digits or underscores",
            )
        ),
    ] = ""
    username: Annotated[
        str,
        AfterValidator(
            _check_identifier(
                _USERNAME_RE,
                RESERVED_USERNAMES,
                "master username",
                "a letter followed by up to 15 letters, digits or underscores",
            )
        ),
    ] = DEFAULT_USERNAME
    # None: a new, empty database
    restore_from: Annotated[str | None, PlainValidator(_check_restore_from)] = None

    @model_validator(mode="before")
    @classmethod
    def _default_db_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "db_name" not in data:
            name = data.get("name")
            if isinstance(name, str) and NAME_RE.fullmatch(name):
                derived = default_db_name(name)
                if derived.lower() not in RESERVED_DB_NAMES:
                    data = {**data, "db_name": derived}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> Database:
        if not self.db_name:
            # Only a name whose derived db_name is reserved leaves it empty here.
            raise problem(
                (
                    ("name",),
                    f"the database's db_name would default to {self.name!r}, which is reserved "
                    "by PostgreSQL or RDS; set db_name, e.g. db_name: app",
                )
            )
        return self


class Cache(BaseModel):
    """An ElastiCache Redis replication group: a primary and ``replicas`` read replicas."""

    model_config = MODEL_CONFIG

    name: Annotated[
        str,
        AfterValidator(
            check_label(MAX_CACHE_NAME_LENGTH, "it becomes part of the replication group's id")
        ),
    ]
    engine_version: Annotated[str, PlainValidator(_check_redis_version)]
    node_type: Annotated[
        str,
        AfterValidator(
            _class_checker(
                "cache.",
                _NODE_TYPE_RE,
                "an ElastiCache node type",
                "cache.t4g.small or cache.r7g.large",
            )
        ),
    ]
    replicas: Annotated[
        int, AfterValidator(check_in_range(0, MAX_CACHE_REPLICAS, "a number of read replicas"))
    ] = 1
    #: days ElastiCache keeps its daily snapshots (0: none), as a database's ``backup_days``
    backup_days: Annotated[
        int, AfterValidator(check_in_range(0, MAX_BACKUP_DAYS, "a number of days"))
    ] = 7


class Bucket(BaseModel):
    """An application S3 bucket, private and encrypted with the fabric KMS key."""

    model_config = MODEL_CONFIG

    name: Annotated[
        str,
        AfterValidator(
            check_label(MAX_BUCKET_NAME_LENGTH, "it becomes part of the S3 bucket's name")
        ),
    ]
    versioning: bool = True
