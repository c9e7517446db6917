"""Signing in to Okta as the okta provider does: an API token or a service app's private-key
JWT (providers/okta/sign_in.py)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import jwt
import pytest

from providers.core.errors import ProviderError
from providers.http import new_session
from providers.okta import client as okta_client
from providers.okta import connections
from providers.okta import sign_in as okta_sign_in
from testbed.stand_ins.okta import Okta, key_pair, okta_error
from tests.doubles import FAST

API_TOKEN = "00OkTa-ApI-ToKeN-3f9a1c7e5b2d4f60a8e7"


APP_ID = "0oa1druvascim0001"


APP = "Druva inSync"


CLIENT_ID = "0oa9serviceapp0001"


KEY_ID = "kid-druva-scim-1"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return key_pair()


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


def test_no_credentials_at_all_names_the_variables(okta):
    with pytest.raises(ProviderError, match="OKTA_API_TOKEN, or OKTA_API_CLIENT_ID"):
        sign_in(okta, {})
    assert okta.requests == []


def service_environ(private_key: str, **extra: str) -> dict[str, str]:
    return {
        "OKTA_API_CLIENT_ID": CLIENT_ID,
        "OKTA_API_PRIVATE_KEY": private_key,
        "OKTA_API_PRIVATE_KEY_ID": KEY_ID,
        "OKTA_API_SCOPES": "okta.apps.read",
        **extra,
    }


def test_a_service_app_signs_in_with_a_private_key_jwt_and_reads_with_bearer(okta, keys):
    private, public = keys
    okta.add_service_app(CLIENT_ID, public, KEY_ID)
    assert verify(okta, service_environ(private)).status == "ENABLED"
    token_request, read = okta.requests
    assert token_request.path == "/oauth2/v1/token"
    assert "authorization" not in token_request.headers
    [claims] = okta.assertions
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == f"{okta.url}/oauth2/v1/token"
    assert claims["exp"] - claims["iat"] == 300
    scheme, _, access = read.authorization.partition(" ")
    assert scheme == "Bearer" and okta.issued[access] == {"okta.apps.read"}


def test_the_private_key_may_be_a_path(okta, keys, tmp_path):
    private, public = keys
    okta.add_service_app(CLIENT_ID, public, KEY_ID)
    key_file = tmp_path / "okta.pem"
    key_file.write_text(private)
    assert verify(okta, service_environ(str(key_file))).status == "ENABLED"


def test_a_key_okta_does_not_know_fails_naming_the_settings(okta, keys):
    _, public = keys
    other_private, _ = key_pair()
    okta.add_service_app(CLIENT_ID, public, KEY_ID)
    with pytest.raises(ProviderError) as raised:
        sign_in(okta, service_environ(other_private))
    message = str(raised.value)
    assert "HTTP 401: invalid_client" in message and "OKTA_API_PRIVATE_KEY_ID" in message
    assert "BEGIN PRIVATE KEY" not in message


def test_a_scope_not_granted_says_to_grant_okta_apps_read(okta, keys):
    private, public = keys
    okta.add_service_app(CLIENT_ID, public, KEY_ID, scopes=frozenset({"okta.users.read"}))
    with pytest.raises(ProviderError, match=r"grant okta\.apps\.read"):
        sign_in(okta, service_environ(private))


def test_a_service_app_requiring_dpop_is_explained(okta, keys):
    private, public = keys
    okta.add_service_app(CLIENT_ID, public, KEY_ID)
    okta.require_dpop = True
    with pytest.raises(ProviderError, match="clear Require Demonstrating Proof of Possession"):
        sign_in(okta, service_environ(private))


def test_a_scope_lacking_read_is_forbidden_with_the_permission_named(okta, keys):
    private, public = keys
    okta.add_service_app(CLIENT_ID, public, KEY_ID, scopes=frozenset({"okta.users.read"}))
    with new_session(FAST) as session:
        authorization = okta_sign_in.service_app_token(
            okta.url,
            client_id=CLIENT_ID,
            private_key=private,
            key_id=KEY_ID,
            scopes=("okta.users.read",),
            policy=FAST,
            now=datetime.now(UTC),
        )
        with pytest.raises(ProviderError) as raised:
            connections.get_connection(
                session,
                okta.url,
                APP_ID,
                okta_sign_in.OktaAuthorization(
                    f"Bearer {authorization}", authorization, "service app"
                ),
                FAST,
                app_name=APP,
            )
    message = str(raised.value)
    assert "HTTP 403: E0000006" in message and "okta.apps.read" in message
    assert authorization not in message


def test_a_broken_private_key_is_refused_without_quoting_it():
    broken = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"
    with pytest.raises(ProviderError) as raised:
        okta_sign_in.client_assertion(
            CLIENT_ID, broken, KEY_ID, "https://x/oauth2/v1/token", datetime.now(UTC)
        )
    assert "bm90IGEga2V5" not in str(raised.value)


def test_the_assertion_carries_the_key_id(keys):
    private, public = keys
    assertion = okta_sign_in.client_assertion(
        CLIENT_ID, private, KEY_ID, "https://acme.okta.com/oauth2/v1/token", datetime.now(UTC)
    )
    assert jwt.get_unverified_header(assertion)["kid"] == KEY_ID
    claims = jwt.decode(
        assertion, public, algorithms=["RS256"], audience="https://acme.okta.com/oauth2/v1/token"
    )
    assert claims["iss"] == CLIENT_ID


def test_the_repr_of_an_authorization_hides_it():
    assert API_TOKEN not in repr(
        okta_sign_in.OktaAuthorization(f"SSWS {API_TOKEN}", API_TOKEN, "x")
    )


def test_a_token_request_okta_may_have_received_is_never_sent_again(okta, keys):
    """The client assertion is single-use: a 503 after sending fails at once, no replay."""
    private, public = keys
    okta.add_service_app(CLIENT_ID, public, KEY_ID)
    okta.fail_next(okta_error(503, "E0000009", "Internal Server Error"))
    with pytest.raises(ProviderError, match="HTTP 503"):
        sign_in(okta, service_environ(private))
    token_posts = [r for r in okta.requests if r.path == "/oauth2/v1/token"]
    assert len(token_posts) == 1


def test_a_token_request_that_never_reached_okta_is_retried():
    retry = FAST.retry(okta_client.OktaRetry, resend=False)
    assert isinstance(retry, okta_client.OktaRetry)
    assert retry.new().allowed_methods == frozenset({"GET"})
    assert not retry._is_method_retryable("POST") and retry._is_method_retryable("GET")
