"""Program and provider host: Okta's provisioning connection of an app, read back after the
token was set.

`OktaConnectionCheck` reads back an api-mode app's connection and fails unless it
is ENABLED with a TOKEN, in the order inputs, provider, resource. Okta never
returns the token (ProvisioningConnectionResponse has no such field), so this confirms
the connection, not the token itself; an app the API does not manage reads back UNKNOWN
and fails here, whatever the okta provider's Connection reported (connections.py). What
every check shares is `providers.checks`; signing in, `providers.okta.sign_in`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi import dynamic

from providers.checks import CheckProvider, app_label, common_failures, inputs_of
from providers.core import lifecycle, resource_types, settings
from providers.core.clock import SYSTEM
from providers.dynamic import UNKNOWN, ArgsResource, say
from providers.http import new_session
from providers.okta import api as connections
from providers.okta import sign_in
from providers.okta.api import OktaRetry

TYPE_TOKEN = resource_types.OKTA_CHECK
INPUT_KEYS = ("appName", "appId", "orgUrl", "tokenFingerprint")
VERIFY_KEYS = INPUT_KEYS[1:]
"""A change to any of these means Okta is asked again; appName only renames."""
OUTPUT_KEYS = ("lastVerifiedAt", "status")


@dataclass(frozen=True)
class OktaConnectionCheckArgs:
    app_name: pulumi.Input[str]
    """The app's name as the stack calls it; used in messages only."""
    app_id: pulumi.Input[str]
    """Okta's id of the Druva app (0oa...)."""
    org_url: pulumi.Input[str]
    """The Okta org, e.g. https://acme.okta.com."""
    token_fingerprint: pulumi.Input[str]
    """ScimToken.fingerprint: a new token means a new check."""
    scim_token: pulumi.Input[str]
    """ScimToken.scimToken, a secret: only to keep it, even in part, out of messages."""


class OktaConnectionCheckProvider(CheckProvider):
    """Okta's provisioning connection of one app, read back: ENABLED, with a TOKEN."""

    # Existing stacks' state names the class here: providers/verification.py re-exports it.
    __module__ = resource_types.state_module(TYPE_TOKEN)

    input_keys = INPUT_KEYS
    verify_keys = VERIFY_KEYS
    output_keys = OUTPUT_KEYS

    def authorization(self, org_url: str) -> sign_in.OktaAuthorization:
        """Sign in to Okta from the environment (tests supply their own environment)."""
        # Signed by the real clock, which Okta checks the assertion against; now() is
        # the time this check records.
        return sign_in.okta_authorization(
            self.environment(), org_url, self.http_policy, SYSTEM.now()
        )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        inputs = dict(news)
        app = app_label(news, "druva-scim:oktaApps")
        failures = common_failures(news, app)
        app_id = news.get("appId")
        if app_id != UNKNOWN and not (isinstance(app_id, str) and app_id.strip()):
            failures.append(
                dynamic.CheckFailure(
                    "appId", f"the appId of {app} must be Okta's app id (0oa...), not {app_id!r}"
                )
            )
        elif isinstance(app_id, str):
            inputs["appId"] = app_id.strip()
        url = news.get("orgUrl")
        if url != UNKNOWN:
            normalised, reason = settings.base_url(
                url, "https://example.okta.com", "the API credential"
            )
            if reason:
                failures.append(dynamic.CheckFailure("orgUrl", f"orgUrl of {app} {reason}"))
            else:
                inputs["orgUrl"] = normalised
        return dynamic.CheckResult(inputs, failures)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(id_=str(props["appId"]), outs=self.verify(props))

    def verify(self, props: Mapping[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        app = str(props["appName"])
        org_url = str(props["orgUrl"])
        policy = self.http_policy
        with new_session(policy, retry_class=OktaRetry) as session:
            authorization = self.authorization(org_url)
            read = connections.get_connection(
                session, org_url, str(props["appId"]), authorization, policy, app_name=app
            )
        connection = connections.usable(read, app)
        # Okta's answer never names the token: this is the connection's state after token
        # tokenFingerprint was set, not proof that Okta holds that token.
        say(
            f"{app}: Okta's provisioning connection is {connection.status} with a "
            f"{connection.auth_scheme} after token {props.get('tokenFingerprint')} was set"
        )
        return {
            **inputs_of(props, INPUT_KEYS),
            "lastVerifiedAt": lifecycle.format_time(now),
            "status": connection.status,
        }


class OktaConnectionCheck(ArgsResource[OktaConnectionCheckArgs], type_token=TYPE_TOKEN):
    """Okta's provisioning connection of an app, read back after the token was set."""

    appName: pulumi.Output[str]
    appId: pulumi.Output[str]
    orgUrl: pulumi.Output[str]
    tokenFingerprint: pulumi.Output[str]
    lastVerifiedAt: pulumi.Output[str]
    """When Okta last reported the connection ENABLED with a TOKEN (RFC 3339, UTC)."""
    status: pulumi.Output[str]
    """The connection's status as Okta reported it."""

    outputs = OUTPUT_KEYS
    provider_class = OktaConnectionCheckProvider
