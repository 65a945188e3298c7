"""Build kube-apiserver and kube-controller-manager 1.20.2 once, from Debian's source package.

Run as ``python -m weft.local.kube.setup`` (``make kube`` does). It is idempotent: when both
binaries are already in the cache (``~/.cache/weft/k8s/1.20.2``, or ``$WEFT_K8S_CACHE/1.20.2``)
and etcd is installed, it does nothing. Otherwise, as root on Debian, it:

1. installs Debian's ``golang-go etcd-server rsync jq dpkg-dev`` if missing;
2. adds a temporary ``deb-src`` entry mirroring the machine's own apt sources for its release
   (removed again at the end, whatever happens) and refreshes apt;
3. ``apt-get source kubernetes`` (bookworm: 1.20.5+really1.20.2, the whole upstream tree with
   ``vendor/``) into a build directory next to the cache;
4. ``make WHAT=cmd/kube-apiserver`` then ``make WHAT=cmd/kube-controller-manager`` (Kubernetes
   1.20 builds in GOPATH mode through its own make, as ``debian/rules`` does);
5. copies the two binaries into the cache and deletes the 2+ GB build tree.

A lock file serialises concurrent runs. When a build is impossible here (not root, no apt, no
source package reachable) it says why, records the reason in ``<cache root>/UNAVAILABLE`` (the
integration tests skip with that text) and exits 3, or 0 with ``--if-possible`` so that
``make test`` goes on and the tests report the skip. A failed compilation exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from weft.local.kube.binaries import (
    BINARIES,
    K8S_VERSION,
    UNAVAILABLE_FILE,
    cache_dir,
    cache_root,
    etcd_binary,
    have_binaries,
)

PACKAGES = ("golang-go", "etcd-server", "rsync", "jq", "dpkg-dev")
SOURCE_PACKAGE = "kubernetes"
SOURCES_DIR = Path("/etc/apt/sources.list.d")
TEMP_SOURCE_NAME = "weft-k8s-build-src"
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
APT_LOCK = ("-o", "DPkg::Lock::Timeout=600")
EXIT_UNAVAILABLE = 3


class Unavailable(Exception):
    """The build cannot run on this machine (an environment problem, not a code problem)."""


class BuildFailed(Exception):
    """The build ran and failed."""


class Progress:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def elapsed(self) -> str:
        secs = int(time.monotonic() - self.t0)
        return f"{secs // 60:2d}m{secs % 60:02d}s"

    def __call__(self, message: str) -> None:
        print(f"[k8s {K8S_VERSION} {self.elapsed()}] {message}", flush=True)


def _run(
    cmd: Sequence[str],
    say: Progress,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    heartbeat: float = 30.0,
) -> int:
    """Run a command, its output to ``log`` (or captured), printing a heartbeat while it runs."""
    full_env = {**os.environ, **(env or {})}
    with contextlib.ExitStack() as stack:
        out: IO[bytes]
        if log is not None:
            out = stack.enter_context(open(log, "ab"))
        else:
            out = stack.enter_context(tempfile.TemporaryFile())
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        last = time.monotonic()
        while proc.poll() is None:
            time.sleep(0.5)
            if time.monotonic() - last >= heartbeat:
                last = time.monotonic()
                say(f"  … still running: {' '.join(cmd[:3])}{_last_line(log)}")
        if proc.returncode != 0 and log is None:
            out.seek(0)
            tail = out.read().decode(errors="replace").strip().splitlines()[-15:]
            say(f"  `{' '.join(cmd)}` failed (exit {proc.returncode}):")
            for line in tail:
                print(f"    {line}", flush=True)
        return proc.returncode


def _last_line(log: Path | None) -> str:
    if log is None:
        return ""
    try:
        with open(log, "rb") as fh:
            fh.seek(max(0, log.stat().st_size - 2000))
            lines = fh.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f" (last output: {lines[-1][:100]})" if lines else ""


def _missing_packages() -> list[str]:
    missing = []
    for pkg in PACKAGES:
        res = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def _codename() -> str:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return ""
    match = re.search(r"^VERSION_CODENAME=\"?([a-z]+)\"?$", text, re.MULTILINE)
    return match.group(1) if match else ""


def _deb822_stanzas(text: str) -> Iterator[list[str]]:
    stanza: list[str] = []
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue
        if not line.strip():
            if stanza:
                yield stanza
            stanza = []
            continue
        stanza.append(line)
    if stanza:
        yield stanza


def _stanza_fields(stanza: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = ""
    for line in stanza:
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
    return fields


def deb_src_entries(codename: str) -> tuple[str, str]:
    """``deb-src`` twins of the machine's enabled ``deb`` sources for ``codename`` (and its
    -updates/-security suites): (deb822 text, one-line text)."""
    deb822: list[str] = []
    oneline: list[str] = []
    files = sorted(SOURCES_DIR.glob("*.sources")) if SOURCES_DIR.is_dir() else []
    for path in files:
        if path.stem == TEMP_SOURCE_NAME:
            continue
        for stanza in _deb822_stanzas(path.read_text(errors="replace")):
            fields = _stanza_fields(stanza)
            suites = fields.get("suites", "").split()
            if (
                "deb" not in fields.get("types", "").split()
                or fields.get("enabled", "yes").lower() == "no"
                or not any(s.split("/")[0].split("-")[0] == codename for s in suites)
            ):
                continue
            out = ["Types: deb-src"]
            for name in ("uris", "suites", "components", "signed-by", "architectures"):
                if name in fields and name != "architectures":
                    label = {"uris": "URIs", "signed-by": "Signed-By"}.get(name, name.title())
                    out.append(f"{label}: {fields[name]}")
            deb822.append("\n".join(out))
    list_files = [Path("/etc/apt/sources.list")]
    if SOURCES_DIR.is_dir():
        list_files += sorted(SOURCES_DIR.glob("*.list"))
    for path in list_files:
        if path.stem == TEMP_SOURCE_NAME or not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split("#", 1)[0].split()
            if not parts or parts[0] != "deb":
                continue
            rest = parts[1:]
            opts = []
            while rest and rest[0].startswith("["):
                opts.append(rest.pop(0))
                if opts[-1].endswith("]"):
                    break
            if len(rest) >= 2 and rest[1].split("-")[0] == codename:
                oneline.append(" ".join(["deb-src", *opts, *rest]))
    return "\n\n".join(deb822), "\n".join(oneline)


@contextlib.contextmanager
def temporary_deb_src(say: Progress) -> Iterator[bool]:
    """Add deb-src entries for the running release; yields False when there is none to add."""
    codename = _codename()
    if not codename:
        raise Unavailable("cannot tell the Debian release (no VERSION_CODENAME in /etc/os-release)")
    deb822, oneline = deb_src_entries(codename)
    if not deb822 and not oneline:
        raise Unavailable(f"no enabled Debian apt source for {codename} to derive a deb-src from")
    written: list[Path] = []
    try:
        if deb822:
            path = SOURCES_DIR / f"{TEMP_SOURCE_NAME}.sources"
            path.write_text(deb822 + "\n")
            written.append(path)
        if oneline:
            path = SOURCES_DIR / f"{TEMP_SOURCE_NAME}.list"
            path.write_text(oneline + "\n")
            written.append(path)
        say(f"added temporary deb-src entries for {codename}: {', '.join(map(str, written))}")
        yield True
    finally:
        for path in written:
            path.unlink(missing_ok=True)
        if written:
            say("removed the temporary deb-src entries")


def _apt(cmd: Sequence[str], say: Progress, what: str, **kw: object) -> None:
    say(what)
    code = _run(cmd, say, env=APT_ENV, **kw)  # type: ignore[arg-type]
    if code != 0:
        raise Unavailable(f"`{' '.join(cmd)}` failed (exit {code})")


def _fetch_source(build: Path, say: Progress, missing: list[str]) -> Path:
    """Install what is missing, fetch and unpack the source package; return the source tree."""
    with temporary_deb_src(say):
        _apt(["apt-get", *APT_LOCK, "update"], say, "apt-get update")
        if missing:
            _apt(
                ["apt-get", *APT_LOCK, "install", "-y", "--no-install-recommends", *missing],
                say,
                f"apt-get install {' '.join(missing)}",
            )
        _apt(
            ["apt-get", "source", SOURCE_PACKAGE],
            say,
            f"apt-get source {SOURCE_PACKAGE} (about 35 MB) into {build}",
            cwd=build,
        )
    trees = [p for p in build.iterdir() if p.is_dir() and (p / "cmd" / "kube-apiserver").is_dir()]
    if not trees:
        raise BuildFailed(f"apt-get source {SOURCE_PACKAGE} gave no tree with cmd/kube-apiserver")
    tree = trees[0]
    changelog = (tree / "debian" / "changelog").read_text(errors="replace").splitlines()[0]
    if K8S_VERSION not in changelog:
        raise Unavailable(
            f"the {SOURCE_PACKAGE} source package here is not {K8S_VERSION}: {changelog}"
        )
    say(f"source: {changelog}")
    return tree


def _build(tree: Path, build: Path, say: Progress) -> None:
    major, minor, _ = K8S_VERSION.split(".")
    version_file = build / "version-defs"
    version_file.write_text(
        f"KUBE_GIT_COMMIT=''\nKUBE_GIT_TREE_STATE='clean'\nKUBE_GIT_VERSION='v{K8S_VERSION}'\n"
        f"KUBE_GIT_MAJOR='{major}'\nKUBE_GIT_MINOR='{minor}'\n"
    )
    env = {
        "KUBE_GIT_VERSION_FILE": str(version_file),
        "GOCACHE": str(build / "gocache"),
        "GOFLAGS": "",
        "GO111MODULE": "off",
        "KUBE_VERBOSE": "1",
    }
    for name in BINARIES:
        log = build / f"make-{name}.log"
        say(f"make WHAT=cmd/{name} (several minutes; log: {log})")
        started = time.monotonic()
        code = _run(["make", f"WHAT=cmd/{name}"], say, cwd=tree, env=env, log=log)
        if code != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-20:]
            for line in tail:
                print(f"    {line}", flush=True)
            raise BuildFailed(f"make WHAT=cmd/{name} failed (exit {code}); see the lines above")
        say(f"built {name} in {time.monotonic() - started:.0f}s")


def _install(tree: Path, say: Progress) -> None:
    target = cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in BINARIES:
        built = tree / "_output" / "bin" / name
        if not built.is_file():
            found = list((tree / "_output").glob(f"**/bin/{name}"))
            if not found:
                raise BuildFailed(f"make finished but no {name} binary under {tree / '_output'}")
            built = found[0]
        version = subprocess.run(
            [str(built), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if f"v{K8S_VERSION}" not in version:
            raise BuildFailed(f"{name} --version says {version!r}, expected v{K8S_VERSION}")
        tmp = target / f".{name}.tmp"
        shutil.copy2(built, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target / name)
        say(f"installed {target / name} ({version})")


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


def _preflight() -> list[str]:
    if not shutil.which("apt-get") or not shutil.which("dpkg-query"):
        raise Unavailable("this machine has no apt-get/dpkg (the build needs Debian's packages)")
    if os.geteuid() != 0:
        raise Unavailable(
            "building needs root (apt-get install, a temporary deb-src entry); "
            "run `sudo make kube` once, or put the binaries in $WEFT_K8S_CACHE/" + K8S_VERSION
        )
    return _missing_packages()


def ensure(keep_tree: bool = False) -> Path:
    """Build and cache the binaries unless they are already there; return the cache directory."""
    say = Progress()
    if have_binaries() and etcd_binary():
        say(f"cached: {cache_dir()} (nothing to do)")
        return cache_dir()
    with _lock(say):
        if have_binaries() and etcd_binary():
            say(f"cached (built by a concurrent run): {cache_dir()}")
            return cache_dir()
        missing = _preflight()
        if have_binaries():  # only etcd is missing
            _apt(["apt-get", *APT_LOCK, "update"], say, "apt-get update")
            _apt(
                ["apt-get", *APT_LOCK, "install", "-y", "--no-install-recommends", "etcd-server"],
                say,
                "apt-get install etcd-server",
            )
            return cache_dir()
        say(f"building kube-apiserver and kube-controller-manager {K8S_VERSION} from Debian source")
        cache_root().mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix="build-", dir=cache_root()))
        try:
            tree = _fetch_source(build, say, missing)
            _build(tree, build, say)
            _install(tree, say)
        finally:
            if keep_tree:
                say(f"kept the build tree {build}")
            else:
                shutil.rmtree(build, ignore_errors=True)
                say(f"deleted the build tree {build}")
        (cache_root() / UNAVAILABLE_FILE).unlink(missing_ok=True)
        say(f"done: {cache_dir()}")
        return cache_dir()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m weft.local.kube.setup", description=__doc__)
    parser.add_argument(
        "--if-possible",
        action="store_true",
        help="exit 0 when the build is impossible here (the Kubernetes tests will then skip)",
    )
    parser.add_argument("--keep-tree", action="store_true", help="keep the build tree (debugging)")
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
        print(f"weft: building the local Kubernetes failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _record(marker: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
