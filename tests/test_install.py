"""Installing the pinned CLI (providers/install.py) with the download replaced: there is no
network here, and Pulumi's real installer is never run by a test."""

from __future__ import annotations

import stat
import subprocess
import urllib.error
from pathlib import Path

import pytest
from pulumi.automation import PulumiCommand

from providers import install

PINNED = install.pinned_version(install.VERSION_FILE)


def placing_a_cli(calls: list[tuple[Path, str]]) -> install.Installer:
    def installer(root: Path, version: str) -> None:
        calls.append((root, version))
        (root / "bin").mkdir(parents=True)
        executable = root / "bin" / "pulumi"
        executable.write_text("#!/bin/sh\necho v" + version + "\n")
        executable.chmod(executable.stat().st_mode | stat.S_IXUSR)

    return installer


def never(root: Path, version: str) -> None:
    raise AssertionError("the installer ran")


def test_it_installs_the_pinned_version_into_the_folder_it_names(tmp_path, capsys):
    calls: list[tuple[Path, str]] = []
    environment = {install.HOME_VARIABLE: str(tmp_path / "cli")}
    assert install.main([], placing_a_cli(calls), environment) == install.INSTALLED
    assert calls == [(tmp_path / "cli", PINNED)]
    captured = capsys.readouterr()
    assert captured.out == f"{tmp_path / 'cli' / 'bin'}\n"
    assert f"installing version {PINNED} (.pulumi.version) into {tmp_path / 'cli'}" in captured.err
    assert install.PLUGINS in captured.err


def test_the_default_folder_is_pulumis_own_per_version_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert install.install_root("3.1.0", {}) == tmp_path / ".pulumi" / "versions" / "3.1.0"


def test_a_cli_installed_before_is_used_without_a_download(tmp_path, capsys):
    placing_a_cli([])(tmp_path, PINNED)
    code = install.main(["--no-install"], never, {install.HOME_VARIABLE: str(tmp_path)})
    assert code == install.INSTALLED
    assert capsys.readouterr().out == f"{tmp_path / 'bin'}\n"


@pytest.mark.parametrize(
    ("argv", "environment"),
    [(["--no-install"], {}), ([], {install.REFUSE_VARIABLE: "1"})],
    ids=["flag", "variable"],
)
def test_a_refused_install_downloads_nothing_and_says_the_manual_way(
    tmp_path, capsys, argv, environment
):
    environment = {**environment, install.HOME_VARIABLE: str(tmp_path)}
    assert install.main(argv, never, environment) == install.NO_CLI
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "installing it was refused" in captured.err
    assert f"curl -fsSL https://get.pulumi.com | sh -s -- --version {PINNED}" in captured.err


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        (urllib.error.URLError("[Errno -3] Temporary failure in name resolution"), "download"),
        (subprocess.CalledProcessError(22, ["install.sh"], b"curl: (6) Could not resolve"), "22"),
        (PermissionError(13, "Permission denied"), "Permission denied"),
    ],
    ids=["no network", "installer failed", "folder not writable"],
)
def test_a_failed_install_ends_with_one_sentence_and_the_manual_way(
    tmp_path, capsys, monkeypatch, raised, reason
):
    def failing(*arguments, **keywords):
        raise raised

    monkeypatch.setattr(PulumiCommand, "install", failing)
    environment = {install.HOME_VARIABLE: str(tmp_path)}
    assert install.main([], install.sdk_installer, environment) == install.NO_CLI
    err = capsys.readouterr().err
    last = err.splitlines()[-1]
    assert last.startswith(f"druva-scim install: could not install the Pulumi CLI {PINNED}: ")
    assert reason in last and "install it by hand" in last and last.endswith("again.")
    assert "Traceback" not in err


def test_an_installer_that_leaves_no_cli_is_a_failure(tmp_path, capsys):
    code = install.main([], lambda root, version: None, {install.HOME_VARIABLE: str(tmp_path)})
    assert code == install.NO_CLI
    assert f"{tmp_path / 'bin' / 'pulumi'} is missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "is missing or unreadable"), ("three\n", "holds 'three', not a version")],
    ids=["missing", "not a version"],
)
def test_a_wrong_version_file_is_named_with_its_fix(tmp_path, capsys, content, says):
    version_file = tmp_path / ".pulumi.version"
    if content is not None:
        version_file.write_text(content)
    code = install.main(["--version-file", str(version_file)], never, {})
    assert code == install.BAD_VERSION_FILE
    err = capsys.readouterr().err
    assert err.startswith(f"druva-scim install: .pulumi.version {says}")
    assert "git checkout -- .pulumi.version" in err
