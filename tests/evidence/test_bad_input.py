"""Malformed configuration and inputs are refused by key, before anything is registered."""

from collections import Counter

import pytest

from tests.evidence import bad_input
from tests.evidence.record import Row


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return bad_input.rows()


def test_every_malformed_input_is_refused_by_name_without_traceback_or_token(rows):
    failed = [(row.scenario, row.reason) for row in rows if not row.passed]
    assert failed == []


def test_at_least_forty_malformed_configurations_run_through_the_whole_program(rows):
    steps = Counter(row.step for row in rows)
    assert steps["program"] >= 45
    assert steps["check"] >= 20
    assert steps["check (host)"] >= 5
    assert len(rows) >= 40


def test_nothing_is_registered_or_sent_to_druva_and_the_token_stays_out(rows):
    assert all(row.state_changed is False for row in rows)
    assert all(row.attempts == 0 for row in rows)
    assert all(row.token_safe for row in rows)


def test_each_outcome_names_its_setting(rows):
    assert all(row.outcome.startswith("druva-scim:") for row in rows)
