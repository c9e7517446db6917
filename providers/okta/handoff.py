"""Program and provider host: a manual Okta hand-off, tracked in the stack: which token an admin
still has to paste.

Okta's connection API accepts tokens only for the integrations it lists, so a
custom SCIM app gets its token by hand in the Admin Console. This resource
remembers since when the current token has been waiting for that, so warnings,
the gate and the policy pack can say how long. It calls nothing: no network.
In the order inputs, resource, provider, and the state it computes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi
from pulumi import dynamic

from providers.core import lifecycle, resource_types
from providers.dynamic import ArgsResource, StatelessProvider

TYPE_TOKEN = resource_types.OKTA_HANDOFF
INPUT_KEYS = ("appName", "appId", "orgUrl", "expectedFingerprint", "confirmedFingerprint")


@dataclass(frozen=True)
class OktaManualHandoffArgs:
    app_name: str
    app_id: str
    org_url: str | None
    expected_fingerprint: pulumi.Input[str]
    """The fingerprint of the token the stack holds now."""
    confirmed_fingerprint: str | None
    """The fingerprint an admin confirmed pasting (config `confirmedFingerprint`)."""


class OktaManualHandoff(
    ArgsResource[OktaManualHandoffArgs],
    module=resource_types.DYNAMIC_MODULE,
    name="OktaManualHandoff",
):
    """One Okta app whose token is pasted by hand; pending until its fingerprint is confirmed."""

    pending: pulumi.Output[bool]
    pendingSince: pulumi.Output[str | None]

    outputs = ("pending", "pendingSince")

    def default_provider(self) -> OktaManualHandoffProvider:
        return OktaManualHandoffProvider()


class OktaManualHandoffProvider(StatelessProvider):
    """Pure bookkeeping: no network in any step."""

    # Existing stacks' state names the class here: providers/handoff.py re-exports it.
    __module__ = resource_types.state_module(TYPE_TOKEN)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = any(olds.get(key) != news.get(key) for key in INPUT_KEYS)
        return dynamic.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(
            id_=f"{props['appId']}-handoff", outs=handoff_state({}, props, self.clock.now())
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(handoff_state(olds, news, self.clock.now()))


def handoff_state(
    olds: Mapping[str, Any], news: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Pending while the confirmed fingerprint differs; the clock starts when the token changes."""
    pending = news.get("confirmedFingerprint") != news.get("expectedFingerprint")
    same_wait = (
        olds.get("pending") is True
        and olds.get("expectedFingerprint") == news.get("expectedFingerprint")
        and isinstance(olds.get("pendingSince"), str)
    )
    since = olds["pendingSince"] if same_wait else lifecycle.format_time(now)
    return {
        **{key: news.get(key) for key in INPUT_KEYS},
        "pending": pending,
        "pendingSince": since if pending else None,
    }
