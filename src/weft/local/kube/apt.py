"""Debian's apt, as the local Kubernetes build uses it.

Two ways, both leaving the machine's own apt sources as they were:

- :func:`temporary_deb_src`: ``deb-src`` twins of the machine's enabled sources, written for the
  length of an ``apt-get source`` and removed again whatever happens (the Debian 1.20 build);
- :class:`PrivateApt`: a private apt configuration (its own sources list, lists and cache
  directories, passed with ``-o Dir::...``) to ``apt-get download`` packages of another Debian
  release, such as a Go toolchain from trixie-backports, without installing anything.
"""

from __future__ import annotations

import contextlib
import getpass
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from weft.local.kube.buildlog import Progress, Unavailable, run

SOURCES_DIR = Path("/etc/apt/sources.list.d")
TEMP_SOURCE_NAME = "weft-k8s-build-src"
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
APT_LOCK = ("-o", "DPkg::Lock::Timeout=600")
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
DEFAULT_MIRROR = "http://deb.debian.org/debian"


def have_apt() -> bool:
    return bool(shutil.which("apt-get") and shutil.which("dpkg-query") and shutil.which("dpkg-deb"))


def missing_packages(packages: Sequence[str]) -> list[str]:
    missing = []
    for pkg in packages:
        res = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def codename() -> str:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return ""
    match = re.search(r"^VERSION_CODENAME=\"?([a-z]+)\"?$", text, re.MULTILINE)
    return match.group(1) if match else ""


def apt(cmd: Sequence[str], say: Progress, what: str, *, cwd: Path | None = None) -> None:
    """Run an apt command; a failure makes this way of building unavailable."""
    say(what)
    code = run(cmd, say, env=APT_ENV, cwd=cwd)
    if code != 0:
        raise Unavailable(f"`{' '.join(cmd)}` failed (exit {code})")


def install(packages: Sequence[str], say: Progress) -> None:
    """``apt-get install`` from the machine's own sources (root)."""
    apt(["apt-get", *APT_LOCK, "update"], say, "apt-get update")
    apt(
        ["apt-get", *APT_LOCK, "install", "-y", "--no-install-recommends", *packages],
        say,
        f"apt-get install {' '.join(packages)}",
    )


# ------------------------------------------------------------------------ the machine's sources
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


def _deb822_sources(release: str) -> Iterator[dict[str, str]]:
    """The enabled ``deb`` stanzas of the machine's ``.sources`` files for ``release``."""
    files = sorted(SOURCES_DIR.glob("*.sources")) if SOURCES_DIR.is_dir() else []
    for path in files:
        if path.stem == TEMP_SOURCE_NAME:
            continue
        for stanza in _deb822_stanzas(path.read_text(errors="replace")):
            fields = _stanza_fields(stanza)
            suites = fields.get("suites", "").split()
            if (
                "deb" in fields.get("types", "").split()
                and fields.get("enabled", "yes").lower() != "no"
                and any(s.split("/")[0].split("-")[0] == release for s in suites)
            ):
                yield fields


def _one_line_sources(release: str) -> Iterator[tuple[list[str], list[str]]]:
    """The ``deb`` lines of the machine's ``.list`` files for ``release``: (options, rest)."""
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
            if len(rest) >= 2 and rest[1].split("-")[0] == release:
                yield opts, rest


def deb_src_entries(release: str) -> tuple[str, str]:
    """``deb-src`` twins of the machine's enabled ``deb`` sources for ``release`` (and its
    -updates/-security suites): (deb822 text, one-line text)."""
    deb822: list[str] = []
    for fields in _deb822_sources(release):
        out = ["Types: deb-src"]
        for name in ("uris", "suites", "components", "signed-by"):
            if name in fields:
                label = {"uris": "URIs", "signed-by": "Signed-By"}.get(name, name.title())
                out.append(f"{label}: {fields[name]}")
        deb822.append("\n".join(out))
    oneline = [" ".join(["deb-src", *opts, *rest]) for opts, rest in _one_line_sources(release)]
    return "\n\n".join(deb822), "\n".join(oneline)


def debian_mirror() -> str:
    """The Debian archive the machine uses (its main suite's URI), else deb.debian.org."""
    release = codename()
    for fields in _deb822_sources(release):
        suites = fields.get("suites", "").split()
        uris = fields.get("uris", "").split()
        if uris and release in suites:
            return uris[0].rstrip("/")
    for _opts, rest in _one_line_sources(release):
        if rest[1] == release:
            return rest[0].rstrip("/")
    return DEFAULT_MIRROR


@contextlib.contextmanager
def temporary_deb_src(say: Progress) -> Iterator[bool]:
    """Add deb-src entries for the running release; yields False when there is none to add."""
    release = codename()
    if not release:
        raise Unavailable("cannot tell the Debian release (no VERSION_CODENAME in /etc/os-release)")
    deb822, oneline = deb_src_entries(release)
    if not deb822 and not oneline:
        raise Unavailable(f"no enabled Debian apt source for {release} to derive a deb-src from")
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
        say(f"added temporary deb-src entries for {release}: {', '.join(map(str, written))}")
        yield True
    finally:
        for path in written:
            path.unlink(missing_ok=True)
        if written:
            say("removed the temporary deb-src entries")


# ------------------------------------------------------------------------- a private apt
class PrivateApt:
    """``apt-get`` with a sources list, lists and cache of its own under ``root``.

    The machine's sources, lists and installed packages are untouched: nothing is installed,
    packages are only downloaded (and unpacked by the caller with ``dpkg-deb -x``).
    """

    def __init__(self, root: Path, suites: Sequence[str], mirror: str | None = None) -> None:
        self.root = root
        self.suites = tuple(suites)
        self.mirror = mirror or debian_mirror()

    def _options(self) -> list[str]:
        return [
            "-o",
            f"Dir::Etc::sourcelist={self.root / 'sources.list'}",
            "-o",
            "Dir::Etc::sourceparts=/dev/null",
            "-o",
            f"Dir::State::Lists={self.root / 'lists'}",
            "-o",
            f"Dir::Cache={self.root / 'cache'}",
            "-o",
            f"APT::Sandbox::User={getpass.getuser()}",
        ]

    def prepare(self, say: Progress) -> None:
        if not DEBIAN_KEYRING.is_file():
            raise Unavailable(f"no Debian archive keyring at {DEBIAN_KEYRING}")
        for sub in ("lists/partial", "cache/archives/partial"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        lines = [
            f"deb [signed-by={DEBIAN_KEYRING}] {self.mirror} {suite} main" for suite in self.suites
        ]
        (self.root / "sources.list").write_text("\n".join(lines) + "\n")
        apt(
            ["apt-get", *self._options(), "update"],
            say,
            f"apt-get update (private: {', '.join(self.suites)} from {self.mirror})",
        )

    def download(self, packages: Sequence[str], into: Path, say: Progress) -> list[Path]:
        """The ``.deb`` files of ``packages`` (candidate versions), downloaded into ``into``."""
        into.mkdir(parents=True, exist_ok=True)
        apt(
            ["apt-get", *self._options(), "download", *packages],
            say,
            f"apt-get download {' '.join(packages)}",
            cwd=into,
        )
        found = sorted(into.glob("*.deb"))
        for package in packages:
            if not any(p.name.startswith(f"{package}_") for p in found):
                raise Unavailable(f"apt-get download gave no {package} package")
        return found
