"""The one redaction at every surface: what the program logs, what a provider raises or says,
through the SDK's host, and credentials from the environment."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import grpc
import pytest

from providers import cli, rotate
from providers.core import resource_types
from providers.core.errors import ProviderError
from providers.core.redaction import PLACEHOLDER
from providers.dynamic import StatelessProvider, redacted_operation, say
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.harness import run_program
from testbed.stand_ins.druva import DruvaScim, scim_error
from testbed.stand_ins.graph import Graph, job, quarantine
from testbed.stand_ins.okta import Okta
from testbed.stand_ins.server import Reply
from tests.doubles import GRAPH_BEARER as BEARER
from tests.doubles import (
    JOB,
    NOW,
    OKTA_APP,
    OTHER_TOKEN,
    TOKEN,
    AzureCheck,
    OktaCheck,
    TokenProvider,
    urn,
)
from tests.doubles import SERVICE_PRINCIPAL as SP
from tests.doubles import azure_check_inputs as azure_inputs
from tests.doubles import okta_check_inputs as okta_inputs
from tests.evidence import secrets as scanner

OKTA_URN = urn(resource_types.OKTA_CHECK, "druva-okta-acme")
SPECIAL = "dRuVa\\ToKeN'with\"QuOtEs%26and+plus&amp/slash=7f3a9c1e"
"""A valid token with every character that some form escapes."""


def test_a_short_token_is_refused_by_the_program_and_never_shown():
    short = "sHoRtToKeN-15ch"
    run = run_program({"druva-scim:scimToken": short, "druva-scim:tenantUrl": short})
    assert run.error is not None and run.registrations == []
    errors = run.messages("error")
    assert any("scimToken: is shorter than 16 characters" in text for text in errors)
    assert not any(short in text for text in [*errors, str(run.error)])


def test_part_of_the_token_in_a_quarantine_reason_never_reaches_actions(capfd):
    with Graph(BEARER) as stand_in:
        record = quarantine()
        record["error"]["message"] = (
            f"SCIM endpoint answered 401 for token {TOKEN[:24]}… ({TOKEN[10:40]}_retry, "
            f"next={quote(TOKEN[20:], safe='')}%26page=2)"
        )
        stand_in.jobs[SP] = [job(JOB, "scim", record)]
        outs = AzureCheck(bearer=BEARER).create(azure_inputs(stand_in.url, scimToken=TOKEN)).outs
    assert outs is not None and outs["restartedFromQuarantine"] is True
    actions = " ".join(outs["actions"])
    assert (
        "out of quarantine (EncounteredQuarantineException: SCIM endpoint answered 401" in actions
    )
    assert PLACEHOLDER in actions
    assert scanner.survivors(json.dumps(outs), TOKEN) == []
    assert scanner.survivors(capfd.readouterr().err, TOKEN) == []
    # Given only to be recognised: never returned, never compared.
    assert "scimToken" not in outs
    news = {**azure_inputs(outs["graphUrl"]), "scimToken": OTHER_TOKEN}
    assert AzureCheck(bearer=BEARER).diff(SP, outs, news).changes is False


def _druva_failure(reply: Reply) -> str:
    with DruvaScim(SPECIAL) as stand_in:
        stand_in.fail_next(reply)
        provider = TokenProvider(NOW)
        inputs = provider.check({}, {"scimToken": SPECIAL, "tenantUrl": stand_in.url}).inputs
        with pytest.raises(ProviderError) as raised:
            provider.create(inputs)
    return str(raised.value)


@pytest.mark.parametrize(
    "encoded",
    [quote(SPECIAL, safe=""), "".join(map(scanner.lower_percent, SPECIAL)), quote_plus(SPECIAL)],
    ids=["quote", "lower-case hex", "quote_plus"],
)
def test_a_url_encoded_token_in_a_druva_401_detail_is_redacted(encoded):
    message = _druva_failure(scim_error(401, f"invalid token={encoded}&scope=scim"))
    assert "rejected the token (HTTP 401: invalid token=[redacted]" in message
    assert scanner.survivors(message, SPECIAL) == []


def test_a_url_encoded_token_in_a_redirect_location_is_redacted():
    location = f"https://sso.example/login/{quote(SPECIAL, safe='')}/start"
    message = _druva_failure(Reply(302, b"", headers={"Location": location}))
    assert "redirected to https://sso.example/login/[redacted]/start" in message
    assert scanner.survivors(message, SPECIAL) == []


@pytest.mark.parametrize("key", ["tenantUrl", "lifetimeDays", "issuedAt"])
def test_an_escaped_token_pasted_into_another_setting_is_redacted_from_check_failures(key):
    news = {"scimToken": SPECIAL, "tenantUrl": "https://apis.druva.com/insync/scim", key: SPECIAL}
    failures = TokenProvider(NOW).check({}, news).failures
    [failure] = [f for f in failures if f.property == key]
    # Quoted and redacted, or (a long value) described without being quoted at all.
    assert PLACEHOLDER in failure.reason or "a text of" in failure.reason
    assert scanner.survivors(failure.reason, SPECIAL) == []


def test_an_escaped_token_pasted_into_another_setting_is_redacted_from_the_programs_log():
    config = {
        "druva-scim:scimToken": SPECIAL,
        "druva-scim:tenantUrl": SPECIAL,
        "druva-scim:issuedAt": json.dumps(SPECIAL),
        "druva-scim:cloud": SPECIAL,
    }
    run = run_program(config)
    assert run.error is not None and run.registrations == []
    texts = [*run.messages("error"), str(run.error)]
    for key in ("tenantUrl", "issuedAt", "cloud"):
        assert any(text.startswith(f"druva-scim:{key}:") for text in texts), key
    assert scanner.survivors("\n".join(texts), SPECIAL) == []


def test_a_redacted_operation_redacts_its_errors_whatever_their_class():
    class Echoing(StatelessProvider):
        @redacted_operation(bounded=True)
        def create(self, props):
            raise ProviderError(f"vendor said {props['scimToken']!r}")

        @redacted_operation(bounded=True)
        def delete(self, _id, props):
            raise ValueError(f"header value {props['scimToken'][:30]!r} is invalid")

    with pytest.raises(ProviderError) as created:
        Echoing().create({"scimToken": SPECIAL})
    with pytest.raises(ProviderError) as deleted:
        Echoing().delete("id", {"scimToken": SPECIAL})
    for raised in (created, deleted):
        assert PLACEHOLDER in str(raised.value)
        assert scanner.survivors(str(raised.value), SPECIAL) == []
    assert str(deleted.value).startswith("ValueError: header value '[redacted]")


DAMAGED = "cReDeNtIaL-fRoM-a-DaMaGeD\npAsTe-4f2a9c7e1b3d"


def _no_value(message: str, value: str = DAMAGED) -> None:
    for line in value.splitlines():
        assert scanner.survivors(message, line) == [], message
    assert "Traceback" not in message and 'File "' not in message


@pytest.mark.parametrize("variable", ["OKTA_API_TOKEN", "OKTA_ACCESS_TOKEN"])
def test_a_damaged_okta_credential_is_named_never_shown(okta_stand_in, variable):
    with pytest.raises(ProviderError) as raised:
        OktaCheck({variable: DAMAGED}).create(okta_inputs(okta_stand_in.url, scimToken=TOKEN))
    message = str(raised.value)
    assert message.startswith(f"{variable} contains white space or control characters inside it")
    assert "set it again" in message
    _no_value(message)
    assert okta_stand_in.requests == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [("OKTA_API_CLIENT_ID", "0oa\nSvc1"), ("OKTA_API_PRIVATE_KEY_ID", "kid\u20141")],
)
def test_a_damaged_okta_id_is_named_before_anything_is_signed(okta_stand_in, variable, value):
    environ = {"OKTA_API_CLIENT_ID": "0oaSvc1", "OKTA_API_PRIVATE_KEY": "unused", variable: value}
    with pytest.raises(ProviderError, match=f"^{variable} contains"):
        OktaCheck(environ).create(okta_inputs(okta_stand_in.url, scimToken=TOKEN))
    assert okta_stand_in.requests == []


def test_a_damaged_okta_api_token_through_the_host_gives_a_message_not_a_traceback(okta_stand_in):
    with ProviderHost(env={"OKTA_API_TOKEN": DAMAGED}) as host:
        news = {**okta_inputs(okta_stand_in.url), "scimToken": TOKEN}
        news["__provider"] = serialized(OktaCheck())
        inputs = from_struct(host.check(OKTA_URN, {}, news).inputs)
        with pytest.raises(grpc.RpcError) as raised:
            host.create(OKTA_URN, inputs)
        details = raised.value.details()
        assert "OKTA_API_TOKEN contains white space or control characters inside it" in details
        _no_value(details)
        _no_value(host.stderr())
    assert okta_stand_in.requests == []


IDS = {"ARM_TENANT_ID": "11111111-2222-4333-8444-555555555555", "ARM_CLIENT_ID": "c-1"}


def _files(tmp_path, variable: str) -> dict[str, str]:
    path = tmp_path / "credential"
    path.write_text(DAMAGED + "\n")
    return {variable: str(path)}


@pytest.mark.parametrize(
    ("variable", "environ"),
    [
        ("ARM_CLIENT_SECRET", lambda _: {"ARM_CLIENT_SECRET": DAMAGED}),
        ("ARM_OIDC_TOKEN", lambda _: {"ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": DAMAGED}),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            lambda _: {
                "ARM_USE_OIDC": "true",
                "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/token",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DAMAGED,
            },
        ),
        (
            "ARM_CLIENT_SECRET_FILE_PATH",
            lambda tmp: _files(tmp, "ARM_CLIENT_SECRET_FILE_PATH"),
        ),
        (
            "ARM_OIDC_TOKEN_FILE_PATH",
            lambda tmp: {"ARM_USE_OIDC": "true", **_files(tmp, "ARM_OIDC_TOKEN_FILE_PATH")},
        ),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            lambda tmp: {"ARM_USE_OIDC": "true", **_files(tmp, "AZURE_FEDERATED_TOKEN_FILE")},
        ),
    ],
)
def test_a_damaged_azure_credential_is_named_never_shown(tmp_path, monkeypatch, variable, environ):
    # Should anything reach for a sign-in service, it meets a closed loopback port.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    with Graph(BEARER) as stand_in:
        stand_in.jobs[SP] = [job(JOB, "scim")]
        provider = AzureCheck({**IDS, **environ(tmp_path)})
        with pytest.raises(ProviderError) as raised:
            provider.create(azure_inputs(stand_in.url, scimToken=TOKEN))
        assert stand_in.requests == []
    message = str(raised.value)
    assert variable in message
    assert "contains white space or control characters inside it" in message
    _no_value(message)


def test_credentials_of_the_environment_are_redacted_from_every_provider_text(capfd):
    secret = "aRm-ClIeNt-SeCrEt-8c1f4e2a9b7d"

    class Echoing(StatelessProvider):
        def environment(self):
            return {"ARM_CLIENT_SECRET": secret, "OKTA_API_TOKEN": "unrelated-okta-token-value"}

        @redacted_operation(bounded=True)
        def create(self, props):
            say(f"sign-in echoed {quote(secret)}")
            raise ProviderError(f"AADSTS7000215: Invalid client secret {secret[:12]}…")

    with pytest.raises(ProviderError) as raised:
        Echoing().create({})
    assert scanner.survivors(str(raised.value) + capfd.readouterr().err, secret) == []


@pytest.fixture
def okta_stand_in() -> Iterator[Okta]:
    with Okta("not-the-damaged-one-00aa11bb22cc") as stand_in:
        stand_in.add_app(OKTA_APP)
        yield stand_in


def test_a_short_passphrase_does_not_blank_the_programs_advice(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "pulumi")
    run = run_program({"druva-scim:issuedAt": "2026-11-20T00:00:00Z"})
    [message] = run.messages("error")
    assert "`pulumi config set --secret druva-scim:scimToken`" in message
    assert PLACEHOLDER not in message


def test_the_passphrase_is_redacted_from_the_rotation_helpers_child_output(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct-horse")
    said = cli.child_message("error: passphrase correct-horse is wrong", rotate.never_shown(TOKEN))
    assert said == f"error: passphrase {PLACEHOLDER} is wrong"


def test_every_value_of_a_secret_setting_is_redacted_from_the_programs_log():
    password = "83920174650192837"
    apps = [{"name": "druva", "servicePrincipalId": SP, "extraSecrets": {"Password": password}}]
    # As a number (refused, quoted), and as text beside a setting that is refused and quoted.
    for value in (json.dumps(apps).replace(f'"{password}"', password), json.dumps(apps)):
        config = {
            "druva-scim:scimToken": TOKEN,
            "druva-scim:issuedAt": "2026-11-20T00:00:00Z",
            "druva-scim:azureApps": value,
            "druva-scim:cloud": password,
        }
        run = run_program(config, ("druva-scim:scimToken", "druva-scim:azureApps"))
        texts = [*run.messages("error"), str(run.error)]
        assert any(text.startswith("druva-scim:cloud: ") for text in texts)
        assert any(PLACEHOLDER in text for text in texts)
        assert password not in "\n".join(texts), texts
        assert all(text.startswith("druva-scim:") for text in run.messages("error"))


def test_a_mebibyte_error_full_of_escapes_becomes_a_message_within_a_cpu_budget():
    """Redaction runs after the last byte, where no socket deadline reaches: the vendor's
    text is cut before it is redacted (about 18 s of CPU before, for this body)."""
    unit = "%25255C%255Cu0041&amp;#65;&#37;41\\\\u0041%26amp%3B "
    escapes = unit * ((1024 * 1024 - 4096) // len(json.dumps(unit)))
    detail = f"invalid token {quote(SPECIAL, safe='')} " + escapes + SPECIAL
    started = time.process_time()
    message = _druva_failure(scim_error(401, detail))
    assert time.process_time() - started < 2.0
    assert "rejected the token (HTTP 401: invalid token [redacted]" in message
    assert scanner.survivors(message, SPECIAL) == []


def test_a_long_child_output_shows_its_own_last_lines_redacted():
    # Redaction reads a bounded text: the lines shown must come from the end, still redacted.
    stderr = "progress\n" * 20_000 + f"error: the stack is locked; token {TOKEN}\n"
    said = cli.child_message(stderr, rotate.never_shown(TOKEN))
    assert said.endswith(f"error: the stack is locked; token {PLACEHOLDER}")
    assert TOKEN not in said
