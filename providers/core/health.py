"""Any process: provisioning health as pure verdicts, from the stack's outputs and what Graph
and Okta report to words.

`python -m providers.health` reads the stack's outputs (`pulumi stack output --json`, never
with `--show-secrets`): the token's dates and the `targets` output, whose entries say where
each app is (`targets()`: the service principal, the Graph URL, tenant and client ids of an
Azure app, the app id and org URL of an Okta app; none of it secret). It then reads each
Azure app's synchronization job status and each Okta app's System Log events
(providers/azure/health.py, providers/okta/health.py); a `manualApps` entry has no API to read,
so its verdict is what the stack recorded (`manual_verdict`). The verdicts here turn each into an
app's verdict, with where to look in the vendor's portal (docs/health.md lists the same
paths), and gather them, with Druva's line, into the summary line, the `--json` document and
the exit code. No I/O, no clock: `now` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from providers.core import gate, lifecycle
from providers.core.apps import AZURE, MANUAL_TARGETS, OKTA_MANUAL, TARGET_KINDS
from providers.core.errors import CredentialsError, NotFoundError, PermissionDeniedError
from providers.core.redaction import excerpt
from providers.core.settings import is_loopback_host, shown
from providers.core.texts import ROTATION_ANCHOR, provider_label

HEALTHY, DEGRADED, FAILING, UNKNOWN = "healthy", "degraded", "failing", "unknown"
EXIT_CODES = {
    0: "healthy: every app provisions with the current token",
    1: "degraded: an Azure job's last run had entry-level errors, its last success is older "
    "than --stale-after, an Okta push failed for one user (not the token), a manual Okta "
    "hand-off is pending without any push since, or another manual hand-off is pending",
    2: "failing: an Azure job is quarantined, paused or its last run failed, Druva refused an "
    "Okta app's credentials since the current token was issued, or the token has expired",
    3: "could not check: credentials, permission, network, unusable outputs or app not found "
    "(the message names which)",
}
"""What each exit code means: the command's help and docs/health.md say this."""
EXIT = {HEALTHY: 0, DEGRADED: 1, FAILING: 2, UNKNOWN: 3}
WORST_FIRST = (FAILING, DEGRADED, UNKNOWN, HEALTHY)
"""Which verdict the whole run takes: the worst one found. "Could not check" (3) is the run's
verdict only when nothing worse was found, so a missing permission never hides a failure."""

CREDENTIALS, PERMISSION, NETWORK = "credentials", "permission", "network"
OUTPUTS, NOT_FOUND = "unusable outputs", "app not found"
CAUSES = (CREDENTIALS, PERMISSION, NETWORK, OUTPUTS, NOT_FOUND)
"""Why an app could not be checked. `permission` alone is what the daily run warns about
without failing: the identity may deploy and yet lack a read permission only health needs."""

DEFAULT_STALE_AFTER_HOURS = 24.0
DOCS = "docs/health.md"


@dataclass(frozen=True)
class AppHealth:
    """One app's verdict; the line and the `--json` entry come from here."""

    name: str
    kind: str
    """A kind of the `targets` output (core/apps.py TARGET_KINDS), or druva (the token)."""
    status: str
    problems: tuple[str, ...] = ()
    """What is wrong, each with what to do; empty when healthy."""
    evidence: str = ""
    """What shows it works, for the line of a healthy app."""
    last_success_at: datetime | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    cause: str | None = None
    """For `unknown`: one of CAUSES."""

    def line(self) -> str:
        said = "; ".join(self.problems) if self.problems else self.evidence
        return f"{self.name} ({self.kind}): {self.status}: {said}"

    def as_json(self) -> dict[str, Any]:
        details = dict(self.details)
        if self.cause:
            details["cause"] = self.cause
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "problems": list(self.problems),
            "lastSuccessAt": _formatted(self.last_success_at),
            "details": details,
            "line": self.line(),
        }


def cause_of(error: Exception) -> str:
    """What kind of "could not check" an error is: by its class, never by its words."""
    if isinstance(error, PermissionDeniedError):
        return PERMISSION
    if isinstance(error, CredentialsError):
        return CREDENTIALS
    if isinstance(error, NotFoundError):
        return NOT_FOUND
    # Unreachable, timed out, throttled or down past every retry, or not the vendor's API.
    return NETWORK


def could_not_check(name: str, kind: str, cause: str, message: str) -> AppHealth:
    return AppHealth(name, kind, UNKNOWN, (f"could not check ({cause}): {message}",), cause=cause)


@dataclass(frozen=True)
class Report:
    """The whole run: every app's verdict, or why none could be reached."""

    checked_at: datetime
    apps: tuple[AppHealth, ...] = ()
    unusable: tuple[str, ...] = ()
    """What is wrong with the stack's outputs, when that stopped everything."""
    advice: str = ""
    """What to do about `unusable`."""

    @property
    def status(self) -> str:
        if self.unusable:
            return UNKNOWN
        found = {app.status for app in self.apps}
        return next(status for status in WORST_FIRST if status in found or status == HEALTHY)

    @property
    def exit_code(self) -> int:
        return EXIT[self.status]

    @property
    def causes(self) -> list[str]:
        found = {app.cause for app in self.apps if app.cause}
        if self.unusable:
            found.add(OUTPUTS)
        return [cause for cause in CAUSES if cause in found]

    def summary(self) -> str:
        if self.unusable:
            return (
                f"Provisioning health: could not check ({OUTPUTS}): {'; '.join(self.unusable)}. "
                f"{self.advice}"
            ).strip()
        counts = [
            f"{sum(app.status == status for app in self.apps)} {status}"
            for status in (FAILING, DEGRADED, UNKNOWN)
            if any(app.status == status for app in self.apps)
        ]
        causes = f"; could not check: {', '.join(self.causes)}" if self.causes else ""
        tally = f" ({', '.join(counts)} of {len(self.apps)}{causes})" if counts else ""
        advice = "" if self.status == HEALTHY else f"; what to do: {DOCS}"
        return f"Provisioning health: {self.status}{tally}{advice}"

    def lines(self) -> list[str]:
        return [app.line() for app in self.apps] + [self.summary()]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "exitCode": self.exit_code,
            "checkedAt": lifecycle.format_time(self.checked_at),
            "summary": self.summary(),
            "causes": self.causes,
            "apps": [app.as_json() for app in self.apps],
        }


# --- Druva: what the stack recorded ---------------------------------------------------------


def druva_entry(
    fingerprint: str | None,
    issued_at: datetime,
    expires_at: datetime,
    now: datetime,
    states: Mapping[str, str | None],
) -> AppHealth:
    """What the last `pulumi up` or refresh recorded about the token; no call is made with it."""
    token = f"token {fingerprint}" if fingerprint else "the token"
    recorded = ", ".join(f"{name}: {state}" for name, state in states.items()) or "no apps"
    details = {
        "tokenFingerprint": fingerprint,
        "issuedAt": lifecycle.format_time(issued_at),
        "expiresAt": lifecycle.format_time(expires_at),
        "targets": dict(states),
    }
    if now >= expires_at:
        problem = (
            f"{token} expired {lifecycle.format_date(expires_at)}: Druva refuses it, so no "
            f"identity provider can provision; rotate now ({ROTATION_ANCHOR})"
        )
        return AppHealth("druva", "druva", FAILING, (problem,), "", None, details)
    evidence = (
        f"{token} issued {lifecycle.format_time(issued_at)}, valid until "
        f"{lifecycle.format_date(expires_at)}; the stack recorded {recorded}"
    )
    return AppHealth("druva", "druva", HEALTHY, (), evidence, None, details)


# --- the targets output: where each app is -------------------------------------------------


@dataclass(frozen=True)
class AzureTarget:
    name: str
    service_principal_id: str
    graph_url: str
    tenant_id: str | None
    """None: the tenant of the environment's credentials (ARM_TENANT_ID)."""
    client_id: str | None
    state: str | None
    """What the stack recorded: verified, unverified."""


@dataclass(frozen=True)
class OktaTarget:
    name: str
    kind: str
    app_id: str
    org_url: str | None
    """None: the stack knew no org for this manual app (no okta:orgName, no oktaOrgs entry)."""
    state: str | None
    """What the stack recorded: connection-enabled, unverified, pending, confirmed."""


@dataclass(frozen=True)
class ManualTarget:
    """A `manualApps` entry: its identity provider has no API that health could read."""

    name: str
    kind: str
    """onelogin-manual, jumpcloud-manual or other-manual."""
    app_id: str
    state: str | None
    """What the stack recorded: pending or confirmed."""


@dataclass(frozen=True)
class Stack:
    fingerprint: str | None
    issued_at: datetime
    expires_at: datetime
    azure: tuple[AzureTarget, ...]
    okta: tuple[OktaTarget, ...]
    manual: tuple[ManualTarget, ...] = ()

    def states(self) -> dict[str, str | None]:
        apps: list[AzureTarget | OktaTarget | ManualTarget] = [
            *self.azure,
            *self.okta,
            *self.manual,
        ]
        return {app.name: app.state for app in apps}


def targets(document: object, now: datetime) -> tuple[Stack | None, list[str]]:
    """The stack as health needs it, or every problem that makes its outputs unusable."""
    verdict = gate.evaluate(document, now)
    if verdict.exit_code == gate.UNUSABLE:
        return None, list(verdict.problems) or [verdict.message]
    if not isinstance(document, Mapping):  # evaluate refuses anything else
        return None, [verdict.message]
    problems = [] if verdict.issued_at else ["output issuedAt is missing"]
    listed = document.get("targets")
    if not isinstance(listed, list):
        return None, [*problems, f"output targets is {shown(listed)}, not a list of apps"]
    azure: list[AzureTarget] = []
    okta: list[OktaTarget] = []
    manual: list[ManualTarget] = []
    for where, entry in gate.objects(listed, "targets", problems):
        name, kind = entry.get("name"), entry.get("kind")
        if not isinstance(name, str) or not name or kind not in TARGET_KINDS:
            problems.append(f"{where} has no name, or a kind other than {', '.join(TARGET_KINDS)}")
            continue
        state = _optional(entry, "state", where, problems)
        if kind == AZURE:
            sp_id = _required(entry, "servicePrincipalId", where, problems)
            graph_url = _url(entry, "graphUrl", where, problems, required=True)
            tenant = _optional(entry, "tenantId", where, problems, missing_is_old=True)
            client = _optional(entry, "clientId", where, problems, missing_is_old=True)
            if sp_id and graph_url:
                azure.append(AzureTarget(name, sp_id, graph_url, tenant, client, state))
        elif kind in MANUAL_TARGETS.values():
            app_id = _required(entry, "appId", where, problems)
            if app_id:
                manual.append(ManualTarget(name, str(kind), app_id, state))
        else:
            app_id = _required(entry, "appId", where, problems)
            org_url = _url(entry, "orgUrl", where, problems, required=False)
            if app_id:
                okta.append(OktaTarget(name, str(kind), app_id, org_url, state))
    if problems or verdict.issued_at is None or verdict.expires_at is None:
        return None, problems
    stack = Stack(
        verdict.fingerprint,
        verdict.issued_at,
        verdict.expires_at,
        tuple(azure),
        tuple(okta),
        tuple(manual),
    )
    return stack, []


OLD_STACK = "missing: the stack was last deployed before the health check existed"


def _required(entry: Mapping[str, object], key: str, where: str, problems: list[str]) -> str | None:
    value = entry.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    problems.append(f"{where}.{key} is {'missing' if value is None else shown(value)}")
    return None


def _optional(
    entry: Mapping[str, object],
    key: str,
    where: str,
    problems: list[str],
    *,
    missing_is_old: bool = False,
) -> str | None:
    if missing_is_old and key not in entry:
        problems.append(f"{where}.{key} is {OLD_STACK}")
        return None
    value = entry.get(key)
    if value is None or (isinstance(value, str) and value.strip()):
        return value.strip() if isinstance(value, str) else None
    problems.append(f"{where}.{key} is {shown(value)}, not text")
    return None


def _url(
    entry: Mapping[str, object], key: str, where: str, problems: list[str], *, required: bool
) -> str | None:
    if key not in entry:
        problems.append(f"{where}.{key} is {OLD_STACK}")
        return None
    value = entry.get(key)
    if value is None and not required:
        return None
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        secure = parts.scheme == "https" or (
            parts.scheme == "http" and is_loopback_host(parts.hostname or "")
        )
        if secure and parts.hostname:
            return value.strip().rstrip("/")
    problems.append(
        f"{where}.{key} is {shown(value)}, not an https URL (a credential is sent there)"
    )
    return None


AZURE_PORTAL = "Entra admin center > Enterprise applications > {name} > Provisioning"
OKTA_INTEGRATION = (
    "Okta Admin Console > Applications > Applications > {name} > Provisioning > Integration > "
    "Edit: paste the current token into API Token, Test API Credentials, Save"
)

# Okta's event types for pushes to an app (developer.okta.com/docs/reference/api/event-types,
# and help.okta.com "Provisioning Integration Error Events", ref-apps-events.htm). One type
# carries every outcome; `outcome.result` tells them apart (LogOutcome in
# okta/okta-management-openapi-spec: SUCCESS, FAILURE, SKIPPED, ALLOW, DENY, CHALLENGE, UNKNOWN,
# RATE_LIMIT, DEFERRED, SCHEDULED, ABANDONED, UNANSWERED).
USER_PUSH = "application.provision.user.push"
"""Push a new user to the app (create). Failure: "Error creating a new user"."""
PROFILE_PUSH = "application.provision.user.push_profile"
"""Push a user's profile to the app (update). Failure: "Error updating user"."""
DEACTIVATE = "application.provision.user.deactivate"
"""Deactivate a user in the app. Failure: "Error deactivating user"."""
REACTIVATE = "application.provision.user.reactivate"
"""Reactivate a user in the app. Failure: "Error reactivating a user"."""
AUTHENTICATION_FAILURE = "application.integration.authentication_failure"
"""The integration failed to authenticate to the app's API: Okta's words for expired or
wrong credentials. Always a credential failure, whatever its outcome says."""
PUSH_EVENT_TYPES = (USER_PUSH, PROFILE_PUSH, DEACTIVATE, REACTIVATE, AUTHENTICATION_FAILURE)
# Only SUCCESS proves Druva took a push (so the token); only FAILURE fails. SKIPPED, DEFERRED,
# SCHEDULED, UNKNOWN, RATE_LIMIT and the rest: Okta did not (yet) push, no failure, no proof.
SUCCESS, FAILURE = "SUCCESS", "FAILURE"
# A FAILURE's cause is only in `outcome.reason`, free text (LogOutcome, okta-management-openapi-
# spec): its words are the only signal that Druva refused the token.
CREDENTIAL_WORDS = {
    "401",
    "403",
    "unauthorized",
    "unauthorised",
    "forbidden",
    "invalid_credentials",
}
"""Words of a reason that shows the credentials refused: 401 or 403, their reason phrases, which
Okta's provisioning errors quote ("Unauthorized. Errors reported by remote server: ..."), or
LogOutcome's example reason INVALID_CREDENTIALS."""
USER_TARGETS = ("User", "AppUser")  # whom a push was about
OKTA_TASKS = "Okta Admin Console > Dashboard > Tasks: fix the cause, then Retry Selected"


# --- Azure: one synchronization job's status ------------------------------------------------


def azure_verdict(
    name: str,
    job_id: str,
    template_id: str,
    status: Mapping[str, Any] | None,
    now: datetime,
    stale_after: timedelta,
    stack_state: str | None = None,
) -> AppHealth:
    """The verdict on one Azure app from its job's `synchronizationStatus` (Graph v1.0).

    The job's state is `code`. failing: in quarantine (`code` Quarantine), paused, or the last
    execution failed; degraded: the last execution had entry-level errors, or the last success
    is older than `stale_after` (or never was). A `quarantine` object under another code is
    history (Graph's own Get job example is a Paused job with one): its error is the job's last
    error, and the job is not called quarantined.
    """
    status = status or {}
    portal = AZURE_PORTAL.format(name=name)
    code = _stripped(status.get("code")) or "unknown"
    quarantine = _mapping(status.get("quarantine"))
    last = _mapping(status.get("lastExecution"))
    state = _stripped(last.get("state"))
    ended = lifecycle.vendor_time(last.get("timeEnded"))
    last_success = lifecycle.vendor_time(
        _mapping(status.get("lastSuccessfulExecution")).get("timeEnded")
    )
    failures = status.get("countSuccessiveCompleteFailures")
    url = _stripped(status.get("troubleshootingUrl"))
    see = f" (troubleshooting: {url})" if url else ""
    at = f" at {lifecycle.format_time(ended)}" if ended else ""
    in_quarantine = code == "Quarantine"
    held = _quarantine(quarantine) if in_quarantine else None
    last_error = _error(last.get("error")) or (
        "" if in_quarantine else _error(quarantine.get("error"))
    )
    details: dict[str, Any] = {
        "jobId": job_id,
        "templateId": template_id,
        "code": code,
        "quarantine": held,
        "lastError": last_error or None,
        "lastExecution": {
            "state": state or None,
            "timeEnded": _formatted(ended),
            "error": _error(last.get("error")) or None,
        }
        if last
        else None,
        "lastSuccessfulExecution": {"timeEnded": _formatted(last_success)},
        "countSuccessiveCompleteFailures": failures if isinstance(failures, int) else None,
        "steadyStateLastAchievedTime": _formatted(
            lifecycle.vendor_time(status.get("steadyStateLastAchievedTime"))
        ),
        "troubleshootingUrl": url or None,
        "stackState": stack_state,
    }
    problems: list[str] = []
    failing = False
    if in_quarantine:
        failing = True
        since = held["since"] if held else None
        reason = held["reason"] if held else "unknown reason"
        problems.append(
            f"job {job_id} is in quarantine{' since ' + since if since else ''} ({reason}): "
            f"Azure provisions nobody meanwhile; fix the cause (an expired or old token: rotate, "
            f"{ROTATION_ANCHOR}), then {portal} > Restart provisioning{see}"
        )
    if code == "Paused":
        failing = True
        earlier = f" (its last error: {last_error})" if last_error else ""
        problems.append(
            f"job {job_id} is paused{earlier}: nobody is provisioned; {portal} > Start provisioning"
        )
    if state == "Failed":
        failing = True
        count = f"; {failures} runs in a row failed" if isinstance(failures, int) else ""
        error = _error(last.get("error"))
        problems.append(
            f"the last run of job {job_id} failed{at}"
            f"{' (' + error + ')' if error else ''}{count}: {portal} > Provisioning logs"
            f"{'' if in_quarantine else see}"
        )
    if not failing:
        if state == "EntryLevelErrors":
            problems.append(
                f"the last run of job {job_id}{at} had "
                f"entry-level errors: some users were not provisioned; {portal} > Provisioning "
                "logs, Status: Failure"
            )
        if last_success is None:
            problems.append(
                f"job {job_id} ({code}) has no successful run yet; {portal}: set Provisioning "
                "Status On and check Provisioning logs"
            )
        elif now - last_success > stale_after:
            problems.append(
                f"the last successful run of job {job_id} ended "
                f"{lifecycle.format_time(last_success)}, more than {_hours(stale_after)} ago; "
                f"{portal} > Provisioning logs"
            )
    verdict = FAILING if failing else DEGRADED if problems else HEALTHY
    evidence = f"job {job_id} {code}, last run {state or 'unknown'}{at}"
    return AppHealth(name, AZURE, verdict, tuple(problems), evidence, last_success, details)


def azure_no_job(name: str, service_principal_id: str) -> AppHealth:
    """A service principal without a synchronization job provisions nobody."""
    return AppHealth(
        name,
        AZURE,
        FAILING,
        (
            f"service principal {service_principal_id} has no provisioning job: nobody is "
            f"provisioned; {AZURE_PORTAL.format(name=name)} > Get started > Automatic, then "
            "`pulumi up`",
        ),
        details={"jobId": None},
    )


# --- Okta: the System Log's pushes to one app -----------------------------------------------


def log_filter(app_id: str) -> str:
    """The System Log filter for pushes to one app (Okta's filter expression syntax)."""
    types = " or ".join(f'eventType eq "{event_type}"' for event_type in PUSH_EVENT_TYPES)
    return f'target.id eq "{app_id}" and ({types})'


@dataclass(frozen=True)
class Push:
    event_type: str
    published: datetime
    result: str
    """`outcome.result` as Okta wrote it, upper case; `FAILURE` for an authentication failure."""
    reason: str
    users: frozenset[str] = frozenset()
    """Ids of the User and AppUser targets: whom the push was about."""
    refused_credentials: bool = False
    """An authentication failure, or a FAILURE whose whole reason shows 401 or 403."""

    @property
    def succeeded(self) -> bool:
        return self.result == SUCCESS


def pushes(events: Sequence[object]) -> list[Push]:
    """The events Okta returned, as pushes, oldest first, each uuid once; anything else is left
    out."""
    found = []
    seen: set[str] = set()
    for event in events:
        if not isinstance(event, Mapping):
            continue
        event_type = _stripped(event.get("eventType"))
        published = lifecycle.vendor_time(event.get("published"))
        if event_type not in PUSH_EVENT_TYPES or published is None:
            continue
        identity = _stripped(event.get("uuid"))
        if identity and identity in seen:
            continue
        seen.add(identity)
        outcome = _mapping(event.get("outcome"))
        result = _stripped(outcome.get("result")).upper() or "UNKNOWN"
        if event_type == AUTHENTICATION_FAILURE:
            result = FAILURE
        reason = _stripped(outcome.get("reason")) or _stripped(event.get("displayMessage"))
        listed = event.get("target")
        targets = [_mapping(target) for target in (listed if isinstance(listed, list) else [])]
        users = frozenset(_stripped(t.get("id")) for t in targets if t.get("type") in USER_TARGETS)
        refused = event_type == AUTHENTICATION_FAILURE or (
            result == FAILURE and not CREDENTIAL_WORDS.isdisjoint(_words(reason))
        )
        found.append(Push(event_type, published, result, excerpt(reason, 200), users, refused))
    return sorted(found, key=lambda push: push.published)


def okta_verdict(
    name: str,
    kind: str,
    app_id: str,
    events: Sequence[object],
    issued_at: datetime,
    since: datetime,
    *,
    stack_state: str | None = None,
    complete: bool = True,
) -> AppHealth:
    """The verdict on one Okta app from its pushes since the current token was issued.

    Credential failures (an authentication failure, or a FAILURE whose reason shows 401 or
    403) after the last success mean the app still holds an old token: failing. Other failures
    (a user that exists already, a 400) are one user's problem: degraded, until a later success
    for that user. Only SUCCESS proves the app holds the new token (a confirmed manual hand-off
    becomes a proven one); SKIPPED, DEFERRED, SCHEDULED, UNKNOWN and the other outcomes prove
    nothing either way. No push at all says nothing, except that a pending hand-off stays
    pending: degraded.
    """
    found = pushes(events)
    successes = [push for push in found if push.succeeded]
    last_success = successes[-1].published if successes else None
    failed = [
        push
        for push in found
        if push.refused_credentials and (last_success is None or push.published > last_success)
    ]
    # A user-level failure lasts until a later success for that user (a retry that went through).
    user_level = [
        push
        for push in found
        if push.result == FAILURE
        and not push.refused_credentials
        and not any(
            later.published > push.published and later.users & push.users - {""}
            for later in successes
        )
    ]
    details = {
        "appId": app_id,
        "since": lifecycle.format_time(since),
        "issuedAt": lifecycle.format_time(issued_at),
        "eventTypes": list(PUSH_EVENT_TYPES),
        "pushes": len(found),
        "succeeded": len(successes),
        "failedSinceLastSuccess": len(failed),
        "lastFailure": _push(failed[-1]) if failed else None,
        "userFailures": len(user_level),
        "lastUserFailure": _push(user_level[-1]) if user_level else None,
        "otherOutcomes": sum(push.result not in (SUCCESS, FAILURE) for push in found),
        "complete": complete,
        "stackState": stack_state,
    }
    read = "" if complete else f" (the newest {len(found)} events read)"
    integration = OKTA_INTEGRATION.format(name=name)
    if failed:
        latest = failed[-1]
        confirmed = (
            ", although its hand-off was confirmed for this token"
            if kind == OKTA_MANUAL and stack_state == "confirmed"
            else ""
        )
        problem = (
            f"{len(failed)} push{'es' if len(failed) != 1 else ''} to Druva failed since the "
            f"current token was issued ({lifecycle.format_time(issued_at)}){read}, the latest "
            f"{lifecycle.format_time(latest.published)} ({latest.event_type}"
            f"{': ' + latest.reason if latest.reason else ''}), and none succeeded after: the app "
            f"still holds an old token{confirmed}. {integration}"
        )
        return AppHealth(
            name, kind, FAILING, (problem, *_user_problems(user_level)), "", last_success, details
        )
    problems = _user_problems(user_level)
    if kind == OKTA_MANUAL and stack_state == "pending" and not successes:
        problems = (
            "its manual hand-off is pending and Okta has pushed nothing to Druva since the "
            f"current token was issued: {integration}, then confirm it (pendingManualSteps)",
            *problems,
        )
    verdict = DEGRADED if problems else HEALTHY
    if successes:
        proof = " (the manual hand-off is proven)" if kind == OKTA_MANUAL else ""
        if kind == OKTA_MANUAL and stack_state == "pending":
            proof = " (the pending hand-off was done: confirm it, see pendingManualSteps)"
        evidence = (
            f"{len(successes)} push{'es' if len(successes) != 1 else ''} to Druva succeeded since "
            "the current token was issued, the latest "
            f"{lifecycle.format_time(successes[-1].published)}{proof}"
        )
        return AppHealth(name, kind, verdict, problems, evidence, last_success, details)
    evidence = (
        f"no push to Druva since the current token was issued ({lifecycle.format_time(since)})"
    )
    evidence = "" if problems else f"{evidence}: nothing contradicts it"
    return AppHealth(name, kind, verdict, problems, evidence, None, details)


# --- the other identity providers: what the stack recorded -----------------------------------


def manual_verdict(target: ManualTarget) -> AppHealth:
    """A `manualApps` entry's verdict, from the stack alone: OneLogin, JumpCloud and the others
    have no API for the token that druva-scim reads, so nothing is asked of them. Pending is
    degraded, as an Okta hand-off pending without any push; confirmed is what an admin
    recorded, said as such, never as proof."""
    kind = target.kind.removesuffix("-manual")
    label = provider_label(kind)
    details = {"appId": target.app_id, "stackState": target.state, "checked": False}
    if target.state == "pending":
        problem = (
            f"its manual hand-off is pending: the {label} does not have the current token yet, "
            "so it provisions nothing to Druva; follow `pulumi stack output pendingManualSteps`, "
            "then confirm it"
        )
        return AppHealth(target.name, target.kind, DEGRADED, (problem,), details=details)
    if target.state != "confirmed":
        # Only the wiring's two words are a record; anything else claims nothing.
        problem = (
            f"the stack records its hand-off as {shown(target.state)}, neither pending nor "
            "confirmed: run `pulumi up` so that the stack records it again"
        )
        return AppHealth(target.name, target.kind, UNKNOWN, (problem,), details=details)
    evidence = (
        "an admin confirmed pasting the current token (the stack's record: nothing to read "
        f"from the {label}, so not checked)"
    )
    return AppHealth(target.name, target.kind, HEALTHY, (), evidence, details=details)


def _user_problems(failed: Sequence[Push]) -> tuple[str, ...]:
    latest = failed[-1] if failed else None
    return (
        ()
        if latest is None
        else (
            f"{len(failed)} push{'es' if len(failed) != 1 else ''} to Druva failed for a reason "
            f"other than the token, the latest {lifecycle.format_time(latest.published)} "
            f"({latest.event_type}"
            f"{': ' + latest.reason if latest.reason else ''}): those users are not provisioned; "
            f"{OKTA_TASKS}",
        )
    )


# --- helpers --------------------------------------------------------------------------------


def _quarantine(quarantine: Mapping[str, Any]) -> dict[str, Any]:
    since = lifecycle.vendor_time(quarantine.get("seriesBegan")) or (
        lifecycle.vendor_time(quarantine.get("currentBegan"))
    )
    reason = _stripped(quarantine.get("reason")) or "unknown reason"
    error = _error(quarantine.get("error"))
    return {
        "reason": f"{reason}: {error}" if error else reason,
        "since": _formatted(since),
        "nextAttempt": _formatted(lifecycle.vendor_time(quarantine.get("nextAttempt"))),
    }


def _error(value: object) -> str:
    error = _mapping(value)
    parts = [_stripped(error.get(key)) for key in ("code", "message") if _stripped(error.get(key))]
    return excerpt(": ".join(parts), 300)


def _push(push: Push) -> dict[str, Any]:
    return {
        "eventType": push.event_type,
        "published": lifecycle.format_time(push.published),
        "result": push.result,
        "reason": push.reason,
    }


def _words(text: str) -> list[str]:
    """The words of `text`, lower case: letters, digits and underscores between anything else."""
    return "".join(c if c.isalnum() or c == "_" else " " for c in text.lower()).split()


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _stripped(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _formatted(moment: datetime | None) -> str | None:
    return lifecycle.format_time(moment) if moment else None


def _hours(span: timedelta) -> str:
    hours = span / timedelta(hours=1)
    return f"{hours:g} h"
