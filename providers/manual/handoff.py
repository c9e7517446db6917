"""Program and provider host: a manual hand-off, tracked in the stack: which token an admin still
has to paste into an identity provider that has no API for it.

One design for every such hand-off: the resource remembers since when the current token has
been waiting, so that warnings, the gate and the policy pack can say how long, and it calls
nothing (no network). `HandoffProvider` is its lifecycle; each type says only what names its
app (`described`) and its id. Okta's manual apps keep their own type, `OktaManualHandoff`
(providers/okta/handoff.py), as existing stacks hold it; every other identity provider's apps
(`manualApps`) get `ManualHandoff`, named after their kind and app id, never their name.
In the order typed state, provider, inputs, resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import pulumi
from pulumi import dynamic

from providers.core import lifecycle, resource_types
from providers.dynamic import ArgsResource, StatelessProvider, redacted_operation

TYPE_TOKEN = resource_types.MANUAL_HANDOFF


@dataclass(frozen=True)
class HandoffInputs:
    """A hand-off's inputs, typed (None for one a state recorded before it existed)."""

    described: tuple[tuple[str, Any], ...]
    """What names the app, by input name, in its type's order (`HandoffProvider.described`)."""
    expected_fingerprint: str | None
    confirmed_fingerprint: str | None

    @classmethod
    def from_inputs(cls, props: Mapping[str, Any], described: tuple[str, ...]) -> HandoffInputs:
        return cls(
            tuple((key, props.get(key)) for key in described),
            props.get("expectedFingerprint"),
            props.get("confirmedFingerprint"),
        )

    def inputs(self) -> dict[str, Any]:
        return {
            **dict(self.described),
            "expectedFingerprint": self.expected_fingerprint,
            "confirmedFingerprint": self.confirmed_fingerprint,
        }


@dataclass(frozen=True)
class HandoffState:
    """A hand-off's record, typed: its inputs, and since when its token has waited."""

    inputs: HandoffInputs
    pending_since: str | None
    """As state recorded it (RFC 3339, carried unparsed: a hand-edited state keeps its text);
    None once the admin confirmed pasting the expected token."""

    @classmethod
    def from_outputs(cls, props: Mapping[str, Any], described: tuple[str, ...]) -> HandoffState:
        since = lifecycle.recorded_time(props.get("pendingSince"))
        pending = props.get("pending") is True and since is not None
        return cls(HandoffInputs.from_inputs(props, described), since if pending else None)

    def outputs(self) -> dict[str, Any]:
        return {
            **self.inputs.inputs(),
            "pending": self.pending_since is not None,
            "pendingSince": self.pending_since,
        }


def tracked_state(
    olds: Mapping[str, Any], news: Mapping[str, Any], now: datetime, described: tuple[str, ...]
) -> dict[str, Any]:
    """The state after `news` (olds empty on create): pending while the confirmed fingerprint
    differs; the clock starts when the token changes, and nothing else restarts it."""
    previous = HandoffState.from_outputs(olds, described)
    inputs = HandoffInputs.from_inputs(news, described)
    since = lifecycle.waiting_since(
        inputs.expected_fingerprint,
        inputs.confirmed_fingerprint,
        previous.inputs.expected_fingerprint,
        previous.pending_since,
        lifecycle.format_time(now),
    )
    return HandoffState(inputs, since).outputs()


class HandoffProvider(StatelessProvider):
    """Pure bookkeeping: no network in any step.

    Check, Read and Delete do what the SDK's defaults would (pulumi/pulumi
    sdk/python/lib/pulumi/dynamic/dynamic.py at 1b5949891b3cefcb9974752b24a5ecef0acc86c8,
    `ResourceProvider`: check returns `CheckResult(news, [])`, read `ReadResult(id_, props)`,
    delete nothing), written out so that each says why and runs redacted like the others.
    Class attributes only: the pickle in state stays a reference to the class.
    """

    described: ClassVar[tuple[str, ...]]
    """The inputs that name the app (passed through to the outputs)."""

    def resource_id(self, props: Mapping[str, Any]) -> str:
        raise NotImplementedError

    @redacted_operation(bounded=True)
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        # The program builds these inputs from settings it has already checked (core/apps.py).
        return dynamic.CheckResult(news, [])

    @redacted_operation(bounded=False)
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        was = HandoffState.from_outputs(olds, self.described).inputs
        changed = was != HandoffInputs.from_inputs(news, self.described)
        return dynamic.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    @redacted_operation(bounded=True)
    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        outs = tracked_state({}, props, self.clock.now(), self.described)
        return dynamic.CreateResult(id_=self.resource_id(props), outs=outs)

    @redacted_operation(bounded=True)
    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        # Nothing outside the stack to read: only an admin knows whether the token was pasted.
        return dynamic.ReadResult(id_, props)

    @redacted_operation(bounded=True)
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(tracked_state(olds, news, self.clock.now(), self.described))

    @redacted_operation(bounded=True)
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # A record in the stack; nothing exists outside it to remove.
        return None


# --- the apps of `manualApps` ----------------------------------------------------------------

DESCRIBED = ("kind", "appName", "appId", "consoleUrl")


def handoff_id(props: Mapping[str, Any]) -> str:
    return f"{props['kind']}-{props['appId']}-handoff"


class ManualHandoffProvider(HandoffProvider):
    """The hand-off of one `manualApps` entry. A rename changes `appName`: an update, never a
    replace, and the clock keeps running (`tracked_state`)."""

    # State names the class here from its first release on: providers/handoff.py re-exports it.
    __module__ = "providers.handoff"
    described = DESCRIBED

    def resource_id(self, props: Mapping[str, Any]) -> str:
        return handoff_id(props)


@dataclass(frozen=True)
class ManualHandoffArgs:
    kind: str
    """One of core/apps.py MANUAL_KINDS."""
    app_name: str
    app_id: str
    console_url: str | None
    expected_fingerprint: pulumi.Input[str]
    """The fingerprint of the token the stack holds now."""
    confirmed_fingerprint: str | None
    """The fingerprint an admin confirmed pasting (config `confirmedFingerprint`)."""


class ManualHandoff(ArgsResource[ManualHandoffArgs], module="druva", name="ManualHandoff"):
    """One app of another identity provider whose token is pasted by hand; pending until its
    fingerprint is confirmed."""

    pending: pulumi.Output[bool]
    pendingSince: pulumi.Output[str | None]

    outputs = ("pending", "pendingSince")
    provider_class = ManualHandoffProvider
