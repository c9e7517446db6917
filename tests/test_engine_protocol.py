"""The provider as the engine meets it: the SDK's host process, over gRPC, step by step."""

import base64
from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from providers.azure.check import AzureProvisioningCheckProvider
from providers.core import lifecycle
from providers.core.clock import SYSTEM
from providers.druva.token import ScimTokenProvider
from providers.dynamic import UNKNOWN
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.stand_ins.druva import DruvaScim
from tests.doubles import OTHER_TOKEN, TOKEN

URN = "urn:pulumi:test::druva-scim::pulumi-python:dynamic/druva:ScimToken::druva-scim-token"


@pytest.fixture(scope="module")
def stand_in() -> Iterator[DruvaScim]:
    with DruvaScim(TOKEN, OTHER_TOKEN) as druva:
        yield druva


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    with ProviderHost() as process:
        yield process


# The real provider, in the host on the system clock: a token generated yesterday.
ISSUED_AT = lifecycle.format_time(SYSTEM.now() - timedelta(days=1))


def news(url: str, provider: str, **changes):
    """The inputs the program registers; issuedAt=None leaves it out."""
    inputs = {
        "scimToken": TOKEN,
        "tenantUrl": url,
        "issuedAt": ISSUED_AT,
        "lifetimeDays": 365,
        "rotateBeforeDays": 30,
        "__provider": provider,
    }
    inputs.update(changes)
    return {key: value for key, value in inputs.items() if value is not None}


def test_the_whole_lifecycle_through_the_real_host(host, stand_in):
    provider = serialized(ScimTokenProvider())
    before = len(stand_in.requests)

    checked = host.check(URN, {}, news(stand_in.url + "/", provider))
    assert list(checked.failures) == []
    inputs = from_struct(checked.inputs)
    assert inputs["tenantUrl"] == stand_in.url
    assert inputs["issuedAt"].endswith("Z")

    created = host.create(URN, inputs)
    state = from_struct(created.properties)
    assert created.id == state["fingerprint"]
    assert state["expiresAt"] > state["rotateAfter"] > state["issuedAt"]
    assert state["__provider"] == provider
    assert len(stand_in.requests) == before + 1

    # A second run: check carries issuedAt over, diff sees nothing, Druva hears nothing.
    again = from_struct(host.check(URN, inputs, news(stand_in.url, provider, issuedAt=None)).inputs)
    assert again["issuedAt"] == inputs["issuedAt"]
    unchanged = host.diff(URN, created.id, state, again)
    assert unchanged.changes == provider_pb2.DiffResponse.DIFF_NONE
    assert len(stand_in.requests) == before + 1

    rotated_inputs = from_struct(
        host.check(URN, inputs, news(stand_in.url, provider, scimToken=OTHER_TOKEN)).inputs
    )
    rotated = host.diff(URN, created.id, state, rotated_inputs)
    assert rotated.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(rotated.replaces) == [], "a rotation is an update: state never holds two tokens"

    moved = from_struct(
        host.check(URN, inputs, news(stand_in.url, provider, rotateBeforeDays=60)).inputs
    )
    in_place = host.diff(URN, created.id, state, moved)
    assert in_place.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(in_place.replaces) == []
    updated = from_struct(host.update(URN, created.id, state, moved).properties)
    assert updated["rotateAfter"] < state["rotateAfter"]
    assert len(stand_in.requests) == before + 1, "update makes no call"

    read = host.read(URN, created.id, updated)
    assert read.id == created.id
    assert from_struct(read.properties)["lastCheckedAt"] >= state["lastCheckedAt"]
    assert len(stand_in.requests) == before + 2

    host.delete(URN, created.id, updated)
    assert len(stand_in.requests) == before + 2
    assert "no API to revoke" in host.stderr()


def test_check_failures_come_back_as_failures_not_errors(host, stand_in):
    provider = serialized(ScimTokenProvider())
    checked = host.check(
        URN, {}, news("http://apis.druva.com/x", provider, lifetimeDays=0, scimToken=" x")
    )
    properties = sorted(failure.property for failure in checked.failures)
    assert properties == ["lifetimeDays", "scimToken", "tenantUrl"]
    assert all(failure.reason.startswith("druva-scim:") for failure in checked.failures)


def rejected_create(stand_in: DruvaScim, rogue: str, env: dict[str, str] | None = None):
    """A create of a token Druva rejects, in a fresh host: its error's details, the host."""
    with ProviderHost(env=env) as host:
        provider = serialized(ScimTokenProvider())
        inputs = from_struct(
            host.check(URN, {}, news(stand_in.url, provider, scimToken=rogue)).inputs
        )
        with pytest.raises(grpc.RpcError) as raised:
            host.create(URN, inputs)
        return raised.value.details(), host.stderr()


def test_a_rejected_token_fails_create_with_a_readable_message(stand_in):
    rogue = "dRuVa-ReVoKeD-ToKeN-1234567890abcdef"
    details, stderr = rejected_create(stand_in, rogue)
    assert "rejected the token (HTTP 401" in details
    assert "Traceback" not in details and 'File "' not in details
    assert rogue not in details and rogue not in stderr


def test_refresh_of_a_superseded_token_fails_and_the_state_keeps_its_dates(stand_in):
    with ProviderHost() as host:
        provider = serialized(ScimTokenProvider())
        inputs = from_struct(host.check(URN, {}, news(stand_in.url, provider)).inputs)
        created = host.create(URN, inputs)
        state = from_struct(created.properties)
        stand_in.accepted.discard(TOKEN)
        try:
            with pytest.raises(grpc.RpcError) as raised:
                host.read(URN, created.id, state)
        finally:
            stand_in.accepted.add(TOKEN)
        details = raised.value.details()
        assert "rejected the token" in details and TOKEN not in details
        # The engine keeps the old state when Read fails; the next check still carries
        # the creation time over, so no `up` can restart the token's clock.
        again = from_struct(
            host.check(URN, inputs, news(stand_in.url, provider, issuedAt=None)).inputs
        )
        assert again["issuedAt"] == state["issuedAt"] == ISSUED_AT


def test_a_token_without_any_record_of_its_creation_stops_the_run(host, stand_in):
    provider = serialized(ScimTokenProvider())
    checked = host.check(URN, {}, news(stand_in.url, provider, issuedAt=None))
    assert [failure.property for failure in checked.failures] == ["issuedAt"]
    assert "pulumi config set druva-scim:issuedAt" in checked.failures[0].reason


def test_nothing_the_host_prints_carries_the_token(host, stand_in):
    text = host.stderr()
    for form in (TOKEN, base64.b64encode(TOKEN.encode()).decode()):
        assert form not in text


def test_druva_scim_debug_brings_the_traceback_back(stand_in):
    rogue = "dRuVa-ReVoKeD-ToKeN-debug-1234567890"
    details, _ = rejected_create(stand_in, rogue, env={"DRUVA_SCIM_DEBUG": "1"})
    assert "Traceback" in details and "rejected the token" in details
    assert rogue not in details


def test_unknown_inputs_reach_check_and_diff_as_unknowns_not_failures(host, stand_in):
    # The host deserializes Check's and Diff's inputs keeping unknowns as Unknown objects
    # (sdk/python/lib/pulumi/dynamic/__main__.py): a preview of a first run, or an app check
    # after the token's write failed under --continue-on-error, must not fail Check for them.
    token_provider = serialized(ScimTokenProvider())
    checked = host.check(URN, {}, news(stand_in.url, token_provider, scimToken=UNKNOWN))
    assert list(checked.failures) == []

    check_urn = URN.replace("ScimToken::druva-scim-token", "AzureProvisioningCheck::azure-check-a")
    inputs = {
        "appName": "a",
        "servicePrincipalId": "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        "tokenFingerprint": UNKNOWN,
        "scimToken": UNKNOWN,
        "graphUrl": "https://graph.microsoft.com",
        "tenantId": None,
        "clientId": None,
        "__provider": serialized(AzureProvisioningCheckProvider()),
    }
    checked = host.check(check_urn, {}, {k: v for k, v in inputs.items() if v is not None})
    assert list(checked.failures) == []
