"""Issue 9: sequences of user actions across runs, through the model of the engine.

The hypothesis state machine in tests/sequences/machine.py runs once per process
(bounded and derandomized); the rows say which actions it took how often, how
many sequences and `up`s it explored, and whether each invariant held.
"""

from __future__ import annotations

import threading

from tests.evidence.record import Row, unmet
from tests.sequences.machine import SETTINGS, Explored, explore
from tests.sequences.world import INVARIANTS, services

_cache: tuple[Explored, str | None] | None = None
_lock = threading.Lock()


def explored() -> tuple[Explored, str | None]:
    """What the exploration covered, and its failure (with hypothesis' steps) if any."""
    global _cache  # noqa: PLW0603  (one run per process, shared by the tests)
    with _lock:
        if _cache is None:
            with services() as started:
                found, failure = explore(started)
            text = None
            if failure is not None:
                text = "\n".join([f"{failure}", *getattr(failure, "__notes__", [])])
            _cache = (found, text)
        return _cache


def rows() -> list[Row]:
    found, failure = explored()
    first = (failure or "").splitlines()[0] if failure else ""
    result = [
        Row(
            f"{found.sequences} generated sequences of up to {SETTINGS.stateful_step_count} "
            f"actions, {found.ups} `up`s (each followed by a second `up`), the clock moved "
            f"{found.advances} times",
            "up, refresh",
            "ok" if failure is None else f"failed: {first[:200]}",
            seconds=found.seconds,
            reason=f"a sequence failed: {first}" if failure else "",
        )
    ]
    for action, count in sorted(found.actions.items()):
        result.append(
            Row(
                f"action: {action}",
                "program",
                f"{count} times",
                reason="" if count > 0 else "never taken",
            )
        )
    for key, text in INVARIANTS.items():
        checked = found.checked[key]
        broken = found.broken.get(key)
        outcome = f"broken: {broken}" if broken else f"held after {checked} `up`s"
        # `stops` is checked only when an up stops (a rotation by hand); the others after every up.
        result.append(
            Row(
                f"invariant: {text}",
                "after every up",
                outcome,
                reason=unmet(
                    (f"the invariant to hold, broken: {broken}", broken is None),
                    ("it to be checked at least once", checked > 0),
                ),
            )
        )
    return result
