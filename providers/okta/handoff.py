"""Program and provider host: a manual Okta hand-off, tracked in the stack: which token an admin
still has to paste.

Okta's connection API accepts tokens only for the integrations it lists, so a
custom SCIM app gets its token by hand in the Admin Console. This resource
remembers since when the current token has been waiting for that, so warnings,
the gate and the policy pack can say how long. It calls nothing: no network.
In the order inputs, typed state, provider, resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi
from pulumi import dynamic

from providers.core import lifecycle, resource_types
from providers.dynamic import ArgsResource, StatelessProvider, redacted_operation

TYPE_TOKEN = resource_types.OKTA_HANDOFF


@dataclass(frozen=True)
class OktaManualHandoffArgs:
    app_name: str
    app_id: str
    org_url: str | None
    expected_fingerprint: pulumi.Input[str]
    """The fingerprint of the token the stack holds now."""
    confirmed_fingerprint: str | None
    """The fingerprint an admin confirmed pasting (config `confirmedFingerprint`)."""


@dataclass(frozen=True)
class HandoffInputs:
    """The hand-off's inputs, typed (None for one a state recorded before it existed)."""

    app_name: str | None
    app_id: str | None
    org_url: str | None
    expected_fingerprint: str | None
    confirmed_fingerprint: str | None

    @classmethod
    def from_inputs(cls, props: Mapping[str, Any]) -> HandoffInputs:
        return cls(
            app_name=props.get("appName"),
            app_id=props.get("appId"),
            org_url=props.get("orgUrl"),
            expected_fingerprint=props.get("expectedFingerprint"),
            confirmed_fingerprint=props.get("confirmedFingerprint"),
        )

    def inputs(self) -> dict[str, Any]:
        return {
            "appName": self.app_name,
            "appId": self.app_id,
            "orgUrl": self.org_url,
            "expectedFingerprint": self.expected_fingerprint,
            "confirmedFingerprint": self.confirmed_fingerprint,
        }


@dataclass(frozen=True)
class HandoffState:
    """The hand-off's record, typed: its inputs, and since when its token has waited."""

    inputs: HandoffInputs
    pending_since: datetime | None
    """None once the admin confirmed pasting the expected token."""

    @classmethod
    def from_outputs(cls, props: Mapping[str, Any]) -> HandoffState:
        since = lifecycle.parse_time_or_none(props.get("pendingSince"))
        pending = props.get("pending") is True
        return cls(HandoffInputs.from_inputs(props), since if pending else None)

    def outputs(self) -> dict[str, Any]:
        since = self.pending_since
        return {
            **self.inputs.inputs(),
            "pending": since is not None,
            "pendingSince": lifecycle.format_time(since) if since else None,
        }


def handoff_state(
    olds: Mapping[str, Any], news: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The state after `news` (olds empty on create; also the testbed's engine-like mocks'):
    pending while the confirmed fingerprint differs; the clock starts when the token changes."""
    previous = HandoffState.from_outputs(olds)
    inputs = HandoffInputs.from_inputs(news)
    since = lifecycle.waiting_since(
        inputs.expected_fingerprint,
        inputs.confirmed_fingerprint,
        previous.inputs.expected_fingerprint,
        previous.pending_since,
        now,
    )
    return HandoffState(inputs, since).outputs()


class OktaManualHandoffProvider(StatelessProvider):
    """Pure bookkeeping: no network in any step.

    Check, Read and Delete do what the SDK's defaults would (pulumi/pulumi
    sdk/python/lib/pulumi/dynamic/dynamic.py at 1b5949891b3cefcb9974752b24a5ecef0acc86c8,
    `ResourceProvider`: check returns `CheckResult(news, [])`, read `ReadResult(id_, props)`,
    delete nothing), written out so that each says why and runs redacted like the others.
    """

    # Existing stacks' state names the class here: providers/handoff.py re-exports it.
    __module__ = resource_types.state_module(TYPE_TOKEN)

    @redacted_operation(bounded=True)
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        # The program builds these inputs from settings it has already checked (okta/wiring.py).
        return dynamic.CheckResult(news, [])

    @redacted_operation(bounded=False)
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = HandoffState.from_outputs(olds).inputs != HandoffInputs.from_inputs(news)
        return dynamic.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    @redacted_operation(bounded=True)
    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(
            id_=f"{props['appId']}-handoff", outs=handoff_state({}, props, self.clock.now())
        )

    @redacted_operation(bounded=True)
    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        # Nothing outside the stack to read: only an admin knows whether the token was pasted.
        return dynamic.ReadResult(id_, props)

    @redacted_operation(bounded=True)
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(handoff_state(olds, news, self.clock.now()))

    @redacted_operation(bounded=True)
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # A record in the stack; nothing exists outside it to remove.
        return None


class OktaManualHandoff(
    ArgsResource[OktaManualHandoffArgs], module="druva", name="OktaManualHandoff"
):
    """One Okta app whose token is pasted by hand; pending until its fingerprint is confirmed."""

    pending: pulumi.Output[bool]
    pendingSince: pulumi.Output[str | None]

    outputs = ("pending", "pendingSince")
    provider_class = OktaManualHandoffProvider
