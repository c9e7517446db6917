"""Provider host: Microsoft Graph v1.0, asked what the portal's Test Connection asks, and told to
leave quarantine.

An enterprise app's provisioning is a synchronization job on its service
principal. After a token rotation we list the jobs, pick the provisioning job,
ask Azure to validate the credentials it has saved (Azure then calls Druva
itself, as Test Connection does), and restart a quarantined job with the reset
scope that only lifts the quarantine. The base URL is passed in so national
clouds (https://graph.microsoft.us) and tests (http://127.0.0.1:port) work alike;
signing in is `providers.azure.sign_in`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from providers.core import microsoft, redaction
from providers.core.errors import Cause, ProviderError, cause
from providers.core.redaction import excerpt
from providers.core.texts import AZURE_SIGN_IN, GRAPH_PERMISSIONS, LATER
from providers.http import Answer, Client, HttpPolicy, new_session, origin

WHAT = "Microsoft Graph"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
API_VERSION = "v1.0"

PROVISIONING_TEMPLATE = re.compile(r"scim|customappsso|druva", re.IGNORECASE)
"""How the provisioning job is told apart when a service principal has several jobs.

A non-gallery SCIM app's job has the template `scim`; some older non-gallery
apps have `customappsso` instead. A gallery app's template is named after the
app. A job whose templateId contains `scim`, `customappsso` or `druva` (any
case) is the provisioning job.
"""
RESTART_CRITERIA = {"criteria": {"resetScope": "QuarantineState"}}
"""Graph documents resetScope as a comma-separated combination of None,
ConnectorDataStore, Escrows, Watermark, QuarantineState, Full and ForceDeletes.
QuarantineState only lifts the quarantine: no cache, watermark or escrow is cleared."""
ENABLE_PROVISIONING = "open Provisioning in the enterprise app and set mode Automatic once"
LIST_JOBS = "list the provisioning jobs"
# Clouds whose Graph does not document the synchronization APIs used here (core/microsoft.py).
UNDOCUMENTED_GRAPH_HOSTS = frozenset(
    urlsplit(microsoft.AZURE_ENVIRONMENTS[name]).hostname
    for name in microsoft.UNDOCUMENTED_ENVIRONMENTS
)
MAX_JOB_PAGES = 10


@dataclass(frozen=True)
class Job:
    """One synchronization job of a service principal, as far as verification needs it."""

    id: str
    template_id: str
    quarantine: Mapping[str, Any] | None
    """Graph's `status.quarantine`: null unless Azure has quarantined the job."""
    status: Mapping[str, Any] | None = None
    """Graph's whole `synchronizationStatus` of the job, as the health check reads it."""

    @property
    def quarantined(self) -> bool:
        return self.quarantine is not None

    def quarantine_reason(self) -> str:
        if not self.quarantine:
            return ""
        reason = str(self.quarantine.get("reason") or "unknown reason")
        error = self.quarantine.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            reason += f": {excerpt(str(error['message']), 200)}"
        return reason


def jobs_url(graph_url: str, service_principal_id: str) -> str:
    base = graph_url.rstrip("/")
    return (
        f"{base}/{API_VERSION}/servicePrincipals/{quote(service_principal_id, safe='')}"
        "/synchronization/jobs"
    )


# --- the three calls -----------------------------------------------------------------------


def list_jobs(
    session: requests.Session,
    graph_url: str,
    service_principal_id: str,
    bearer: str,
    policy: HttpPolicy,
    *,
    app_name: str,
    client: type[Graph] | None = None,
) -> list[Job]:
    """Every synchronization job of the service principal; `client` words the failures
    (the health check's own words for what it needs)."""
    if urlsplit(graph_url).hostname in UNDOCUMENTED_GRAPH_HOSTS:
        # Stacks registered before the program refused these still reach here on refresh.
        raise ProviderError(f"{app_name} is in a cloud where {microsoft.UNDOCUMENTED_CLOUD}")
    graph = (client or Graph)(session, policy, bearer, app_name, service_principal_id)
    url: str | None = jobs_url(graph_url, service_principal_id)
    jobs: list[Job] = []
    for _ in range(MAX_JOB_PAGES):
        if url is None:
            break
        answer = graph.send("GET", url)
        if answer.status != 200:
            raise graph.failure(answer, LIST_JOBS)
        body = answer.json_or_none()
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise ProviderError(
                f"{WHAT} at {origin(graph_url)} answered 200 without a job list for {app_name}; "
                "check druva-scim graphUrl points at Microsoft Graph"
            )
        jobs.extend(_job(item) for item in body["value"] if isinstance(item, dict))
        url = _same_origin_next(body.get("@odata.nextLink"), graph_url)
    return jobs


def provisioning_job(jobs: Collection[Job], *, app_name: str, service_principal_id: str) -> Job:
    """The job to validate: the only one, else the only one whose template is SCIM's.

    SCIM's templates are `scim`, `customappsso` (older non-gallery apps) or one named
    after Druva: see PROVISIONING_TEMPLATE.
    """
    if not jobs:
        raise ProviderError(
            f"{app_name} (service principal {service_principal_id}) has no provisioning job: "
            f"{ENABLE_PROVISIONING}, save, then run `pulumi up` again"
        )
    if len(jobs) == 1:
        return next(iter(jobs))
    matching = sorted(
        (job for job in jobs if PROVISIONING_TEMPLATE.search(job.template_id)),
        key=lambda job: job.id,
    )
    if len(matching) == 1:
        return matching[0]
    listed = ", ".join(f"{job.id} (template {job.template_id})" for job in sorted(jobs, key=_id))
    if not matching:
        raise ProviderError(
            f"{app_name} (service principal {service_principal_id}) has no provisioning job "
            f"among its synchronization jobs [{listed}] (none has the template scim, "
            f"customappsso or one named after Druva): {ENABLE_PROVISIONING}"
        )
    raise ProviderError(
        f"{app_name} (service principal {service_principal_id}) has {len(matching)} jobs that "
        f"look like SCIM provisioning [{listed}] and which one Druva uses cannot be told; "
        "delete the stale job in Provisioning, or give Druva its own enterprise app"
    )


def validate_credentials(
    session: requests.Session,
    graph_url: str,
    service_principal_id: str,
    job: Job,
    bearer: str,
    policy: HttpPolicy,
    *,
    app_name: str,
) -> None:
    """Azure's Test Connection with the saved Tenant URL and Secret Token; 204 means they work."""
    url = (
        f"{jobs_url(graph_url, service_principal_id)}/{quote(job.id, safe='')}/validateCredentials"
    )
    graph = Graph(session, policy, bearer, app_name, service_principal_id)
    answer = graph.send("POST", url, json_body={"useSavedCredentials": True})
    if answer.status == 204:
        return
    if cause(answer.status) not in (Cause.REDIRECTED, Cause.UNEXPECTED):
        raise graph.failure(answer, "validate the saved credentials")
    # Any other answer is Azure's own Test Connection failing: Druva refused what Azure holds.
    raise ProviderError(
        f"Azure tested the saved provisioning credentials of {app_name} against Druva and they "
        f"failed (HTTP {answer.status}{graph.detail(answer)}). The Secret Token Azure "
        "holds is not one Druva accepts: make sure druva-scim:scimToken is the newest token "
        "from the console and that this run wrote it (the azuread SynchronizationSecret), "
        "then run `pulumi up` again"
    )


def restart_from_quarantine(
    session: requests.Session,
    graph_url: str,
    service_principal_id: str,
    job: Job,
    bearer: str,
    policy: HttpPolicy,
    *,
    app_name: str,
) -> None:
    """Lift the quarantine and nothing else (see RESTART_CRITERIA).

    Sent at most once: a restart Graph may have applied is not repeated on a 5xx; the
    next run finds the job out of quarantine, or restarts it then.
    """
    url = f"{jobs_url(graph_url, service_principal_id)}/{quote(job.id, safe='')}/restart"
    with new_session(policy, resend=False) as once:
        graph = Graph(once, policy, bearer, app_name, service_principal_id)
        answer = graph.send("POST", url, json_body=RESTART_CRITERIA)
    if answer.status in (200, 202, 204):
        return
    raise graph.failure(answer, "restart the quarantined job")


class Graph(Client):
    """Graph's words for each failure of a call about one app's provisioning."""

    what = WHAT

    def __init__(
        self,
        session: requests.Session,
        policy: HttpPolicy,
        bearer: str,
        app_name: str,
        service_principal_id: str,
    ) -> None:
        super().__init__(session, policy, f"Bearer {bearer}", (bearer,))
        self.app_name = app_name
        self.service_principal_id = service_principal_id

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        return super().send(
            method, url, headers={"Accept": "application/json"}, json_body=json_body
        )

    def detail(self, answer: Answer) -> str:
        return graph_detail(answer, self.secrets)

    def unauthorized(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        return ProviderError(
            f"{WHAT} did not accept the Azure access token when asked to {doing} for "
            f"{self.app_name} (HTTP 401{detail}): sign in to the tenant that holds the app "
            f"({AZURE_SIGN_IN}); for a national cloud, graphUrl and the credentials must be of "
            "the same cloud"
        )

    def forbidden(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        return ProviderError(
            f"{WHAT} refused to {doing} for {self.app_name} (HTTP 403{detail}): the identity "
            f"running `pulumi up` lacks permission. It needs {GRAPH_PERMISSIONS}"
        )

    def not_found(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        if doing == LIST_JOBS:
            return ProviderError(
                f"{WHAT} found no service principal {self.service_principal_id} for "
                f"{self.app_name} (HTTP 404{detail}): its servicePrincipalId in "
                "druva-scim:azureApps is wrong; use the Object ID shown under Enterprise "
                "applications > the app > Overview (not the Application ID)"
            )
        return ProviderError(
            f"{WHAT} no longer knows the provisioning job of {self.app_name} (HTTP 404{detail}); "
            "someone changed Provisioning meanwhile: run `pulumi up` again"
        )

    def unavailable(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        return ProviderError(
            f"{WHAT} still answered HTTP {answer.status}{detail} after {answer.attempts} "
            f"attempts to {doing} for {self.app_name}; it is throttling or down: {LATER}"
        )

    def unexpected(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        return ProviderError(
            f"{WHAT} answered HTTP {answer.status}{detail} when asked to {doing} for "
            f"{self.app_name}; check graphUrl and servicePrincipalId in druva-scim:azureApps"
        )


def graph_detail(answer: Answer, secrets: Collection[str] = ()) -> str:
    """`: <code>: <message> (request-id ...)` from Graph's error body, scrubbed of `secrets`."""
    body = answer.json_or_none()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    parts = [str(error[key]) for key in ("code", "message") if error.get(key)]
    text = excerpt(": ".join(parts), 400, secrets)
    inner = error.get("innerError") or error.get("innererror")
    if isinstance(inner, dict) and inner.get("request-id"):
        # What Microsoft support asks for; kept whatever the message's length.
        text += f" (request-id {excerpt(str(inner['request-id']), 64)})"
    text = redaction.redact(text, secrets)
    return f": {text}" if text else ""


def _job(item: Mapping[str, Any]) -> Job:
    status = item.get("status")
    quarantine = status.get("quarantine") if isinstance(status, Mapping) else None
    return Job(
        id=str(item.get("id", "")),
        template_id=str(item.get("templateId", "")),
        quarantine=quarantine if isinstance(quarantine, Mapping) else None,
        status=status if isinstance(status, Mapping) else None,
    )


def _id(job: Job) -> str:
    return job.id


def _same_origin_next(link: object, graph_url: str) -> str | None:
    # The bearer goes only where it came from.
    if isinstance(link, str) and origin(link) == origin(graph_url):
        return link
    return None
