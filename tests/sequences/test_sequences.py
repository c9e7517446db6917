"""Issue 9: what the engine does across runs, against the program, the provider host and
the stand-ins; the generated sequences (tests/evidence/sequences.py) and each listed case."""

from collections.abc import Iterator
from dataclasses import replace
from importlib import metadata

import pytest

from providers.core import gate, lifecycle
from providers.core.resource_types import MANUAL_HANDOFF, SCIM_TOKEN
from providers.core.resource_types import OKTA_HANDOFF as HANDOFF
from tests.evidence import sequences
from tests.sequences import world as stage
from tests.sequences.engine_model import Outcome, Resource, Step
from tests.sequences.vendors import CONNECTION, SYNC_SECRET

SP = stage.SERVICE_PRINCIPALS
CANNOT_CHECK = ("403 from a proxy (no SCIM body)", "503", "timeout")


@pytest.fixture(scope="module")
def shared() -> Iterator[stage.Services]:
    with stage.services() as started:
        yield started


def world(shared: stage.Services, **stack: object) -> stage.World:
    return stage.World(shared, stage.Stack(**stack))  # type: ignore[arg-type]


def up(world: stage.World) -> Outcome:
    outcome = world.up()
    assert outcome.ok, outcome.failure or outcome.error
    return outcome


def holds_token(world: stage.World, sp: str, extras: bool = False) -> bool:
    wanted = {"BaseAddress": world.services.druva.url, "SecretToken": world.stack.token}
    wanted.update(stage.EXTRAS if extras else {})
    saved = world.services.graph.secrets.get(sp, {})
    return all(saved.get(key) == value for key, value in wanted.items())


def settled(world: stage.World, outcome: Outcome) -> None:
    """No invariant broken, and a second up takes no steps."""
    assert world.problems(outcome) == []
    again = up(world)
    assert again.changes() == []


# --- the generated sequences --------------------------------------------------------------


def test_generated_sequences_hold_every_invariant(capsys):
    found, failure = sequences.explored()
    with capsys.disabled():
        print(
            f"\nsequences: {found.sequences} sequences, {sum(found.actions.values())} actions, "
            f"{found.ups} ups explored in {found.seconds:.1f} s"
        )
    assert failure is None, failure
    assert found.sequences >= 20 and found.ups >= 100


# --- each case issue 9 lists ----------------------------------------------------------------


def test_renaming_an_azure_app_keeps_its_credentials(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0], extras=True)])
    up(w)
    w.stack.azure[0] = replace(w.stack.azure[0], name="druva-prod")
    settled(w, up(w))
    assert holds_token(w, SP[0], extras=True)


@pytest.mark.parametrize(("before", "after"), [(None, "contoso"), ("contoso", None)])
def test_moving_an_azure_app_between_default_and_named_tenant_keeps_its_credentials(
    shared, before, after
):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0], tenant=before)])
    up(w)
    w.stack.azure[0] = replace(w.stack.azure[0], tenant=after)
    writes = len(w.services.graph.secret_writes)
    outcome = up(w)
    # providerChanged: azuread's DiffConfig replaces for no config key, so the resource's own
    # diff decides, and the same inputs are no change.
    assert ("same", "azure-druva") in [(s.op, s.urn.rsplit("::", 1)[1]) for s in outcome.steps]
    assert w.services.graph.secret_writes[writes:] == []
    settled(w, outcome)
    assert holds_token(w, SP[0])


def test_swapping_two_azure_apps_names_keeps_both_credentials(shared):
    w = world(shared, azure=[stage.AzureEntry("one", SP[0]), stage.AzureEntry("two", SP[1])])
    up(w)
    w.stack.azure = [stage.AzureEntry("two", SP[0]), stage.AzureEntry("one", SP[1])]
    settled(w, up(w))
    assert holds_token(w, SP[0]) and holds_token(w, SP[1])


def test_a_rename_and_a_rotation_in_one_change_leave_the_new_token(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0])])
    up(w)
    w.advance(10)
    w.rotate()
    w.stack.azure[0] = replace(w.stack.azure[0], name="druva-prod")
    settled(w, up(w))
    assert holds_token(w, SP[0])


def test_removing_an_azure_app_leaves_its_credentials_as_they_are(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0]), stage.AzureEntry("other", SP[1])])
    up(w)
    w.stack.azure = [w.stack.azure[1]]
    outcome = up(w)
    [secret] = [s for s in outcome.steps if s.urn.endswith(f"{SYNC_SECRET}::azure-druva")]
    assert secret.op == "retain"
    assert holds_token(w, SP[0])
    assert w.blanked() == []
    settled(w, outcome)


@pytest.mark.parametrize(
    "answer", ["401 with a SCIM error", "403 with a SCIM error", *CANNOT_CHECK]
)
def test_a_refresh_that_is_not_a_200_leaves_the_token_and_its_dates(shared, answer):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0])])
    up(w)
    before = w.token_state()
    w.advance(3)
    refreshed = w.refresh(answer)
    assert refreshed.error is not None, "the refresh step fails"
    assert w.token_state() == before
    if answer in CANNOT_CHECK:
        assert "Generate a new" not in refreshed.error
    w.stack.issued_at = None  # the state alone knows the creation time now
    settled(w, up(w))
    state = w.token_state()
    assert state is not None and before is not None
    assert state["expiresAt"] == before["expiresAt"]


def test_an_up_after_the_token_left_state_stops_and_asks_for_issued_at(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0])])
    up(w)
    written = list(w.services.graph.secret_writes)
    # What a refresh that dropped the token (before issue 9) left behind.
    [urn] = [r.urn for r in w.engine.of_type(SCIM_TOKEN)]
    del w.engine.state[urn]
    w.stack.issued_at = None
    w.advance(200)
    outcome = w.up()
    assert not outcome.ok
    assert outcome.failure is not None
    assert [key for key, _ in outcome.failure.failures] == ["issuedAt"]
    assert w.token_state() is None
    assert w.services.graph.secret_writes == written


def test_renaming_a_manual_okta_app_keeps_its_pending_since(shared):
    w = world(shared, okta=[stage.OktaEntry("okta", stage.OKTA_APP_IDS[0], mode="manual")])
    up(w)
    [handoff] = w.engine.of_type(HANDOFF)
    since = handoff.outputs["pendingSince"]
    w.advance(5)
    w.stack.okta[0] = replace(w.stack.okta[0], name="okta-prod")
    outcome = up(w)
    [handoff] = w.engine.of_type(HANDOFF)
    assert handoff.outputs["pending"] is True
    assert handoff.outputs["pendingSince"] == since
    settled(w, outcome)


def test_okta_apps_default_to_manual(shared):
    w = world(shared, okta=[stage.OktaEntry("okta", stage.OKTA_APP_IDS[0])])
    outcome = up(w)
    assert w.engine.of_type(CONNECTION) == []
    [handoff] = w.engine.of_type(HANDOFF)
    assert handoff.outputs["appId"] == stage.OKTA_APP_IDS[0]
    assert outcome.run is not None
    [target] = outcome.run.exports["targets"]
    assert target["kind"] == "okta-manual"
    assert target["tokenFingerprint"] == lifecycle.fingerprint(w.stack.token)


# --- issue 20: the engine's rules, and rotations that do not finish -----------------------


def names(steps: list[Step]) -> list[tuple[str, str]]:
    return [(step.op, step.urn.rsplit("::", 1)[1]) for step in steps]


def test_default_providers_are_named_after_the_plugin_version(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0])])
    up(w)
    version = metadata.version("pulumi_azuread").split(".")
    [provider] = [r for r in w.engine.state.values() if r.type == "pulumi:providers:azuread"]
    assert provider.name == "default_" + "_".join(version[:3])


def test_a_refresh_reads_a_resource_pending_deletion(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0])])
    up(w)
    [token] = w.engine.of_type(SCIM_TOKEN)
    w.engine.condemned.append(token)
    w.services.druva.accepted = set()
    refreshed = w.refresh()
    assert [failed.urn for failed in refreshed.failures].count(token.urn) == 2


def test_an_interrupted_rotation_leaves_one_token_and_the_refresh_passes(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0])])
    up(w)
    w.advance(10)
    w.rotate()
    outcome = w.up(interrupt=lambda step: SCIM_TOKEN in step.urn and step.op != "same")
    assert outcome.interrupted
    [token] = w.engine.of_type(SCIM_TOKEN)
    assert token.outputs["scimToken"] == w.stack.token
    assert [r for r in w.engine.condemned if r.type == SCIM_TOKEN] == []
    refreshed = w.refresh()
    assert refreshed.ok, refreshed.error
    settled(w, up(w))
    assert holds_token(w, SP[0])


def test_a_mis_pasted_token_changes_nothing_and_no_message_says_generate(shared):
    w = world(shared, azure=[stage.AzureEntry("druva", SP[0])])
    up(w)
    w.rotate()
    good, w.stack.token = w.stack.token, stage.token_number(9999)
    writes = len(w.services.graph.secret_writes)
    outcome = w.up()
    assert outcome.failure is not None and SCIM_TOKEN in outcome.failure.urn
    assert "just set in druva-scim:scimToken" in outcome.failure.message
    assert w.services.graph.secret_writes[writes:] == []
    refreshed = w.refresh()  # the state still holds the old token, which Druva ended
    assert refreshed.error is not None and "finish that rotation" in refreshed.error
    assert not any(map(stage.advises_new_token, outcome.messages() + refreshed.messages()))
    w.stack.token = good
    settled(w, up(w))
    assert holds_token(w, SP[0])


def test_under_continue_on_error_one_app_refused_does_not_keep_the_token_from_another(shared):
    w = world(shared, azure=[stage.AzureEntry("one", SP[0]), stage.AzureEntry("two", SP[1])])
    up(w)
    w.rotate()
    w.services.graph.refused = frozenset({SP[0]})
    outcome = w.up()
    w.services.graph.refused = frozenset()
    assert [failed.urn.rsplit("::", 1)[1] for failed in outcome.failures] == ["azure-one"]
    assert ("skip", "azure-check-one") in names(outcome.steps)
    assert holds_token(w, SP[1]) and not holds_token(w, SP[0])
    settled(w, up(w))
    assert holds_token(w, SP[0])


def test_a_check_failure_ends_the_up_even_under_continue_on_error(shared):
    w = world(shared, azure=[stage.AzureEntry("one", SP[0]), stage.AzureEntry("two", SP[1])])
    up(w)
    written = list(w.services.graph.secret_writes)
    w.rotate(issued_at=False)  # the old token's issuedAt kept: Check refuses it
    w.stack.azure.pop()  # and an app removed: its delete would run at the end
    outcome = w.up()
    assert outcome.failure is not None and outcome.failure.failures[0][0] == "issuedAt"
    assert w.services.graph.secret_writes == written
    assert not [step for step in outcome.steps if step.op in ("delete", "retain")]
    assert len(w.engine.of_type(SYNC_SECRET)) == 2


# --- issue 19: manualApps across runs -------------------------------------------------------

ONELOGIN = stage.ManualEntry("druva-onelogin", "onelogin", stage.MANUAL_APP_IDS[0])
JUMPCLOUD = stage.ManualEntry("druva-jumpcloud", "jumpcloud", stage.MANUAL_APP_IDS[1])


def manual_handoff(world: stage.World, app: stage.ManualEntry) -> Resource:
    [record] = [r for r in world.engine.of_type(MANUAL_HANDOFF) if r.name == app.handoff]
    return record


def pending_names(outcome: Outcome) -> list[str]:
    assert outcome.run is not None
    return sorted(entry["name"] for entry in outcome.run.exports["pendingManualSteps"])


def test_renaming_a_manual_app_updates_its_hand_off_and_keeps_its_pending_since(shared):
    w = world(shared, manual=[ONELOGIN])
    up(w)
    since = manual_handoff(w, ONELOGIN).outputs["pendingSince"]
    w.advance(5)
    w.stack.manual[0] = replace(ONELOGIN, name="druva-onelogin-prod")
    outcome = up(w)
    assert ("update", ONELOGIN.handoff) in names(outcome.steps)
    record = manual_handoff(w, ONELOGIN)
    assert record.outputs["appName"] == "druva-onelogin-prod"
    assert record.outputs["pendingSince"] == since
    assert pending_names(outcome) == ["druva-onelogin-prod"]
    settled(w, outcome)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "other"},
        {"app_id": stage.MANUAL_APP_IDS[3]},
        {},  # removed in one up, added again as it was in the next
    ],
    ids=["kind", "appId", "removed and added again"],
)
def test_another_kind_or_app_id_or_a_re_added_entry_is_a_new_hand_off_pending_from_then(
    shared, change
):
    w = world(shared, manual=[ONELOGIN])
    up(w)
    w.advance(10)
    if not change:
        w.stack.manual = []
        removed = up(w)
        assert ("delete", ONELOGIN.handoff) in names(removed.steps)
        assert w.engine.of_type(MANUAL_HANDOFF) == []
        assert w.host.handoff_requests == [], "the delete is the stack's record only"
        w.advance(1)
    app = replace(ONELOGIN, **change)
    w.stack.manual = [app]
    outcome = up(w)
    steps = names(outcome.steps)
    assert ("create", app.handoff) in steps
    if change:
        assert ("delete", ONELOGIN.handoff) in steps
    assert manual_handoff(w, app).outputs["pendingSince"] == lifecycle.format_time(w.now)
    settled(w, outcome)


def test_after_a_rotation_every_unconfirmed_manual_app_is_pending_until_confirmed(shared):
    confirmed = replace(JUMPCLOUD, confirmed=lifecycle.fingerprint(stage.token_number(0)))
    w = world(shared, manual=[ONELOGIN, confirmed])
    assert pending_names(up(w)) == ["druva-onelogin"]
    w.advance(300)
    w.rotate()
    outcome = up(w)
    new = lifecycle.fingerprint(w.stack.token)
    assert outcome.run is not None
    listed = outcome.run.exports["pendingManualSteps"]
    assert sorted(entry["name"] for entry in listed) == ["druva-jumpcloud", "druva-onelogin"]
    assert all(new in entry["steps"][-1] for entry in listed)
    assert len(gate.evaluate(outcome.run.exports, w.now).handoffs) == 2
    settled(w, outcome)
    w.confirm_manual(1)
    outcome = up(w)
    assert pending_names(outcome) == ["druva-onelogin"]
    assert manual_handoff(w, JUMPCLOUD).outputs["pending"] is False
    settled(w, outcome)


@pytest.mark.parametrize("answer", ["200", "401 with a SCIM error", "timeout"])
def test_a_refresh_leaves_every_manual_hand_off_as_it_was(shared, answer):
    w = world(shared, manual=[ONELOGIN, JUMPCLOUD])
    up(w)
    before = w.handoff_records()
    w.advance(3)
    refreshed = w.refresh(answer)
    assert ("drop", ONELOGIN.handoff) not in names(refreshed.steps)
    assert w.handoff_records() == before
    assert w.host.handoff_requests == []


def test_a_rotation_interrupted_after_one_hand_off_keeps_its_clock_and_converges(shared):
    w = world(shared, manual=[ONELOGIN, JUMPCLOUD])
    up(w)
    w.rotate()
    interrupted_at = lifecycle.format_time(w.now)
    outcome = w.up(interrupt=lambda step: stage.type_of(step.urn) == MANUAL_HANDOFF)
    assert outcome.interrupted
    since = {r.name: r.outputs["pendingSince"] for r in w.engine.of_type(MANUAL_HANDOFF)}
    [first] = [name for name, at in since.items() if at == interrupted_at]
    assert w.refresh().ok
    w.advance(1)
    settled(w, up(w))
    since = {r.name: r.outputs["pendingSince"] for r in w.engine.of_type(MANUAL_HANDOFF)}
    # The hand-off updated before Ctrl-C has waited for this token since then; the other
    # starts waiting when its update runs.
    assert since.pop(first) == interrupted_at
    assert list(since.values()) == [lifecycle.format_time(w.now)]
