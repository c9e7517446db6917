"""The README's two commands as a user runs them: scripts/up against a stand-in `pulumi`."""

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from providers.cli import manual_install
from providers.install import RELEASES_VARIABLE, VERSION_FILE, archive_name, pinned_version
from testbed import ROOT
from testbed.stand_ins.pulumi_cli import PulumiStandIn, install
from testbed.stand_ins.releases import PulumiReleases, checksums_name, tarball
from testbed.stand_ins.server import closed_port
from tests.doubles import PASSING_PREFLIGHT, TOKEN

PINNED = pinned_version(VERSION_FILE)

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


@pytest.fixture
def fake_download(tmp_path):
    """The environment that points the installer at a stand-in of get.pulumi.com's release
    files; `mode` "install" serves the stand-in CLI as the pinned release, "fail" is a port
    where nothing listens, as without a network."""
    template = install(tmp_path / "template", {"config": {"druva-scim:scimToken": TOKEN}})
    files = {f"pulumi/{path.name}": path.read_bytes() for path in template.directory.iterdir()}
    with PulumiReleases() as releases:
        releases.publish(PINNED, {archive_name(PINNED): tarball(files)})
        refused = f"http://127.0.0.1:{closed_port()}/releases/sdk/"

        def environment(mode: str) -> dict[str, str]:
            return {RELEASES_VARIABLE: releases.url if mode == "install" else refused}

        environment.releases = releases  # type: ignore[attr-defined]
        environment.refused = refused  # type: ignore[attr-defined]
        yield environment


def downloads(fake_download) -> list[str]:
    releases: PulumiReleases = fake_download.releases
    return releases.downloads()


def test_without_the_pulumi_cli_it_installs_the_pinned_one_and_goes_on(tmp_path, fake_download):
    assert not any((Path(d) / "pulumi").exists() for d in SYSTEM_PATH.split(":"))
    result = run_up("dev", path=SYSTEM_PATH, home=tmp_path, extra=fake_download("install"))
    assert result.returncode == 0, result.stderr
    root = tmp_path / ".pulumi" / "versions" / PINNED
    assert downloads(fake_download) == [checksums_name(PINNED), archive_name(PINNED)]
    assert f"installing version {PINNED} (.pulumi.version) into {root}" in result.stderr
    assert "installs the Python language plugin and the azuread and okta" in result.stderr
    cli = PulumiStandIn(root / "bin")
    assert cli.commands() == [
        "version",
        "whoami",
        "stack select --create dev",
        "config get druva-scim:scimToken",
        "up --continue-on-error",
    ]
    assert all(call["env"]["PATH"].startswith(f"{root / 'bin'}:") for call in cli.calls()[1:])
    assert cli.state()["deployed"]["token"] == TOKEN


@pytest.mark.parametrize(
    ("arguments", "extra"),
    [(("dev", "--no-install"), {}), (("dev",), {"DRUVA_SCIM_NO_INSTALL": "1"})],
    ids=["flag", "variable"],
)
def test_a_refused_install_says_the_manual_way_and_stops(tmp_path, fake_download, arguments, extra):
    environment = {**fake_download("fail"), **extra}
    result = run_up(*arguments, path=SYSTEM_PATH, home=tmp_path, extra=environment)
    assert result.returncode == 127
    assert "installing it was refused" in result.stderr
    assert f"curl -fsSL https://get.pulumi.com | sh -s -- --version {PINNED}" in result.stderr
    assert downloads(fake_download) == []


def test_a_failed_download_ends_with_one_sentence_and_no_traceback(tmp_path, fake_download):
    result = run_up("dev", path=SYSTEM_PATH, home=tmp_path, extra=fake_download("fail"))
    assert result.returncode == 127
    lines = result.stderr.splitlines()
    assert lines[0].startswith("The Pulumi CLI is not on PATH: installing version")
    assert lines[1:] == [
        f"druva-scim install: could not install the Pulumi CLI {PINNED}: the download from "
        f"{fake_download.refused} failed (connection refused); nothing was installed; "
        f"{manual_install(PINNED)}."
    ]
    assert result.stdout == ""


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
        "config get druva-scim:scimToken",
        "up --continue-on-error",
    ]
    assert calls[-1]["stack"] == "dev"
    assert all(call["env"].get("PULUMI_BACKEND_URL") == backend for call in calls[1:])
    assert cli.state()["deployed"]["token"] == TOKEN


def test_logged_in_it_keeps_the_users_backend(tmp_path, cli):
    result = run_up("prod", "--yes", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "local file backend" not in result.stderr
    # A CLI on PATH is used as it is: nothing installed.
    assert "installing" not in result.stderr and not (tmp_path / ".pulumi").exists()
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


def answer_at_a_terminal(command: list[str], environment: dict[str, str], replies) -> str:
    """Run `command` on a pseudo-terminal, typing each reply once its prompt has appeared;
    everything the terminal showed."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: its terminal is the pseudo-terminal
        os.chdir(ROOT)
        os.execve(command[0], command, environment)  # noqa: S606  (fixed argv, no shell)
    shown, pending = b"", list(replies)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        if pending and pending[0][0].encode() in shown.rsplit(b"\n", 1)[-1]:
            os.write(terminal, pending.pop(0)[1].encode() + b"\n")
    os.waitpid(pid, 0)
    os.close(terminal)
    return shown.decode(errors="replace")


def test_a_stack_without_a_token_gets_the_guided_first_run_then_pulumi_up(tmp_path):
    cli = install(tmp_path / "bin", {})
    environment = {
        "PATH": f"{cli.directory}:{SYSTEM_PATH}",
        "HOME": str(tmp_path),
        **PASSING_PREFLIGHT,
    }
    shown = answer_at_a_terminal(
        ["/bin/bash", str(UP), "dev"],
        environment,
        [
            ("Type yes", "yes"),
            ("Object ID", "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"),
            ("Object ID", ""),
            ("Okta:", ""),
            ("input hidden", TOKEN),
            ("Enter for now", ""),
        ],
    )
    assert TOKEN not in shown  # the terminal did not echo it, nor did anything print it
    assert "ONE new token" in shown and "`pulumi up` runs now" in shown
    assert shown.index("Okta:") < shown.index("now click New Token") < shown.index("input hidden")
    apps = '[{"name": "druva-azure", "servicePrincipalId": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"}]'
    assert json.loads(cli.state()["config"]["druva-scim:azureApps"]) == json.loads(apps)
    assert [command.split(" --json ")[0] for command in cli.commands()[-4:]] == [
        "config set-all",
        "config set --secret druva-scim:scimToken",
        f"config set druva-scim:issuedAt {cli.state()['config']['druva-scim:issuedAt']}",
        "up --continue-on-error",
    ]
    assert cli.state()["deployed"]["token"] == TOKEN
    assert all(TOKEN not in " ".join(call["argv"]) for call in cli.calls())


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test          # the tests" in readme
    assert "exec scripts/test" in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK) and os.access(UP, os.X_OK)
