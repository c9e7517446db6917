"""Issue 12: provisioning health against the stand-ins; each row is asserted (tests/evidence/health.py)."""

import pytest

from tests.evidence import health


@pytest.mark.parametrize(
    "scenario", health.SCENARIOS, ids=[scenario.title for scenario in health.SCENARIOS]
)
def test_each_health_scenario_ends_as_expected(scenario, evidence):
    evidence.record("health", health.run(scenario))


def test_the_scenarios_cover_every_verdict_and_cause_for_both_vendors():
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
