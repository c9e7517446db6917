"""What the policy pack checks, as pure functions of plain data and a pinned `now`
(providers/core/policy_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from providers.core import lifecycle
from providers.core import policy_rules as rules
from tests.doubles import HANDOFF_STATE, TOKEN, TOKEN_INPUTS, TOKEN_STATE, WHILE_DUE


def test_rotation_due_names_the_expiry_the_days_left_and_the_fix():
    message = rules.rotation_due(TOKEN_STATE, WHILE_DUE)
    assert message is not None
    assert "expires 2027-11-22 (11 days left)" in message
    assert "due since 2027-10-23" in message
    assert "python -m providers.rotate" in message
    assert "docs/rotation.md" in message
    assert lifecycle.fingerprint(TOKEN) in message
    assert TOKEN not in message


def test_rotation_is_not_due_before_rotate_after_nor_reported_once_expired():
    assert rules.rotation_due(TOKEN_STATE, datetime(2027, 10, 23, 9, 29, tzinfo=UTC)) is None
    assert rules.rotation_due(TOKEN_STATE, datetime(2027, 10, 23, 9, 30, tzinfo=UTC))
    expired_at = datetime(2027, 11, 22, 9, 30, tzinfo=UTC)
    assert rules.rotation_due(TOKEN_STATE, expired_at) is None
    assert rules.rotation_due(TOKEN_STATE, expired_at, warning_days=60) is None


def test_rotation_due_is_computed_from_inputs_when_outputs_do_not_exist_yet():
    assert rules.rotation_due(TOKEN_INPUTS, WHILE_DUE)
    early = {**TOKEN_INPUTS, "rotateBeforeDays": 5}
    assert rules.rotation_due(early, WHILE_DUE) is None


def test_rotation_warning_days_warn_earlier_than_rotate_after():
    before_due = datetime(2027, 10, 1, tzinfo=UTC)  # 52 days left, rotateAfter not reached
    assert rules.rotation_due(TOKEN_STATE, before_due) is None
    message = rules.rotation_due(TOKEN_STATE, before_due, warning_days=60)
    assert message is not None
    assert "52 days left" in message
    assert "due since 2027-09-23" in message


def test_expired_token_is_reported_with_the_date_and_the_fix():
    message = rules.expired(TOKEN_STATE, datetime(2027, 11, 25, tzinfo=UTC))
    assert message is not None
    assert "expired on 2027-11-22 (2 days ago)" in message
    assert "python -m providers.rotate" in message
    assert TOKEN not in message
    assert rules.expired(TOKEN_STATE, datetime(2027, 11, 22, 9, 29, tzinfo=UTC)) is None
    assert "(today)" in (rules.expired(TOKEN_STATE, datetime(2027, 11, 22, 10, tzinfo=UTC)) or "")


@pytest.mark.parametrize(
    "props",
    [
        {**TOKEN_INPUTS, "issuedAt": rules.UNKNOWN},
        {**TOKEN_INPUTS, "issuedAt": "yesterday"},
        {"tenantUrl": "https://apis.druva.com/insync/scim"},
    ],
    ids=["unknown-in-preview", "unreadable", "absent"],
)
def test_dates_that_cannot_be_known_raise_no_violation(props):
    late = datetime(2030, 1, 1, tzinfo=UTC)
    assert rules.rotation_due(props, late) is None
    assert rules.expired(props, late) is None


@pytest.mark.parametrize(
    ("resource_type", "props", "needed"),
    [
        (rules.SCIM_TOKEN_TYPE, TOKEN_INPUTS, "scimToken"),
        (
            rules.SYNCHRONIZATION_SECRET_TYPE,
            {
                "servicePrincipalId": "sp-1",
                "credentials": [
                    {"key": "BaseAddress", "value": "https://apis.druva.com/insync/scim"},
                    {"key": "SecretToken", "value": TOKEN},
                ],
            },
            "credentials",
        ),
        (
            rules.OKTA_CONNECTION_TYPE,
            {"baseUrl": "x", "profile": {"authScheme": "TOKEN", "token": TOKEN}},
            "profile",
        ),
    ],
    ids=["ScimToken", "SynchronizationSecret", "okta-Connection"],
)
def test_a_carrier_of_the_token_must_declare_it_a_secret_output(resource_type, props, needed):
    message = rules.secret_declaration(resource_type, "carrier", props, [])
    assert message is not None
    assert f"`{needed}`" in message
    assert "additional_secret_outputs" in message
    assert TOKEN not in message
    assert rules.secret_declaration(resource_type, "carrier", props, [needed]) is None


def test_resources_that_do_not_carry_the_token_need_no_declaration():
    no_token = {"credentials": [{"key": "BaseAddress", "value": "https://x"}]}
    assert rules.secret_declaration(rules.SYNCHRONIZATION_SECRET_TYPE, "a", no_token, []) is None
    oauth = {"profile": {"authScheme": "OAUTH2", "clientId": "c"}}
    assert rules.secret_declaration(rules.OKTA_CONNECTION_TYPE, "b", oauth, []) is None
    assert rules.secret_declaration("azuread:index/user:User", "c", TOKEN_INPUTS, []) is None


def test_a_carrier_whose_token_is_unknown_in_preview_still_needs_the_declaration():
    unknown_credentials = {"credentials": rules.UNKNOWN}
    assert rules.secret_declaration(rules.SYNCHRONIZATION_SECRET_TYPE, "a", unknown_credentials, [])
    unknown_token = {"profile": {"authScheme": "TOKEN", "token": rules.UNKNOWN}}
    assert rules.secret_declaration(rules.OKTA_CONNECTION_TYPE, "b", unknown_token, [])


def test_a_handoff_pending_longer_than_the_limit_is_reported_with_the_steps():
    message = rules.handoff_overdue(HANDOFF_STATE, WHILE_DUE, max_days=7)
    assert message is not None
    assert "'druva-okta' (0oa1b2c3d4)" in message
    assert "pending since 2027-11-01 (9 days" in message
    assert "maxPendingHandoffDays = 7" in message
    assert "confirmedFingerprint' 3f2a9c1e5b2d" in message
    assert "pendingManualSteps" in message
    assert rules.handoff_overdue(HANDOFF_STATE, WHILE_DUE, max_days=9) is None
    assert rules.handoff_overdue(HANDOFF_STATE, WHILE_DUE, max_days=8)


@pytest.mark.parametrize(
    "changes",
    [
        {"pending": False, "pendingSince": None},
        {"pending": rules.UNKNOWN},
        {"pendingSince": rules.UNKNOWN},
    ],
    ids=["confirmed", "pending-unknown", "since-unknown"],
)
def test_no_violation_for_a_confirmed_or_not_yet_known_handoff(changes):
    assert rules.handoff_overdue({**HANDOFF_STATE, **changes}, WHILE_DUE, max_days=0) is None


def test_a_pending_handoff_without_a_readable_start_is_reported():
    message = rules.handoff_overdue({**HANDOFF_STATE, "pendingSince": None}, WHILE_DUE, max_days=7)
    assert message is not None
    assert "not an RFC 3339 time" in message


@pytest.mark.parametrize(("value", "expected"), [(7, 7), (7.0, 7), ("3", 3), (None, None)], ids=str)
def test_days_settings_accept_the_engines_numbers(value, expected):
    config = {} if value is None else {"maxPendingHandoffDays": value}
    assert rules.days_setting(config, "maxPendingHandoffDays", None) == (expected, None)


@pytest.mark.parametrize("value", [True, -1, 2.5, "seven", 400])
def test_bad_days_settings_name_the_setting_and_the_fix(value):
    days, problem = rules.days_setting({"maxPendingHandoffDays": value}, "maxPendingHandoffDays", 7)
    assert days is None
    assert problem is not None
    assert problem.startswith("policy config maxPendingHandoffDays ")
    assert "--policy-pack-config" in problem


@pytest.mark.parametrize(
    "props",
    [
        {"issuedAt": "0001-01-01T00:30:00+01:00"},
        {"issuedAt": "9999-12-31T00:00:00Z", "lifetimeDays": 365},
        {
            "issuedAt": "0001-01-01T00:00:00Z",
            "expiresAt": "0001-01-02T00:00:00Z",
            "rotateAfter": "0001-01-01T12:00:00Z",
        },
    ],
)
def test_the_policies_never_raise_on_dates_at_the_calendars_edges(props):
    early = datetime(1, 1, 1, 18, 0, tzinfo=UTC)
    for now in (WHILE_DUE, early):
        rules.rotation_due(props, now, warning_days=30)
        rules.expired(props, now)
