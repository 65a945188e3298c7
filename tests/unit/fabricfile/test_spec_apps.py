"""Apps, cron jobs and the environment label: defaults, checks within an entry, rules across."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from weft.errors import ConfigError
from weft.fabricfile import (
    App,
    Autoscale,
    CronJob,
    Disruption,
    Health,
    Ingress,
    Resources,
    Rollout,
    load_fabric,
    parse_fabric,
)
from weft.fabricfile.checks import secret_name_problem
from weft.fabricfile.cross_check import workload_problems
from weft.fabricfile.env_vars import injected_env, secret_env, store_env
from weft.fabricfile.quantity import parse_quantity
from weft.fabricfile.secret_names import credential_secret

GOOD = Path(__file__).parent / "good"

BASE = (
    "name: demo\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\ncluster:\n"
    "  api_cidrs: [203.0.113.0/24]\n"
)
STORES = (
    "databases:\n  - {name: main, engine_version: '16', instance_class: db.t4g.medium}\n"
    "caches:\n  - {name: sessions, engine_version: '7.1', node_type: cache.t4g.small}\n"
    "buckets:\n  - name: uploads\n"
)
DNS = "dns:\n  domain: example.com\n"
WEB = "apps:\n  - name: web\n    image: ghcr.io/acme/web\n    version: '1.0.0'\n"
JOB = (
    "cronjobs:\n  - name: report\n    schedule: '0 3 * * *'\n    image: ghcr.io/acme/jobs\n"
    "    version: '1.0.0'\n"
)


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "f.yaml")
    return caught.value.problems


def _app(lines: str) -> str:
    """The web app with extra keys (one per line, without indentation)."""
    return WEB + "".join(f"    {line}\n" for line in lines.splitlines())


# --- defaults and the good example ------------------------------------------------------------


def test_app_defaults() -> None:
    (app,) = parse_fabric(BASE + WEB).apps
    assert app == App(name="web", image="ghcr.io/acme/web", version="1.0.0")
    assert app.tag_format == "{version}"
    assert app.replicas == 2
    assert app.port is None
    assert app.command == app.args == app.secrets == app.uses == []
    assert app.env == {}
    assert app.resources is app.health is app.ingress is app.autoscale is app.disruption is None
    assert app.load_balancer is False
    assert app.rollout == Rollout(max_surge="25%", max_unavailable=0, progress_deadline=600)


def test_cronjob_defaults() -> None:
    (job,) = parse_fabric(BASE + JOB).cronjobs
    assert job.concurrency == "Forbid"
    assert job.tag_format == "{version}"
    assert job.resources is None
    assert job.env == {} and job.secrets == [] and job.uses == []


def test_environment_defaults_to_the_name() -> None:
    assert parse_fabric(BASE).environment == "demo"
    assert parse_fabric(BASE + "environment: Prod_1.x\n").environment == "Prod_1.x"


def test_fabric_without_apps_has_empty_sections() -> None:
    fabric = parse_fabric(BASE + "apps:\ncronjobs:\n")
    assert fabric.apps == [] and fabric.cronjobs == []


def test_the_apps_example_loads_with_every_key() -> None:
    fabric = load_fabric(GOOD / "apps.yaml")
    assert fabric.environment == "production"
    web, api, edge, worker = fabric.apps
    assert web.resources == Resources(
        cpu="250m", memory="256Mi", cpu_limit="1", memory_limit="512Mi"
    )
    assert web.health == Health(path="/healthz", port=None, initial_delay=5)
    assert web.ingress == Ingress(host="www.example.com", path="/", tls=True)
    assert web.autoscale == Autoscale(min=3, max=10, cpu=70)
    assert web.disruption == Disruption(max_unavailable=1)
    assert web.rollout == Rollout(max_surge="50%", max_unavailable=0, progress_deadline=300)
    assert web.env == {"LOG_LEVEL": "info", "FEATURES": "a,b"}
    assert web.args == ["--listen", ":8080"]
    assert api.version == "2.0.0-rc.1+build.7"
    assert api.ingress == Ingress(host="example.com", path="/api", tls=True)
    assert api.disruption == Disruption(min_available="50%")
    assert edge.load_balancer is True and edge.health == Health(path="/", port=8081)
    assert worker.replicas == 0 and worker.port is None
    report, cleanup = fabric.cronjobs
    assert report == CronJob(
        name="report",
        schedule="0 3 * * MON-FRI",
        image="ghcr.io/acme/jobs",
        version="2.0.0",
        command=["report", "--daily"],
        uses=["main", "uploads"],
        secrets=["smtp/password"],
        concurrency="Replace",
        resources=Resources(cpu="0.5", memory="1Gi"),
    )
    assert cleanup.schedule == "@hourly"


def test_numbers_for_cpu_are_read_as_quantities() -> None:
    resources = Resources.model_validate({"cpu": 2, "memory": "1Gi", "cpu_limit": 2.5})
    assert (resources.cpu, resources.cpu_limit) == ("2", "2.5")
    # A memory byte count given as a number is taken when it is large enough to be meant.
    assert Resources.model_validate({"cpu": "1", "memory": 268435456}).memory == "268435456"


# --- injected names ---------------------------------------------------------------------------


def test_names_of_injected_environment_variables() -> None:
    assert store_env("main", "host") == "MAIN_HOST"
    assert store_env("orders-db", "auth_token") == "ORDERS_DB_AUTH_TOKEN"
    assert secret_env("stripe/api-key") == "STRIPE_API_KEY"
    assert secret_env("a.b/c-d_e") == "A_B_C_D_E"
    assert injected_env("database", "main") == {
        "MAIN_HOST": "the database's host",
        "MAIN_PORT": "the database's port",
        "MAIN_DATABASE": "the database's database",
        "MAIN_USER": "the database's user",
        "MAIN_PASSWORD": "the database's password",
    }
    assert list(injected_env("cache", "sessions")) == [
        "SESSIONS_HOST",
        "SESSIONS_PORT",
        "SESSIONS_TLS",
        "SESSIONS_URL",
        "SESSIONS_AUTH_TOKEN",
    ]
    assert list(injected_env("bucket", "uploads")) == ["UPLOADS_BUCKET", "UPLOADS_REGION"]


def test_credential_secret_names_follow_the_data_drivers() -> None:
    assert credential_secret("database", "main") == "database/main/password"
    assert credential_secret("cache", "sessions") == "cache/sessions/auth-token"
    assert credential_secret("bucket", "uploads") is None


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("stripe/api-key", True),
        ("a", True),
        ("0/x.y_z", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("Stripe", False),
        ("/a", False),
        ("a/../b", False),
        ("a b", False),
        ("", False),
    ],
)
def test_secret_name_grammar(name: str, valid: bool) -> None:
    assert (secret_name_problem(name) is None) is valid


# --- quantities -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("0.25", Decimal("0.25")),
        (".5", Decimal("0.5")),
        ("1Ki", Decimal(1024)),
        ("256Mi", Decimal(256 * 2**20)),
        ("1Gi", Decimal(2**30)),
        ("1k", Decimal(1000)),
        ("1M", Decimal(10**6)),
        ("1E", Decimal(10**18)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("12e-1", Decimal("1.2")),
        ("-1", Decimal(-1)),
        ("+1.5", Decimal("1.5")),
    ],
)
def test_parse_quantity(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "m", "1.2.3", "1 Gi", "1gi", "1KB", "1e", "1e1000", "Gi"])
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        ("{cpu: 500mi, memory: 1Gi}", "(did you mean '500m'?)"),
        ("{cpu: 1Gi, memory: 1Gi}", "Gi is a unit of bytes"),
        ("{cpu: 500, memory: 1Gi}", "would be 500 cores; if millicores are meant"),
        ("{cpu: '-1', memory: 1Gi}", "is negative"),
        ("{cpu: true, memory: 1Gi}", "expected a cpu amount"),
        ("{cpu: 1, memory: 512m}", "'512m' is 0.512 bytes (m means thousandths)"),
        ("{cpu: 1, memory: 1.5}", "a fraction of a byte count"),
        ("{cpu: 1, memory: 1gb}", "(did you mean '1G' or '1Gi'?)"),
        ("{cpu: 1, memory: 2GiB}", "(did you mean '2Gi'?)"),
        ("{cpu: 1, memory: 1Gi, memory_limit: 512Mi}", "the limit '512Mi' is less than"),
        ("{cpu: 1}", "memory: required key is missing; e.g. memory: 256Mi"),
    ],
)
def test_resource_errors(resources: str, fragment: str) -> None:
    problems = _problems(BASE + _app(f"resources: {resources}"))
    assert any(fragment in p for p in problems), problems


# --- checks within an entry -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ("replicas: -1", "expected a number of pods from 0 to 1000"),
        ("replicas: '3'", "expected a whole number"),
        ("port: 0", "expected a port number from 1 to 65535"),
        ("command: /bin/app", "expected a list"),
        ("args: [1]", "expected text, got 1"),
        ("env: {1X: a}", "not starting with a digit"),
        ("env: {'': a}", "an empty name is not an environment variable name"),
        ("secrets: [a, a]", "'a' is listed twice (first as secrets[0])"),
        ("secrets: [1password]", "would be injected as '1PASSWORD'"),
        ("secrets: [db/pass]\nenv: {DB_PASS: x}", "DB_PASS is injected from the secret 'db/pass'"),
        ("uses: [main, main]", "'main' is listed twice"),
        ("tag_format: 'v{version}{x}'", "has braces other than {version}"),
        ("tag_format: '-{version}'", "does not make valid tags"),
        ("health: {path: healthz, port: 8080}", "(did you mean '/healthz'?)"),
        ("health: {path: /a b, port: 8080}", "is not a valid URL path"),
        ("health: {path: /healthz, port: 8080, initial_delay: 4000}", "from 0 to 3600"),
        ("port: 80\ningress: {host: Example.com}", "has uppercase letters"),
        ("port: 80\ningress: {host: www.example.com, path: /a//b}", "has an empty, '.' or '..'"),
        ("port: 80\ningress: {host: www.example.com, path: api}", "(did you mean '/api'?)"),
        ("ingress: {host: www.example.com}", "an ingress sends traffic to the app's port"),
        ("load_balancer: true", "a load balancer sends traffic to the app's port"),
        ("resources: {cpu: 1, memory: 1Gi}\nautoscale: {min: 0, max: 2}", "from 1 to 1000"),
        ("resources: {cpu: 1, memory: 1Gi}\nautoscale: {min: 1, max: 2, cpu: 120}", "1 to 100"),
        ("disruption: {}", "give min_available or max_unavailable, e.g."),
        ("disruption: {min_available: '120%'}", "'120%' is more than 100%"),
        ("disruption: {min_available: '50'}", "(did you mean 50 or '50%'?)"),
        ("disruption: {min_available: -1}", "-1 is negative"),
        ("disruption: {min_available: 0.5}", "expected a whole number like 1 or a percentage"),
        ("rollout: {progress_deadline: 5}", "from 10 to 86400"),
        ("rollout: {max_surge: 0}", "both 0"),
    ],
)
def test_app_errors(lines: str, fragment: str) -> None:
    problems = _problems(BASE + DNS + STORES + _app(lines))
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ("ghcr.io/acme/web@sha256:" + "a" * 64, "has a digest"),
        ("ghcr.io/acme/web:v1.2.3", 'tag_format: "v{version}"'),
        ("ghcr.io/acme/web:latest", "weft makes the tag from version and tag_format"),
        ("https://ghcr.io/acme/web", "is a URL; expected an image name"),
        ("ghcr.io//web", "has an empty path component"),
        ("-bad.io/web", "has an invalid registry host"),
        ("acme/web-", "the path part 'web-'"),
    ],
)
def test_image_errors(image: str, fragment: str) -> None:
    text = BASE + f"apps:\n  - {{name: web, image: '{image}', version: '1.2.3'}}\n"
    problems = _problems(text)
    assert any(fragment in p for p in problems), problems


def test_a_version_that_makes_a_too_long_tag_is_refused() -> None:
    long_format = "release-" + "x" * 110 + "-{version}"
    text = BASE + _app(f"tag_format: '{long_format}'").replace(
        "'1.0.0'", "'1.0.0-" + "r" * 40 + "'"
    )
    problems = _problems(text)
    assert any("version '1.0.0-rrr" in p and "a tag has at most 128" in p for p in problems)


def test_versions_that_are_not_semver_are_allowed_by_option() -> None:
    """A git SHA, a date or a build number is refused by default, saying how to allow it."""
    sha = BASE + WEB.replace("'1.0.0'", "'3f9c2a1'")
    (problem,) = _problems(sha)
    assert "f.yaml:" in problem and "apps[0].version" in problem
    assert "not a semantic version" in problem and "set versioning: any" in problem
    (app,) = parse_fabric(sha.replace("    version:", "    versioning: any\n    version:")).apps
    assert (app.version, app.versioning) == ("3f9c2a1", "any")
    for version in ("2024.06.01", "build-812", "main_3f9c2a1"):
        text = BASE + _app("versioning: any").replace("'1.0.0'", f"'{version}'")
        assert parse_fabric(text).apps[0].version == version
    # any version still has to be a label value
    bad = BASE + _app("versioning: any").replace("'1.0.0'", "'feature/x'")
    assert any("not a version weft can deploy" in p for p in _problems(bad))
    assert any("versioning" in p for p in _problems(BASE + _app("versioning: calver")))
    job = BASE + JOB.replace("'1.0.0'", "'3f9c2a1'") + "    versioning: any\n"
    assert parse_fabric(job).cronjobs[0].version == "3f9c2a1"


DIGEST = "sha256:" + "3f9c2a1e" * 8


def test_image_digests_are_versions_by_option() -> None:
    """A digest is refused by default, saying how to allow it; with versioning: digest the app
    takes digests only, and is pulled by digest (no tag is made, tag_format unused)."""
    by_default = BASE + WEB.replace("'1.0.0'", f"'{DIGEST}'")
    (problem,) = _problems(by_default)
    assert "apps[0].version" in problem and "set versioning: digest" in problem, problem
    text = BASE + _app("versioning: digest\ntag_format: 'v{version}'").replace(
        "'1.0.0'", f"'{DIGEST}'"
    )
    (app,) = parse_fabric(text).apps
    assert (app.version, app.versioning) == (DIGEST, "digest")
    sha512 = "sha512:" + "ab" * 64
    assert parse_fabric(text.replace(DIGEST, sha512)).apps[0].version == sha512
    for wrong in ("1.0.0", "sha256:abc", DIGEST.upper().replace("SHA256", "sha256")):
        problems = _problems(text.replace(DIGEST, wrong))
        assert any("is not an image digest" in p for p in problems), (wrong, problems)


def test_a_digest_is_pulled_by_digest_and_labelled_within_63_characters() -> None:
    from weft.fabricfile.image import version_label, version_problem
    from weft.kube.manifests import image_ref

    assert image_ref("ghcr.io/acme/web", DIGEST, "v{version}") == f"ghcr.io/acme/web@{DIGEST}"
    assert image_ref("ghcr.io/acme/web", "1.2.3", "v{version}") == "ghcr.io/acme/web:v1.2.3"
    label = version_label(DIGEST)
    assert label == ("sha256_" + "3f9c2a1e" * 8)[:63] and len(label) == 63
    assert version_problem(DIGEST, "digest") is None
    assert version_problem("3f9c2a1", "digest") is not None


def test_cronjob_checks_its_entries_like_apps() -> None:
    text = BASE + JOB + "    secrets: [a-b, a.b]\n    env: {A_B: x}\n"
    problems = _problems(text)
    assert any("'a.b' would be injected as A_B, like 'a-b'" in p for p in problems), problems
    assert any("A_B is injected from the secret 'a-b'" in p for p in problems), problems


# --- rules across the fabric ------------------------------------------------------------------


def test_uses_injects_names_env_may_not_take() -> None:
    text = BASE + STORES + _app("uses: [main, uploads]\nenv: {MAIN_PASSWORD: x, UPLOADS_REGION: y}")
    problems = _problems(text)
    assert any(
        "env.MAIN_PASSWORD: MAIN_PASSWORD is injected by uses: main (the database's password)" in p
        for p in problems
    ), problems
    assert any(
        "UPLOADS_REGION is injected by uses: uploads (the bucket's region)" in p for p in problems
    )


def test_a_secret_may_not_take_a_name_uses_injects() -> None:
    text = BASE + STORES + _app("uses: [main]\nsecrets: [main/host]")
    problems = _problems(text)
    assert any(
        "secrets[0]: 'main/host' would be injected as MAIN_HOST, which uses: main already sets" in p
        for p in problems
    ), problems


def test_unknown_uses_in_a_fabric_without_stores() -> None:
    problems = _problems(BASE + _app("uses: [main]"))
    assert any(
        "'main' is not a database, cache or bucket of this fabric; it has: none" in p
        for p in problems
    ), problems


def test_cross_rules_still_run_when_another_key_is_wrong() -> None:
    text = (
        BASE.replace("name: demo", "name: Demo")
        + STORES
        + "apps:\n"
        + "  - {name: web, image: ghcr.io/acme/web, version: '1.0.0', uses: [mian]}\n"
        + "  - {name: web, image: ghcr.io/acme/web, version: 1}\n"
        + JOB.replace("report", "web")
    )
    problems = _problems(text)
    assert any(p.startswith("f.yaml:1: name:") for p in problems), problems
    assert any("apps[0].uses[0]: 'mian' is not a database" in p for p in problems), problems
    # The second app is not valid, but its name is: the duplicate is still found.
    assert any("apps[1].name: the name 'web' is already used" in p for p in problems), problems
    assert any("cronjobs[0].name: 'web' clashes with the app" in p for p in problems), problems


def test_unknown_uses_is_not_claimed_when_a_store_name_is_invalid() -> None:
    text = BASE + "buckets:\n  - name: Uploads\n" + _app("uses: [uploads]")
    problems = _problems(text)
    assert not any("is not a database, cache or bucket" in p for p in problems), problems


def test_ingress_rules_use_the_dns_domain_even_when_other_keys_fail() -> None:
    text = (
        BASE
        + DNS
        + "apps:\n"
        + "  - {name: web, image: ghcr.io/acme/web, version: '1.0.0', port: 80,"
        + " ingress: {host: web.example.org}}\n"
        + "  - {name: api, image: ghcr.io/acme/api, version: 2}\n"
    )
    problems = _problems(text)
    assert any("'web.example.org' is not in the fabric's domain" in p for p in problems)
    assert any("apps[1].version: 2 is a number" in p for p in problems)


def test_an_invalid_dns_section_still_counts_as_written() -> None:
    text = (
        BASE + "dns:\n  domain: Example.com\n" + _app("port: 80\ningress: {host: www.example.com}")
    )
    problems = _problems(text)
    assert not any("add a dns section" in p for p in problems), problems
    assert any("dns.domain:" in p for p in problems)


@pytest.mark.parametrize(
    ("host", "tls", "ok"),
    [
        ("example.com", True, True),
        ("www.example.com", True, True),
        ("a.b.example.com", False, True),
        ("a.b.example.com", True, False),
        ("badexample.com", False, False),
        ("example.com.evil.io", False, False),
    ],
)
def test_ingress_hosts_under_the_domain(host: str, tls: bool, ok: bool) -> None:
    text = BASE + DNS + _app(f"port: 80\ningress: {{host: {host}, tls: {str(tls).lower()}}}")
    if ok:
        assert parse_fabric(text).apps[0].ingress == Ingress(host=host, tls=tls)
    else:
        assert any("apps[0].ingress.host" in p for p in _problems(text))


def test_two_apps_may_share_a_host_on_different_paths() -> None:
    text = (
        BASE
        + DNS
        + "apps:\n"
        + "  - {name: web, image: ghcr.io/acme/web, version: '1.0.0', port: 80,"
        + " ingress: {host: www.example.com}}\n"
        + "  - {name: api, image: ghcr.io/acme/api, version: '1.0.0', port: 80,"
        + " ingress: {host: www.example.com, path: /api}}\n"
    )
    assert [app.ingress.path for app in parse_fabric(text).apps if app.ingress] == ["/", "/api"]


def test_replicas_outside_the_autoscale_range_are_fine() -> None:
    text = BASE + _app("replicas: 1\nresources: {cpu: 1, memory: 1Gi}\nautoscale: {min: 3, max: 5}")
    (app,) = parse_fabric(text).apps
    assert app.replicas == 1 and app.autoscale == Autoscale(min=3, max=5, cpu=80)


def test_cronjobs_need_a_cluster_too() -> None:
    text = BASE.replace("cluster:\n  api_cidrs: [203.0.113.0/24]\n", "") + JOB
    assert _problems(text) == [
        "f.yaml:5: cronjobs: cron jobs run on the fabric's cluster, and this fabric has none; "
        "add a cluster section or remove cronjobs"
    ]


def test_workload_problems_on_their_own() -> None:
    web = App(name="web", image="ghcr.io/acme/web", version="1.0.0", uses=["main", "nope"])
    problems = workload_problems(
        [web, "web", None],
        [None],
        has_cluster=True,
        has_dns=False,
        domain=None,
        stores={"main": "database"},
    )
    assert problems == [
        (
            ("apps", 1, "name"),
            "the name 'web' is already used (first as apps[0]); each app needs its own name",
        ),
        (
            ("apps", 0, "uses", 1),
            "'nope' is not a database, cache or bucket of this fabric; it has: main",
        ),
    ]
    # Without the stores' names, nothing is said about uses.
    assert (
        workload_problems([web], [], has_cluster=True, has_dns=False, domain=None, stores=None)
        == []
    )
