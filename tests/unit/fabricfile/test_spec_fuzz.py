"""Whatever is thrown at parse_fabric, the answer is a Fabric or a ConfigError, never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weft.errors import ConfigError
from weft.fabricfile import Fabric, parse_fabric

pytestmark = pytest.mark.slow

KEYS = [
    "name", "region", "account_id", "provider", "protect", "tags", "network", "version",
    "cidr", "zones", "nat", "layout", "subnet_size", "source", "netwrok", "Name", "aws:x",
    "cluster", "nodegroups", "fargate", "databases", "caches", "buckets", "dns",
    "endpoint", "api_cidrs", "logs", "encrypt_secrets", "addons", "vpc-cni", "instance_types",
    "min", "max", "desired", "spot", "disk_gb", "labels", "taints", "key", "value", "effect",
    "selectors", "namespace", "engine_version", "instance_class", "storage_gb", "multi_az",
    "backup_days", "db_name", "username", "node_type", "replicas", "versioning", "domain",
    "environment", "apps", "cronjobs", "image", "tag_format", "port", "command", "args", "env",
    "secrets", "uses", "resources", "cpu", "memory", "cpu_limit", "memory_limit", "health",
    "path", "initial_delay", "ingress", "host", "tls", "load_balancer", "autoscale",
    "disruption", "min_available", "max_unavailable", "rollout", "max_surge", "schedule",
    "concurrency",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "demo",
            "us-east-2",
            "us-west-1",
            "10.0.0.0/16",
            "10.0.1.0/24",
            "per-zone",
            "public",
            "us-east-2a",
            "us-east-2z",
            "123456789012",
            "none",
            "single",
            "private",
            "local",
            "1.31",
            "1.3",
            "m6i.large",
            "db.t4g.medium",
            "cache.t4g.small",
            "example.com",
            "NoSchedule",
            "16.3",
            "7.1",
            "postgres",
            "v1.18.3-eksbuild.1",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=6
        ),
    ),
    max_leaves=25,
)
small_ints = st.integers(min_value=-3, max_value=70000)
names = st.sampled_from(["main", "web", "sessions", "Bad_Name", "postgres", "a" * 31, ""])
nodegroup = st.fixed_dictionaries(
    {"name": names},
    optional={
        "instance_types": st.lists(st.sampled_from(["m6i.large", "t3-medium", "db.t3.micro"])),
        "min": small_ints,
        "max": small_ints,
        "desired": small_ints,
        "spot": st.booleans(),
        "disk_gb": small_ints,
        "labels": st.dictionaries(st.sampled_from(["role", "a/b", "-x", "x.io/y"]), scalars),
        "taints": st.lists(
            st.fixed_dictionaries(
                {"key": scalars},
                optional={"value": scalars, "effect": st.sampled_from(["NoSchedule", "Nope"])},
            ),
            max_size=3,
        ),
    },
)
fargate_profile = st.fixed_dictionaries(
    {"name": names},
    optional={
        "selectors": st.lists(
            st.fixed_dictionaries(
                {"namespace": st.sampled_from(["default", "Kube", "kube-system"])},
                optional={"labels": st.dictionaries(st.text(max_size=4), scalars, max_size=2)},
            ),
            max_size=6,
        )
    },
)
database = st.fixed_dictionaries(
    {"name": names},
    optional={
        "engine_version": st.one_of(scalars, st.sampled_from(["16", "12.1", "17.2"])),
        "instance_class": st.sampled_from(["db.t4g.medium", "t3.micro", "cache.t3.micro"]),
        "storage_gb": small_ints,
        "multi_az": scalars,
        "backup_days": small_ints,
        "db_name": st.sampled_from(["app", "template0", "1x"]),
        "username": st.sampled_from(["weft_admin", "root", "a" * 17]),
    },
)
cache = st.fixed_dictionaries(
    {"name": names},
    optional={
        "engine_version": st.one_of(scalars, st.sampled_from(["7.1", "5.0", "7"])),
        "node_type": st.sampled_from(["cache.t4g.small", "t4g.small"]),
        "replicas": small_ints,
    },
)
workload_keys = {
    "image": st.sampled_from(["ghcr.io/acme/web", "web:1.0.0", "Acme/web", "", "a@b"]),
    "version": st.one_of(scalars, st.sampled_from(["1.0.0", "v1.0.0", "1.0", "1.0.0+b"])),
    "tag_format": st.sampled_from(["{version}", "v{version}", "x", "{v}", ".{version}"]),
    "command": st.one_of(values, st.lists(st.text(max_size=5), max_size=2)),
    "env": st.one_of(values, st.dictionaries(st.sampled_from(["A", "1x", "MAIN_HOST"]), scalars)),
    "secrets": st.lists(st.sampled_from(["a/b", "a-b", "Bad", "1x", "main/host"]), max_size=3),
    "uses": st.lists(st.sampled_from(["main", "sessions", "mian", "web"]), max_size=3),
    "resources": st.one_of(
        values,
        st.fixed_dictionaries(
            {},
            optional={
                key: st.one_of(scalars, st.sampled_from(["500m", "1Gi", "512", "1e3", "2Ki"]))
                for key in ("cpu", "memory", "cpu_limit", "memory_limit")
            },
        ),
    ),
}
app = st.fixed_dictionaries(
    {"name": names},
    optional={
        **workload_keys,
        "replicas": small_ints,
        "port": small_ints,
        "health": st.one_of(
            values, st.fixed_dictionaries({"path": scalars}, optional={"port": small_ints})
        ),
        "ingress": st.one_of(
            values,
            st.fixed_dictionaries(
                {"host": st.sampled_from(["a.com", "www.a.com", "x.y.a.com", "b.org", "A"])},
                optional={"path": st.sampled_from(["/", "/api", "api", "//"]), "tls": scalars},
            ),
        ),
        "load_balancer": scalars,
        "autoscale": st.one_of(
            values,
            st.fixed_dictionaries(
                {"min": small_ints, "max": small_ints}, optional={"cpu": small_ints}
            ),
        ),
        "disruption": st.one_of(
            values,
            st.fixed_dictionaries(
                {}, optional={"min_available": scalars, "max_unavailable": scalars}
            ),
        ),
        "rollout": st.one_of(
            values,
            st.fixed_dictionaries(
                {},
                optional={
                    "max_surge": st.sampled_from([0, 1, "0%", "25%", "x"]),
                    "max_unavailable": st.sampled_from([0, 1, "0%", "101%"]),
                    "progress_deadline": small_ints,
                },
            ),
        ),
    },
)
cronjob = st.fixed_dictionaries(
    {"name": names},
    optional={
        **workload_keys,
        "schedule": st.one_of(
            scalars, st.sampled_from(["@daily", "0 3 * * *", "0 0 30 2 *", "* * *", "@every"])
        ),
        "concurrency": st.sampled_from(["Allow", "forbid", "Never"]),
    },
)
sections = st.fixed_dictionaries(
    {
        "name": st.just("demo"),
        "region": st.just("us-east-2"),
        "network": st.fixed_dictionaries(
            {"cidr": st.just("10.0.0.0/16")},
            optional={
                "zones": st.integers(min_value=0, max_value=4),
                "layout": st.sampled_from(["public", "private"]),
            },
        ),
    },
    optional={
        "cluster": st.one_of(
            st.none(),
            values,
            st.fixed_dictionaries(
                {"version": st.one_of(scalars, st.sampled_from(["1.31", "1.27", "1.3"]))},
                optional={
                    "endpoint": st.sampled_from(["public", "private", "both", "none"]),
                    "api_cidrs": st.lists(
                        st.sampled_from(["0.0.0.0/0", "10.0.0.1/8", "x", "::/0"]), max_size=3
                    ),
                    "logs": st.one_of(values, st.lists(st.sampled_from(["api", "audits"]))),
                    "encrypt_secrets": scalars,
                    "addons": st.one_of(
                        values,
                        st.dictionaries(
                            st.sampled_from(["vpc-cni", "coredns", "vpc_cni"]),
                            st.one_of(st.none(), st.fixed_dictionaries({"version": scalars})),
                        ),
                    ),
                },
            ),
        ),
        "nodegroups": st.one_of(values, st.lists(nodegroup, max_size=3)),
        "fargate": st.one_of(values, st.lists(fargate_profile, max_size=2)),
        "databases": st.one_of(values, st.lists(database, max_size=2)),
        "caches": st.one_of(values, st.lists(cache, max_size=2)),
        "buckets": st.one_of(values, st.lists(st.fixed_dictionaries({"name": names}), max_size=3)),
        "dns": st.one_of(
            values, st.fixed_dictionaries({"domain": st.sampled_from(["a.com", "A.com.", "x"])})
        ),
        "environment": st.one_of(scalars, st.sampled_from(["prod", "a b", ""])),
        "apps": st.one_of(values, st.lists(app, max_size=3)),
        "cronjobs": st.one_of(values, st.lists(cronjob, max_size=2)),
    },
)
documents = st.one_of(
    sections,
    values,
    st.fixed_dictionaries(
        {"name": scalars, "region": scalars, "network": values},
        optional={key: values for key in KEYS if key not in ("name", "region", "network")},
    ),
    st.fixed_dictionaries(
        {
            "name": st.just("demo"),
            "region": st.sampled_from(["us-east-2", "us-west-1", "eu-west-1"]),
            "network": st.fixed_dictionaries(
                {"cidr": st.sampled_from(["10.0.0.0/16", "10.0.0.0/24", "10.0.0.5/20"])},
                optional={
                    "zones": st.one_of(
                        st.integers(min_value=-2, max_value=8),
                        st.lists(st.sampled_from(["us-east-2a", "us-east-2b", "us-west-1c", 3])),
                    ),
                    "nat": st.sampled_from(["none", "single", "per-zone", "per_zone"]),
                    "layout": st.sampled_from(["public", "private", "hybrid"]),
                    "subnet_size": st.integers(min_value=10, max_value=32),
                },
            ),
        },
        optional={"tags": st.dictionaries(st.text(max_size=6), scalars, max_size=3)},
    ),
)


def _check(text: str) -> None:
    try:
        result = parse_fabric(text, "fuzz.yaml")
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.startswith("fuzz.yaml"), problem
            assert "\n" not in problem
            assert "type=" not in problem and "pydantic" not in problem
    else:
        assert isinstance(result, Fabric)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_structured_documents(document: object) -> None:
    _check(json.dumps(document))


@settings(deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4),
            st.sampled_from([*KEYS, "- x", "? ", "&a", "*a", "!!binary", "{", "[", "'", '"']),
            st.sampled_from(["", " ", ":", ": ", ": 3", ": [a, b]", ": {", ": &a x", ": *a"]),
        ),
        max_size=12,
    )
)
def test_yaml_like_lines(lines: list[tuple[int, str, str]]) -> None:
    _check("\n".join("  " * indent + key + tail for indent, key, tail in lines))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sections)
def test_documents_with_every_section(document: object) -> None:
    _check(json.dumps(document))
