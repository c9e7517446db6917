"""The provider's methods in-process, against the Druva stand-in over real sockets."""

from datetime import timedelta

import pytest

from providers.core import lifecycle, settings
from providers.core.errors import CouldNotCheckError, ProviderError, TokenRejectedError
from providers.dynamic import UNKNOWN
from testbed.stand_ins.druva import scim_error
from testbed.stand_ins.server import Reply
from tests.doubles import NOW, OTHER_TOKEN, TOKEN, TokenProvider


def inputs(url: str, **changes):
    """The resource's inputs; issuedAt=None leaves it out, as a stack without it does."""
    base = {
        "scimToken": TOKEN,
        "tenantUrl": url,
        "issuedAt": "2026-11-22T12:00:00Z",
        "lifetimeDays": 365,
        "rotateBeforeDays": 30,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def checked(provider, olds, news):
    result = provider.check(olds, news)
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


# --- check ---------------------------------------------------------------


def test_a_token_the_stack_has_no_record_of_needs_issued_at_and_is_not_dated_now():
    result = TokenProvider(NOW).check({}, inputs("https://a.example/scim", issuedAt=None))
    [failure] = result.failures
    assert failure.property == "issuedAt"
    assert "no record of when this token was generated" in failure.reason
    assert "pulumi config set druva-scim:issuedAt" in failure.reason
    assert "issuedAt" not in result.inputs


def test_an_unchanged_token_keeps_its_issued_at_on_every_later_run():
    first = checked(TokenProvider(NOW), {}, inputs("https://a.example/scim"))
    later = TokenProvider(NOW + timedelta(days=200))
    again = checked(later, first, inputs("https://a.example/scim", issuedAt=None))
    assert again["issuedAt"] == first["issuedAt"] == "2026-11-22T12:00:00Z"


def test_a_changed_token_without_issued_at_is_refused_not_dated_now():
    first = checked(TokenProvider(NOW), {}, inputs("https://a.example/scim"))
    later = TokenProvider(NOW + timedelta(days=340))
    result = later.check(
        first, inputs("https://a.example/scim", scimToken=OTHER_TOKEN, issuedAt=None)
    )
    assert [failure.property for failure in result.failures] == ["issuedAt"]


def test_a_state_that_lost_the_token_cannot_restart_its_clock():
    """After the resource left state (an older version dropped it on a 401), olds are empty."""
    result = TokenProvider(NOW + timedelta(days=200)).check(
        {}, inputs("https://a.example/scim", issuedAt=None)
    )
    assert [failure.property for failure in result.failures] == ["issuedAt"]


def test_an_explicit_issued_at_wins_and_is_normalised_to_utc():
    news = checked(
        TokenProvider(NOW),
        {},
        inputs("https://a.example/scim", issuedAt="2026-11-01T10:00:00+02:00"),
    )
    assert news["issuedAt"] == "2026-11-01T08:00:00Z"


def test_engine_floats_become_whole_numbers():
    news = checked(
        TokenProvider(NOW),
        {},
        inputs("https://a.example/scim", lifetimeDays=365.0, rotateBeforeDays=30.0),
    )
    assert (news["lifetimeDays"], news["rotateBeforeDays"]) == (365, 30)
    assert isinstance(news["lifetimeDays"], int)


def test_a_token_past_expiry_is_refused_with_its_date_and_the_steps():
    first = checked(TokenProvider(NOW), {}, inputs("https://a.example/scim"))
    year_later = TokenProvider(NOW + timedelta(days=365))
    result = year_later.check(first, inputs("https://a.example/scim", issuedAt=None))
    [failure] = result.failures
    assert failure.property == "issuedAt"
    assert "expired on 2027-11-22" in failure.reason and "New Token" in failure.reason


@pytest.mark.parametrize(
    ("change", "prop", "text"),
    [
        ({"scimToken": ""}, "scimToken", "druva-scim:scimToken: is not set"),
        ({"scimToken": TOKEN + "\n"}, "scimToken", "line break"),
        ({"tenantUrl": "http://apis.druva.com/scim"}, "tenantUrl", "plain http"),
        ({"lifetimeDays": 0}, "lifetimeDays", "from 1 to 365"),
        ({"rotateBeforeDays": 400}, "rotateBeforeDays", "from 0 to 365"),
        ({"rotateBeforeDays": 365}, "rotateBeforeDays", "less than lifetimeDays"),
        ({"issuedAt": "not a time"}, "issuedAt", "RFC 3339"),
        ({"issuedAt": "2027-01-01T00:00:00Z"}, "issuedAt", "in the future"),
    ],
)
def test_check_failures_name_the_property_and_the_fix(change, prop, text):
    result = TokenProvider(NOW).check({}, inputs("https://a.example/scim", **change))
    assert [failure.property for failure in result.failures] == [prop]
    assert text in result.failures[0].reason
    assert TOKEN not in result.failures[0].reason


def test_a_missing_tenant_url_is_a_failure():
    news = inputs("x")
    del news["tenantUrl"]
    result = TokenProvider(NOW).check({}, news)
    assert [failure.property for failure in result.failures] == ["tenantUrl"]


def test_unknown_values_in_a_preview_are_not_judged():
    result = TokenProvider(NOW).check({}, inputs(UNKNOWN, scimToken=UNKNOWN))
    assert result.failures == []
    assert result.inputs["tenantUrl"] == UNKNOWN


@pytest.mark.parametrize("key", ["lifetimeDays", "rotateBeforeDays", "issuedAt"])
def test_an_unknown_number_or_time_stays_unknown(key):
    result = TokenProvider(NOW).check({}, inputs("https://a.example/scim", **{key: UNKNOWN}))
    assert result.failures == []
    assert result.inputs[key] == UNKNOWN


def test_absent_numbers_get_their_defaults():
    news = inputs("https://a.example/scim")
    del news["lifetimeDays"], news["rotateBeforeDays"]
    checked_inputs = checked(TokenProvider(NOW), {}, news)
    assert (checked_inputs["lifetimeDays"], checked_inputs["rotateBeforeDays"]) == (365, 30)


# --- diff ----------------------------------------------------------------


def state_after_create(druva, provider=None):
    provider = provider or TokenProvider(NOW)
    news = checked(provider, {}, inputs(druva.url))
    return news, provider.create(news)


def test_same_inputs_give_no_change_whatever_the_date(druva):
    news, created = state_after_create(druva)
    for days in (0, 1, 200, 334, 364):
        provider = TokenProvider(NOW + timedelta(days=days))
        again = checked(provider, news, inputs(druva.url))
        diff = provider.diff(created.id, created.outs, again)
        assert diff.changes is False and diff.replaces == []
    assert len(druva.requests) == 1, "check and diff never call Druva"


@pytest.mark.parametrize(
    "change",
    [
        {"scimToken": OTHER_TOKEN, "issuedAt": "2026-11-22T11:30:00Z"},
        {"tenantUrl": "https://b.example/scim"},
    ],
)
def test_a_new_token_or_tenant_is_an_update_never_a_replace(druva, change):
    """A replacement left unfinished keeps the old token in state for every refresh to read."""
    news, created = state_after_create(druva)
    provider = TokenProvider(NOW)
    new_inputs = checked(provider, news, {**inputs(druva.url), **change})
    diff = provider.diff(created.id, created.outs, new_inputs)
    assert diff.changes is True and diff.replaces == []


@pytest.mark.parametrize(
    "change",
    [{"issuedAt": "2026-11-20T00:00:00Z"}, {"lifetimeDays": 300}, {"rotateBeforeDays": 10}],
)
def test_dates_change_in_place(druva, change):
    news, created = state_after_create(druva)
    provider = TokenProvider(NOW)
    new_inputs = checked(provider, news, {**inputs(druva.url), **change})
    diff = provider.diff(created.id, created.outs, new_inputs)
    assert diff.changes is True and diff.replaces == []


def test_an_unknown_new_value_counts_as_a_change():
    diff = TokenProvider(NOW).diff("id", {"scimToken": TOKEN}, {"scimToken": UNKNOWN})
    assert diff.changes is True and diff.replaces == []


# --- create --------------------------------------------------------------


def test_create_checks_live_and_records_the_dates(druva):
    _, created = state_after_create(druva)
    assert created.id == created.outs["fingerprint"]
    outs = created.outs
    assert outs["issuedAt"] == "2026-11-22T12:00:00Z"
    assert outs["expiresAt"] == "2027-11-22T12:00:00Z"
    assert outs["rotateAfter"] == "2027-10-23T12:00:00Z"
    assert outs["lastCheckedAt"] == "2026-11-22T12:00:00Z"
    assert outs["scimToken"] == TOKEN and outs["tenantUrl"] == druva.url
    assert len(outs["fingerprint"]) == 12 and outs["fingerprint"] != TOKEN[:12]
    assert druva.requests[0].authorization == f"Bearer {TOKEN}"


def test_create_with_a_rejected_token_creates_nothing(druva):
    druva.accepted.clear()
    with pytest.raises(TokenRejectedError, match="rejected the token"):
        state_after_create(druva)


def test_create_when_druva_stays_down_fails_clearly(druva):
    druva.fail_next(*[scim_error(503, "down")] * 3)
    with pytest.raises(ProviderError, match="HTTP 503: down after 3 attempts"):
        state_after_create(druva)


# --- read (refresh) ------------------------------------------------------


def test_refresh_of_an_accepted_token_moves_the_last_check(druva):
    _, created = state_after_create(druva)
    later = TokenProvider(NOW + timedelta(days=3))
    read = later.read(created.id, created.outs)
    assert read.id == created.id and read.outs is not None
    assert read.outs["lastCheckedAt"] == "2026-11-25T12:00:00Z"
    assert read.outs["expiresAt"] == created.outs["expiresAt"]


def test_refresh_of_a_token_druva_rejects_fails_and_keeps_the_state(druva):
    _, created = state_after_create(druva)
    before = dict(created.outs)
    druva.accepted.clear()
    with pytest.raises(TokenRejectedError, match="rejected the token") as raised:
        TokenProvider(NOW + timedelta(days=200)).read(created.id, created.outs)
    assert TOKEN not in str(raised.value)
    assert created.outs == before
    # It cannot know whether a rotation has begun: generating now would end the newer token.
    message = str(raised.value)
    assert "If a newer one was generated, finish that rotation with the newest token" in message
    assert "Generate a new one only if none was generated since this one" in message
    assert created.outs["fingerprint"] in message


@pytest.mark.parametrize(
    "reply",
    [
        Reply(401, {"message": "Unauthorized"}),
        Reply(
            403,
            b"<html><body>Request blocked by the web application firewall</body></html>",
            content_type="text/html",
        ),
        Reply(403, {"error": "ip_not_allowed"}),
    ],
    ids=["401 JSON of a gateway", "403 HTML of a WAF", "403 JSON of an allow-list"],
)
def test_a_refusal_without_a_scim_error_body_is_no_verdict_on_the_token(druva, reply):
    """Only Druva's SCIM endpoint speaks for the token; nobody is told to make a new one."""
    news, created = state_after_create(druva)
    before = dict(created.outs)
    druva.fail_next(reply)
    with pytest.raises(CouldNotCheckError, match="could not be checked") as raised:
        TokenProvider(NOW).read(created.id, created.outs)
    assert not isinstance(raised.value, TokenRejectedError)
    assert "Generate a new" not in str(raised.value)
    assert "not recognisably Druva's" in str(raised.value)
    assert "if the Druva console shows the token replaced or expired, rotate" in str(raised.value)
    assert "Generate a new one" not in str(raised.value)
    assert created.outs == before
    druva.fail_next(reply)
    with pytest.raises(CouldNotCheckError, match="could not be checked"):
        TokenProvider(NOW).create(news)


def test_a_403_in_scims_error_shape_is_druvas_verdict(druva):
    _, created = state_after_create(druva)
    druva.fail_next(scim_error(403, "Token revoked"))
    with pytest.raises(TokenRejectedError, match="HTTP 403: Token revoked"):
        TokenProvider(NOW).read(created.id, created.outs)


def test_refresh_during_an_outage_fails_and_leaves_state_alone(druva):
    _, created = state_after_create(druva)
    before = dict(created.outs)
    druva.fail_next(*[scim_error(500, "oops")] * 3)
    with pytest.raises(CouldNotCheckError, match="HTTP 500"):
        TokenProvider(NOW).read(created.id, created.outs)
    assert created.outs == before


# --- update and delete: no network ---------------------------------------


def test_update_recomputes_dates_without_calling_druva(druva):
    news, created = state_after_create(druva)
    calls = len(druva.requests)
    provider = TokenProvider(NOW + timedelta(days=1))
    new_inputs = checked(provider, news, inputs(druva.url, rotateBeforeDays=60))
    updated = provider.update(created.id, created.outs, new_inputs)
    assert updated.outs is not None
    assert updated.outs["rotateAfter"] == "2027-09-23T12:00:00Z"
    assert updated.outs["lastCheckedAt"] == created.outs["lastCheckedAt"]
    assert len(druva.requests) == calls


def test_delete_makes_no_call_and_says_why(druva, capsys):
    _, created = state_after_create(druva)
    calls = len(druva.requests)
    TokenProvider(NOW).delete(created.id, created.outs)
    assert len(druva.requests) == calls
    err = capsys.readouterr().err
    assert "no API to revoke" in err and created.id in err and TOKEN not in err


def rotated(druva, provider):
    news, created = state_after_create(druva)
    druva.accepted.add(OTHER_TOKEN)
    new_inputs = checked(
        provider, news, inputs(druva.url, scimToken=OTHER_TOKEN, issuedAt="2026-11-24T11:00:00Z")
    )
    return created, new_inputs


def test_a_rotation_checks_the_new_token_live_and_keeps_the_id(druva):
    provider = TokenProvider(NOW + timedelta(days=2))
    created, new_inputs = rotated(druva, provider)
    calls = len(druva.requests)
    updated = provider.update(created.id, created.outs, new_inputs)
    assert updated.outs is not None
    assert len(druva.requests) == calls + 1
    assert druva.requests[-1].authorization == f"Bearer {OTHER_TOKEN}"
    assert updated.outs["fingerprint"] == lifecycle.fingerprint(OTHER_TOKEN) != created.id
    assert updated.outs["lastCheckedAt"] == "2026-11-24T12:00:00Z"
    assert updated.outs["expiresAt"] == "2027-11-24T11:00:00Z"


def test_a_rotation_to_a_token_druva_refuses_fails_and_says_re_paste_first(druva):
    provider = TokenProvider(NOW + timedelta(days=2))
    created, new_inputs = rotated(druva, provider)
    druva.accepted.discard(OTHER_TOKEN)
    with pytest.raises(TokenRejectedError) as raised:
        provider.update(created.id, created.outs, new_inputs)
    message = str(raised.value)
    assert "just set in druva-scim:scimToken; nothing was changed" in message
    assert "pasted incompletely" in message and OTHER_TOKEN not in message
    assert "Generate a new one only if the newest token is lost" in message


def test_delete_names_the_current_token_not_the_first_one(druva, capsys):
    provider = TokenProvider(NOW + timedelta(days=2))
    created, new_inputs = rotated(druva, provider)
    updated = provider.update(created.id, created.outs, new_inputs)
    assert updated.outs is not None
    provider.delete(created.id, updated.outs)
    err = capsys.readouterr().err
    assert f"token {lifecycle.fingerprint(OTHER_TOKEN)} was removed" in err
    assert created.id not in err


@pytest.mark.parametrize("days_ago", [20, 400], ids=["old token valid", "old token expired"])
def test_a_new_token_with_the_previous_tokens_issued_at_is_refused(druva, days_ago):
    issued = lifecycle.format_time(NOW - timedelta(days=days_ago))
    olds = TokenProvider(NOW).check({}, inputs(druva.url, issuedAt=issued)).inputs
    # An equal instant written another way is the same stale time.
    same = issued.replace("Z", "+00:00")
    result = TokenProvider(NOW).check(olds, inputs(druva.url, scimToken=OTHER_TOKEN, issuedAt=same))
    [failure] = result.failures
    assert failure.property == "issuedAt"
    assert failure.reason.startswith(
        "druva-scim:issuedAt: still holds the creation time of the previous token"
    )
    assert "pulumi config set druva-scim:issuedAt" in failure.reason
    assert "New Token" not in failure.reason and "expired" not in failure.reason
    new_time = lifecycle.format_time(NOW - timedelta(days=1))
    fresh = TokenProvider(NOW).check(
        olds, inputs(druva.url, scimToken=OTHER_TOKEN, issuedAt=new_time)
    )
    assert fresh.failures == []


def test_the_expired_message_first_says_to_set_the_issued_at_of_a_token_generated_since():
    problem = settings.expired_problem(NOW - timedelta(days=400), 365, NOW)
    assert problem is not None
    since = problem.index("If druva-scim:scimToken already holds a token generated since")
    assert since < problem.index("issuedAt <time>") < problem.index("New Token")
