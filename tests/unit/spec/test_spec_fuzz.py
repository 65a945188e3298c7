"""Whatever is thrown at parse_fabric, the answer is a Fabric or a ConfigError, never a crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weft.errors import ConfigError
from weft.spec import Fabric, parse_fabric

KEYS = [
    "name", "region", "account_id", "provider", "protect", "tags", "network", "version",
    "cidr", "zones", "nat", "layout", "subnet_size", "source", "netwrok", "Name", "aws:x",
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
documents = st.one_of(
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


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_structured_documents(document: object) -> None:
    _check(json.dumps(document))


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@settings(max_examples=300)
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
