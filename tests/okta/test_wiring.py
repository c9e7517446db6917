"""What the program says when Okta refuses an app's token connection (providers/okta/wiring.py)."""

from providers.okta import wiring as okta_wiring


def test_an_okta_provider_error_with_e0000001_becomes_the_manual_mode_advice():
    errors = [
        "creating urn:...::okta-druva: 1 error occurred: * the API returned an error: "
        "Api validation failed: connection. Error code: E0000001"
    ]
    message = okta_wiring.refusal_message(errors, index=2, app_name="druva", app_id="0oaabc")
    assert message is not None
    assert message.startswith("Okta refused the token connection of druva (0oaabc)")
    assert "switch druva-scim:oktaApps[2].mode to manual" in message


def test_other_okta_provider_errors_are_left_alone():
    errors = ["the API returned an error: Not found: Resource not found: 0oaabc (App). E0000007"]
    assert okta_wiring.refusal_message(errors, index=0, app_name="druva", app_id="0oaabc") is None
