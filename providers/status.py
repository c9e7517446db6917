"""The pipeline gate: is the Druva SCIM token fine, due, or expired? Are hand-offs pending?

    pulumi stack output --json | python -m providers.status -
    python -m providers.status --stack prod [--json] [--now 2027-11-10T00:00:00Z]

Reads the stack's outputs (never with --show-secrets: the token is not needed,
and the gate never prints a value it was not asked for) and prints one line a
person understands. Exit codes:

    0  the token is valid and no manual hand-off is pending
    1  rotation is due, or a manual Okta hand-off is pending
    2  the token has expired
    3  the outputs are missing or malformed, or the gate could not read them

`evaluate` is pure; `main` does the reading and printing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from providers import lifecycle, redaction
from providers.settings import shown

OK, DUE, EXPIRED, UNUSABLE = 0, 1, 2, 3
ROTATION_ANCHOR = "README.md#rotation"
GITOPS_ANCHOR = "README.md#gitops"
REQUIRED_KEYS = ("expiresAt", "rotateAfter", "pendingManualSteps")
OPTIONAL_TEXT_KEYS = ("tokenFingerprint", "issuedAt", "tenantUrl")
PULUMI_TIMEOUT_SECONDS = 120


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
            times[key], problem = _time(key, document[key])
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
    if problems or expires_at is None or rotate_after is None:
        return unusable(*problems)

    fingerprint = document.get("tokenFingerprint")
    fingerprint = fingerprint if isinstance(fingerprint, str) and fingerprint else None
    issued_at = times.get("issuedAt")
    life = lifecycle.Lifecycle(issued_at or expires_at, expires_at, rotate_after)
    days_left = life.days_left(now)

    def verdict(exit_code: int, status: str, message: str) -> Verdict:
        return Verdict(
            exit_code,
            status,
            message,
            fingerprint=fingerprint,
            issued_at=issued_at,
            expires_at=expires_at,
            rotate_after=rotate_after,
            days_left=days_left,
            handoffs=handoffs,
        )

    token = f"Druva SCIM token{' ' + fingerprint if fingerprint else ''}"
    expiry = lifecycle.format_date(expires_at)
    pending = f", and {_pending(handoffs)}" if handoffs else ""
    phase = life.phase(now)
    if phase is lifecycle.Phase.EXPIRED:
        ago = (now - expires_at) // timedelta(days=1)
        when = "today" if ago == 0 else f"{_days(ago)} ago"
        return verdict(
            EXPIRED,
            "expired",
            f"{token} expired {expiry} ({when}): provisioning is stopped; generate a new token "
            f"and rotate now{pending} — see {ROTATION_ANCHOR}",
        )
    if phase is lifecycle.Phase.ROTATION_DUE:
        return verdict(
            DUE,
            "rotation-due",
            f"{token} expires {expiry} ({_days(days_left)}): rotate now{pending} — "
            f"see {ROTATION_ANCHOR}",
        )
    if handoffs:
        return verdict(
            DUE,
            "handoffs-pending",
            f"{token} is valid until {expiry} ({_days(days_left)}), but {_pending(handoffs)}: "
            f"follow `pulumi stack output pendingManualSteps` — see {ROTATION_ANCHOR}",
        )
    return verdict(
        OK,
        "ok",
        f"{token} is valid until {expiry} ({_days(days_left)}); rotation due from "
        f"{lifecycle.format_date(rotate_after)}",
    )


def _pending(handoffs: Sequence[Handoff]) -> str:
    count = len(handoffs)
    names = ", ".join(handoff.name for handoff in handoffs)
    return f"{count} manual Okta hand-off{'s are' if count != 1 else ' is'} pending ({names})"


def _handoffs(value: object) -> tuple[tuple[Handoff, ...], list[str]]:
    if not isinstance(value, list):
        return (), [f"output pendingManualSteps is {_json_kind(type(value).__name__)}, not a list"]
    handoffs: list[Handoff] = []
    problems: list[str] = []
    for index, entry in enumerate(value):
        where = f"output pendingManualSteps[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where} is not an object")
            continue
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


def _time(key: str, value: object) -> tuple[datetime | None, str | None]:
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


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


# ---- I/O ------------------------------------------------------------------------------


class GateParser(argparse.ArgumentParser):
    """Usage errors exit 3 ("cannot judge"), never 2, which means "expired" to a pipeline."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(UNUSABLE, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    gate = GateParser(
        prog="python -m providers.status",
        description="Gate on the Druva SCIM token's stack outputs (exit 0 ok, 1 due or "
        "hand-offs pending, 2 expired, 3 outputs missing or malformed).",
    )
    gate.add_argument(
        "source",
        nargs="?",
        choices=["-"],
        help="`-` reads `pulumi stack output --json` from stdin (also the default when stdin "
        "is piped and not empty); without it the gate runs that command itself",
    )
    gate.add_argument("--stack", help="the stack whose outputs `pulumi stack output` reads")
    gate.add_argument("--json", action="store_true", help="print a machine-readable object")
    gate.add_argument(
        "--now",
        type=_now_argument,
        help="judge as if it were this RFC 3339 time (testing, what-if)",
    )
    return gate


def _now_argument(text: str) -> datetime:
    try:
        return lifecycle.parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def read_outputs(source: str | None, stack: str | None) -> tuple[str | None, str | None]:
    """The outputs document's text, or why it could not be read."""
    if source == "-":
        return sys.stdin.read(), None
    if stack is None and not sys.stdin.isatty():
        piped = sys.stdin.read()
        # A CI runner's stdin is not a terminal but carries nothing: then ask pulumi.
        if piped.strip():
            return piped, None
    return run_pulumi_stack_output(stack)


def run_pulumi_stack_output(stack: str | None) -> tuple[str | None, str | None]:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return None, (
            "the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/iac/"
            "download-install/) or pipe the outputs in "
            "(pulumi stack output --json | python -m providers.status -)"
        )
    command = [pulumi, "stack", "output", "--json", *(["--stack", stack] if stack else [])]
    try:
        completed = subprocess.run(  # noqa: S603  (fixed argv, no shell)
            command,
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None, f"`pulumi stack output --json` did not answer in {PULUMI_TIMEOUT_SECONDS} s"
    if completed.returncode != 0:
        # The CLI may echo what it was given: no credential of this environment is shown.
        shown = redaction.redact(completed.stderr, redaction.environment_secrets(os.environ))
        detail = " ".join(shown.strip().splitlines()[-3:]) or "no message"
        return None, (
            f"`pulumi stack output --json` failed with exit code {completed.returncode}: "
            f"{detail} (logged in to the right backend? --stack right?)"
        )
    return completed.stdout, None


CRASHED = (
    "Cannot judge the Druva SCIM token: the gate failed on this input ({kind}); run it again "
    "with `--json` on the same outputs and report it if it persists."
)


def main(argv: Sequence[str] | None = None) -> int:
    """The gate's exit code; a failure of the gate itself is 3, never 1 (due) or 2 (expired)."""
    try:
        return _judge(argv)
    except Exception as error:
        print(CRASHED.format(kind=type(error).__name__), file=sys.stderr)
        return UNUSABLE


def _judge(argv: Sequence[str] | None) -> int:
    gate = parser()
    arguments = gate.parse_args(argv)
    if arguments.source == "-" and arguments.stack:
        gate.error("give either - (outputs on stdin) or --stack (run pulumi), not both")
    now: datetime = arguments.now or datetime.now(UTC)
    text, failure = read_outputs(arguments.source, arguments.stack)
    if failure is not None or text is None:
        verdict = unusable(failure or "no outputs were read", advice="")
    else:
        document, not_json = parse_document(text)
        verdict = unusable(not_json) if not_json else evaluate(document, now)

    if arguments.json:
        print(json.dumps(verdict.as_json(now), indent=2))
    elif verdict.exit_code == UNUSABLE:
        print(verdict.message, file=sys.stderr)
    else:
        print(verdict.message)
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
