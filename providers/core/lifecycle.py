"""Any process: the token's life as pure functions of a few timestamps.

No Pulumi, no HTTP, no clock: every function that needs "now" takes it. The
sentences about it that the program, the policy pack and the gate share are here
too (`days`, `ago`, `rotation_due`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TypeVar

from providers.core.texts import ROTATION_STEPS

Moment = TypeVar("Moment")
"""A moment as a decision carries it: a datetime, or a time as state recorded it."""

DEFAULT_LIFETIME_DAYS = 365
DEFAULT_ROTATE_BEFORE_DAYS = 30
MAX_LIFETIME_DAYS = 365
FINGERPRINT_HEX_DIGITS = 12
# A console clock and a runner clock may disagree a little; more than this is a typo.
CLOCK_SKEW = timedelta(minutes=5)
# Python's datetime covers these years; an instant outside them is refused, never an overflow.
CALENDAR_START = "0001-01-01T00:00:00Z"
CALENDAR_END = "9999-12-31T23:59:59Z"
# The longest RFC 3339 text: 2026-11-22T09:30:00.123456+05:30 with room to spare.
MAX_TIME_TEXT = 40
# RFC 3339 section 5.6 date-time, ASCII digits only (fromisoformat alone also takes ISO
# week dates like 2026-W47-5, and `\d` any script's digits). Fractions as Python keeps them.
RFC_3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


class Phase(Enum):
    """Where a token stands on its way from creation to expiry."""

    VALID = "valid"
    ROTATION_DUE = "rotation-due"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Lifecycle:
    issued_at: datetime
    """When the token was generated in the Druva console (UTC)."""
    expires_at: datetime
    """issued_at + lifetime: Druva stops accepting the token at this instant."""
    rotate_after: datetime
    """expires_at - rotate-before window: from here on, warnings and gates fire."""

    def phase(self, now: datetime) -> Phase:
        if now >= self.expires_at:
            return Phase.EXPIRED
        if now >= self.rotate_after:
            return Phase.ROTATION_DUE
        return Phase.VALID

    def days_left(self, now: datetime) -> int:
        """Whole days until expiry, rounded down; negative once expired."""
        left = (self.expires_at - now) // timedelta(days=1)
        # At the very instant of expiry the division gives 0, but the token is already dead.
        return min(left, -1) if now >= self.expires_at else left


def lifecycle(issued_at: datetime, lifetime_days: int, rotate_before_days: int) -> Lifecycle:
    """The token's dates; ValueError when one of them falls outside the calendar (years 1-9999)."""
    issued = as_utc(issued_at)
    try:
        expires = issued + timedelta(days=lifetime_days)
        rotate_after = expires - timedelta(days=rotate_before_days)
    except OverflowError:
        raise ValueError(
            f"a token issued {format_time(issued)} with lifetimeDays {lifetime_days} and "
            f"rotateBeforeDays {rotate_before_days} has dates outside the calendar "
            f"({CALENDAR_START} to {CALENDAR_END})"
        ) from None
    return Lifecycle(issued_at=issued, expires_at=expires, rotate_after=rotate_after)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a time without a UTC offset is ambiguous")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:30:00+01:00 is a valid text whose UTC instant is before year 1.
        raise ValueError(
            f"{moment.isoformat()} is, in UTC, outside the calendar ({CALENDAR_START} to "
            f"{CALENDAR_END})"
        ) from None


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 date-time; the offset is mandatory (`Z` or `+hh:mm`).

    Raises ValueError, and nothing else, for any text that is not such a time,
    including one whose UTC instant lies outside the calendar.
    """
    candidate = text.strip()
    shown = repr(text) if len(text) <= MAX_TIME_TEXT else f"a text of {len(text)} characters"
    if not RFC_3339.fullmatch(candidate):
        raise ValueError(f"{shown} is not an RFC 3339 date-time like 2026-11-22T09:30:00Z")
    try:
        parsed = datetime.fromisoformat(candidate.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{shown} is not an RFC 3339 date-time like 2026-11-22T09:30:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise ValueError(f"{shown} has no UTC offset; add Z for UTC, as the Druva console shows")
    return as_utc(parsed)


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a trailing Z, to the second."""
    utc = as_utc(moment)
    return f"{format_date(utc)}T{utc:%H:%M:%S}Z"


def format_date(moment: datetime) -> str:
    # Not strftime's %Y, which writes year 1 as `1` on some platforms.
    utc = as_utc(moment)
    return f"{utc.year:04}-{utc:%m-%d}"


def fingerprint(token: str) -> str:
    """A non-secret name for a token: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:FINGERPRINT_HEX_DIGITS]


VENDOR_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)
"""A time as vendors write it: any number of fractional digits (Graph writes seven,
`2019-11-20T14:09:46.8855027Z`), an offset in either form, or none (read as UTC)."""
NEVER_YEAR = 1
"""Graph writes "never" as `0001-01-01T00:00:00Z` (and sometimes as null)."""
MAX_VENDOR_TIME_TEXT = 64


def vendor_time(value: object) -> datetime | None:
    """A time a vendor's API answered (Graph, Okta), in UTC; None for null, for anything that
    is not such a time, and for Graph's year-1 "never". Never raises.

    Users' own times go through the strict `parse_time`; this one is for what vendors write.
    """
    if not isinstance(value, str) or len(value) > MAX_VENDOR_TIME_TEXT:
        return None
    matched = VENDOR_TIME.fullmatch(value.strip())
    if not matched:
        return None
    seconds, fraction, offset = matched.groups()
    # datetime keeps microseconds: digits beyond six are cut, not rounded into the next second.
    micro = (fraction or "")[:6].ljust(6, "0")
    zone = (offset or "Z").upper()
    if zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        parsed = datetime.fromisoformat(
            f"{seconds.upper()}.{micro}{'+00:00' if zone == 'Z' else zone}"
        )
        moment = as_utc(parsed)
    except ValueError:
        return None
    return None if moment.year == NEVER_YEAR else moment


def recorded_time(value: object) -> str | None:
    """A time a resource's state recorded, as recorded: carried through an update unparsed, so
    that a state written by hand or by an older version keeps its text."""
    return value if isinstance(value, str) else None


def parse_time_or_none(value: object) -> datetime | None:
    """`parse_time` for a value that may be anything; None where it is not such a time."""
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def days(count: int) -> str:
    """`1 day`, `11 days`."""
    return f"{count} day{'' if count == 1 else 's'}"


def ago(moment: datetime, now: datetime) -> str:
    """How long ago `moment` was, in whole days: `today`, `2 days ago`."""
    count = (now - moment) // timedelta(days=1)
    return "today" if count == 0 else f"{days(count)} ago"


def rotation_due(expiry: str, days_left: int, since: datetime, fingerprint: str | None) -> str:
    """The one sentence that says rotation is due: `expiry` as the reader needs it (a time for
    the program's warning, a date for the policy), `since` the day it became due."""
    left = "less than a day" if days_left < 1 else days(days_left)
    token = f"The Druva SCIM token {fingerprint}" if fingerprint else "The Druva SCIM token"
    return (
        f"{token} expires {expiry} ({left} left); rotation has been due since "
        f"{format_date(since)}: {ROTATION_STEPS}."
    )


def rotation_warning(life: Lifecycle, now: datetime) -> str | None:
    """What `pulumi preview` and `pulumi up` say once rotation is due; None before that."""
    if life.phase(now) is not Phase.ROTATION_DUE:
        return None
    return rotation_due(format_time(life.expires_at), life.days_left(now), life.rotate_after, None)


def carried_issued_at(
    recorded_token: str | None, recorded_issued_at: str | None, token: str | None
) -> str | None:
    """The creation time the stack recorded for this very token, if it recorded one.

    A token the stack has no record of may be days or months old: taking "now" would
    give it false life, and every warning would come that much too late.
    """
    if recorded_issued_at is not None and recorded_token == token:
        return recorded_issued_at
    return None


def restates_previous_issued_at(
    recorded_token: str | None,
    recorded_issued_at: datetime | None,
    token: str | None,
    issued_at: datetime | None,
) -> bool:
    """Whether a changed token comes with the creation time recorded for the previous one."""
    if recorded_token is None or recorded_token == token:
        return False
    return recorded_issued_at is not None and recorded_issued_at == issued_at


def waiting_since(
    expected: str | None,
    confirmed: str | None,
    waited_for: str | None,
    since: Moment | None,
    now: Moment,
) -> Moment | None:
    """Since when the token whose fingerprint is `expected` has waited to be pasted by hand:
    None once `confirmed` is that fingerprint; `since` when the stack already waited for that
    very token (`waited_for`); else from `now`, as the token changed. The moments are opaque
    here: a recorded one is carried as it was recorded."""
    if confirmed == expected:
        return None
    if since is not None and waited_for == expected:
        return since
    return now
