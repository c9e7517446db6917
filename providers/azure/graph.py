"""Program, provider host and command line: Microsoft Graph v1.0, asked what the portal's Test
Connection asks, and told to leave quarantine.

An enterprise app's provisioning is a synchronization job on its service
principal. After a token rotation we list the jobs, pick the provisioning job,
ask Azure to validate the credentials it has saved (Azure then calls Druva
itself, as Test Connection does), and restart a job in quarantine with the reset
scope that only lifts the quarantine. A job's state is its `status.code`: Graph's
own Get job example is a Paused job that still carries a `quarantine` object
(testbed/corpus/graph/get-job.json). The base URL is passed in so national clouds
(https://graph.microsoft.us) and tests (http://127.0.0.1:port) work alike; signing
in is `providers.azure.sign_in`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from providers.core import redaction
from providers.core.errors import Cause, ProviderError, cause
from providers.core.redaction import excerpt
from providers.core.texts import AZURE_SIGN_IN, GRAPH_PERMISSIONS, LATER
from providers.http import (
    EVERY_CAUSE_ALIKE,
    Advice,
    Answer,
    Client,
    HttpPolicy,
    Kinds,
    answer_error,
    new_session,
    origin,
)

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
MAX_JOB_PAGES = 10
QUARANTINE = "Quarantine"
PAUSED = "Paused"


@dataclass(frozen=True)
class Job:
    """One synchronization job of a service principal, as far as the check needs it."""

    id: str
    template_id: str
    status: Mapping[str, Any] | None = None
    """Graph's whole `synchronizationStatus` of the job, as the health check reads it."""

    @property
    def code(self) -> str:
        """`status.code`, the job's state: NotConfigured, NotRun, Active, Paused, Quarantine."""
        code = (self.status or {}).get("code")
        return code if isinstance(code, str) else ""

    @property
    def quarantined(self) -> bool:
        """In quarantine now: the code says so. A `quarantine` object alone is history."""
        return self.code == QUARANTINE

    @property
    def paused(self) -> bool:
        """Paused, usually by an administrator: Graph keeps the job's state and runs nothing."""
        return self.code == PAUSED

    @property
    def quarantine(self) -> Mapping[str, Any] | None:
        """Graph's `status.quarantine`, current or past (see `quarantined`)."""
        record = (self.status or {}).get("quarantine")
        return record if isinstance(record, Mapping) else None

    def quarantine_error(self) -> str:
        """`code: message` of the quarantine record's error, current or past, or ""."""
        error = (self.quarantine or {}).get("error")
        if not isinstance(error, Mapping):
            return ""
        parts = [str(error[key]) for key in ("code", "message") if error.get(key)]
        return excerpt(": ".join(parts), 200)

    def quarantine_reason(self) -> str:
        if not self.quarantine:
            return "unknown reason" if self.quarantined else ""
        reason = str(self.quarantine.get("reason") or "unknown reason")
        error = self.quarantine.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            reason += f": {excerpt(str(error['message']), 200)}"
        return reason


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


ADVICE: Advice = {
    Cause.UNAUTHORIZED: WHAT + " did not accept the Azure access token when asked to {doing} for "
    "{app} (HTTP 401{detail}): sign in to the tenant that holds the app (" + AZURE_SIGN_IN + "); "
    "for a national cloud, graphUrl and the credentials must be of the same cloud",
    Cause.FORBIDDEN: WHAT + " refused to {doing} for {app} (HTTP 403{detail}): the identity "
    "running `pulumi up` lacks permission. It needs " + GRAPH_PERMISSIONS,
    Cause.NOT_FOUND: WHAT + " no longer knows the provisioning job of {app} (HTTP 404{detail}); "
    "someone changed Provisioning meanwhile: run `pulumi up` again",
    Cause.UNAVAILABLE: WHAT + " still answered HTTP {status}{detail} after {attempts} attempts "
    "to {doing} for {app}; it is throttling or down: " + LATER,
    Cause.UNEXPECTED: WHAT + " answered HTTP {status}{detail} when asked to {doing} for {app}; "
    "check graphUrl and servicePrincipalId in druva-scim:azureApps",
}
"""Graph's words for an unwanted answer to a call `pulumi up` makes about one app's job."""
LIST_JOBS_ADVICE: Advice = {
    **ADVICE,
    # The first call: a 404 means the service principal itself is not there.
    Cause.NOT_FOUND: WHAT + " found no service principal {service_principal_id} for {app} (HTTP "
    "404{detail}): its servicePrincipalId in druva-scim:azureApps is wrong; use the Object ID "
    "shown under Enterprise applications > the app > Overview (not the Application ID)",
}


class Graph(Client):
    """One app's provisioning jobs in Microsoft Graph: the three calls `pulumi up` makes."""

    def __init__(
        self,
        session: requests.Session,
        policy: HttpPolicy,
        graph_url: str,
        bearer: str,
        app_name: str,
        service_principal_id: str,
    ) -> None:
        super().__init__(session, policy, f"Bearer {bearer}", (bearer,), what=WHAT)
        self.graph_url = graph_url
        self.app_name = app_name
        self.service_principal_id = service_principal_id
        self.jobs_url = (
            f"{graph_url.rstrip('/')}/{API_VERSION}/servicePrincipals/"
            f"{quote(service_principal_id, safe='')}/synchronization/jobs"
        )

    def jobs(
        self, advice: Advice = LIST_JOBS_ADVICE, kinds: Kinds = EVERY_CAUSE_ALIKE
    ) -> list[Job]:
        """Every synchronization job of the service principal, each once; `advice` and `kinds`:
        the words and error classes of an unwanted answer (by default, `pulumi up`'s).

        `@odata.nextLink` is followed on the same Graph, up to MAX_JOB_PAGES pages, and never
        to a page already read: a link back to an earlier page ends the list rather than
        reading it again. A job met again on a later page is the same job (by id).
        """
        url: str | None = self.jobs_url
        read: set[str] = set()
        jobs: dict[str, Job] = {}
        for _ in range(MAX_JOB_PAGES):
            if url is None or url in read:
                break
            read.add(url)
            answer = self.send("GET", url)
            if answer.status != 200:
                raise self.failure(answer, LIST_JOBS, advice, kinds)
            body = answer.json_or_none()
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise ProviderError(
                    f"{WHAT} at {origin(self.graph_url)} answered 200 without a job list for "
                    f"{self.app_name}; check druva-scim graphUrl points at Microsoft Graph"
                )
            for item in body["value"]:
                if isinstance(item, dict):
                    found = _job(item)
                    jobs.setdefault(found.id, found)
            url = _same_origin_next(body.get("@odata.nextLink"), self.graph_url)
        return list(jobs.values())

    def validate(self, job: Job) -> None:
        """Azure's Test Connection with the saved Tenant URL and Secret Token; 204: they work."""
        url = f"{self.jobs_url}/{quote(job.id, safe='')}/validateCredentials"
        answer = self.send("POST", url, json_body={"useSavedCredentials": True})
        if answer.status == 204:
            return
        if cause(answer.status) not in (Cause.REDIRECTED, Cause.UNEXPECTED):
            raise self.failure(answer, "validate the saved credentials")
        # Any other answer is Azure's own Test Connection failing. Graph does not document
        # that answer's body, so it does not tell Druva's refusal from Azure not reaching it.
        raise ProviderError(
            f"Azure's Test Connection of the saved provisioning credentials of {self.app_name} "
            f"failed (HTTP {answer.status}{graph_detail(answer, self.secrets)}). Druva may not "
            "accept the saved Tenant URL or Secret Token, or Azure could not reach Druva: check "
            "that druva-scim:scimToken is the newest token from the console and that this run "
            "wrote it (the azuread SynchronizationSecret), that druva-scim:tenantUrl is Druva's "
            "SCIM URL, and that Druva allows Azure's provisioning service (an IP allow-list?); "
            "then run `pulumi up` again"
        )

    def restart(self, job: Job) -> None:
        """Lift the quarantine and nothing else (see RESTART_CRITERIA).

        Sent at most once: a restart Graph may have applied is not repeated on a 5xx; the
        next run finds the job out of quarantine, or restarts it then.
        """
        url = f"{self.jobs_url}/{quote(job.id, safe='')}/restart"
        with new_session(self.policy, resend=False) as once:
            answer = self.send("POST", url, json_body=RESTART_CRITERIA, session=once)
        if answer.status in (200, 202, 204):
            return
        raise self.failure(answer, "restart the quarantined job")

    def failure(
        self,
        answer: Answer,
        doing: str,
        advice: Advice = ADVICE,
        kinds: Kinds = EVERY_CAUSE_ALIKE,
    ) -> ProviderError:
        """The error for an unwanted answer to a call about this app (`doing`: what was asked,
        as `advice` words it), with Graph's own error text."""
        return answer_error(
            answer,
            advice,
            kinds=kinds,
            detail=graph_detail(answer, self.secrets),
            doing=doing,
            app=self.app_name,
            service_principal_id=self.service_principal_id,
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
    return Job(
        id=str(item.get("id", "")),
        template_id=str(item.get("templateId", "")),
        status=status if isinstance(status, Mapping) else None,
    )


def _id(job: Job) -> str:
    return job.id


def _same_origin_next(link: object, graph_url: str) -> str | None:
    # The bearer goes only where it came from.
    if isinstance(link, str) and origin(link) == origin(graph_url):
        return link
    return None
