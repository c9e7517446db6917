"""The health check's pure parts: each verdict from what Graph and Okta report (core/verdicts.py),
the run's verdict and exit code (core/health.py), and what it reads from the outputs (core/reach.py)."""

from datetime import timedelta

import pytest

from providers.core import health, lifecycle, reach, verdicts
from providers.core.errors import (
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
)
from testbed import corpus
from testbed.stand_ins.graph import (
    execution,
    execution_error,
    paused_job_status,
    quarantine,
    status,
)
from testbed.stand_ins.okta import OUTCOMES as OKTA_OUTCOMES
from testbed.stand_ins.okta import push_event
from tests.doubles import NOW, STACK_OUTPUTS

DAY = timedelta(hours=24)
RECENT = "2026-11-22T11:20:00Z"
OLD = "2026-11-20T11:20:00Z"
ISSUED = NOW - timedelta(days=3)
APP = "0oa1druvascim0001"


def azure(job_status, stale_after=DAY):
    return verdicts.azure_verdict("druva", "scim.1", "scim", job_status, NOW, stale_after)


def ran(state, ended=RECENT, error=None):
    return execution(state, ended, error)


# --- Azure: every documented state -----------------------------------------------------------


@pytest.mark.parametrize(
    ("job_status", "verdict", "says"),
    [
        (status(last=ran("Succeeded"), last_success=ran("Succeeded")), "healthy", None),
        (
            status("Quarantine", quarantined=quarantine(), last=ran("Failed"), failures=3),
            "failing",
            "is in quarantine since 2026-11-19T08:00:00Z (EncounteredQuarantineException: "
            "SystemForCrossDomainIdentityManagementUnauthorized",
        ),
        (
            status("Paused", last=ran("Succeeded"), last_success=ran("Succeeded")),
            "failing",
            "job scim.1 is paused: nobody is provisioned; Entra admin center > Enterprise "
            "applications > druva > Provisioning > Start provisioning",
        ),
        (
            status(last=ran("Failed", error=execution_error()), failures=2),
            "failing",
            "the last run of job scim.1 failed at 2026-11-22T11:20:00Z "
            "(SystemForCrossDomainIdentityManagementUnauthorized: Failed to authorize with the "
            "SCIM endpoint: HTTP 401); 2 runs in a row failed",
        ),
        (
            status(last=ran("EntryLevelErrors"), last_success=ran("Succeeded", OLD)),
            "degraded",
            "had entry-level errors: some users were not provisioned",
        ),
        (
            status(last=ran("Succeeded", OLD), last_success=ran("Succeeded", OLD)),
            "degraded",
            "the last successful run of job scim.1 ended 2026-11-20T11:20:00Z, more than 24 h ago",
        ),
        (status("NotRun"), "degraded", "job scim.1 (NotRun) has no successful run yet"),
        (status("NotConfigured"), "degraded", "job scim.1 (NotConfigured) has no successful run"),
    ],
    ids=[
        "active",
        "quarantine",
        "paused",
        "failed",
        "entry-errors",
        "stale",
        "not-run",
        "not-configured",
    ],
)
def test_each_azure_state_has_its_verdict_and_says_what_to_do(job_status, verdict, says):
    found = azure(job_status)
    assert found.status == verdict
    if says is None:
        assert found.problems == ()
        assert found.line() == (
            "druva (azure): healthy: job scim.1 Active, last run Succeeded at 2026-11-22T11:20:00Z"
        )
    else:
        assert any(says in problem for problem in found.problems), found.problems
        assert all(
            "Entra admin center > Enterprise applications > druva" in p for p in found.problems
        )


def test_the_azure_details_carry_every_field_graph_reports():
    found = azure(status("Quarantine", quarantined=quarantine(), last=ran("Failed"), failures=3))
    assert found.details["quarantine"] == {
        "reason": "EncounteredQuarantineException: SystemForCrossDomainIdentityManagementUnauthorized"
        ": Failed to authorize with the SCIM endpoint: HTTP 401",
        "since": "2026-11-19T08:00:00Z",
        "nextAttempt": "2026-11-22T20:00:00Z",
    }
    assert found.details["lastExecution"]["state"] == "Failed"
    assert found.details["countSuccessiveCompleteFailures"] == 3
    assert found.details["troubleshootingUrl"] == "https://aka.ms/ProvisioningTroubleshooting"
    assert "troubleshooting: https://aka.ms/ProvisioningTroubleshooting" in found.problems[0]


def test_the_documented_paused_job_is_paused_once_and_not_in_quarantine():
    # Graph's own Get job example: code Paused with a quarantine object (corpus get-job).
    found = azure(paused_job_status())
    assert found.status == "failing"
    [problem] = found.problems
    assert problem.startswith(
        "job scim.1 is paused (its last error: SalesforceInvalidCredentials: Your Salesforce.com "
        "credentials are invalid."
    )
    assert problem.endswith(
        ": nobody is provisioned; Entra admin center > Enterprise applications > druva > "
        "Provisioning > Start provisioning"
    )
    assert "quarantine" not in problem
    assert found.details["quarantine"] is None
    assert found.details["lastError"].startswith("SalesforceInvalidCredentials: ")


def test_a_past_quarantine_record_on_an_active_job_is_its_last_error_not_a_quarantine():
    succeeded = ran("Succeeded")
    found = azure(status(quarantined=quarantine(), last=succeeded, last_success=succeeded))
    assert found.status == "healthy", found.problems
    assert found.details["quarantine"] is None
    assert found.details["lastError"] == (
        "SystemForCrossDomainIdentityManagementUnauthorized: Failed to authorize with the SCIM "
        "endpoint: HTTP 401"
    )


def test_a_quarantine_code_without_a_record_is_still_a_quarantine():
    found = azure(status("Quarantine", failures=3))
    assert found.status == "failing"
    assert any("is in quarantine (unknown reason)" in problem for problem in found.problems)


def test_the_stale_threshold_is_configurable():
    job_status = status(last=ran("Succeeded", OLD), last_success=ran("Succeeded", OLD))
    assert azure(job_status, stale_after=timedelta(hours=72)).status == "healthy"
    assert azure(job_status, stale_after=timedelta(hours=24)).status == "degraded"


def test_a_service_principal_without_a_job_is_failing():
    found = verdicts.azure_no_job("druva", "sp-1")
    assert found.status == "failing"
    assert "has no provisioning job" in found.problems[0]


# --- Okta: pushes since the token -------------------------------------------------------------


def okta(events, kind="okta-api", state="connection-enabled", complete=True):
    return verdicts.okta_verdict(
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
    event = push_event(APP, "2026-11-21T10:00:00.000Z", event_type=verdicts.AUTHENTICATION_FAILURE)
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
    expression = verdicts.log_filter(APP)
    assert expression.startswith(f'target.id eq "{APP}" and (')
    assert all(f'eventType eq "{kind}"' in expression for kind in verdicts.PUSH_EVENT_TYPES)


# --- the run ----------------------------------------------------------------------------------


def app(status_, cause=None):
    return health.AppHealth(
        "a", "azure", status_, ("p",) if status_ != "healthy" else (), cause=cause
    )


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["healthy", "healthy"], 0),
        (["healthy", "degraded"], 1),
        (["degraded", "failing", "unknown"], 2),
        (["healthy", "unknown"], 3),
        (["degraded", "unknown"], 1),
        ([], 0),
    ],
)
def test_the_worst_verdict_decides_and_could_not_check_hides_no_failure(statuses, code):
    report = health.Report(
        NOW, tuple(app(s, "permission" if s == "unknown" else None) for s in statuses)
    )
    assert report.exit_code == code
    assert report.as_json()["exitCode"] == code


def test_the_summary_names_the_causes_and_the_json_has_the_documented_keys():
    report = health.Report(NOW, (app("healthy"), app("unknown", health.PERMISSION)))
    assert report.summary() == (
        "Provisioning health: unknown (1 unknown of 2; could not check: permission); "
        "what to do: docs/health.md"
    )
    document = report.as_json()
    assert list(document) == ["status", "exitCode", "checkedAt", "summary", "causes", "apps"]
    assert document["causes"] == ["permission"]
    assert list(document["apps"][1]) == [
        "name",
        "kind",
        "status",
        "problems",
        "lastSuccessAt",
        "details",
        "line",
    ]
    assert document["apps"][1]["details"]["cause"] == "permission"


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (CredentialsError("x"), "credentials"),
        (PermissionDeniedError("x"), "permission"),
        (NotFoundError("x"), "app not found"),
        (ProviderError("x"), "network"),
    ],
)
def test_the_cause_is_the_errors_class(error, cause):
    assert health.cause_of(error) == cause


def test_an_expired_token_fails_druvas_line():
    found = health.druva_entry(
        "3f2a9c1e5b2d", NOW - 2 * DAY * 365, NOW - DAY, NOW, {"a": "verified"}
    )
    assert found.status == "failing"
    fine = health.druva_entry("3f2a9c1e5b2d", NOW - DAY, NOW + DAY * 300, NOW, {"a": "verified"})
    assert fine.status == "healthy" and "the stack recorded a: verified" in fine.line()


# --- the outputs --------------------------------------------------------------------------------

AZURE_ENTRY = {
    "name": "entra",
    "kind": "azure",
    "servicePrincipalId": "sp-1",
    "graphUrl": "https://graph.microsoft.com",
    "tenantId": None,
    "clientId": None,
    "state": "verified",
}
OKTA_ENTRY = {"name": "o", "kind": "okta-manual", "appId": APP, "orgUrl": None, "state": "pending"}


def test_the_outputs_give_each_app_its_reach():
    document = {**STACK_OUTPUTS, "targets": [AZURE_ENTRY, OKTA_ENTRY]}
    stack, problems = reach.read(document, NOW)
    assert problems == [] and stack is not None
    assert stack.azure == (
        reach.AzureReach("entra", "sp-1", "https://graph.microsoft.com", None, None, "verified"),
    )
    assert stack.okta == (reach.OktaReach("o", "okta-manual", APP, None, "pending"),)


@pytest.mark.parametrize(
    ("targets", "says"),
    [
        (None, "output targets is None, not a list of apps"),
        ([{"name": "entra", "kind": "azure"}], "output targets[0].servicePrincipalId is missing"),
        (
            [{k: v for k, v in AZURE_ENTRY.items() if k != "graphUrl"}],
            "output targets[0].graphUrl is missing: the stack was last deployed before the health",
        ),
        ([{**AZURE_ENTRY, "graphUrl": "http://graph.example"}], "not an https URL"),
        ([{**OKTA_ENTRY, "orgUrl": 5}], "output targets[0].orgUrl is 5, not an https URL"),
        ([{"name": "x", "kind": "other"}], "a kind other than azure, okta-api, okta-manual"),
        (["x"], "output targets[0] is not an object"),
    ],
)
def test_outputs_health_cannot_use_are_named(targets, says):
    stack, problems = reach.read({**STACK_OUTPUTS, "targets": targets}, NOW)
    assert stack is None
    assert any(says in problem for problem in problems), problems


def test_the_gates_problems_are_healths_too():
    stack, problems = reach.read({**STACK_OUTPUTS, "expiresAt": None}, NOW)
    assert stack is None and any("output expiresAt is None" in p for p in problems)
    assert reach.read([], NOW)[1] == ["the stack outputs are a JSON list, not an object"]


def test_graphs_seven_digit_times_are_read_and_its_never_is_no_date():
    # Graph writes seven fractional digits and "never" as year 1 (shared/DOMAIN.md, third pass).
    forty_minutes_ago = NOW - timedelta(minutes=40)
    graph_time = forty_minutes_ago.strftime("%Y-%m-%dT%H:%M:%S") + ".8855027Z"
    succeeded = ran("Succeeded", graph_time)
    healthy = azure(status(last=succeeded, last_success=succeeded))
    assert healthy.status == "healthy", healthy.problems

    never = ran("Succeeded", "0001-01-01T00:00:00Z")
    not_yet = azure(status("NotRun", last_success=never))
    assert not_yet.details["lastSuccessfulExecution"]["timeEnded"] is None
    assert "0001" not in " ".join(not_yet.problems)
    assert "has no successful run yet" in " ".join(not_yet.problems)


def test_oktas_documented_log_page_is_read_and_holds_no_push():
    # The spec's System Log list example: a sign-in event, no push to any app.
    events = corpus.body("okta", "logs-list")
    assert events and all(verdicts.pushes([event]) == [] for event in events)
    assert all(lifecycle.vendor_time(event["published"]) is not None for event in events)
