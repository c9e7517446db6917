"""Any process: the one clock. Whatever needs "now" asks a Clock, never datetime.now itself.

The program, each provider, the policy pack and the command lines hold a Clock
(`SYSTEM` unless told otherwise). A `FixedClock` says the moment it was given: the
gate's `--now` (judge as if it were then) and every test use it.
"""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    """What time it is, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM = Clock()
"""The machine's clock: the default everywhere."""


class FixedClock(Clock):
    """A clock that says `moment` until told otherwise (`moment` may be set or advanced)."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock's moment needs a UTC offset")
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def __repr__(self) -> str:
        return f"FixedClock({self.moment.isoformat()})"
