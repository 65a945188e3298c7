"""How `make kube` gets the local Kubernetes: the ways it tries, in order, and what each refuses.

The download way runs against a loopback HTTP server that plays the Kubernetes release site
(binaries and their published ``.sha256``); the binaries are small scripts that answer
``--version`` as the real ones do.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from weft.local.kube import apt, binaries, debian_source, release_download, setup, source_build


def fake_binary(name: str, version: str) -> bytes:
    return f"#!/bin/sh\necho 'Kubernetes v{version}'\n# {name}\n".encode()


class ReleaseSite(http.server.ThreadingHTTPServer):
    """``/v<version>/bin/linux/<arch>/<name>`` and ``<name>.sha256``, from ``files``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                body = site.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/release"

    def publish(self, version: str, *, corrupt: str | None = None) -> None:
        arch = release_download.arch()
        for name in binaries.BINARIES:
            body = fake_binary(name, version)
            path = f"/release/v{version}/bin/linux/{arch}/{name}"
            self.files[path] = body + (b"tampered\n" if name == corrupt else b"")
            self.files[f"{path}.sha256"] = hashlib.sha256(body).hexdigest().encode()


@pytest.fixture
def site() -> Iterator[ReleaseSite]:
    server = ReleaseSite()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache; no source, no version asked for; etcd present; not root."""
    root = tmp_path / "cache"
    monkeypatch.setenv("WEFT_K8S_CACHE", str(root))
    monkeypatch.delenv(source_build.SOURCE_ENV, raising=False)
    monkeypatch.delenv(binaries.VERSION_ENV, raising=False)
    monkeypatch.setattr(setup, "etcd_binary", lambda: "/usr/bin/etcd")
    monkeypatch.setattr(binaries, "etcd_binary", lambda: "/usr/bin/etcd")
    monkeypatch.setattr(debian_source.os, "geteuid", lambda: 1000)
    return root


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_official_binaries_are_downloaded_verified_and_recorded(
    cache: Path, site: ReleaseSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(release_download.RELEASE_URL_ENV, site.url)
    site.publish(release_download.DEFAULT_VERSION)
    assert setup.main([]) == 0
    version = release_download.DEFAULT_VERSION
    assert binaries.cached_versions() == [version]
    assert binaries.selected_version() == version
    for name in binaries.BINARIES:
        assert (cache / version / name).read_bytes() == fake_binary(name, version)
    recorded = json.loads((cache / version / binaries.ORIGIN_FILE).read_text())
    assert recorded["kind"] == "download"
    assert site.url in recorded["detail"] and "SHA-256 verified" in recorded["detail"]
    assert binaries.origin(version).describe().startswith("official release binaries")
    # Cached: a second run asks the site nothing.
    asked = len(site.requests)
    assert setup.main([]) == 0
    assert len(site.requests) == asked


def test_a_binary_that_differs_from_its_published_digest_is_refused(
    cache: Path,
    site: ReleaseSite,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(release_download.RELEASE_URL_ENV, site.url)
    site.publish(release_download.DEFAULT_VERSION, corrupt="kube-controller-manager")
    assert setup.main(["--if-possible"]) == 1  # refused: never falls back past a bad digest
    err = capsys.readouterr().err
    assert "differs from the published" in err and "kube-controller-manager" in err
    assert binaries.cached_versions() == []
    assert not (cache / release_download.DEFAULT_VERSION).exists() or not any(
        (cache / release_download.DEFAULT_VERSION).iterdir()
    )


def test_a_chosen_version_is_downloaded(
    cache: Path, site: ReleaseSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(release_download.RELEASE_URL_ENV, site.url)
    monkeypatch.setenv(binaries.VERSION_ENV, "1.35.4")
    site.publish("1.35.4")
    assert setup.main([]) == 0
    assert binaries.cached_versions() == ["1.35.4"]


def test_when_nothing_can_run_here_each_way_says_why_and_the_tests_skip_with_it(
    cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(release_download.RELEASE_URL_ENV, f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(apt.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert setup.main([]) == setup.EXIT_UNAVAILABLE
    assert setup.main(["--if-possible"]) == 0
    captured = capsys.readouterr()
    assert "skipped (build from $WEFT_K8S_SOURCE): $WEFT_K8S_SOURCE is not set" in captured.out
    assert "skipped (official release binaries): cannot reach" in captured.out
    assert "building needs root" in captured.err
    reason = binaries.unavailable_reason()
    assert reason and "building needs root" in reason and "cannot reach" in reason
    assert str(cache) in reason


def test_cached_binaries_make_the_build_a_no_op(
    cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = cache / binaries.DEBIAN_VERSION
    target.mkdir(parents=True)
    for name in binaries.BINARIES:
        (target / name).write_bytes(fake_binary(name, binaries.DEBIAN_VERSION))
        (target / name).chmod(0o755)
    monkeypatch.setenv(release_download.RELEASE_URL_ENV, f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(debian_source, "preflight", lambda: pytest.fail("must not build"))
    assert setup.main([]) == 0
    out = capsys.readouterr().out
    assert "nothing to do" in out and "Debian's source package" in out
    assert binaries.selected_version() == binaries.DEBIAN_VERSION


def test_the_newest_cached_version_runs_unless_one_is_asked_for(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("1.20.2", "1.36.2", "1.9.0"):
        (cache / version).mkdir(parents=True)
        for name in binaries.BINARIES:
            (cache / version / name).write_bytes(fake_binary(name, version))
            (cache / version / name).chmod(0o755)
    (cache / "toolchains").mkdir()
    assert binaries.cached_versions() == ["1.9.0", "1.20.2", "1.36.2"]
    assert binaries.selected_version() == "1.36.2"
    monkeypatch.setenv(binaries.VERSION_ENV, "1.20.2")
    assert binaries.selected_version() == "1.20.2"
    assert binaries.unavailable_reason() is None
    monkeypatch.setenv(binaries.VERSION_ENV, "1.31.0")
    assert binaries.selected_version() is None
    reason = binaries.unavailable_reason()
    assert reason and "1.31.0" in reason and "1.9.0, 1.20.2, 1.36.2" in reason


def test_a_source_tarball_names_its_version_and_its_go_release(tmp_path: Path) -> None:
    tree = tmp_path / "kubernetes-1.36.2"
    tree.mkdir()
    (tree / "go.mod").write_text("module k8s.io/kubernetes\n\ngo 1.26.0\n\ngodebug x=1\n")
    tarball = tmp_path / "kubernetes-1.36.2-server-src-min.tar.xz"
    with tarfile.open(tarball, "w:xz") as archive:
        archive.add(tree, arcname="kubernetes-1.36.2")
    source = source_build.find_source(str(tarball))
    assert source.version == "1.36.2" and source.is_tarball
    assert "sha256 " in source.describe()
    assert source_build.find_source(str(tree)).version == "1.36.2"
    assert source_build.go_release((tree / "go.mod").read_text()) == "1.26"
    flags = source_build.ldflags("1.36.2")
    assert "-X k8s.io/component-base/version.gitVersion=v1.36.2" in flags
    assert "-X k8s.io/client-go/pkg/version.gitMinor=36" in flags
    with pytest.raises(setup.Unavailable, match="does not exist"):
        source_build.find_source(str(tmp_path / "missing.tar.xz"))
    odd = tmp_path / "odd.tar.gz"
    with tarfile.open(odd, "w:gz") as archive:
        archive.add(tree / "go.mod", arcname="go.mod")
    with pytest.raises(setup.Unavailable, match=r"kubernetes-X\.Y\.Z"):
        source_build.find_source(str(odd))


def test_deb_src_entries_mirror_the_release_sources_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    (sources / "debian.sources").write_text(
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://other.example/debian\nSuites: trixie\nComponents: main\n"
    )
    (sources / "node.sources").write_text(
        "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n"
        "Components: main\n"
    )
    monkeypatch.setattr(apt, "SOURCES_DIR", sources)
    deb822, _oneline = apt.deb_src_entries("bookworm")
    assert deb822 == (
        "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    )
    monkeypatch.setattr(apt, "codename", lambda: "bookworm")
    assert apt.debian_mirror() == "http://deb.debian.org/debian"


def test_a_source_tarball_is_built_with_the_cached_go_and_recorded(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "src" / "kubernetes-1.36.2"
    for sub in ("vendor", "cmd/kube-apiserver", "cmd/kube-controller-manager"):
        (tree / sub).mkdir(parents=True)
    (tree / "go.mod").write_text("module k8s.io/kubernetes\n\ngo 1.26.0\n")
    tarball = tmp_path / "kubernetes-1.36.2-server-src-min.tar.xz"
    with tarfile.open(tarball, "w:xz") as archive:
        archive.add(tree, arcname="kubernetes-1.36.2")
    # A Go toolchain already in the cache: a `go` that writes each command's binary, answering
    # --version with the version its -ldflags stamp, and records what it was run with.
    goroot = cache / "toolchains" / "go-1.26" / "usr" / "lib" / "go-1.26"
    (goroot / "bin").mkdir(parents=True)
    (goroot / "bin" / "go").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then echo "go version go1.26.11 linux/amd64"; exit 0; fi\n'
        'env > "$GOCACHE.env"; echo "$@" > "$GOCACHE.args"\n'
        'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done\n'
        "for name in kube-apiserver kube-controller-manager; do\n"
        '  printf "#!/bin/sh\\necho Kubernetes v1.36.2\\n" > "$out$name"; chmod +x "$out$name"\n'
        "done\n"
    )
    (goroot / "bin" / "go").chmod(0o755)
    monkeypatch.setenv(source_build.SOURCE_ENV, str(tarball))
    monkeypatch.setattr(
        release_download, "download", lambda *a: pytest.fail("the source comes first")
    )
    assert setup.main(["--keep-tree"]) == 0
    assert binaries.cached_versions() == ["1.36.2"]
    recorded = binaries.origin("1.36.2")
    assert recorded.kind == "source"
    assert tarball.name in recorded.detail and "Go 1.26.11" in recorded.detail
    (build,) = cache.glob("build-*")
    args = (build / "gocache.args").read_text()
    assert "-trimpath" in args and "./cmd/kube-apiserver ./cmd/kube-controller-manager" in args
    assert "k8s.io/component-base/version.gitVersion=v1.36.2" in args
    env = dict(
        line.split("=", 1)
        for line in (build / "gocache.env").read_text().splitlines()
        if "=" in line
    )
    assert (env["GOFLAGS"], env["GOPROXY"], env["GOTOOLCHAIN"]) == ("-mod=vendor", "off", "local")
    assert env["CGO_ENABLED"] == "0" and env["GOROOT"] == str(goroot)
