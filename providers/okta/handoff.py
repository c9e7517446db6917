"""Program and provider host: a manual Okta hand-off, tracked in the stack: which token an admin
still has to paste.

Okta's connection API accepts tokens only for the integrations it lists, so a
custom SCIM app (the OIN app "Druva 2.0", or a custom SAML app with SCIM such as
Druva GovCloud's) gets its token by hand in the Admin Console. The record and its
lifecycle are every hand-off's (providers/manual/handoff.py); this type keeps the
token, the inputs and the class path that existing stacks hold. In the order
provider, inputs, resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from providers.core import resource_types
from providers.dynamic import ArgsResource
from providers.manual.handoff import HandoffProvider

TYPE_TOKEN = resource_types.OKTA_HANDOFF
DESCRIBED = ("appName", "appId", "orgUrl")


class OktaManualHandoffProvider(HandoffProvider):
    """The hand-off of one manual `oktaApps` entry."""

    # Existing stacks' state names the class here: providers/handoff.py re-exports it.
    __module__ = "providers.handoff"
    described = DESCRIBED

    def resource_id(self, props: Mapping[str, Any]) -> str:
        return f"{props['appId']}-handoff"


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
    ArgsResource[OktaManualHandoffArgs], module="druva", name="OktaManualHandoff"
):
    """One Okta app whose token is pasted by hand; pending until its fingerprint is confirmed."""

    pending: pulumi.Output[bool]
    pendingSince: pulumi.Output[str | None]

    outputs = ("pending", "pendingSince")
    provider_class = OktaManualHandoffProvider
