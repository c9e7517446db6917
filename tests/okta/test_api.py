"""Okta's API through the clients, against the Okta stand-in: signing in as the okta provider
does (providers/okta/sign_in.py), the rate limits and the provisioning connection
(providers/okta/api.py)."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import formatdate

import jwt
import pytest

from providers.core.errors import ProviderError
from providers.http import new_session
from providers.okta import api as okta_api
from providers.okta import sign_in as okta_sign_in
from testbed import corpus
from testbed.stand_ins.okta import Okta, key_pair, oauth_error, okta_error, rate_limited
from tests.doubles import FAST
from tests.doubles import OKTA_API_TOKEN as API_TOKEN
from tests.doubles import OKTA_APP as APP_ID

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


def read_connection(stand_in: Okta, environ: dict[str, str] | None = None, app_id: str = APP_ID):
    authorization = sign_in(stand_in, environ or {"OKTA_API_TOKEN": API_TOKEN})
    with new_session(FAST, retry_class=okta_api.OktaRetry) as session:
        read = okta_api.get_connection(
            session, stand_in.url, app_id, authorization, FAST, app_name=APP
        )
    return okta_api.usable(read, APP)


# --- reading the connection ----------------------------------------------------------------


def test_an_enabled_token_connection_passes_with_an_api_token(okta):
    connection = read_connection(okta)
    assert connection == okta_api.Connection(
        "ENABLED", "TOKEN", "https://apis.druva.com/insync/scim"
    )
    [request] = okta.requests
    assert request.method == "GET"
    assert request.path == f"/api/v1/apps/{APP_ID}/connections/default"
    assert request.authorization == f"SSWS {API_TOKEN}"


def test_a_disabled_connection_fails_and_says_how_to_enable_it(okta):
    okta.add_app(APP_ID, status="DISABLED")
    with pytest.raises(ProviderError, match=r"is DISABLED.*Enable API integration"):
        read_connection(okta)


def test_a_connection_with_another_scheme_fails(okta):
    okta.add_app(APP_ID, auth_scheme="OAUTH2")
    with pytest.raises(ProviderError, match="authenticates with OAUTH2, not with an API token"):
        read_connection(okta)


def test_an_app_without_api_connection_points_at_manual_mode(okta):
    okta.add_app(APP_ID, api_supported=False)
    with pytest.raises(ProviderError) as raised:
        read_connection(okta)
    assert "status UNKNOWN" in str(raised.value) and "mode to manual" in str(raised.value)


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("connection-token-enabled", ("ENABLED", "TOKEN")),
        ("connection-token-disabled", ("DISABLED", "TOKEN")),
        ("connection-oauth", ("ENABLED", "OAUTH2")),
        ("connection-token-legacy", ("ENABLED", "TOKEN")),
        ("connection-unknown", ("UNKNOWN", "UNKNOWN")),
    ],
)
def test_every_documented_connection_answer_is_read_as_okta_means_it(name, read):
    connection = okta_api.parse_connection(corpus.body("okta", name))
    assert (connection.status, connection.auth_scheme) == read
    problem = okta_api.connection_problem(connection, APP)
    assert (problem is None) == (read == ("ENABLED", "TOKEN"))


def test_a_token_set_on_an_app_the_api_does_not_manage_is_answered_200_unknown_and_the_check_fails(
    okta,
):
    okta.add_app(APP_ID, api_supported=False)
    with new_session(FAST) as session:
        answer = session.post(
            okta_api.connection_url(okta.url, APP_ID) + "?activate=TRUE",
            json={
                "baseUrl": "https://apis.druva.com/insync/scim",
                "profile": {"authScheme": "TOKEN", "token": "druva-scim-token"},
            },
            headers={"Authorization": f"SSWS {API_TOKEN}"},
            timeout=5,
        )
    assert (answer.status_code, answer.json()) == (200, corpus.body("okta", "connection-unknown"))
    with pytest.raises(ProviderError) as raised:
        read_connection(okta)
    message = str(raised.value)
    assert "answers a token set for any other app with 200 and UNKNOWN" in message
    assert "does not mean Okta took the token" in message and "mode to manual" in message


def test_a_token_set_without_activation_reads_back_disabled_and_the_check_says_so(okta):
    with new_session(FAST) as session:
        answer = session.post(
            okta_api.connection_url(okta.url, APP_ID),
            json={"profile": {"authScheme": "TOKEN", "token": "druva-scim-token"}},
            headers={"Authorization": f"SSWS {API_TOKEN}"},
            timeout=5,
        )
        assert answer.json()["status"] == "DISABLED" and "activate" in answer.json()["_links"]
        with pytest.raises(ProviderError, match="until it is activated"):
            read_connection(okta)
        activated = session.post(
            okta_api.connection_url(okta.url, APP_ID) + "/lifecycle/activate",
            headers={"Authorization": f"SSWS {API_TOKEN}"},
            timeout=5,
        )
    assert activated.status_code == 204
    assert read_connection(okta).status == "ENABLED"


def test_an_api_token_okta_refuses_is_named_but_not_shown(okta):
    okta.api_tokens = {"another"}
    with pytest.raises(ProviderError) as raised:
        read_connection(okta)
    message = str(raised.value)
    assert "HTTP 401: E0000011: Invalid token provided" in message
    assert "from OKTA_API_TOKEN" in message
    assert API_TOKEN not in message


def test_a_wrong_app_id_says_which_setting(okta):
    with pytest.raises(ProviderError) as raised:
        read_connection(okta, app_id="0oaNOSUCHAPP")
    message = str(raised.value)
    assert "HTTP 404: E0000007" in message and "appId in druva-scim:oktaApps is wrong" in message


def test_okta_echoing_the_api_token_is_scrubbed(okta):
    okta.fail_next(okta_error(400, "E0000003", f"Bad header SSWS {API_TOKEN}"))
    with pytest.raises(ProviderError) as raised:
        read_connection(okta)
    assert API_TOKEN not in str(raised.value) and "[redacted]" in str(raised.value)


def test_no_credentials_at_all_names_the_variables(okta):
    with pytest.raises(ProviderError, match="OKTA_API_TOKEN, or OKTA_API_CLIENT_ID"):
        sign_in(okta, {})
    assert okta.requests == []


# --- rate limits ---------------------------------------------------------------------------


def test_a_429_waits_for_x_rate_limit_reset_then_succeeds(okta):
    okta.fail_next(rate_limited(reset_in=1))
    started = time.monotonic()
    read_connection(okta)
    elapsed = time.monotonic() - started
    assert len(okta.requests) == 2
    assert 0.9 <= elapsed < 3, elapsed


def test_a_reset_already_past_retries_at_once(okta):
    okta.fail_next(rate_limited(reset_in=-5))
    started = time.monotonic()
    read_connection(okta)
    assert len(okta.requests) == 2
    assert time.monotonic() - started < 0.5


def test_a_far_reset_is_bounded_by_the_policy(okta):
    okta.fail_next(rate_limited(reset_in=3600))
    started = time.monotonic()
    read_connection(okta)
    assert time.monotonic() - started < FAST.retry_after_max + 1.5


def test_a_rate_limit_that_never_lifts_is_reported(okta):
    okta.fail_next(*[rate_limited(reset_in=0) for _ in range(FAST.attempts)])
    with pytest.raises(ProviderError, match=f"HTTP 429: E0000047.*after {FAST.attempts} attempts"):
        read_connection(okta)


def test_the_wait_uses_oktas_clock_from_the_date_header():
    now = 1_800_000_000.0
    okta_clock = now - 20  # the runner's clock is 20 s ahead of Okta's
    headers = {
        "X-Rate-Limit-Reset": str(int(okta_clock) + 3),
        "Date": formatdate(okta_clock, usegmt=True),
    }
    assert okta_api.rate_limit_wait(headers, 30, now) == 3.0
    assert okta_api.rate_limit_wait({"X-Rate-Limit-Reset": str(int(now) + 3)}, 30, now) == 3.0
    assert okta_api.rate_limit_wait({"X-Rate-Limit-Reset": str(int(now) + 99)}, 30, now) == 30.0
    assert okta_api.rate_limit_wait({}, 30, now) is None


# --- OAuth service app ---------------------------------------------------------------------


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
    assert read_connection(okta, service_environ(private)).status == "ENABLED"
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
    assert read_connection(okta, service_environ(str(key_file))).status == "ENABLED"


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
            okta_api.get_connection(
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


# --- the okta provider's refusal, turned into advice ---------------------------------------


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
    retry = FAST.retry(okta_api.OktaRetry, resend=False)
    assert isinstance(retry, okta_api.OktaRetry)
    assert retry.new().allowed_methods == frozenset({"GET"})
    assert not retry._is_method_retryable("POST") and retry._is_method_retryable("GET")


def test_a_huge_sign_in_error_description_becomes_a_short_message(okta, keys):
    _, public = keys
    other_private, _ = key_pair()
    okta.add_service_app(CLIENT_ID, public, KEY_ID)
    okta.fail_next(oauth_error(401, "invalid_client", "no such key. " * 80_000))
    with pytest.raises(ProviderError) as raised:
        sign_in(okta, service_environ(other_private))
    message = str(raised.value)
    assert "HTTP 401: invalid_client: no such key." in message
    assert len(message) < 2000
