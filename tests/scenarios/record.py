"""The shape of one line of evidence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One scenario, as docs/EVIDENCE.md shows it."""

    scenario: str
    """What was done to the system, e.g. `Druva answers 503 three times`."""
    step: str
    """Where: `create`, `read`, `verify (Azure)`, `verify (Okta)`, `program`, `check`..."""
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
    passed: bool = True
    """Whether the row is what it should be; the tests assert this, the report shows it."""

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
        ] + ["✓" if self.passed else "✗"]


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
