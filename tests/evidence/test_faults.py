"""Issue 6, item 1: every fault against Druva, Graph and Okta, in create, read and verification.

The scenarios run once per session (tests/evidence/faults.py); each row is
asserted here, and a few rows are looked at more closely.
"""

import pytest

from tests.doubles import FAST
from tests.evidence import faults
from tests.evidence.faults import FAULTS, TARGETS, Checked


def by(scenario_start: str, step: str) -> Checked:
    [found] = [
        c
        for c in faults.checked()
        if c.row.scenario.startswith(scenario_start) and c.row.step == step
    ]
    return found


@pytest.mark.parametrize(
    ("fault", "target"),
    [(fault, target) for fault in FAULTS for target in TARGETS],
    ids=[f"{fault.title(target)} / {target.step}" for fault in FAULTS for target in TARGETS],
)
def test_each_fault_ends_as_expected(fault, target):
    [result] = [c for c in faults.checked() if c.fault is fault and c.target is target]
    assert result.row.passed, result.row.reason


def test_every_fault_meets_every_target():
    assert len(faults.rows()) == len(FAULTS) * len(TARGETS) >= 19 * 4
    assert {row.step for row in faults.rows()} == {
        "create",
        "read (refresh)",
        "verify (Azure)",
        "verify (Okta)",
    }


@pytest.mark.parametrize("step", ["create", "read (refresh)", "verify (Azure)", "verify (Okta)"])
def test_a_redirect_is_not_followed_and_the_other_server_hears_nothing(step):
    [redirect] = [
        c
        for c in faults.checked()
        if "redirects to another server" in c.row.scenario and c.row.step == step
    ]
    assert redirect.requests_elsewhere == 0
    assert redirect.row.attempts == 1
    assert redirect.row.outcome.startswith("failed:")


@pytest.mark.parametrize("step", ["create", "verify (Azure)", "verify (Okta)"])
def test_401_is_not_retried(step):
    [result] = [
        c for c in faults.checked() if "answers 401" in c.row.scenario and c.row.step == step
    ]
    assert result.row.attempts == 1
    assert result.row.outcome.startswith("failed:")
    assert result.row.state_changed is False


def test_a_refresh_of_a_rejected_token_fails_and_keeps_the_state():
    result = by("Druva answers 401", "read (refresh)")
    assert result.row.outcome.startswith("failed: ") and "rejected the token" in result.row.outcome
    assert result.row.attempts == 1
    assert result.row.state_changed is False
    assert result.row.converged is True


@pytest.mark.parametrize("step", ["create", "read (refresh)"])
def test_a_firewalls_403_is_no_verdict_on_the_token(step):
    result = by("Druva answers 403 with a firewall's HTML page", step)
    assert "could not be checked" in result.row.outcome
    assert "Generate a new" not in result.row.outcome
    assert result.row.state_changed is False
    assert result.row.passed, result.row.reason


def test_exact_attempt_counts():
    assert by("Druva answers 503 once", "create").row.attempts == 2
    assert by("Druva answers 503 to every attempt", "create").row.attempts == FAST.attempts
    # Graph: the listing retried once, then validateCredentials.
    assert by("Graph answers 429 once with Retry-After: 1", "verify (Azure)").row.attempts == 3
    assert by("Okta answers 504 once", "verify (Okta)").row.attempts == 2
    assert (
        by(
            "Okta does not answer within the read timeout, every attempt", "verify (Okta)"
        ).row.attempts
        == FAST.attempts
    )
    assert by("Druva refuses the connection", "create").row.attempts == 0


def test_retry_after_is_honoured_in_both_forms():
    for start in (
        "Druva answers 429 once with Retry-After: 1",
        "Druva answers 429 once with Retry-After as an HTTP date",
    ):
        row = by(start, "create").row
        seconds = row.seconds
        assert row.outcome == "ok" and seconds is not None
        assert seconds >= 0.9, "FAST backs off 0.01 s; only the server's Retry-After waits a second"


def test_tls_faults_fail_with_the_tls_message_whatever_the_name_or_trust():
    for start in ("Druva presents a self-signed", "Druva presents a certificate from a trusted CA"):
        row = by(start, "create").row
        assert "presented a TLS certificate" in row.outcome
        assert row.attempts is not None and 1 <= row.attempts <= FAST.attempts
        assert row.converged is True


def test_every_step_stays_within_the_policys_bound():
    bound = FAST.deadline_seconds
    assert all(row.seconds is not None and row.seconds <= bound for row in faults.rows())
