"""Microsoft Graph v1.0's synchronization jobs, as far as the Azure check and health read them.

Answers from Graph's documented payloads (testbed/corpus/graph): jobs listed as `{"value":
[...]}` in the documented job's shape, validateCredentials, restart and the secrets PUT
answering 204, the secrets GET listing the keys held with every value masked
(`list-secrets`, whose `varies` says where its shape comes from), the 403
Authorization_RequestDenied and 404 bodies, throttling as the documented 429 with Retry-After. The helpers a test uses to set a job's state (`job`,
`status`, `execution`, `quarantine`) start from the documented job and change only the
values a state needs; the variations are named where they are made:

- ids, templates, times, counts and errors are the test's, not the examples';
- `troubleshootingUrl` is our URL (Graph documents the field, "in the event of an error",
  not a value);
- `throttled(retry_after)` sets the test's Retry-After (the documented example says 2.128);
- the 401 and the failed Test Connection are not documented: their texts are modelled on
  what the portal shows (SECRET_TOKEN_REJECTED), and say so.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from testbed import corpus
from testbed.stand_ins.server import Reply, Request, StandIn

JOBS = re.compile(r"^/v1\.0/servicePrincipals/([^/]+)/synchronization/jobs/?$")
SECRETS = re.compile(r"^/v1\.0/servicePrincipals/([^/]+)/synchronization/secrets$")
JOB_ACTION = re.compile(
    r"^/v1\.0/servicePrincipals/([^/]+)/synchronization/jobs/([^/]+)/(validateCredentials|restart)$"
)
RESET_SCOPES = frozenset(
    {
        "None",
        "ConnectorDataStore",
        "Escrows",
        "Watermark",
        "QuarantineState",
        "Full",
        "ForceDeletes",
    }
)
"""synchronizationJobRestartCriteria.resetScope (Graph v1.0 resource page)."""
SECRET_TOKEN_REJECTED = (
    "Error code: SystemForCrossDomainIdentityManagementCredentialValidationUnavailable "
    "Details: We received this unexpected response from your application: Received response "
    "from Web resource. Resource: https://apis.druva.com/insync/scim/Users Web Response: "
    '{"detail":"Authorization failure. The token is invalid or expired.","status":"401"}. '
    "Validate the credentials on the provisioning tab and click Test Connection."
)
"""Not documented: Graph does not document validateCredentials' failure. Modelled on the portal."""

ACTIVE_JOB = "active-job"
"""The documented Active job with a last run (MicrosoftDocs/entra-docs, cloud sync)."""
PAUSED_JOB = "get-job"
"""The documented Get job example: `code` Paused with a quarantine object (history)."""
STATUS_CODES = ("NotConfigured", "NotRun", "Active", "Paused", "Quarantine")
"""Graph's synchronizationStatusCode."""
EXECUTION_STATES = ("Succeeded", "Failed", "EntryLevelErrors")
"""Graph's synchronizationTaskExecutionResult: the `state` of an execution."""
TROUBLESHOOTING_URL = "https://aka.ms/ProvisioningTroubleshooting"
"""Ours: Graph documents troubleshootingUrl's meaning, not a value."""


def documented(name: str, headers: dict[str, str] | None = None) -> Reply:
    """A corpus payload as the stand-in's answer (`headers` override the documented ones)."""
    payload = corpus.load("graph", name)
    sent = {key: value for key, value in payload.headers.items() if key != "Content-Type"}
    return Reply(payload.status, payload.copy_of_body(), headers={**sent, **(headers or {})})


def graph_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    """An error in Graph's documented form (the 403 example's shape), with fresh request ids."""
    body = corpus.body("graph", "error-403-request-denied")
    body["error"].update(code=code, message=message)
    body["error"]["innerError"].update(request_ids())
    return Reply(status, body, headers=headers or {})


def throttled(retry_after: str = "1") -> Reply:
    """Graph's documented 429, with the test's Retry-After (documented: 2.128)."""
    return documented("error-429-throttled", headers={"Retry-After": retry_after})


def _documented_status(name: str = ACTIVE_JOB) -> dict[str, Any]:
    status: dict[str, Any] = corpus.body("graph", name)["status"]
    return status


def quarantine(reason: str = "EncounteredQuarantineException") -> dict[str, Any]:
    """A synchronizationQuarantine in the documented Get job's shape, as a current quarantine
    (the documented one is history: empty dates and reason)."""
    record: dict[str, Any] = _documented_status(PAUSED_JOB)["quarantine"]
    record.update(
        currentBegan="2026-11-20T08:00:00Z",
        nextAttempt="2026-11-22T20:00:00Z",
        reason=reason,
        seriesBegan="2026-11-19T08:00:00Z",
        seriesCount=3,
        error=execution_error(),
    )
    return record


def execution(state: str, ended: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    """A synchronizationTaskExecution in the documented Active job's shape."""
    assert state in EXECUTION_STATES, state
    run: dict[str, Any] = _documented_status()["lastExecution"]
    run.update(
        activityIdentifier=str(uuid.uuid5(uuid.NAMESPACE_URL, ended)),
        countEscrowed=0 if state == "Succeeded" else 2,
        countEscrowedRaw=0 if state == "Succeeded" else 2,
        error=error,
        state=state,
        timeBegan=ended,
        timeEnded=ended,
    )
    return run


def execution_error(
    message: str = "Failed to authorize with the SCIM endpoint: HTTP 401",
) -> dict[str, Any]:
    """A synchronizationError in the documented shape (code, message, tenantActionable)."""
    error: dict[str, Any] = _documented_status(PAUSED_JOB)["quarantine"]["error"]
    error.update(code="SystemForCrossDomainIdentityManagementUnauthorized", message=message)
    return error


def status(
    code: str = "Active",
    *,
    last: dict[str, Any] | None = None,
    last_success: dict[str, Any] | None = None,
    quarantined: dict[str, Any] | None = None,
    failures: int = 0,
    steady: str | None = None,
) -> dict[str, Any]:
    """A synchronizationStatus in the documented Active job's shape, in any documented state.

    `quarantined` is the status's quarantine object whatever the code: Graph's own example
    is a Paused job that still carries one.
    """
    assert code in STATUS_CODES, code
    found = _documented_status()
    found.update(
        code=code,
        countSuccessiveCompleteFailures=failures,
        lastExecution=last,
        lastSuccessfulExecution=last_success,
        lastSuccessfulExecutionWithExports=last_success,
        quarantine=quarantined,
        steadyStateFirstAchievedTime="0001-01-01T00:00:00Z",
        steadyStateLastAchievedTime=steady or "0001-01-01T00:00:00Z",
        synchronizedEntryCountByType=[],
        troubleshootingUrl=TROUBLESHOOTING_URL if code != "Active" or quarantined else None,
    )
    return found


def paused_job_status() -> dict[str, Any]:
    """The documented Get job's status, unchanged: Paused, with a quarantine object."""
    return _documented_status(PAUSED_JOB)


def job(
    job_id: str,
    template_id: str,
    quarantined: dict[str, Any] | None = None,
    job_status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A synchronization job in the documented Active job's shape, with the test's id and
    template; `quarantined` makes it a job in quarantine (code Quarantine, 3 failures)."""
    found: dict[str, Any] = corpus.body("graph", ACTIVE_JOB)
    found.update(id=job_id, templateId=template_id)
    found["schedule"]["interval"] = "PT40M"  # the provisioning service's cycle, not cloud sync's
    found["synchronizationJobSettings"] = []
    found["status"] = job_status or status(
        "Quarantine" if quarantined else "Active",
        quarantined=quarantined,
        failures=3 if quarantined else 0,
    )
    return found


class Graph(StandIn):
    """Accepts the bearer tokens in `accepted`; a test sets jobs and switches at will."""

    def __init__(self, *accepted: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.accepted = set(accepted)
        self.jobs: dict[str, list[dict[str, Any]]] = {}
        """Jobs by service principal id; a service principal absent here does not exist."""
        self.permitted = True
        """False: the caller lacks Application.ReadWrite.OwnedBy / Synchronization.ReadWrite.All."""
        self.reject_secret_token = False
        """True: Azure's test call to Druva fails, as with a stale SecretToken."""
        self.validations: list[tuple[str, str]] = []
        self.restarts: list[tuple[str, str, Any]] = []
        self.secrets: dict[str, dict[str, str]] = {}
        """Synchronization secrets by service principal, as last PUT; absent: never written."""
        self.secret_writes: list[tuple[str, dict[str, str]]] = []
        self.scim_accepts: Callable[[str, str], bool] | None = None
        """(BaseAddress, SecretToken) -> whether Druva accepts them: Azure's test call to Druva.
        Consulted for service principals whose secrets were written here."""

    @property
    def url(self) -> str:
        return self.origin

    def handle(self, request: Request) -> Reply:
        scheme, _, bearer = request.authorization.partition(" ")
        if scheme != "Bearer" or bearer not in self.accepted:
            # Not in the corpus: Graph's pages show no 401 body for these APIs.
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            )
        if not self.permitted:
            return graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        listing = JOBS.match(request.path)
        if listing and request.method == "GET":
            return self._list(listing.group(1))
        secrets = SECRETS.match(request.path)
        if secrets and request.method == "PUT":
            return self._put_secrets(secrets.group(1), request)
        if secrets and request.method == "GET":
            return self._list_secrets(secrets.group(1))
        action = JOB_ACTION.match(request.path)
        if action and request.method == "POST":
            sp_id, job_id, verb = action.groups()
            return self._act(sp_id, job_id, verb, request)
        return graph_error(
            400, "BadRequest", f"Resource not found for the segment '{request.path}'."
        )

    def _list(self, sp_id: str) -> Reply:
        if sp_id not in self.jobs:
            return _missing(sp_id)
        answer = documented("list-jobs")
        answer.body["value"] = self.jobs[sp_id]
        return answer

    def _act(self, sp_id: str, job_id: str, verb: str, request: Request) -> Reply:
        if sp_id not in self.jobs:
            return _missing(sp_id)
        found = [item for item in self.jobs[sp_id] if item["id"] == job_id]
        if not found:
            return _missing(job_id)
        body = request.json()
        if verb == "validateCredentials":
            if body != {"useSavedCredentials": True}:
                return graph_error(400, "BadRequest", "Credentials are required.")
            self.validations.append((sp_id, job_id))
            if self.reject_secret_token or not self._saved_credentials_work(sp_id):
                return graph_error(400, "BadRequest", SECRET_TOKEN_REJECTED)
            return documented("validate-credentials")
        scope = (body or {}).get("criteria", {}).get("resetScope", "")
        scopes = {part.strip() for part in str(scope).split(",") if part.strip()}
        if not scopes <= RESET_SCOPES:
            return graph_error(400, "BadRequest", f"Invalid value for resetScope: '{scope}'.")
        self.restarts.append((sp_id, job_id, body))
        job_status = found[0]["status"]
        lifts = not scopes or scopes & {"QuarantineState", "Full"}
        if lifts and job_status["code"] == "Quarantine":
            # QuarantineState "temporarily lifts the quarantine"; what a restart does to a
            # job in another state Graph does not say, so its state is left as it was.
            job_status.update(code="Active", quarantine=None)
        return documented("restart")

    def _put_secrets(self, sp_id: str, request: Request) -> Reply:
        """Setting secrets replaces the whole set (Graph: PUT .../synchronization/secrets)."""
        if sp_id not in self.jobs:
            return _missing(sp_id)
        body = request.json()
        pairs = body.get("value") if isinstance(body, dict) else None
        if not isinstance(pairs, list) or not all(
            isinstance(pair, dict) and isinstance(pair.get("key"), str) for pair in pairs
        ):
            return graph_error(400, "BadRequest", "Invalid synchronization secrets.")
        written = {pair["key"]: str(pair.get("value") or "") for pair in pairs}
        self.secrets[sp_id] = written
        self.secret_writes.append((sp_id, written))
        return documented("put-secrets")

    def _list_secrets(self, sp_id: str) -> Reply:
        """The keys held, each value masked: those last PUT here, else the documented example's
        (what an admin saved in the portal, SyncNotificationSettings and SyncAll included)."""
        if sp_id not in self.jobs:
            return _missing(sp_id)
        answer = documented("list-secrets")
        if sp_id in self.secrets:
            masked = answer.body["value"][0]["value"]
            answer.body["value"] = [{"key": key, "value": masked} for key in self.secrets[sp_id]]
        return answer

    def _saved_credentials_work(self, sp_id: str) -> bool:
        saved = self.secrets.get(sp_id)
        if saved is None or self.scim_accepts is None:
            return True  # never written here: the credentials an admin saved in the portal
        return self.scim_accepts(saved.get("BaseAddress", ""), saved.get("SecretToken", ""))


def _missing(object_id: str) -> Reply:
    answer = documented("error-404-not-found")
    error = answer.body["error"]
    error["message"] = error["message"].replace("{id}", object_id)
    error["innerError"].update(request_ids())
    return answer


def request_ids() -> dict[str, str]:
    """innerError's date and request ids, fresh for each answer as Graph gives them."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4()),
    }
