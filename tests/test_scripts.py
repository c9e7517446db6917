"""The README's two commands as a user runs them: scripts/up against a stand-in `pulumi`.

Each run is of a copy of the project (`project`), so that what scripts/up stores in the
project (./venv, .druva-scim/backend) stays in the test's folder. PYTHON points at a stand-in
interpreter (`fake_python`) whose `-m venv` makes a venv/bin/python that records `pip` and runs
everything else with this test's Python, so building the venv costs nothing and installs
nothing.
"""

import json
import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from providers.cli import manual_install
from providers.install import RELEASES_VARIABLE, VERSION_FILE, archive_name, pinned_version
from testbed import ROOT
from testbed.stand_ins.pulumi_cli import PulumiStandIn, install
from testbed.stand_ins.releases import PulumiReleases, checksums_name, tarball
from testbed.stand_ins.server import closed_port
from tests.doubles import PASSING_PREFLIGHT, TOKEN

PINNED = pinned_version(VERSION_FILE)

SYSTEM_PATH = "/usr/bin:/bin"
PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "correct horse battery staple"}
CLOUD = "https://api.pulumi.com"
NOT_COPIED = shutil.ignore_patterns(
    "venv", ".git", "__pycache__", ".*_cache", ".hypothesis", ".druva-scim", "out"
)

FAKE_PYTHON = """#!/bin/bash
printf '%s\\n' "$*" >> {log}
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin"
  cat > "$3/bin/python" <<'WRAPPER'
#!/bin/bash
if [ "$1" = -m ] && [ "$2" = pip ]; then printf 'venv: %s\\n' "$*" >> {log}; exit 0; fi
exec {real} "$@"
WRAPPER
  chmod +x "$3/bin/python"
  exit 0
fi
exec {real} "$@"
"""


class Project:
    """A copy of the project, with the stand-in interpreter scripts/up builds ./venv with."""

    def __init__(self, folder: Path) -> None:
        shutil.copytree(ROOT, folder, ignore=NOT_COPIED)
        self.folder = folder
        self.python_log = folder.parent / "python.log"
        self.python = folder.parent / "python3"
        self.python.write_text(FAKE_PYTHON.format(log=self.python_log, real=sys.executable))
        self.python.chmod(self.python.stat().st_mode | stat.S_IXUSR)

    @property
    def up(self) -> Path:
        return self.folder / "scripts" / "up"

    def interpreter_calls(self) -> list[str]:
        if not self.python_log.exists():
            return []
        return self.python_log.read_text().splitlines()

    def stored_backend(self) -> str | None:
        stored = self.folder / ".druva-scim" / "backend"
        return stored.read_text().strip() if stored.exists() else None

    def run(self, *arguments: str, path: str, home: Path, extra: dict[str, str] | None = None):
        environment = {"PATH": path, "HOME": str(home), "PYTHON": str(self.python)}
        return subprocess.run(
            ["/bin/bash", str(self.up), *arguments],
            env={**environment, **(extra or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def run_calls(cli) -> list[dict[str, Any]]:
    """The pulumi calls of a run, less `pulumi version` (see run_commands)."""
    return [call for call in cli.calls() if call["command"] != "version"]


def run_commands(cli) -> list[str]:
    """The pulumi commands of a run, less `pulumi version`: the installer's check that the CLI
    on PATH is the pinned one (tested on its own)."""
    return [command for command in cli.commands() if command != "version"]


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "project")


def log_in(home: Path, url: str = CLOUD) -> None:
    """A login as `pulumi login` stores it: credentials.json's `current` and its token
    (pulumi/pulumi sdk/go/common/workspace/creds.go Credentials, Account)."""
    folder = home / ".pulumi"
    folder.mkdir(parents=True, exist_ok=True)
    token = "pul-0123456789abcdef0123456789abcdef01234567"
    (folder / "credentials.json").write_text(
        json.dumps(
            {
                "current": url,
                "accessTokens": {url: token},
                "accounts": {url: {"accessToken": token, "username": "alice"}},
            }
        )
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


# --- ./venv and the CLI -------------------------------------------------------------------


def test_a_fresh_clone_builds_its_venv_then_installs_the_cli_and_goes_on(
    tmp_path, project, fake_download
):
    assert not any((Path(d) / "pulumi").exists() for d in SYSTEM_PATH.split(":"))
    assert not (project.folder / "venv").exists()
    result = project.run(
        "dev", path=SYSTEM_PATH, home=tmp_path, extra={**fake_download("install"), **PASSPHRASE}
    )
    assert result.returncode == 0, result.stderr
    assert "Preparing ./venv from requirements.txt" in result.stderr
    assert project.interpreter_calls()[:2] == [
        "-m venv venv",
        "venv: -m pip install --quiet --disable-pip-version-check -r requirements.txt "
        "-c constraints.txt",
    ]
    root = tmp_path / ".pulumi" / "versions" / PINNED
    assert downloads(fake_download) == [checksums_name(PINNED), archive_name(PINNED)]
    assert f"installing version {PINNED} (.pulumi.version) into {root}" in result.stderr
    assert "installs the Python language plugin and the azuread and okta" in result.stderr
    cli = PulumiStandIn(root / "bin")
    assert cli.commands()[0] == "version"  # the installed CLI is run before it is used
    assert run_commands(cli) == [
        "stack select dev",
        "config get druva-scim:scimToken",
        "up --continue-on-error",
    ]
    assert all(call["env"]["PATH"].startswith(f"{root / 'bin'}:") for call in cli.calls()[1:])
    assert cli.state()["deployed"]["token"] == TOKEN


def test_a_pulumi_on_path_of_another_version_gives_way_to_the_pinned_one(
    tmp_path, project, fake_download
):
    # The pre-flight wants the pinned CLI: scripts/up puts it first on PATH.
    other = install(tmp_path / "other", {"version": "3.100.0"})
    result = project.run(
        "dev",
        path=f"{other.directory}:{SYSTEM_PATH}",
        home=tmp_path,
        extra={**fake_download("install"), **PASSPHRASE},
    )
    assert result.returncode == 0, result.stderr
    root = tmp_path / ".pulumi" / "versions" / PINNED
    assert f"using the pinned {PINNED} in {root / 'bin'}" in result.stderr
    assert other.commands() == ["version"]  # asked, never used
    assert run_commands(PulumiStandIn(root / "bin"))[-1] == "up --continue-on-error"


def test_the_venv_is_built_again_only_when_the_requirements_change(tmp_path, project, cli):
    path, extra = f"{cli.directory}:{SYSTEM_PATH}", PASSPHRASE
    assert project.run("dev", path=path, home=tmp_path, extra=extra).returncode == 0
    built = project.interpreter_calls()
    assert project.run("dev", path=path, home=tmp_path, extra=extra).returncode == 0
    assert project.interpreter_calls() == built
    requirements = project.folder / "requirements.txt"
    requirements.write_text(requirements.read_text() + "# a new pin\n")
    again = project.run("dev", path=path, home=tmp_path, extra=extra)
    assert again.returncode == 0, again.stderr
    assert project.interpreter_calls() == built * 2


def test_a_venv_that_cannot_be_built_stops_with_what_to_fix(tmp_path, project, cli):
    project.python.write_text("#!/bin/bash\necho 'No module named venv' >&2; exit 1\n")
    result = project.run("dev", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path)
    assert result.returncode == 1
    assert "could not build ./venv" in result.stderr and "PYTHON" in result.stderr
    assert cli.calls() == []


@pytest.mark.parametrize(
    ("arguments", "extra"),
    [(("dev", "--no-install"), {}), (("dev",), {"DRUVA_SCIM_NO_INSTALL": "1"})],
    ids=["flag", "variable"],
)
def test_a_refused_install_says_the_manual_way_and_stops(
    tmp_path, project, fake_download, arguments, extra
):
    environment = {**fake_download("fail"), **extra}
    result = project.run(*arguments, path=SYSTEM_PATH, home=tmp_path, extra=environment)
    assert result.returncode == 127
    assert "installing it was refused" in result.stderr
    assert (
        f"pulumi-{PINNED}-checksums.txt from https://get.pulumi.com/releases/sdk/" in result.stderr
    )
    assert downloads(fake_download) == []


def test_a_failed_download_ends_with_one_sentence_and_no_traceback(
    tmp_path, project, fake_download
):
    result = project.run("dev", path=SYSTEM_PATH, home=tmp_path, extra=fake_download("fail"))
    assert result.returncode == 127
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Preparing ./venv")
    assert lines[1].startswith("The Pulumi CLI is not on PATH: installing version")
    assert lines[2:] == [
        f"druva-scim install: could not install the Pulumi CLI {PINNED}: the download from "
        f"{fake_download.refused} failed (connection refused); nothing was installed; "
        f"{manual_install(PINNED)}."
    ]
    assert result.stdout == ""


def test_without_a_stack_it_prints_its_usage(tmp_path, project, cli):
    result = project.run(path=cli.path_first(), home=tmp_path)
    assert result.returncode == 64 and "usage: scripts/up STACK" in result.stderr
    assert cli.calls() == []


# --- one backend ----------------------------------------------------------------------------


def test_with_no_login_at_all_the_local_backend_is_stored_for_every_command(tmp_path, project, cli):
    result = project.run(
        "dev", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path, extra=PASSPHRASE
    )
    assert result.returncode == 0, result.stderr
    backend = f"file://{tmp_path}/.pulumi-druva-scim"
    assert f"using the local file backend {backend}" in result.stderr
    assert (tmp_path / ".pulumi-druva-scim").is_dir()
    assert project.stored_backend() == backend
    calls = run_calls(cli)
    assert [call["command"] for call in calls] == [
        "stack select dev",
        "config get druva-scim:scimToken",
        "up --continue-on-error",
    ]
    assert calls[-1]["stack"] == "dev"
    assert all(call["env"].get("PULUMI_BACKEND_URL") == backend for call in calls)
    assert cli.state()["deployed"]["token"] == TOKEN
    # The gate, run afterwards by hand without PULUMI_BACKEND_URL, asks the same backend.
    python = str(project.folder / "venv" / "bin" / "python")
    subprocess.run(
        [python, "-m", "providers.status", "--stack", "dev"],
        cwd=project.folder,
        env={"PATH": f"{cli.directory}:{SYSTEM_PATH}", "HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.calls()[-1]["command"] == "stack output --json"
    assert cli.calls()[-1]["env"]["PULUMI_BACKEND_URL"] == backend


def test_a_stored_backend_is_kept_after_a_login(tmp_path, project, cli):
    path = f"{cli.directory}:{SYSTEM_PATH}"
    assert project.run("dev", path=path, home=tmp_path, extra=PASSPHRASE).returncode == 0
    log_in(tmp_path)
    result = project.run("dev", path=path, home=tmp_path, extra=PASSPHRASE)
    assert result.returncode == 0, result.stderr
    backend = f"file://{tmp_path}/.pulumi-druva-scim"
    assert f"Using the backend stored in .druva-scim/backend: {backend}" in result.stderr
    assert "whoami" not in run_commands(cli)
    assert cli.calls()[-1]["env"]["PULUMI_BACKEND_URL"] == backend


def test_logged_in_it_keeps_the_users_backend(tmp_path, project, cli):
    log_in(tmp_path)
    result = project.run("prod", "--yes", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "local file backend" not in result.stderr
    # whoami's url for Pulumi Cloud is its console page: shown, never made the backend.
    assert "Using the backend you are logged in to: https://app.pulumi.com/alice" in result.stderr
    # A CLI on PATH is used as it is: nothing installed.
    assert "installing" not in result.stderr and not (tmp_path / ".pulumi" / "versions").exists()
    assert project.stored_backend() is None
    assert run_commands(cli)[:2] == ["whoami --json", "stack select prod"]
    up = cli.calls()[-1]
    assert up["command"] == "up --continue-on-error --yes"
    assert "PULUMI_BACKEND_URL" not in up["env"]  # the login, as every command reads it


ACCESS_TOKEN = "pul-fedcba9876543210fedcba9876543210fedcba98"


@pytest.mark.parametrize(
    ("login", "message"),
    [
        # apitype.ErrorResponse's form `[code] message` (sdk/go/common/apitype/errors.go),
        # for a 503 whose body is the gateway's text: a variation, no answer is documented.
        ("file", "error: [503] Service Unavailable"),
        # An expired or revoked token is a 401: LoginRequiredError's words
        # (pkg/backend/backenderr/backenderr.go).
        ("file", "error: this command requires logging in; try running `pulumi login` first"),
        # Go's dial error without a network: a variation; it echoes the token to prove that
        # what is shown is redacted.
        (
            "variable",
            "error: could not reach https://api.pulumi.com with "
            + ACCESS_TOKEN
            + ": dial tcp: lookup api.pulumi.com: no such host",
        ),
    ],
    ids=["503", "expired-token", "no-network"],
)
def test_a_login_that_fails_stops_instead_of_switching_backends(
    tmp_path, project, cli, login, message
):
    if login == "file":
        log_in(tmp_path)
    cli.set_state({**cli.state(), "fail": {"whoami": {"code": 255, "message": message}}})
    extra = {**PASSPHRASE, **({"PULUMI_ACCESS_TOKEN": ACCESS_TOKEN} if login == "variable" else {})}
    result = project.run("prod", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path, extra=extra)
    assert result.returncode == 1
    assert "`pulumi whoami` failed with exit code 255: error:" in result.stderr
    assert "does not switch to another backend" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert ACCESS_TOKEN not in result.stderr
    assert run_commands(cli) == ["whoami --json"]
    assert project.stored_backend() is None and not (tmp_path / ".pulumi-druva-scim").exists()


def test_an_explicit_backend_is_left_alone(tmp_path, project, cli):
    result = project.run(
        "prod",
        path=f"{cli.directory}:{SYSTEM_PATH}",
        home=tmp_path,
        extra={"PULUMI_BACKEND_URL": "azblob://state", **PASSPHRASE},
    )
    assert result.returncode == 0, result.stderr
    assert run_commands(cli)[0] == "stack select prod"
    assert all(call["env"]["PULUMI_BACKEND_URL"] == "azblob://state" for call in run_calls(cli))
    assert project.stored_backend() is None


def test_a_stack_that_does_not_exist_is_created_and_said_so(tmp_path, project, cli):
    cli.set_state({**cli.state(), "stacks": []})
    result = project.run(
        "dev", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path, extra=PASSPHRASE
    )
    assert result.returncode == 0, result.stderr
    backend = f"file://{tmp_path}/.pulumi-druva-scim"
    assert f"Created stack dev in backend {backend}." in result.stderr
    assert run_commands(cli)[:2] == ["stack select dev", "stack init dev"]
    assert cli.state()["stacks"] == ["dev"]


def test_a_stack_that_cannot_be_selected_is_not_created(tmp_path, project, cli):
    failure = {"code": 255, "message": "error: [403] Forbidden: access denied"}
    cli.set_state({**cli.state(), "fail": {"stack select": failure}})
    result = project.run(
        "dev", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path, extra=PASSPHRASE
    )
    assert result.returncode == 1
    assert "`pulumi stack select dev` failed with exit code 255: error: [403]" in result.stderr
    assert run_commands(cli) == ["stack select dev"]


# --- the passphrase -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [{}, {"PULUMI_BACKEND_URL": "azblob://state"}],
    ids=["local-backend", "azure-blob"],
)
def test_without_a_terminal_a_passphrase_that_is_not_set_stops_before_anything(
    tmp_path, project, cli, extra
):
    result = project.run("dev", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path, extra=extra)
    assert result.returncode == 1
    assert "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert run_calls(cli) == []
    assert project.stored_backend() is None and not (tmp_path / ".pulumi-druva-scim").exists()


def test_a_passphrase_file_that_cannot_be_read_stops_before_anything(tmp_path, project, cli):
    missing = tmp_path / "no-such-passphrase"
    extra = {"PULUMI_CONFIG_PASSPHRASE_FILE": str(missing)}
    result = project.run("dev", path=f"{cli.directory}:{SYSTEM_PATH}", home=tmp_path, extra=extra)
    assert result.returncode == 1
    assert f"PULUMI_CONFIG_PASSPHRASE_FILE names {missing}, which cannot be read" in result.stderr
    assert run_calls(cli) == []


def answer_at_a_terminal(
    command: list[str], environment: dict[str, str], replies, folder: Path = ROOT
) -> str:
    """Run `command` in `folder` on a pseudo-terminal, typing each reply once its prompt has
    appeared; everything the terminal showed."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: its terminal is the pseudo-terminal
        os.chdir(folder)
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


def test_at_a_terminal_the_passphrase_is_asked_once_for_every_command(tmp_path, project, cli):
    passphrase = "a passphrase typed once"
    environment = {
        "PATH": f"{cli.directory}:{SYSTEM_PATH}",
        "HOME": str(tmp_path),
        "PYTHON": str(project.python),
    }
    shown = answer_at_a_terminal(
        ["/bin/bash", str(project.up), "dev"],
        environment,
        [("Passphrase (input hidden)", passphrase), ("The same passphrase again", passphrase)],
        project.folder,
    )
    assert passphrase not in shown
    assert run_commands(cli)[-1] == "up --continue-on-error"
    assert all(call["env"]["PULUMI_CONFIG_PASSPHRASE"] == passphrase for call in run_calls(cli)), (
        shown
    )


def test_a_stack_without_a_token_gets_the_guided_first_run_then_pulumi_up(tmp_path, project):
    cli = install(tmp_path / "bin", {})
    environment = {
        "PATH": f"{cli.directory}:{SYSTEM_PATH}",
        "HOME": str(tmp_path),
        "PYTHON": str(project.python),
        **PASSPHRASE,
        **PASSING_PREFLIGHT,
    }
    shown = answer_at_a_terminal(
        ["/bin/bash", str(project.up), "dev"],
        environment,
        [
            ("Type yes", "yes"),
            ("Object ID", "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"),
            ("Object ID", ""),
            ("Okta:", ""),
            ("input hidden", TOKEN),
            ("Enter for now", ""),
        ],
        project.folder,
    )
    assert TOKEN not in shown  # the terminal did not echo it, nor did anything print it
    assert "ONE new token" in shown and "`pulumi up` runs now" in shown
    assert shown.index("Okta:") < shown.index("now click New Token") < shown.index("input hidden")
    apps = '[{"name": "druva-azure", "servicePrincipalId": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"}]'
    assert json.loads(cli.state()["config"]["druva-scim:azureApps"]) == json.loads(apps)
    assert [command.split(" --json ")[0] for command in run_commands(cli)[-4:]] == [
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
    assert os.access(ROOT / ".ci" / "run", os.X_OK) and os.access(ROOT / "scripts" / "up", os.X_OK)
