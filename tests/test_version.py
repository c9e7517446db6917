"""The version, held in providers/core/version.py: what every command's `--version` prints, what
the stack exports, and what CHANGELOG.md, the upgrade notes and the metadata say about it."""

import hashlib
import importlib
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]
from pulumi.runtime import settings

from providers import program
from providers.core.texts import NAMESPACE
from providers.core.version import ANNOUNCED, VERSION
from testbed import ROOT
from testbed.harness import run_program
from tests.doubles import TOKEN

COMMANDS = ["status", "rotate", "health", "preflight", "first_run", "install"]
"""The `python -m providers.X` commands the docs tell a user to type."""
SCRIPTS = ["up", "test", "evidence"]
SEMVER = re.compile(
    # semver.org's own regular expression for a version (https://semver.org/spec/v2.0.0.html).
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})$")
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
"""Keep a Changelog 1.1.0's types of changes (https://keepachangelog.com/en/1.1.0/)."""
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
"""The Apache License 2.0 as apache.org publishes it (LICENSE-2.0.txt, its appendix included),
byte for byte the LICENSE of pulumi/pulumi-azuread at b830e0401352bbb2c6466f6315737bf1f3333a65
and of pulumi/pulumi-okta at 82924e83d9d762da3b6b4ae017cb89190383e875."""


def recorder(folder: Path, name: str, log: Path) -> None:
    """An executable `name` in `folder` that only writes down that it ran."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\nexit 97\n')
    path.chmod(0o755)


def released_versions() -> list[tuple[str, date]]:
    lines = (ROOT / "CHANGELOG.md").read_text().splitlines()
    return [
        (match["version"], date.fromisoformat(match["date"]))
        for line in lines
        if (match := RELEASE.match(line))
    ]


def key(version: str) -> tuple[int, ...]:
    """Major, minor and patch, to order released versions (they carry no pre-release)."""
    match = SEMVER.match(version)
    assert match, version
    return tuple(int(match[part]) for part in (1, 2, 3))


# --- --version ------------------------------------------------------------------------------


def test_every_command_with_a_main_is_one_the_version_test_runs():
    with_main = sorted(
        path.stem
        for path in (ROOT / "providers").glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text()
    )
    assert set(COMMANDS) <= set(with_main)
    assert set(with_main) - set(COMMANDS) == {"cli"}  # scripts/up's own helper; it has it too


@pytest.mark.parametrize("command", [*COMMANDS, "cli"])
def test_each_command_prints_the_version_and_does_nothing_else(command, tmp_path):
    calls, home = tmp_path / "calls.log", tmp_path / "home"
    recorder(tmp_path / "bin", "pulumi", calls)
    home.mkdir()
    environment = {
        "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", f"providers.{command}", "--version"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{ANNOUNCED}\n", "")
    assert not calls.exists()  # no pulumi command ran
    assert list(home.iterdir()) == []  # nothing installed or stored


def project_with_version(folder: Path, version: str) -> Path:
    """The scripts and the one place, holding `version`: no venv, no providers to run."""
    shutil.copytree(ROOT / "scripts", folder / "scripts")
    core = folder / "providers" / "core"
    core.mkdir(parents=True)
    text = (ROOT / "providers" / "core" / "version.py").read_text()
    core.joinpath("version.py").write_text(
        text.replace(f'VERSION = "{VERSION}"', f'VERSION = "{version}"')
    )
    return folder


@pytest.mark.parametrize(
    "arguments",
    [
        *[[script, "--version"] for script in SCRIPTS],
        ["up", "prod", "--no-install", "--version"],
        ["test", "-q", "--version"],
    ],
    ids=" ".join,
)
def test_each_script_prints_the_version_before_building_or_installing_anything(arguments, tmp_path):
    # Another version than the real one, so a script that printed its own text would fail.
    project = project_with_version(tmp_path / "project", "9.8.7-rc.1")
    calls = tmp_path / "calls.log"
    for name in ("python3", "pulumi", "curl", "pip"):
        recorder(tmp_path / "bin", name, calls)
    done = subprocess.run(
        [str(project / "scripts" / arguments[0]), *arguments[1:]],
        env={
            "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PYTHON": "python3",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{NAMESPACE} 9.8.7-rc.1\n", "")
    assert not calls.exists()
    assert sorted(path.name for path in project.iterdir()) == ["providers", "scripts"]


def test_the_scripts_print_what_the_commands_print(tmp_path):
    project = project_with_version(tmp_path, VERSION)
    done = subprocess.run(
        [str(project / "scripts" / "up"), "--version"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.stdout == f"{ANNOUNCED}\n"


# --- the stack output -----------------------------------------------------------------------

CONFIG = {f"{NAMESPACE}:scimToken": TOKEN, f"{NAMESPACE}:issuedAt": "2026-11-01T09:30:00Z"}


def test_the_stack_exports_the_version_that_ran_it_in_plain_text():
    run = run_program(CONFIG)
    assert run.error is None
    assert run.exports["version"] == VERSION
    assert "version" not in run.secret_exports


def registered_outputs() -> dict[str, object]:
    """The outputs the SDK registers for the stack, as it does even when the program raised
    (pulumi/pulumi sdk/python/lib/pulumi/runtime/stack.py, `_finish` in a `finally`)."""
    return dict(getattr(settings.get_root_resource(), "outputs", {}))


def test_a_run_stopped_by_a_wrong_setting_registers_no_version_so_the_stack_keeps_its_own():
    run = run_program({**CONFIG, f"{NAMESPACE}:lifetimeDays": "many"})
    assert run.error is not None
    assert "version" not in registered_outputs()


def test_a_run_stopped_after_the_tokens_outputs_registers_no_version(monkeypatch):
    def broken(*_):
        raise RuntimeError("stopped while wiring the apps")

    monkeypatch.setattr(program, "wire_apps", broken)
    run = run_program(CONFIG)
    assert isinstance(run.error, RuntimeError)
    outputs = registered_outputs()
    assert "tokenFingerprint" in outputs
    assert "version" not in outputs


# --- CHANGELOG.md and the upgrade notes -----------------------------------------------------


def test_the_changelog_has_keep_a_changelogs_form():
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]"
    assert all(RELEASE.match(line) for line in headings[1:]), headings
    releases = released_versions()
    assert releases
    versions = [version for version, _ in releases]
    assert all(SEMVER.match(version) for version in versions)
    assert versions == sorted(versions, key=key, reverse=True)  # newest first
    dates = [day for _, day in releases]
    assert dates == sorted(dates, reverse=True)
    kinds = {line[4:] for line in text.splitlines() if line.startswith("### ")}
    assert kinds <= SECTIONS
    # Each heading links to its changes: Unreleased since the newest tag, each release its tag.
    links = dict(re.findall(r"^\[([^\]]+)\]: (\S+)$", text, re.M))
    assert links["unreleased"].endswith(f"compare/v{versions[0]}...HEAD")
    for older, newer in zip([*versions[1:], None], versions, strict=True):
        wanted = f"compare/v{older}...v{newer}" if older else f"releases/tag/v{newer}"
        assert links[newer].endswith(wanted)


def test_the_code_holds_the_newest_released_version():
    assert SEMVER.match(VERSION)
    [newest, *_] = released_versions()
    assert newest[0] == VERSION


def test_the_upgrade_notes_speak_of_versions_the_changelog_lists_never_of_commits():
    text = (ROOT / "docs" / "how-it-works.md").read_text()
    start = text.index("\n## Upgrading\n")
    notes = text[start : text.index("\n## ", start + 1)]
    named = set(re.findall(r"\b\d+\.\d+\.\d+\b", notes))
    assert named
    assert named <= {version for version, _ in released_versions()}
    assert not re.search(r"\bcommit\b|\b[0-9a-f]{7,40}\b", notes)
    for heading in re.findall(r"^### (.+)$", notes, re.M):
        assert re.fullmatch(r"From (before )?\d+\.\d+\.\d+", heading), heading


# --- the license and the metadata -----------------------------------------------------------


def test_the_license_is_the_apache_license_2_0_byte_for_byte():
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_SHA256


def test_the_metadata_declares_the_license_and_takes_the_version_from_the_one_place():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    assert project["project"]["license-files"] == ["LICENSE"]
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    module, _, name = project["tool"]["setuptools"]["dynamic"]["version"]["attr"].rpartition(".")
    assert getattr(importlib.import_module(module), name) == VERSION
    template = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert template["license"] == project["project"]["license"]
    assert template["name"] == NAMESPACE == ANNOUNCED.split(" ")[0]


def test_the_policy_pack_carries_the_version():
    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert pack["version"] == VERSION
