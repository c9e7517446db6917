"""Malformed configuration and inputs are refused by key, before anything is registered."""

from collections.abc import Iterator

import pytest

from testbed.engine import ProviderHost
from testbed.stand_ins.druva import DruvaScim
from tests.doubles import TOKEN
from tests.evidence import bad_input
from tests.evidence.bad_input import CHECK_CASES, HOST_CASES, PROGRAM_CASES
from tests.evidence.record import Row


@pytest.fixture(scope="module")
def stand_in() -> Iterator[DruvaScim]:
    with DruvaScim(TOKEN) as druva:
        yield druva


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    with ProviderHost() as process:
        yield process


def refused_before_anything(row: Row) -> None:
    """Nothing is registered or sent to Druva, the token stays out, the outcome names its setting."""
    assert row.state_changed is False
    assert row.attempts == 0
    assert row.token_safe
    assert row.outcome.startswith("druva-scim:")


@pytest.mark.parametrize("case", PROGRAM_CASES, ids=[case.scenario for case in PROGRAM_CASES])
def test_each_malformed_configuration_is_refused_by_name_without_traceback_or_token(case, evidence):
    row = bad_input.program_row(case)
    evidence.record("bad_input", row)
    refused_before_anything(row)


@pytest.mark.parametrize("case", CHECK_CASES, ids=[case.scenario for case in CHECK_CASES])
def test_each_malformed_input_is_refused_by_the_check(case, stand_in, evidence):
    row = bad_input.check_row(case, stand_in)
    evidence.record("bad_input", row)
    refused_before_anything(row)


@pytest.mark.parametrize("case", HOST_CASES, ids=[case.scenario for case in HOST_CASES])
def test_each_malformed_input_is_refused_by_the_check_in_the_host(case, stand_in, host, evidence):
    row = bad_input.host_row(case, stand_in, host)
    evidence.record("bad_input", row)
    refused_before_anything(row)
