"""providers/cli.py: one backend for every pulumi command, and secrets without a terminal."""

import json
import sys
from pathlib import Path

import pytest

from providers import cli
from testbed.stand_ins.pulumi_cli import install

STORED = "file:///home/alice/.pulumi-druva-scim"


@pytest.fixture(autouse=True)
def backend_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's stored backend, never the project's."""
    path = tmp_path / "project" / ".druva-scim" / "backend"
    monkeypatch.setattr(cli, "BACKEND_FILE", path)
    return path


def store(path: Path, url: str = STORED) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url + "\n")


# --- every pulumi command gets the stored backend -----------------------------------------


def test_every_pulumi_command_gets_the_stored_backend(tmp_path, backend_file):
    store(backend_file)
    stand_in = install(tmp_path / "bin", {"config": {"druva-scim:issuedAt": "x"}})
    pulumi = cli.Pulumi(str(stand_in.directory / "pulumi"), "dev", {"PATH": "/usr/bin:/bin"})
    pulumi.capture("config", "get", "druva-scim:issuedAt")
    pulumi.run_attached("stack", "--show-name")
    assert [call["env"]["PULUMI_BACKEND_URL"] for call in stand_in.calls()] == [STORED] * 2
    assert "PULUMI_BACKEND_URL" not in pulumi.environment  # the caller's mapping is its own


def test_a_backend_the_environment_names_wins_over_the_stored_one(backend_file):
    store(backend_file)
    named = {"PULUMI_BACKEND_URL": "azblob://state"}
    assert cli.pulumi_environment(named)["PULUMI_BACKEND_URL"] == "azblob://state"
    # Empty, as the pipelines set it for Pulumi Cloud, names none.
    assert cli.pulumi_environment({"PULUMI_BACKEND_URL": ""})["PULUMI_BACKEND_URL"] == STORED


def test_without_a_stored_backend_the_environment_is_left_as_it_is():
    assert cli.pulumi_environment({"HOME": "/home/alice"}) == {"HOME": "/home/alice"}


# --- whether a login exists ---------------------------------------------------------------


def credentials(folder: Path, text: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "credentials.json").write_text(text)
    return {"HOME": str(folder.parent)}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (None, False),
        ("", False),  # the CLI reads an empty file as none (creds.go readCredentialsFile)
        (json.dumps({"accessTokens": {"https://api.pulumi.com": "pul-x"}}), False),
        (json.dumps({"current": "https://api.pulumi.com"}), True),
        ("\x00envelope", True),  # encrypted (securestore) or broken: may hold a login
    ],
    ids=["no-file", "empty", "no-current", "current", "unreadable"],
)
def test_a_login_is_the_credentials_files_current_one(tmp_path, text, found):
    home = tmp_path / "home"
    environment = {"HOME": str(home)}
    if text is not None:
        environment = credentials(home / ".pulumi", text)
    assert (cli.existing_login(environment) is not None) is found


def test_the_credentials_file_is_where_the_cli_keeps_it(tmp_path):
    folder = tmp_path / "elsewhere"
    credentials(folder, json.dumps({"current": "https://api.pulumi.com"}))
    for variable in ("PULUMI_HOME", "PULUMI_CREDENTIALS_PATH"):
        environment = {"HOME": str(tmp_path / "home"), variable: str(folder)}
        assert cli.existing_login(environment) == (
            f"{folder / 'credentials.json'} logs in to https://api.pulumi.com"
        )


def test_an_access_token_in_the_environment_is_a_login(tmp_path):
    login = cli.existing_login({"HOME": str(tmp_path), "PULUMI_ACCESS_TOKEN": "pul-x"})
    assert login == "PULUMI_ACCESS_TOKEN is set"


def test_with_no_login_the_local_backend_is_chosen_and_stored(tmp_path, backend_file):
    chosen = cli.choose_backend("/no/pulumi", {"HOME": str(tmp_path)})
    assert chosen.url == f"file://{tmp_path}/.pulumi-druva-scim"
    assert not backend_file.exists()  # stored only once the run goes on
    cli.store_backend(chosen)
    assert backend_file.read_text().strip() == chosen.url
    assert (tmp_path / ".pulumi-druva-scim").is_dir()


def test_a_login_whoami_cannot_use_is_an_error_and_nothing_is_stored(tmp_path, backend_file):
    stand_in = install(tmp_path / "bin", {"logged_in": False})
    environment = {"HOME": str(tmp_path), "PULUMI_ACCESS_TOKEN": "pul-x"}
    with pytest.raises(cli.BackendError, match="does not switch to another backend"):
        cli.choose_backend(str(stand_in.directory / "pulumi"), environment)
    assert not backend_file.exists()
    assert stand_in.commands() == ["whoami --json"]


# --- secrets without a terminal -----------------------------------------------------------


def stack_file(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.prod.yaml").write_text(text)
    return folder


SALTED = "encryptionsalt: v1:abcdefghijk=:v1:lmnopqrstu:vwxyz0123456789==\nconfig: {}\n"


@pytest.mark.parametrize(
    ("text", "environment", "fine"),
    [
        (SALTED, {}, False),
        (SALTED, {"PULUMI_CONFIG_PASSPHRASE": ""}, True),  # an empty passphrase is one
        (SALTED, {"PULUMI_CONFIG_PASSPHRASE": "word"}, True),
        (SALTED, {"PULUMI_CONFIG_PASSPHRASE_FILE": ""}, False),  # the CLI ignores it empty
        ("secretsprovider: azurekeyvault://vault.vault.azure.net/keys/k\n", {}, True),
        ("secretsprovider: awskms://alias/druva?region=us-east-1\n", {}, True),
        ("config: {}\n", {"PULUMI_BACKEND_URL": "file:///state"}, False),
        ("config: {}\n", {"PULUMI_BACKEND_URL": "s3://state"}, False),
        ("config: {}\n", {"PULUMI_BACKEND_URL": "https://api.pulumi.com"}, True),
        ("config: {}\n", {}, True),  # no backend yet: the backend's own check says so
    ],
    ids=[
        "passphrase-unset",
        "passphrase-empty",
        "passphrase-set",
        "passphrase-file-empty",
        "azure-key-vault",
        "aws-kms",
        "new-on-file",
        "new-on-s3",
        "new-on-pulumi-cloud",
        "new-without-backend",
    ],
)
def test_which_secrets_providers_work_without_a_terminal(tmp_path, text, environment, fine):
    stacks = stack_file(tmp_path / "stacks", text)
    problem = cli.secrets_without_terminal("acme/druva-scim/prod", environment, stacks=stacks)
    assert (problem is None) is fine
    if problem:
        assert "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" in problem


def test_a_stack_not_created_yet_takes_the_stored_backends_provider(tmp_path, backend_file):
    store(backend_file)
    problem = cli.secrets_without_terminal("prod", {}, stacks=tmp_path / "no-stacks")
    assert problem is not None and f"its backend {STORED}" in problem


def test_a_passphrase_file_must_be_readable(tmp_path):
    stacks = stack_file(tmp_path / "stacks", SALTED)
    named = tmp_path / "passphrase"
    environment = {"PULUMI_CONFIG_PASSPHRASE_FILE": str(named)}
    problem = cli.secrets_without_terminal("prod", environment, stacks=stacks)
    assert problem is not None and f"names {named}, which cannot be read" in problem
    named.write_text("word\n")
    assert cli.secrets_without_terminal("prod", environment, stacks=stacks) is None


def test_the_command_stops_without_a_terminal_and_says_both_variables(
    tmp_path, monkeypatch, capsys, backend_file
):
    stand_in = install(tmp_path / "bin", {})
    monkeypatch.setenv("PATH", str(stand_in.directory))
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert cli.main(["backend", "prod"]) == cli.STOPPED
    shown = capsys.readouterr()
    assert shown.out == ""
    assert "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" in shown.err
    assert stand_in.calls() == [] and not backend_file.exists()


def test_a_backend_url_with_credentials_is_never_said_whole(tmp_path):
    url = "postgres://admin:s3cr3t-pw@db.example:5432/pulumi?sslmode=require"
    chosen = cli.choose_backend("pulumi", {"PULUMI_BACKEND_URL": url, "HOME": str(tmp_path)})
    assert chosen.url == url  # used as given
    assert "s3cr3t-pw" not in chosen.said and "admin" not in chosen.said
    assert "postgres://db.example:5432/pulumi" in chosen.said
