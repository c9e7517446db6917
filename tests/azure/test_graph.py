"""Microsoft Graph's synchronization jobs through the client, against the Graph stand-in
(providers/azure/graph.py)."""

import time
from collections.abc import Iterator

import pytest

from providers.azure import graph
from providers.core.errors import ProviderError
from providers.http import new_session
from testbed import corpus
from testbed.stand_ins.graph import (
    Graph,
    documented,
    graph_error,
    job,
    quarantine,
    status,
    throttled,
)
from testbed.stand_ins.server import Reply
from tests.doubles import FAST
from tests.doubles import GRAPH_BEARER as BEARER
from tests.doubles import SERVICE_PRINCIPAL as SP

APP = "Druva inSync"


@pytest.fixture
def azure() -> Iterator[Graph]:
    with Graph(BEARER) as stand_in:
        stand_in.jobs[SP] = [job("scim.6a1f2b3c.1", "scim")]
        yield stand_in


def client(url: str, session, sp: str = SP, bearer: str = BEARER) -> graph.Graph:
    return graph.Graph(session, FAST, url, bearer, APP, sp)


def jobs_of(stand_in: Graph, sp: str = SP) -> list[graph.Job]:
    with new_session(FAST) as session:
        return client(stand_in.url, session, sp).jobs()


def validate(stand_in: Graph, chosen: graph.Job, bearer: str = BEARER) -> None:
    with new_session(FAST) as session:
        client(stand_in.url, session, bearer=bearer).validate(chosen)


def test_the_jobs_are_listed_with_their_templates_and_quarantine(azure):
    azure.jobs[SP].append(job("Other.6a1f.2", "AD2AADProvisioning", quarantine()))
    listed = jobs_of(azure)
    assert [(j.id, j.template_id, j.quarantined) for j in listed] == [
        ("scim.6a1f2b3c.1", "scim", False),
        ("Other.6a1f.2", "AD2AADProvisioning", True),
    ]
    [request] = azure.requests
    assert request.path == f"/v1.0/servicePrincipals/{SP}/synchronization/jobs"
    assert request.authorization == f"Bearer {BEARER}"


def test_among_several_templates_the_scim_job_is_chosen(azure):
    azure.jobs[SP] = [
        job("AD2AAD.6a1f.1", "AD2AADProvisioning"),
        job("scim.6a1f.2", "scim"),
        job("API2AAD.6a1f.3", "API2AAD"),
    ]
    chosen = graph.provisioning_job(jobs_of(azure), app_name=APP, service_principal_id=SP)
    assert chosen.id == "scim.6a1f.2"


def test_an_older_non_gallery_apps_customappsso_job_is_chosen(azure):
    azure.jobs[SP] = [
        job("AD2AAD.6a1f.1", "AD2AADProvisioning"),
        job("customappsso.6a1f2b3c.2", "customappsso"),
    ]
    chosen = graph.provisioning_job(jobs_of(azure), app_name=APP, service_principal_id=SP)
    assert (chosen.id, chosen.template_id) == ("customappsso.6a1f2b3c.2", "customappsso")
    validate(azure, chosen)
    assert azure.requests[-1].path.endswith("/jobs/customappsso.6a1f2b3c.2/validateCredentials")


def test_a_scim_and_a_customappsso_job_together_are_ambiguous():
    jobs = [graph.Job("scim.1", "scim", None), graph.Job("c.2", "customappsso", None)]
    with pytest.raises(ProviderError, match="2 jobs that look like SCIM"):
        graph.provisioning_job(jobs, app_name=APP, service_principal_id=SP)


def test_the_documented_paused_job_is_paused_and_its_quarantine_record_is_history(azure):
    # Graph's own Get job example: code Paused, with a quarantine object (corpus get-job).
    documented = corpus.body("graph", "get-job")
    azure.jobs[SP] = [documented]
    [listed] = jobs_of(azure)
    assert (listed.id, listed.code, listed.paused, listed.quarantined) == (
        "{jobId}",
        "Paused",
        True,
        False,
    )
    assert listed.quarantine_error().startswith("SalesforceInvalidCredentials: Your Salesforce")


def test_a_job_is_quarantined_by_its_code_even_without_a_quarantine_object(azure):
    azure.jobs[SP] = [job("scim.q.0", "scim", job_status=status("Quarantine"))]
    [listed] = jobs_of(azure)
    assert listed.quarantined and listed.quarantine_reason() == "unknown reason"


def test_a_gallery_template_named_after_druva_is_chosen():
    jobs = [graph.Job("a.1", "AD2AADProvisioning", None), graph.Job("d.2", "DruvaOutDelta", None)]
    assert graph.provisioning_job(jobs, app_name=APP, service_principal_id=SP).id == "d.2"


def test_a_single_job_is_the_provisioning_job_whatever_its_template():
    only = graph.Job("BoxOutDelta.1", "BoxOutDelta", None)
    assert graph.provisioning_job([only], app_name=APP, service_principal_id=SP) is only


def test_no_job_at_all_says_to_turn_provisioning_on(azure):
    azure.jobs[SP] = []
    with pytest.raises(ProviderError) as raised:
        graph.provisioning_job(jobs_of(azure), app_name=APP, service_principal_id=SP)
    message = str(raised.value)
    assert (
        "no provisioning job: open Provisioning in the enterprise app and set mode Automatic"
        in (message)
    )
    assert APP in message and SP in message


def test_several_jobs_none_of_them_scim_is_no_provisioning_job():
    jobs = [graph.Job("a.1", "AD2AADProvisioning", None), graph.Job("b.2", "API2AAD", None)]
    with pytest.raises(ProviderError, match="no provisioning job among") as raised:
        graph.provisioning_job(jobs, app_name=APP, service_principal_id=SP)
    assert "a.1 (template AD2AADProvisioning)" in str(raised.value)


def test_two_scim_jobs_are_ambiguous_rather_than_guessed():
    jobs = [graph.Job("scim.2", "scim", None), graph.Job("scim.1", "scim", None)]
    with pytest.raises(ProviderError, match="2 jobs that look like SCIM"):
        graph.provisioning_job(jobs, app_name=APP, service_principal_id=SP)


def test_saved_credentials_that_work_answer_204(azure):
    [chosen] = jobs_of(azure)
    validate(azure, chosen)
    assert azure.validations == [(SP, "scim.6a1f2b3c.1")]
    assert azure.requests[-1].json() == {"useSavedCredentials": True}


def test_a_rejected_secret_token_fails_with_graphs_error_and_the_app_name(azure):
    azure.reject_secret_token = True
    [chosen] = jobs_of(azure)
    with pytest.raises(ProviderError) as raised:
        validate(azure, chosen)
    message = str(raised.value)
    assert APP in message
    assert "HTTP 400: BadRequest: Error code: SystemForCrossDomainIdentityManagement" in message
    assert "request-id" in message
    assert message.startswith(
        f"Azure's Test Connection of the saved provisioning credentials of {APP} failed"
    )
    assert (
        "Druva may not accept the saved Tenant URL or Secret Token, or Azure could not reach"
        in message
    )
    assert "not one Druva accepts" not in message
    assert "druva-scim:scimToken" in message
    assert BEARER not in message


def test_restart_lifts_only_the_quarantine(azure):
    azure.jobs[SP] = [job("scim.q.1", "scim", quarantine())]
    [chosen] = jobs_of(azure)
    assert chosen.quarantined
    assert chosen.quarantine_reason().startswith("EncounteredQuarantineException: Failed to auth")
    with new_session(FAST) as session:
        client(azure.url, session).restart(chosen)
    assert azure.restarts == [(SP, "scim.q.1", {"criteria": {"resetScope": "QuarantineState"}})]
    assert not jobs_of(azure)[0].quarantined


def test_throttling_honours_retry_after_then_succeeds(azure):
    azure.fail_next(throttled("1"))
    started = time.monotonic()
    listed = jobs_of(azure)
    elapsed = time.monotonic() - started
    assert [j.id for j in listed] == ["scim.6a1f2b3c.1"]
    assert len(azure.requests) == 2
    assert 0.9 <= elapsed < 3, elapsed


def test_graphs_documented_429_with_a_fractional_retry_after_is_waited_out(azure):
    # throttling.md's example answers Retry-After: 2.128, which is not whole seconds.
    answer = documented("error-429-throttled")
    assert answer.headers["Retry-After"] == "2.128"
    azure.fail_next(answer)
    assert [found.id for found in jobs_of(azure)] == ["scim.6a1f2b3c.1"]
    assert len(azure.requests) == 2


def test_throttling_that_never_ends_is_reported_with_the_attempts(azure):
    azure.fail_next(*[throttled("0") for _ in range(FAST.attempts)])
    with pytest.raises(ProviderError, match=f"HTTP 429: TooManyRequests.*after {FAST.attempts} "):
        jobs_of(azure)
    assert len(azure.requests) == FAST.attempts


def test_missing_permission_names_the_permissions_needed(azure):
    azure.permitted = False
    with pytest.raises(ProviderError) as raised:
        jobs_of(azure)
    message = str(raised.value)
    assert "HTTP 403: Authorization_RequestDenied" in message
    assert "Application.ReadWrite.OwnedBy" in message and "owner" in message
    assert "Synchronization.ReadWrite.All" in message
    assert BEARER not in message


def test_an_unknown_service_principal_says_service_principal_id_is_wrong(azure):
    other = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ProviderError) as raised:
        jobs_of(azure, other)
    message = str(raised.value)
    assert f"no service principal {other}" in message
    assert "servicePrincipalId in druva-scim:azureApps is wrong" in message
    assert "Object ID" in message


def test_a_bearer_graph_does_not_accept_points_at_sign_in_and_is_not_shown(azure):
    azure.accepted = {"another-token"}
    with pytest.raises(ProviderError) as raised:
        jobs_of(azure)
    message = str(raised.value)
    assert "HTTP 401: InvalidAuthenticationToken" in message and "ARM_CLIENT_ID" in message
    assert BEARER not in message


def test_graph_echoing_the_bearer_is_scrubbed(azure):
    azure.fail_next(
        Reply(400, {"error": {"code": "BadRequest", "message": f"bad header Bearer {BEARER}"}})
    )
    with pytest.raises(ProviderError) as raised:
        jobs_of(azure)
    assert BEARER not in str(raised.value) and "[redacted]" in str(raised.value)


def test_next_links_to_another_host_are_not_followed(azure):
    azure.jobs[SP] = [job("scim.1", "scim")]
    azure.fail_next(
        Reply(
            200,
            {
                "value": [job("scim.1", "scim")],
                "@odata.nextLink": "https://attacker.example/v1.0/next",
            },
        )
    )
    assert len(jobs_of(azure)) == 1
    assert len(azure.requests) == 1


def test_next_links_on_the_same_graph_are_followed(azure):
    azure.jobs[SP] = [job("scim.2", "scim")]
    next_page = f"{azure.url}/v1.0/servicePrincipals/{SP}/synchronization/jobs?$skiptoken=page2"
    azure.fail_next(Reply(200, {"value": [job("other.1", "gsuite")], "@odata.nextLink": next_page}))
    found = jobs_of(azure)
    assert [found_job.id for found_job in found] == ["other.1", "scim.2"]
    assert len(azure.requests) == 2
    assert azure.requests[1].query == {"$skiptoken": "page2"}


def test_a_next_link_back_to_the_first_page_is_not_read_again(azure):
    first_page = f"{azure.url}/v1.0/servicePrincipals/{SP}/synchronization/jobs"
    looping = {"value": [job("scim.1", "scim")], "@odata.nextLink": first_page}
    azure.fail_next(*[Reply(200, looping) for _ in range(graph.MAX_JOB_PAGES)])
    found = jobs_of(azure)
    assert [found_job.id for found_job in found] == ["scim.1"]
    assert len(azure.requests) == 1


def test_a_loop_between_two_pages_ends_and_each_job_is_listed_once(azure):
    first_page = f"{azure.url}/v1.0/servicePrincipals/{SP}/synchronization/jobs"
    second_page = f"{first_page}?$skiptoken=page2"
    pages = [
        {"value": [job("scim.1", "scim")], "@odata.nextLink": second_page},
        {"value": [job("scim.1", "scim"), job("other.2", "gsuite")], "@odata.nextLink": first_page},
    ]
    azure.fail_next(*[Reply(200, pages[index % 2]) for index in range(graph.MAX_JOB_PAGES)])
    found = jobs_of(azure)
    assert [found_job.id for found_job in found] == ["scim.1", "other.2"]
    assert len(azure.requests) == 2
    assert graph.provisioning_job(found, app_name=APP, service_principal_id=SP).id == "scim.1"


def test_a_restart_graph_may_have_applied_is_not_sent_again(azure):
    azure.jobs[SP] = [job("scim.q.2", "scim", quarantine())]
    [chosen] = jobs_of(azure)
    before = len(azure.requests)
    azure.fail_next(graph_error(503, "ServiceUnavailable", "Try again later"))
    with new_session(FAST) as session, pytest.raises(ProviderError, match="HTTP 503"):
        client(azure.url, session).restart(chosen)
    assert len(azure.requests) == before + 1, "one restart request, never repeated"


def test_validation_is_retried_after_a_transient_error(azure):
    azure.jobs[SP] = [job("scim.v.1", "scim")]
    [chosen] = jobs_of(azure)
    azure.fail_next(graph_error(503, "ServiceUnavailable", "Try again later"))
    validate(azure, chosen)
    assert [r.path.rsplit("/", 1)[-1] for r in azure.requests[-2:]] == [
        "validateCredentials",
        "validateCredentials",
    ]
