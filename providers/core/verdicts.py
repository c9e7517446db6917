"""Any process: the verdict on one app's provisioning, from what Graph or Okta reports, pure.

An Azure app's from its synchronization job's `synchronizationStatus` (Graph
v1.0); an Okta app's from the System Log's push events to it since the current
token was issued. Each says what is wrong in words, with where to look in the
vendor's portal (docs/health.md lists the same paths).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from providers.core import lifecycle
from providers.core.health import DEGRADED, FAILING, HEALTHY, AppHealth
from providers.core.redaction import excerpt
from providers.core.texts import ROTATION_ANCHOR

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
    code = _text(status.get("code")) or "unknown"
    quarantine = _mapping(status.get("quarantine"))
    last = _mapping(status.get("lastExecution"))
    state = _text(last.get("state"))
    ended = lifecycle.vendor_time(last.get("timeEnded"))
    last_success = lifecycle.vendor_time(
        _mapping(status.get("lastSuccessfulExecution")).get("timeEnded")
    )
    failures = status.get("countSuccessiveCompleteFailures")
    url = _text(status.get("troubleshootingUrl"))
    see = f" (troubleshooting: {url})" if url else ""
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
            "timeEnded": _time(ended),
            "error": _error(last.get("error")) or None,
        }
        if last
        else None,
        "lastSuccessfulExecution": {"timeEnded": _time(last_success)},
        "countSuccessiveCompleteFailures": failures if isinstance(failures, int) else None,
        "steadyStateLastAchievedTime": _time(
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
            f"the last run of job {job_id} failed{' at ' + _time_or(ended) if ended else ''}"
            f"{' (' + error + ')' if error else ''}{count}: {portal} > Provisioning logs"
            f"{'' if in_quarantine else see}"
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
        f"{' at ' + _time_or(ended) if ended else ''}"
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
        event_type = _text(event.get("eventType"))
        published = lifecycle.vendor_time(event.get("published"))
        if event_type not in PUSH_EVENT_TYPES or published is None:
            continue
        identity = _text(event.get("uuid"))
        if identity and identity in seen:
            continue
        seen.add(identity)
        outcome = _mapping(event.get("outcome"))
        result = _text(outcome.get("result")).upper() or "UNKNOWN"
        if event_type == AUTHENTICATION_FAILURE:
            result = FAILURE
        reason = _text(outcome.get("reason")) or _text(event.get("displayMessage"))
        listed = event.get("target")
        targets = [_mapping(target) for target in (listed if isinstance(listed, list) else [])]
        users = frozenset(_text(t.get("id")) for t in targets if t.get("type") in USER_TARGETS)
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
        return AppHealth(
            name, kind, FAILING, (problem, *_user_problems(user_level)), "", last_success, details
        )
    problems = _user_problems(user_level)
    if kind == "okta-manual" and stack_state == "pending" and not successes:
        problems = (
            "its manual hand-off is pending and Okta has pushed nothing to Druva since the "
            f"current token was issued: {integration}, then confirm it (pendingManualSteps)",
            *problems,
        )
    verdict = DEGRADED if problems else HEALTHY
    if successes:
        proof = " (the manual hand-off is proven)" if kind == "okta-manual" else ""
        if kind == "okta-manual" and stack_state == "pending":
            proof = " (the pending hand-off was done: confirm it, see pendingManualSteps)"
        evidence = (
            f"{len(successes)} push{'es' if len(successes) != 1 else ''} to Druva succeeded since "
            "the current token was issued, the latest "
            f"{lifecycle.format_time(successes[-1].published)}{proof}"
        )
        return AppHealth(name, kind, verdict, problems, evidence, last_success, details)
    evidence = f"no push to Druva since the current token was issued ({_time_or(since)})"
    evidence = "" if problems else f"{evidence}: nothing contradicts it"
    return AppHealth(name, kind, verdict, problems, evidence, None, details)


def _user_problems(failed: Sequence[Push]) -> tuple[str, ...]:
    latest = failed[-1] if failed else None
    return (
        ()
        if latest is None
        else (
            f"{len(failed)} push{'es' if len(failed) != 1 else ''} to Druva failed for a reason "
            f"other than the token, the latest {_time_or(latest.published)} ({latest.event_type}"
            f"{': ' + latest.reason if latest.reason else ''}): those users are not provisioned; "
            f"{OKTA_TASKS}",
        )
    )


# --- helpers --------------------------------------------------------------------------------


def _quarantine(quarantine: Mapping[str, Any]) -> dict[str, Any]:
    since = lifecycle.vendor_time(quarantine.get("seriesBegan")) or (
        lifecycle.vendor_time(quarantine.get("currentBegan"))
    )
    reason = _text(quarantine.get("reason")) or "unknown reason"
    error = _error(quarantine.get("error"))
    return {
        "reason": f"{reason}: {error}" if error else reason,
        "since": _time(since),
        "nextAttempt": _time(lifecycle.vendor_time(quarantine.get("nextAttempt"))),
    }


def _error(value: object) -> str:
    error = _mapping(value)
    parts = [_text(error.get(key)) for key in ("code", "message") if _text(error.get(key))]
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


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _time(moment: datetime | None) -> str | None:
    return lifecycle.format_time(moment) if moment else None


def _time_or(moment: datetime) -> str:
    return lifecycle.format_time(moment)


def _hours(span: timedelta) -> str:
    hours = span / timedelta(hours=1)
    return f"{hours:g} h"
