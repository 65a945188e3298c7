"""Get the local Kubernetes (kube-apiserver and kube-controller-manager) once, into the cache.

Run as ``python -m weft.local.kube.setup`` (``make kube`` does). Three ways, tried in order; a way
that cannot run here is skipped with its reason, and the first that can gives the binaries:

1. ``$WEFT_K8S_SOURCE``: a Kubernetes server source tarball (or tree) built with a Go toolchain
   from Debian's packages, offline but for Debian's archive (:mod:`.source_build`; ~6 min);
2. the Kubernetes project's official binaries of ``$WEFT_K8S_VERSION`` (default
   :data:`~.release_download.DEFAULT_VERSION`), where its release downloads can be reached,
   verified against their published SHA-256 (:mod:`.release_download`);
3. Debian bookworm's 1.20.2 source package, as root (:mod:`.debian_source`; ~7 min).

Each version is cached in its own directory (``~/.cache/weft/k8s/<version>``, or under
``$WEFT_K8S_CACHE``) with an ``ORIGIN`` record of how it was obtained; a way whose version is
already cached does nothing. etcd is Debian's ``etcd-server`` whatever the way (installed when
missing, as root). The local cloud then runs the newest cached version (:mod:`.binaries`).

A lock file serialises concurrent runs. When no way can run here (not root, no apt, nothing
reachable) it says why, records the reasons in ``<cache root>/UNAVAILABLE`` (the Kubernetes tests
skip with that text) and exits 3, or 0 with ``--if-possible`` so that ``make test`` goes on and
the tests report the skip. A build that ran and failed, or a download whose digest differs,
exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from weft.local.kube import apt, debian_source, release_download, source_build
from weft.local.kube.binaries import (
    BINARIES,
    UNAVAILABLE_FILE,
    VERSION_ENV,
    Origin,
    cache_dir,
    cache_root,
    etcd_binary,
    have_binaries,
    origin,
    parse_version,
    write_origin,
)
from weft.local.kube.buildlog import BuildFailed, Progress, Unavailable

EXIT_UNAVAILABLE = 3

Obtain = Callable[[Path, Progress], tuple[dict[str, Path], str]]


@dataclass(frozen=True)
class Way:
    """One way of getting the binaries: its ``kind`` (recorded in ORIGIN), the version it gives
    (found without any download or build), and how it obtains them."""

    kind: str
    title: str
    version: Callable[[], str]
    obtain: Callable[[str], Obtain]


def _source_version() -> str:
    value = os.environ.get(source_build.SOURCE_ENV, "").strip()
    if not value:
        raise Unavailable(f"${source_build.SOURCE_ENV} is not set")
    return source_build.find_source(value).version


def _from_source(version: str) -> Obtain:
    source = source_build.find_source(os.environ[source_build.SOURCE_ENV])
    return lambda build, say: source_build.build(source, build, say)


def _download_version() -> str:
    wanted = os.environ.get(VERSION_ENV, "").strip().removeprefix("v")
    version = wanted or release_download.DEFAULT_VERSION
    try:
        parse_version(version)
    except ValueError as exc:
        raise Unavailable(f"${VERSION_ENV}: {exc}") from exc
    return version


def _download(version: str) -> Obtain:
    return lambda build, say: release_download.download(version, build, say)


def _debian(version: str) -> Obtain:
    return debian_source.build


WAYS = (
    Way("source", "build from $WEFT_K8S_SOURCE", _source_version, _from_source),
    Way("download", "official release binaries", _download_version, _download),
    Way("debian", "Debian's 1.20 source package", lambda: debian_source.VERSION, _debian),
)


def _install(version: str, built: dict[str, Path], way: Way, how: str, say: Progress) -> None:
    target = cache_dir(version)
    target.mkdir(parents=True, exist_ok=True)
    for name in BINARIES:
        path = built[name]
        answer = subprocess.run([str(path), "--version"], capture_output=True, text=True)
        said = (answer.stdout or answer.stderr).strip()
        if f"v{version}" not in said:
            raise BuildFailed(f"{name} --version says {said!r}, expected v{version}")
        tmp = target / f".{name}.tmp"
        shutil.copy2(path, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target / name)
        say(f"installed {target / name} ({said})")
    at = datetime.now(UTC).isoformat(timespec="seconds")
    write_origin(target, Origin(version=version, kind=way.kind, detail=how, at=at))


def _ensure_etcd(say: Progress) -> None:
    if etcd_binary():
        return
    if not apt.have_apt() or os.geteuid() != 0:
        raise Unavailable(
            "etcd is not installed and installing Debian's etcd-server needs root and apt: "
            "run `sudo apt-get install etcd-server` once"
        )
    apt.install(["etcd-server"], say)


@contextlib.contextmanager
def _lock(say: Progress) -> Iterator[None]:
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another build holds {root / 'build.lock'}; waiting for it")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _try(way: Way, say: Progress, keep_tree: bool) -> Path:
    """Obtain the binaries ``way`` gives (nothing to do when cached); their cache directory."""
    version = way.version()
    if have_binaries(version):
        say(f"cached: {cache_dir(version)}, {origin(version).describe()} (nothing to do)")
        return cache_dir(version)
    obtain = way.obtain(version)
    say(f"Kubernetes {version}: {way.title}")
    cache_root().mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix="build-", dir=cache_root()))
    try:
        built, how = obtain(build, say)
        _install(version, built, way, how, say)
    finally:
        if keep_tree:
            say(f"kept the build directory {build}")
        else:
            shutil.rmtree(build, ignore_errors=True)
            say(f"deleted the build directory {build}")
    return cache_dir(version)


def ensure(keep_tree: bool = False, ways: Sequence[Way] = WAYS) -> Path:
    """Get the binaries unless cached, trying each way in turn; the cache directory used."""
    say = Progress()
    skipped: list[str] = []
    with _lock(say):
        for way in ways:
            try:
                directory = _try(way, say, keep_tree)
            except Unavailable as exc:
                skipped.append(f"{way.title}: {exc}")
                say(f"skipped ({way.title}): {exc}")
                continue
            _ensure_etcd(say)
            (cache_root() / UNAVAILABLE_FILE).unlink(missing_ok=True)
            say(f"done: {directory}")
            return directory
    raise Unavailable("; ".join(skipped))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m weft.local.kube.setup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--if-possible",
        action="store_true",
        help="exit 0 when nothing can be built here (the Kubernetes tests will then skip)",
    )
    parser.add_argument(
        "--keep-tree", action="store_true", help="keep the build directory (debugging)"
    )
    args = parser.parse_args(argv)
    marker = cache_root() / UNAVAILABLE_FILE
    try:
        ensure(keep_tree=args.keep_tree)
    except Unavailable as exc:
        _record(marker, f"cannot build here: {exc}")
        print(f"weft: local Kubernetes unavailable: {exc}", file=sys.stderr)
        print(
            "weft: the Kubernetes integration tests will be SKIPPED with this reason",
            file=sys.stderr,
        )
        return 0 if args.if_possible else EXIT_UNAVAILABLE
    except BuildFailed as exc:
        _record(marker, f"the build failed: {exc}")
        print(f"weft: getting the local Kubernetes failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _record(marker: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
