"""Program and provider host: Okta's provisioning connection of an app, read back after the
token was set.

`OktaConnectionCheck` reads back an api-mode app's connection and fails unless it
is ENABLED with a TOKEN, in the order inputs, typed state, provider, resource. Okta never
returns the token (ProvisioningConnectionResponse has no such field), so this confirms
the connection, not the token itself; an app the API does not manage reads back UNKNOWN
and fails here, whatever the okta provider's Connection reported (okta/api.py). What
every check shares is `providers.checks`; signing in, `providers.okta.sign_in`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi import dynamic

from providers.checks import CheckProvider, app_label, common_failures
from providers.core import lifecycle, resource_types, settings
from providers.core.clock import SYSTEM
from providers.dynamic import UNKNOWN, ArgsResource, redacted_operation, say
from providers.http import new_session
from providers.okta import api, sign_in
from providers.okta.api import OktaRetry

TYPE_TOKEN = resource_types.OKTA_CHECK
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


@dataclass(frozen=True)
class OktaCheckInputs:
    """What Okta is asked about, typed (Check has normalised it; a state
    recorded before an input existed holds None for it)."""

    app_name: str | None
    app_id: str | None
    org_url: str | None
    token_fingerprint: str | None

    @classmethod
    def from_inputs(cls, props: Mapping[str, Any]) -> OktaCheckInputs:
        return cls(
            app_name=props.get("appName"),
            app_id=props.get("appId"),
            org_url=props.get("orgUrl"),
            token_fingerprint=props.get("tokenFingerprint"),
        )

    def inputs(self) -> dict[str, Any]:
        return {
            "appName": self.app_name,
            "appId": self.app_id,
            "orgUrl": self.org_url,
            "tokenFingerprint": self.token_fingerprint,
        }


@dataclass(frozen=True)
class OktaCheckState:
    """The check's record, typed: its inputs and what Okta answered (None where a state
    recorded nothing)."""

    inputs: OktaCheckInputs
    last_verified_at: str | None
    """RFC 3339, carried as state recorded it."""
    status: str | None

    @classmethod
    def from_outputs(cls, props: Mapping[str, Any]) -> OktaCheckState:
        return cls(
            inputs=OktaCheckInputs.from_inputs(props),
            last_verified_at=lifecycle.recorded_time(props.get("lastVerifiedAt")),
            status=props.get("status"),
        )

    def outputs(self) -> dict[str, Any]:
        return {
            **self.inputs.inputs(),
            "lastVerifiedAt": self.last_verified_at,
            "status": self.status,
        }


class OktaConnectionCheckProvider(CheckProvider):
    """Okta's provisioning connection of one app, read back: ENABLED, with a TOKEN."""

    # Existing stacks' state names the class here: providers/verification.py re-exports it.
    __module__ = "providers.verification"

    def authorization(self, org_url: str) -> sign_in.OktaAuthorization:
        """Sign in to Okta from the environment (tests supply their own environment)."""
        # Signed by the real clock, which Okta checks the assertion against; now() is
        # the time this check records.
        return sign_in.okta_authorization(
            self.environment(), org_url, self.http_policy, SYSTEM.now()
        )

    @redacted_operation(bounded=True)
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

    @redacted_operation(bounded=False)
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        # An unknown input (UNKNOWN) differs from every recorded one: a change.
        moved = OktaCheckState.from_outputs(olds).inputs != OktaCheckInputs.from_inputs(news)
        return dynamic.DiffResult(
            changes=moved, replaces=[], stables=[], delete_before_replace=False
        )

    @redacted_operation(bounded=True)
    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(id_=str(props["appId"]), outs=self.run_check(props))

    @redacted_operation(bounded=True)
    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        # A refresh does not ask Okta again: the state is the record of the last check.
        return dynamic.ReadResult(id_, props)

    @redacted_operation(bounded=True)
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        old = OktaCheckState.from_outputs(olds)
        new = OktaCheckInputs.from_inputs(news)
        # appName only renames; any other change means Okta is asked again.
        if dataclasses.replace(old.inputs, app_name=new.app_name) != new:
            return dynamic.UpdateResult(self.run_check(news))
        return dynamic.UpdateResult(dataclasses.replace(old, inputs=new).outputs())

    @redacted_operation(bounded=True)
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # A record of a check; nothing exists outside the stack to remove.
        return None

    def run_check(self, props: Mapping[str, Any]) -> dict[str, Any]:
        inputs = OktaCheckInputs.from_inputs(props)
        now = self.clock.now()
        app = str(inputs.app_name)
        org_url = str(inputs.org_url)
        policy = self.http_policy
        with new_session(policy, retry_class=OktaRetry) as session:
            authorization = self.authorization(org_url)
            read = api.get_connection(
                session, org_url, str(inputs.app_id), authorization, policy, app_name=app
            )
        connection = api.usable(read, app)
        # Okta's answer never names the token: this is the connection's state after token
        # tokenFingerprint was set, not proof that Okta holds that token.
        say(
            f"{app}: Okta's provisioning connection is {connection.status} with a "
            f"{connection.auth_scheme} after token {inputs.token_fingerprint} was set"
        )
        return OktaCheckState(inputs, lifecycle.format_time(now), connection.status).outputs()


class OktaConnectionCheck(
    ArgsResource[OktaConnectionCheckArgs], module="druva", name="OktaConnectionCheck"
):
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
