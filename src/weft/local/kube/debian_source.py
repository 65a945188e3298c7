"""Kubernetes 1.20.2 built from Debian bookworm's ``kubernetes`` source package: the last resort.

Debian's newer ``kubernetes`` source packages are repacked without the server code; bookworm's
(1.20.5+really1.20.2) still holds the whole upstream tree with ``vendor/``. As root on Debian:

1. installs ``golang-go etcd-server rsync jq dpkg-dev`` if missing;
2. adds a temporary ``deb-src`` entry mirroring the machine's own apt sources for its release
   (removed again at the end, whatever happens) and refreshes apt;
3. ``apt-get source kubernetes`` into the build directory;
4. ``make WHAT=cmd/kube-apiserver`` then ``make WHAT=cmd/kube-controller-manager`` (Kubernetes
   1.20 builds in GOPATH mode through its own make, as ``debian/rules`` does).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from weft.local.kube import apt
from weft.local.kube.binaries import BINARIES, DEBIAN_VERSION
from weft.local.kube.buildlog import BuildFailed, Progress, Unavailable, run, show_tail

PACKAGES = ("golang-go", "etcd-server", "rsync", "jq", "dpkg-dev")
SOURCE_PACKAGE = "kubernetes"
VERSION = DEBIAN_VERSION


def preflight() -> None:
    """Refuse, with the reason, where this build cannot run."""
    if not apt.have_apt():
        raise Unavailable("this machine has no apt-get/dpkg (the build needs Debian's packages)")
    if os.geteuid() != 0:
        raise Unavailable(
            "building needs root (apt-get install, a temporary deb-src entry); "
            f"run `sudo make kube` once, or put the binaries in $WEFT_K8S_CACHE/{VERSION}"
        )


def build(build_dir: Path, say: Progress) -> tuple[dict[str, Path], str]:
    """Fetch and build; the two binaries by name, and the source package's changelog line."""
    preflight()
    tree = _fetch_source(build_dir, say, apt.missing_packages(PACKAGES))
    changelog = (tree / "debian" / "changelog").read_text(errors="replace").splitlines()[0]
    _make(tree, build_dir, say)
    built = {}
    for name in BINARIES:
        path = tree / "_output" / "bin" / name
        if not path.is_file():
            found = list((tree / "_output").glob(f"**/bin/{name}"))
            if not found:
                raise BuildFailed(f"make finished but no {name} binary under {tree / '_output'}")
            path = found[0]
        built[name] = path
    return built, changelog.split(";")[0].strip()


def _fetch_source(build_dir: Path, say: Progress, missing: list[str]) -> Path:
    """Install what is missing, fetch and unpack the source package; return the source tree."""
    with apt.temporary_deb_src(say):
        apt.apt(["apt-get", *apt.APT_LOCK, "update"], say, "apt-get update")
        if missing:
            apt.apt(
                ["apt-get", *apt.APT_LOCK, "install", "-y", "--no-install-recommends", *missing],
                say,
                f"apt-get install {' '.join(missing)}",
            )
        apt.apt(
            ["apt-get", "source", SOURCE_PACKAGE],
            say,
            f"apt-get source {SOURCE_PACKAGE} (about 35 MB) into {build_dir}",
            cwd=build_dir,
        )
    trees = [
        p for p in build_dir.iterdir() if p.is_dir() and (p / "cmd" / "kube-apiserver").is_dir()
    ]
    if not trees:
        raise BuildFailed(f"apt-get source {SOURCE_PACKAGE} gave no tree with cmd/kube-apiserver")
    tree = trees[0]
    changelog = (tree / "debian" / "changelog").read_text(errors="replace").splitlines()[0]
    if VERSION not in changelog:
        raise Unavailable(f"the {SOURCE_PACKAGE} source package here is not {VERSION}: {changelog}")
    say(f"source: {changelog}")
    return tree


def _make(tree: Path, build_dir: Path, say: Progress) -> None:
    major, minor, _ = VERSION.split(".")
    version_file = build_dir / "version-defs"
    version_file.write_text(
        f"KUBE_GIT_COMMIT=''\nKUBE_GIT_TREE_STATE='clean'\nKUBE_GIT_VERSION='v{VERSION}'\n"
        f"KUBE_GIT_MAJOR='{major}'\nKUBE_GIT_MINOR='{minor}'\n"
    )
    env = {
        "KUBE_GIT_VERSION_FILE": str(version_file),
        "GOCACHE": str(build_dir / "gocache"),
        "GOFLAGS": "",
        "GO111MODULE": "off",
        "KUBE_VERBOSE": "1",
    }
    for name in BINARIES:
        log = build_dir / f"make-{name}.log"
        say(f"make WHAT=cmd/{name} (several minutes; log: {log})")
        started = time.monotonic()
        code = run(["make", f"WHAT=cmd/{name}"], say, cwd=tree, env=env, log=log)
        if code != 0:
            show_tail(log)
            raise BuildFailed(f"make WHAT=cmd/{name} failed (exit {code}); see the lines above")
        say(f"built {name} in {time.monotonic() - started:.0f}s")
