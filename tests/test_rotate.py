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
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from providers import cli, preflight, rotate
from providers.core import gate, lifecycle, texts
from providers.core.clock import Clock
from testbed import ROOT
from testbed.stand_ins import pulumi_cli
from tests.doubles import NOW, OTHER_TOKEN, PASSING_PREFLIGHT, TOKEN, PreflightStub
from tests.evidence import interruption

ISSUED = "2026-11-22T09:30:00Z"
OLD = {"deployed": {"token": OTHER_TOKEN, "issuedAt": "2025-12-01T08:00:00Z"}}


PASSED = preflight.Report((preflight.Item("backend", True, "logged in as alice"),))
NOT_READY = preflight.Report(
    (
        preflight.Item("backend", True, "logged in as alice"),
        preflight.Item("preview", False, "`pulumi preview` failed: fix druva-scim:azureApps"),
    )
)


REAL_PREFLIGHT = preflight.preflight


@pytest.fixture(autouse=True)
def checked(monkeypatch) -> PreflightStub:
    stub = PreflightStub(PASSED)
    monkeypatch.setattr(preflight, "preflight", stub)
    return stub


@pytest.fixture
def stand_in(tmp_path, monkeypatch) -> pulumi_cli.PulumiStandIn:
    installed = pulumi_cli.install(tmp_path / "bin", json.loads(json.dumps(OLD)))
    monkeypatch.setenv("PATH", installed.path_first())
    return installed


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def written(commands: list[str]) -> list[str]:
    """The commands that change the stack: before the paste the helper only reads."""
    reads = ("config get ", "config --json")
    return [
        command
        for command in commands
        if command.startswith(("config", "up")) and not command.startswith(reads)
    ]


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
    assert "run scripts/up once (it installs the Pulumi CLI .pulumi.version pins" in err
    assert "docs/getting-started.md" in err
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
        "stack --show-name",
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
    assert written(stand_in.commands()) == []


@pytest.mark.parametrize(
    ("interrupted_at", "code", "says"),
    [
        ("config set --secret", 2, "may or may not hold the new token"),
        ("config set druva-scim:issuedAt", 2, "Run `pulumi config set druva-scim:issuedAt "),
    ],
    ids=["token-write", "issued-at-write"],
)
def test_an_interrupt_at_each_step_says_where_things_stand(
    stand_in, monkeypatch, capsys, interrupted_at, code, says
):
    capture = cli.Pulumi.capture

    def interrupted(self, *arguments, **kwargs):
        if " ".join(arguments).startswith(interrupted_at):
            raise KeyboardInterrupt
        return capture(self, *arguments, **kwargs)

    monkeypatch.setattr(cli.Pulumi, "capture", interrupted)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes", "--issued-at", ISSUED) == code
    err = capsys.readouterr().err
    assert err.startswith("druva-scim rotate: interrupted. ")
    assert says in err
    assert "up --continue-on-error --yes" not in stand_in.commands()


def test_ctrl_c_during_up_lets_the_cli_cancel_and_says_what_to_run():
    run = interruption.ctrl_c_during_up()
    assert run.cancelled == {"interrupts": 2}, "the CLI finished its cancellation, not killed"
    assert run.code == rotate.HALF_DONE
    assert "`pulumi up` was interrupted (exit code 255)" in run.output
    new = lifecycle.fingerprint(TOKEN)
    assert f"The new token (fingerprint {new}) and druva-scim:issuedAt=" in run.output
    assert "are stored in the stack config" in run.output
    assert "the stack is currently locked" in run.output
    assert "run `pulumi cancel` first, then `pulumi up`" in run.output
    assert "Traceback" not in run.output
    assert TOKEN not in run.output
    assert run.state["config"]["druva-scim:scimToken"] == TOKEN
    assert run.state["deployed"]["token"] == OTHER_TOKEN, "the cancelled up deployed nothing"


def test_ctrl_d_at_the_hidden_prompt_changes_nothing(stand_in, monkeypatch, capsys):
    def ctrl_d(prompt: str = "") -> str:
        raise EOFError  # what getpass raises on Ctrl-D at an empty line

    monkeypatch.setattr("getpass.getpass", ctrl_d)
    assert run_helper(monkeypatch, "", terminal=True) == 1
    err = capsys.readouterr().err
    assert "druva-scim:scimToken: no token was given (the input ended)" in err
    assert err.rstrip().endswith("Nothing was changed.")
    assert written(stand_in.commands()) == []


def test_ctrl_d_on_a_real_terminal():
    run = interruption.ctrl_d_at_the_prompt()
    assert run.code == 1
    assert rotate.PROMPT in run.output
    assert "no token was given (the input ended)" in run.output
    assert "Nothing was changed." in run.output
    assert "Traceback" not in run.output
    assert written(run.commands) == []


def test_piped_input_that_is_not_text_changes_nothing(stand_in, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xff\xfe\n"), "utf-8"))
    assert rotate.main(["--yes"]) == 1
    err = capsys.readouterr().err
    assert "the piped input is not text" in err
    assert "Nothing was changed." in err
    assert stand_in.calls() == []


@pytest.mark.parametrize(
    ("stalls", "code", "says"),
    [
        ("stack output tokenFingerprint", 1, f"{preflight.NOT_READY.capitalize()}."),
        ("config set --secret", 2, "may or may not hold the new token"),
        (
            "config set druva-scim:issuedAt",
            2,
            f"Run `pulumi config set druva-scim:issuedAt {ISSUED}`",
        ),
        ("stack output --json", 0, "`pulumi up` completed; check the outputs"),
    ],
    ids=["fingerprint", "token-write", "issued-at-write", "report"],
)
def test_a_stalled_pulumi_command_is_stopped_and_the_message_says_where_things_stand(
    stand_in, monkeypatch, capsys, stalls, code, says
):
    monkeypatch.setattr(rotate, "CONFIG_TIMEOUT_SECONDS", 1)
    state = stand_in.state()
    state["stall"] = {stalls: 20}
    stand_in.set_state(state)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes", "--issued-at", ISSUED) == code
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert f"`pulumi {stalls}" in shown
    assert "did not finish within 1 s and was stopped" in shown
    assert says in shown
    assert TOKEN not in shown
    [stalled] = [call for call in stand_in.calls() if call["command"].startswith(stalls)]
    with pytest.raises(ProcessLookupError):
        os.kill(stalled["pid"], 0)  # killed: a config read or write, not an update


def test_a_stalled_token_write_is_evidenced_as_a_process():
    run = interruption.config_set_stalls()
    assert run.code == rotate.HALF_DONE
    assert "Traceback" not in run.output
    assert "may or may not hold the new token" in run.output
    assert "pulumi stack output tokenFingerprint" in run.output
    assert not any(command.startswith("up") for command in run.commands)


def test_pulumi_that_cannot_start_changes_nothing(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "pulumi").write_text("#!/nonexistent/interpreter\n")
    (broken / "pulumi").chmod(0o755)
    monkeypatch.setenv("PATH", str(broken))
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes") == 1
    err = capsys.readouterr().err
    assert "`pulumi stack --show-name` could not be started" in err
    assert err.rstrip().endswith(f"{preflight.NOT_READY.capitalize()}.")


def test_up_that_cannot_start_says_the_config_is_stored(stand_in, monkeypatch, capsys):
    command = cli.Pulumi.command

    def missing_for_up(self, *arguments):
        argv = command(self, *arguments)
        return ["/nonexistent/pulumi", *argv[1:]] if arguments[0] == "up" else argv

    monkeypatch.setattr(cli.Pulumi, "command", missing_for_up)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes", "--issued-at", ISSUED) == 2
    err = capsys.readouterr().err
    assert "`pulumi up --continue-on-error --yes` could not be started" in err
    assert f"druva-scim:issuedAt={ISSUED} are stored in the stack config" in err
    assert "Run `pulumi up` now" in err


def test_a_stack_that_reports_another_token_after_up_is_half_done(stand_in, monkeypatch, capsys):
    state = stand_in.state()
    state["outputs"] = {"tokenFingerprint": lifecycle.fingerprint(OTHER_TOKEN)}
    stand_in.set_state(state)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes") == 2
    err = capsys.readouterr().err
    assert "it did not deploy the new token" in err
    assert "run `pulumi up` for the right stack" in err


def test_an_unexpected_error_still_says_where_things_stand(stand_in, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ValueError(f"something quoting {TOKEN}")

    monkeypatch.setattr(gate, "evaluate", broken)
    assert run_helper(monkeypatch, TOKEN + "\n", "--yes") == 0
    err = capsys.readouterr().err
    assert "stopped by an unexpected error (ValueError)" in err
    assert "`pulumi up` completed" in err
    assert TOKEN not in err
    assert "Traceback" not in err


def test_the_module_end_to_end_as_a_subprocess(tmp_path):
    stand_in = pulumi_cli.install(tmp_path / "bin", json.loads(json.dumps(OLD)))
    completed = subprocess.run(
        [sys.executable, "-m", "providers.rotate", "--stack", "prod", "--yes"],
        input=TOKEN + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PATH": stand_in.path_first(), **PASSING_PREFLIGHT},
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


# --- a token kept in a Pulumi ESC environment ----------------------------------------------


@pytest.fixture
def stacks(tmp_path, monkeypatch):
    folder = tmp_path / "stacks"
    folder.mkdir()
    monkeypatch.setattr(cli, "STACKS", folder)
    return folder


ESC_STACK = "environment:\n  - druva/prod\nconfig:\n  druva-scim:cloud: standard\n"


@pytest.mark.parametrize(
    ("document", "stack_arguments"),
    [
        (ESC_STACK, ("--stack", "acme/druva-scim/prod")),
        ("environment:\n  imports:\n    - druva/common\n    - druva/prod\n", ()),
    ],
    ids=["list, org/project/stack", "imports, the selected stack"],
)
def test_a_token_from_esc_gets_the_esc_commands_and_no_stack_write(
    stand_in, stacks, monkeypatch, capsys, caplog, document, stack_arguments
):
    stand_in.set_state({**stand_in.state(), "selected": "prod"})
    (stacks / "Pulumi.prod.yaml").write_text(document)
    code = run_helper(monkeypatch, TOKEN + "\n", *stack_arguments, "--issued-at", ISSUED, "--yes")
    captured = assert_token_stayed_secret(stand_in, capsys, caplog)
    assert code == rotate.NOTHING_CHANGED
    assert (
        "the stack takes druva-scim:scimToken from the Pulumi ESC environment druva/prod "
        "(Pulumi.prod.yaml imports it and does not set it)"
    ) in captured.err
    assert (
        "esc env set druva/prod 'pulumiConfig[\"druva-scim:scimToken\"]' --secret -f -"
        in captured.err
    )
    assert (
        f"esc env set druva/prod 'pulumiConfig[\"druva-scim:issuedAt\"]' {ISSUED}" in captured.err
    )
    assert captured.err.rstrip().endswith("Nothing was changed.")
    assert [c for c in stand_in.commands() if c.startswith(("config", "up"))] == []
    assert (stacks / "Pulumi.prod.yaml").read_text() == document


def test_an_issued_at_in_the_stack_file_is_set_there(stand_in, stacks, monkeypatch, capsys):
    (stacks / "Pulumi.prod.yaml").write_text(ESC_STACK + "  druva-scim:issuedAt: x\n")
    assert run_helper(monkeypatch, TOKEN + "\n", "--stack", "prod", "--issued-at", ISSUED) == 1
    assert f"then `pulumi config set druva-scim:issuedAt {ISSUED}`" in capsys.readouterr().err


def test_a_token_in_the_stack_file_wins_over_esc_and_is_rotated_there(
    stand_in, stacks, monkeypatch, capsys
):
    document = ESC_STACK + "  druva-scim:scimToken:\n    secure: v1:abc\n"
    (stacks / "Pulumi.prod.yaml").write_text(document)
    code = run_helper(monkeypatch, TOKEN + "\n", "--stack", "prod", "--issued-at", ISSUED, "--yes")
    assert code == rotate.DONE, capsys.readouterr().err
    assert stand_in.state()["config"]["druva-scim:scimToken"] == TOKEN


# --- the pre-flight first, then the click, then the paste (issue 16) ------------------------


def hidden_prompts(monkeypatch, token: str, *more: str) -> list[str]:
    """The hidden prompt answers `token`, then each of `more`; then the input ends."""
    prompts: list[str] = []
    answers = iter((token, *more))

    def hidden_input(prompt: str = "") -> str:
        prompts.append(prompt)
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("getpass.getpass", hidden_input)
    return prompts


def test_a_failing_pre_flight_stops_before_the_token_is_asked_for(
    stand_in, checked, monkeypatch, capsys
):
    # Case 1: a preview that fails (here as the pre-flight reports it) stops the helper
    # before the click; nothing is asked for and nothing stored.
    checked.report = NOT_READY
    prompts = hidden_prompts(monkeypatch, TOKEN)
    assert run_helper(monkeypatch, "", "--stack", "prod", terminal=True) == rotate.NOTHING_CHANGED
    captured = capsys.readouterr()
    assert prompts == []
    assert checked.stacks == ["prod"]
    assert "FAIL  preview: `pulumi preview` failed: fix druva-scim:azureApps" in captured.err
    assert captured.err.rstrip().endswith(f"{preflight.NOT_READY}.")
    assert preflight.READY not in captured.out + captured.err
    assert written(stand_in.commands()) == []
    assert "config" not in stand_in.state()


def test_the_click_is_asked_for_only_after_the_pre_flight_passed(
    stand_in, checked, monkeypatch, capsys
):
    prompts = hidden_prompts(monkeypatch, TOKEN)
    assert run_helper(monkeypatch, "", "--issued-at", ISSUED, terminal=True) == rotate.DONE
    out = capsys.readouterr().out
    assert checked.stacks == ["dev"]  # the selected stack, by name
    assert out.index("ok    backend: logged in as alice") < out.index(preflight.READY)
    assert prompts == [rotate.PROMPT]
    commands = stand_in.commands()
    # Between the paste and `up`, only the two writes: the reads came before the click.
    assert commands[commands.index("stack output tokenFingerprint") + 1 :][:3] == [
        "config set --secret druva-scim:scimToken",
        f"config set druva-scim:issuedAt {ISSUED}",
        "up --continue-on-error",
    ]


@pytest.mark.parametrize("terminal", [True, False], ids=["pasted", "piped"])
def test_the_token_the_stack_already_deploys_is_refused_without_showing_it(
    stand_in, monkeypatch, capsys, caplog, terminal
):
    # Case 7: the deployed token again would get a new issuedAt, a year of false life.
    state = stand_in.state()
    state["deployed"] = {"token": TOKEN, "issuedAt": "2026-11-01T09:30:00Z"}
    stand_in.set_state(state)
    hidden_prompts(monkeypatch, TOKEN)
    piped = "" if terminal else TOKEN + "\n"
    code = run_helper(monkeypatch, piped, "--stack", "prod", "--yes", terminal=terminal)
    captured = assert_token_stayed_secret(stand_in, capsys, caplog)
    assert code == rotate.NOTHING_CHANGED
    assert f"{rotate.TOKEN_KEY}: {rotate.DEPLOYED_TOKEN}" in captured.err
    assert lifecycle.fingerprint(TOKEN) not in captured.out + captured.err
    assert written(stand_in.commands()) == []
    assert stand_in.state()["deployed"]["issuedAt"] == "2026-11-01T09:30:00Z"


def test_a_refused_paste_after_the_click_is_asked_again_not_the_end(stand_in, monkeypatch, capsys):
    # The old token died with the click: ending the helper would invite a second click.
    state = stand_in.state()
    state["deployed"] = {"token": OTHER_TOKEN, "issuedAt": "2026-11-01T09:30:00Z"}
    stand_in.set_state(state)
    prompts = hidden_prompts(monkeypatch, OTHER_TOKEN, "too short", TOKEN)
    code = run_helper(monkeypatch, "", "--stack", "prod", "--yes", terminal=True)
    err = capsys.readouterr().err
    assert code == rotate.DONE, err
    assert len(prompts) == 3
    assert err.count("paste it again") == 2 and rotate.DEPLOYED_TOKEN in err
    assert stand_in.state()["deployed"]["token"] == TOKEN


def test_issued_at_is_the_moment_of_the_paste_not_the_start(stand_in, monkeypatch):
    # The click comes after the pre-flight: the token cannot be older than the paste.
    moments = iter([NOW])  # the start; every later reading comes after the paste

    class Moving(Clock):
        def now(self) -> datetime:
            return next(moments, NOW + timedelta(minutes=25))

    hidden_prompts(monkeypatch, TOKEN)
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    assert rotate.main(["--stack", "prod", "--yes"], clock=Moving()) == rotate.DONE
    assert stand_in.state()["deployed"]["issuedAt"] == lifecycle.format_time(
        NOW + timedelta(minutes=25)
    )


def test_a_piped_token_and_a_failing_pre_flight_say_the_token_exists(
    stand_in, checked, monkeypatch, capsys
):
    checked.report = NOT_READY
    code = run_helper(monkeypatch, TOKEN + "\n", "--stack", "prod", "--yes")
    err = capsys.readouterr().err
    assert code == rotate.NOTHING_CHANGED
    assert rotate.PIPED_ALREADY in err
    assert written(stand_in.commands()) == []


def test_with_the_real_pre_flight_a_failing_preview_stops_before_the_token(
    stand_in, monkeypatch, capsys
):
    # Case 1 end to end: the stand-in CLI's preview fails as a provider's Check would.
    monkeypatch.setattr(preflight, "preflight", REAL_PREFLIGHT)
    refusal = "azuread: service_principal_id: the number of segments didn't match"
    stand_in.set_state(
        {
            **stand_in.state(),
            "stacks": ["prod"],
            "fail": {"preview": {"code": 255, "message": refusal}},
        }
    )
    prompts = hidden_prompts(monkeypatch, TOKEN)
    before = stand_in.state()
    assert run_helper(monkeypatch, "", "--stack", "prod", terminal=True) == rotate.NOTHING_CHANGED
    err = capsys.readouterr().err
    assert prompts == []
    assert "FAIL  preview:" in err and "number of segments" in err
    assert err.rstrip().endswith(f"{preflight.NOT_READY}.")
    assert written(stand_in.commands()) == []
    assert stand_in.state() == before


def test_every_app_that_needs_a_hand_is_listed_before_the_click_and_after_up(
    tmp_path, monkeypatch, capsys
):
    entry = "druva-onelogin (OneLogin app 1234567), by hand after `pulumi up`: Open ..."
    monkeypatch.setattr(preflight, "preflight", PreflightStub(replace(PASSED, manual=(entry,))))
    steps = texts.handoff_steps("onelogin", "druva-onelogin", "1234567", None, "f" * 12, 0)
    pending = {"name": "druva-onelogin", "kind": "onelogin-manual", "appId": "1234567"}
    state = {**json.loads(json.dumps(OLD)), "pendingManualSteps": [{**pending, "steps": steps}]}
    installed = pulumi_cli.install(tmp_path / "bin", state)
    monkeypatch.setenv("PATH", installed.path_first())

    assert run_helper(monkeypatch, TOKEN + "\n", "--issued-at", ISSUED, "--yes") == rotate.DONE
    out = capsys.readouterr().out
    assert f"After `pulumi up`, by hand: {entry}" in out
    listed = out[out.index("Manual hand-off pending for druva-onelogin:") :]
    assert listed.splitlines()[1 : 1 + len(steps)] == [f"  - {step}" for step in steps]
