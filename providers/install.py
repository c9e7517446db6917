"""Command line: installs the pinned Pulumi CLI for `scripts/up` when none is on PATH.

    python -m providers.install [--no-install] [--version-file PATH]

Prints the folder that holds the `pulumi` executable (one line on stdout, for
`scripts/up` to put first on PATH); says everything else on stderr. The CLI is
the version `.pulumi.version` pins, installed by Pulumi's own installer through
the SDK (`pulumi.automation.PulumiCommand.install`) into `$DRUVA_SCIM_PULUMI_HOME`
or `~/.pulumi/versions/<version>`: the user's folders, no root. A CLI already
installed there is used as it is. `--no-install` or `DRUVA_SCIM_NO_INSTALL=1`
refuses the download and prints the manual way. The language plugin and the
azuread and okta plugins are not installed here: `pulumi up` installs them on
first use, as Pulumi always does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pulumi.automation import PulumiCommand
from semver import VersionInfo

from providers import cli

INSTALLED, BAD_VERSION_FILE, NO_CLI = 0, 1, 127
EXIT_CODES = {
    INSTALLED: "the CLI's folder is printed",
    BAD_VERSION_FILE: ".pulumi.version is missing or holds no version",
    NO_CLI: "no CLI: the install was refused or failed",
}
HOME_VARIABLE = "DRUVA_SCIM_PULUMI_HOME"
REFUSE_VARIABLE = "DRUVA_SCIM_NO_INSTALL"
VERSION_FILE = Path(__file__).resolve().parent.parent / ".pulumi.version"
PLUGINS = (
    "`pulumi up` installs the Python language plugin and the azuread and okta providers' "
    "plugins on first use, as Pulumi always does"
)

Installer = Callable[[Path, str], None]
"""Installs CLI `version` so that `root/bin/pulumi` runs it."""


class InstallError(Exception):
    """The install did not happen; the message is one sentence saying why."""


class RefusedError(InstallError):
    """The user refused the install."""


def sdk_installer(root: Path, version: str) -> None:
    """Pulumi's own installer (get.pulumi.com/install.sh), as the SDK runs it."""
    try:
        PulumiCommand.install(root=str(root), version=VersionInfo.parse(version))
    except urllib.error.URLError as error:
        raise InstallError(f"the download from get.pulumi.com failed ({error.reason})") from None
    except subprocess.CalledProcessError as error:
        raise InstallError(
            f"Pulumi's installer stopped with exit code {error.returncode}"
        ) from None
    except OSError as error:
        raise InstallError(
            f"the install failed ({error.strerror or type(error).__name__})"
        ) from None
    except Exception as error:  # the SDK's version check, or anything else it raises
        raise InstallError(f"the install failed ({type(error).__name__})") from None


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


def ensure(
    version: str, root: Path, refused: bool, installer: Installer, say: Callable[[str], None]
) -> Path:
    """The folder holding the `pulumi` of `version` under `root`, installed if need be."""
    bin_folder = root / "bin"
    if os.access(bin_folder / "pulumi", os.X_OK):
        say(f"Using the Pulumi CLI {version} installed in {bin_folder}.")
        return bin_folder
    if refused:
        raise RefusedError(
            f"the Pulumi CLI is not on PATH and installing it was refused ({REFUSE_VARIABLE} "
            "or --no-install)"
        )
    say(
        f"The Pulumi CLI is not on PATH: installing version {version} (.pulumi.version) into "
        f"{root} with Pulumi's installer from get.pulumi.com; no root needed. To refuse, set "
        f"{REFUSE_VARIABLE}=1 or pass --no-install."
    )
    installer(root, version)
    if not os.access(bin_folder / "pulumi", os.X_OK):
        raise InstallError(f"Pulumi's installer finished, but {bin_folder / 'pulumi'} is missing")
    say(
        f"Installed {bin_folder / 'pulumi'}; scripts/up uses it for this run (add {bin_folder} "
        f"to PATH to use it yourself). {PLUGINS}."
    )
    return bin_folder


def main(
    argv: Sequence[str] | None = None,
    installer: Installer = sdk_installer,
    environment: Mapping[str, str] = os.environ,
) -> int:
    parser = cli.Parser(
        usage_exit=NO_CLI,
        prog="python -m providers.install",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--no-install", action="store_true", help="refuse the download")
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
    try:
        folder = ensure(version, install_root(version, environment), refused, installer, say)
    except RefusedError as error:
        say(f"druva-scim install: {error}; {cli.manual_install(version)}.")
        return NO_CLI
    except InstallError as error:
        say(
            f"druva-scim install: could not install the Pulumi CLI {version}: {error}; "
            f"{cli.manual_install(version)}."
        )
        return NO_CLI
    except KeyboardInterrupt:
        say(f"druva-scim install: interrupted; {cli.manual_install(version)}.")
        return NO_CLI
    print(folder)
    return INSTALLED


if __name__ == "__main__":
    sys.exit(main())
