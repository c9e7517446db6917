"""The health check's verdict on an Okta app, from the System Log's pushes to it since the
current token was issued (providers/core/health.py)."""

from datetime import timedelta

import pytest

from providers.core import health, lifecycle
from testbed import corpus
from testbed.stand_ins.okta import OUTCOMES as OKTA_OUTCOMES
from testbed.stand_ins.okta import push_event
from tests.doubles import NOW

ISSUED = NOW - timedelta(days=3)
APP = "0oa1druvascim0001"

# --- Okta: pushes since the token -------------------------------------------------------------


def okta(events, kind="okta-api", state="connection-enabled", complete=True):
    return health.okta_verdict(
        "druva-okta", kind, APP, events, ISSUED, ISSUED, stack_state=state, complete=complete
    )


def test_failed_pushes_since_the_token_mean_the_app_holds_an_old_token():
    found = okta(
        [push_event(APP, f"2026-11-21T10:0{minute}:00.000Z", succeeded=False) for minute in (0, 1)]
    )
    assert found.status == "failing"
    assert "2 pushes to Druva failed since the current token was issued" in found.problems[0]
    assert "the app still holds an old token" in found.problems[0]
    assert "Provisioning > Integration > Edit" in found.problems[0]


def test_a_confirmed_hand_off_contradicted_by_the_log_says_so():
    found = okta(
        [push_event(APP, "2026-11-21T10:00:00.000Z", succeeded=False)],
        kind="okta-manual",
        state="confirmed",
    )
    assert found.status == "failing"
    assert "although its hand-off was confirmed for this token" in found.problems[0]


def test_a_success_after_the_failures_proves_the_hand_off():
    found = okta(
        [
            push_event(APP, "2026-11-21T10:00:00.000Z", succeeded=False),
            push_event(APP, "2026-11-21T11:00:00.000Z"),
        ],
        kind="okta-manual",
        state="confirmed",
    )
    assert found.status == "healthy"
    assert "(the manual hand-off is proven)" in found.line()
    assert found.last_success_at == NOW.replace(day=21, hour=11)


def test_an_authentication_failure_is_a_failure_whatever_its_outcome():
    event = push_event(APP, "2026-11-21T10:00:00.000Z", event_type=health.AUTHENTICATION_FAILURE)
    assert okta([event]).status == "failing"


CREDENTIAL_FAILURES = ("unauthorized", "forbidden", "authentication-failure")
USER_FAILURES = ("conflict", "bad-request")
NO_FAILURE = ("skipped", "deferred", "scheduled", "unknown", "rate-limit")


def test_the_corpus_page_holds_every_outcome_these_tests_name():
    page = corpus.body("okta", "logs-provisioning-page")
    named = {
        push_event(APP, "2026-11-21T10:00:00.000Z", outcome=name)["outcome"]["result"]
        for name in OKTA_OUTCOMES
    }
    assert named == {event["outcome"]["result"] for event in page}
    assert set(OKTA_OUTCOMES) == {"success", *CREDENTIAL_FAILURES, *USER_FAILURES, *NO_FAILURE}


@pytest.mark.parametrize("outcome", CREDENTIAL_FAILURES)
def test_only_a_refused_credential_means_the_app_still_holds_an_old_token(outcome):
    found = okta([push_event(APP, "2026-11-21T10:00:00.000Z", outcome=outcome)])
    assert found.status == "failing"
    assert "the app still holds an old token" in found.problems[0]
    assert "paste the current token" in found.problems[0]


@pytest.mark.parametrize("outcome", USER_FAILURES)
def test_a_user_level_failure_is_degraded_with_its_reason_not_an_old_token(outcome):
    event = push_event(APP, "2026-11-21T10:00:00.000Z", outcome=outcome)
    found = okta([event])
    assert found.status == "degraded"
    [problem] = found.problems
    assert event["outcome"]["reason"][-40:] in problem
    assert "old token" not in problem and "paste the current token" not in problem
    assert "Dashboard > Tasks" in problem
    assert health.Report(NOW, (found,)).exit_code == 1
    assert found.details["userFailures"] == 1 and found.details["failedSinceLastSuccess"] == 0


@pytest.mark.parametrize("outcome", NO_FAILURE)
def test_outcomes_other_than_failure_are_no_failure_and_no_proof(outcome):
    event = push_event(APP, "2026-11-21T10:00:00.000Z", outcome=outcome)
    found = okta([event])
    assert (found.status, found.problems) == ("healthy", ())
    assert "nothing contradicts it" in found.line()
    assert found.last_success_at is None and found.details["otherOutcomes"] == 1
    pending = okta([event], kind="okta-manual", state="pending")
    assert pending.status == "degraded" and "hand-off is pending" in pending.problems[0]


@pytest.mark.parametrize(
    ("reason", "refused"),
    [
        ("Error while updating user ada: Authentication failed (401 Unauthorized)", True),
        ("Error while creating user ada: HTTP 403", True),
        ("Error while creating user ada: Unauthorised", True),
        ("Error while creating user ada: 409 Conflict, user4010 exists", False),
    ],
)
def test_a_failure_is_a_credential_failure_when_its_reason_shows_401_or_403(reason, refused):
    event = push_event(APP, "2026-11-21T10:00:00.000Z", outcome="conflict")
    event["outcome"]["reason"] = reason
    assert okta([event]).status == ("failing" if refused else "degraded")


def test_a_user_failure_lasts_until_a_later_success_for_that_user():
    failed = push_event(APP, "2026-11-21T10:00:00.000Z", outcome="conflict", user="ada@example.com")
    other = push_event(APP, "2026-11-21T11:00:00.000Z", user="bob@example.com")
    retried = push_event(APP, "2026-11-21T12:00:00.000Z", user="ada@example.com")
    assert okta([failed, other]).status == "degraded"
    assert okta([failed, other, retried]).status == "healthy"


def test_an_event_read_twice_counts_once():
    event = push_event(APP, "2026-11-21T10:00:00.000Z", succeeded=False)
    found = okta([event, dict(event), dict(event)])
    assert found.details["pushes"] == 1 and found.details["failedSinceLastSuccess"] == 1
    assert found.problems[0].startswith("1 push to Druva failed")


@pytest.mark.parametrize(("state", "verdict"), [("pending", "degraded"), ("confirmed", "healthy")])
def test_an_empty_log_says_nothing_except_that_a_pending_hand_off_is_pending(state, verdict):
    found = okta([], kind="okta-manual", state=state)
    assert found.status == verdict
    assert found.details["pushes"] == 0


def test_events_of_other_types_or_malformed_are_left_out():
    events = [push_event(APP, "2026-11-21T10:00:00.000Z", succeeded=False, event_type="user.x"), 7]
    assert okta(events).status == "healthy"


def test_the_filter_names_the_app_and_every_push_event_type():
    expression = health.log_filter(APP)
    assert expression.startswith(f'target.id eq "{APP}" and (')
    assert all(f'eventType eq "{kind}"' in expression for kind in health.PUSH_EVENT_TYPES)


def test_oktas_documented_log_page_is_read_and_holds_no_push():
    # The spec's System Log list example: a sign-in event, no push to any app.
    events = corpus.body("okta", "logs-list")
    assert events and all(health.pushes([event]) == [] for event in events)
    assert all(lifecycle.vendor_time(event["published"]) is not None for event in events)
