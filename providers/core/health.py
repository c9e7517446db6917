"""Any process: provisioning health as pure verdicts, from what Graph and Okta report to words.

`python -m providers.health` reads each Azure app's synchronization job status
and each Okta app's System Log events (providers/azure/health.py,
providers/okta/health.py); this module turns them, with the stack's outputs
(`core.reach`), into one verdict per app, the problems in words, the summary
line, the `--json` document and the exit code. No I/O, no clock: `now` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from providers.core import lifecycle
from providers.core.errors import CredentialsError, NotFoundError, PermissionDeniedError
from providers.core.redaction import excerpt
from providers.core.texts import ROTATION_ANCHOR

HEALTHY, DEGRADED, FAILING, UNKNOWN = "healthy", "degraded", "failing", "unknown"
EXIT_CODES = {
    0: "healthy: every app provisions with the current token",
    1: "degraded: an Azure job's last run had entry-level errors, its last success is older "
    "than --stale-after, or a manual Okta hand-off is pending without any push since",
    2: "failing: an Azure job is quarantined, paused or its last run failed, an Okta app's "
    "pushes to Druva fail since the current token was issued, or the token has expired",
    3: "could not check: credentials, permission, network, unusable outputs or app not found "
    "(the message names which)",
}
"""What each exit code means: the command's help, docs/health.md and README say this."""
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

AZURE_PORTAL = "Entra admin center > Enterprise applications > {name} > Provisioning"
OKTA_INTEGRATION = (
    "Okta Admin Console > Applications > Applications > {name} > Provisioning > Integration > "
    "Edit: paste the current token into API Token, Test API Credentials, Save"
)

# Okta's event types for pushes to an app (developer.okta.com/docs/reference/api/event-types,
# and help.okta.com "Provisioning Integration Error Events", ref-apps-events.htm). One type
# carries successes and failures alike; `outcome.result` (SUCCESS, FAILURE) tells them apart.
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
wrong credentials. Always a failure, whatever its outcome says."""
PUSH_EVENT_TYPES = (USER_PUSH, PROFILE_PUSH, DEACTIVATE, REACTIVATE, AUTHENTICATION_FAILURE)


@dataclass(frozen=True)
class AppHealth:
    """One app's verdict; the line and the `--json` entry come from here."""

    name: str
    kind: str
    """azure, okta-api, okta-manual, or druva (the token itself)."""
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
            "lastSuccessAt": _time(self.last_success_at),
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

    failing: quarantined, paused, or the last execution failed; degraded: the last execution
    had entry-level errors, or the last success is older than `stale_after` (or never was).
    """
    status = status or {}
    portal = AZURE_PORTAL.format(name=name)
    code = _text(status.get("code")) or "unknown"
    quarantine = _mapping(status.get("quarantine"))
    last = _mapping(status.get("lastExecution"))
    state = _text(last.get("state"))
    ended = lifecycle.parse_time_or_none(last.get("timeEnded"))
    last_success = lifecycle.parse_time_or_none(
        _mapping(status.get("lastSuccessfulExecution")).get("timeEnded")
    )
    failures = status.get("countSuccessiveCompleteFailures")
    url = _text(status.get("troubleshootingUrl"))
    see = f" (troubleshooting: {url})" if url else ""
    held = _quarantine(quarantine) if quarantine or code == "Quarantine" else None
    details: dict[str, Any] = {
        "jobId": job_id,
        "templateId": template_id,
        "code": code,
        "quarantine": held,
        "lastExecution": {
            "state": state or None,
            "timeEnded": _time(ended),
            "error": _error(last.get("error")) or None,
        }
        if last
        else None,
        "lastSuccessfulExecution": {"timeEnded": _time(last_success)},
        "countSuccessiveCompleteFailures": failures if isinstance(failures, int) else None,
        "steadyStateLastAchievedTime": _time(
            lifecycle.parse_time_or_none(status.get("steadyStateLastAchievedTime"))
        ),
        "troubleshootingUrl": url or None,
        "stackState": stack_state,
    }
    problems: list[str] = []
    failing = False
    if quarantine or code == "Quarantine":
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
        problems.append(
            f"job {job_id} is paused: nobody is provisioned; {portal} > Start provisioning"
        )
    if state == "Failed":
        failing = True
        count = f"; {failures} runs in a row failed" if isinstance(failures, int) else ""
        error = _error(last.get("error"))
        problems.append(
            f"the last run of job {job_id} failed{' at ' + _time_or(ended) if ended else ''}"
            f"{' (' + error + ')' if error else ''}{count}: {portal} > Provisioning logs"
            f"{'' if quarantine else see}"
        )
    if not failing:
        if state == "EntryLevelErrors":
            problems.append(
                f"the last run of job {job_id}{' at ' + _time_or(ended) if ended else ''} had "
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
                f"the last successful run of job {job_id} ended {_time_or(last_success)}, more "
                f"than {_hours(stale_after)} ago; {portal} > Provisioning logs"
            )
    verdict = FAILING if failing else DEGRADED if problems else HEALTHY
    evidence = (
        f"job {job_id} {code}, last run {state or 'unknown'}"
        f"{' ended ' + _time_or(ended) if ended else ''}"
    )
    return AppHealth(name, "azure", verdict, tuple(problems), evidence, last_success, details)


def azure_no_job(name: str, service_principal_id: str) -> AppHealth:
    """A service principal without a synchronization job provisions nobody."""
    return AppHealth(
        name,
        "azure",
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
    succeeded: bool
    reason: str


def pushes(events: Sequence[object]) -> list[Push]:
    """The events Okta returned, as pushes, oldest first; anything else is left out."""
    found = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        event_type = _text(event.get("eventType"))
        published = lifecycle.parse_time_or_none(event.get("published"))
        if event_type not in PUSH_EVENT_TYPES or published is None:
            continue
        outcome = _mapping(event.get("outcome"))
        result = _text(outcome.get("result")).upper()
        succeeded = result == "SUCCESS" and event_type != AUTHENTICATION_FAILURE
        reason = _text(outcome.get("reason")) or _text(event.get("displayMessage"))
        found.append(Push(event_type, published, succeeded, excerpt(reason, 200)))
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

    Failures after the last success mean the app still holds an old token: failing. A
    success after them is the evidence that it holds the new one (a confirmed manual
    hand-off becomes a proven one). No push at all says nothing, except that a pending
    hand-off stays pending: degraded.
    """
    found = pushes(events)
    successes = [push for push in found if push.succeeded]
    last_success = successes[-1].published if successes else None
    failed = [
        push
        for push in found
        if not push.succeeded and (last_success is None or push.published > last_success)
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
        "complete": complete,
        "stackState": stack_state,
    }
    read = "" if complete else f" (the newest {len(found)} events read)"
    integration = OKTA_INTEGRATION.format(name=name)
    if failed:
        latest = failed[-1]
        confirmed = (
            ", although its hand-off was confirmed for this token"
            if kind == "okta-manual" and stack_state == "confirmed"
            else ""
        )
        problem = (
            f"{len(failed)} push{'es' if len(failed) != 1 else ''} to Druva failed since the "
            f"current token was issued ({lifecycle.format_time(issued_at)}){read}, the latest "
            f"{lifecycle.format_time(latest.published)} ({latest.event_type}"
            f"{': ' + latest.reason if latest.reason else ''}), and none succeeded after: the app "
            f"still holds an old token{confirmed}. {integration}"
        )
        return AppHealth(name, kind, FAILING, (problem,), "", last_success, details)
    if successes:
        proof = " (the manual hand-off is proven)" if kind == "okta-manual" else ""
        if kind == "okta-manual" and stack_state == "pending":
            proof = " (the pending hand-off was done: confirm it, see pendingManualSteps)"
        evidence = (
            f"{len(successes)} push{'es' if len(successes) != 1 else ''} to Druva succeeded since "
            "the current token was issued, the latest "
            f"{lifecycle.format_time(successes[-1].published)}{proof}"
        )
        return AppHealth(name, kind, HEALTHY, (), evidence, last_success, details)
    if kind == "okta-manual" and stack_state == "pending":
        problem = (
            "its manual hand-off is pending and Okta has pushed nothing to Druva since the "
            f"current token was issued: {integration}, then confirm it (pendingManualSteps)"
        )
        return AppHealth(name, kind, DEGRADED, (problem,), "", None, details)
    evidence = (
        "no push to Druva since the current token was issued "
        f"({lifecycle.format_time(since)}): nothing contradicts it"
    )
    return AppHealth(name, kind, HEALTHY, (), evidence, None, details)


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


# --- helpers --------------------------------------------------------------------------------


def _quarantine(quarantine: Mapping[str, Any]) -> dict[str, Any]:
    since = lifecycle.parse_time_or_none(quarantine.get("seriesBegan")) or (
        lifecycle.parse_time_or_none(quarantine.get("currentBegan"))
    )
    reason = _text(quarantine.get("reason")) or "unknown reason"
    error = _error(quarantine.get("error"))
    return {
        "reason": f"{reason}: {error}" if error else reason,
        "since": _time(since),
        "nextAttempt": _time(lifecycle.parse_time_or_none(quarantine.get("nextAttempt"))),
    }


def _error(value: object) -> str:
    error = _mapping(value)
    parts = [_text(error.get(key)) for key in ("code", "message") if _text(error.get(key))]
    return excerpt(": ".join(parts), 300)


def _push(push: Push) -> dict[str, Any]:
    return {
        "eventType": push.event_type,
        "published": lifecycle.format_time(push.published),
        "reason": push.reason,
    }


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _time(moment: datetime | None) -> str | None:
    return lifecycle.format_time(moment) if moment else None


def _time_or(moment: datetime) -> str:
    return lifecycle.format_time(moment)


def _hours(span: timedelta) -> str:
    hours = span / timedelta(hours=1)
    return f"{hours:g} h"
