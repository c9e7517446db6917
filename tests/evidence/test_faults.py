"""Issue 6, item 1: every fault against Druva, Graph and Okta, in create, read and the checks.

The scenarios run once per module, concurrently (tests/evidence/faults.py); each
is a case here that records and asserts its row, and a few rows are looked at
more closely.
"""

from collections.abc import Callable

import pytest

from tests.doubles import FAST
from tests.evidence import faults
from tests.evidence.faults import FAULTS, TARGETS, Checked


@pytest.fixture(scope="module")
def results() -> list[Checked]:
    return faults.run_all()


@pytest.fixture
def by(results: list[Checked]) -> Callable[[str, str], Checked]:
    def found(scenario_start: str, step: str) -> Checked:
        [match] = [
            c for c in results if c.row.scenario.startswith(scenario_start) and c.row.step == step
        ]
        return match

    return found


@pytest.mark.parametrize(
    ("fault", "target"),
    [(fault, target) for fault in FAULTS for target in TARGETS],
    ids=[f"{fault.title(target)} / {target.step}" for fault in FAULTS for target in TARGETS],
)
def test_each_fault_ends_as_expected(fault, target, results, evidence):
    [result] = [c for c in results if c.fault is fault and c.target is target]
    evidence.record("faults", result.row)


def test_every_fault_meets_every_target(results):
    assert len(results) == len(FAULTS) * len(TARGETS) >= 19 * 4
    assert {c.row.step for c in results} == {
        "create",
        "read (refresh)",
        "check (Azure)",
        "check (Okta)",
    }


@pytest.mark.parametrize("step", ["create", "read (refresh)", "check (Azure)", "check (Okta)"])
def test_a_redirect_is_not_followed_and_the_other_server_hears_nothing(step, results):
    [redirect] = [
        c for c in results if "redirects to another server" in c.row.scenario and c.row.step == step
    ]
    assert redirect.requests_elsewhere == 0
    assert redirect.row.attempts == 1
    assert redirect.row.outcome.startswith("failed:")


@pytest.mark.parametrize("step", ["create", "check (Azure)", "check (Okta)"])
def test_401_is_not_retried(step, results):
    [result] = [c for c in results if "answers 401" in c.row.scenario and c.row.step == step]
    assert result.row.attempts == 1
    assert result.row.outcome.startswith("failed:")
    assert result.row.state_changed is False


def test_a_refresh_of_a_rejected_token_fails_and_keeps_the_state(by):
    result = by("Druva answers 401", "read (refresh)")
    assert result.row.outcome.startswith("failed: ") and "rejected the token" in result.row.outcome
    assert result.row.attempts == 1
    assert result.row.state_changed is False
    assert result.row.converged is True


@pytest.mark.parametrize("step", ["create", "read (refresh)"])
def test_a_firewalls_403_is_no_verdict_on_the_token(step, by):
    result = by("Druva answers 403 with a firewall's HTML page", step)
    assert "could not be checked" in result.row.outcome
    assert "Generate a new" not in result.row.outcome
    assert result.row.state_changed is False
    assert result.row.passed, result.row.reason


def test_exact_attempt_counts(by):
    assert by("Druva answers 503 once", "create").row.attempts == 2
    assert by("Druva answers 503 to every attempt", "create").row.attempts == FAST.attempts
    # Graph: the listing retried once, then validateCredentials.
    assert by("Graph answers 429 once with Retry-After: 1", "check (Azure)").row.attempts == 3
    assert by("Okta answers 504 once", "check (Okta)").row.attempts == 2
    assert (
        by(
            "Okta does not answer within the read timeout, every attempt", "check (Okta)"
        ).row.attempts
        == FAST.attempts
    )
    assert by("Druva refuses the connection", "create").row.attempts == 0


def test_retry_after_is_honoured_in_both_forms(by):
    for start in (
        "Druva answers 429 once with Retry-After: 1",
        "Druva answers 429 once with Retry-After as an HTTP date",
    ):
        row = by(start, "create").row
        seconds = row.seconds
        assert row.outcome == "ok" and seconds is not None
        assert seconds >= 0.9, "FAST backs off 0.01 s; only the server's Retry-After waits a second"


def test_tls_faults_fail_with_the_tls_message_whatever_the_name_or_trust(by):
    for start in ("Druva presents a self-signed", "Druva presents a certificate from a trusted CA"):
        row = by(start, "create").row
        assert "presented a TLS certificate" in row.outcome
        assert row.attempts is not None and 1 <= row.attempts <= FAST.attempts
        assert row.converged is True


def test_every_step_stays_within_the_policys_bound(results):
    bound = FAST.deadline_seconds
    assert all(c.row.seconds is not None and c.row.seconds <= bound for c in results)
