"""Command line: the pre-flight, everything that can fail checked before New Token is clicked.

    python -m providers.preflight --stack STACK [--json]

Druva ends the old token the moment New Token is clicked, so whatever can fail must fail
before then. The pre-flight changes nothing: it reads and previews. One line per item
and a verdict; any failure says what to fix and NOT_READY. The rotation helper and the
guided first run run it first and ask for the token only after READY.

Exit codes: 0 ready; 1 not ready (nothing was changed).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

READY = "Ready: now click New Token in the Druva console, then paste it here."
NOT_READY = "nothing was changed: do not generate a token yet"
READY_EXIT, NOT_READY_EXIT = 0, 1


@dataclass(frozen=True)
class Item:
    """One thing proved, or not, before the click."""

    name: str
    ok: bool
    detail: str
    """What was found; when not ok, what to fix."""

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


@dataclass(frozen=True)
class Report:
    items: tuple[Item, ...] = ()
    extra_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per Azure app name: the synchronization secret keys the app holds in Azure that the
    configuration does not carry (the first `up` would erase them)."""
    manual: tuple[str, ...] = ()
    """Each app that will need a hand after the rotation, with what will be asked."""

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)

    def lines(self) -> list[str]:
        verdict = READY if self.ok else f"Not ready: {NOT_READY}."
        return [item.line() for item in self.items] + [verdict]


def preflight(stack: str, environment: Mapping[str, str]) -> Report:
    """Check everything the rotation of `stack` needs, changing nothing."""
    raise NotImplementedError


def main(argv: Sequence[str] | None = None) -> int:
    raise NotImplementedError


if __name__ == "__main__":
    sys.exit(main())
