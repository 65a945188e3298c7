"""What the apps section says of an object the dry run would change (pure: dicts in, lines out)."""

from __future__ import annotations

import base64
import copy
from typing import Any

from weft.ops.apps.preview import differences, facts


def _deployment(version: str, replicas: int, mode: str, secret_hash: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "web", "app.kubernetes.io/version": version}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "resourceVersion": "17",
            "labels": labels,
            "annotations": {
                "weft.dev/version": version,
                "kubernetes.io/change-cause": f"weft: web {version}",
                "deployment.kubernetes.io/revision": "3",
            },
            "managedFields": [{"manager": "weft"}],
        },
        "spec": {
            "replicas": replicas,
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "weft.dev/version": version,
                        "weft.dev/secret-hash": secret_hash,
                    },
                },
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": f"registry.example.com/web:{version}",
                            "env": [
                                {"name": "A", "value": "1"},
                                {"name": "MODE", "value": mode},
                            ],
                        }
                    ]
                },
            },
        },
        "status": {"replicas": replicas},
    }


def test_a_new_version_is_one_line_and_named_lists_match_by_name() -> None:
    live = _deployment("1.0.0", 1, "blue", "aaaa")
    after = _deployment("1.1.0", 2, "green", "bbbb")
    after["metadata"]["resourceVersion"] = "18"  # server bookkeeping: never a change
    after["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "4"
    lines = differences(live, after)
    assert lines[0] == "version: 1.0.0 -> 1.1.0"
    assert (
        "container web.image: registry.example.com/web:1.0.0 -> registry.example.com/web:1.1.0"
        in lines
    )
    assert "container web.env.MODE.value: blue -> green" in lines
    assert "spec.replicas: 1 -> 2" in lines
    assert "secret values changed: the pods restart" in lines
    assert not any("aaaa" in line or "bbbb" in line for line in lines)
    assert not any("app.kubernetes.io/version" in line or "change-cause" in line for line in lines)
    assert not any("resourceVersion" in line or "revision" in line for line in lines)
    assert len(lines) == 5, lines


def test_an_unchanged_object_has_no_lines_whatever_the_server_keeps() -> None:
    live = _deployment("1.0.0", 1, "blue", "aaaa")
    after = copy.deepcopy(live)
    after["status"] = {"replicas": 0}
    after["metadata"]["managedFields"] = []
    assert differences(live, after) == []


def test_a_secret_is_shown_by_key_never_by_value() -> None:
    def secret(data: dict[str, str]) -> dict[str, Any]:
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "web-env"},
            "data": encoded,
        }

    live = secret({"API_KEY": "one-s3cr3t", "OLD": "gone-s3cr3t"})
    after = secret({"API_KEY": "two-s3cr3t", "NEW": "new-s3cr3t"})
    lines = differences(live, after)
    assert sorted(lines) == [
        "key API_KEY: value changed (hidden)",
        "key NEW: added",
        "key OLD: removed",
    ]
    shown = "\n".join(lines + facts({**after, "stringData": {"X": "plain-s3cr3t"}}))
    assert "s3cr3t" not in shown


def test_a_new_app_is_shown_with_its_key_attributes() -> None:
    lines = facts(_deployment("1.0.0", 3, "blue", "aaaa"))
    assert lines == [
        "version 1.0.0",
        "image registry.example.com/web:1.0.0",
        "replicas 3",
        "env A, MODE",
    ]
