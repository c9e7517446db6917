"""The program under Pulumi's mocks: what it registers, what it exports, what stays secret."""

import base64
import urllib.parse
from datetime import UTC, datetime

import dill
import pytest

from providers.core.version import VERSION
from providers.druva.token import TYPE_TOKEN, ScimTokenProvider
from testbed.harness import is_secret, run_program, unwrap
from tests.doubles import TOKEN

CONFIG = {
    "druva-scim:scimToken": TOKEN,
    "druva-scim:issuedAt": "2026-11-01T09:30:00Z",
}


def with_setting(key: str, value: str, expected: str) -> tuple[dict[str, str], tuple[str], str]:
    """A bad-config case: CONFIG with one setting changed, and the start of the message."""
    return {**CONFIG, f"druva-scim:{key}": value}, ("druva-scim:scimToken",), expected


def token_forms(token: str = TOKEN) -> list[str]:
    return [
        token,
        base64.b64encode(token.encode()).decode(),
        urllib.parse.quote(token, safe=""),
    ]


def test_one_scim_token_is_registered_with_its_inputs():
    run = run_program(CONFIG)
    assert run.error is None
    [token] = run.registrations
    assert token.type == TYPE_TOKEN == "pulumi-python:dynamic/druva:ScimToken"
    assert token.name == "druva-scim-token"
    assert token.plain("tenantUrl") == "https://apis.druva.com/insync/scim"
    assert token.plain("issuedAt") == "2026-11-01T09:30:00Z"
    assert token.plain("lifetimeDays") == 365
    assert token.plain("rotateBeforeDays") == 30
    assert token.additional_secret_outputs == ["scimToken"]


def test_the_token_input_is_a_secret_and_the_provider_blob_holds_no_token():
    [token] = run_program(CONFIG).registrations
    assert is_secret(token.inputs["scimToken"])
    assert unwrap(token.inputs["scimToken"]) == TOKEN
    blob = token.inputs["__provider"]
    assert not is_secret(blob), "nothing secret is captured, so the blob need not hide"
    raw = base64.b64decode(blob)
    for form in token_forms():
        assert form.encode() not in raw and form not in blob
    assert isinstance(dill.loads(raw), ScimTokenProvider)  # noqa: S301  (our own blob)


def test_no_input_other_than_the_token_carries_it():
    [token] = run_program(CONFIG).registrations
    for key, value in token.inputs.items():
        if key != "scimToken":
            assert TOKEN not in repr(unwrap(value)), key


def test_exports_give_the_dates_and_only_the_token_is_secret():
    run = run_program(CONFIG)
    assert run.exports == {
        "tenantUrl": "https://apis.druva.com/insync/scim",
        "tokenFingerprint": run.registrations[0].outputs["fingerprint"],
        "issuedAt": "2026-11-01T09:30:00Z",
        "expiresAt": "2027-11-01T09:30:00Z",
        "rotateAfter": "2027-10-02T09:30:00Z",
        "scimToken": TOKEN,
        "targets": [],
        "pendingManualSteps": [],
        "version": VERSION,
    }
    assert run.secret_exports == {"scimToken"}
    for name, value in run.exports.items():
        if name != "scimToken":
            assert all(form not in str(value) for form in token_forms()), name


def test_the_token_output_is_secret_as_the_engine_would_mark_it():
    [token] = run_program(CONFIG).registrations
    assert is_secret(token.outputs["scimToken"])
    assert not is_secret(token.outputs["fingerprint"])


def test_without_issued_at_a_token_the_stack_has_no_record_of_stops_the_run():
    run = run_program({"druva-scim:scimToken": TOKEN})
    assert run.error is not None
    assert "druva-scim:issuedAt: is not set" in str(run.error)
    assert "issuedAt" not in run.exports


def test_without_issued_at_the_recorded_creation_time_is_carried_over():
    first = run_program(CONFIG)
    [token] = first.registrations
    prior = {token.name: {key: unwrap(value) for key, value in token.inputs.items()}}
    later = run_program({"druva-scim:scimToken": TOKEN}, prior=prior)
    assert later.error is None
    assert later.exports["issuedAt"] == "2026-11-01T09:30:00Z"
    assert "issuedAt" not in later.registrations[0].inputs


@pytest.mark.parametrize(
    ("extra", "url"),
    [
        ({"druva-scim:cloud": "gov"}, "https://govcloudapis.druva.com/insync/scim"),
        ({"druva-scim:tenantUrl": "https://scim.example.test/v2/"}, "https://scim.example.test/v2"),
        (
            {"druva-scim:cloud": "gov", "druva-scim:tenantUrl": "https://x.example/scim"},
            "https://x.example/scim",
        ),
    ],
)
def test_cloud_and_tenant_url_choose_the_scim_base_url(extra, url):
    run = run_program({**CONFIG, **extra})
    assert run.registrations[0].plain("tenantUrl") == url
    assert run.exports["tenantUrl"] == url


@pytest.mark.parametrize(
    ("config", "secret_keys", "expected"),
    [
        ({}, (), "druva-scim:scimToken: is not set"),
        ({"druva-scim:scimToken": TOKEN}, (), "stored in plain text"),
        with_setting("scimToken", "  ", "only white space"),
        with_setting(
            "tenantURL", "https://x", "druva-scim:tenantURL: is not a setting of druva-scim"
        ),
        with_setting("cloud", "azure", "druva-scim:cloud: must be one of standard, gov"),
        with_setting(
            "issuedAt",
            "2025-01-01T00:00:00Z",
            "druva-scim:issuedAt: the token issued 2025-01-01T00:00:00Z expired on 2026-01-01",
        ),
        with_setting(
            "lifetimeDays", "10000", "druva-scim:lifetimeDays: must be from 1 to 365 days"
        ),
    ],
)
def test_bad_config_stops_before_anything_is_registered(config, secret_keys, expected):
    run = run_program(config, secret_keys)
    assert run.registrations == []
    assert type(run.error).__name__ == "RunError"
    assert "nothing was changed" in str(run.error)
    errors = run.messages("error")
    assert any(expected in message for message in errors), errors
    assert all(TOKEN not in message for message in errors)


def test_every_problem_is_reported_in_one_run():
    run = run_program(
        {
            "druva-scim:scimToken": TOKEN,
            "druva-scim:cloud": "moon",
            "druva-scim:rotateBeforeDays": "x",
        }
    )
    assert "2 settings of druva-scim need fixing" in str(run.error)
    assert len(run.messages("error")) == 2


def test_previews_and_updates_warn_once_rotation_is_due():
    due = run_program(CONFIG, now=datetime(2027, 10, 20, 12, 0, tzinfo=UTC), preview=True)
    [warning] = due.messages("warning")
    assert "expires 2027-11-01T09:30:00Z (11 days left)" in warning
    assert "New Token" in warning and TOKEN not in warning


def test_no_warning_while_the_token_is_fresh():
    assert run_program(CONFIG).messages("warning") == []


# --- issue 10, class 5: each odd setting stops the run by name, before anything is registered


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("values", "key", "fix"),
    [
        ({"druva-scim:cloud": '["gov"]'}, "cloud", "must be one of standard, gov"),
        ({"druva-scim:cloud": '{"gov": 1}'}, "cloud", "must be one of standard, gov"),
        (
            {"druva-scim:azureTenants": '[{"name": "t", "tenantId": "x", "environment": []}]'},
            "azureTenants[0].environment",
            "must be one of global",
        ),
        ({"druva-scim:issuedAt": "0001-01-01T00:30:00+01:00"}, "issuedAt", "outside the calendar"),
        ({"druva-scim:issuedAt": "9999-12-31T23:59:59-01:00"}, "issuedAt", "outside the calendar"),
        ({"druva-scim:lifetimeDays": "--5"}, "lifetimeDays", "whole number of days"),
        ({"druva-scim:lifetimeDays": "²"}, "lifetimeDays", "whole number of days"),
        ({"druva-scim:azureApps": DEEP}, "azureApps", "fix the value in the stack file"),
        ({"druva-scim:lifetimeDays": DEEP}, "lifetimeDays", "whole number of days"),
        ({"druva-scim:oktaApps": "[" * 50 + "]" * 50}, "oktaApps", "more than 8 levels deep"),
        (
            {"druva-scim:tenantUrl": "https://apis.druva.com/insync\t/scim"},
            "tenantUrl",
            "set it again as one line",
        ),
        (
            {"druva-scim:scimToken": TOKEN[:12] + "\u2019" + TOKEN[12:]},
            "scimToken",
            "paste it as plain text",
        ),
    ],
)
def test_an_odd_setting_is_named_with_its_fix_and_nothing_is_registered(values, key, fix):
    run = run_program({**CONFIG, **values})
    assert type(run.error).__name__ == "RunError" and run.registrations == []
    errors = run.messages("error")
    assert any(m.startswith(f"druva-scim:{key}: ") and fix in m for m in errors), errors
    assert not any("Traceback" in m or TOKEN[12:] in m for m in errors)


def test_a_token_that_reads_as_json_is_taken_as_it_is():
    token = f'["{TOKEN}"]'
    run = run_program({**CONFIG, "druva-scim:scimToken": token})
    assert run.error is None, run.messages("error")
    [registered] = run.registrations
    assert unwrap(registered.inputs["scimToken"]) == token
