"""The guided first run (providers/first_run.py) against the stand-in `pulumi`, its questions
answered by a script: every answer validated and asked again, the token only ever on the
stdin of `pulumi config set --secret`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from providers import cli, first_run, preflight, rotate
from providers.core import lifecycle, texts
from providers.core.clock import FixedClock
from testbed.stand_ins import pulumi_cli
from tests.doubles import NOW, OTHER_TOKEN, TOKEN, PreflightStub

AZURE_ID = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
OKTA_ID = "0oa1b2c3d4e5f6g7h8i9"


PASSED = preflight.Report((preflight.Item("backend", True, "logged in as alice"),))
NOT_READY = preflight.Report(
    (preflight.Item("preview", False, "`pulumi preview` failed: fix druva-scim:cloud"),)
)


REAL_PREFLIGHT = preflight.preflight


@pytest.fixture(autouse=True)
def checked(monkeypatch) -> PreflightStub:
    """The pre-flight, a stub here (providers/preflight.py has its own tests)."""
    stub = PreflightStub(PASSED)
    monkeypatch.setattr(preflight, "preflight", stub)
    return stub


@pytest.fixture
def stand_in(tmp_path, monkeypatch) -> pulumi_cli.PulumiStandIn:
    installed = pulumi_cli.install(tmp_path / "bin", {"selected": "dev"})
    monkeypatch.setenv("PATH", installed.path_first())
    return installed


class Script:
    """Answers the questions in order; records what was asked and said. With `clock`, each
    answer takes `pause` of its time (the user reads, clicks, copies)."""

    def __init__(
        self,
        *replies: str,
        hidden: tuple[str, ...] = (),
        clock: FixedClock | None = None,
        pause: timedelta = timedelta(0),
    ) -> None:
        self.replies, self.hidden = list(replies), list(hidden)
        self.asked: list[str] = []
        self.asked_hidden: list[str] = []
        self.said: list[str] = []
        self.order: list[str] = []
        """Every prompt and every text said, in order."""
        self.clock = clock or FixedClock(NOW)
        self.pause = pause

    def answers(self) -> first_run.Answers:
        return first_run.Answers(self.ask, self.ask_hidden, self.say)

    def say(self, text: str) -> None:
        self.said.append(text)
        self.order.append(text)

    def ask(self, prompt: str) -> str:
        self.asked.append(prompt)
        self.order.append(prompt)
        self.clock.moment += self.pause
        if not self.replies:
            raise EOFError
        return self.replies.pop(0)

    def ask_hidden(self, prompt: str) -> str:
        self.asked_hidden.append(prompt)
        self.order.append(prompt)
        self.clock.moment += self.pause
        if not self.hidden:
            raise EOFError
        return self.hidden.pop(0)


def run(script: Script, terminal: bool = True) -> int:
    return first_run.main(["--stack", "dev"], script.answers(), terminal, script.clock)


def written(stand_in) -> list[str]:
    return [c for c in stand_in.commands() if c.startswith(("config set", "up"))]


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
        "not-a-guid",
        AZURE_ID,
        "",
        "0oa",  # too short
        OKTA_ID,
        "",
        "2026-13-01T00:00:00Z",  # no such month
        "",  # now: just generated
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
    config = stand_in.state()["config"]
    assert json.loads(config.pop("druva-scim:azureApps")) == [
        {"name": "druva-azure", "servicePrincipalId": AZURE_ID}
    ]
    assert json.loads(config.pop("druva-scim:oktaApps")) == [
        {"name": "druva-okta", "appId": OKTA_ID}
    ]
    assert config == {rotate.TOKEN_KEY: TOKEN, rotate.ISSUED_AT_KEY: lifecycle.format_time(NOW)}
    secret = [call for call in stand_in.calls() if call["command"].startswith("config set --s")]
    assert [call["stdin"] for call in secret] == [TOKEN + "\n"]
    assert "up" not in stand_in.commands()  # scripts/up runs it next
    assert_token_stayed_secret(stand_in, script, capsys)


def test_the_ids_come_first_then_the_click_then_the_token_and_its_time(stand_in, capsys):
    # Case 9: nothing is looked up after the click but the token's own creation time.
    script = Script("yes", AZURE_ID, "", OKTA_ID, "", "", hidden=(TOKEN,))
    assert run(script) == 0
    order = script.order
    assert order.index(first_run.OKTA_PROMPT) < order.index(preflight.READY)
    assert order.index(preflight.READY) + 1 == order.index(rotate.PROMPT)
    assert order[order.index(rotate.PROMPT) + 1].startswith(rotate.ISSUED_AT_KEY)
    assert_token_stayed_secret(stand_in, script, capsys)


def test_each_kind_of_app_is_written_whole_in_one_command(stand_in, capsys):
    # Case 6: one write of the stack file for every app; no field-by-field entries.
    script = Script("yes", AZURE_ID, "", OKTA_ID, "", "", hidden=(TOKEN,))
    assert run(script) == 0
    assert [c.split(" --json ")[0] for c in written(stand_in)] == [
        "config set-all",
        "config set --secret druva-scim:scimToken",
        f"config set druva-scim:issuedAt {lifecycle.format_time(NOW)}",
    ]
    assert not any("[0]." in key for key in stand_in.state()["config"])
    assert_token_stayed_secret(stand_in, script, capsys)


def test_a_failed_app_write_stores_nothing_and_says_so(stand_in, capsys):
    stand_in.set_state({"fail": {"config set-all": {"code": 255, "message": "error: locked"}}})
    script = Script("yes", AZURE_ID, "", "", "", hidden=(TOKEN,))
    assert run(script) == rotate.NOTHING_CHANGED
    captured = assert_token_stayed_secret(stand_in, script, capsys)
    assert "`pulumi config set-all --json …` failed (exit code 255): error: locked" in captured.err
    assert "it did not store druva-scim:azureApps. Nothing was changed." in captured.err
    assert "run scripts/up dev again with the same token" in captured.err
    assert stand_in.state().get("config", {}) == {}


def test_a_token_write_failing_after_the_apps_says_the_apps_are_stored(stand_in, capsys):
    # Case 6: progress tells the truth: never "Nothing was changed" after a write.
    stand_in.set_state({"fail": {"config set --secret": {"code": 255, "message": "error: x"}}})
    script = Script("yes", AZURE_ID, "", "", "", hidden=(TOKEN,))
    assert run(script) == rotate.HALF_DONE
    captured = assert_token_stayed_secret(stand_in, script, capsys)
    assert "Nothing was changed" not in captured.err
    assert "The stack config now holds druva-scim:azureApps (each whole)" in captured.err
    assert "Run scripts/up dev again and paste the same token" in captured.err
    assert "druva-scim:azureApps" in stand_in.state()["config"]


def test_an_interruption_after_the_apps_leaves_them_whole_and_the_next_run_keeps_them(
    stand_in, capsys, monkeypatch
):
    capture = cli.Pulumi.capture

    def interrupted(self, *arguments, **kwargs):
        if arguments[:3] == ("config", "set", "--secret"):
            raise KeyboardInterrupt
        return capture(self, *arguments, **kwargs)

    monkeypatch.setattr(cli.Pulumi, "capture", interrupted)
    script = Script("yes", AZURE_ID, "", "", "", hidden=(TOKEN,))
    assert run(script) == rotate.HALF_DONE
    err = capsys.readouterr().err
    assert "interrupted. The stack config may or may not hold the new token" in err
    monkeypatch.setattr(cli.Pulumi, "capture", capture)
    again = Script("yes", "", "", hidden=(TOKEN,))
    assert run(again) == rotate.DONE
    assert first_run.AZURE_PROMPT not in again.asked
    assert "The stack lists druva-scim:azureApps already; keeping them." in again.said
    assert json.loads(stand_in.state()["config"]["druva-scim:azureApps"]) == [
        {"name": "druva-azure", "servicePrincipalId": AZURE_ID}
    ]


def test_issued_at_is_judged_against_the_moment_it_is_typed(stand_in, capsys):
    # Case 5: the token is generated, and its time typed, long after the run started.
    typed = lifecycle.format_time(NOW + timedelta(minutes=50))
    script = Script("yes", "", "", typed, hidden=(TOKEN,), pause=timedelta(minutes=12))
    assert run(script) == 0, capsys.readouterr().err
    assert stand_in.state()["config"][rotate.ISSUED_AT_KEY] == typed


def test_enter_at_issued_at_records_the_moment_it_was_pressed(stand_in, capsys):
    script = Script("yes", "", "", "", hidden=(TOKEN,), pause=timedelta(minutes=7))
    assert run(script) == 0
    assert stand_in.state()["config"][rotate.ISSUED_AT_KEY] == lifecycle.format_time(
        script.clock.moment
    )


@pytest.mark.parametrize("misplaced", ["issuedAt", "app id"])
def test_a_token_pasted_at_a_visible_prompt_is_never_quoted_back(stand_in, capsys, misplaced):
    # Case 8: a token pasted where the app id or issuedAt is asked for. Short enough that a
    # refusal would quote it (lifecycle.MAX_TIME_TEXT), long enough to be a token.
    pasted = OTHER_TOKEN[:32]
    replies = ("yes", pasted, "", "", "") if misplaced == "app id" else ("yes", "", "")
    tail = (pasted, "") if misplaced == "issuedAt" else ()
    script = Script(*replies, *tail, hidden=(TOKEN,))
    assert run(script) == 0
    said = "\n".join(script.said)
    assert pasted not in said
    assert pasted[:12] not in said
    assert "[redacted]" in said
    assert_token_stayed_secret(stand_in, script, capsys)


def test_a_failing_pre_flight_takes_no_token_and_stores_nothing(stand_in, checked, capsys):
    # Case 1: a preview that fails stops the guided run before the token is taken. The ids
    # come first, so that the pre-flight proves them: it is given them, unstored.
    checked.report = NOT_READY
    script = Script("yes", AZURE_ID, "", "", "", hidden=(TOKEN,))
    assert run(script) == rotate.NOTHING_CHANGED
    err = capsys.readouterr().err
    assert checked.stacks == ["dev"]
    assert checked.pending == [
        {"azureApps": [{"name": "druva-azure", "servicePrincipalId": AZURE_ID}]}
    ]
    assert script.asked_hidden == []
    assert not any("New Token" in line and "now" in line for line in script.said)
    assert "FAIL  preview: `pulumi preview` failed: fix druva-scim:cloud" in err
    assert err.rstrip().endswith(f"{preflight.NOT_READY}.")
    # Only reads: the pre-flight is stubbed, and nothing is written before the token.
    assert all(
        command.startswith(("config get ", "stack output ")) for command in stand_in.commands()
    ), stand_in.commands()
    assert stand_in.state().get("config", {}) == {}


def test_the_token_the_stack_already_deploys_is_asked_for_again(stand_in, capsys):
    # Case 7, on a stack whose config lost its token but whose outputs still hold one.
    stand_in.set_state({"deployed": {"token": OTHER_TOKEN, "issuedAt": "2026-11-01T09:30:00Z"}})
    script = Script("yes", "", "", "", hidden=(OTHER_TOKEN, TOKEN))
    assert run(script) == 0
    assert f"{rotate.TOKEN_KEY}: {rotate.DEPLOYED_TOKEN}; paste it again." in script.said
    assert stand_in.state()["config"][rotate.TOKEN_KEY] == TOKEN
    assert OTHER_TOKEN not in "".join(script.said) + capsys.readouterr().err


def test_keys_an_azure_app_holds_are_offered_and_kept_as_secrets(stand_in, checked, capsys):
    # Case 4: the first `up` replaces every secret key; the ones the pre-flight found are
    # kept in extraSecrets, each written as one secret value.
    stand_in.set_state(
        {
            "config": {
                "druva-scim:azureApps": json.dumps(
                    [{"name": "druva", "servicePrincipalId": AZURE_ID}]
                )
            }
        }
    )
    checked.report = preflight.Report(
        PASSED.items, extra_keys={"druva": ("SyncNotificationSettings", "SyncAll")}
    )
    notify = '{"Enabled":true,"Recipients":"ops@example.com"}'
    script = Script("yes", "", "", hidden=("not json", notify, "", TOKEN))
    assert run(script) == 0
    said = "\n".join(script.said)
    assert "holds SyncNotificationSettings, SyncAll in its provisioning secrets" in said
    assert "extraSecrets.SyncNotificationSettings: must be a JSON object" in said
    assert "SyncAll of druva is not kept: the first `pulumi up` erases it." in said
    key = "druva-scim:azureApps[0].extraSecrets.SyncNotificationSettings"
    assert stand_in.state()["config"][key] == notify
    [call] = [c for c in stand_in.calls() if c["command"] == f"config set --secret --path {key}"]
    assert call["stdin"] == notify + "\n"
    assert written(stand_in).index(call["command"]) < written(stand_in).index(
        "config set --secret druva-scim:scimToken"
    )
    assert notify not in "".join(c["command"] for c in stand_in.calls()) + said


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
    # Case 9: the ids first, then the pre-flight, the token last.
    assert (
        err.index("oktaApps[0].appId")
        < err.index("python -m providers.preflight --stack dev")
        < err.index(f"config set --secret {rotate.TOKEN_KEY}")
    )
    assert stand_in.commands() == [f"config get {rotate.TOKEN_KEY}"]
    assert script.asked == script.asked_hidden == []


def test_declining_changes_nothing(stand_in, capsys):
    script = Script("not now")
    assert run(script) == rotate.NOTHING_CHANGED
    assert stand_in.state().get("config", {}) == {}
    assert script.asked_hidden == []


def test_input_ending_at_a_question_changes_nothing(stand_in, capsys):
    script = Script("yes", "", "")  # then Ctrl-D at the hidden prompt
    assert run(script) == rotate.NOTHING_CHANGED
    assert "druva-scim up: the input ended. Nothing was changed." in capsys.readouterr().err
    assert stand_in.state().get("config", {}) == {}


def test_input_ending_before_the_click_says_not_to_click(stand_in, capsys):
    script = Script()  # Ctrl-D at "Type yes"
    assert run(script) == rotate.NOTHING_CHANGED
    err = capsys.readouterr().err
    assert f"druva-scim up: the input ended. {preflight.NOT_READY.capitalize()}." in err


def test_with_the_real_pre_flight_a_failing_preview_stops_before_the_token(
    stand_in, monkeypatch, capsys
):
    # Case 1 end to end: the pre-flight previews the typed ids (unstored) and the
    # stand-in CLI's preview fails as a provider's Check would.
    monkeypatch.setattr(preflight, "preflight", REAL_PREFLIGHT)
    refusal = "azuread: service_principal_id: the number of segments didn't match"
    stand_in.set_state({**stand_in.state(), "fail": {"preview": {"code": 255, "message": refusal}}})
    script = Script("yes", AZURE_ID, "", "", "", hidden=(TOKEN,))
    assert run(script) == rotate.NOTHING_CHANGED
    err = capsys.readouterr().err
    assert script.asked_hidden == []
    assert "FAIL  preview:" in err and "number of segments" in err
    assert err.rstrip().endswith(f"{preflight.NOT_READY}.")
    assert written(stand_in) == []
    assert stand_in.state().get("config", {}) == {}
    [previewed] = [call for call in stand_in.calls() if call["command"].startswith("preview")]
    assert AZURE_ID in previewed["env"][texts.PENDING_APPS_VARIABLE]
