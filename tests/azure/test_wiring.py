"""What the program says when azuread cannot write an app's credentials, and how long it lets azuread
try (providers/azure/wiring.py)."""

from datetime import timedelta

import pytest

from providers.azure import wiring as azure_wiring
from testbed import contracts
from testbed.harness import run_program
from tests.test_program_apps import config

SP_ID = "00000000-1111-4222-8333-444444444444"


@pytest.mark.parametrize(
    "error",
    [
        f"Creating synchronization secret for /servicePrincipals/{SP_ID}: unexpected status 403 "
        "(403 Forbidden) with error: Authorization_RequestDenied: Insufficient privileges to "
        "complete the operation.",
        f"Updating synchronization secret for /servicePrincipals/{SP_ID}: Forbidden",
    ],
)
def test_a_refused_write_names_the_permission(error):
    message = azure_wiring.write_refusal_message([error], "druva-prod")
    assert message is not None
    assert "druva-prod" in message and "(HTTP 403)" in message
    assert "Application.ReadWrite.OwnedBy" in message
    assert "Synchronization.ReadWrite.All" in message


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            f"Creating synchronization secret for /servicePrincipals/{SP_ID}: context deadline "
            "exceeded",
            "a slow Graph and a missing permission end alike",
        ),
        # StateChangeConf's own words when consistency.WaitForUpdate runs out of time
        # (terraform-plugin-sdk helper/retry/error.go TimeoutError).
        (
            f"Waiting for synchronization secrets for /servicePrincipals/{SP_ID}: timeout while "
            "waiting for state to become 'Done' (last state: 'Waiting', timeout: 4m52s)",
            "Microsoft Graph accepted the write, but did not show the saved credentials back",
        ),
    ],
)
def test_a_write_that_timed_out_is_reported_as_a_time_out_not_as_a_missing_permission(error, said):
    message = azure_wiring.write_refusal_message([error], "druva-prod")
    assert message is not None
    assert message.startswith("saving the provisioning credentials of druva-prod timed out")
    assert said in message
    assert "lacks" not in message and "most likely" not in message
    assert f"within {azure_wiring.WRITE_TIMEOUT_MINUTES} minutes" in message
    assert "Synchronization.ReadWrite.All" in message and "network" in message


@pytest.mark.parametrize(
    "errors",
    [
        [],
        ["creating service principal: 403 Forbidden"],
        [f"Creating synchronization secret for {SP_ID}: 400 Bad Request: invalid key"],
    ],
)
def test_other_errors_are_left_to_speak_for_themselves(errors):
    assert azure_wiring.write_refusal_message(errors, "druva-prod") is None


def test_the_write_time_out_leaves_room_for_azureads_own_wait_after_the_write():
    """The provider's authors gave create and update 5 minutes for the PUT and the wait that
    follows it (consistency.WaitForUpdate: 5 matching lists 5 s apart, 10 s while Graph lags):
    a custom time-out may not be shorter (testbed/contracts.py SYNC_SECRET_TIMEOUTS)."""
    run = run_program(config(azureApps=[{"name": "druva", "servicePrincipalId": SP_ID}]))
    [secret] = run.of_type(contracts.SYNC_SECRET)
    for operation in ("create", "update"):
        chosen = contracts.duration(secret.custom_timeouts.get(operation, "5m"))
        assert chosen >= contracts.SYNC_SECRET_TIMEOUTS[operation], operation
        assert chosen > contracts.consistency_wait(graph_lag=timedelta(minutes=1)), operation
