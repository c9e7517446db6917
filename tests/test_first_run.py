"""The guided first run (providers/first_run.py) against the stand-in `pulumi`, its questions
answered by a script: every answer validated and asked again, the token only ever on the
stdin of `pulumi config set --secret`."""

from __future__ import annotations

import pytest

from providers import first_run, rotate
from providers.core import lifecycle
from providers.core.clock import FixedClock
from testbed.stand_ins import pulumi_cli
from tests.doubles import NOW, TOKEN

AZURE_ID = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
OKTA_ID = "0oa1b2c3d4e5f6g7h8i9"


@pytest.fixture
def stand_in(tmp_path, monkeypatch) -> pulumi_cli.PulumiStandIn:
    installed = pulumi_cli.install(tmp_path / "bin", {"selected": "dev"})
    monkeypatch.setenv("PATH", installed.path_first())
    return installed


class Script:
    """Answers the questions in order; records what was asked and said."""

    def __init__(self, *replies: str, hidden: tuple[str, ...] = ()) -> None:
        self.replies, self.hidden = list(replies), list(hidden)
        self.asked: list[str] = []
        self.asked_hidden: list[str] = []
        self.said: list[str] = []

    def answers(self) -> first_run.Answers:
        return first_run.Answers(self.ask, self.ask_hidden, self.said.append)

    def ask(self, prompt: str) -> str:
        self.asked.append(prompt)
        if not self.replies:
            raise EOFError
        return self.replies.pop(0)

    def ask_hidden(self, prompt: str) -> str:
        self.asked_hidden.append(prompt)
        if not self.hidden:
            raise EOFError
        return self.hidden.pop(0)


def run(script: Script, terminal: bool = True) -> int:
    return first_run.main(["--stack", "dev"], script.answers(), terminal, FixedClock(NOW))


def assert_token_stayed_secret(stand_in, script, capsys):
    for call in stand_in.calls():
        assert all(TOKEN not in argument for argument in call["argv"]), call["command"]
        assert all(TOKEN not in value for value in call["env"].values()), call["command"]
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err + "".join(script.said + script.asked)
    return captured


def test_a_stack_with_a_token_is_left_to_pulumi_up_without_a_question(stand_in, capsys):
    stand_in.set_state({"config": {rotate.TOKEN_KEY: TOKEN}})
    script = Script()
    assert run(script) == 0
    assert stand_in.commands() == [f"config get {rotate.TOKEN_KEY}"]
    assert script.asked == script.asked_hidden == script.said == []
    assert_token_stayed_secret(stand_in, script, capsys)


def test_each_answer_is_validated_asked_again_then_everything_is_stored(stand_in, capsys):
    script = Script(
        "yes",
        "2026-13-01T00:00:00Z",  # no such month
        "",  # now: just generated
        "not-a-guid",
        AZURE_ID,
        "",
        "0oa",  # too short
        OKTA_ID,
        "",
        hidden=("short", TOKEN),
    )
    assert run(script) == 0
    said = "\n".join(script.said)
    assert "ONE new token" in said and "quiet moment" in said
    assert script.asked_hidden == [rotate.PROMPT, rotate.PROMPT]
    assert f"{rotate.TOKEN_KEY}: the pasted token" in said
    assert f"{rotate.ISSUED_AT_KEY}: " in said
    assert "druva-scim:azureApps[0].servicePrincipalId: " in said
    assert "druva-scim:oktaApps[0].appId: " in said
    assert stand_in.state()["config"] == {
        "druva-scim:azureApps[0].name": "druva-azure",
        "druva-scim:azureApps[0].servicePrincipalId": AZURE_ID,
        "druva-scim:oktaApps[0].name": "druva-okta",
        "druva-scim:oktaApps[0].appId": OKTA_ID,
        rotate.TOKEN_KEY: TOKEN,
        rotate.ISSUED_AT_KEY: lifecycle.format_time(NOW),
    }
    secret = [call for call in stand_in.calls() if call["command"].startswith("config set --s")]
    assert [call["stdin"] for call in secret] == [TOKEN + "\n"]
    assert "up" not in stand_in.commands()  # scripts/up runs it next
    assert_token_stayed_secret(stand_in, script, capsys)


def test_an_issued_at_given_is_recorded_as_given(stand_in, capsys):
    script = Script("yes", "2026-11-20T08:15:00Z", "", "", hidden=(TOKEN,))
    assert run(script) == 0
    assert stand_in.state()["config"][rotate.ISSUED_AT_KEY] == "2026-11-20T08:15:00Z"
    assert_token_stayed_secret(stand_in, script, capsys)


def test_apps_the_stack_lists_already_are_kept_and_not_asked_for(stand_in, capsys):
    stand_in.set_state({"config": {"druva-scim:azureApps": "[]"}})
    script = Script("yes", "", "", hidden=(TOKEN,))
    assert run(script) == 0
    assert first_run.AZURE_PROMPT not in script.asked
    assert first_run.OKTA_PROMPT in script.asked
    assert_token_stayed_secret(stand_in, script, capsys)


def test_without_a_terminal_it_prints_what_to_set_and_stops(stand_in, capsys):
    script = Script()
    assert run(script, terminal=False) == rotate.NOTHING_CHANGED
    err = capsys.readouterr().err
    assert err.startswith("druva-scim up: stack dev has no token")
    assert "ONE new token" in err
    assert f"pulumi config set --secret {rotate.TOKEN_KEY} --stack dev" in err
    assert "pulumi config set --path 'druva-scim:azureApps[0].servicePrincipalId' <id>" in err
    assert stand_in.commands() == [f"config get {rotate.TOKEN_KEY}"]
    assert script.asked == script.asked_hidden == []


def test_declining_changes_nothing(stand_in, capsys):
    script = Script("not now")
    assert run(script) == rotate.NOTHING_CHANGED
    assert stand_in.state().get("config", {}) == {}
    assert script.asked_hidden == []


def test_input_ending_at_a_question_changes_nothing(stand_in, capsys):
    script = Script("yes")  # then Ctrl-D at the hidden prompt
    assert run(script) == rotate.NOTHING_CHANGED
    assert "druva-scim up: the input ended. Nothing was changed." in capsys.readouterr().err
    assert stand_in.state().get("config", {}) == {}


def test_an_app_setting_the_cli_refuses_stops_before_the_token(stand_in, capsys):
    stand_in.set_state({"fail": {"config set --path": {"code": 255, "message": "error: locked"}}})
    script = Script("yes", "", AZURE_ID, "", "", hidden=(TOKEN,))
    assert run(script) == rotate.NOTHING_CHANGED
    captured = assert_token_stayed_secret(stand_in, script, capsys)
    assert "config set --path druva-scim:azureApps[0].name` failed (exit code 255)" in captured.err
    assert "The token was not stored" in captured.err
    assert not any(command.startswith("config set --secret") for command in stand_in.commands())
