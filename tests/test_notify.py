"""Notifications from the gate and the health check, posted over real sockets to a stand-in
webhook on 127.0.0.1: the documented shapes, the countdown days, a webhook that hangs or
throttles, failures on stderr with the exit code unchanged, and the URLs never shown."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import pytest

from providers import gate as command
from providers import health as health_command
from providers import notify as webhooks
from providers.core import gate, lifecycle, redaction
from providers.core import notify as rules
from providers.core.clock import FixedClock
from testbed import corpus
from testbed.stand_ins.server import Reply
from testbed.stand_ins.webhook import SECRET, Webhooks, rate_limited
from tests.doubles import FAST, STACK_OUTPUTS, stack_outputs

EXPIRES = lifecycle.parse_time(str(STACK_OUTPUTS["expiresAt"]))
BOUND = 1.5
"""The notifications' bound in these tests: every post of a run ends within it."""


@pytest.fixture
def hooks(monkeypatch) -> Iterator[Webhooks]:
    monkeypatch.setattr(webhooks, "POLICY", dataclasses.replace(FAST, deadline_seconds=1.0))
    monkeypatch.setattr(webhooks, "RUN_SECONDS", BOUND)
    monkeypatch.delenv(rules.VARIABLE, raising=False)
    with Webhooks() as stand_in:
        yield stand_in


def every_url(hooks: Webhooks) -> list[str]:
    return [hooks.url(kind) for kind in ("slack", "teams", "json")]


def run_gate(now: datetime, *urls: str, monkeypatch, capsys, outputs=None) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(outputs or STACK_OUTPUTS)))
    arguments = ["-", "--now", lifecycle.format_time(now)]
    for url in urls:
        arguments += ["--notify", url]
    code = command.main(arguments)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_no_url(text: str, *urls: str) -> None:
    """No form the redaction knows of any URL's secret is in `text`."""
    secrets = [part for url in urls for part in redaction.url_secrets(url)]
    assert secrets
    assert redaction.redact(text, secrets) == text
    assert SECRET not in text


# --- when: a pure function of the verdict --------------------------------------------------


def posts(outputs: Mapping[str, object], now: datetime) -> bool:
    return rules.gate_posts(gate.evaluate(outputs, now), now)


@pytest.mark.parametrize("left", [n for n in rules.THRESHOLDS if n < 30])
def test_a_due_rotation_notifies_on_the_day_the_days_left_reach_a_threshold_and_not_the_next(left):
    # The first and last moments of the day on which the days left are `left`.
    first = EXPIRES - timedelta(days=left + 1) + timedelta(seconds=1)
    for now in (first, EXPIRES - timedelta(days=left)):
        verdict = gate.evaluate(STACK_OUTPUTS, now)
        assert (verdict.status, verdict.days_left) == ("rotation-due", left)
        assert posts(STACK_OUTPUTS, now)
    day_after = EXPIRES - timedelta(days=left) + timedelta(seconds=1)
    assert gate.evaluate(STACK_OUTPUTS, day_after).days_left == left - 1
    assert not posts(STACK_OUTPUTS, day_after)
    assert not posts(STACK_OUTPUTS, first - timedelta(seconds=1))


def test_the_first_day_of_a_due_rotation_notifies_and_the_next_does_not():
    # rotateAfter is 30 days before expiry: the days left are 30 only at that instant.
    due = lifecycle.parse_time(str(STACK_OUTPUTS["rotateAfter"]))
    assert not posts(STACK_OUTPUTS, due - timedelta(seconds=1))
    assert posts(STACK_OUTPUTS, due)
    assert posts(STACK_OUTPUTS, due + timedelta(hours=23, minutes=59))
    assert not posts(STACK_OUTPUTS, due + timedelta(days=1))


def test_a_daily_run_posts_once_per_threshold_over_a_whole_rotation_window():
    runs = [EXPIRES - timedelta(days=days, hours=3) for days in range(40, 0, -1)]
    posted = [
        gate.evaluate(STACK_OUTPUTS, now).days_left for now in runs if posts(STACK_OUTPUTS, now)
    ]
    # The first, 29 days left, is the day rotation became due: the threshold of 30 days.
    assert posted == [29, 14, 7, 3, 1]


def test_every_run_notifies_while_the_token_is_expired_a_hand_off_pending_or_outputs_unusable():
    handoff = {"name": "druva-okta", "appId": "0oa1", "org": "default", "steps": ["Paste, Save"]}
    before_due = EXPIRES - timedelta(days=100)
    assert not posts(STACK_OUTPUTS, before_due)
    with_handoff = {**STACK_OUTPUTS, "pendingManualSteps": [handoff]}
    assert posts(with_handoff, before_due)
    # Due, and a hand-off pending: the hand-off needs a person every day, not on a threshold.
    assert posts(with_handoff, EXPIRES - timedelta(days=20))
    assert posts(STACK_OUTPUTS, EXPIRES + timedelta(days=1))
    assert posts({}, before_due)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "slack"),
        (
            "https://prod-00.southcentralus.logic.azure.com:443/workflows/"
            "f90cb66c52ea4e9cabe0abf4e197deff/triggers/manual/paths/invoke?api-version=2016-06-01"
            "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V",
            "teams",
        ),
        ("json+https://alerts.example.com/hook/0123456789abcdef0123", "json"),
        ("teams+https://hooks.slack.com/services/T0/B0/XXXXXXXXXXXXXXXXXXXXXXXX", "teams"),
    ],
)
def test_the_format_comes_from_the_host_or_the_prefix(url, kind):
    found = rules.webhook(url, 1, rules.OPTION)
    assert isinstance(found, rules.Webhook)
    assert found.kind == kind
    assert found.url.startswith("https://")
    assert_no_url(found.name, url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://alerts.example.com/hook/0123456789abcdef0123", "put slack+, teams+ or json+"),
        ("json+http://alerts.example.com/hook/0123456789abcdef0123", "uses plain http"),
        ("mail+https://alerts.example.com/hook/0123456789abcdef0123", "unknown format mail+"),
        ("hooks.slack.com/services/T0/B0/XXXXXXXXXXXXXXXXXXXXXXXX", "is not an https:// URL"),
    ],
)
def test_a_url_that_names_no_webhook_is_said_without_quoting_it(url, problem):
    found = rules.webhook(url, 2, rules.VARIABLE)
    assert isinstance(found, str)
    assert found.startswith(f"URL 2 of {rules.VARIABLE}")
    assert problem in found
    assert_no_url(found, url)


def test_the_variable_holds_urls_separated_by_white_space_and_the_option_replaces_it():
    environ = {rules.VARIABLE: " https://a.example/1\n\nhttps://b.example/2 "}
    assert rules.urls(None, environ).urls == ("https://a.example/1", "https://b.example/2")
    assert rules.urls(["https://c.example/3"], environ).urls == ("https://c.example/3",)
    # Azure Pipelines passes an undefined secret variable's macro as written.
    assert rules.urls(None, {rules.VARIABLE: f"$({rules.VARIABLE})"}).urls == ()


def test_only_the_secret_parts_of_the_variables_urls_are_redacted_elsewhere():
    url = "https://hooks.slack.com/services/T00000000/B00000000/Xq7Lr2Vn9Ws4Kd8Hj3Tb6Fz1"
    found = redaction.environment_secrets({rules.VARIABLE: url})
    assert found == ["Xq7Lr2Vn9Ws4Kd8Hj3Tb6Fz1"]
    text = redaction.redact(f"posted to {url}; see https://hooks.slack.com/services", found)
    assert text == (
        "posted to https://hooks.slack.com/services/T00000000/B00000000/[redacted]; "
        "see https://hooks.slack.com/services"
    )


# --- what: the documented shapes, for a failing health run and a due rotation ---------------


def assert_documented_shapes(hooks: Webhooks, document: dict[str, object]) -> None:
    (slack,) = hooks.posts("slack")
    (teams,) = hooks.posts("teams")
    (received,) = hooks.posts("json")
    documented = corpus.body("webhook", "slack-request")
    assert set(slack) == set(documented) == {"text"}
    assert isinstance(slack["text"], str) and slack["text"]
    example = corpus.body("webhook", "teams-request")
    assert teams["type"] == example["type"] == "message"
    (attachment,) = teams["attachments"]
    (documented_attachment,) = example["attachments"]
    assert set(attachment) == set(documented_attachment)
    assert attachment["contentType"] == documented_attachment["contentType"]
    card, documented_card = attachment["content"], documented_attachment["content"]
    assert set(card) == set(documented_card)
    for key in ("$schema", "type", "version"):
        assert card[key] == documented_card[key]
    assert card["body"] and all(block["type"] == "TextBlock" for block in card["body"])
    assert received == document


def test_a_failing_health_run_posts_one_message_of_each_documented_shape(hooks, capsys):
    outputs = stack_outputs("2026-11-20T00:00:00Z", targets=[])
    expired = lifecycle.parse_time(str(outputs["expiresAt"])) + timedelta(days=1)
    arguments = ["-", "--json"]
    for url in every_url(hooks):
        arguments += ["--notify", url]
    stdin = sys.stdin
    sys.stdin = io.StringIO(json.dumps(outputs))
    try:
        code = health_command.main(arguments, clock=FixedClock(expired), environ={})
    finally:
        sys.stdin = stdin
    captured = capsys.readouterr()
    assert code == 2
    document = json.loads(captured.out)
    assert document["status"] == "failing"
    assert_documented_shapes(hooks, document)
    assert "expired" in hooks.posts("slack")[0]["text"]
    assert captured.err == ""
    assert_no_url(captured.out + captured.err, *every_url(hooks))


def test_a_due_rotation_posts_one_message_of_each_documented_shape(hooks, monkeypatch, capsys):
    now = EXPIRES - timedelta(days=14)
    code, out, err = run_gate(now, *every_url(hooks), monkeypatch=monkeypatch, capsys=capsys)
    assert code == gate.DUE
    assert out.startswith("Druva SCIM token 3f2a9c1e5b2d expires 2027-11-22 (14 days)")
    assert err == ""
    assert_documented_shapes(hooks, gate.evaluate(STACK_OUTPUTS, now).as_json(now))
    assert "14 days" in hooks.posts("slack")[0]["text"]


def test_the_day_after_a_threshold_nothing_is_posted(hooks, monkeypatch, capsys):
    now = EXPIRES - timedelta(days=13)
    code, _, err = run_gate(now, *every_url(hooks), monkeypatch=monkeypatch, capsys=capsys)
    assert (code, err) == (gate.DUE, "")
    assert hooks.requests == []


def test_the_variable_is_read_when_no_option_is_given(hooks, monkeypatch, capsys):
    monkeypatch.setenv(rules.VARIABLE, "\n".join(every_url(hooks)))
    code, _, err = run_gate(EXPIRES - timedelta(days=7), monkeypatch=monkeypatch, capsys=capsys)
    assert (code, err) == (gate.DUE, "")
    assert [len(hooks.posts(kind)) for kind in ("slack", "teams", "json")] == [1, 1, 1]


# --- failures: bounded, on stderr, the exit code unchanged, the URL never shown -------------


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Reply(action="hang"), "did not finish within"),
        (rate_limited("120"), "did not finish within"),
        (rate_limited("0"), "answered HTTP 429"),
    ],
    ids=["hung", "throttled for longer than the bound", "throttled every time"],
)
def test_a_webhook_that_hangs_or_throttles_does_not_hold_the_gate(
    hooks, monkeypatch, capsys, fault, said
):
    hooks.fail_next(*[fault] * 5)
    now = EXPIRES + timedelta(days=2)
    started = time.monotonic()
    code, out, err = run_gate(
        now, hooks.url("slack"), hooks.url("teams"), monkeypatch=monkeypatch, capsys=capsys
    )
    elapsed = time.monotonic() - started
    assert elapsed < BOUND + 1.0
    assert code == gate.EXPIRED
    assert out.startswith("Druva SCIM token 3f2a9c1e5b2d expired 2027-11-22")
    lines = err.splitlines()
    assert lines[0].startswith(f"Notification not sent to the Slack webhook 1 of {rules.OPTION}")
    assert said in lines[0]
    assert lines[0].endswith(f"the exit code is unchanged ({rules.DOCS})")
    assert_no_url(out + err, hooks.url("slack"), hooks.url("teams"))


def test_slacks_refusal_is_said_with_its_word_and_the_others_are_still_posted(
    hooks, monkeypatch, capsys
):
    wrong = hooks.url("slack").replace(SECRET, "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2")
    now = EXPIRES + timedelta(days=2)
    code, _, err = run_gate(now, wrong, hooks.url("json"), monkeypatch=monkeypatch, capsys=capsys)
    assert code == gate.EXPIRED
    assert "answered HTTP 404: channel_not_found after 1 attempt;" in err
    assert len(hooks.posts("json")) == 1
    assert_no_url(err, wrong)


def test_a_health_run_whose_webhook_is_unreachable_keeps_its_exit_code(hooks, capsys):
    outputs = stack_outputs("2026-11-20T00:00:00Z", targets=[])
    expired = lifecycle.parse_time(str(outputs["expiresAt"])) + timedelta(days=1)
    url = hooks.url("slack")
    hooks.stop()
    stdin = sys.stdin
    sys.stdin = io.StringIO(json.dumps(outputs))
    try:
        code = health_command.main(
            ["-", "--json"], clock=FixedClock(expired), environ={rules.VARIABLE: url}
        )
    finally:
        sys.stdin = stdin
    captured = capsys.readouterr()
    assert code == 2
    assert json.loads(captured.out)["status"] == "failing"
    assert captured.err.startswith(
        f"Notification not sent to the Slack webhook 1 of {rules.VARIABLE}"
    )
    assert "could not be reached" in captured.err
    assert_no_url(captured.out + captured.err, url)


def test_a_url_that_names_no_webhook_is_said_and_the_gate_keeps_its_exit_code(
    hooks, monkeypatch, capsys
):
    bad = "https://alerts.example.com/hook/0123456789abcdef0123"
    now = EXPIRES + timedelta(days=2)
    code, _, err = run_gate(now, bad, hooks.url("teams"), monkeypatch=monkeypatch, capsys=capsys)
    assert code == gate.EXPIRED
    assert err.startswith(f"Notification not sent: URL 1 of {rules.OPTION} is neither Slack's")
    assert len(hooks.posts("teams")) == 1
    assert_no_url(err, bad)


def test_a_healthy_health_run_posts_nothing_even_with_rotation_due(hooks, capsys):
    outputs = stack_outputs("2026-11-20T00:00:00Z", targets=[])
    due = lifecycle.parse_time(str(outputs["rotateAfter"])) + timedelta(days=16)
    stdin = sys.stdin
    sys.stdin = io.StringIO(json.dumps(outputs))
    try:
        code = health_command.main(
            ["-", "--notify", hooks.url("slack")], clock=FixedClock(due), environ={}
        )
    finally:
        sys.stdin = stdin
    assert code == 0
    assert capsys.readouterr().err == ""
    assert hooks.requests == []
