"""The optional sections of a fabric: cluster, node groups, Fargate, data services, DNS."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import CLUSTER_VERSION
from weft.errors import ConfigError
from weft.fabricfile import (
    Addon,
    Bucket,
    Cache,
    Cluster,
    Database,
    Dns,
    Fabric,
    FargateProfile,
    FargateSelector,
    NodeGroup,
    Taint,
    check_version_step,
    k8s_minor,
    load_fabric,
    parse_fabric,
)

GOOD = Path(__file__).parent / "good"

BASE = "name: demo\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n"
CLUSTER_HEAD = f'cluster:\n  version: "{CLUSTER_VERSION}"\n'
CLUSTER = CLUSTER_HEAD + "  api_cidrs: [198.51.100.0/24]\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "f.yaml")
    return caught.value.problems


# --- defaults ---------------------------------------------------------------------------------


def test_a_fabric_without_sections_has_empty_ones() -> None:
    fabric = parse_fabric(BASE)
    assert fabric.cluster is None
    assert fabric.dns is None
    assert fabric.nodegroups == []
    assert fabric.fargate == []
    assert fabric.databases == []
    assert fabric.caches == []
    assert fabric.buckets == []


def test_cluster_defaults() -> None:
    cluster = parse_fabric(BASE + CLUSTER).cluster
    assert cluster == Cluster(
        version=CLUSTER_VERSION,
        endpoint="both",
        api_cidrs=["198.51.100.0/24"],
        logs=["api", "audit", "authenticator"],
        encrypt_secrets=True,
        addons={
            "vpc-cni": Addon(),
            "coredns": Addon(),
            "kube-proxy": Addon(),
            "aws-ebs-csi-driver": Addon(),
            "metrics-server": Addon(),
        },
    )
    assert cluster is not None
    assert list(cluster.addons) == [
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "aws-ebs-csi-driver",
        "metrics-server",
    ]
    assert all(addon.version is None for addon in cluster.addons.values())


@pytest.mark.parametrize("endpoint", ["public", "both"])
def test_a_public_endpoint_never_defaults_to_the_whole_internet(endpoint: str) -> None:
    """No default opens the API: the file lists who may reach it, or says 0.0.0.0/0."""
    problems = _problems(BASE + CLUSTER_HEAD + f"  endpoint: {endpoint}\n")
    assert any(
        f"cluster.api_cidrs: required with endpoint {endpoint}" in p and "[0.0.0.0/0]" in p
        for p in problems
    ), problems
    opened = parse_fabric(BASE + CLUSTER_HEAD + "  api_cidrs: [0.0.0.0/0]\n").cluster
    assert opened is not None and opened.api_cidrs == ["0.0.0.0/0"]


def test_a_private_endpoint_defaults_to_no_api_cidrs() -> None:
    fabric = load_fabric(GOOD / "private_endpoint.yaml")
    assert fabric.cluster is not None
    assert fabric.cluster.endpoint == "private"
    assert fabric.cluster.api_cidrs == []
    assert fabric.cluster.logs == []
    assert fabric.cluster.encrypt_secrets is False
    # Given addons are exactly the managed ones; an addon with no value means version null.
    assert fabric.cluster.addons == {
        "vpc-cni": Addon(version=None),
        "coredns": Addon(version="v1.12.3-eksbuild.2"),
    }
    assert fabric.fargate == [
        FargateProfile(
            name="apps",
            selectors=[FargateSelector(namespace="default", labels={"fargate": "true"})],
        ),
        # coredns runs on Fargate in a fabric without node groups: a profile selects it
        FargateProfile(name="system", selectors=[FargateSelector(namespace="kube-system")]),
    ]


def test_empty_addons_means_none_managed() -> None:
    cluster = parse_fabric(BASE + CLUSTER + "  addons: {}\n").cluster
    assert cluster is not None
    assert cluster.addons == {}


def test_api_cidrs_are_normalized() -> None:
    cluster = parse_fabric(BASE + CLUSTER_HEAD + "  api_cidrs: [203.0.113.0/24]\n").cluster
    assert cluster is not None
    assert cluster.api_cidrs == ["203.0.113.0/24"]


@pytest.mark.parametrize(
    ("low", "high", "desired"),
    [(0, 3, 1), (2, 6, 2), (0, 1, 1), (5, 5, 5), (1, 10, 1), (0, 0 + 1, 1)],
)
def test_nodegroup_desired_defaults_to_min_at_least_one(low: int, high: int, desired: int) -> None:
    group = NodeGroup(name="general", instance_types=["m6i.large"], min=low, max=high)
    assert group.desired == desired
    assert group.spot is False
    assert group.disk_gb == 50
    assert group.labels == {}
    assert group.taints == []


def test_nodegroup_explicit_desired_is_kept() -> None:
    group = NodeGroup(name="web", instance_types=["m6i.large"], min=2, max=6, desired=6)
    assert group.desired == 6


def test_taint_value_defaults_to_empty() -> None:
    assert Taint(key="dedicated", effect="NoSchedule").value == ""


def test_database_defaults() -> None:
    database = Database(name="orders-db", engine_version="16", instance_class="db.t4g.medium")
    assert database.db_name == "orders_db"
    assert database.username == "weft_admin"
    assert database.storage_gb == 20
    assert database.multi_az is True
    assert database.backup_days == 7


def test_cache_and_bucket_defaults() -> None:
    cache = Cache(name="sessions", engine_version="7.1", node_type="cache.t4g.small")
    assert cache.replicas == 1
    assert Bucket(name="uploads").versioning is True


def test_empty_list_sections_read_as_empty() -> None:
    fabric = load_fabric(GOOD / "data_only.yaml")
    assert fabric.nodegroups == []
    assert fabric.fargate == []
    assert [d.name for d in fabric.databases] == ["orders-db"]
    assert fabric.databases[0].db_name == "orders_db"
    assert fabric.caches[0].replicas == 0
    assert fabric.dns == Dns(domain="data.example.co.uk")


def test_buckets_and_dns_need_no_private_subnets() -> None:
    fabric = load_fabric(GOOD / "public_buckets.yaml")
    assert fabric.network.layout == "public"
    assert fabric.buckets == [Bucket(name="assets", versioning=False)]


def test_production_example_uses_every_section() -> None:
    fabric = load_fabric(GOOD / "production.yaml")
    assert fabric.protect is True
    assert fabric.cluster is not None
    assert fabric.cluster.version is None  # left out: the plan gives the newest in support
    assert fabric.cluster.api_cidrs == ["203.0.113.0/24", "198.51.100.7/32"]
    assert fabric.cluster.addons["vpc-cni"].version == "v1.18.6-eksbuild.1"
    assert fabric.cluster.addons["aws-ebs-csi-driver"] == Addon()
    general, batch = fabric.nodegroups
    assert (general.min, general.max, general.desired, general.spot) == (2, 6, 3, False)
    assert general.labels == {"role": "web", "app.kubernetes.io/part-of": "shop"}
    assert (batch.min, batch.max, batch.desired, batch.spot) == (0, 10, 1, True)
    assert batch.taints == [
        Taint(key="dedicated", value="batch", effect="NoSchedule"),
        Taint(key="spot", value="", effect="PreferNoSchedule"),
    ]
    assert [s.namespace for s in fabric.fargate[0].selectors] == ["kube-system", "jobs"]
    main, reporting = fabric.databases
    assert (main.db_name, main.username, main.storage_gb) == ("main", "weft_admin", 200)
    assert (reporting.db_name, reporting.username) == ("reports", "reporter")
    assert reporting.engine_version == "17"
    assert fabric.caches == [
        Cache(name="sessions", engine_version="7.1", node_type="cache.r7g.large", replicas=2)
    ]
    assert [b.name for b in fabric.buckets] == ["uploads", "exports"]
    assert fabric.dns == Dns(domain="shop.example.com")


def test_models_of_sections_are_frozen() -> None:
    group = load_fabric(GOOD / "cluster_minimal.yaml").nodegroups[0]
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type is an implementation detail
        setattr(group, "max", 9)  # noqa: B010 - the point is to try


# --- errors -----------------------------------------------------------------------------------


def test_problems_of_several_sections_are_collected_together() -> None:
    text = (
        "name: demo\n"  # 1
        "region: us-east-2\n"
        "network:\n"
        "  cidr: 10.0.0.0/16\n"
        "  layout: public\n"  # 5
        "nodegroups:\n"
        "  - name: web\n"
        "    instance_types: [m6i-large]\n"
        "    min: 1\n"
        "    max: 2\n"  # 10
        "databases:\n"
        "  - name: main\n"
        "    engine_version: 16\n"
        "    instance_class: db.t4g.medium\n"
        "buckets:\n"  # 15
        "  - name: main\n"
    )
    problems = _problems(text)
    assert [int(p.split(":")[1]) for p in problems] == [6, 8, 12, 13, 16]
    assert "f.yaml:6: nodegroups: node groups need a cluster" in problems[0]
    assert "f.yaml:8: nodegroups[0].instance_types[0]: 'm6i-large'" in problems[1]
    assert "f.yaml:12: databases[0]: a database needs private subnets" in problems[2]
    assert "f.yaml:13: databases[0].engine_version: 16 is a number" in problems[3]
    assert problems[4] == (
        "f.yaml:16: buckets[0].name: 'main' clashes with the database of the same name (first "
        "as databases[0] on line 12); databases, caches and buckets share one namespace, so "
        "each name may be used once"
    )


def test_duplicate_names_are_found_even_when_the_first_entry_is_invalid() -> None:
    text = (
        BASE
        + CLUSTER
        + "fargate:\n"
        + "  - name: system\n"
        + "    selectors: []\n"
        + "  - name: system\n"
        + "    selectors: [{namespace: kube-system}]\n"
    )
    problems = _problems(text)
    assert any(
        "f.yaml:11: fargate[1].name: the name 'system' is already used" in p for p in problems
    )
    assert any("f.yaml:10: fargate[0].selectors: an empty list" in p for p in problems)


def test_min_above_max_is_the_only_scaling_problem_reported() -> None:
    text = (
        BASE
        + CLUSTER
        + "nodegroups:\n  - {name: web, instance_types: [t3.large], min: 7, max: 6}\n"
    )
    assert _problems(text) == [
        "f.yaml:9: nodegroups[0].min: min 7 is larger than max 6; the group scales between "
        "them, so min must be at most max"
    ]


def test_unknown_key_in_a_taint_gets_a_did_you_mean() -> None:
    text = (
        BASE
        + CLUSTER
        + "nodegroups:\n"
        + "  - name: web\n"
        + "    instance_types: [t3.large]\n"
        + "    min: 1\n"
        + "    max: 2\n"
        + "    taints:\n"
        + "      - {key: a, efect: NoSchedule}\n"
    )
    problems = _problems(text)
    assert any(
        "f.yaml:14: nodegroups[0].taints[0].efect: unknown key; did you mean 'effect'? Allowed "
        "keys here: key, value, effect" in p
        for p in problems
    )


def test_required_keys_of_entries_get_an_example() -> None:
    problems = _problems(BASE + "databases:\n  - name: main\n")
    assert "f.yaml:6: databases[0].engine_version: required key is missing; e.g. " in problems[0]
    assert any('e.g. engine_version: "16"' in p for p in problems)
    assert any("e.g. instance_class: db.t4g.medium" in p for p in problems)


@pytest.mark.parametrize(
    ("snippet", "fragment"),
    [
        ("cluster:\n  version: 1.3\n", 'e.g. version: "1.30"'),
        ("cluster:\n  version: 1.31\n", 'e.g. version: "1.31"'),
        ("cluster:\n  version: 1\n", 'e.g. version: "1.NN"'),
        ('cluster:\n  version: "1.3"\n', "(did you mean '1.30'?)"),
        ('cluster:\n  version: "v1.31"\n', "(did you mean '1.31'?)"),
        ('cluster:\n  version: "1.31.2"\n', "without a patch number"),
        ('cluster:\n  version: "latest"\n', 'expected major.minor like "1.NN"'),
        ("cluster:\n  api_cidrs: ['::/0']\n", "is an IPv6 network"),
        ("cluster:\n  api_cidrs: [1.2.3.4/32, 1.2.3.4/32]\n", "listed twice"),
        ("cluster:\n  endpoint: open\n", "expected one of: public, private"),
        ("cluster:\n  logs: [api, api]\n", "'api' is listed twice"),
        ("cluster:\n  addons: [vpc-cni]\n", "expected a mapping"),
        ("dns:\n  domain: example\n", "has a single label"),
        ("dns:\n  domain: https://example.com/\n", "(did you mean 'example.com'?)"),
        ("dns:\n  domain: -a.example.com\n", "does not start or end with a hyphen"),
        ("dns:\n  domain: a..example.com\n", "has an empty label"),
        (f"dns:\n  domain: {'a' * 64}.com\n", "has a label of 64 characters"),
        (f"dns:\n  domain: {'a.' * 127}com\n", "is 257 characters long"),
        ("buckets:\n  - name: a-very-long-bucket-name\n", "at most 20 are allowed"),
        ("buckets:\n  - {name: files, public: true}\n", "allowed keys here: name, versioning"),
        (
            "databases:\n  - {name: main, engine_version: '16', instance_class: db.t4g.medium,"
            " username: Root}\n",
            "'Root' is reserved",
        ),
        (
            "databases:\n  - {name: main, engine_version: '16.x', instance_class: db.t4g.medium}\n",
            "'16.x' is not a PostgreSQL version",
        ),
        (
            "databases:\n  - {name: main, engine_version: '16', instance_class: db.t4g.medium,"
            " restore_from: final--2}\n",
            "'final--2' is not a snapshot to restore from; expected final-snapshot",
        ),
        (
            "databases:\n  - {name: main, engine_version: '16', instance_class: db.t4g.medium,"
            " backup_days: 36}\n",
            "expected a number of days from 0 to 35",
        ),
        (
            "databases:\n  - {name: main, engine_version: '16', instance_class: db.t4g.medium,"
            " storage_gb: 10}\n",
            "expected a storage size in GB from 20 to 65536",
        ),
        (
            "databases:\n  - {name: main, engine_version: '16', instance_class: db.t4g.medium,"
            " db_name: template1}\n",
            "'template1' is reserved",
        ),
        (
            "caches:\n  - {name: c, engine_version: 7.1, node_type: cache.t4g.small}\n",
            'e.g. engine_version: "7.1"',
        ),
        (
            "caches:\n  - {name: c, engine_version: '7', node_type: cache.t4g.small}\n",
            "'7' is not a Redis version; expected major.minor",
        ),
        (
            "caches:\n  - {name: c, engine_version: '7.1', node_type: t4g.small}\n",
            "did you mean 'cache.t4g.small'?",
        ),
    ],
)
def test_section_errors(snippet: str, fragment: str) -> None:
    problems = _problems(BASE + snippet)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("nodegroup", "fragment"),
    [
        ("instance_types: [M6i.Large]", "(did you mean 'm6i.large'?)"),
        ("instance_types: [db.m6i.large]", "(did you mean 'm6i.large'?)"),
        ("instance_types: [m6i.large, m6i.large]", "'m6i.large' is listed twice"),
        (f"instance_types: [{', '.join(f't3.s{i}' for i in range(21))}]", "at most 20"),
        ("instance_types: [t3.large]\nmin: -1", "min is a number of nodes, 0 or more"),
        ("instance_types: [t3.large]\nmax: 0", "max is a number of nodes, 1 or more"),
        ("instance_types: [t3.large]\nmax: 2.5", "expected a whole number, got 2.5"),
        ("instance_types: [t3.large]\ndisk_gb: 20000", "from 20 to 16384"),
        ("instance_types: [t3.large]\nlabels: {tier: 1}", "expected text, got 1"),
        ("instance_types: [t3.large]\nlabels: {'-bad': x}", "is not a Kubernetes label key"),
        (
            "instance_types: [t3.large]\nlabels: {'Example.com/x': y}",
            "has an invalid prefix 'Example.com'",
        ),
        ("instance_types: [t3.large]\nlabels: {app: '" + "a" * 64 + "'}", "label value"),
        (
            "instance_types: [t3.large]\ntaints: [{key: a, effect: NoSchedule}, "
            "{key: a, value: b, effect: NoSchedule}]",
            "Kubernetes allows one per key and effect",
        ),
        (
            "instance_types: [t3.large]\ntaints: [{key: 'a b', effect: NoSchedule}]",
            "is not a Kubernetes taint key",
        ),
        (
            "instance_types: [t3.large]\ntaints: ["
            + ", ".join(f"{{key: k{i}, effect: NoSchedule}}" for i in range(51))
            + "]",
            "51 taints given; a node group allows at most 50",
        ),
    ],
)
def test_nodegroup_errors(nodegroup: str, fragment: str) -> None:
    keys = ["name: web", *(f"{key}: {value}" for key, value in (("min", 1), ("max", 2)))]
    keys = [k for k in keys if f"\n{k.split(':')[0]}:" not in f"\n{nodegroup}"]
    entry = "\n    ".join([*keys, *nodegroup.split("\n")])
    problems = _problems(BASE + CLUSTER + "nodegroups:\n  - " + entry + "\n")
    assert any(fragment in p for p in problems), problems


def test_too_many_api_cidrs_and_selectors() -> None:
    cidrs = ", ".join(f"10.0.{i}.0/24" for i in range(41))
    assert any(
        "41 CIDRs given; EKS allows at most 40" in p
        for p in _problems(BASE + CLUSTER_HEAD + f"  api_cidrs: [{cidrs}]\n")
    )
    selectors = ", ".join(f"{{namespace: ns{i}}}" for i in range(6))
    text = BASE + CLUSTER + f"fargate:\n  - name: apps\n    selectors: [{selectors}]\n"
    assert any("a Fargate profile allows at most 5" in p for p in _problems(text))


def test_models_validate_when_built_in_code() -> None:
    with pytest.raises(ValueError, match="min 3 is larger than max 2"):
        NodeGroup(name="web", instance_types=["t3.large"], min=3, max=2)
    with pytest.raises(ValueError, match="clashes with the database"):
        Fabric(
            name="demo",
            region="us-east-2",
            network={"cidr": "10.0.0.0/16"},  # type: ignore[arg-type]
            databases=[Database(name="x", engine_version="16", instance_class="db.t4g.micro")],
            buckets=[Bucket(name="x")],
        )


# --- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "final-snapshot",
        "weft-shop-main-final-20261207010203",
        "arn:aws:rds:us-east-2:123456789012:snapshot:s1",
    ],
)
def test_a_database_may_be_restored_from_a_snapshot(value: str) -> None:
    db = Database(
        name="main", engine_version="16", instance_class="db.t4g.medium", restore_from=value
    )
    assert db.restore_from == value


def test_the_version_is_checked_for_its_shape_only_and_may_be_left_out() -> None:
    # Which versions EKS offers is its calendar's to say, read by weft plan: the file holds
    # any "1.NN", and no version at all (the plan then picks one).
    for version in ("1.10", "1.99"):
        assert Cluster(version=version, api_cidrs=["198.51.100.0/24"]).version == version
    fabric = parse_fabric(BASE + "cluster:\n  api_cidrs: [198.51.100.0/24]\n", "f.yaml")
    assert fabric.cluster is not None and fabric.cluster.version is None


@pytest.mark.parametrize(("version", "minor"), [("1.28", 28), ("1.30", 30), ("1.9", 9)])
def test_k8s_minor(version: str, minor: int) -> None:
    assert k8s_minor(version) == minor


@pytest.mark.parametrize("version", ["1.31.2", "2.1", "131", "", "v1.31", "1."])
def test_k8s_minor_refuses_anything_else(version: str) -> None:
    with pytest.raises(ValueError, match="is not a Kubernetes version"):
        k8s_minor(version)


@pytest.mark.parametrize(
    ("current", "wanted"), [("1.30", "1.30"), ("1.29", "1.30"), ("1.9", "1.10")]
)
def test_version_step_that_is_fine(current: str, wanted: str) -> None:
    assert check_version_step(current, wanted) is None


def test_version_step_downgrade() -> None:
    message = check_version_step("1.31", "1.30")
    assert message is not None
    assert "downgrades are not possible" in message
    assert '"1.31"' in message


def test_version_step_skipping_a_minor() -> None:
    message = check_version_step("1.29", "1.31")
    assert message == (
        "the cluster runs Kubernetes 1.29 and cannot move to 1.31 in one step; EKS upgrades one "
        "minor version at a time: 1.29 → 1.30 first"
    )
    assert "1.28 → 1.29 first" in (check_version_step("1.28", "1.33") or "")


def test_version_step_with_a_malformed_version() -> None:
    with pytest.raises(ValueError):
        check_version_step("1.30", "latest")


def test_log_retention_is_one_of_the_periods_cloudwatch_logs_offers() -> None:
    cluster = parse_fabric(BASE + CLUSTER).cluster
    assert cluster is not None and cluster.log_retention_days == 30
    kept = parse_fabric(BASE + CLUSTER + "  log_retention_days: 90\n").cluster
    assert kept is not None and kept.log_retention_days == 90
    assert any(
        "cluster.log_retention_days: 31 days is not a retention CloudWatch Logs offers" in p
        for p in _problems(BASE + CLUSTER + "  log_retention_days: 31\n")
    )


def test_redis_6_0_is_written_6_x_as_elasticache_names_it() -> None:
    text = BASE + "caches:\n  - {name: s, engine_version: '%s', node_type: cache.t4g.small}\n"
    fabric = parse_fabric(text % "6.x")
    assert fabric.caches[0].engine_version == "6.x"
    assert any(
        'ElastiCache has no Redis version "6.0"' in p and 'engine_version: "6.x"' in p
        for p in _problems(text % "6.0")
    )


def test_a_fargate_only_fabric_must_give_coredns_a_profile() -> None:
    """Without node groups coredns runs on Fargate: a profile must select kube-system (with no
    labels, or labels coredns's pods carry), else the fabric is refused at validate."""
    fargate_only = (
        BASE.replace("network:", "network:\n  layout: private", 1)
        + CLUSTER_HEAD
        + "  endpoint: private\nfargate:\n  - name: apps\n    selectors:\n"
        + "      - {namespace: default}\n"
    )
    problems = _problems(fargate_only + "      - {namespace: kube-system, labels: {app: x}}\n")
    assert any("no Fargate profile selects its pods" in p for p in problems), problems
    assert parse_fabric(fargate_only + "      - {namespace: kube-system}\n").fargate
    labelled = "      - {namespace: kube-system, labels: {k8s-app: kube-dns}}\n"
    assert parse_fabric(fargate_only + labelled).fargate
    # or coredns left out of the add-ons
    no_coredns = fargate_only.replace(
        "  endpoint: private\n", "  endpoint: private\n  addons: {vpc-cni: {}}\n"
    )
    assert parse_fabric(no_coredns).fargate
