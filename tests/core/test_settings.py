"""Validation of the token settings: every bad value names its setting and the fix."""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from providers.core import apps, settings
from tests.doubles import NOW, TOKEN


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("   ", "only white space"),
        (TOKEN + "\n", "line break at its start or end"),
        (" " + TOKEN, "line break at its start or end"),
        (TOKEN[:10] + "\n" + TOKEN[10:], "white space or control characters inside"),
        (TOKEN[:10] + " " + TOKEN[10:], "white space or control characters inside"),
        (TOKEN[:10] + "\x00" + TOKEN[10:], "white space or control characters inside"),
        ("x" * 5000, "longer than 4096"),
        (12345, "is not set"),
    ],
)
def test_bad_tokens_are_refused_without_quoting_them(token, message):
    reason = settings.token_problem(token)
    assert reason is not None and message in reason
    if isinstance(token, str) and token.strip():
        assert token.strip() not in reason


def test_a_good_token_passes():
    assert settings.token_problem(TOKEN) is None


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://apis.druva.com/insync/scim", "https://apis.druva.com/insync/scim"),
        ("https://apis.druva.com/insync/scim/", "https://apis.druva.com/insync/scim"),
        (
            " https://govcloudapis.druva.com/insync/scim ",
            "https://govcloudapis.druva.com/insync/scim",
        ),
        ("http://127.0.0.1:8080/insync/scim", "http://127.0.0.1:8080/insync/scim"),
        ("http://127.8.9.10/scim", "http://127.8.9.10/scim"),
        ("http://localhost:9/scim", "http://localhost:9/scim"),
        ("http://[::1]:9/scim", "http://[::1]:9/scim"),
    ],
)
def test_tenant_urls_accepted_and_normalised(url, normalised):
    assert settings.tenant_url(url) == (normalised, None)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://apis.druva.com/insync/scim", "plain http"),
        ("http://10.0.0.5/scim", "plain http"),
        ("apis.druva.com/insync/scim", "not an http(s) URL"),
        ("ftp://apis.druva.com/scim", "not an http(s) URL"),
        ("not-a-url", "not an http(s) URL"),
        ("https://", "not an http(s) URL"),
        ("https://apis.druva.com:99999/scim", "is not a URL"),
        ("https://user:pw@apis.druva.com/scim", "user name or password"),
        ("https://apis.druva.com/scim?x=1", "query or fragment"),
        ("", "must be a URL"),
        (42, "must be a URL"),
        ("https://apis.druva.com\u2026/insync/scim", "host that is not plain ASCII"),
        ("https://\u2603.com/scim", "host that is not plain ASCII"),
        ("https://apis..druva.com/insync/scim", "empty or over-long part in its host"),
    ],
)
def test_tenant_urls_refused(url, message):
    value, reason = settings.tenant_url(url)
    assert value is None and reason is not None and message in reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [(30, 30), (30.0, 30), ("30", 30), (" 7 ", 7), (1, 1), (365, 365)],
)
def test_whole_numbers_from_config_strings_and_engine_floats(value, expected):
    assert settings.whole_number(value, 1, 365) == (expected, None)


@pytest.mark.parametrize("value", [0, 366, -1, "-5", 30.5, "thirty", True, None, [30]])
def test_whole_numbers_refused(value):
    number, reason = settings.whole_number(value, 1, 365)
    assert number is None and reason is not None and "1 to 365" in reason


def test_defaults_give_the_standard_cloud_and_365_30():
    checked, problems = settings.token_settings({}, NOW)
    assert problems == []
    assert checked == settings.TokenSettings("https://apis.druva.com/insync/scim", None, 365, 30)


def test_gov_cloud_and_an_explicit_tenant_url_overriding_it():
    gov, _ = settings.token_settings({"cloud": "gov"}, NOW)
    assert gov is not None and gov.tenant_url == "https://govcloudapis.druva.com/insync/scim"
    custom, _ = settings.token_settings(
        {"cloud": "gov", "tenantUrl": "https://scim.example.test/x/"}, NOW
    )
    assert custom is not None and custom.tenant_url == "https://scim.example.test/x"


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"cloud": "azure"}, "cloud", "one of standard, gov"),
        ({"tenantUrl": "http://apis.druva.com/x"}, "tenantUrl", "plain http"),
        ({"lifetimeDays": "0"}, "lifetimeDays", "from 1 to 365"),
        ({"lifetimeDays": "10000"}, "lifetimeDays", "Druva tokens last 365 days"),
        ({"lifetimeDays": "a year"}, "lifetimeDays", "whole number"),
        ({"rotateBeforeDays": "-3"}, "rotateBeforeDays", "from 0 to 365"),
        ({"rotateBeforeDays": "365"}, "rotateBeforeDays", "less than lifetimeDays (365)"),
        ({"lifetimeDays": "10", "rotateBeforeDays": "10"}, "rotateBeforeDays", "less than"),
        ({"issuedAt": "2026-11-22"}, "issuedAt", "not an RFC 3339"),
        ({"issuedAt": "2026-11-22T13:00:00Z"}, "issuedAt", "in the future"),
        ({"issuedAt": "2025-11-22T11:59:59Z"}, "issuedAt", "expired on 2026-11-22"),
        (
            {"issuedAt": "2026-10-01T00:00:00Z", "lifetimeDays": "30", "rotateBeforeDays": "5"},
            "issuedAt",
            "expired",
        ),
        ({"issuedAt": 20261122}, "issuedAt", "RFC 3339"),
    ],
)
def test_each_bad_setting_is_named_with_its_fix(raw, key, message):
    checked, problems = settings.token_settings(raw, NOW)
    assert checked is None
    assert [problem.key for problem in problems] == [key]
    assert message in problems[0].message
    assert str(problems[0]).startswith(f"druva-scim:{key}: ")


def test_an_expired_token_message_gives_the_date_and_the_rotation_steps():
    _, problems = settings.token_settings({"issuedAt": "2025-01-01T00:00:00Z"}, NOW)
    message = problems[0].message
    assert "expired on 2026-01-01" in message
    assert "New Token" in message and "pulumi config set --secret" in message


def test_a_few_minutes_of_clock_skew_is_tolerated():
    checked, problems = settings.token_settings({"issuedAt": "2026-11-22T12:04:00Z"}, NOW)
    assert problems == [] and checked is not None


def test_all_problems_are_reported_at_once():
    _, problems = settings.token_settings(
        {"cloud": "moon", "lifetimeDays": "0", "issuedAt": "soon"}, NOW
    )
    assert sorted(problem.key for problem in problems) == ["cloud", "issuedAt", "lifetimeDays"]


# --- issue 10, class 5: odd values give keyed messages, never exceptions ---------------


@pytest.mark.parametrize(
    "token",
    [
        TOKEN[:10] + "\u2019" + TOKEN[10:],  # a typographic quote from a rich-text paste
        TOKEN[:10] + "\u2013" + TOKEN[10:],
        TOKEN[:10] + "é" + TOKEN[10:],
    ],
)
def test_a_token_with_a_character_outside_visible_ascii_is_refused(token):
    reason = settings.token_problem(token)
    assert reason is not None and "rich-text paste" in reason and "plain text" in reason
    assert f"U+{ord(token[10]):04X}" in reason
    assert TOKEN[:10] not in reason and TOKEN[11:] not in reason


@pytest.mark.parametrize(
    "url",
    [
        "https://apis.druva.com/insync\t/scim",
        "https://apis.druva.com/in\nsync/scim",
        "https://apis.druva.com/insync/scim\u200b",
        "https://apis.druva .com/insync/scim",
    ],
)
def test_a_base_url_with_white_space_or_a_control_character_inside_is_refused(url):
    value, reason = settings.tenant_url(url)
    assert value is None and reason is not None and "white space or a control character" in reason
    value, reason = settings.base_url(url, "https://graph.microsoft.com", "the access token")
    assert value is None and reason is not None and "one line" in reason


@pytest.mark.parametrize("value", ["--5", "²", "٣", "1_0", "+-3", "1e3", "9" * 5000, 1e309, 1e300])
def test_whole_numbers_accept_only_ascii_digits_with_one_optional_minus(value):
    number, reason = settings.whole_number(value, 1, 365)
    assert number is None and reason is not None and "1 to 365" in reason
    assert len(reason) < 300


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"cloud": ["gov"]}, "cloud"),
        ({"cloud": {"gov": True}}, "cloud"),
        ({"issuedAt": "0001-01-01T00:30:00+01:00"}, "issuedAt"),
        ({"issuedAt": "9999-12-31T23:59:59-01:00"}, "issuedAt"),
        ({"lifetimeDays": "--5"}, "lifetimeDays"),
        ({"lifetimeDays": "²"}, "lifetimeDays"),
        ({"rotateBeforeDays": float("nan")}, "rotateBeforeDays"),
        ({"tenantUrl": "https://apis.druva.com/insync\t/scim"}, "tenantUrl"),
        ({"tenantUrl": "https://apis.druva.com/" + "x" * 5000}, "tenantUrl"),
    ],
)
def test_odd_types_and_values_are_named_not_raised(raw, key):
    checked, problems = settings.token_settings(raw, NOW)
    assert checked is None and [problem.key for problem in problems] == [key]
    assert len(problems[0].message) < 400


def test_the_calendar_edges_are_refused_with_a_clear_text():
    _, problems = settings.token_settings({"issuedAt": "0001-01-01T00:30:00+01:00"}, NOW)
    assert "outside the calendar" in problems[0].message
    assert "API Credentials" in problems[0].message


def test_an_issued_at_whose_expiry_is_past_the_calendar_is_refused():
    far = datetime(9999, 12, 31, 0, 0, tzinfo=UTC)
    moment, reason = settings.issued_at("9999-12-30T00:00:00Z", 365, far)
    assert moment is None and reason is not None and "outside the calendar" in reason


def nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_deep_structure_is_found_without_recursion_and_shown_briefly():
    deep = nested(100_000)
    assert settings.too_deep(deep)
    assert not settings.too_deep(nested(settings.MAX_DEPTH))
    assert settings.too_deep(nested(settings.MAX_DEPTH + 1))
    assert settings.structure_problem(deep) is not None
    assert settings.structure_problem(settings.NESTED_TOO_DEEP) is not None
    assert settings.structure_problem([{"name": "a", "extraSecrets": {"SyncAll": "x"}}]) is None
    assert len(settings.shown(deep)) < 100
    _, problems = settings.token_settings({"lifetimeDays": deep}, NOW)
    assert [problem.key for problem in problems] == ["lifetimeDays"]


def test_a_long_text_is_described_never_cut_into_a_part():
    assert settings.shown("x" * 101) == "<a text of 101 characters>"
    assert settings.shown("2026") == "'2026'"
    text = TOKEN * 5
    assert TOKEN[:8] not in settings.shown([text, {"k": text}])


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(
        ["--5", "²", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00", "https://a\tb.c"]
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
SETTING_KEYS = settings.TOKEN_KEYS + apps.APP_KEYS
entry_keys = st.sampled_from(
    [
        "name",
        "tenantId",
        "clientId",
        "environment",
        "orgName",
        "baseUrl",
        "servicePrincipalId",
        "tenant",
        "extraSecrets",
        "appId",
        "org",
        "mode",
        "confirmedFingerprint",
    ]
)
entries = st.dictionaries(entry_keys, json_values, max_size=6)
configs = st.dictionaries(
    st.sampled_from(SETTING_KEYS), json_values | st.lists(entries, max_size=3), max_size=8
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_the_pure_validators_return_problems_or_values_for_any_json(raw):
    checked, problems = settings.token_settings(raw, NOW)
    assert (checked is None) == bool(problems)
    found, target_problems = apps.parse_apps(raw)
    assert isinstance(found, apps.Apps)
    for problem in [*problems, *target_problems]:
        assert str(problem).startswith("druva-scim:") and len(problem.message) < 2000
