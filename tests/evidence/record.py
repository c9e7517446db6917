"""The shape of one line of evidence, why it is not as expected when it is not, and the
sections of docs/EVIDENCE.md the tests record their lines under."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Row:
    """One scenario, as docs/EVIDENCE.md shows it."""

    scenario: str
    """What was done to the system, e.g. `Druva answers 503 three times`."""
    step: str
    """Where: `create`, `read`, `check (Azure)`, `check (Okta)`, `program`, `check`..."""
    outcome: str
    """What the user sees, shortened: `failed: ... still answered HTTP 503 ...` or `ok`."""
    attempts: int | None = None
    """HTTP requests the stand-in received for this step."""
    seconds: float | None = None
    """Wall time of the step."""
    state_changed: bool | None = None
    """Whether the resource's state changed (False for a failed step: nothing half-done)."""
    converged: bool | None = None
    """Whether a later run, with the fault gone, converged with the same token."""
    token_safe: bool | None = None
    """The token is still in config and state, and in no observable output."""
    reason: str = ""
    """Why the row is not what it should be; empty when it is. Tests assert
    `row.passed, row.reason`, and the document shows it, so a failure says why."""

    @property
    def passed(self) -> bool:
        """Whether the row is what it should be."""
        return not self.reason

    def cells(self) -> list[str]:
        def show(value: object) -> str:
            if value is None:
                return "-"
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, float):
                return f"{value:.2f}"
            return str(value).replace("|", "\\|")

        return [
            show(v)
            for v in (
                self.scenario,
                self.step,
                self.outcome,
                self.attempts,
                self.seconds,
                self.state_changed,
                self.converged,
                self.token_safe,
            )
        ] + ["✓" if self.passed else f"✗ {show(self.reason)}"]


def unmet(*expectations: tuple[str, bool]) -> str:
    """A row's reason: each expectation that does not hold, by what it expects."""
    return "; ".join(f"expected {text}" for text, held in expectations if not held)


def because(problems: list[str], token_safe: bool) -> str:
    """A row's reason from the problems a scenario found, and whether the token stayed safe."""
    shown = [] if token_safe else ["the token moved, or showed where it must not"]
    return "; ".join([*problems, *shown])


HEADER = [
    "scenario",
    "step",
    "outcome",
    "attempts",
    "seconds",
    "state changed",
    "converged",
    "token safe",
    "as expected",
]

SECTIONS = {
    "faults": "1. Faults against the Druva, Graph and Okta stand-ins",
    "bad_input": "2. Bad input",
    "secrets": "3. Secrets",
    "interruption": "4. Interruption",
    "time_travel": "5. Time",
    "sequences": "6. Sequences across runs",
    "health": "7. Provisioning health",
}
"""Each section of the document, by the name the tests record under, in the document's order."""


@dataclass
class Recorded:
    """The rows the tests of one session recorded, by section, and which tests recorded them."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    tests: dict[str, set[str]] = field(default_factory=dict)


RECORDED = pytest.StashKey[Recorded]()
