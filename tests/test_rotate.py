"""The rotation helper against a stand-in `pulumi` that records argv, stdin and environment.

The token must reach exactly one place, the stdin of `pulumi config set --secret`:
never an argv, a child's environment, our stdout/stderr or a log record.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from providers import lifecycle, rotate
from tests.stand_ins import pulumi_cli
from tests.support import OTHER_TOKEN, TOKEN

ROOT = Path(__file__).resolve().parent.parent
ISSUED = "2026-11-22T09:30:00Z"
OLD = {"deployed": {"token": OTHER_TOKEN, "issuedAt": "2025-12-01T08:00:00Z"}}


@pytest.fixture
def stand_in(tmp_path, monkeypatch) -> pulumi_cli.PulumiStandIn:
    installed = pulumi_cli.install(tmp_path / "bin", json.loads(json.dumps(OLD)))
    monkeypatch.setenv("PATH", installed.path_first())
    return installed


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_helper(monkeypatch, stdin: str, *arguments: str, terminal: bool = False) -> int:
    monkeypatch.setattr(sys, "stdin", Terminal(stdin) if terminal else io.StringIO(stdin))
    return rotate.main(list(arguments))


def assert_token_stayed_secret(stand_in, capsys, caplog):
    for call in stand_in.calls():
        assert all(TOKEN not in argument for argument in call["argv"]), call["command"]
        assert all(TOKEN not in value for value in call["env"].values()), call["command"]
        assert all(TOKEN not in name for name in call["env"]), call["command"]
    captured = capsys.readouterr()
    assert TOKEN not in captured.out
    assert TOKEN not in captured.err
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    return captured


def test_piped_token_goes_to_config_on_stdin_then_up_runs(stand_in, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    code = run_helper(monkeypatch, TOKEN + "\n", "--stack", "prod", "--issued-at", ISSUED, "--yes")

    captured = assert_token_stayed_secret(stand_in, capsys, caplog)
    assert code == 0, captured.err
    assert stand_in.commands() == [
        "stack output tokenFingerprint",
        "config set --secret druva-scim:scimToken",
        f"config set druva-scim:issuedAt {ISSUED}",
        "up --continue-on-error --yes",
        "stack output --json",
    ]
    assert all(call["stack"] == "prod" for call in stand_in.calls())
    secret_call = stand_in.calls()[1]
    assert secret_call["stdin"] == TOKEN + "\n"
    assert stand_in.state()["config"] == {
        "druva-scim:scimToken": TOKEN,
        "druva-scim:issuedAt": ISSUED,
    }
    assert stand_in.state()["deployed"] == {"token": TOKEN, "issuedAt": ISSUED}
    old, new = lifecycle.fingerprint(OTHER_TOKEN), lifecycle.fingerprint(TOKEN)
    assert f"Token fingerprint: {old} -> {new}" in captured.out
    assert "expiresAt: 2027-11-22T09:30:00Z" in captured.out
    assert "commit stacks/Pulumi.prod.yaml" in captured.out


def test_issued_at_defaults_to_now(stand_in, monkeypatch, capsys, caplog):
    before = datetime.now(UTC).replace(microsecond=0)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes") == 0
    after = datetime.now(UTC)
    recorded = lifecycle.parse_time(stand_in.state()["config"]["druva-scim:issuedAt"])
    assert before <= recorded <= after
    assert "--stack" not in stand_in.calls()[0]["argv"]
    assert_token_stayed_secret(stand_in, capsys, caplog)


def test_a_pulumi_cloud_stack_name_points_at_its_stack_file(stand_in, monkeypatch, capsys):
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes", "--stack", "acme/druva-scim/prod") == 0
    assert all(call["stack"] == "acme/druva-scim/prod" for call in stand_in.calls())
    assert "commit stacks/Pulumi.prod.yaml " in capsys.readouterr().out


def test_at_a_terminal_the_token_is_read_without_echo_and_up_asks(stand_in, monkeypatch, capsys):
    prompts: list[str] = []

    def hidden_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return TOKEN

    monkeypatch.setattr("getpass.getpass", hidden_input)
    code = run_helper(monkeypatch, "", "--issued-at", ISSUED, terminal=True)
    assert code == 0
    assert prompts == [rotate.PROMPT]
    assert "up --continue-on-error" in stand_in.commands()  # no --yes: pulumi previews, asks
    assert stand_in.state()["config"]["druva-scim:scimToken"] == TOKEN
    assert TOKEN not in capsys.readouterr().out


def test_a_token_in_our_environment_is_kept_from_every_child(stand_in, monkeypatch, capsys, caplog):
    monkeypatch.setenv("DRUVA_TOKEN", TOKEN)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes") == 0
    for call in stand_in.calls():
        assert "DRUVA_TOKEN" not in call["env"]
    assert any("DRUVA_TOKEN" in record.getMessage() for record in caplog.records)
    assert_token_stayed_secret(stand_in, capsys, caplog)


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        ("", "no token was given"),
        ("\n", "no token was given"),
        ("   \n", "is only white space"),
        (TOKEN + "\n\n", "white space or a line break at its start or end"),
        (TOKEN[:20] + "\n" + TOKEN[20:] + "\n", "white space or control characters inside it"),
        (" " + TOKEN + "\n", "white space or a line break at its start or end"),
    ],
    ids=[
        "empty",
        "empty-line",
        "blank",
        "trailing-line-break",
        "line-break-inside",
        "leading-space",
    ],
)
def test_a_bad_token_changes_nothing(stand_in, monkeypatch, capsys, caplog, stdin, says):
    code = run_helper(monkeypatch, stdin, "--yes")
    captured = assert_token_stayed_secret(stand_in, capsys, caplog)
    assert code == 1
    assert says in captured.err
    assert "druva-scim:scimToken" in captured.err
    assert "Nothing was changed" in captured.err
    assert stand_in.calls() == []
    assert "config" not in stand_in.state()


def test_missing_pulumi_says_how_to_install_it_before_asking_for_the_token(
    tmp_path, monkeypatch, capsys
):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    pasted = io.StringIO(TOKEN + "\n")
    monkeypatch.setattr(sys, "stdin", pasted)
    assert rotate.main(["--yes"]) == 1
    err = capsys.readouterr().err
    assert "pulumi is not on PATH" in err
    assert "install the Pulumi CLI" in err
    assert "https://www.pulumi.com/docs/iac/download-install/" in err
    assert pasted.tell() == 0  # the token was not even read


def test_config_set_failure_runs_nothing_else_and_never_echoes_the_token(
    stand_in, monkeypatch, capsys, caplog
):
    state = stand_in.state()
    state["fail"] = {
        "config set --secret": {
            "code": 255,
            "message": f"error: could not encrypt {TOKEN}: passphrase must be set",
        }
    }
    stand_in.set_state(state)
    code = run_helper(monkeypatch, TOKEN + "\n", "--yes", "--issued-at", ISSUED)
    captured = assert_token_stayed_secret(stand_in, capsys, caplog)
    assert code == 1
    assert stand_in.commands() == [
        "stack output tokenFingerprint",
        "config set --secret druva-scim:scimToken",
    ]
    assert "failed (exit code 255): error: could not encrypt [redacted]" in captured.err
    assert "Nothing else was run" in captured.err


def test_issued_at_failure_stops_before_up_and_says_what_to_run(stand_in, monkeypatch, capsys):
    state = stand_in.state()
    state["fail"] = {"config set druva-scim:issuedAt": {"code": 255, "message": "error: locked"}}
    stand_in.set_state(state)
    code = run_helper(monkeypatch, TOKEN + "\n", "--yes", "--issued-at", ISSUED)
    err = capsys.readouterr().err
    assert code == 2
    assert "up" not in " ".join(stand_in.commands())
    assert f"pulumi config set druva-scim:issuedAt {ISSUED}" in err
    assert "provisioning is down" in err


def test_a_failed_up_says_the_token_is_stored_and_to_run_up_again(stand_in, monkeypatch, capsys):
    state = stand_in.state()
    state["fail"] = {"up": {"code": 255, "message": "error: update failed"}}
    stand_in.set_state(state)
    code = run_helper(monkeypatch, TOKEN + "\n", "--yes")
    err = capsys.readouterr().err
    assert code == 2
    assert stand_in.commands()[-1] == "up --continue-on-error --yes"
    assert "The new token is in the stack config" in err
    assert "run `pulumi up` again" in err


def test_a_piped_token_without_yes_is_refused_before_reading_it(stand_in, monkeypatch, capsys):
    assert run_helper(monkeypatch, TOKEN + "\n") == 1
    assert "pass --yes" in capsys.readouterr().err
    assert stand_in.calls() == []


@pytest.mark.parametrize(
    ("issued_at", "says"),
    [
        ((datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "in the future"),
        ("2020-01-01T00:00:00Z", "expired"),
        ("last tuesday", "not an RFC 3339 date-time"),
    ],
    ids=["future", "expired", "unreadable"],
)
def test_a_bad_issued_at_changes_nothing(stand_in, monkeypatch, capsys, issued_at, says):
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes", "--issued-at", issued_at) == 1
    err = capsys.readouterr().err
    assert err.startswith("druva-scim rotate: --issued-at ")
    assert says in err
    assert stand_in.calls() == []


def test_an_unknown_option_exits_1_not_2(stand_in, monkeypatch, capsys):
    assert_exit = pytest.raises(SystemExit)
    with assert_exit as raised:
        run_helper(monkeypatch, TOKEN + "\n", "--force")
    assert raised.value.code == 1
    assert "Nothing was changed" in capsys.readouterr().err


def test_an_interrupt_at_the_prompt_changes_nothing(stand_in, monkeypatch, capsys):
    def interrupted(prompt: str = "") -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("getpass.getpass", interrupted)
    assert run_helper(monkeypatch, "", terminal=True) == 1
    assert "interrupted. Nothing was changed." in capsys.readouterr().err
    assert stand_in.calls() == []


def test_an_interrupt_during_up_says_to_run_up(stand_in, monkeypatch, capsys):
    def interrupted(self: rotate.Pulumi, *arguments: str) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(rotate.Pulumi, "run_attached", interrupted)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes") == 2
    err = capsys.readouterr().err
    assert "interrupted while changing the stack" in err
    assert "run `pulumi up`" in err
    assert stand_in.state()["config"]["druva-scim:scimToken"] == TOKEN


def test_the_module_end_to_end_as_a_subprocess(tmp_path):
    stand_in = pulumi_cli.install(tmp_path / "bin", json.loads(json.dumps(OLD)))
    completed = subprocess.run(
        [sys.executable, "-m", "providers.rotate", "--stack", "prod", "--yes"],
        input=TOKEN + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PATH": stand_in.path_first()},
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert TOKEN not in completed.stdout
    assert TOKEN not in completed.stderr
    assert "token stored in druva-scim:scimToken" in completed.stderr  # the log, at INFO
    assert stand_in.calls()[1]["stdin"] == TOKEN + "\n"
    assert stand_in.commands().index("up --continue-on-error --yes") > stand_in.commands().index(
        "config set --secret druva-scim:scimToken"
    )
    for call in stand_in.calls():
        assert TOKEN not in json.dumps(call["argv"]) + json.dumps(call["env"])
