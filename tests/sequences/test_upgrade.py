"""Upgrading a stack the released program (commit 41dcb28) made, through the engine model: the
docs/how-it-works.md, section "Upgrading from an earlier version".

The released program registered the same resources under the same names, except that its
Azure SynchronizationSecrets had no retainOnDelete, its hand-offs were named after the app's
name (`okta-handoff-{name}`, now `okta-handoff-{appId}` with the old name as an alias), an
Okta app without `mode` was in api mode, and each dynamic resource's `__provider` was the
released one (tests/data/state-41dcb28.json). `released()` turns a stack the current program
made into that state; the tests then run the current program on it.
"""

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from providers.core.resource_types import AZURE_CHECK, OKTA_CHECK, SCIM_TOKEN
from providers.core.resource_types import OKTA_HANDOFF as HANDOFF
from testbed import ROOT
from tests.sequences.engine_model import Resource
from tests.sequences.test_sequences import holds_token, settled, up, world
from tests.sequences.vendors import CONNECTION, SYNC_SECRET
from tests.sequences.world import (
    OKTA_APP_IDS,
    SERVICE_PRINCIPALS,
    AzureEntry,
    OktaEntry,
    Services,
    World,
    services,
)

RECORDED = json.loads((ROOT / "tests" / "data" / "state-41dcb28.json").read_text())
RELEASED_PROVIDERS = {
    record["type"]: record["inputs"]["__provider"] for record in RECORDED.values()
}
"""The released `__provider` of each dynamic type, as existing stacks hold it."""
SP = SERVICE_PRINCIPALS[0]
APP = OKTA_APP_IDS[0]


@pytest.fixture(scope="module")
def shared() -> Iterator[Services]:
    with services() as started:
        yield started


def released(w: World) -> None:
    """The state as the released program would have left this stack."""
    state: dict[str, Resource] = {}
    for current in w.engine.state.values():
        resource = current
        if resource.type == SYNC_SECRET:
            resource = replace(resource, retain_on_delete=False)
        if resource.type in (SCIM_TOKEN, HANDOFF, AZURE_CHECK, OKTA_CHECK):
            blob = {"__provider": RELEASED_PROVIDERS[resource.type]}
            resource = replace(
                resource, inputs={**resource.inputs, **blob}, outputs={**resource.outputs, **blob}
            )
        if resource.type == HANDOFF:
            old_name = f"okta-handoff-{resource.inputs['appName']}"
            resource = replace(resource, urn=f"{resource.urn.rsplit('::', 1)[0]}::{old_name}")
        state[resource.urn] = resource
    w.engine.state = state


def names(resources: list[Resource]) -> list[str]:
    return [resource.name for resource in resources]


def test_the_released_providers_are_the_ones_existing_stacks_name():
    assert sorted(RELEASED_PROVIDERS) == sorted((SCIM_TOKEN, HANDOFF, AZURE_CHECK, OKTA_CHECK))


def test_an_unchanged_up_after_upgrading_changes_nothing_in_azure_then_renames_are_safe(shared):
    w = world(
        shared,
        azure=[AzureEntry("druva", SP, extras=True)],
        okta=[OktaEntry("okta", APP, mode="manual")],
    )
    up(w)
    released(w)
    [handoff] = w.engine.of_type(HANDOFF)
    assert handoff.name == "okta-handoff-okta"
    since = handoff.outputs["pendingSince"]
    writes = len(w.services.graph.secret_writes)
    w.advance(3)

    outcome = up(w)  # the configuration unchanged, as docs/how-it-works.md says to do first
    assert w.services.graph.secret_writes[writes:] == [], "nothing written to Azure"
    [secret] = w.engine.of_type(SYNC_SECRET)
    assert secret.retain_on_delete is True
    [handoff] = w.engine.of_type(HANDOFF)
    assert handoff.name == f"okta-handoff-{APP}", "moved to its app-id name through the alias"
    assert handoff.outputs["pendingSince"] == since
    settled(w, outcome)

    w.advance(2)
    w.stack.azure[0] = replace(w.stack.azure[0], name="druva-prod")
    w.stack.okta[0] = replace(w.stack.okta[0], name="okta-prod")
    settled(w, up(w))
    assert holds_token(w, SP, extras=True)
    assert w.blanked() == []
    [handoff] = w.engine.of_type(HANDOFF)
    assert handoff.outputs["pendingSince"] == since


def test_renaming_before_that_first_up_blanks_the_credentials(shared):
    """Why docs/how-it-works.md says to run one unchanged `up` first: the old state decides a delete."""
    w = world(shared, azure=[AzureEntry("druva", SP)])
    up(w)
    released(w)
    w.stack.azure[0] = replace(w.stack.azure[0], name="druva-prod")
    up(w)
    assert w.blanked() == [SP]


def test_an_okta_app_that_relied_on_the_old_api_default_loses_its_connection_resource(shared):
    w = world(shared, okta=[OktaEntry("okta", APP, mode="api")])
    up(w)
    released(w)
    connection = dict(w.vendors.connections[APP])
    w.stack.okta[0] = replace(w.stack.okta[0], mode=None)  # no mode: api before, manual now

    outcome = up(w)
    steps = [(step.op, step.urn.rsplit("::", 1)[1]) for step in outcome.changes()]
    assert ("delete", "okta-okta") in steps
    assert w.engine.of_type(CONNECTION) == []
    assert w.vendors.connections[APP] == connection, "the okta provider only warns on delete"
    [handoff] = w.engine.of_type(HANDOFF)
    assert handoff.outputs["pending"] is True


def test_setting_mode_api_before_upgrading_keeps_the_okta_connection(shared):
    w = world(shared, okta=[OktaEntry("okta", APP, mode="api")])
    up(w)
    released(w)
    outcome = up(w)
    assert outcome.changes() == []
    assert names(w.engine.of_type(CONNECTION)) == ["okta-okta"]
    assert w.engine.of_type(HANDOFF) == []


def holding_the_bare_id(w: World, retain_on_delete: bool) -> None:
    """The state as a stack would hold a SynchronizationSecret whose servicePrincipalId is the
    bare object id: none can, since pulumi-azuread 6.x refuses it at Check (testbed/contracts.py);
    azuread's v0->v1 state upgrade would have left the resource id `/servicePrincipals/{id}`
    (migrations/synchronization_secret_resource.go), and so it stays here."""
    for urn, resource in list(w.engine.state.items()):
        if resource.type == SYNC_SECRET:
            bare = {"servicePrincipalId": SP}
            w.engine.state[urn] = replace(
                resource,
                inputs={**resource.inputs, **bare},
                outputs={**resource.outputs, **bare},
                retain_on_delete=retain_on_delete,
            )


def test_a_bare_id_in_state_with_retain_on_delete_is_replaced_without_blanking(shared):
    """`service_principal_id` is ForceNew: its new text replaces the secret, create first; the
    OLD state's retainOnDelete makes the delete a no-op, so nothing is written blank."""
    w = world(shared, azure=[AzureEntry("druva", SP)])
    up(w)
    holding_the_bare_id(w, retain_on_delete=True)
    writes = len(w.services.graph.secret_writes)

    outcome = up(w)
    steps = [(step.op, step.urn.rsplit("::", 1)[1]) for step in outcome.changes()]
    assert ("replace", "azure-druva") in steps and ("retain", "azure-druva") in steps
    assert [sp for sp, _ in w.services.graph.secret_writes[writes:]] == [SP], "one write, the new"
    assert w.blanked() == [] and holds_token(w, SP)
    [secret] = w.engine.of_type(SYNC_SECRET)
    assert secret.inputs["servicePrincipalId"] == f"/servicePrincipals/{SP}"
    settled(w, outcome)


def test_a_bare_id_in_state_without_retain_on_delete_would_be_blanked_after_the_replacement(shared):
    """What docs/azure.md writes down: without retainOnDelete in the old state, the delete that
    follows the create PUTs every key back empty on the same service principal."""
    w = world(shared, azure=[AzureEntry("druva", SP)])
    up(w)
    holding_the_bare_id(w, retain_on_delete=False)
    outcome = up(w)
    steps = [(step.op, step.urn.rsplit("::", 1)[1]) for step in outcome.changes()]
    assert ("replace", "azure-druva") in steps and ("delete", "azure-druva") in steps
    assert w.blanked() == [SP] and not holds_token(w, SP)
