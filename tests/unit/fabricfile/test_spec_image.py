"""Image references, semantic versions and the tags made of them."""

from __future__ import annotations

import pytest

from weft.fabricfile.image import (
    image_problem,
    image_tag,
    tag_format_problem,
    tag_problem,
    version_label,
    version_problem,
)


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "library/nginx",
        "ghcr.io/acme/web",
        "registry.example.com:5000/acme/web",
        "localhost/web",
        "localhost:5000/a/b/c",
        "123456789012.dkr.ecr.us-east-2.amazonaws.com/team/web",
        "[::1]:5000/web",
        "acme/my_app",
        "acme/my__app",
        "acme/my---app",
        "acme/app.v2",
        "a" * 200,
    ],
)
def test_valid_images(image: str) -> None:
    assert image_problem(image) is None


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ("", "an empty name is not an image"),
        ("ghcr.io/acme/web:1.2.3", "give it apart as the version: image: ghcr.io/acme/web"),
        ("localhost:5000/web:2.0.0", 'image: localhost:5000/web, version: "2.0.0"'),
        ("web:V1.0.0", 'tag_format: "V{version}"'),
        ("web@sha256:abc", "has a digest; weft pins images by version: give the name alone"),
        ("web:1.0.0@sha256:abc", "(image: web)"),
        ("https://ghcr.io/acme/web/", "(did you mean 'ghcr.io/acme/web'?)"),
        ("Acme/web", "read as an image on the registry host 'Acme'"),
        ("Acme/web", "(did you mean 'acme/web'?)"),
        ("acme/Web", "(did you mean 'acme/web'?)"),
        ("acme/_web", "the path part '_web'"),
        ("acme/web.", "the path part 'web.'"),
        ("acme/web/", "an empty path component"),
        ("a" * 256, "at most 255"),
        ("ex ample.com/web", "invalid registry host"),
    ],
)
def test_invalid_images(image: str, fragment: str) -> None:
    message = image_problem(image)
    assert message is not None and fragment in message, message


@pytest.mark.parametrize(
    "version",
    ["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
     "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0-rc-1"],
)  # fmt: skip
def test_valid_versions(version: str) -> None:
    assert version_problem(version) is None


@pytest.mark.parametrize(
    ("version", "fragment"),
    [
        (1, 'write it in quotes, e.g. version: "1.0.0"'),
        (1.2, 'e.g. version: "1.2.0"'),
        (2.0, 'e.g. version: "2.0.0"'),
        (True, "expected a version in quotes"),
        (None, "expected a version in quotes"),
        ("1.2", "(did you mean '1.2.0'?)"),
        ("1", "(did you mean '1.0.0'?)"),
        ("v1.2.3", "(did you mean version: '1.2.3' with tag_format: 'v{version}'?)"),
        (" 1.2.3", "(did you mean '1.2.3'?)"),
        ("01.2.3", "is not a semantic version"),
        ("1.2.3-", "is not a semantic version"),
        ("1.2.3-01", "is not a semantic version"),
        ("1.2.3+", "is not a semantic version"),
        ("1.2.3-rc-", "cannot be a Kubernetes label value"),
        ("1.0.0-" + "a" * 60, "a version has at most 63"),
    ],
)
def test_invalid_versions(version: object, fragment: str) -> None:
    message = version_problem(version)
    assert message is not None and fragment in message, message


def test_tags() -> None:
    assert image_tag("1.2.3", "{version}") == "1.2.3"
    assert image_tag("1.2.3", "v{version}") == "v1.2.3"
    assert image_tag("1.2.3", "{version}-alpine") == "1.2.3-alpine"
    assert image_tag("1.2.3+build.7", "{version}") == "1.2.3_build.7"
    assert version_label("1.2.3+b") == "1.2.3_b"
    assert tag_problem("1.2.3") is None
    assert "not a valid image tag" in (tag_problem(".x") or "")
    assert "at most 128" in (tag_problem("a" * 129) or "")


@pytest.mark.parametrize(
    ("tag_format", "fragment"),
    [
        ("{version}", None),
        ("v{version}", None),
        ("{version}-{version}", None),
        ("release_{version}", None),
        ("latest", "has no {version}"),
        ("{ version }", "has no {version}"),
        ("{version}{arch}", "braces other than {version}"),
        (".{version}", "does not make valid tags"),
        ("v{version}:x", "does not make valid tags"),
    ],
)
def test_tag_formats(tag_format: str, fragment: str | None) -> None:
    message = tag_format_problem(tag_format)
    if fragment is None:
        assert message is None
    else:
        assert message is not None and fragment in message, message
