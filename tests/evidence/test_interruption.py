"""Issue 6, item 4: the provider host killed mid-step, and one identity provider refusing.

Each scenario (tests/evidence/interruption.py) runs once per session: its case here records
and asserts its row; other tests (here, tests/test_deadline.py, tests/test_rotate.py) look
closer at the same run.
"""

import pytest

from providers.okta import wiring as okta_api
from tests.evidence import interruption

SCENARIOS = interruption.SCENARIOS
row = interruption.row


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_ends_as_expected(name, evidence):
    evidence.record("interruption", row(name))


def test_a_killed_create_is_retried_once_with_the_same_token():
    result = row("host killed during create")
    assert "gRPC UNAVAILABLE" in result.outcome
    assert result.attempts == 2, "one check per run: nothing done twice beyond the retried create"
    assert (result.converged, result.token_safe) == (True, True)


def test_a_killed_check_restarts_the_job_once_in_all():
    before_restart = row("host killed during validateCredentials")
    after_restart = row("host killed after the restart was sent")
    # list + validate, then list + validate + restart
    assert before_restart.attempts == 5
    # list + validate + restart, then list + validate
    assert after_restart.attempts == 5
    for result in (before_restart, after_restart):
        assert "1 restart in all" in result.outcome
        assert (result.converged, result.token_safe) == (True, True)


def test_okta_refusing_leaves_azure_updated_and_the_next_run_converges():
    result = row("Okta refuses one app")
    assert result.state_changed is True, "the Azure consumer was updated"
    assert result.converged is True
    assert "switch druva-scim:oktaApps[0].mode to manual" in result.outcome
    assert "0oa1druvascim0001" in result.outcome


@pytest.mark.parametrize("text", list(interruption.REFUSALS.values()))
def test_both_forms_of_the_refusal_get_the_manual_mode_advice(text):
    message = okta_api.refusal_message([text], index=3, app_name="druva", app_id="0oaabc")
    assert message is not None
    assert "switch druva-scim:oktaApps[3].mode to manual" in message
