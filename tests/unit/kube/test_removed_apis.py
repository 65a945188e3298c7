"""The table of APIs each Kubernetes version removes (the deprecated API migration guide)."""

from __future__ import annotations

from weft.kube.manifests import NEGOTIATED
from weft.kube.manifests.removed_apis import REMOVED, removal


def _shifted(version: str, by: int) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) + by}"


def test_every_older_api_weft_can_render_is_in_the_table_with_the_newest_as_replacement() -> None:
    for kind, (_field, versions) in NEGOTIATED.items():
        newest, *older = versions
        for found in REMOVED.values():
            assert (found.api_version, found.kind) != (newest, kind)
        for api_version in older:
            assert REMOVED[(api_version, kind)].replacement == newest, (kind, api_version)


def test_an_api_counts_as_removed_from_its_version_on() -> None:
    for (api_version, kind), found in REMOVED.items():
        assert removal(api_version, kind, _shifted(found.removed_in, -1)) is None
        assert removal(api_version, kind, found.removed_in) == found
        assert removal(api_version, kind, _shifted(found.removed_in, 10)) == found
    psp = REMOVED[("policy/v1beta1", "PodSecurityPolicy")]
    assert psp.replacement is None  # no replacement API: Pod Security Admission instead
    assert removal("apps/v1", "Deployment", _shifted(psp.removed_in, 50)) is None
