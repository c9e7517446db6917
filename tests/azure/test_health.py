"""The health check's verdict on an Azure app, from its synchronization job's status as Graph
reports it (providers/core/health.py)."""

from datetime import timedelta

import pytest

from providers.core import health
from testbed.stand_ins.graph import (
    execution,
    execution_error,
    paused_job_status,
    quarantine,
    status,
)
from tests.doubles import NOW

DAY = timedelta(hours=24)
RECENT = "2026-11-22T11:20:00Z"
OLD = "2026-11-20T11:20:00Z"


def azure(job_status, stale_after=DAY):
    return health.azure_verdict("druva", "scim.1", "scim", job_status, NOW, stale_after)


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
    found = health.azure_no_job("druva", "sp-1")
    assert found.status == "failing"
    assert "has no provisioning job" in found.problems[0]


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
