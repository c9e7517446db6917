"""The token's dates as pure functions: no clock, no network."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from providers.core import lifecycle
from providers.core.lifecycle import Phase


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def test_expiry_is_365_days_after_creation_across_a_leap_day():
    life = lifecycle.lifecycle(utc(2028, 1, 10, 8, 0), 365, 30)
    # 2028 is a leap year: 365 days from 10 January lands on 9 January 2029.
    assert life.expires_at == utc(2029, 1, 9, 8, 0)
    assert life.rotate_after == utc(2028, 12, 10, 8, 0)


def test_a_token_made_on_the_leap_day_expires_on_the_28th_of_february():
    life = lifecycle.lifecycle(utc(2028, 2, 29, 23, 59), 365, 30)
    assert life.expires_at == utc(2029, 2, 28, 23, 59)


def test_non_utc_offsets_are_converted_before_counting_days():
    kolkata = timezone(timedelta(hours=5, minutes=30))
    life = lifecycle.lifecycle(datetime(2026, 11, 22, 2, 0, tzinfo=kolkata), 365, 30)
    assert life.issued_at == utc(2026, 11, 21, 20, 30)
    assert lifecycle.format_time(life.expires_at) == "2027-11-21T20:30:00Z"


def test_a_time_without_offset_is_refused():
    with pytest.raises(ValueError, match="ambiguous"):
        lifecycle.lifecycle(datetime(2026, 11, 22), 365, 30)


@pytest.mark.parametrize(
    ("now", "phase"),
    [
        (utc(2027, 10, 22, 11, 59, 59), Phase.VALID),
        (utc(2027, 10, 22, 12, 0, 0), Phase.ROTATION_DUE),
        (utc(2027, 11, 22, 11, 59, 59), Phase.ROTATION_DUE),
        (utc(2027, 11, 22, 12, 0, 0), Phase.EXPIRED),
    ],
)
def test_phase_boundaries_belong_to_the_later_phase(now, phase):
    life = lifecycle.lifecycle(utc(2026, 11, 22, 12, 0), 365, 31)
    assert life.rotate_after == utc(2027, 10, 22, 12, 0)
    assert life.phase(now) is phase


def test_rotate_before_zero_means_rotation_is_due_only_at_expiry():
    life = lifecycle.lifecycle(utc(2026, 1, 1), 365, 0)
    assert life.rotate_after == life.expires_at
    assert life.phase(life.expires_at - timedelta(seconds=1)) is Phase.VALID


@pytest.mark.parametrize(
    ("now", "days"),
    [
        (utc(2027, 11, 10, 12, 0), 12),
        (utc(2027, 11, 21, 12, 0, 1), 0),
        (utc(2027, 11, 22, 12, 0, 1), -1),
    ],
)
def test_days_left_round_down(now, days):
    life = lifecycle.lifecycle(utc(2026, 11, 22, 12, 0), 365, 30)
    assert life.days_left(now) == days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T09:30:00Z", utc(2026, 11, 22, 9, 30)),
        ("2026-11-22t09:30:00z", utc(2026, 11, 22, 9, 30)),
        ("2026-11-22T09:30:00.123456Z", utc(2026, 11, 22, 9, 30, 0, 123456)),
        ("2026-11-22T15:00:00+05:30", utc(2026, 11, 22, 9, 30)),
        ("2026-11-22T04:30:00-05:00", utc(2026, 11, 22, 9, 30)),
    ],
)
def test_parse_time_accepts_rfc3339_with_any_offset(text, expected):
    assert lifecycle.parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-22", "not an RFC 3339 date-time"),
        ("2026-11-22T09:30:00", "no UTC offset"),
        ("22/11/2026 09:30", "not an RFC 3339 date-time"),
        ("2026-13-01T00:00:00Z", "not an RFC 3339 date-time"),
        ("yesterday at noon", "not an RFC 3339 date-time"),
    ],
)
def test_parse_time_refuses_what_is_not_rfc3339(text, message):
    with pytest.raises(ValueError, match=message):
        lifecycle.parse_time(text)


def test_format_time_is_utc_with_z_to_the_second():
    moment = datetime(2026, 11, 22, 10, 0, 0, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert lifecycle.format_time(moment) == "2026-11-22T09:00:00Z"


def test_fingerprint_is_the_first_12_hex_digits_of_sha256():
    # sha256("abc") is ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    assert lifecycle.fingerprint("abc") == "ba7816bf8f01"
    assert lifecycle.fingerprint("abd") != lifecycle.fingerprint("abc")


def test_no_rotation_warning_before_rotate_after_or_after_expiry():
    life = lifecycle.lifecycle(utc(2026, 11, 22, 12), 365, 30)
    assert lifecycle.rotation_warning(life, life.rotate_after - timedelta(seconds=1)) is None
    assert lifecycle.rotation_warning(life, life.expires_at) is None


@pytest.mark.parametrize(
    ("now", "left"),
    [
        (utc(2027, 10, 23, 12), "30 days left"),
        (utc(2027, 11, 21, 11), "1 day left"),
        (utc(2027, 11, 22, 11), "less than a day left"),
    ],
)
def test_the_rotation_warning_gives_expiry_days_left_and_steps(now, left):
    life = lifecycle.lifecycle(utc(2026, 11, 22, 12), 365, 30)
    message = lifecycle.rotation_warning(life, now)
    assert message is not None
    assert "expires 2027-11-22T12:00:00Z" in message and f"({left})" in message
    assert "due since 2027-10-23" in message
    assert "New Token" in message and "providers.rotate" in message


@pytest.mark.parametrize(
    "text",
    [
        "2026-W47-5T00:00:00Z",
        "2026-11-22T09:30:00Z\x00",
        "2026-11-22T09:30:00\x00Z",
        "2026-326T09:30:00Z",
        "20261122T093000Z",
        "2026-11-22T09:30Z",
        "\u0662\u0660\u0662\u0666-11-22T09:30:00Z",
    ],
    ids=repr,
)
def test_a_time_that_is_not_strict_rfc_3339_is_refused(text):
    with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
        lifecycle.parse_time(text)


def test_strict_rfc_3339_times_still_parse():
    assert lifecycle.format_time(lifecycle.parse_time("2026-11-22t09:30:00.5+01:00")) == (
        "2026-11-22T08:30:00Z"
    )


# --- times as vendors write them (Graph, Okta) -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Microsoft's own synchronizationJob examples write seven fractional digits
        # (microsoft-graph-docs-contrib, api-reference/v1.0/api/synchronization-synchronizationjob-get.md).
        ("2019-11-20T14:09:46.8855027Z", utc(2019, 11, 20, 14, 9, 46, 885502)),
        ("2026-11-22T11:20:00.1Z", utc(2026, 11, 22, 11, 20, 0, 100000)),
        ("2026-11-22T11:20:00Z", utc(2026, 11, 22, 11, 20)),
        ("2026-11-22T11:20:00.000+01:00", utc(2026, 11, 22, 10, 20)),
        ("2026-11-22T11:20:00-0530", utc(2026, 11, 22, 16, 50)),
        # Okta's System Log writes three digits (LogEvent.published).
        ("2026-11-22T11:20:00.123Z", utc(2026, 11, 22, 11, 20, 0, 123000)),
        ("2026-11-22t11:20:00z", utc(2026, 11, 22, 11, 20)),
        ("2026-11-22T11:20:00", utc(2026, 11, 22, 11, 20)),
    ],
)
def test_vendor_times_take_any_fraction_and_offset(text, expected):
    assert lifecycle.vendor_time(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",  # Graph's "never"
        "0001-01-01T00:00:00.0000000Z",
        None,
        "",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-11-22T11:20:00.5" + "0" * 100 + "Z",
        "2026-11-22T11:20:00+25:00",
        12,
    ],
)
def test_a_vendor_never_or_non_time_is_none(value):
    assert lifecycle.vendor_time(value) is None


def test_users_times_stay_strict():
    with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
        lifecycle.parse_time("2019-11-20T14:09:46.8855027Z")


def test_issued_at_is_carried_only_for_the_very_token_the_stack_recorded():
    recorded = "2026-11-01T09:30:00Z"
    assert lifecycle.carried_issued_at("token-a", recorded, "token-a") == recorded
    assert lifecycle.carried_issued_at("token-a", recorded, "token-b") is None
    assert lifecycle.carried_issued_at("token-a", None, "token-a") is None


def test_a_new_token_restating_the_previous_tokens_issued_at_is_recognised():
    recorded = utc(2026, 11, 1, 9, 30)
    assert lifecycle.restates_previous_issued_at("token-a", recorded, "token-b", recorded)
    assert not lifecycle.restates_previous_issued_at(
        "token-a", recorded, "token-b", utc(2026, 11, 2)
    )
    assert not lifecycle.restates_previous_issued_at("token-a", recorded, "token-a", recorded)
    assert not lifecycle.restates_previous_issued_at(None, recorded, "token-b", recorded)
    assert not lifecycle.restates_previous_issued_at("token-a", None, "token-b", None)


def test_a_hand_off_waits_from_when_its_token_changed_until_it_is_confirmed():
    earlier, now = utc(2026, 11, 1), utc(2026, 11, 22)
    assert lifecycle.waiting_since("fp-new", None, None, None, now) == now
    assert lifecycle.waiting_since("fp-new", "fp-old", "fp-new", earlier, now) == earlier
    assert lifecycle.waiting_since("fp-new", "fp-old", "fp-old", earlier, now) == now
    assert lifecycle.waiting_since("fp-new", "fp-new", "fp-new", earlier, now) is None
