"""Microsoft Graph v1.0's synchronization jobs, as far as verification and health reach them.

Answers as Graph documents: jobs listed as `{"value": [...]}`, each with its
`synchronizationStatus` in any documented state (`status`, `execution`), validateCredentials
and restart answering 204, errors as `{"error": {"code", "message", "innerError"}}`,
throttling as 429 with Retry-After. The texts of the 401, 403 and 404 errors
are Graph's own; the text Graph gives when Azure's test call to a SCIM endpoint
fails is modelled on what the portal shows, not copied from documentation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

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
SECRET_TOKEN_REJECTED = (
    "Error code: SystemForCrossDomainIdentityManagementCredentialValidationUnavailable "
    "Details: We received this unexpected response from your application: Received response "
    "from Web resource. Resource: https://apis.druva.com/insync/scim/Users Web Response: "
    '{"detail":"Authorization failure. The token is invalid or expired.","status":"401"}. '
    "Validate the credentials on the provisioning tab and click Test Connection."
)


def graph_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return Reply(status, body, headers=headers or {})


def throttled(retry_after: str = "1") -> Reply:
    return graph_error(
        429,
        "TooManyRequests",
        "Too many requests from Identifier:...",
        headers={"Retry-After": retry_after},
    )


def quarantine(reason: str = "EncounteredQuarantineException") -> dict[str, Any]:
    return {
        "currentBegan": "2026-11-20T08:00:00Z",
        "nextAttempt": "2026-11-22T20:00:00Z",
        "reason": reason,
        "seriesBegan": "2026-11-19T08:00:00Z",
        "seriesCount": 3,
        "error": {
            "code": "SystemForCrossDomainIdentityManagementUnauthorized",
            "message": "Failed to authorize with the SCIM endpoint: HTTP 401",
            "tenantActionable": True,
        },
    }


STATUS_CODES = ("NotConfigured", "NotRun", "Active", "Paused", "Quarantine")
"""Graph's synchronizationStatusCode."""
EXECUTION_STATES = ("Succeeded", "Failed", "EntryLevelErrors")
"""Graph's synchronizationTaskExecutionResult: the `state` of an execution."""
TROUBLESHOOTING_URL = "https://aka.ms/ProvisioningTroubleshooting"


def execution(state: str, ended: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    """A synchronizationTaskExecution in Graph's shape."""
    return {
        "activityIdentifier": str(uuid.uuid5(uuid.NAMESPACE_URL, ended)),
        "countEntitled": 12,
        "countEntitledForProvisioning": 12,
        "countEscrowed": 0 if state == "Succeeded" else 2,
        "countEscrowedRaw": 0 if state == "Succeeded" else 2,
        "countExported": 3,
        "countExports": 3,
        "countImported": 12,
        "countImportedDeltas": 3,
        "countImportedReferenceDeltas": 0,
        "error": error,
        "state": state,
        "timeBegan": ended,
        "timeEnded": ended,
    }


def execution_error(
    message: str = "Failed to authorize with the SCIM endpoint: HTTP 401",
) -> dict[str, Any]:
    return {
        "code": "SystemForCrossDomainIdentityManagementUnauthorized",
        "message": message,
        "tenantActionable": True,
    }


def status(
    code: str = "Active",
    *,
    last: dict[str, Any] | None = None,
    last_success: dict[str, Any] | None = None,
    quarantined: dict[str, Any] | None = None,
    failures: int = 0,
    steady: str | None = None,
) -> dict[str, Any]:
    """A synchronizationStatus in Graph's shape, in any documented state."""
    assert code in STATUS_CODES, code
    assert last is None or last["state"] in EXECUTION_STATES
    return {
        "code": code,
        "countSuccessiveCompleteFailures": failures,
        "escrowsPruned": False,
        "lastExecution": last,
        "lastSuccessfulExecution": last_success,
        "lastSuccessfulExecutionWithExports": last_success,
        "progress": [],
        "quarantine": quarantined,
        "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z",
        "steadyStateLastAchievedTime": steady or "0001-01-01T00:00:00Z",
        "synchronizedEntryCountByType": [],
        "troubleshootingUrl": TROUBLESHOOTING_URL if code != "Active" or quarantined else None,
    }


def job(
    job_id: str,
    template_id: str,
    quarantined: dict[str, Any] | None = None,
    job_status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A synchronization job in Graph's shape (the documented example, shortened)."""
    return {
        "id": job_id,
        "templateId": template_id,
        "schedule": {"expiration": None, "interval": "PT40M", "state": "Active"},
        "status": job_status
        or {
            "code": "Quarantine" if quarantined else "Active",
            "countSuccessiveCompleteFailures": 3 if quarantined else 0,
            "escrowsPruned": False,
            "lastExecution": None,
            "lastSuccessfulExecution": None,
            "quarantine": quarantined,
            "synchronizedEntryCountByType": [],
        },
    }


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
        return Reply(
            200,
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"
                f"('{sp_id}')/synchronization/jobs",
                "value": self.jobs[sp_id],
            },
        )

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
            return Reply(204)
        scope = (body or {}).get("criteria", {}).get("resetScope", "")
        scopes = {part.strip() for part in str(scope).split(",") if part.strip()}
        if not scopes <= RESET_SCOPES:
            return graph_error(400, "BadRequest", f"Invalid value for resetScope: '{scope}'.")
        self.restarts.append((sp_id, job_id, body))
        if not scopes or scopes & {"QuarantineState", "Full"}:
            found[0]["status"]["quarantine"] = None
            found[0]["status"]["code"] = "Active"
        return Reply(204)

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
        return Reply(204)

    def _saved_credentials_work(self, sp_id: str) -> bool:
        saved = self.secrets.get(sp_id)
        if saved is None or self.scim_accepts is None:
            return True  # never written here: the credentials an admin saved in the portal
        return self.scim_accepts(saved.get("BaseAddress", ""), saved.get("SecretToken", ""))


def _missing(object_id: str) -> Reply:
    return graph_error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )
