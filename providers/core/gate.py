"""Any process: the gate's verdict on a stack's outputs, a pure function of them and `now`.

Is the Druva SCIM token fine, due, or expired? Are manual hand-offs pending? The
command line (`python -m providers.status`) reads the outputs and prints what
`evaluate` concludes; the rotation helper reports with it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from providers.core import lifecycle
from providers.core.settings import shown
from providers.core.texts import GITOPS_ANCHOR, ROTATION_ANCHOR

OK, DUE, EXPIRED, UNUSABLE = 0, 1, 2, 3
EXIT_CODES = {
    OK: "the token is valid and no manual hand-off is pending",
    DUE: "rotation is due, or a manual hand-off is pending",
    EXPIRED: "the token has expired",
    UNUSABLE: "the outputs are missing or malformed",
}
"""What each exit code means: the command's help, its docstring and docs/gate.md say this."""
REQUIRED_KEYS = ("expiresAt", "rotateAfter", "pendingManualSteps")
OPTIONAL_TEXT_KEYS = ("tokenFingerprint", "issuedAt", "tenantUrl")
MAX_LIFETIME = timedelta(days=lifecycle.MAX_LIFETIME_DAYS)


@dataclass(frozen=True)
class Handoff:
    name: str
    app_id: str | None
    org: str | None
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """What the gate concluded; everything `main` prints comes from here."""

    exit_code: int
    status: str
    """ok, rotation-due, handoffs-pending, expired or unusable."""
    message: str
    """The one line for people."""
    problems: tuple[str, ...] = ()
    """For exit code 3: each output that is missing or malformed, and why."""
    fingerprint: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    rotate_after: datetime | None = None
    days_left: int | None = None
    handoffs: tuple[Handoff, ...] = field(default=())

    def as_json(self, now: datetime) -> dict[str, object]:
        def time(moment: datetime | None) -> str | None:
            return lifecycle.format_time(moment) if moment else None

        return {
            "status": self.status,
            "exitCode": self.exit_code,
            "message": self.message,
            "problems": list(self.problems),
            "now": lifecycle.format_time(now),
            "tokenFingerprint": self.fingerprint,
            "issuedAt": time(self.issued_at),
            "expiresAt": time(self.expires_at),
            "rotateAfter": time(self.rotate_after),
            "daysLeft": self.days_left,
            "pendingHandoffs": [
                {"name": h.name, "appId": h.app_id, "org": h.org, "steps": list(h.steps)}
                for h in self.handoffs
            ],
        }


EXPORT_ADVICE = (
    "Run `pulumi up` with the current program so that the stack exports these outputs "
    f"(see {GITOPS_ANCHOR})."
)


def unusable(*problems: str, advice: str = EXPORT_ADVICE) -> Verdict:
    return Verdict(
        UNUSABLE,
        "unusable",
        f"Cannot judge the Druva SCIM token: {'; '.join(problems)}. {advice}".strip(),
        problems=tuple(problems),
    )


def parse_document(text: str) -> tuple[object, str | None]:
    """The JSON of `pulumi stack output --json`, or the reason it is not JSON."""
    if text.strip() == "":
        return None, "the stack outputs are empty (no JSON at all)"
    try:
        return json.loads(text), None
    except ValueError as error:
        return None, f"the stack outputs are not JSON ({error})"
    except RecursionError:
        return None, "the stack outputs nest lists or objects too deep to read"


def evaluate(document: object, now: datetime) -> Verdict:
    """Judge the stack's outputs at `now`."""
    if not isinstance(document, Mapping):
        kind = type(document).__name__ if document is not None else "null"
        return unusable(f"the stack outputs are a JSON {_json_kind(kind)}, not an object")

    problems = [f"output {key} is missing" for key in REQUIRED_KEYS if key not in document]
    times: dict[str, datetime | None] = {}
    for key in ("expiresAt", "rotateAfter", "issuedAt"):
        if key in document:
            times[key], problem = _parsed_time(key, document[key])
            if problem:
                problems.append(problem)
    for key in OPTIONAL_TEXT_KEYS:
        value = document.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"output {key} is {shown(value)}, not text")
    handoffs, handoff_problems = _handoffs(document.get("pendingManualSteps", []))
    problems.extend(handoff_problems)
    expires_at, rotate_after = times.get("expiresAt"), times.get("rotateAfter")
    if expires_at and rotate_after and rotate_after > expires_at:
        problems.append(
            f"output rotateAfter ({lifecycle.format_time(rotate_after)}) is after expiresAt "
            f"({lifecycle.format_time(expires_at)})"
        )
    issued_at = times.get("issuedAt")
    problems.extend(_contradictions(issued_at, expires_at))
    if problems or expires_at is None or rotate_after is None:
        return unusable(*problems)

    fingerprint = document.get("tokenFingerprint")
    fingerprint = fingerprint if isinstance(fingerprint, str) and fingerprint else None
    life = lifecycle.Lifecycle(issued_at or expires_at, expires_at, rotate_after)
    days_left = life.days_left(now)
    left = lifecycle.days(days_left)

    facts = (fingerprint, issued_at, expires_at, rotate_after, days_left, handoffs)

    def verdict(exit_code: int, status: str, message: str) -> Verdict:
        return Verdict(exit_code, status, message, (), *facts)

    token = f"Druva SCIM token{' ' + fingerprint if fingerprint else ''}"
    expiry = lifecycle.format_date(expires_at)
    pending = f", and {_pending(handoffs)}" if handoffs else ""
    phase = life.phase(now)
    if phase is lifecycle.Phase.EXPIRED:
        return verdict(
            EXPIRED,
            "expired",
            f"{token} expired {expiry} ({lifecycle.ago(expires_at, now)}): provisioning is "
            f"stopped; generate a new token and rotate now{pending} — see {ROTATION_ANCHOR}",
        )
    if phase is lifecycle.Phase.ROTATION_DUE:
        return verdict(
            DUE,
            "rotation-due",
            f"{token} expires {expiry} ({left}): rotate now{pending} — see {ROTATION_ANCHOR}",
        )
    if handoffs:
        return verdict(
            DUE,
            "handoffs-pending",
            f"{token} is valid until {expiry} ({left}), but {_pending(handoffs)}: "
            f"follow `pulumi stack output pendingManualSteps` — see {ROTATION_ANCHOR}",
        )
    return verdict(
        OK,
        "ok",
        f"{token} is valid until {expiry} ({left}); rotation due from "
        f"{lifecycle.format_date(rotate_after)}",
    )


def _contradictions(issued_at: datetime | None, expires_at: datetime | None) -> list[str]:
    """Dates no token has: created after its expiry, or living longer than Druva's tokens."""
    if issued_at is None or expires_at is None:
        return []
    if issued_at > expires_at:
        return [
            f"output issuedAt ({lifecycle.format_time(issued_at)}) is after expiresAt "
            f"({lifecycle.format_time(expires_at)})"
        ]
    if expires_at - issued_at > MAX_LIFETIME:
        return [
            f"output expiresAt ({lifecycle.format_time(expires_at)}) is more than "
            f"{lifecycle.MAX_LIFETIME_DAYS} days after issuedAt "
            f"({lifecycle.format_time(issued_at)}), longer than a Druva token lives"
        ]
    return []


def _pending(handoffs: Sequence[Handoff]) -> str:
    count = len(handoffs)
    names = ", ".join(handoff.name for handoff in handoffs)
    return f"{count} manual hand-off{'s are' if count != 1 else ' is'} pending ({names})"


def objects(
    value: list[object], output: str, problems: list[str]
) -> Iterator[tuple[str, Mapping[str, object]]]:
    """Each entry of the list `output` that is an object, with where it is; the others
    become problems."""
    for index, entry in enumerate(value):
        where = f"output {output}[{index}]"
        if isinstance(entry, Mapping):
            yield where, entry
        else:
            problems.append(f"{where} is not an object")


def _handoffs(value: object) -> tuple[tuple[Handoff, ...], list[str]]:
    if not isinstance(value, list):
        return (), [f"output pendingManualSteps is {_json_kind(type(value).__name__)}, not a list"]
    handoffs: list[Handoff] = []
    problems: list[str] = []
    for where, entry in objects(value, "pendingManualSteps", problems):
        name, steps = entry.get("name"), entry.get("steps")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}.name is missing")
            continue
        if not isinstance(steps, list) or not all(isinstance(step, str) for step in steps):
            problems.append(f"{where}.steps is not a list of text")
            continue
        app_id, org = entry.get("appId"), entry.get("org")
        handoffs.append(
            Handoff(
                name,
                app_id if isinstance(app_id, str) else None,
                org if isinstance(org, str) else None,
                tuple(steps),
            )
        )
    return tuple(handoffs), problems


def _parsed_time(key: str, value: object) -> tuple[datetime | None, str | None]:
    if not isinstance(value, str):
        return None, f"output {key} is {shown(value)}, not an RFC 3339 time"
    try:
        return lifecycle.parse_time(value), None
    except ValueError:
        return (
            None,
            f"output {key} is {shown(value)}, not an RFC 3339 time like 2027-11-22T09:30:00Z",
        )


def _json_kind(python_type: str) -> str:
    return {
        "list": "list",
        "str": "string",
        "int": "number",
        "float": "number",
        "bool": "boolean",
        "NoneType": "null",
    }.get(python_type, python_type)
