"""A current Kubernetes built from a server source tarball, with a Go toolchain from Debian.

``$WEFT_K8S_SOURCE`` names a tarball (``.tar.xz``/``.tar.gz``) or an unpacked tree whose top
directory is ``kubernetes-X.Y.Z`` with ``cmd/kube-apiserver``, ``cmd/kube-controller-manager``,
``go.mod`` and ``vendor/`` — such as the trimmed 1.36.2 tree described in the project's shared
``k8s/README.md``. The build is offline but for Debian's archive:

1. the Go release ``go.mod`` asks for (``go 1.26.0`` -> ``golang-1.26-go`` and ``-src``) is
   fetched with ``apt-get download`` from trixie-backports (or unstable) under a private apt
   configuration (:class:`weft.local.kube.apt.PrivateApt`; the machine's sources are untouched),
   unpacked with ``dpkg-deb -x`` into ``<cache root>/toolchains/go-1.NN`` and kept there;
2. the tree is unpacked into the build directory;
3. ``go build -trimpath`` of both commands with ``GOFLAGS=-mod=vendor GOPROXY=off
   GOTOOLCHAIN=local GOSUMDB=off CGO_ENABLED=0`` and a private ``GOCACHE``, the version stamped
   with ``-ldflags -X`` into ``k8s.io/component-base/version`` and ``k8s.io/client-go/pkg/version``
   (without it ``/version`` reports a placeholder).

Cold, on 2 cores: about 6 minutes, 2.2 GB peak memory, 3.5 GB of temporary disk (deleted after).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from weft.local.kube import apt
from weft.local.kube.binaries import BINARIES, cache_root, parse_version
from weft.local.kube.buildlog import BuildFailed, Progress, Unavailable, run, show_tail

SOURCE_ENV = "WEFT_K8S_SOURCE"
#: Where Debian has a Go new enough for current Kubernetes, newest first.
GO_SUITES = ("trixie-backports", "unstable")
_TOP_RE = re.compile(r"kubernetes-([0-9]+\.[0-9]+\.[0-9]+)")
_GO_RE = re.compile(r"^go ([0-9]+)\.([0-9]+)(?:\.[0-9]+)?\s*$", re.MULTILINE)
_VERSION_PACKAGES = ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")


@dataclass(frozen=True)
class Source:
    """A Kubernetes server source, as ``$WEFT_K8S_SOURCE`` names it."""

    path: Path
    version: str

    @property
    def is_tarball(self) -> bool:
        return self.path.is_file()

    def describe(self) -> str:
        if not self.is_tarball:
            return f"{self.path.name} (a source tree)"
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return f"{self.path.name} (sha256 {digest.hexdigest()})"


def find_source(value: str) -> Source:
    """The source ``$WEFT_K8S_SOURCE`` names, with its version read from its top directory."""
    path = Path(value).expanduser()
    if not path.exists():
        raise Unavailable(f"${SOURCE_ENV} names {path}, which does not exist")
    if path.is_dir():
        top = path.name
    else:
        try:
            with tarfile.open(path) as archive:
                first = archive.next()
        except (tarfile.TarError, OSError) as exc:
            raise Unavailable(f"${SOURCE_ENV}: {path} is not a readable tarball: {exc}") from exc
        top = first.name.split("/", 1)[0] if first is not None else ""
    match = _TOP_RE.fullmatch(top)
    if not match:
        raise Unavailable(
            f"${SOURCE_ENV}: {path} does not hold a kubernetes-X.Y.Z top directory (found {top!r})"
        )
    return Source(path, match.group(1))


def go_release(go_mod: str) -> str:
    """The Go release a ``go.mod`` asks for, as Debian names its packages: ``1.26``."""
    match = _GO_RE.search(go_mod)
    if not match:
        raise BuildFailed("go.mod has no `go` directive")
    return f"{match.group(1)}.{match.group(2)}"


def ldflags(version: str) -> str:
    major, minor, _ = parse_version(version)
    flags = ["-s", "-w"]
    for package in _VERSION_PACKAGES:
        flags += [
            f"-X {package}.gitVersion=v{version}",
            f"-X {package}.gitMajor={major}",
            f"-X {package}.gitMinor={minor}",
            f"-X {package}.gitTreeState=clean",
        ]
    return " ".join(flags)


def toolchain(release: str, build_dir: Path, say: Progress) -> Path:
    """GOROOT of Debian's Go ``release``, fetched once into the cache."""
    root = cache_root() / "toolchains" / f"go-{release}"
    goroot = root / "usr" / "lib" / f"go-{release}"
    if (goroot / "bin" / "go").is_file():
        say(f"Go {release}: cached in {root}")
        return goroot
    if not apt.have_apt():
        raise Unavailable(f"Go {release} is needed and this machine has no apt-get/dpkg-deb")
    packages = (f"golang-{release}-go", f"golang-{release}-src")
    debs = _download_go(packages, build_dir, say)
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for deb in debs:
        code = run(["dpkg-deb", "-x", str(deb), str(partial)], say)
        if code != 0:
            raise BuildFailed(f"dpkg-deb -x {deb.name} failed (exit {code})")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    answer = subprocess.run(
        [str(goroot / "bin" / "go"), "version"], capture_output=True, text=True, check=False
    )
    if answer.returncode != 0:
        raise BuildFailed(f"the Go toolchain from {', '.join(d.name for d in debs)} does not run")
    say(f"{answer.stdout.strip()} ({', '.join(d.name for d in debs)}) in {root}")
    return goroot


def _download_go(packages: tuple[str, ...], build_dir: Path, say: Progress) -> list[Path]:
    """The toolchain's packages from the first suite in :data:`GO_SUITES` that has them (one
    suite at a time: apt would otherwise prefer unstable's older build over a backport, which
    it ranks lower)."""
    reasons = []
    for suite in GO_SUITES:
        private = apt.PrivateApt(build_dir / "apt" / suite, [suite])
        try:
            private.prepare(say)
            return private.download(packages, build_dir / "debs" / suite, say)
        except Unavailable as exc:
            reasons.append(f"{suite}: {exc}")
            say(f"  not from {suite}: {exc}")
    raise Unavailable(f"no {packages[0]} in Debian's archive ({'; '.join(reasons)})")


def build(source: Source, build_dir: Path, say: Progress) -> tuple[dict[str, Path], str]:
    """Build both commands; the binaries by name, and how (for the cache's ORIGIN record)."""
    if source.is_tarball:
        say(f"unpacking {source.path.name} into {build_dir}")
        try:
            with tarfile.open(source.path) as archive:
                archive.extractall(build_dir, filter="data")  # nothing outside build_dir
        except (tarfile.TarError, OSError) as exc:
            raise BuildFailed(f"unpacking {source.path} failed: {exc}") from exc
        tree = build_dir / f"kubernetes-{source.version}"
    else:
        tree = source.path
    for needed in ("go.mod", "vendor", "cmd/kube-apiserver", "cmd/kube-controller-manager"):
        if not (tree / needed).exists():
            raise BuildFailed(f"{tree} has no {needed}: not a Kubernetes server source tree")
    release = go_release((tree / "go.mod").read_text())
    goroot = toolchain(release, build_dir, say)
    out = build_dir / "out"
    out.mkdir(exist_ok=True)
    env = {
        "GOROOT": str(goroot),
        "PATH": f"{goroot / 'bin'}:/usr/bin:/bin",
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=vendor",
        "CGO_ENABLED": "0",
        "GOCACHE": str(build_dir / "gocache"),
        "GOPATH": str(build_dir / "gopath"),
    }
    log = build_dir / "go-build.log"
    say(
        f"go build kube-apiserver and kube-controller-manager {source.version} "
        f"(about 6 minutes on 2 cores; log: {log})"
    )
    started = time.monotonic()
    cmd = [
        str(goroot / "bin" / "go"),
        "build",
        "-v",  # the package being compiled, shown by the heartbeat
        "-trimpath",
        "-ldflags",
        ldflags(source.version),
        "-o",
        f"{out}/",
        *(f"./cmd/{name}" for name in BINARIES),
    ]
    code = run(cmd, say, cwd=tree, env=env, log=log)
    if code != 0:
        show_tail(log)
        raise BuildFailed(f"go build failed (exit {code}); see the lines above")
    say(f"built both in {time.monotonic() - started:.0f}s")
    go = subprocess.run(
        [str(goroot / "bin" / "go"), "version"], capture_output=True, text=True, check=False
    ).stdout.split()
    go_version = go[2].removeprefix("go") if len(go) > 2 else release
    how = f"{source.describe()} with Go {go_version} from Debian's packages"
    return {name: out / name for name in BINARIES}, how
