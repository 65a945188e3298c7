"""The applications of a fabric file: long-running apps and cron jobs on the fabric's cluster.

::

    environment: production          # the `environment` label (default: the fabric's name)
    apps:
      - name: web
        image: ghcr.io/acme/web       # no tag: the tag is tag_format with the version in it
        version: "1.4.2"
        tag_format: "v{version}"      # default "{version}"
        versioning: semver            # default; any: git SHAs, dates, build numbers;
                                      # digest: sha256:… image digests (pulled by digest)
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

Defaults resolved here: ``tag_format`` ``"{version}"``, ``versioning`` semver, ``replicas`` 2,
``rollout`` with ``max_surge`` 25%, ``max_unavailable`` 0 (a rollout never goes below the wanted
number of ready pods) and ``progress_deadline`` 600 s, ``concurrency`` Forbid, ``autoscale.cpu``
80 %, ``ingress.path`` ``/`` and ``ingress.tls`` true.

Rules within an entry are checked on its model; the values have modules of their own: images,
versions and tags (:mod:`weft.fabricfile.image`), cron schedules (:mod:`weft.fabricfile.cron`),
cpu and memory amounts (:mod:`weft.fabricfile.quantity`), and the environment variables an entry
is given and gets injected (:mod:`weft.fabricfile.env_vars`). Rules that need the rest of the
fabric (a cluster, the DNS domain, the data stores, the other entries) are
:func:`weft.fabricfile.cross_check.workload_problems`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainValidator,
    model_validator,
)

from weft.fabricfile.checks import (
    MODEL_CONFIG,
    Path,
    check_in_range,
    check_label,
    check_unique,
    choice,
    describe,
    none_as_empty,
    problem,
)
from weft.fabricfile.cron import check_schedule
from weft.fabricfile.dns import domain_problem
from weft.fabricfile.env_vars import check_env, check_secrets, env_problems
from weft.fabricfile.image import (
    VERSIONINGS,
    check_image,
    check_tag_format,
    check_version,
    image_tag,
    tag_problem,
    version_problem,
)
from weft.fabricfile.quantity import check_cpu, check_memory, parse_quantity

__all__ = [
    "CONCURRENCY_POLICIES",
    "DEFAULT_TAG_FORMAT",
    "MAX_REPLICAS",
    "MAX_WORKLOAD_NAME_LENGTH",
    "App",
    "Autoscale",
    "CronJob",
    "Disruption",
    "Health",
    "Ingress",
    "Resources",
    "Rollout",
]

Concurrency = Literal["Allow", "Forbid", "Replace"]
Versioning = Literal["semver", "any", "digest"]

#: An app's name becomes its Deployment's, Service's and Secret's (``<name>-env``) names.
MAX_WORKLOAD_NAME_LENGTH = 40
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
DEFAULT_TAG_FORMAT = "{version}"
MAX_REPLICAS = 1000
MAX_PORT = 65535
MAX_INITIAL_DELAY = 3600
MIN_PROGRESS_DEADLINE = 10
MAX_PROGRESS_DEADLINE = 86400

_HTTP_PATH_RE = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")
_PERCENT_RE = re.compile(r"(0|[1-9][0-9]*)%")


# --- small value checks -----------------------------------------------------------------------


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


def _tag_problems(
    version: str, tag_format: str, image: str, versioning: str
) -> list[tuple[Path, str]]:
    wrong = version_problem(version, versioning)
    if wrong is not None:
        return [(("version",), wrong)]
    if versioning == "digest":  # pulled by digest: no tag is made
        return []
    fault = tag_problem(image_tag(version, tag_format))
    if fault is None:
        return []
    return [(("version",), f"version {version!r} does not make a valid tag for {image}: {fault}")]


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
Env = Annotated[dict[str, str], BeforeValidator(none_as_empty(dict)), AfterValidator(check_env)]
Secrets = Annotated[list[str], BeforeValidator(none_as_empty(list)), AfterValidator(check_secrets)]
Uses = Annotated[list[str], BeforeValidator(none_as_empty(list)), AfterValidator(_check_uses)]
Port = Annotated[int, AfterValidator(check_in_range(1, MAX_PORT, "a port number"))]
IntOrPercent = Annotated[int | str, PlainValidator(_check_int_or_percent)]


class Resources(BaseModel):
    """CPU and memory requests of each container, and optional limits."""

    model_config = MODEL_CONFIG

    cpu: Annotated[str, PlainValidator(check_cpu)]
    memory: Annotated[str, PlainValidator(check_memory)]
    cpu_limit: Annotated[str | None, PlainValidator(check_cpu)] = None
    memory_limit: Annotated[str | None, PlainValidator(check_memory)] = None

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

    model_config = MODEL_CONFIG

    path: Annotated[str, AfterValidator(_check_health_path)]
    port: Port | None = None
    initial_delay: Annotated[
        int, AfterValidator(check_in_range(0, MAX_INITIAL_DELAY, "a number of seconds"))
    ] = 0


class Ingress(BaseModel):
    """A route from the fabric's load balancer (one ALB per fabric) to the app."""

    model_config = MODEL_CONFIG

    host: Annotated[str, AfterValidator(_check_host)]
    path: Annotated[str, AfterValidator(_check_ingress_path)] = "/"
    tls: bool = True


class Autoscale(BaseModel):
    """A HorizontalPodAutoscaler: from ``min`` to ``max`` pods, aiming at ``cpu`` % of requests."""

    model_config = MODEL_CONFIG

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

    model_config = MODEL_CONFIG

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

    model_config = MODEL_CONFIG

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

    model_config = MODEL_CONFIG

    name: WorkloadName
    image: Image
    version: Version
    versioning: Annotated[Versioning, BeforeValidator(choice(VERSIONINGS))] = "semver"
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
        found = _tag_problems(self.version, self.tag_format, self.image, self.versioning)
        found.extend(env_problems(self.env, self.secrets))
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

    model_config = MODEL_CONFIG

    name: WorkloadName
    schedule: Annotated[str, AfterValidator(check_schedule)]
    image: Image
    version: Version
    versioning: Annotated[Versioning, BeforeValidator(choice(VERSIONINGS))] = "semver"
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
        found = _tag_problems(self.version, self.tag_format, self.image, self.versioning)
        found.extend(env_problems(self.env, self.secrets))
        if found:
            raise problem(*found)
        return self
