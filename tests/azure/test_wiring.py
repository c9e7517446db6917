"""What the program says when azuread cannot write an app's credentials (providers/azure/wiring.py)."""

import pytest

from providers.azure import wiring as azure_wiring

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


def test_a_write_that_ran_out_of_time_points_at_the_permission_first():
    message = azure_wiring.write_refusal_message(
        [f"Creating synchronization secret for {SP_ID}: context deadline exceeded"], "druva-prod"
    )
    assert message is not None
    assert "did not finish within the time-out" in message
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
