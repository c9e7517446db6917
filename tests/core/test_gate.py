"""The gate's verdict on a stack's outputs, a pure function of them and `now` (providers/core/gate.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from providers.core import gate
from tests.doubles import EXPIRED, FINE, PENDING_HANDOFF, STACK_OUTPUTS
from tests.doubles import WHILE_DUE as DUE


@pytest.mark.parametrize(
    ("now", "exit_code", "status", "message"),
    [
        pytest.param(
            FINE,
            0,
            "ok",
            "Druva SCIM token 3f2a9c1e5b2d is valid until 2027-11-22 (325 days); "
            "rotation due from 2027-10-23",
            id="a valid token passes with its expiry and rotation date",
        ),
        pytest.param(
            DUE,
            1,
            "rotation-due",
            "Druva SCIM token 3f2a9c1e5b2d expires 2027-11-22 (11 days): rotate now — "
            "see docs/rotation.md",
            id="rotation due says when it expires and where to read",
        ),
    ],
)
def test_the_verdict_on_a_token_alone(now, exit_code, status, message):
    verdict = gate.evaluate(STACK_OUTPUTS, now)
    assert verdict.exit_code == exit_code
    assert verdict.status == status
    assert verdict.message == message


def test_rotation_is_due_from_rotate_after_to_the_second():
    assert (
        gate.evaluate(STACK_OUTPUTS, datetime(2027, 10, 23, 9, 29, 59, tzinfo=UTC)).exit_code == 0
    )
    assert gate.evaluate(STACK_OUTPUTS, datetime(2027, 10, 23, 9, 30, tzinfo=UTC)).exit_code == 1


def test_pending_handoffs_fail_the_gate_while_the_token_is_valid():
    outputs = {**STACK_OUTPUTS, "pendingManualSteps": [PENDING_HANDOFF]}
    verdict = gate.evaluate(outputs, FINE)
    assert verdict.exit_code == 1
    assert verdict.status == "handoffs-pending"
    assert "valid until 2027-11-22" in verdict.message
    assert "1 manual hand-off is pending (druva-okta)" in verdict.message
    assert "pulumi stack output pendingManualSteps" in verdict.message
    assert verdict.handoffs[0].steps == tuple(PENDING_HANDOFF["steps"])


def test_due_and_pending_are_said_in_one_line():
    second = {**PENDING_HANDOFF, "name": "okta-eu"}
    verdict = gate.evaluate({**STACK_OUTPUTS, "pendingManualSteps": [PENDING_HANDOFF, second]}, DUE)
    assert verdict.exit_code == 1
    assert "rotate now, and 2 manual hand-offs are pending (druva-okta, okta-eu)" in (
        verdict.message
    )


def test_an_expired_token_exits_2_even_with_handoffs_pending():
    verdict = gate.evaluate({**STACK_OUTPUTS, "pendingManualSteps": [PENDING_HANDOFF]}, EXPIRED)
    assert verdict.exit_code == 2
    assert verdict.status == "expired"
    assert verdict.message.startswith(
        "Druva SCIM token 3f2a9c1e5b2d expired 2027-11-22 (2 days ago): provisioning is stopped"
    )
    assert "docs/rotation.md" in verdict.message


def test_expiry_is_at_the_exact_instant():
    assert (
        gate.evaluate(STACK_OUTPUTS, datetime(2027, 11, 22, 9, 29, 59, tzinfo=UTC)).exit_code == 1
    )
    verdict = gate.evaluate(STACK_OUTPUTS, datetime(2027, 11, 22, 9, 30, tzinfo=UTC))
    assert verdict.exit_code == 2
    assert "(today)" in verdict.message


def test_the_fingerprint_is_optional():
    outputs = {key: value for key, value in STACK_OUTPUTS.items() if key != "tokenFingerprint"}
    verdict = gate.evaluate(outputs, DUE)
    assert verdict.message == (
        "Druva SCIM token expires 2027-11-22 (11 days): rotate now — see docs/rotation.md"
    )


@pytest.mark.parametrize("key", ["expiresAt", "rotateAfter", "pendingManualSteps"])
def test_a_missing_output_is_named(key):
    outputs = {name: value for name, value in STACK_OUTPUTS.items() if name != key}
    verdict = gate.evaluate(outputs, FINE)
    assert verdict.exit_code == 3
    assert verdict.problems == (f"output {key} is missing",)
    assert f"output {key} is missing" in verdict.message
    assert "pulumi up" in verdict.message


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"expiresAt": "soon"}, "output expiresAt is 'soon', not an RFC 3339 time"),
        ({"rotateAfter": 1700000000}, "output rotateAfter is 1700000000, not an RFC 3339 time"),
        ({"issuedAt": "2026-11-22"}, "output issuedAt is '2026-11-22', not an RFC 3339 time"),
        ({"expiresAt": "2027-11-22T09:30:00"}, "output expiresAt is '2027-11-22T09:30:00'"),
        (
            {"rotateAfter": "2027-12-01T00:00:00Z"},
            "output rotateAfter (2027-12-01T00:00:00Z) is after",
        ),
        ({"pendingManualSteps": "none"}, "output pendingManualSteps is string, not a list"),
        ({"pendingManualSteps": [42]}, "output pendingManualSteps[0] is not an object"),
        ({"pendingManualSteps": [{"steps": []}]}, "output pendingManualSteps[0].name is missing"),
        (
            {"pendingManualSteps": [{"name": "x", "steps": "do it"}]},
            "output pendingManualSteps[0].steps is not a list of text",
        ),
        ({"tokenFingerprint": 12}, "output tokenFingerprint is 12, not text"),
        (
            {"issuedAt": "2027-12-01T00:00:00Z"},
            "output issuedAt (2027-12-01T00:00:00Z) is after expiresAt (2027-11-22T09:30:00Z)",
        ),
        (
            {"issuedAt": "2020-01-01T00:00:00Z"},
            "output expiresAt (2027-11-22T09:30:00Z) is more than 365 days after issuedAt",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_malformed_outputs_are_named(changes, problem):
    verdict = gate.evaluate({**STACK_OUTPUTS, **changes}, FINE)
    assert verdict.exit_code == 3
    assert verdict.status == "unusable"
    assert any(found.startswith(problem) for found in verdict.problems), verdict.problems


def test_every_problem_is_listed_at_once():
    verdict = gate.evaluate({"expiresAt": "soon"}, FINE)
    assert set(verdict.problems) == {
        "output rotateAfter is missing",
        "output pendingManualSteps is missing",
        "output expiresAt is 'soon', not an RFC 3339 time like 2027-11-22T09:30:00Z",
    }


@pytest.mark.parametrize(
    ("document", "kind"),
    [([STACK_OUTPUTS], "list"), ("outputs", "string"), (None, "null"), (3, "number")],
)
def test_a_document_that_is_not_an_object_is_refused(document, kind):
    verdict = gate.evaluate(document, FINE)
    assert verdict.exit_code == 3
    assert verdict.problems == (f"the stack outputs are a JSON {kind}, not an object",)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("  \n", "empty"), ('{"expiresAt": ', "not JSON"), ("[secret]", "not JSON")],
)
def test_text_that_is_not_json_is_named(text, reason):
    document, problem = gate.parse_document(text)
    assert document is None
    assert problem is not None
    assert reason in problem


def test_json_verdict_carries_the_dates_and_handoffs():
    verdict = gate.evaluate({**STACK_OUTPUTS, "pendingManualSteps": [PENDING_HANDOFF]}, DUE)
    rendered = verdict.as_json(DUE)
    assert rendered == {
        "status": "rotation-due",
        "exitCode": 1,
        "message": verdict.message,
        "problems": [],
        "now": "2027-11-10T12:00:00Z",
        "tokenFingerprint": "3f2a9c1e5b2d",
        "issuedAt": "2026-11-22T09:30:00Z",
        "expiresAt": "2027-11-22T09:30:00Z",
        "rotateAfter": "2027-10-23T09:30:00Z",
        "daysLeft": 11,
        "pendingHandoffs": [
            {
                "name": "druva-okta",
                "appId": "0oa1b2c3d4",
                "org": "default",
                "steps": PENDING_HANDOFF["steps"],
            }
        ],
    }


def test_in_process_the_calendar_edges_are_unusable_not_due():
    for changes in (
        {"expiresAt": "9999-12-31T23:30:00-01:00"},
        {"rotateAfter": "0001-01-01T00:00:00+01:00"},
    ):
        verdict = gate.evaluate({**STACK_OUTPUTS, **changes}, FINE)
        assert verdict.exit_code == gate.UNUSABLE
