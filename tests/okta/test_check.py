"""Okta's connection check, in-process against the Okta stand-in and through the SDK's provider
host (providers/okta/check.py)."""

from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import provider_pb2

from providers.core import resource_types
from providers.core.errors import ProviderError
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.stand_ins.okta import Okta, key_pair
from tests.doubles import OKTA_API_TOKEN as OKTA_TOKEN
from tests.doubles import (
    OKTA_APP,
    OktaCheck,
    created,
    updated,
    urn,
)
from tests.doubles import OTHER_FINGERPRINT as NEW_FINGERPRINT
from tests.doubles import okta_check_inputs as okta_inputs

SIGNED_IN = {"OKTA_API_TOKEN": OKTA_TOKEN}
"""The Okta check's environment in this process: an API token the stand-in accepts."""


@pytest.fixture
def okta() -> Iterator[Okta]:
    with Okta(OKTA_TOKEN) as stand_in:
        stand_in.add_app(OKTA_APP)
        yield stand_in


def test_okta_create_reads_back_an_enabled_token_connection(okta):
    result = OktaCheck(SIGNED_IN).create(okta_inputs(okta.url))
    assert result.id == OKTA_APP and result.outs is not None
    assert result.outs["status"] == "ENABLED"
    assert result.outs["lastVerifiedAt"] == "2026-11-22T12:00:00Z"
    assert okta.requests[0].authorization == f"SSWS {OKTA_TOKEN}"
    assert OKTA_TOKEN not in repr(result.outs)


def test_okta_disabled_connection_fails(okta):
    okta.add_app(OKTA_APP, status="DISABLED")
    with pytest.raises(ProviderError, match=r"Druva \(Okta\).*is DISABLED"):
        OktaCheck(SIGNED_IN).create(okta_inputs(okta.url))


def test_okta_wrong_scheme_fails(okta):
    okta.add_app(OKTA_APP, auth_scheme="OAUTH2")
    with pytest.raises(ProviderError, match="OAUTH2"):
        OktaCheck(SIGNED_IN).create(okta_inputs(okta.url))


def test_okta_service_app_through_the_provider(okta):
    private, public = key_pair()
    okta.add_service_app("0oaSvc1", public, "kid-1")
    environ = {
        "OKTA_API_CLIENT_ID": "0oaSvc1",
        "OKTA_API_PRIVATE_KEY": private,
        "OKTA_API_PRIVATE_KEY_ID": "kid-1",
    }
    outs = created(OktaCheck(environ), okta_inputs(okta.url))
    assert outs["status"] == "ENABLED" and len(okta.assertions) == 1
    assert okta.requests[-1].authorization.startswith("Bearer ")


def test_okta_update_verifies_only_when_the_token_or_target_changed(okta):
    first = created(OktaCheck(SIGNED_IN), okta_inputs(okta.url))
    updated(OktaCheck(SIGNED_IN), first, okta_inputs(okta.url, appName="renamed"))
    assert len(okta.requests) == 1
    updated(OktaCheck(SIGNED_IN), first, okta_inputs(okta.url, tokenFingerprint=NEW_FINGERPRINT))
    assert len(okta.requests) == 2


def test_okta_check_refuses_a_plain_http_org_and_a_missing_app_id():
    result = OktaCheck(SIGNED_IN).check({}, okta_inputs("http://acme.okta.com", appId=""))
    assert sorted(f.property for f in result.failures) == ["appId", "orgUrl"]


OKTA_URN = urn(resource_types.OKTA_CHECK, "druva-okta-acme")


def test_okta_check_through_the_host_signs_in_from_its_environment(okta):
    with ProviderHost(env={"OKTA_API_TOKEN": OKTA_TOKEN}) as host:
        news = {**okta_inputs(okta.url + "/"), "__provider": serialized(OktaCheck())}
        checked = host.check(OKTA_URN, {}, news)
        assert list(checked.failures) == []
        inputs = from_struct(checked.inputs)
        assert inputs["orgUrl"] == okta.url
        state = from_struct(host.create(OKTA_URN, inputs).properties)
        assert state["status"] == "ENABLED"
        assert host.diff(OKTA_URN, OKTA_APP, state, inputs).changes == (
            provider_pb2.DiffResponse.DIFF_NONE
        )
        rotated = {**inputs, "tokenFingerprint": NEW_FINGERPRINT}
        assert host.diff(OKTA_URN, OKTA_APP, state, rotated).changes == (
            provider_pb2.DiffResponse.DIFF_SOME
        )
        assert okta.requests[0].authorization == f"SSWS {OKTA_TOKEN}"
        assert OKTA_TOKEN not in host.stderr()


def test_okta_check_refuses_an_org_url_whose_host_is_not_ascii():
    result = OktaCheck(SIGNED_IN).check({}, okta_inputs("https://\u2603.okta.com"))
    [failure] = result.failures
    assert failure.property == "orgUrl"
    assert "host that is not plain ASCII" in failure.reason and "xn--" in failure.reason
