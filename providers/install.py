"""Command line: installs the pinned Pulumi CLI for `scripts/up` when none is on PATH.

    python -m providers.install [--no-install] [--version-file PATH]

Prints the folder that holds the `pulumi` executable (one line on stdout, for `scripts/up` to
put first on PATH); says everything else on stderr. The CLI is the version `.pulumi.version`
pins, as `<root>/bin/pulumi`, the root `$DRUVA_SCIM_PULUMI_HOME` or `~/.pulumi/versions/<version>`.
One there is used only when its `pulumi version` reports the pin; any other is replaced. The
download has one origin, get.pulumi.com's release files: the release's checksums file, then
this machine's archive, whose SHA-256 must match its line there before anything is unpacked.
It is unpacked beside `<root>/bin`, its CLI must report the pin, and only then is it renamed
into place: an interrupted install leaves the old `<root>/bin` or none, never half of one.
Every request has timeouts, the whole download one deadline, each file a size cap.
`--no-install` or `DRUVA_SCIM_NO_INSTALL=1` refuses and prints the manual way. The plugins
are not installed here: `pulumi up` installs them on first use, as Pulumi always does.

The release files, from pulumi/pulumi @ 1b5949891b3cefcb9974752b24a5ecef0acc86c8:
`.goreleaser.yml` (archive `pulumi-v<version>-<os>-<x64|arm64>.tar.gz` with its files in a top
folder `pulumi/`; checksums `pulumi-<version>-checksums.txt`), `.github/workflows/sign.yml`
(that file is `sha256sum` of every archive), `.github/workflows/release.yml` (files `pulumi-*`
synced to get.pulumi.com/releases/sdk); os and arch names as get.pulumi.com's `dist/install.sh`
maps `uname` (pulumi/get.pulumi.com @ de7ce38e0e5b5b6359cb1730ced37134877a22e3).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import requests
from semver import VersionInfo

from providers import cli
from providers.core.errors import ProviderError
from providers.deadline import deadline, failure_kind
from providers.http import HttpPolicy, NoAuth, new_session

INSTALLED, BAD_VERSION_FILE, NO_CLI = 0, 1, 127
EXIT_CODES = {
    INSTALLED: "the CLI's folder is printed",
    BAD_VERSION_FILE: ".pulumi.version is missing or holds no version",
    NO_CLI: "no CLI: the install was refused or failed",
}
HOME_VARIABLE = "DRUVA_SCIM_PULUMI_HOME"
REFUSE_VARIABLE = "DRUVA_SCIM_NO_INSTALL"
RELEASES_VARIABLE = "DRUVA_SCIM_RELEASES_URL_FOR_TESTS"
"""For the tests only: a stand-in release server on this machine instead of get.pulumi.com.
Any other host is refused, so it cannot send an install elsewhere."""
VERSION_FILE = Path(__file__).resolve().parent.parent / ".pulumi.version"
PLUGINS = (
    "`pulumi up` installs the Python language plugin and the azuread and okta providers' "
    "plugins on first use, as Pulumi always does"
)

RELEASES_URL = "https://get.pulumi.com/releases/sdk/"
INSTALL_SECONDS = 900.0
"""The whole download, both files and every retry: about 150 MB at 200 kB/s."""
ARCHIVE_MAX_BYTES = 512 * 1024 * 1024
"""A release archive is some 100 to 200 MB; a larger answer is not one."""
UNPACKED_MAX_BYTES = 2 * 1024 * 1024 * 1024
CHECKSUMS_MAX_BYTES = 64 * 1024
"""The checksums file has one short line per archive of the release."""
VERSION_SECONDS = 30.0
"""`pulumi version` answers in well under a second; one that does not is not used."""
DOWNLOAD_POLICY = HttpPolicy(
    connect_timeout=10.0, read_timeout=30.0, attempts=3, max_body_bytes=CHECKSUMS_MAX_BYTES,
    deadline_seconds=INSTALL_SECONDS,
)  # fmt: skip
STAGING_PREFIX = ".druva-scim-install-"
PLATFORMS = {"Linux": "linux", "Darwin": "darwin"}
ARCHITECTURES = {"x86_64": "x64", "amd64": "x64", "arm64": "arm64", "aarch64": "arm64"}


class InstallError(Exception):
    """The install did not happen; the message is one sentence saying why."""


class RefusedError(InstallError):
    """The user refused the install."""


@dataclass(frozen=True)
class Releases:
    """Where the CLI comes from, and the bounds on fetching, unpacking and running it."""

    url: str = RELEASES_URL
    """The folder of release files, ending in `/`."""
    policy: HttpPolicy = DOWNLOAD_POLICY
    """Timeouts, retries, the checksums file's cap, and the whole download's deadline."""
    archive_max_bytes: int = ARCHIVE_MAX_BYTES
    unpacked_max_bytes: int = UNPACKED_MAX_BYTES
    version_seconds: float = VERSION_SECONDS


def releases_from(environment: Mapping[str, str]) -> Releases:
    chosen = environment.get(RELEASES_VARIABLE, "")
    if not chosen:
        return Releases()
    if urlsplit(chosen).hostname not in ("127.0.0.1", "::1", "localhost"):
        raise InstallError(
            f"{RELEASES_VARIABLE} is for the tests only and takes a URL on 127.0.0.1, not "
            f"{chosen[:80]!r}: unset it"
        )
    return Releases(url=chosen if chosen.endswith("/") else chosen + "/")


def archive_name(version: str) -> str:
    """This machine's release archive, named as `.goreleaser.yml`'s name_template does."""
    system, machine = platform.system(), platform.machine().lower()
    if system not in PLATFORMS or machine not in ARCHITECTURES:
        raise InstallError(
            f"this installer knows Linux and macOS on x64 and arm64, not {system} {machine}"
        )
    return f"pulumi-v{version}-{PLATFORMS[system]}-{ARCHITECTURES[machine]}.tar.gz"


def checksums_name(version: str) -> str:
    return f"pulumi-{version}-checksums.txt"


def pinned_version(path: Path) -> str:
    """The version in `.pulumi.version`, checked the way the SDK parses it."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise InstallError(
            f"{path.name} is missing or unreadable; it pins the Pulumi CLI version (one line, "
            "like 3.272.0): restore it with `git checkout -- .pulumi.version`"
        ) from None
    try:
        VersionInfo.parse(text.removeprefix("v"))
    except ValueError:
        raise InstallError(
            f"{path.name} holds {text[:40]!r}, not a version; write the Pulumi CLI version to "
            "pin there (one line, like 3.272.0), or restore it with `git checkout -- "
            ".pulumi.version`"
        ) from None
    return text.removeprefix("v")


def install_root(version: str, environment: Mapping[str, str]) -> Path:
    chosen = environment.get(HOME_VARIABLE)
    return Path(chosen) if chosen else Path.home() / ".pulumi" / "versions" / version


def problem(executable: Path, version: str, seconds: float) -> str | None:
    """Why `executable` is not the pinned CLI, or None when `executable version` reports it.

    The CLI prints `v<version>` and a line break (pulumi/pulumi
    pkg/cmd/pulumi/version/version.go, with the `v` from .goreleaser.yml's ldflags, @
    1b5949891b3cefcb9974752b24a5ecef0acc86c8); the SDK asks it the same way, with the update
    check off (sdk/python/lib/pulumi/automation/_cmd.py, same commit).
    """
    if not executable.exists():
        return f"there is no {executable}"
    if executable.is_file() and executable.stat().st_size == 0:
        return f"{executable} is an empty file, left by an interrupted install"
    try:
        # The CLI this installer placed, or a file at its path: running it is the check.
        environment = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        command = [str(executable), "version"]
        answer = subprocess.run(  # noqa: S603
            command, capture_output=True, timeout=seconds, env=environment, check=False
        )
    except subprocess.TimeoutExpired:
        return f"{executable} did not answer `pulumi version` within {seconds:g} s"
    except OSError as error:
        return f"{executable} does not run ({error.strerror or type(error).__name__})"
    if answer.returncode != 0:
        return f"{executable} ends `pulumi version` with exit code {answer.returncode}"
    reported = answer.stdout.decode("utf-8", "replace").strip()
    if reported.removeprefix("v") != version:
        return f"{executable} reports {reported[:40]!r}, not the pinned {version}"
    return None


def ensure(
    version: str, root: Path, refused: bool, releases: Releases, say: Callable[[str], None]
) -> Path:
    """The folder holding the `pulumi` of `version` under `root`, installed if need be."""
    bin_folder = root / "bin"
    executable = bin_folder / "pulumi"
    found = problem(executable, version, releases.version_seconds)
    if found is None:
        say(f"Using the Pulumi CLI {version} installed in {bin_folder}.")
        return bin_folder
    missing = not executable.exists()
    if refused:
        found_there = "" if missing else f", and {found}"
        raise RefusedError(
            f"the Pulumi CLI is not on PATH and installing it was refused ({REFUSE_VARIABLE} "
            f"or --no-install){found_there}"
        )
    opening = "The Pulumi CLI is not on PATH" + ("" if missing else f" and {found}")
    say(
        f"{opening}: installing version {version} (.pulumi.version) into {root} from "
        f"{releases.url}, checked against its published SHA-256; no root needed. To refuse, "
        f"set {REFUSE_VARIABLE}=1 or pass --no-install."
    )
    install(root, version, releases)
    say(
        f"Installed {executable}; scripts/up uses it for this run (add {bin_folder} to PATH to "
        f"use it yourself). {PLUGINS}."
    )
    return bin_folder


def install(root: Path, version: str, releases: Releases) -> None:
    """Download, verify, unpack and check the CLI beside `<root>/bin`, then rename it there."""
    name = archive_name(version)
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(f"{STAGING_PREFIX}*"):  # from a run killed mid-install
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        archive = staging / name
        _download(releases, version, name, archive)
        unpacked = _unpack(archive, staging / "unpacked", releases.unpacked_max_bytes)
        archive.unlink()
        found = problem(unpacked / "pulumi", version, releases.version_seconds)
        if found is not None:
            raise InstallError(f"in the archive {name}, {found}")
        _move_into_place(unpacked, root / "bin", staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(releases: Releases, version: str, name: str, archive: Path) -> None:
    """The checksums file, then the archive into `archive`, whose SHA-256 must match."""
    listing, policy = checksums_name(version), releases.policy
    late = f"the download from {releases.url} did not finish within {policy.deadline_seconds:g} s"
    with deadline(policy.deadline_seconds) as bound, new_session(policy) as session:
        try:
            text = io.BytesIO()
            _fetch(session, releases.url + listing, policy, policy.max_body_bytes, text)
            published = _published_digest(text.getvalue(), listing, name)
            with archive.open("wb") as sink:
                digest = _fetch(
                    session, releases.url + name, policy, releases.archive_max_bytes, sink
                )
        except (requests.exceptions.RequestException, ProviderError, OSError) as error:
            if bound.passed():
                raise InstallError(late) from None
            raise InstallError(
                f"the download from {releases.url} failed ({_kind(error)})"
            ) from None
        if bound.expired:
            raise InstallError(late)  # the watchdog shut the socket: a body may look whole
    if digest != published:
        raise InstallError(
            f"{name} from {releases.url} has SHA-256 {digest}, not the {published} that "
            f"{listing} publishes (a corrupted or altered download)"
        )


def _published_digest(text: bytes, listing: str, name: str) -> str:
    """The SHA-256 of `name` in a checksums file of `sha256sum` lines (`<hex>  <name>`)."""
    for line in text.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].removeprefix("*") == name:
            digest = parts[0].lower()
            if len(digest) == 64 and all(character in "0123456789abcdef" for character in digest):
                return digest
    raise InstallError(f"{listing} has no SHA-256 for {name}, so the archive cannot be checked")


def _fetch(
    session: requests.Session, url: str, policy: HttpPolicy, limit: int, sink: BinaryIO
) -> str:
    """GET `url` into `sink`, refusing a redirect (one origin) or more than `limit` bytes;
    the SHA-256 of what was written."""
    timeout = (policy.connect_timeout, policy.read_timeout)
    response = session.get(url, timeout=timeout, stream=True, allow_redirects=False, auth=NoAuth())
    digest = hashlib.sha256()
    with response:
        if response.status_code != 200:
            raise InstallError(
                f"{url} answered HTTP {response.status_code}, not the file; check that "
                ".pulumi.version names a released version"
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise InstallError(f"{url} is {int(declared)} bytes, more than the {limit} accepted")
        size = 0
        for chunk in response.iter_content(chunk_size=1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise InstallError(f"{url} sent more than the {limit} bytes accepted")
            sink.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def _unpack(archive: Path, into: Path, limit: int) -> Path:
    """Unpack the verified archive under `into`; every member must stay inside it."""
    into.mkdir()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            if sum(member.size for member in members) > limit:
                raise InstallError(f"{archive.name} unpacks to more than {limit} bytes")
            for member in members:
                # Every member is judged before any is written: a bad one installs nothing.
                tarfile.data_filter(member, str(into))
            tar.extractall(into, filter="data")
    except tarfile.FilterError as error:
        member_name = error.tarinfo.name if error.tarinfo else "a member"
        raise InstallError(
            f"{archive.name} holds {member_name[:80]!r}, which would be written outside the "
            "install folder"
        ) from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise InstallError(
            f"{archive.name} could not be unpacked ({type(error).__name__})"
        ) from None
    return into / "pulumi"


def _move_into_place(new: Path, target: Path, staging: Path) -> None:
    """Two renames on one file system: `target` is the old folder, then none, then the new."""
    if target.exists() or target.is_symlink():
        os.rename(target, staging / "replaced")
    os.rename(new, target)


def _kind(error: BaseException) -> str:
    """How the download failed: by the classes of the errors it is made of (`failure_kind`),
    or, for a file that could not be written, in the system's words."""
    kind = failure_kind(error)
    if kind == type(error).__name__ and isinstance(error, OSError) and error.strerror:
        return error.strerror
    return kind


def main(
    argv: Sequence[str] | None = None,
    environment: Mapping[str, str] = os.environ,
    releases: Releases | None = None,
) -> int:
    parser = cli.Parser(
        usage_exit=NO_CLI,
        prog="python -m providers.install",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--no-install", action="store_true", help="refuse the download")
    parser.add_argument(
        "--on-path",
        action="store_true",
        help="use the pulumi on PATH when it reports the pinned version (scripts/up)",
    )
    parser.add_argument("--version-file", type=Path, default=VERSION_FILE, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    refused = arguments.no_install or environment.get(REFUSE_VARIABLE, "") not in ("", "0")

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        version = pinned_version(arguments.version_file)
    except InstallError as error:
        say(f"druva-scim install: {error}.")
        return BAD_VERSION_FILE
    root, manual = install_root(version, environment), cli.manual_install(version)
    found = shutil.which("pulumi", path=environment.get("PATH")) if arguments.on_path else None
    if found:
        wrong = problem(Path(found), version, VERSION_SECONDS)
        if wrong is None:
            print(Path(found).parent)
            return INSTALLED
        # Another version would fail the pre-flight: the pinned one goes first on PATH.
        say(f"druva-scim install: {wrong}; using the pinned {version} in {root / 'bin'}.")
    try:
        folder = ensure(version, root, refused, releases or releases_from(environment), say)
    except RefusedError as error:
        say(f"druva-scim install: {error}; {manual}.")
        return NO_CLI
    except (InstallError, OSError) as error:
        reason = f"{error}; nothing was installed"
        if not isinstance(error, InstallError):  # the folder, never the download (caught there)
            reason = (
                f"the folder {root} could not be written ({error.strerror or type(error).__name__})"
                f"; set {HOME_VARIABLE} to a folder you can write"
            )
        say(f"druva-scim install: could not install the Pulumi CLI {version}: {reason}; {manual}.")
        return NO_CLI
    except KeyboardInterrupt:
        say(f"druva-scim install: interrupted, nothing was installed; {manual}.")
        return NO_CLI
    print(folder)
    return INSTALLED


if __name__ == "__main__":
    sys.exit(main())
