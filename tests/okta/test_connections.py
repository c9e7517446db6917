"""Okta's provisioning connection read back through the client, against the Okta stand-in
(providers/okta/connections.py)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from providers.core.errors import ProviderError
from providers.http import new_session
from providers.okta import client as okta_client
from providers.okta import connections
from providers.okta import sign_in as okta_sign_in
from testbed.stand_ins.okta import Okta, okta_error
from tests.doubles import FAST

API_TOKEN = "00OkTa-ApI-ToKeN-3f9a1c7e5b2d4f60a8e7"


APP_ID = "0oa1druvascim0001"


APP = "Druva inSync"


@pytest.fixture
def okta() -> Iterator[Okta]:
    with Okta(API_TOKEN) as stand_in:
        stand_in.add_app(APP_ID)
        yield stand_in


def sign_in(stand_in: Okta, environ: dict[str, str]) -> okta_sign_in.OktaAuthorization:
    return okta_sign_in.okta_authorization(environ, stand_in.url, FAST, datetime.now(UTC))


def verify(stand_in: Okta, environ: dict[str, str] | None = None, app_id: str = APP_ID):
    authorization = sign_in(stand_in, environ or {"OKTA_API_TOKEN": API_TOKEN})
    with new_session(FAST, retry_class=okta_client.OktaRetry) as session:
        return connections.verify_connection(
            session, stand_in.url, app_id, authorization, FAST, app_name=APP
        )


def test_an_enabled_token_connection_passes_with_an_api_token(okta):
    connection = verify(okta)
    assert connection == connections.Connection(
        "ENABLED", "TOKEN", "https://apis.druva.com/insync/scim"
    )
    [request] = okta.requests
    assert request.method == "GET"
    assert request.path == f"/api/v1/apps/{APP_ID}/connections/default"
    assert request.authorization == f"SSWS {API_TOKEN}"


def test_a_disabled_connection_fails_and_says_how_to_enable_it(okta):
    okta.add_app(APP_ID, status="DISABLED")
    with pytest.raises(ProviderError, match=r"is DISABLED.*Enable API integration"):
        verify(okta)


def test_a_connection_with_another_scheme_fails(okta):
    okta.add_app(APP_ID, auth_scheme="OAUTH2")
    with pytest.raises(ProviderError, match="authenticates with OAUTH2, not with an API token"):
        verify(okta)


def test_an_app_without_api_connection_points_at_manual_mode(okta):
    okta.add_app(APP_ID, api_supported=False)
    with pytest.raises(ProviderError) as raised:
        verify(okta)
    assert "status UNKNOWN" in str(raised.value) and "mode to manual" in str(raised.value)


def test_the_scheme_is_read_from_the_profile_of_newer_answers_and_the_top_of_older_ones():
    newer = {"authScheme": "TOKEN", "status": "ENABLED", "profile": {"authScheme": "OAUTH2"}}
    older = {"authScheme": "TOKEN", "status": "ENABLED"}
    assert connections.parse_connection(newer).auth_scheme == "OAUTH2"
    assert connections.parse_connection(older).auth_scheme == "TOKEN"
    assert connections.parse_connection({}).status == "UNKNOWN"


def test_an_api_token_okta_refuses_is_named_but_not_shown(okta):
    okta.api_tokens = {"another"}
    with pytest.raises(ProviderError) as raised:
        verify(okta)
    message = str(raised.value)
    assert "HTTP 401: E0000011: Invalid token provided" in message
    assert "from OKTA_API_TOKEN" in message
    assert API_TOKEN not in message


def test_a_wrong_app_id_says_which_setting(okta):
    with pytest.raises(ProviderError) as raised:
        verify(okta, app_id="0oaNOSUCHAPP")
    message = str(raised.value)
    assert "HTTP 404: E0000007" in message and "appId in druva-scim:oktaApps is wrong" in message


def test_okta_echoing_the_api_token_is_scrubbed(okta):
    okta.fail_next(okta_error(400, "E0000003", f"Bad header SSWS {API_TOKEN}"))
    with pytest.raises(ProviderError) as raised:
        verify(okta)
    assert API_TOKEN not in str(raised.value) and "[redacted]" in str(raised.value)
