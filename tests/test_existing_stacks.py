"""Stacks made by the released program keep working: their state names our classes.

Every stack's state holds, in each dynamic resource's `__provider`, a pickle by
reference of its provider class. The provider host unpickles it from state on
Read (`pulumi refresh`) and Delete (`pulumi destroy`), so those class paths are
part of every existing stack. tests/data/state-41dcb28.json is what the released
program recorded; it goes through the SDK's real host here.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from providers.core import lifecycle
from providers.handoff import OktaManualHandoffProvider
from providers.scim_token import ScimTokenProvider
from providers.verification import AzureProvisioningCheckProvider, OktaConnectionCheckProvider
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.stand_ins.druva import DruvaScim

RECORDED = Path(__file__).parent / "data" / "state-41dcb28.json"
TOKEN = json.loads(RECORDED.read_text())["ScimToken"]["inputs"]["scimToken"]
"""The token the recording holds (the test token of its day)."""
CLASSES = {
    "ScimToken": ("providers.scim_token", ScimTokenProvider),
    "OktaManualHandoff": ("providers.handoff", OktaManualHandoffProvider),
    "AzureProvisioningCheck": ("providers.verification", AzureProvisioningCheckProvider),
    "OktaConnectionCheck": ("providers.verification", OktaConnectionCheckProvider),
}


def recorded(origin: str) -> dict[str, dict[str, Any]]:
    """The recorded state, its times moved to today (the host runs on the real clock)."""
    issued = datetime.now(UTC) - timedelta(days=3)
    life = lifecycle.lifecycle(issued, 365, 30)
    text = RECORDED.read_text()
    for placeholder, moment in {
        "{ISSUED_AT}": issued,
        "{CHECKED_AT}": issued + timedelta(days=2),
        "{EXPIRES_AT}": life.expires_at,
        "{ROTATE_AFTER}": life.rotate_after,
    }.items():
        text = text.replace(placeholder, lifecycle.format_time(moment))
    resources: dict[str, dict[str, Any]] = json.loads(text.replace("http://127.0.0.1:PORT", origin))
    return resources


@pytest.fixture(scope="module")
def druva() -> Iterator[DruvaScim]:
    with DruvaScim(TOKEN) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    with ProviderHost() as process:
        process.configure()
        yield process


def test_the_recording_covers_every_dynamic_type():
    assert sorted(json.loads(RECORDED.read_text())) == sorted(CLASSES)


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_the_type_token_and_the_class_path_have_not_moved(kind, druva):
    resource = recorded(druva.origin)[kind]
    module, provider_class = CLASSES[kind]
    assert resource["type"] == f"pulumi-python:dynamic/druva:{kind}"
    assert provider_class.__module__ == module
    # What the program registers today is the very blob existing stacks hold.
    assert serialized(provider_class()) == resource["outputs"]["__provider"]


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_unchanged_inputs_check_clean_and_diff_to_no_change(kind, host, druva):
    resource = recorded(druva.origin)[kind]
    checked = host.check(resource["urn"], resource["inputs"], resource["inputs"])
    assert [failure.reason for failure in checked.failures] == []
    news = from_struct(checked.inputs)
    diff = host.diff(resource["urn"], resource["id"], resource["outputs"], news)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, kind
    assert list(diff.replaces) == []


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_refresh_and_destroy_load_the_recorded_provider(kind, host, druva):
    resource = recorded(druva.origin)[kind]
    read = host.read(resource["urn"], resource["id"], resource["outputs"])
    assert read.id == resource["id"]
    kept = from_struct(read.properties)
    for key in ("issuedAt", "expiresAt", "pendingSince", "lastValidatedAt", "lastVerifiedAt"):
        assert kept.get(key) == resource["outputs"].get(key), key
    host.delete(resource["urn"], resource["id"], resource["outputs"])
