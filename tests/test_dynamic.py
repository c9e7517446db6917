"""What every provider method does besides its own work (providers/dynamic.py,
`redacted_operation`): its errors leave without the secrets it knows, and each of check,
create, read, update and delete runs under the policy's deadline; diff, which sends
nothing, does not. Held on every lifecycle method of the five real providers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from providers import dynamic
from providers.azure.check import AzureProvisioningCheckProvider
from providers.core.errors import DeadlineError, ProviderError
from providers.core.redaction import PLACEHOLDER
from providers.druva.token import ScimTokenProvider
from providers.manual.handoff import ManualHandoffProvider
from providers.okta.check import OktaConnectionCheckProvider
from providers.okta.handoff import OktaManualHandoffProvider
from tests.doubles import TOKEN

PROVIDERS = [
    ScimTokenProvider,
    OktaManualHandoffProvider,
    ManualHandoffProvider,
    AzureProvisioningCheckProvider,
    OktaConnectionCheckProvider,
]
HOST_SECRET = "hOsT-cLiEnT-sEcReT-3f9a1c7e5b2d"
"""A credential of the provider host's environment."""
BOUNDED = {
    "check": lambda provider, props: provider.check({}, props),
    "create": lambda provider, props: provider.create(props),
    "read": lambda provider, props: provider.read("id", props),
    "update": lambda provider, props: provider.update("id", props, props),
    "delete": lambda provider, props: provider.delete("id", props),
}
INPUT_KEYS = (
    "tenantUrl",
    "issuedAt",
    "lifetimeDays",
    "rotateBeforeDays",
    "kind",
    "appName",
    "appId",
    "consoleUrl",
    "orgUrl",
    "servicePrincipalId",
    "graphUrl",
    "tenantId",
    "clientId",
    "tokenFingerprint",
    "expectedFingerprint",
    "confirmedFingerprint",
)
"""Every input of the five resources but the token."""


@pytest.fixture
def deadlines(monkeypatch) -> list[float]:
    """Each operation's deadline, which overruns at once with the host's credential in its
    message."""
    monkeypatch.setenv("ARM_CLIENT_SECRET", HOST_SECRET)
    started: list[float] = []

    @contextlib.contextmanager
    def overrunning(seconds: float) -> Iterator[None]:
        started.append(seconds)
        raise DeadlineError(f"did not finish within {seconds:g} s; the host said {HOST_SECRET}")
        yield

    monkeypatch.setattr(dynamic, "deadline", overrunning)
    return started


@pytest.mark.parametrize("method", sorted(BOUNDED))
@pytest.mark.parametrize("provider_class", PROVIDERS, ids=lambda cls: cls.__name__)
def test_each_operation_but_diff_runs_under_the_deadline_and_its_error_leaves_redacted(
    provider_class, method, deadlines
):
    provider = provider_class()
    with pytest.raises(DeadlineError) as raised:
        BOUNDED[method](provider, {"scimToken": TOKEN})
    assert deadlines == [provider.http_policy.deadline_seconds]
    message = str(raised.value)
    assert HOST_SECRET not in message and PLACEHOLDER in message


class Quoting:
    """An input that, compared, fails with the token in its message."""

    def __eq__(self, other: object) -> bool:
        raise ValueError(f"cannot compare with {TOKEN}")

    def __ne__(self, other: object) -> bool:
        raise ValueError(f"cannot compare with {TOKEN}")

    def __hash__(self) -> int:
        return 0


@pytest.mark.parametrize("provider_class", PROVIDERS, ids=lambda cls: cls.__name__)
def test_diff_runs_outside_the_deadline_and_its_error_leaves_redacted(provider_class, deadlines):
    provider = provider_class()
    plain = dict.fromkeys(INPUT_KEYS, "x")
    assert provider.diff("id", plain, plain).changes is False
    news = {"scimToken": TOKEN, **{key: Quoting() for key in INPUT_KEYS}}
    with pytest.raises(ProviderError) as raised:
        provider.diff("id", plain, news)
    assert deadlines == []
    assert str(raised.value) == f"ValueError: cannot compare with {PLACEHOLDER}"


# Times a state recorded are carried through an update as recorded: a state written by an older
# version or edited by hand keeps its text, and an unreadable one never restarts a hand-off's
# clock.
RECORDED = ("2026-01-05T10:00:00.250+01:00", "2026-01-05T09:00:00Z", "not a time")


@pytest.mark.parametrize("recorded", RECORDED)
def test_a_hand_off_still_waiting_for_the_same_token_keeps_its_recorded_pending_since(recorded):
    olds = {
        "appName": "Druva",
        "appId": "0oa1",
        "orgUrl": "https://acme.okta.com",
        "expectedFingerprint": "aaaa",
        "confirmedFingerprint": None,
        "pending": True,
        "pendingSince": recorded,
    }
    news = {key: olds[key] for key in ("appId", "orgUrl", "expectedFingerprint")}
    news |= {"appName": "Druva (renamed)", "confirmedFingerprint": None}
    outs = OktaManualHandoffProvider().update("0oa1-handoff", olds, news).outs or {}
    assert (outs["pending"], outs["pendingSince"], outs["appName"]) == (
        True,
        recorded,
        "Druva (renamed)",
    )


@pytest.mark.parametrize("recorded", RECORDED)
def test_a_checks_rename_keeps_the_time_it_recorded(recorded):
    azure = {
        "appName": "Druva",
        "servicePrincipalId": "11111111-2222-3333-4444-555555555555",
        "tokenFingerprint": "aaaa",
        "graphUrl": "https://graph.microsoft.com",
        "tenantId": None,
        "clientId": None,
        "lastValidatedAt": recorded,
        "jobId": "scim.1",
        "restartedFromQuarantine": False,
        "actions": [],
    }
    okta = {
        "appName": "Druva",
        "appId": "0oa1",
        "orgUrl": "https://acme.okta.com",
        "tokenFingerprint": "aaaa",
        "lastVerifiedAt": recorded,
        "status": "ENABLED",
    }
    for provider, olds, key in (
        (AzureProvisioningCheckProvider(), azure, "lastValidatedAt"),
        (OktaConnectionCheckProvider(), okta, "lastVerifiedAt"),
    ):
        outs = provider.update("id", olds, {**olds, "appName": "Druva (renamed)"}).outs or {}
        assert (outs[key], outs["appName"]) == (recorded, "Druva (renamed)")
