"""Any process: provisioning health as pure verdicts, from what Graph and Okta report to words.

`python -m providers.health` reads each Azure app's synchronization job status
and each Okta app's System Log events (providers/azure/health.py,
providers/okta/health.py); `core.verdicts` turns each into an app's verdict and
this module gathers them, with Druva's line from the stack's outputs
(`core.reach`), into the summary line, the `--json` document and the exit
code. No I/O, no clock: `now` is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from providers.core import lifecycle
from providers.core.errors import CredentialsError, NotFoundError, PermissionDeniedError
from providers.core.texts import ROTATION_ANCHOR

HEALTHY, DEGRADED, FAILING, UNKNOWN = "healthy", "degraded", "failing", "unknown"
EXIT_CODES = {
    0: "healthy: every app provisions with the current token",
    1: "degraded: an Azure job's last run had entry-level errors, its last success is older "
    "than --stale-after, an Okta push failed for one user (not the token), or a manual Okta "
    "hand-off is pending without any push since",
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


def _time(moment: datetime | None) -> str | None:
    return lifecycle.format_time(moment) if moment else None
