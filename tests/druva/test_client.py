"""The Druva client over real sockets against the SCIM stand-in."""

import time

import pytest

from providers.core.errors import ProviderError, TokenRejectedError
from providers.druva import client
from providers.http import new_session
from testbed import corpus
from testbed.stand_ins.druva import from_corpus, scim_error
from testbed.stand_ins.server import Reply, StandIn, closed_port
from tests.doubles import FAST, OTHER_TOKEN, TOKEN


def check(url: str, token: str = TOKEN):
    with new_session(FAST) as session:
        return client.check_token(session, url, token, FAST)


def test_an_accepted_token_is_checked_with_a_read_only_query(druva):
    answer = check(druva.url)
    assert answer.status == 200 and answer.attempts == 1
    [request] = druva.requests
    assert request.method == "GET"
    assert request.path == "/insync/scim/Users"
    assert request.authorization == f"Bearer {TOKEN}"
    assert request.query["filter"].startswith('userName eq "')
    assert "application/scim+json" in request.headers["accept"]


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_says_so_and_how_to_rotate(druva, status):
    druva.fail_next(scim_error(status, "token invalid"))
    with pytest.raises(TokenRejectedError) as raised:
        check(druva.url)
    message = str(raised.value)
    assert f"HTTP {status}: token invalid" in message
    assert "just set in druva-scim:scimToken" in message and "pasted incompletely" in message
    assert "Generate a new one only if the newest token is lost" in message
    assert "docs/rotation.md" in message
    assert len(druva.requests) == 1, "a rejection is final, never retried"


def test_the_stand_in_answers_with_rfc_7644s_payloads_and_the_client_reads_them(druva):
    """The no-match ListResponse has no `Resources` (required only when totalResults is not 0),
    and a 401's detail is Table 8's (testbed/corpus/druva)."""
    answer = check(druva.url)
    assert answer.json_or_none() == corpus.body("druva", "users-no-match")
    with pytest.raises(TokenRejectedError) as raised:
        check(druva.url, OTHER_TOKEN)
    assert corpus.body("druva", "error-401")["detail"] in str(raised.value)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_answers_are_retried_then_succeed(druva, status):
    druva.fail_next(scim_error(status, "busy", {"Retry-After": "0"}))
    answer = check(druva.url)
    assert answer.status == 200 and answer.attempts == 2
    assert len(druva.requests) == 2


def test_retry_after_is_honoured(druva):
    druva.fail_next(scim_error(429, "slow down", {"Retry-After": "1"}))
    started = time.monotonic()
    check(druva.url)
    assert time.monotonic() - started >= 0.95


def test_persistent_errors_stop_after_the_bounded_attempts(druva):
    druva.fail_next(*[scim_error(503, "maintenance")] * 5)
    with pytest.raises(ProviderError, match=r"still answered HTTP 503: maintenance after 3"):
        check(druva.url)
    assert len(druva.requests) == FAST.attempts


def test_a_wrong_path_is_a_tenant_url_problem(druva):
    with pytest.raises(ProviderError, match=r"404.*druva-scim:tenantUrl"):
        check(druva.origin + "/wrong/scim")


def test_a_slow_answer_times_out_and_is_retried(druva):
    druva.fail_next(Reply(delay=FAST.read_timeout * 3))
    answer = check(druva.url)
    assert answer.status == 200 and len(druva.requests) == 2


def test_a_server_that_never_answers_fails_within_the_bound(druva):
    druva.fail_next(*[Reply(action="hang")] * FAST.attempts)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"could not be reached after 3 attempts.*timed out"):
        check(druva.url)
    assert time.monotonic() - started < FAST.deadline_seconds


def test_connection_refused_is_reported_with_the_url():
    url = f"http://127.0.0.1:{closed_port()}/insync/scim"
    with pytest.raises(ProviderError, match=r"127\.0\.0\.1.*connection refused"):
        check(url)


def test_an_answer_that_is_not_scim_points_at_the_tenant_url(druva):
    druva.fail_next(Reply(200, b"<html>login</html>", content_type="text/html"))
    with pytest.raises(ProviderError, match="not with a SCIM ListResponse"):
        check(druva.url)


def test_an_oversized_answer_is_refused_unread(druva):
    druva.fail_next(Reply(200, action="oversized"))
    with pytest.raises(ProviderError, match="more than the 1048576 accepted"):
        check(druva.url)


def test_a_redirect_is_not_followed_and_the_token_stays_home(druva):
    with StandIn() as elsewhere:
        druva.fail_next(Reply(302, headers={"Location": elsewhere.origin + "/steal"}))
        with pytest.raises(ProviderError, match=r"redirected to .*not sent on redirects"):
            check(druva.url)
        assert elsewhere.requests == []


def test_an_error_detail_that_echoes_the_token_is_scrubbed(druva):
    druva.fail_next(scim_error(401, f"token {TOKEN} is revoked"))
    with pytest.raises(TokenRejectedError) as raised:
        check(druva.url)
    assert TOKEN not in str(raised.value)
    assert "[redacted] is revoked" in str(raised.value)


@pytest.mark.parametrize(
    "schemas",
    [
        5,
        None,
        "urn:ietf:params:scim:api:messages:2.0:ListResponse",
        "x urn:ietf:params:scim:api:messages:2.0:ListResponse",
        {"urn:ietf:params:scim:api:messages:2.0:ListResponse": True},
        [5, "urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        [["urn:ietf:params:scim:api:messages:2.0:ListResponse"]],
    ],
)
def test_schemas_must_be_a_list_of_strings_holding_the_list_response_urn(druva, schemas):
    druva.fail_next(Reply(200, {"schemas": schemas, "totalResults": 0, "Resources": []}))
    with pytest.raises(ProviderError, match="not with a SCIM ListResponse") as raised:
        check(druva.url)
    assert not isinstance(raised.value, TokenRejectedError)


def test_a_scim_error_that_is_no_verdict_on_the_token_names_the_tenant_url(druva):
    # RFC 7644 section 3.12's 400 mutability example: a SCIM error, but about the request.
    druva.fail_next(from_corpus("error-400-mutability"))
    with pytest.raises(ProviderError) as raised:
        check(druva.url)
    message = str(raised.value)
    assert not isinstance(raised.value, TokenRejectedError)
    assert "answered HTTP 400: Attribute 'id' is readOnly" in message
    assert "check druva-scim:tenantUrl" in message
