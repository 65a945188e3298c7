"""The applications of a fabric file: long-running apps and cron jobs on the fabric's cluster.

::

    environment: production          # the `environment` label (default: the fabric's name)
    apps:
      - name: web
        image: ghcr.io/acme/web       # no tag: the tag is tag_format with the version in it
        version: "1.4.2"
        tag_format: "v{version}"      # default "{version}"
        replicas: 3                   # default 2; an HPA decides instead when autoscale is set
        port: 8080                    # no port: no Service
        env: {LOG_LEVEL: info}
        secrets: [stripe/api-key]     # from `weft secrets`, as STRIPE_API_KEY
        uses: [main, sessions]        # MAIN_HOST, MAIN_PASSWORD, SESSIONS_AUTH_TOKEN, ...
        resources: {cpu: 250m, memory: 256Mi, memory_limit: 512Mi}
        health: {path: /healthz}
        ingress: {host: www.example.com}
        autoscale: {min: 3, max: 10, cpu: 70}
        disruption: {max_unavailable: 1}
        rollout: {max_surge: "25%", max_unavailable: 0, progress_deadline: 600}
    cronjobs:
      - {name: report, schedule: "0 3 * * *", image: ghcr.io/acme/jobs, version: "2.0.0",
         command: [report], uses: [main], concurrency: Forbid}

What an app or cron job gets injected as environment variables (its own ``env`` may not use
these names):

- for each data store in ``uses`` (see :data:`STORE_SETTINGS`), ``<STORE>_<SETTING>`` with the
  store's name upper-cased and ``-`` as ``_``: ``MAIN_HOST``, ``MAIN_PORT``, ``MAIN_DATABASE``,
  ``MAIN_USER`` and the credential ``MAIN_PASSWORD`` for a database; ``SESSIONS_HOST``,
  ``SESSIONS_PORT`` and ``SESSIONS_AUTH_TOKEN`` for a cache; ``UPLOADS_BUCKET`` and
  ``UPLOADS_REGION`` for a bucket (:func:`store_env`);
- for each secret in ``secrets``, its name upper-cased with ``/``, ``-`` and ``.`` as ``_``:
  ``stripe/api-key`` is ``STRIPE_API_KEY`` (:func:`secret_env`).

Defaults resolved here: ``tag_format`` ``"{version}"``, ``replicas`` 2, ``rollout`` with
``max_surge`` 25%, ``max_unavailable`` 0 (a rollout never goes below the wanted number of ready
pods) and ``progress_deadline`` 600 s, ``concurrency`` Forbid, ``autoscale.cpu`` 80 %,
``ingress.path`` ``/`` and ``ingress.tls`` true.

Rules within an entry are checked on its model. Rules that need the rest of the fabric (a
cluster, the DNS domain, the data stores, the other entries) are :func:`workload_problems`,
which :func:`weft.fabricfile.schema.cross_problems` calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)

from weft.fabricfile.checks import (
    Path,
    check_in_range,
    check_label,
    check_unique,
    choice,
    describe,
    did_you_mean,
    none_as_empty,
    problem,
    secret_name_problem,
)
from weft.fabricfile.cron import check_schedule
from weft.fabricfile.dns import domain_problem
from weft.fabricfile.image import (
    check_image,
    check_tag_format,
    check_version,
    image_tag,
    tag_problem,
)
from weft.fabricfile.secret_names import credential_secret

__all__ = [
    "CONCURRENCY_POLICIES",
    "DEFAULT_TAG_FORMAT",
    "MAX_WORKLOAD_NAME_LENGTH",
    "STORE_CREDENTIAL",
    "STORE_SETTINGS",
    "App",
    "Autoscale",
    "CronJob",
    "Disruption",
    "Health",
    "Ingress",
    "Resources",
    "Rollout",
    "StoreKind",
    "credential_secret",
    "injected_env",
    "parse_quantity",
    "secret_env",
    "store_env",
    "workload_problems",
]

StoreKind = Literal["database", "cache", "bucket"]
Concurrency = Literal["Allow", "Forbid", "Replace"]

#: An app's name becomes its Deployment's, Service's and Secret's (``<name>-env``) names.
MAX_WORKLOAD_NAME_LENGTH = 40
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
DEFAULT_TAG_FORMAT = "{version}"
#: The plain settings of each kind of data store, injected as ``<STORE>_<SETTING>``.
STORE_SETTINGS: dict[str, tuple[str, ...]] = {
    "database": ("host", "port", "database", "user"),
    "cache": ("host", "port"),
    "bucket": ("bucket", "region"),
}
#: The setting under which a store's credential is injected (through a Kubernetes Secret).
STORE_CREDENTIAL: dict[str, str] = {"database": "password", "cache": "auth_token"}
MAX_REPLICAS = 1000
MAX_PORT = 65535
MAX_INITIAL_DELAY = 3600
MIN_PROGRESS_DEADLINE = 10
MAX_PROGRESS_DEADLINE = 86400
#: Less memory than this cannot start a container; smaller values are mistaken units.
MIN_MEMORY_BYTES = 4 * 2**20
#: More cores than this without a unit is read as a forgotten ``m``.
MAX_PLAIN_CPU = 100

_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HTTP_PATH_RE = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")
_QUANTITY_RE = re.compile(
    r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|m|k|M|G|T|P|E)?"
)
_PERCENT_RE = re.compile(r"(0|[1-9][0-9]*)%")
_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}

_MODEL_CONFIG = ConfigDict(frozen=True, extra="forbid", strict=True)


# --- names of injected things -----------------------------------------------------------------


def store_env(store: str, setting: str) -> str:
    """The environment variable of a data store's setting: ``("main-db", "host")`` ->
    ``MAIN_DB_HOST``."""
    return f"{store}_{setting}".upper().replace("-", "_")


def secret_env(secret: str) -> str:
    """The environment variable of a secret: ``stripe/api-key`` -> ``STRIPE_API_KEY``."""
    return re.sub(r"[/.-]", "_", secret.upper())


def injected_env(kind: str, store: str) -> dict[str, str]:
    """The environment variables a store in ``uses`` injects -> what each holds."""
    names = {store_env(store, s): f"the {kind}'s {s}" for s in STORE_SETTINGS[kind]}
    credential = STORE_CREDENTIAL.get(kind)
    if credential is not None:
        names[store_env(store, credential)] = f"the {kind}'s {credential.replace('_', ' ')}"
    return names


# --- quantities -------------------------------------------------------------------------------


def parse_quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity (``500m`` -> 0.5, ``1Gi`` -> 1073741824).

    Raises ValueError for text that is not a quantity.
    """
    match = _QUANTITY_RE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    sign, number, suffix = match.group(1), match.group(2), match.group(3) or ""
    try:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            exponent = int(suffix[1:])
            if abs(exponent) > 100:
                raise ValueError(f"{text!r} is out of range")
            value = Decimal(number) * Decimal(10) ** exponent
        else:
            value = Decimal(number) * _SUFFIXES[suffix]
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from None
    return -value if sign == "-" else value


def _quantity_text(value: Any, what: str, example: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise problem(((), f"expected {what} like {example}, got {describe(value)}"))
    return value if isinstance(value, str) else repr(value)


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _check_cpu(value: Any) -> str:
    text = _quantity_text(value, "a cpu amount", "'500m' (millicores) or 2 (cores)")
    try:
        amount = parse_quantity(text)
    except ValueError:
        guess = re.sub(r"(?i)^([0-9.]+)\s*(m|mi|millicores?)$", r"\1m", text.strip())
        known = guess != text and _QUANTITY_RE.fullmatch(guess)
        hint = f" (did you mean {guess!r}?)" if known else ""
        raise problem(
            (
                (),
                f"{describe(text)} is not a cpu amount; expected cores like 2 or 0.5, or "
                f"millicores like '500m'{hint}",
            )
        ) from None
    if amount < 0:
        raise problem(((), f"{describe(text)} is negative; a cpu amount is 0 or more"))
    number = _QUANTITY_RE.fullmatch(text)
    assert number is not None
    suffix = number.group(3) or ""
    if suffix.endswith("i") or suffix in ("k", "M", "G", "T", "P", "E"):
        raise problem(
            (
                (),
                f"{describe(text)} is not a cpu amount: {suffix} is a unit of bytes; cpu is "
                f"counted in cores (2, 0.5) or millicores (did you mean '{number.group(2)}m'?)",
            )
        )
    if not suffix and amount > MAX_PLAIN_CPU:
        raise problem(
            (
                (),
                f"{describe(text)} would be {_plain_number(amount)} cores; if millicores are "
                f"meant, write the unit (did you mean '{number.group(2)}m'?)",
            )
        )
    return text


def _memory_guess(text: str) -> str | None:
    """``512MB`` -> ``'512M' or '512Mi'``: the quantities a byte-count written like that means."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([kmgtpe])(i?)b?", text.strip(), re.IGNORECASE)
    if not match:
        return None
    number, unit, binary = match.group(1), match.group(2).upper(), match.group(3)
    if binary:
        return f"{number}{unit}i"
    return f"{number}{'k' if unit == 'K' else unit}' or '{number}{unit}i"


def _check_memory(value: Any) -> str:
    if isinstance(value, float):
        raise problem(
            (
                (),
                f"{value!r} is a fraction of a byte count; write memory with a unit, like '512Mi' "
                "or '1Gi'",
            )
        )
    text = _quantity_text(value, "a memory amount", "'512Mi' or '1Gi'")
    try:
        amount = parse_quantity(text)
    except ValueError:
        guess = _memory_guess(text)
        hint = f" (did you mean '{guess}'?)" if guess else ""
        raise problem(
            (
                (),
                f"{describe(text)} is not a memory amount; expected a number with a unit: Ki, "
                f"Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), like '512Mi'{hint}",
            )
        ) from None
    if amount < 0:
        raise problem(((), f"{describe(text)} is negative; a memory amount is 0 or more"))
    if 0 < amount < MIN_MEMORY_BYTES:
        match = _QUANTITY_RE.fullmatch(text)
        assert match is not None
        unit = match.group(3) or ""
        meaning = (
            f"{_plain_number(amount)} bytes (m means thousandths)"
            if unit == "m"
            else f"{_plain_number(amount)} bytes"
        )
        hint = f" (did you mean '{match.group(2)}Mi'?)" if unit in ("", "m") else ""
        raise problem(
            (
                (),
                f"{describe(text)} is {meaning}; a container needs at least 4Mi{hint}",
            )
        )
    return text


# --- small value checks -----------------------------------------------------------------------


def _check_env_name(name: str) -> str | None:
    if _ENV_NAME_RE.fullmatch(name):
        return None
    guess = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_").upper()
    hint = f" (did you mean {guess!r}?)" if guess and _ENV_NAME_RE.fullmatch(guess) else ""
    shown = describe(name) if name else "an empty name"
    return (
        f"{shown} is not an environment variable name; expected letters, digits and '_', "
        f"not starting with a digit{hint}"
    )


def _check_env(env: dict[str, str]) -> dict[str, str]:
    found = [((key,), message) for key in env if (message := _check_env_name(key)) is not None]
    if found:
        raise problem(*found)
    return env


def _check_secrets(secrets: list[str]) -> list[str]:
    found: list[tuple[Path, str]] = []
    for index, name in enumerate(secrets):
        message = secret_name_problem(name)
        if message is not None:
            found.append(((index,), message))
        elif not _ENV_NAME_RE.fullmatch(secret_env(name)):
            found.append(
                (
                    (index,),
                    f"{describe(name)} would be injected as {secret_env(name)!r}, which is not "
                    "an environment variable name (it starts with a digit); name the secret "
                    "starting with a letter",
                )
            )
    found.extend(check_unique(secrets, "secret", "secrets"))
    if found:
        raise problem(*found)
    return secrets


def _check_uses(uses: list[str]) -> list[str]:
    found = check_unique(uses, "data store", "uses")
    if found:
        raise problem(*found)
    return uses


def _http_path_problem(value: str, *, query: bool) -> str | None:
    path = value.split("?", 1)[0] if query else value
    if not path.startswith("/"):
        guess = "/" + value
        valid = _http_path_problem(guess, query=query) is None
        hint = f" (did you mean {guess!r}?)" if valid else ""
        return f"{describe(value)} is not an absolute path; a path starts with '/'{hint}"
    if not _HTTP_PATH_RE.fullmatch(path):
        return (
            f"{describe(value)} is not a valid URL path: letters, digits and "
            "-._~!$&'()*+,;=:@%/ only (no spaces)"
        )
    if "//" in path or "/./" in path or "/../" in path or path.endswith(("/.", "/..")):
        return f"{describe(value)} has an empty, '.' or '..' segment; write the path plainly"
    return None


def _check_ingress_path(value: str) -> str:
    message = _http_path_problem(value, query=False)
    if message is not None:
        raise problem(((), message))
    return value


def _check_health_path(value: str) -> str:
    message = _http_path_problem(value, query=True)
    if message is not None:
        raise problem(((), message))
    return value


def _check_host(value: str) -> str:
    message = domain_problem(value)
    if message is not None:
        raise problem(((), message.replace("a domain", "a host name")))
    return value


def _check_int_or_percent(value: Any) -> int | str:
    expected = "expected a whole number like 1 or a percentage in quotes like '25%'"
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise problem(((), f"{value} is negative; {expected}"))
        return value
    if isinstance(value, str):
        match = _PERCENT_RE.fullmatch(value)
        if match:
            if int(match.group(1)) > 100:
                raise problem(((), f"{describe(value)} is more than 100%"))
            return value
        if value.isdigit():
            raise problem(
                (
                    (),
                    f"{describe(value)} is text; {expected} (did you mean {int(value)} or "
                    f"'{int(value)}%'?)",
                )
            )
    raise problem(((), f"{describe(value)} is not allowed; {expected}"))


def _is_zero(value: int | str) -> bool:
    return value in (0, "0%")


def _tag_problems(version: str, tag_format: str, image: str) -> list[tuple[Path, str]]:
    fault = tag_problem(image_tag(version, tag_format))
    if fault is None:
        return []
    return [(("version",), f"version {version!r} does not make a valid tag for {image}: {fault}")]


def _env_problems(env: Mapping[str, str], secrets: Sequence[str]) -> list[tuple[Path, str]]:
    """Environment variable names given twice: by ``env`` and by ``secrets``, or two secrets."""
    found: list[tuple[Path, str]] = []
    first: dict[str, int] = {}
    for index, secret in enumerate(secrets):
        name = secret_env(secret)
        earlier = first.setdefault(name, index)
        if earlier != index:
            found.append(
                (
                    ("secrets", index),
                    f"{secret!r} would be injected as {name}, like {secrets[earlier]!r} (first as "
                    f"secrets[{earlier}]); rename one of the secrets",
                )
            )
    for key in env:
        if key in first:
            found.append(
                (
                    ("env", key),
                    f"{key} is injected from the secret {secrets[first[key]]!r} (first as "
                    f"secrets[{first[key]}]); remove it from env",
                )
            )
    return found


# --- models -----------------------------------------------------------------------------------

WorkloadName = Annotated[
    str,
    AfterValidator(
        check_label(
            MAX_WORKLOAD_NAME_LENGTH, "it names the app's Kubernetes objects and its DNS labels"
        )
    ),
]
Image = Annotated[str, AfterValidator(check_image)]
Version = Annotated[str, PlainValidator(check_version)]
TagFormat = Annotated[str, AfterValidator(check_tag_format)]
Words = Annotated[list[str], BeforeValidator(none_as_empty(list))]
Env = Annotated[dict[str, str], BeforeValidator(none_as_empty(dict)), AfterValidator(_check_env)]
Secrets = Annotated[list[str], BeforeValidator(none_as_empty(list)), AfterValidator(_check_secrets)]
Uses = Annotated[list[str], BeforeValidator(none_as_empty(list)), AfterValidator(_check_uses)]
Port = Annotated[int, AfterValidator(check_in_range(1, MAX_PORT, "a port number"))]
IntOrPercent = Annotated[int | str, PlainValidator(_check_int_or_percent)]


class Resources(BaseModel):
    """CPU and memory requests of each container, and optional limits."""

    model_config = _MODEL_CONFIG

    cpu: Annotated[str, PlainValidator(_check_cpu)]
    memory: Annotated[str, PlainValidator(_check_memory)]
    cpu_limit: Annotated[str | None, PlainValidator(_check_cpu)] = None
    memory_limit: Annotated[str | None, PlainValidator(_check_memory)] = None

    @model_validator(mode="after")
    def _cross_check(self) -> Resources:
        found: list[tuple[Path, str]] = []
        for key, request, limit in (
            ("cpu_limit", self.cpu, self.cpu_limit),
            ("memory_limit", self.memory, self.memory_limit),
        ):
            if limit is not None and parse_quantity(limit) < parse_quantity(request):
                found.append(
                    (
                        (key,),
                        f"the limit {limit!r} is less than the request {request!r}; a limit "
                        "must be at least the request",
                    )
                )
        if found:
            raise problem(*found)
        return self


class Health(BaseModel):
    """The HTTP endpoint of the readiness and liveness probes."""

    model_config = _MODEL_CONFIG

    path: Annotated[str, AfterValidator(_check_health_path)]
    port: Port | None = None
    initial_delay: Annotated[
        int, AfterValidator(check_in_range(0, MAX_INITIAL_DELAY, "a number of seconds"))
    ] = 0


class Ingress(BaseModel):
    """A route from the fabric's load balancer (one ALB per fabric) to the app."""

    model_config = _MODEL_CONFIG

    host: Annotated[str, AfterValidator(_check_host)]
    path: Annotated[str, AfterValidator(_check_ingress_path)] = "/"
    tls: bool = True


class Autoscale(BaseModel):
    """A HorizontalPodAutoscaler: from ``min`` to ``max`` pods, aiming at ``cpu`` % of requests."""

    model_config = _MODEL_CONFIG

    min: Annotated[int, AfterValidator(check_in_range(1, MAX_REPLICAS, "a number of pods"))]
    max: Annotated[int, AfterValidator(check_in_range(1, MAX_REPLICAS, "a number of pods"))]
    cpu: Annotated[int, AfterValidator(check_in_range(1, 100, "a percentage of the request"))] = 80

    @model_validator(mode="after")
    def _cross_check(self) -> Autoscale:
        if self.min > self.max:
            raise problem(
                (
                    ("min",),
                    f"min {self.min} is larger than max {self.max}; the app scales between "
                    "them, so min must be at most max",
                )
            )
        return self


class Disruption(BaseModel):
    """A PodDisruptionBudget: how many pods voluntary evictions (node drains) must leave."""

    model_config = _MODEL_CONFIG

    min_available: IntOrPercent | None = None
    max_unavailable: IntOrPercent | None = None

    @model_validator(mode="after")
    def _cross_check(self) -> Disruption:
        if self.min_available is not None and self.max_unavailable is not None:
            raise problem(
                (
                    ("max_unavailable",),
                    "give min_available or max_unavailable, not both (a disruption budget has "
                    "one of them)",
                )
            )
        if self.min_available is None and self.max_unavailable is None:
            raise problem(
                ((), "give min_available or max_unavailable, e.g. disruption: {max_unavailable: 1}")
            )
        return self


class Rollout(BaseModel):
    """How a new version replaces the old one: a rolling update."""

    model_config = _MODEL_CONFIG

    max_surge: IntOrPercent = "25%"
    max_unavailable: IntOrPercent = 0
    progress_deadline: Annotated[
        int,
        AfterValidator(
            check_in_range(MIN_PROGRESS_DEADLINE, MAX_PROGRESS_DEADLINE, "a number of seconds")
        ),
    ] = 600

    @model_validator(mode="after")
    def _cross_check(self) -> Rollout:
        if _is_zero(self.max_surge) and _is_zero(self.max_unavailable):
            raise problem(
                (
                    ("max_unavailable",),
                    "max_surge and max_unavailable are both 0, so no pod could ever be replaced; "
                    "let one of them be more than 0",
                )
            )
        return self


class App(BaseModel):
    """A long-running app: a Deployment, and as needed a Service, HPA, PDB, Ingress, Secret."""

    model_config = _MODEL_CONFIG

    name: WorkloadName
    image: Image
    version: Version
    tag_format: TagFormat = DEFAULT_TAG_FORMAT
    replicas: Annotated[
        int, AfterValidator(check_in_range(0, MAX_REPLICAS, "a number of pods"))
    ] = 2
    port: Port | None = None
    command: Words = Field(default_factory=list)
    args: Words = Field(default_factory=list)
    env: Env = Field(default_factory=dict)
    secrets: Secrets = Field(default_factory=list)
    uses: Uses = Field(default_factory=list)
    resources: Resources | None = None
    health: Health | None = None
    ingress: Ingress | None = None
    load_balancer: bool = False
    autoscale: Autoscale | None = None
    disruption: Disruption | None = None
    rollout: Rollout = Field(default_factory=Rollout)

    @model_validator(mode="after")
    def _cross_check(self) -> App:
        found = _tag_problems(self.version, self.tag_format, self.image)
        found.extend(_env_problems(self.env, self.secrets))
        if self.health is not None and self.health.port is None and self.port is None:
            found.append(
                (
                    ("health",),
                    "the probes need a port, and the app has none: set port (the app's) or "
                    "health.port",
                )
            )
        for key, what in (("ingress", "an ingress"), ("load_balancer", "a load balancer")):
            if getattr(self, key) and self.port is None:
                message = f"{what} sends traffic to the app's port, and the app has none; set port"
                found.append(((key,), message))
        if self.ingress is not None and self.load_balancer:
            found.append(
                (
                    ("load_balancer",),
                    "an app has either an ingress (a route on the fabric's shared ALB) or its own "
                    "load balancer, not both; remove one",
                )
            )
        if self.autoscale is not None and self.resources is None:
            found.append(
                (
                    ("autoscale",),
                    f"the cpu target ({self.autoscale.cpu}%) is a share of the requested cpu, and "
                    "the app requests none; set resources, e.g. resources: {cpu: 250m, memory: "
                    "256Mi}",
                )
            )
        if found:
            raise problem(*found)
        return self


class CronJob(BaseModel):
    """A job run on a cron schedule: a Kubernetes CronJob (and its Secret, as needed)."""

    model_config = _MODEL_CONFIG

    name: WorkloadName
    schedule: Annotated[str, AfterValidator(check_schedule)]
    image: Image
    version: Version
    tag_format: TagFormat = DEFAULT_TAG_FORMAT
    command: Words = Field(default_factory=list)
    args: Words = Field(default_factory=list)
    env: Env = Field(default_factory=dict)
    secrets: Secrets = Field(default_factory=list)
    uses: Uses = Field(default_factory=list)
    concurrency: Annotated[Concurrency, BeforeValidator(choice(CONCURRENCY_POLICIES))] = "Forbid"
    resources: Resources | None = None

    @model_validator(mode="after")
    def _cross_check(self) -> CronJob:
        found = _tag_problems(self.version, self.tag_format, self.image)
        found.extend(_env_problems(self.env, self.secrets))
        if found:
            raise problem(*found)
        return self


# --- rules across the fabric ------------------------------------------------------------------


def workload_problems(
    apps: Sequence[App | str | None] | None,
    cronjobs: Sequence[CronJob | str | None] | None,
    *,
    has_cluster: bool,
    has_dns: bool,
    domain: str | None,
    stores: Mapping[str, StoreKind] | None,
) -> list[tuple[Path, str]]:
    """The rules of apps and cron jobs that involve the rest of the fabric.

    An entry of ``apps`` / ``cronjobs`` is its model, only its name when the entry is not valid,
    or None when not even the name is; a section is None when it is not a list. ``has_dns``
    tells whether a dns section is written, ``domain`` is its domain when valid. ``stores`` maps
    each data store's name to its kind, or is None when some names are not known (then unknown
    ``uses`` targets cannot be told). Paths are relative to the fabric.
    """
    found: list[tuple[Path, str]] = []
    for key, entries, what in (("apps", apps, "apps"), ("cronjobs", cronjobs, "cron jobs")):
        if entries and not has_cluster:
            found.append(
                (
                    (key,),
                    f"{what} run on the fabric's cluster, and this fabric has none; add a cluster "
                    f"section or remove {key}",
                )
            )
    found.extend(_name_problems(apps or [], cronjobs or []))
    found.extend(_tls_problems(apps or []))
    routes: dict[tuple[str, str], tuple[str, int]] = {}
    for key, entries in (("apps", apps), ("cronjobs", cronjobs)):
        for index, entry in enumerate(entries or []):
            if isinstance(entry, App | CronJob):
                found.extend(
                    (((key, index, *path), message))
                    for path, message in _uses_problems(entry, stores)
                )
            if isinstance(entry, App) and entry.ingress is not None:
                found.extend(
                    ((("apps", index, "ingress", *path), message))
                    for path, message in _ingress_problems(entry, index, has_dns, domain, routes)
                )
    return found


def _name_problems(
    apps: Sequence[App | str | None], cronjobs: Sequence[CronJob | str | None]
) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    first: dict[str, tuple[str, int]] = {}
    for key, entries, what in (("apps", apps, "app"), ("cronjobs", cronjobs, "cron job")):
        for index, entry in enumerate(entries):
            name = entry.name if isinstance(entry, App | CronJob) else entry
            if name is None:
                continue
            earlier = first.setdefault(name, (key, index))
            if earlier == (key, index):
                continue
            if earlier[0] == key:
                message = (
                    f"the name {name!r} is already used (first as {key}[{earlier[1]}]); each "
                    f"{what} needs its own name"
                )
            else:
                message = (
                    f"{name!r} clashes with the app of the same name (first as apps"
                    f"[{earlier[1]}]); apps and cron jobs share one namespace (their objects and "
                    "labels are named after them), so each name may be used once"
                )
            found.append(((key, index, "name"), message))
    return found


def _tls_problems(apps: Sequence[App | str | None]) -> list[tuple[Path, str]]:
    """Ingresses share the fabric's one ALB, whose HTTP-to-HTTPS redirect applies to all of them."""
    found: list[tuple[Path, str]] = []
    first: tuple[int, bool] | None = None
    for index, app in enumerate(apps):
        if not isinstance(app, App) or app.ingress is None:
            continue
        if first is None:
            first = (index, app.ingress.tls)
        elif app.ingress.tls != first[1]:
            found.append(
                (
                    ("apps", index, "ingress", "tls"),
                    f"tls is {str(app.ingress.tls).lower()} here and "
                    f"{str(first[1]).lower()} for apps[{first[0]}] (first as "
                    f"apps[{first[0]}].ingress); the ingresses of a fabric share one load "
                    "balancer, whose redirect from HTTP to HTTPS applies to all of them, so tls "
                    "must be the same for all",
                )
            )
    return found


def _uses_problems(
    entry: App | CronJob, stores: Mapping[str, StoreKind] | None
) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    injected: dict[str, tuple[str, str]] = {}
    for index, target in enumerate(entry.uses):
        if stores is None:
            continue
        kind = stores.get(target)
        if kind is None:
            have = ", ".join(stores) if stores else "none"
            found.append(
                (
                    ("uses", index),
                    f"{target!r} is not a database, cache or bucket of this fabric"
                    f"{did_you_mean(target, stores)}; it has: {have}",
                )
            )
            continue
        for name, what in injected_env(kind, target).items():
            injected.setdefault(name, (target, what))
    for key in entry.env:
        if key in injected:
            target, what = injected[key]
            found.append(
                (
                    ("env", key),
                    f"{key} is injected by uses: {target} ({what}); remove it from env",
                )
            )
    for index, secret in enumerate(entry.secrets):
        name = secret_env(secret)
        if name in injected:
            target, what = injected[name]
            found.append(
                (
                    ("secrets", index),
                    f"{secret!r} would be injected as {name}, which uses: {target} already sets "
                    f"({what}); rename the secret",
                )
            )
    return found


def _ingress_problems(
    app: App,
    index: int,
    has_dns: bool,
    domain: str | None,
    routes: dict[tuple[str, str], tuple[str, int]],
) -> list[tuple[Path, str]]:
    ingress = app.ingress
    assert ingress is not None
    found: list[tuple[Path, str]] = []
    if not has_dns:
        found.append(
            (
                (),
                "an ingress host is a name in the fabric's DNS zone, and this fabric has none; "
                "add a dns section (e.g. dns: {domain: example.com}) or remove the ingress",
            )
        )
    elif domain is not None:
        host = ingress.host
        if host != domain and not host.endswith("." + domain):
            found.append(
                (
                    ("host",),
                    f"{host!r} is not in the fabric's domain {domain!r}; expected {domain} or a "
                    f"name under it, like {app.name}.{domain}",
                )
            )
        elif ingress.tls and host.count(".") > domain.count(".") + 1:
            found.append(
                (
                    ("host",),
                    f"{host!r} is not covered by the fabric's certificate (*.{domain} and "
                    f"{domain}: a wildcard covers one label); use a host like "
                    f"{app.name}.{domain}, or tls: false",
                )
            )
    route = (ingress.host, ingress.path)
    earlier = routes.setdefault(route, (app.name, index))
    if earlier != (app.name, index):
        found.append(
            (
                ("path",),
                f"{ingress.host}{ingress.path} already goes to app {earlier[0]!r} (first as "
                f"apps[{earlier[1]}].ingress); each host and path routes to one app",
            )
        )
    return found
