"""A simulated year (and a bit) of daily runs: each milestone behaves (tests/evidence/time_travel.py)."""

import pytest

from tests.evidence import time_travel
from tests.evidence.record import Row


@pytest.fixture(scope="module")
def year() -> list[Row]:
    return time_travel.rows()


def test_a_simulated_year_of_daily_runs_behaves_at_every_milestone(year, evidence):
    evidence.record("time_travel", *year)


def test_the_year_covers_create_quiet_days_warnings_expiry_rotation_and_hand_off(year):
    outcomes = "\n".join(f"{row.scenario}: {row.outcome}" for row in year)
    for milestone in (
        "days 1-334: 334 runs, 0 changes, 0 check failures, 0 Druva requests, 0 warnings",
        "days 335-364: 30 runs, 0 changes, 0 check failures, 0 Druva requests, 30 warnings",
        "expired on 2027-11-22",
        "update in place (replaces nothing), new token accepted by Druva",
        "days 341-674: 334 runs, 0 changes",
        "hand-off pending for ['druva-by-hand']",
        "changes: okta-handoff-0oa9z8y7x6w5v4u3t2s1",
    ):
        assert milestone in outcomes, milestone
    assert sum(row.step == "program" for row in year) >= 7
    assert all(
        "sampled runs" in row.outcome
        for row in year
        if row.scenario.startswith("program") and "sampled" in row.outcome
    )
