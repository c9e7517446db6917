"""Notifications from the gate and the health check, posted over real sockets to a stand-in
webhook on 127.0.0.1: the documented shapes, the countdown days, a webhook that hangs or
throttles, failures on stderr with the exit code unchanged, and the URLs never shown."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from providers import gate as command
from providers import health as health_command
from providers import notify as webhooks
from providers.core import gate, lifecycle, redaction
from providers.core import notify as rules
from providers.core.clock import FixedClock
from testbed import corpus
from testbed.stand_ins.server import Reply, closed_port
from testbed.stand_ins.webhook import SECRET, Webhooks, rate_limited
from tests.doubles import FAST, STACK_OUTPUTS, stack_outputs

EXPIRES = lifecycle.parse_time(str(STACK_OUTPUTS["expiresAt"]))
SCALE = 0.05
"""The notifications' seconds in these tests: twenty times shorter than the product's."""
POLICY = dataclasses.replace(
    webhooks.POLICY,
    connect_timeout=webhooks.POLICY.connect_timeout * SCALE,
    read_timeout=webhooks.POLICY.read_timeout * SCALE,
    deadline_seconds=webhooks.POLICY.deadline_seconds * SCALE,
    backoff_factor=FAST.backoff_factor,
    backoff_max=FAST.backoff_max,
    retry_after_max=1,
)
BOUND = POLICY.deadline_seconds
"""One webhook's bound in these tests: each post ends within it."""


@pytest.fixture
def hooks(monkeypatch) -> Iterator[Webhooks]:
    monkeypatch.setattr(webhooks, "POLICY", POLICY)
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


def utc(text: str) -> datetime:
    return lifecycle.parse_time(text)


@pytest.mark.parametrize("left", [n for n in rules.THRESHOLDS if n < 30])
def test_a_due_rotation_notifies_on_the_utc_date_the_days_left_reach_a_threshold_not_the_next(
    left,
):
    # EXPIRES is 2027-11-22T09:30Z: the threshold's day is the UTC date `left` dates before.
    day = EXPIRES.date() - timedelta(days=left)
    first, last = (utc(f"{day.isoformat()}T{clock}Z") for clock in ("00:00:00", "23:59:59"))
    for now in (first, last, utc(f"{day.isoformat()}T23:59:59-05:00") - timedelta(hours=5)):
        assert gate.evaluate(STACK_OUTPUTS, now).status == "rotation-due"
        assert posts(STACK_OUTPUTS, now)
    assert not posts(STACK_OUTPUTS, last + timedelta(seconds=1))
    assert not posts(STACK_OUTPUTS, first - timedelta(seconds=1))


def test_the_first_utc_date_rotation_is_due_all_day_notifies_and_the_next_does_not():
    # rotateAfter is 2027-10-23T09:30Z: a run on that date after it is due, but one before it
    # is not, so the first whole UTC day of it, 2027-10-24, is the day that posts.
    due = utc(str(STACK_OUTPUTS["rotateAfter"]))
    assert not posts(STACK_OUTPUTS, due - timedelta(seconds=1))
    assert not posts(STACK_OUTPUTS, due + timedelta(hours=1))
    assert posts(STACK_OUTPUTS, utc("2027-10-24T00:00:00Z"))
    assert posts(STACK_OUTPUTS, utc("2027-10-24T23:59:59Z"))
    assert not posts(STACK_OUTPUTS, utc("2027-10-25T06:00:00Z"))
    # rotateAfter at midnight UTC: its own date is due all day, and posts.
    midnight = {**STACK_OUTPUTS, "issuedAt": "2026-11-22T00:00:00Z"}
    midnight.update(expiresAt="2027-11-22T00:00:00Z", rotateAfter="2027-10-23T00:00:00Z")
    assert posts(midnight, utc("2027-10-23T06:00:00Z"))
    assert not posts(midnight, utc("2027-10-24T06:00:00Z"))


@pytest.mark.parametrize("expires", ["00:05", "06:03", "06:10", "23:59"])
def test_a_daily_run_delayed_by_its_scheduler_posts_once_per_threshold(expires):
    # A cron at 06:00 UTC that starts 0 to 20 minutes late, for 40 days up to expiry.
    expires_at = utc(f"2027-11-22T{expires}:00Z")
    outputs = {
        **STACK_OUTPUTS,
        "issuedAt": lifecycle.format_time(expires_at - timedelta(days=365)),
        "expiresAt": lifecycle.format_time(expires_at),
        "rotateAfter": lifecycle.format_time(expires_at - timedelta(days=30)),
    }
    delays = random.Random(f"cron {expires}")  # noqa: S311  (delays, not a secret)
    posted = []
    for before in range(40, 0, -1):
        day = expires_at.date() - timedelta(days=before)
        now = utc(f"{day.isoformat()}T06:00:00Z") + timedelta(minutes=delays.uniform(0, 20))
        if posts(outputs, now):
            posted.append(before)
    # 29: the first UTC date rotation is due all day, which stands for the threshold of 30.
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
    hooks.fail_next(*[fault] * 2 * POLICY.attempts)
    now = EXPIRES + timedelta(days=2)
    started = time.monotonic()
    code, out, err = run_gate(
        now, hooks.url("slack"), hooks.url("teams"), monkeypatch=monkeypatch, capsys=capsys
    )
    elapsed = time.monotonic() - started
    # Each webhook is tried on its own, within its own bound: both fail here.
    assert elapsed < 2 * BOUND + 1.0
    assert code == gate.EXPIRED
    assert out.startswith("Druva SCIM token 3f2a9c1e5b2d expired 2027-11-22")
    lines = err.splitlines()
    assert len(lines) == 2
    for line, name in zip(lines, ("Slack webhook 1", "Teams workflow webhook 2"), strict=True):
        assert line.startswith(f"Notification not sent to the {name} of {rules.OPTION}")
        assert said in line
        assert line.endswith(f"the exit code is unchanged ({rules.DOCS})")
    assert_no_url(out + err, hooks.url("slack"), hooks.url("teams"))


def test_a_hung_webhook_keeps_the_message_from_no_other_on_the_same_host(
    hooks, monkeypatch, capsys
):
    # All Slack webhooks share hooks.slack.com: here, both share the stand-in's 127.0.0.1.
    answer = hooks.handle
    monkeypatch.setattr(
        hooks,
        "handle",
        lambda request: (
            Reply(action="hang") if request.path.startswith("/slack/") else answer(request)
        ),
    )
    now = EXPIRES + timedelta(days=2)
    started = time.monotonic()
    code, _, err = run_gate(
        now, hooks.url("slack"), hooks.url("json"), monkeypatch=monkeypatch, capsys=capsys
    )
    assert time.monotonic() - started < 2 * BOUND + 1.0
    assert code == gate.EXPIRED
    assert len(hooks.posts("json")) == 1
    (line,) = err.splitlines()
    assert line.startswith(f"Notification not sent to the Slack webhook 1 of {rules.OPTION}")
    assert f"did not finish within {BOUND:g} s" in line
    # A hang is no network's fault: the advice is to run again, not to check the proxy.
    assert "proxy" not in line and "network" not in line
    assert_no_url(err, hooks.url("slack"), hooks.url("json"))


def test_a_post_the_webhook_may_have_processed_is_not_sent_again(hooks, monkeypatch, capsys):
    hooks.fail_next(Reply(500, {"error": "internal"}))
    now = EXPIRES + timedelta(days=2)
    code, _, err = run_gate(now, hooks.url("json"), monkeypatch=monkeypatch, capsys=capsys)
    assert code == gate.EXPIRED
    assert len(hooks.posts("json")) == 1
    assert "answered HTTP 500" in err and "after 1 attempt;" in err


@pytest.mark.parametrize("status", [503, 413])
def test_a_refusal_with_a_retry_after_that_may_follow_processing_is_not_sent_again(
    hooks, monkeypatch, capsys, status
):
    # urllib3 retries 413 and 503 for their Retry-After alone (Retry.RETRY_AFTER_STATUS_CODES).
    hooks.fail_next(Reply(status, {"error": "busy"}, headers={"Retry-After": "1"}))
    now = EXPIRES + timedelta(days=2)
    code, _, err = run_gate(now, hooks.url("json"), monkeypatch=monkeypatch, capsys=capsys)
    assert code == gate.EXPIRED
    assert len(hooks.posts("json")) == 1
    assert f"answered HTTP {status}" in err and "after 1 attempt;" in err


def test_a_throttled_post_is_sent_again_after_its_retry_after_and_lands(hooks, monkeypatch, capsys):
    # Retry-After 1 s needs more than the tests' bound of one post.
    monkeypatch.setattr(webhooks, "POLICY", dataclasses.replace(POLICY, deadline_seconds=3.0))
    hooks.fail_next(rate_limited("1"))
    now = EXPIRES + timedelta(days=2)
    started = time.monotonic()
    code, _, err = run_gate(now, hooks.url("slack"), monkeypatch=monkeypatch, capsys=capsys)
    assert time.monotonic() - started >= 1.0
    assert (code, err) == (gate.EXPIRED, "")
    assert len(hooks.posts("slack")) == 2


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


LAMBDA = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/"
"""An AWS Lambda function URL: its secret is its host's first label."""


def test_a_secret_in_the_host_is_shown_nowhere(hooks, monkeypatch, capsys):
    # The proxy is a closed port: the post fails here, and never leaves the machine.
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    for name in ("NO_PROXY", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    label = "abcdefghijklmnopqrstuvwxyz012345"
    now = EXPIRES + timedelta(days=2)
    texts = []
    for extra in ([], ["--json"]):
        monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(STACK_OUTPUTS)))
        arguments = ["-", "--now", lifecycle.format_time(now), "--notify", f"json+{LAMBDA}"]
        assert command.main(arguments + extra) == gate.EXPIRED
        captured = capsys.readouterr()
        assert captured.err.startswith("Notification not sent to the JSON webhook 1 of --notify:")
        texts += [captured.out, captured.err]
    assert label in redaction.url_secrets(f"json+{LAMBDA}")
    assert all(label not in text for text in texts)
    assert all("lambda-url" not in text for text in texts)


@pytest.mark.parametrize(
    "url",
    [
        "https:example.com/?a=secretsecretsecret+https://alerts.example.com/hook/0123456789abcdef",
        "q1w2e3r4t5y6u7i8o9p0+https://alerts.example.com/hook/0123456789abcdef0123",
        "secretsecretsecret+https://alerts.example.com/hook/0123456789abcdef0123",
    ],
)
def test_only_a_short_word_of_letters_before_plus_http_is_quoted_as_a_prefix(url):
    found = rules.webhook(url, 1, rules.OPTION)
    assert found == f"URL 1 of {rules.OPTION} is not an https:// URL"


def test_a_format_that_fails_to_build_keeps_the_message_from_no_other(hooks, monkeypatch, capsys):
    built = webhooks.payload

    def payload(kind, notice):
        if kind == rules.SLACK:
            raise RuntimeError("a bug")
        return built(kind, notice)

    monkeypatch.setattr(webhooks, "payload", payload)
    now = EXPIRES + timedelta(days=2)
    code, _, err = run_gate(
        now, hooks.url("slack"), hooks.url("json"), monkeypatch=monkeypatch, capsys=capsys
    )
    assert code == gate.EXPIRED
    assert err == (
        f"Notification not sent to the Slack webhook 1 of {rules.OPTION}: "
        f"RuntimeError; the exit code is unchanged ({rules.DOCS})\n"
    )
    assert hooks.posts("slack") == []
    assert len(hooks.posts("json")) == 1


@pytest.mark.parametrize("prefix", ["slack+", "teams+", "json+"])
def test_a_webhook_on_a_host_of_its_own_is_named_without_it_and_the_host_kept_out(prefix):
    url = prefix + "https://eo1a2b3c.m.pipedream.net/"
    hook = rules.webhook(url, 1, rules.OPTION)
    assert isinstance(hook, rules.Webhook)
    assert "pipedream" not in hook.name
    said = rules.not_sent(
        hook.name, "eo1a2b3c.m.pipedream.net could not be reached", hook.secrets()
    )
    assert "eo1a2b3c" not in said
    slack = rules.webhook("https://hooks.slack.com/services/T0/B0/" + SECRET, 2, rules.OPTION)
    assert isinstance(slack, rules.Webhook) and slack.name.endswith("(hooks.slack.com)")


def test_a_message_that_fails_to_be_made_changes_no_exit_code(hooks, monkeypatch, capsys):
    def broken(*_: object) -> webhooks.Notice:
        raise RuntimeError("a bug")

    monkeypatch.setattr(webhooks, "gate_notice", broken)
    monkeypatch.setattr(webhooks, "health_notice", broken)
    now = EXPIRES + timedelta(days=2)
    code, out, err = run_gate(now, hooks.url("json"), monkeypatch=monkeypatch, capsys=capsys)
    assert code == gate.EXPIRED
    assert out.startswith("Druva SCIM token 3f2a9c1e5b2d expired 2027-11-22")
    assert err.startswith("Notification not sent to the webhooks: RuntimeError;")
    outputs = stack_outputs("2026-11-20T00:00:00Z", targets=[])
    expired = lifecycle.parse_time(str(outputs["expiresAt"])) + timedelta(days=1)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(outputs)))
    code = health_command.main(
        ["-", "--notify", hooks.url("json")], clock=FixedClock(expired), environ={}
    )
    assert code == 2
    assert capsys.readouterr().err.startswith(
        "Notification not sent to the webhooks: RuntimeError;"
    )
    assert hooks.requests == []


@pytest.mark.parametrize("pipeline", [".github/workflows/daily.yml", "azure-pipelines.yml"])
def test_both_pipelines_show_the_health_checks_notification_failures(pipeline, tmp_path):
    # The health step's script, from its report to its lines printed, run with a stand-in for
    # the health check that writes a valid report and a notification's failure on stderr.
    lines = (Path(__file__).resolve().parents[1] / pipeline).read_text().splitlines()
    run = next(index for index, line in enumerate(lines) if "providers.health --stack" in line)
    start = max(index for index in range(run) if lines[index].strip().startswith("report="))
    end = lines.index(
        lines[start].replace(lines[start].strip(), "printf '%s\\n' \"$lines\""), start
    )
    script = textwrap.dedent("\n".join(lines[start : end + 1]))
    said = "Notification not sent to the Slack webhook 1 of DRUVA_SCIM_NOTIFY_URLS: it answered"
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        "#!/bin/sh\n"
        """echo '{"apps": [], "summary": "Provisioning: failing", "causes": []}'\n"""
        f"echo '{said}' >&2\nexit 2\n"
    )
    python.chmod(0o755)
    environ = {"PATH": os.environ["PATH"], "PULUMI_STACK": "prod"}
    environ.update(RUNNER_TEMP=str(tmp_path), AGENT_TEMPDIRECTORY=str(tmp_path))
    bash = shutil.which("bash")
    assert bash is not None
    ran = subprocess.run(
        [bash, "-c", script], cwd=tmp_path, env=environ, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert "Provisioning: failing" in ran.stdout
    assert said in ran.stdout + ran.stderr
