"""Issue 12: provisioning health against the stand-ins; each row is asserted (tests/evidence/health.py)."""

import pytest

from tests.evidence import health


@pytest.fixture(scope="module")
def rows():
    return health.rows()


def test_every_health_scenario_ends_as_expected(rows):
    assert [(row.scenario, row.reason) for row in rows if not row.passed] == []


def test_the_scenarios_cover_every_verdict_and_cause_for_both_vendors(rows):
    assert len(rows) == len(health.SCENARIOS)
    covered = {(s.step, s.app_status, s.cause) for s in health.SCENARIOS}
    for step in (health.AZURE, health.OKTA):
        for verdict, cause in [
            ("healthy", None),
            ("failing", None),
            ("unknown", "credentials"),
            ("unknown", "permission"),
            ("unknown", "network"),
        ]:
            assert (step, verdict, cause) in covered, (step, verdict, cause)
