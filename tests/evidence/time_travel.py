"""A simulated year (and a bit) of daily `pulumi up`, driven by a clock the test controls.

Two levels, the same calendar:
- provider: the real `ScimTokenProvider` (check, diff, create, update, delete) at
  12:00 UTC every day against the Druva stand-in, as the engine would call it;
- program: `__main__.py` under Pulumi's mocks with Azure and Okta apps (one Okta
  app by hand), the previous run's outputs as state. These runs are sampled:
  every 7th day plus the days around each boundary (each row says which).

The token is generated in the console at 09:30 UTC on 22 November 2026 and first
applied at 12:00 that day (day 0). With 365 days' lifetime and rotation 30 days
before expiry, rotation is due from 09:30 on day 334 + 21.5 h, so the 12:00 run of
day 335 is the first to warn, and the token expires at 09:30 on day 365.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pulumi

from providers.core import lifecycle
from providers.druva import token as scim_token
from testbed.harness import Run, run_program, unwrap
from testbed.stand_ins.druva import DruvaScim
from tests.doubles import OTHER_TOKEN, TOKEN, TokenProvider, pickler_restored
from tests.evidence.record import Row, unmet

ISSUED = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
DAY0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FIRST_WARNING_DAY = 335
EXPIRY_DAY = 365
ROTATION_DAY = 340
ROTATED_ISSUED = DAY0 + timedelta(days=ROTATION_DAY, minutes=-5)
"""The new token is generated at 11:55 on the rotation day and applied at 12:00."""
SECOND_WARNING_DAY = ROTATION_DAY + FIRST_WARNING_DAY
SECOND_EXPIRY_DAY = ROTATION_DAY + EXPIRY_DAY
CONFIRM_DAY = ROTATION_DAY + 3
LAST_PROGRAM_DAY = 400
SAMPLE_EVERY = 7
ROTATION_WARNING = "The Druva SCIM token expires"
HANDOFF_WARNING = "is set by hand"
SP = ("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", "11111111-2222-4333-8444-555555555555")
TENANT = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
OKTA_APP = "0oa1b2c3d4e5f6g7h8i9"
MANUAL_APP = "0oa9z8y7x6w5v4u3t2s1"


def day(number: int) -> datetime:
    return DAY0 + timedelta(days=number)


def span(first: int, last: int) -> str:
    return f"days {first}-{last}" if first != last else f"day {first}"


def life_of(state: Mapping[str, Any]) -> lifecycle.Lifecycle:
    return lifecycle.lifecycle(
        lifecycle.parse_time(state["issuedAt"]),
        int(state["lifetimeDays"]),
        int(state["rotateBeforeDays"]),
    )


# --- provider level: every day ----------------------------------------------------------


@dataclass
class Tally:
    """What a stretch of daily runs did."""

    runs: int = 0
    changes: int = 0
    failures: int = 0
    requests: int = 0
    warnings: int = 0
    warned_days: list[int] = field(default_factory=list)
    issued_at: set[str] = field(default_factory=set)
    first_warning: str = ""
    last_warning: str = ""

    def summary(self, first: int, last: int) -> str:
        return (
            f"{span(first, last)}: {self.runs} runs, {self.changes} changes, "
            f"{self.failures} check failures, {self.requests} Druva requests, "
            f"{self.warnings} warnings"
        )

    def untouched(self) -> tuple[str, bool]:
        """Expected of every day's run on a token: no change, no Druva request, no failure."""
        return (
            "no change, Druva request or check failure "
            f"(got {self.changes}, {self.requests}, {self.failures})",
            self.changes == self.requests == self.failures == 0,
        )

    def row(
        self, scenario: str, first: int, last: int, *expected: tuple[str, bool], more: str = ""
    ) -> Row:
        """The row of the daily runs from day `first` to day `last`: untouched, and `expected`."""
        return Row(
            scenario,
            "check + diff",
            self.summary(first, last) + more,
            attempts=self.requests,
            state_changed=bool(self.changes),
            reason=unmet(self.untouched(), *expected),
        )


class Year:
    """One token's state, carried from day to day, with the Druva stand-in behind it."""

    def __init__(self, druva: DruvaScim, news: dict[str, Any]) -> None:
        self.druva = druva
        self.news = news
        self.state: dict[str, Any] = {}
        self.id = ""

    def create(self, number: int) -> tuple[list[str], int]:
        """Check and create on this day; (check failures, Druva requests)."""
        before = len(self.druva.requests)
        provider = TokenProvider(day(number))
        checked = provider.check(self.state, self.news)
        if checked.failures:
            return [f.reason for f in checked.failures], len(self.druva.requests) - before
        created = provider.create(checked.inputs)
        self.id, self.state = str(created.id), dict(created.outs or {})
        return [], len(self.druva.requests) - before

    def daily(self, first: int, last: int) -> Tally:
        """Check and diff every day, as every `pulumi up` and `pulumi preview` does."""
        tally = Tally()
        for number in range(first, last + 1):
            before = len(self.druva.requests)
            provider = TokenProvider(day(number))
            checked = provider.check(self.state, self.news)
            tally.runs += 1
            if checked.failures:
                tally.failures += 1
                continue
            tally.issued_at.add(str(checked.inputs.get("issuedAt")))
            diff = provider.diff(self.id, self.state, checked.inputs)
            tally.changes += bool(diff.changes)
            tally.requests += len(self.druva.requests) - before
            warning = lifecycle.rotation_warning(life_of(self.state), day(number))
            if warning:
                tally.warnings += 1
                tally.warned_days.append(number)
                tally.first_warning = tally.first_warning or warning
                tally.last_warning = warning
        return tally

    def refusal(self, number: int) -> list[str]:
        checked = TokenProvider(day(number)).check(self.state, self.news)
        return [f.reason for f in checked.failures]


def news_for(url: str, token: str = TOKEN, issued: datetime | None = ISSUED) -> dict[str, Any]:
    news: dict[str, Any] = {
        "scimToken": token,
        "tenantUrl": url,
        "lifetimeDays": 365,
        "rotateBeforeDays": 30,
    }
    if issued is not None:
        news["issuedAt"] = lifecycle.format_time(issued)
    return news


def excerpt_of(warning: str) -> str:
    return warning.split(";", maxsplit=1)[0]


def provider_rows(druva: DruvaScim) -> list[Row]:
    rows: list[Row] = []
    year = Year(druva, news_for(druva.url))
    failures, requests = year.create(0)
    state = year.state
    rows.append(
        Row(
            "day 0: first `pulumi up` with the token generated at 09:30",
            "create",
            f"created: issuedAt {state.get('issuedAt')}, rotateAfter {state.get('rotateAfter')}, "
            f"expiresAt {state.get('expiresAt')}",
            attempts=requests,
            state_changed=True,
            reason=unmet(
                ("not failures", not failures),
                ("requests == 1", requests == 1),
                (
                    'state.get("issuedAt") == "2026-11-22T09:30:00Z"',
                    state.get("issuedAt") == "2026-11-22T09:30:00Z",
                ),
                (
                    'state.get("expiresAt") == "2027-11-22T09:30:00Z"',
                    state.get("expiresAt") == "2027-11-22T09:30:00Z",
                ),
                (
                    'state.get("rotateAfter") == "2027-10-23T09:30:00Z"',
                    state.get("rotateAfter") == "2027-10-23T09:30:00Z",
                ),
            ),
        )
    )
    day100 = dict(year.state)

    quiet = year.daily(1, FIRST_WARNING_DAY - 1)
    rows.append(
        quiet.row(
            "daily `pulumi up` before rotation is due (provider: check + diff every day)",
            1,
            FIRST_WARNING_DAY - 1,
            ("quiet.runs == FIRST_WARNING_DAY - 1", quiet.runs == FIRST_WARNING_DAY - 1),
            ("quiet.warnings == 0", quiet.warnings == 0),
        )
    )
    due = year.daily(FIRST_WARNING_DAY, EXPIRY_DAY - 1)
    expected_days = list(range(FIRST_WARNING_DAY, EXPIRY_DAY))
    rows.append(
        due.row(
            "daily `pulumi up` while rotation is due (rotateAfter 2027-10-23T09:30:00Z)",
            FIRST_WARNING_DAY,
            EXPIRY_DAY - 1,
            ("due.warned_days == expected_days", due.warned_days == expected_days),
            ('"(29 days left)" in due.first_warning', "(29 days left)" in due.first_warning),
            (
                '"(less than a day left)" in due.last_warning',
                "(less than a day left)" in due.last_warning,
            ),
            more=f" (every day); first: '{excerpt_of(due.first_warning)}', last: "
            f"'{excerpt_of(due.last_warning)}'",
        )
    )
    before = len(druva.requests)
    refused = year.refusal(EXPIRY_DAY)
    message = next((reason for reason in refused if reason.startswith("druva-scim:issuedAt:")), "")
    rows.append(
        Row(
            "day 365, 12:00: the token expired at 09:30 and was never rotated",
            "check",
            f"refused: {message[:150]}…" if message else f"not refused: {refused}",
            attempts=len(druva.requests) - before,
            state_changed=False,
            reason=unmet(
                ('"expired on 2027-11-22" in message', "expired on 2027-11-22" in message),
                ("len(druva.requests) == before", len(druva.requests) == before),
            ),
        )
    )

    rows.append(update_row(druva, day100))
    rows.append(carried_row(druva))
    rows.extend(rotation_rows(druva, year))
    return rows


def update_row(druva: DruvaScim, state: dict[str, Any]) -> Row:
    """Day 100: rotateBeforeDays 30 -> 45 is an update in place; day 101 changes nothing."""
    year = Year(druva, {**news_for(druva.url), "rotateBeforeDays": 45})
    year.state, year.id = dict(state), lifecycle.fingerprint(TOKEN)
    before = len(druva.requests)
    provider = TokenProvider(day(100))
    checked = provider.check(year.state, year.news)
    diff = provider.diff(year.id, year.state, checked.inputs)
    updated = dict(provider.update(year.id, year.state, checked.inputs).outs or {})
    requests = len(druva.requests) - before
    year.state = updated
    after = year.daily(101, 101)
    return Row(
        "day 100: rotateBeforeDays 30 → 45, then day 101",
        "diff + update",
        f"update in place of {', '.join(moved(state, checked.inputs))} "
        f"(replaces {diff.replaces or 'nothing'}), "
        f"rotateAfter {state['rotateAfter']} → {updated.get('rotateAfter')}, "
        f"{requests} Druva requests; day 101: {after.changes} changes",
        attempts=requests,
        state_changed=True,
        reason=unmet(
            ("bool(diff.changes)", bool(diff.changes)),
            ("not diff.replaces", not diff.replaces),
            ("requests == 0", requests == 0),
            (
                'updated.get("rotateAfter") == "2027-10-08T09:30:00Z"',
                updated.get("rotateAfter") == "2027-10-08T09:30:00Z",
            ),
            (
                'updated.get("issuedAt") == state["issuedAt"]',
                updated.get("issuedAt") == state["issuedAt"],
            ),
            after.untouched(),
        ),
    )


def moved(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    return [key for key in scim_token.UPDATE_KEYS if olds.get(key) != news.get(key)]


def carried_row(druva: DruvaScim) -> Row:
    """issuedAt from config once, then left out: the recorded time is carried every day;
    a stack that has no record of the token stops and asks instead of dating it today."""
    first = Year(druva, news_for(druva.url))
    failures, requests = first.create(0)
    first.news = news_for(druva.url, issued=None)
    tally = first.daily(1, EXPIRY_DAY - 1)
    no_record = Year(druva, news_for(druva.url, issued=None))
    refused, refused_requests = no_record.create(200)
    return Row(
        "issuedAt removed from config after day 0; and a stack with no record of the token",
        "check + diff",
        tally.summary(1, EXPIRY_DAY - 1)
        + f"; issuedAt every day: {', '.join(sorted(tally.issued_at))}; with no record: "
        + ("stopped, asking for issuedAt" if refused else "dated today"),
        attempts=requests + tally.requests + refused_requests,
        state_changed=bool(tally.changes),
        reason=unmet(
            ("not failures", not failures),
            ("requests == 1", requests == 1),
            (
                "tally.issued_at == {lifecycle.format_time(ISSUED)}",
                tally.issued_at == {lifecycle.format_time(ISSUED)},
            ),
            tally.untouched(),
            (
                "tally.warned_days == list(range(FIRST_WARNING_DAY, EXPIRY_DAY))",
                tally.warned_days == list(range(FIRST_WARNING_DAY, EXPIRY_DAY)),
            ),
            ("len(refused) == 1", len(refused) == 1),
            (
                '"no record of when this token was generated" in refused[0]',
                "no record of when this token was generated" in refused[0],
            ),
            ("refused_requests == 0", refused_requests == 0),
        ),
    )


def rotation_rows(druva: DruvaScim, old: Year) -> list[Row]:
    """Rotation on day 340, then daily runs through the new token's whole life."""
    rows: list[Row] = []
    druva.accepted = {OTHER_TOKEN}  # generating the new token invalidated the old one at once
    year = Year(druva, news_for(druva.url, OTHER_TOKEN, ROTATED_ISSUED))
    year.state, year.id = dict(old.state), old.id
    before = len(druva.requests)
    provider = TokenProvider(day(ROTATION_DAY))
    checked = provider.check(year.state, year.news)
    diff = provider.diff(year.id, year.state, checked.inputs)
    # An update, never a replace: the stack never holds two tokens (docs/how-it-works.md).
    updated = provider.update(year.id, year.state, checked.inputs)
    requests = len(druva.requests) - before
    year.state = dict(updated.outs or {})
    warning = lifecycle.rotation_warning(life_of(year.state), day(ROTATION_DAY))
    rows.append(
        Row(
            f"day {ROTATION_DAY}: rotation, new token generated at 11:55",
            "check + diff + update",
            f"update in place (replaces {diff.replaces or 'nothing'}), new token accepted by "
            f"Druva; expiresAt {year.state.get('expiresAt')}, "
            f"{requests} Druva request; warning after: {warning is not None}",
            attempts=requests,
            state_changed=True,
            reason=unmet(
                ("not checked.failures", not checked.failures),
                ("diff.changes and not diff.replaces", bool(diff.changes and not diff.replaces)),
                (
                    'year.state.get("fingerprint") == fingerprint(OTHER_TOKEN)',
                    year.state.get("fingerprint") == lifecycle.fingerprint(OTHER_TOKEN),
                ),
                ("requests == 1", requests == 1),
                (
                    'year.state.get("issuedAt") == "2027-10-28T11:55:00Z"',
                    year.state.get("issuedAt") == "2027-10-28T11:55:00Z",
                ),
                (
                    'year.state.get("expiresAt") == "2028-10-27T11:55:00Z"',
                    year.state.get("expiresAt") == "2028-10-27T11:55:00Z",
                ),
                ("warning is None", warning is None),
            ),
        )
    )
    quiet = year.daily(ROTATION_DAY + 1, SECOND_WARNING_DAY - 1)
    rows.append(
        quiet.row(
            "daily `pulumi up` after rotation, past the old token's expiry (day 365)",
            ROTATION_DAY + 1,
            SECOND_WARNING_DAY - 1,
            (
                "quiet.runs == SECOND_WARNING_DAY - ROTATION_DAY - 1",
                quiet.runs == SECOND_WARNING_DAY - ROTATION_DAY - 1,
            ),
            ("quiet.warnings == 0", quiet.warnings == 0),
        )
    )
    due = year.daily(SECOND_WARNING_DAY, SECOND_EXPIRY_DAY - 1)
    refused = year.refusal(SECOND_EXPIRY_DAY)
    message = next((r for r in refused if r.startswith("druva-scim:issuedAt:")), "")
    rows.append(
        due.row(
            "the new token's own year: warnings from its rotateAfter, refusal at its expiry",
            SECOND_WARNING_DAY,
            SECOND_EXPIRY_DAY - 1,
            (
                "due.warned_days == list(range(SECOND_WARNING_DAY, SECOND_EXPIRY_DAY))",
                due.warned_days == list(range(SECOND_WARNING_DAY, SECOND_EXPIRY_DAY)),
            ),
            ('"expired on 2028-10-27" in message', "expired on 2028-10-27" in message),
            more=f"; day {SECOND_EXPIRY_DAY}: refused ({message[21:90]}…)",
        )
    )
    return rows


# --- program level: sampled -------------------------------------------------------------


def program_config(token: str, issued: datetime, confirmed: str) -> dict[str, str]:
    structured = {
        "azureTenants": [{"name": "emea", "tenantId": TENANT}],
        "azureApps": [
            {"name": "druva", "servicePrincipalId": SP[0]},
            {"name": "druva-emea", "servicePrincipalId": SP[1], "tenant": "emea"},
        ],
        "oktaApps": [
            {"name": "druva-okta", "appId": OKTA_APP, "mode": "api"},
            {
                "name": "druva-by-hand",
                "appId": MANUAL_APP,
                "mode": "manual",
                "confirmedFingerprint": confirmed,
            },
        ],
    }
    return {
        "druva-scim:scimToken": token,
        "druva-scim:issuedAt": lifecycle.format_time(issued),
        "okta:orgName": "acme",
        **{f"druva-scim:{key}": json.dumps(value) for key, value in structured.items()},
    }


def changed(before: Run | None, after: Run) -> list[str]:
    """Resources whose inputs differ from the previous run's: what the engine would update."""
    if before is None:
        return [r.name for r in after.registrations]
    old = {r.name: unwrap(r.inputs) for r in before.registrations}
    new = {r.name: unwrap(r.inputs) for r in after.registrations}
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


@dataclass
class Stretch:
    days: list[int] = field(default_factory=list)
    changes: int = 0
    errors: int = 0
    rotation_warned: list[int] = field(default_factory=list)
    handoff_warned: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)

    def extend(self, other: Stretch) -> None:
        for each in fields(self):
            setattr(self, each.name, getattr(self, each.name) + getattr(other, each.name))

    def untouched(self) -> tuple[str, bool]:
        """Expected of every sampled run: no resource changed, no run failed."""
        return (
            f"no change and no error (got {self.changes}, {self.errors})",
            self.changes == self.errors == 0,
        )

    def warned_on(
        self, rotation: list[int], handoff: list[int], pending: list[int]
    ) -> tuple[str, bool]:
        """Expected: the rotation warning, the hand-off warning and a pending hand-off on
        exactly these days."""
        got = (self.rotation_warned, self.handoff_warned, self.pending)
        counts = ", ".join(str(len(days)) for days in got)
        return (
            "rotation warning, hand-off warning and pending hand-off on "
            f"{len(rotation)}, {len(handoff)} and {len(pending)} days (got {counts})",
            got == (rotation, handoff, pending),
        )

    def row(self, scenario: str, *expected: tuple[str, bool], more: str = "") -> Row:
        """The row of these sampled runs: untouched, and `expected`."""
        return Row(
            scenario,
            "program",
            self.summary() + more,
            state_changed=bool(self.changes),
            reason=unmet(self.untouched(), *expected),
        )

    def summary(self) -> str:
        return (
            f"{len(self.days)} sampled runs ({span(self.days[0], self.days[-1])}: "
            f"{sampled(self.days)}), {self.changes} resources changed, {self.errors} errors, "
            f"rotation warning on {len(self.rotation_warned)}, hand-off warning on "
            f"{len(self.handoff_warned)}, hand-off pending on {len(self.pending)}"
        )


def sampled(days: list[int]) -> str:
    regular = [d for d in days if d % SAMPLE_EVERY == 0]
    others = [d for d in days if d % SAMPLE_EVERY]
    return f"every {SAMPLE_EVERY}th day ({len(regular)}) plus days {', '.join(map(str, others))}"


class Calendar:
    """The program's runs in order, each on the state the previous one left."""

    def __init__(self) -> None:
        self.last: Run | None = None
        self.prior: dict[str, dict[str, Any]] = {}

    def run(self, number: int, config: dict[str, str]) -> tuple[Run, list[str]]:
        run = run_program(config, now=day(number), prior=self.prior)
        changes = changed(self.last, run)
        if run.error is None:
            self.last = run
            self.prior = {r.name: unwrap(r.outputs) for r in run.registrations}
        return run, changes

    def stretch(self, days: Iterable[int], config: dict[str, str]) -> Stretch:
        result = Stretch()
        for number in days:
            run, changes = self.run(number, config)
            result.days.append(number)
            result.changes += len(changes)
            result.errors += run.error is not None
            warnings = run.messages("warning")
            if any(ROTATION_WARNING in w for w in warnings):
                result.rotation_warned.append(number)
            if any(HANDOFF_WARNING in w for w in warnings):
                result.handoff_warned.append(number)
            if run.exports.get("pendingManualSteps"):
                result.pending.append(number)
        return result


def sample(first: int, last: int, *boundaries: int) -> list[int]:
    days = {d for d in range(first, last + 1) if d % SAMPLE_EVERY == 0}
    days |= {d for d in (first, last, *boundaries) if first <= d <= last}
    return sorted(days)


def program_rows() -> list[Row]:
    rows: list[Row] = []
    old_fp, new_fp = lifecycle.fingerprint(TOKEN), lifecycle.fingerprint(OTHER_TOKEN)
    first = program_config(TOKEN, ISSUED, old_fp)
    calendar = Calendar()

    start, _ = calendar.run(0, first)
    rows.append(
        program_row(
            "program day 0: token, 2 Azure apps (2 tenants), an Okta API app and an Okta app "
            "by hand (confirmed for this token)",
            start,
            f"{len(start.registrations)} resources registered; warnings "
            f"{len(start.messages('warning'))}; pendingManualSteps "
            f"{len(start.exports.get('pendingManualSteps', []))}",
            ("len(start.registrations) >= 9", len(start.registrations) >= 9),
            ('start.messages("warning") == []', start.messages("warning") == []),
            (
                'start.exports.get("pendingManualSteps") == []',
                start.exports.get("pendingManualSteps") == [],
            ),
        )
    )

    before = calendar.stretch(sample(1, FIRST_WARNING_DAY - 1, 1, 2, 333, 334), first)
    rows.append(before.row("program before rotation is due", before.warned_on([], [], [])))
    due_days = sample(FIRST_WARNING_DAY, EXPIRY_DAY - 1, 336, ROTATION_DAY - 1, 363)
    due = calendar.stretch([d for d in due_days if d < ROTATION_DAY], first)
    # From here two branches: one never rotates, the other rotates on ROTATION_DAY.
    rotating = copy.copy(calendar)
    later = calendar.stretch([d for d in due_days if d >= ROTATION_DAY], first)
    due.extend(later)
    rows.append(due.row("program while rotation is due", due.warned_on(due.days, [], [])))
    expired = program_expired(calendar, first)
    rows.append(expired)
    rows.extend(program_rotation(rotating, old_fp, new_fp))
    return rows


def program_row(scenario: str, run: Run, outcome: str, *expected: tuple[str, bool]) -> Row:
    """The row of one program run that changes the stack: it succeeded, and `expected`."""
    return Row(
        scenario,
        "program",
        outcome,
        state_changed=True,
        reason=unmet(("the run to succeed", run.error is None), *expected),
    )


def program_expired(calendar: Calendar, config: dict[str, str]) -> Row:
    run, _ = calendar.run(EXPIRY_DAY, config)
    errors = run.messages("error")
    message = next((e for e in errors if e.startswith("druva-scim:issuedAt:")), "")
    return Row(
        "program day 365 without rotation",
        "program",
        f"stopped before registering: {message[:110]}…" if message else f"not stopped: {errors}",
        state_changed=bool(run.registrations),
        reason=unmet(
            ("isinstance(run.error, pulumi.RunError)", isinstance(run.error, pulumi.RunError)),
            ("run.registrations == []", run.registrations == []),
            ('"expired on 2027-11-22" in message', "expired on 2027-11-22" in message),
        ),
    )


def program_rotation(calendar: Calendar, old_fp: str, new_fp: str) -> list[Row]:
    rows: list[Row] = []
    rotated = program_config(OTHER_TOKEN, ROTATED_ISSUED, old_fp)
    run, changes = calendar.run(ROTATION_DAY, rotated)
    pending = run.exports.get("pendingManualSteps") or []
    kinds = sorted({r.type.split(":")[-1] for r in run.registrations if r.name in changes})
    rows.append(
        program_row(
            f"program day {ROTATION_DAY}: new token and issuedAt set, `pulumi up`",
            run,
            f"{len(changes)} of {len(run.registrations)} resources change ({', '.join(kinds)}); "
            f"tokenFingerprint {run.exports.get('tokenFingerprint')}; hand-off pending for "
            f"{[p['name'] for p in pending]} since {pending[0]['pendingSince'] if pending else '-'}",
            (
                'run.exports.get("tokenFingerprint") == new_fp',
                run.exports.get("tokenFingerprint") == new_fp,
            ),
            ('"druva-scim-token" in changes', "druva-scim-token" in changes),
            ("len(pending) == 1", len(pending) == 1),
            (
                'pending[0]["pendingSince"] == "2027-10-28T12:00:00Z"',
                pending[0]["pendingSince"] == "2027-10-28T12:00:00Z",
            ),
            (
                'any(HANDOFF_WARNING in w for w in run.messages("warning"))',
                any(HANDOFF_WARNING in w for w in run.messages("warning")),
            ),
            (
                'not any(ROTATION_WARNING in w for w in run.messages("warning"))',
                not any(ROTATION_WARNING in w for w in run.messages("warning")),
            ),
        )
    )
    waiting = calendar.stretch(range(ROTATION_DAY + 1, CONFIRM_DAY), rotated)
    last_pending = (
        (calendar.last.exports.get("pendingManualSteps") or [{}]) if calendar.last else []
    )
    rows.append(
        waiting.row(
            "program the days after rotation, before the admin confirms the Okta paste",
            waiting.warned_on([], waiting.days, waiting.days),
            (
                'last_pending[0].get("pendingSince") == "2027-10-28T12:00:00Z"',
                last_pending[0].get("pendingSince") == "2027-10-28T12:00:00Z",
            ),
            more=f"; pending since {last_pending[0].get('pendingSince')}",
        )
    )
    confirmed = program_config(OTHER_TOKEN, ROTATED_ISSUED, new_fp)
    run, changes = calendar.run(CONFIRM_DAY, confirmed)
    rows.append(
        program_row(
            f"program day {CONFIRM_DAY}: confirmedFingerprint set to the new fingerprint",
            run,
            f"changes: {', '.join(changes)}; pendingManualSteps "
            f"{len(run.exports.get('pendingManualSteps') or [])}; warnings "
            f"{len(run.messages('warning'))}",
            (
                'changes == [f"okta-handoff-{MANUAL_APP}"]',
                changes == [f"okta-handoff-{MANUAL_APP}"],
            ),
            (
                'run.exports.get("pendingManualSteps") == []',
                run.exports.get("pendingManualSteps") == [],
            ),
            ('run.messages("warning") == []', run.messages("warning") == []),
        )
    )
    after = calendar.stretch(
        sample(CONFIRM_DAY + 1, LAST_PROGRAM_DAY, EXPIRY_DAY - 1, EXPIRY_DAY), confirmed
    )
    rows.append(
        after.row(
            "program after the hand-off, past the old token's expiry",
            after.warned_on([], [], []),
            ("EXPIRY_DAY in after.days", EXPIRY_DAY in after.days),
        )
    )
    return rows


def rows() -> list[Row]:
    with pickler_restored():
        with DruvaScim(TOKEN) as druva:
            found = provider_rows(druva)
        return found + program_rows()
