"""A `manualApps` entry's hand-off through the SDK's real provider host: pending until its
fingerprint is confirmed, the clock kept across a rename, a new token restarting it."""

from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import provider_pb2

from providers.core import resource_types
from providers.handoff import ManualHandoffProvider
from testbed.engine import ProviderHost, from_struct, serialized

URN = f"urn:pulumi:test::druva-scim::{resource_types.MANUAL_HANDOFF}::handoff-onelogin-1234567"
OLD, NEW = "0123456789ab", "ba9876543210"


def inputs(**changes: object) -> dict[str, object]:
    return {
        "kind": "onelogin",
        "appName": "druva-onelogin",
        "appId": "1234567",
        "consoleUrl": None,
        "expectedFingerprint": OLD,
        "confirmedFingerprint": None,
        "pending": None,
        "pendingSince": None,
        "__provider": serialized(ManualHandoffProvider()),
        **changes,
    }


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    with ProviderHost() as process:
        process.configure()
        yield process


def test_a_rename_updates_in_place_and_keeps_pending_since(host):
    created = host.create(URN, inputs())
    state = from_struct(created.properties)
    assert created.id == "onelogin-1234567-handoff"
    assert state["pending"] is True and state["pendingSince"]

    renamed = inputs(appName="druva-sso")
    diff = host.diff(URN, created.id, state, renamed)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == []
    after = from_struct(host.update(URN, created.id, state, renamed).properties)
    assert after["appName"] == "druva-sso"
    assert after["pendingSince"] == state["pendingSince"]

    unchanged = host.diff(URN, created.id, after, renamed)
    assert unchanged.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_confirming_closes_it_and_a_new_token_opens_it_again(host):
    created = host.create(URN, inputs())
    state = from_struct(created.properties)
    confirmed = from_struct(
        host.update(URN, created.id, state, inputs(confirmedFingerprint=OLD)).properties
    )
    assert confirmed["pending"] is False and confirmed.get("pendingSince") is None
    rotated = inputs(expectedFingerprint=NEW, confirmedFingerprint=OLD)
    again = from_struct(host.update(URN, created.id, confirmed, rotated).properties)
    assert again["pending"] is True and again["pendingSince"]
    read = host.read(URN, created.id, again)
    assert read.id == created.id
    assert from_struct(read.properties)["pendingSince"] == again["pendingSince"]
    host.delete(URN, created.id, again)
