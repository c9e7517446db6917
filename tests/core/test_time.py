"""Time: the lifecycle's laws for any moment, and the token provider's check and diff over them
(hypothesis). The simulated year of runs is evidence: tests/evidence/test_time_travel.py."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.core import lifecycle
from providers.core.lifecycle import Phase
from tests.doubles import TokenProvider

EXAMPLES = settings(max_examples=150, deadline=None)
ORDER = {Phase.VALID: 0, Phase.ROTATION_DUE: 1, Phase.EXPIRED: 2}
URL = "https://apis.druva.com/insync/scim"
DAY = timedelta(days=1)
fixed_offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59, seconds=59),
    max_value=timedelta(hours=23, minutes=59, seconds=59),
).map(timezone)
zones = st.timezones() if zoneinfo.available_timezones() else st.nothing()
aware = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.one_of(fixed_offsets, zones),
)
lifetimes = st.integers(min_value=1, max_value=lifecycle.MAX_LIFETIME_DAYS)
shifts = st.timedeltas(min_value=-800 * DAY, max_value=800 * DAY)
tokens = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/="
    ),
    min_size=16,
    max_size=120,
)


@st.composite
def lives(draw):
    """(issued, lifetimeDays, rotateBeforeDays) as the settings allow them."""
    lifetime = draw(lifetimes)
    rotate_before = draw(st.integers(min_value=0, max_value=lifetime - 1))
    return draw(aware), lifetime, rotate_before


@EXAMPLES
@given(lives())
def test_expiry_is_issue_plus_lifetime_exactly_and_rotation_falls_inside(life_args):
    issued, lifetime, rotate_before = life_args
    life = lifecycle.lifecycle(issued, lifetime, rotate_before)
    # The same instant (PEP 495: a zoned time in a DST fold never equals another zone's).
    assert life.issued_at == issued.astimezone(UTC) and life.issued_at.tzinfo is UTC
    assert life.expires_at - life.issued_at == timedelta(days=lifetime)
    assert life.expires_at - life.rotate_after == timedelta(days=rotate_before)
    assert life.issued_at < life.rotate_after <= life.expires_at


@EXAMPLES
@given(lives(), shifts, shifts)
def test_phase_only_moves_forward_in_time(life_args, first, second):
    life = lifecycle.lifecycle(*life_args)
    early, late = sorted((life.rotate_after + first, life.rotate_after + second))
    assert ORDER[life.phase(early)] <= ORDER[life.phase(late)]
    assert life.days_left(early) >= life.days_left(late)


@EXAMPLES
@given(lives(), shifts)
def test_days_left_agrees_with_the_phase_and_the_warning(life_args, shift):
    issued, lifetime, rotate_before = life_args
    life = lifecycle.lifecycle(issued, lifetime, rotate_before)
    now = life.expires_at + shift
    days = life.days_left(now)
    phase = life.phase(now)
    if phase is Phase.VALID:
        assert days >= rotate_before
    elif phase is Phase.ROTATION_DUE:
        assert 0 <= days <= rotate_before
    else:
        assert days < 0, "negative once expired"
    warning = lifecycle.rotation_warning(life, now)
    assert (warning is not None) == (phase is Phase.ROTATION_DUE)


@pytest.mark.parametrize(
    "after", [timedelta(0), timedelta(microseconds=1), DAY - timedelta(microseconds=1)]
)
def test_days_left_is_negative_from_the_instant_of_expiry(after):
    life = lifecycle.lifecycle(datetime(2026, 11, 22, 9, 30, tzinfo=UTC), 365, 30)
    assert life.phase(life.expires_at + after) is Phase.EXPIRED
    assert life.days_left(life.expires_at + after) == -1


@EXAMPLES
@given(aware)
def test_format_then_parse_gives_the_instant_to_the_second(moment):
    text = lifecycle.format_time(moment)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    assert lifecycle.parse_time(text) == moment.astimezone(UTC).replace(microsecond=0)


@EXAMPLES
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59),
)
def test_any_rfc3339_offset_is_read_as_the_same_instant(local, minutes):
    zone = timezone(timedelta(minutes=minutes))
    moment = local.replace(tzinfo=zone, microsecond=0)
    sign = "-" if minutes < 0 else "+"
    text = (
        local.strftime("%Y-%m-%dT%H:%M:%S")
        + f"{sign}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"
    )
    assert lifecycle.parse_time(text) == moment


@EXAMPLES
@given(tokens)
def test_the_fingerprint_is_deterministic_and_twelve_hex_digits(token):
    fingerprint = lifecycle.fingerprint(token)
    assert fingerprint == lifecycle.fingerprint(token)
    assert re.fullmatch(r"[0-9a-f]{12}", fingerprint)
    assert token not in fingerprint or len(token) <= 12


def inputs(token, lifetime, rotate_before, issued=None):
    news = {
        "scimToken": token,
        "tenantUrl": URL,
        "lifetimeDays": lifetime,
        "rotateBeforeDays": rotate_before,
    }
    if issued is not None:
        news["issuedAt"] = issued
    return news


@EXAMPLES
@given(
    lives().filter(lambda args: datetime(2000, 1, 1, tzinfo=UTC) < args[0]),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    tokens,
)
def test_check_carries_issued_at_over_for_the_same_token_on_any_day(life_args, fraction, token):
    issued, lifetime, rotate_before = life_args
    issued_text = lifecycle.format_time(issued)
    start = lifecycle.parse_time(issued_text)
    life = timedelta(days=lifetime)
    now = start + min(life * fraction, life - timedelta(microseconds=1))
    state = inputs(token, lifetime, rotate_before, issued_text)

    provider = TokenProvider(now)
    checked = provider.check(state, inputs(token, lifetime, rotate_before))
    assert checked.failures == []
    assert checked.inputs["issuedAt"] == issued_text
    assert provider.diff("id", state, checked.inputs).changes is False

    # Another token without issuedAt: never dated "now", whatever day it is.
    other = provider.check(state, inputs(token + "x", lifetime, rotate_before))
    assert [failure.property for failure in other.failures] == ["issuedAt"]
    assert "issuedAt" not in other.inputs


@EXAMPLES
@given(
    st.dictionaries(
        st.sampled_from(["scimToken", "tenantUrl", "issuedAt", "lifetimeDays", "rotateBeforeDays"]),
        st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40)),
    ),
    aware,
)
def test_diff_of_identical_inputs_is_no_change_whatever_they_are_and_whenever(news, moment):
    result = TokenProvider(moment).diff("id", dict(news), dict(news))
    assert result.changes is False and result.replaces == []
