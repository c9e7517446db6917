"""`manualApps` through the program under Pulumi's mocks, across runs: a OneLogin app is pending
after a rotation and leaves `pendingManualSteps` once confirmed; a rename keeps its clock."""

import json
from datetime import timedelta
from typing import Any

import pytest

from providers.core import gate, health, lifecycle
from testbed.harness import Run, run_program
from tests.doubles import NOW, OTHER_TOKEN, TOKEN

MANUAL = "pulumi-python:dynamic/druva:ManualHandoff"
OKTA_HANDOFF = "pulumi-python:dynamic/druva:OktaManualHandoff"
ONELOGIN = {"name": "druva-onelogin", "kind": "onelogin", "appId": "1234567"}


def config(token=TOKEN, issued="2026-11-20T00:00:00Z", **structured):
    values = {"druva-scim:scimToken": token, "druva-scim:issuedAt": issued}
    values.update({f"druva-scim:{key}": json.dumps(value) for key, value in structured.items()})
    return values


def prior(run: Run) -> dict[str, dict[str, Any]]:
    """What the engine's state holds after `run`, by resource name."""
    return {r.name: r.outputs for r in run.registrations if r.type in (MANUAL, OKTA_HANDOFF)}


def test_a_onelogin_app_is_pending_after_a_rotation_and_leaves_when_confirmed():
    first = run_program(config(manualApps=[ONELOGIN]))
    old = first.exports["tokenFingerprint"]
    confirmed = run_program(
        config(manualApps=[{**ONELOGIN, "confirmedFingerprint": old}]),
        now=NOW + timedelta(days=1),
        prior=prior(first),
    )
    assert confirmed.exports["pendingManualSteps"] == []
    assert confirmed.exports["targets"][0]["state"] == "confirmed"

    # The rotation: a new token, the app still confirmed for the old one.
    later = NOW + timedelta(days=40)
    rotated = run_program(
        config(
            OTHER_TOKEN,
            "2027-01-01T00:00:00Z",
            manualApps=[{**ONELOGIN, "confirmedFingerprint": old}],
        ),
        now=later,
        prior=prior(confirmed),
    )
    assert rotated.error is None, rotated.messages("error")
    new = rotated.exports["tokenFingerprint"]
    [pending] = rotated.exports["pendingManualSteps"]
    assert (pending["name"], pending["kind"], pending["appId"]) == (
        "druva-onelogin",
        "onelogin-manual",
        "1234567",
    )
    assert pending["pendingSince"] == lifecycle.format_time(later), "the clock starts anew"
    assert "SCIM Bearer Token" in " ".join(pending["steps"])
    assert pending["steps"][-1].startswith(
        f"Confirm: pulumi config set --path 'druva-scim:manualApps[0].confirmedFingerprint' {new}"
    )
    [warning] = rotated.messages("warning")
    assert warning.startswith("OneLogin app druva-onelogin (1234567) is set by hand")
    verdict = gate.evaluate(rotated.exports, later)
    assert verdict.exit_code == gate.DUE
    assert "1 manual hand-off is pending (druva-onelogin)" in verdict.message

    done = run_program(
        config(
            OTHER_TOKEN,
            "2027-01-01T00:00:00Z",
            manualApps=[{**ONELOGIN, "confirmedFingerprint": new}],
        ),
        now=later + timedelta(hours=2),
        prior=prior(rotated),
    )
    assert done.exports["pendingManualSteps"] == []
    assert gate.evaluate(done.exports, later).exit_code == gate.OK
    [handoff] = done.of_type(MANUAL)
    assert handoff.outputs["pending"] is False


def test_renaming_keeps_the_resource_name_and_pending_since_and_the_gate_uses_the_new_name():
    first = run_program(config(manualApps=[ONELOGIN]))
    [handoff] = first.of_type(MANUAL)
    assert handoff.name == "handoff-onelogin-1234567"
    since = handoff.outputs["pendingSince"]
    renamed = run_program(
        config(manualApps=[{**ONELOGIN, "name": "druva-sso"}]),
        now=NOW + timedelta(days=5),
        prior=prior(first),
    )
    [handoff] = renamed.of_type(MANUAL)
    assert handoff.name == "handoff-onelogin-1234567"
    assert handoff.outputs["pendingSince"] == since
    [pending] = renamed.exports["pendingManualSteps"]
    assert pending["name"] == "druva-sso" and pending["pendingSince"] == since
    assert "(druva-sso)" in gate.evaluate(renamed.exports, NOW).message


def test_the_gate_counts_every_hand_off_okta_and_manual_by_name():
    run = run_program(
        {
            **config(
                manualApps=[ONELOGIN, {"name": "jc", "kind": "jumpcloud", "appId": "5f0c1b2a"}]
            ),
            "druva-scim:oktaApps": json.dumps([{"name": "okta", "appId": "0oa1b2c3d4e5f6g7h8i9"}]),
        }
    )
    verdict = gate.evaluate(run.exports, NOW)
    assert "3 manual hand-offs are pending (okta, druva-onelogin, jc)" in verdict.message


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("onelogin", "SCIM Provisioner with SAML (SCIM v2 Core)"),
        ("jumpcloud", "deactivate the integration"),
        ("other", "SCIM bearer token"),
    ],
)
def test_each_kind_gets_its_own_steps_and_the_console_url(kind, words):
    url = "https://console.example.com/apps/42"
    app = {"name": "a", "kind": kind, "appId": "42", "consoleUrl": url}
    [pending] = run_program(config(manualApps=[app])).exports["pendingManualSteps"]
    steps = " ".join(pending["steps"])
    assert words in steps and url in pending["steps"][1]


def test_health_reads_the_recorded_state_of_manual_apps_without_any_network():
    run = run_program(
        config(manualApps=[ONELOGIN, {"name": "jc", "kind": "jumpcloud", "appId": "5f0c1b2a"}])
    )
    fingerprint = run.exports["tokenFingerprint"]
    outputs = json.loads(json.dumps(run.exports, default=str))
    outputs["targets"][1]["state"] = "confirmed"
    outputs["targets"][1]["confirmedFingerprint"] = fingerprint
    stack, problems = health.targets(outputs, NOW)
    assert problems == [] and stack is not None
    verdicts = [health.manual_verdict(target) for target in stack.manual]
    assert [(v.name, v.kind, v.status) for v in verdicts] == [
        ("druva-onelogin", "onelogin-manual", health.DEGRADED),
        ("jc", "jumpcloud-manual", health.HEALTHY),
    ]
    assert "pendingManualSteps" in verdicts[0].problems[0]
    assert "not checked" in verdicts[1].evidence


def test_no_export_and_no_input_carries_the_token():
    apps = [ONELOGIN, {"name": "o", "kind": "other", "appId": "c1"}]
    run = run_program(config(manualApps=apps))
    for name, value in run.exports.items():
        if name != "scimToken":
            assert TOKEN not in json.dumps(value, default=str), name
    for registration in run.of_type(MANUAL):
        assert TOKEN not in json.dumps(registration.inputs, default=str)
        assert TOKEN not in json.dumps(registration.outputs, default=str)
    assert all(TOKEN not in text for _, text in run.logs)


@pytest.mark.parametrize("state", [None, "unverified", "Confirmed"])
def test_a_manual_app_whose_record_is_neither_pending_nor_confirmed_is_unknown_not_healthy(state):
    target = health.ManualTarget("druva-onelogin", "onelogin-manual", "1234567", state)
    verdict = health.manual_verdict(target)
    assert verdict.status == health.UNKNOWN
    assert "neither pending nor confirmed" in verdict.problems[0]
