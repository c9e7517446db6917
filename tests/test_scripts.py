"""The README's two commands as a user runs them: scripts/up against a stand-in `pulumi`."""

import os
import subprocess
from pathlib import Path

import pytest

from testbed import ROOT
from testbed.stand_ins.pulumi_cli import install
from tests.doubles import TOKEN

UP = ROOT / "scripts" / "up"
SYSTEM_PATH = "/usr/bin:/bin"


def run_up(*arguments: str, path: str, home: Path, extra: dict[str, str] | None = None):
    environment = {"PATH": path, "HOME": str(home), **(extra or {})}
    return subprocess.run(
        ["/bin/bash", str(UP), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def cli(tmp_path):
    return install(tmp_path / "bin", {"config": {"druva-scim:scimToken": TOKEN}})


def test_without_the_pulumi_cli_it_says_how_to_install_it_and_stops(tmp_path):
    assert not any((Path(d) / "pulumi").exists() for d in SYSTEM_PATH.split(":"))
    result = run_up("dev", path=SYSTEM_PATH, home=tmp_path)
    assert result.returncode == 127
    assert "The Pulumi CLI is not installed" in result.stderr
    assert "https://www.pulumi.com/docs/install/" in result.stderr


def test_without_a_stack_it_prints_its_usage(tmp_path, cli):
    result = run_up(path=cli.path_first(), home=tmp_path)
    assert result.returncode == 64 and "usage: scripts/up STACK" in result.stderr
    assert cli.calls() == []


def test_not_logged_in_it_uses_a_local_file_backend(tmp_path, cli):
    cli.set_state({**cli.state(), "logged_in": False})
    result = run_up("dev", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path)
    assert result.returncode == 0, result.stderr
    backend = f"file://{tmp_path}/.pulumi-druva-scim"
    assert backend in result.stderr
    assert (tmp_path / ".pulumi-druva-scim").is_dir()
    calls = cli.calls()
    assert [call["command"] for call in calls] == [
        "whoami",
        "stack select --create dev",
        "up --continue-on-error",
    ]
    assert calls[-1]["stack"] == "dev"
    assert all(call["env"].get("PULUMI_BACKEND_URL") == backend for call in calls[1:])
    assert cli.state()["deployed"]["token"] == TOKEN


def test_logged_in_it_keeps_the_users_backend(tmp_path, cli):
    result = run_up("prod", "--yes", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "local file backend" not in result.stderr
    up = cli.calls()[-1]
    assert up["command"] == "up --continue-on-error --yes"
    assert "PULUMI_BACKEND_URL" not in up["env"]


def test_an_explicit_backend_is_left_alone(tmp_path, cli):
    result = run_up(
        "prod",
        path=f"{cli.directory}:{SYSTEM_PATH}",
        home=tmp_path,
        extra={"PULUMI_BACKEND_URL": "azblob://state"},
    )
    assert result.returncode == 0, result.stderr
    assert cli.commands()[0] == "stack select --create prod"
    assert all(call["env"]["PULUMI_BACKEND_URL"] == "azblob://state" for call in cli.calls())


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test          # the tests" in readme
    assert "exec scripts/test" in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK) and os.access(UP, os.X_OK)
