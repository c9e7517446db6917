"""Ask each identity provider whether it works with the new token, from its own side.

`AzureProvisioningCheck` has Azure test the saved provisioning credentials of an
enterprise app (Graph's validateCredentials, the portal's Test Connection) and
restarts a quarantined job. `OktaConnectionCheck` reads back an Okta app's
provisioning connection. Both run on create and whenever the token's
fingerprint (or where they look) changes; a second `pulumi up` with the same
token is a no-op.

Like ScimTokenProvider, the providers hold nothing: inputs are ids, URLs, the
token's fingerprint, and the token itself as a secret input used for one thing
only, to recognise it (even in part) in what a vendor says; it is never
returned, compared or sent. Credentials come from the environment of the
provider host (ARM_*, OKTA_*), read through `environment()`, `credential()` and
`authorization()`, which tests override in a subclass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import pulumi
from azure.core.credentials import TokenCredential
from pulumi import dynamic

from providers import graph, okta_api
from providers.core import apps, lifecycle, settings
from providers.host import UNKNOWN, StatelessProvider, changed, redacted, say
from providers.http import new_session

AZURE_TYPE = "pulumi-python:dynamic/druva:AzureProvisioningCheck"
OKTA_TYPE = "pulumi-python:dynamic/druva:OktaConnectionCheck"

AZURE_INPUT_KEYS = (
    "appName",
    "servicePrincipalId",
    "tokenFingerprint",
    "graphUrl",
    "tenantId",
    "clientId",
)
AZURE_VERIFY_KEYS = AZURE_INPUT_KEYS[1:]
"""A change to any of these means Azure is asked again; appName only renames."""
AZURE_OUTPUT_KEYS = ("lastValidatedAt", "jobId", "restartedFromQuarantine", "actions")

OKTA_INPUT_KEYS = ("appName", "appId", "orgUrl", "tokenFingerprint")
OKTA_VERIFY_KEYS = OKTA_INPUT_KEYS[1:]
OKTA_OUTPUT_KEYS = ("lastVerifiedAt", "status")

GUID = apps.GUID
FINGERPRINT = apps.FINGERPRINT


class _CheckProvider(StatelessProvider):
    """What both checks share: no state, a policy, a clock and an environment."""

    input_keys: ClassVar[tuple[str, ...]] = ()
    verify_keys: ClassVar[tuple[str, ...]] = ()
    output_keys: ClassVar[tuple[str, ...]] = ()

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        moved = [key for key in self.input_keys if changed(olds, news, key)]
        return dynamic.DiffResult(
            changes=bool(moved), replaces=[], stables=[], delete_before_replace=False
        )

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        # A refresh must not re-run a check that restarts jobs; the state is the record.
        return dynamic.ReadResult(id_, props)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        if any(changed(olds, news, key) for key in self.verify_keys):
            return dynamic.UpdateResult(self.verify(news))
        carried = {key: olds.get(key) for key in self.output_keys}
        return dynamic.UpdateResult({**_inputs(news, self.input_keys), **carried})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # A record of a check; nothing exists outside the stack to remove.
        return None

    def verify(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Ask the identity provider; its errors leave without the token (StatelessProvider)."""
        raise NotImplementedError


class AzureProvisioningCheckProvider(_CheckProvider):
    """Azure's Test Connection for one enterprise app, and a restart out of quarantine."""

    input_keys = AZURE_INPUT_KEYS
    verify_keys = AZURE_VERIFY_KEYS
    output_keys = AZURE_OUTPUT_KEYS

    def credential(
        self, graph_url: str, tenant_id: str | None, client_id: str | None
    ) -> TokenCredential:
        """The Azure credential for one check, from the environment (tests supply their own)."""
        return graph.azure_credential(
            self.environment(), graph_url, tenant_id, client_id, self.http_policy
        )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        inputs = dict(news)
        app = _app_label(news, "druva-scim:azureApps")
        failures = _common_failures(news, app)
        sp_id = news.get("servicePrincipalId")
        if sp_id != UNKNOWN and not (isinstance(sp_id, str) and GUID.match(sp_id.strip())):
            failures.append(
                dynamic.CheckFailure(
                    "servicePrincipalId",
                    f"the servicePrincipalId of {app} must be the enterprise app's Object ID, a "
                    f"GUID from Enterprise applications > the app > Overview, not {sp_id!r}",
                )
            )
        elif isinstance(sp_id, str):
            inputs["servicePrincipalId"] = sp_id.strip()
        url = news.get("graphUrl") or graph.DEFAULT_GRAPH_URL
        if url != UNKNOWN:
            normalised, reason = settings.base_url(url, graph.DEFAULT_GRAPH_URL, "the access token")
            if reason:
                failures.append(dynamic.CheckFailure("graphUrl", f"graphUrl of {app} {reason}"))
            elif normalised and normalised.lower().endswith(f"/{graph.API_VERSION}"):
                failures.append(
                    dynamic.CheckFailure(
                        "graphUrl",
                        f"graphUrl of {app} must be Graph's base URL without /{graph.API_VERSION}, "
                        f"like {graph.DEFAULT_GRAPH_URL}",
                    )
                )
            else:
                inputs["graphUrl"] = normalised
        for key in ("tenantId", "clientId"):
            value = news.get(key)
            if value in (None, UNKNOWN):
                continue
            if not isinstance(value, str) or not value.strip():
                failures.append(
                    dynamic.CheckFailure(
                        key,
                        f"{key} for {app} in druva-scim:azureTenants must be a tenant or "
                        "application id, or left out to use the environment's",
                    )
                )
            else:
                inputs[key] = value.strip()
        return dynamic.CheckResult(inputs, failures)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(id_=str(props["servicePrincipalId"]), outs=self.verify(props))

    def verify(self, props: Mapping[str, Any]) -> dict[str, Any]:
        now = self.now()
        app = str(props["appName"])
        sp_id = str(props["servicePrincipalId"])
        graph_url = str(props.get("graphUrl") or graph.DEFAULT_GRAPH_URL)
        credential = self.credential(graph_url, props.get("tenantId"), props.get("clientId"))
        bearer = graph.access_token(credential, graph_url)
        policy = self.http_policy
        with new_session(policy) as session:
            jobs = graph.list_jobs(session, graph_url, sp_id, bearer, policy, app_name=app)
            job = graph.provisioning_job(jobs, app_name=app, service_principal_id=sp_id)
            graph.validate_credentials(session, graph_url, sp_id, job, bearer, policy, app_name=app)
            actions = [
                f"Azure tested the saved credentials of provisioning job {job.id} "
                f"(template {job.template_id}) against Druva: accepted"
            ]
            if job.quarantined:
                reason = job.quarantine_reason()
                graph.restart_from_quarantine(
                    session, graph_url, sp_id, job, bearer, policy, app_name=app
                )
                actions.append(
                    f"restarted job {job.id} out of quarantine ({reason}) with resetScope "
                    "QuarantineState"
                )
        # Azure relays Druva's and its own texts, which may carry the token or the bearer.
        actions = [redacted(action, bearer) for action in actions]
        say(f"{app}: Azure confirmed token {props.get('tokenFingerprint')}; " + "; ".join(actions))
        return {
            **_inputs(props, AZURE_INPUT_KEYS),
            "lastValidatedAt": lifecycle.format_time(now),
            "jobId": job.id,
            "restartedFromQuarantine": job.quarantined,
            "actions": actions,
        }


class OktaConnectionCheckProvider(_CheckProvider):
    """Okta's provisioning connection of one app, read back: ENABLED, with a TOKEN."""

    input_keys = OKTA_INPUT_KEYS
    verify_keys = OKTA_VERIFY_KEYS
    output_keys = OKTA_OUTPUT_KEYS

    def authorization(self, org_url: str) -> okta_api.OktaAuthorization:
        """Sign in to Okta from the environment (tests supply their own environment)."""
        # Signed by the real clock, which Okta checks the assertion against; now() is
        # the time this check records.
        return okta_api.okta_authorization(
            self.environment(), org_url, self.http_policy, datetime.now(UTC)
        )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        inputs = dict(news)
        app = _app_label(news, "druva-scim:oktaApps")
        failures = _common_failures(news, app)
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
        now = self.now()
        app = str(props["appName"])
        org_url = str(props["orgUrl"])
        policy = self.http_policy
        with new_session(policy, retry_class=okta_api.OktaRetry) as session:
            authorization = self.authorization(org_url)
            connection = okta_api.verify_connection(
                session, org_url, str(props["appId"]), authorization, policy, app_name=app
            )
        say(
            f"{app}: Okta's provisioning connection is {connection.status} with a "
            f"{connection.auth_scheme} for token {props.get('tokenFingerprint')}"
        )
        return {
            **_inputs(props, OKTA_INPUT_KEYS),
            "lastVerifiedAt": lifecycle.format_time(now),
            "status": connection.status,
        }


def _common_failures(news: Mapping[str, Any], app: str) -> list[dynamic.CheckFailure]:
    failures: list[dynamic.CheckFailure] = []
    name = news.get("appName")
    if name != UNKNOWN and not (isinstance(name, str) and name.strip()):
        failures.append(dynamic.CheckFailure("appName", "appName must name the app, for messages"))
    fingerprint = news.get("tokenFingerprint")
    if fingerprint != UNKNOWN and not (
        isinstance(fingerprint, str) and FINGERPRINT.match(fingerprint)
    ):
        failures.append(
            dynamic.CheckFailure(
                "tokenFingerprint",
                f"tokenFingerprint of {app} must be the ScimToken's fingerprint output "
                f"({lifecycle.FINGERPRINT_HEX_DIGITS} hex digits), never the token itself",
            )
        )
    return failures


def _app_label(news: Mapping[str, Any], setting: str) -> str:
    name = news.get("appName")
    return f"app {name!r}" if isinstance(name, str) and name != UNKNOWN else f"an app in {setting}"


def _inputs(props: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {key: props.get(key) for key in keys}


def _token_secret(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    # The providers never return the token; should a state ever hold it, it is a secret.
    secret = pulumi.ResourceOptions(additional_secret_outputs=["scimToken"])
    return pulumi.ResourceOptions.merge(opts, secret)


@dataclass(frozen=True)
class AzureProvisioningCheckArgs:
    app_name: pulumi.Input[str]
    """The app's name as the stack calls it; used in messages only."""
    service_principal_id: pulumi.Input[str]
    """The enterprise app's Object ID (its service principal)."""
    token_fingerprint: pulumi.Input[str]
    """ScimToken.fingerprint: a new token means a new check."""
    scim_token: pulumi.Input[str]
    """ScimToken.scimToken, a secret: only to keep it, even in part, out of messages."""
    graph_url: pulumi.Input[str] = graph.DEFAULT_GRAPH_URL
    """Microsoft Graph's base URL; https://graph.microsoft.us in US Government clouds."""
    tenant_id: pulumi.Input[str] | None = None
    """The app's tenant when it is not the environment's (druva-scim:azureTenants)."""
    client_id: pulumi.Input[str] | None = None
    """The application to sign in as in that tenant; its secret comes from the environment."""


class AzureProvisioningCheck(dynamic.Resource, module="druva", name="AzureProvisioningCheck"):
    """Azure's own confirmation that an enterprise app's provisioning works with the token."""

    appName: pulumi.Output[str]
    servicePrincipalId: pulumi.Output[str]
    tokenFingerprint: pulumi.Output[str]
    """The token Azure confirmed, by fingerprint."""
    graphUrl: pulumi.Output[str]
    tenantId: pulumi.Output[str | None]
    clientId: pulumi.Output[str | None]
    lastValidatedAt: pulumi.Output[str]
    """When Azure last accepted the saved credentials (RFC 3339, UTC)."""
    jobId: pulumi.Output[str]
    """The provisioning job that was validated."""
    restartedFromQuarantine: pulumi.Output[bool]
    """Whether the job was in quarantine and was restarted out of it."""
    actions: pulumi.Output[list[str]]
    """What was done, in words."""

    def __init__(
        self,
        name: str,
        args: AzureProvisioningCheckArgs,
        opts: pulumi.ResourceOptions | None = None,
        provider: AzureProvisioningCheckProvider | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "appName": args.app_name,
            "servicePrincipalId": args.service_principal_id,
            "tokenFingerprint": args.token_fingerprint,
            "scimToken": pulumi.Output.secret(args.scim_token),
            "graphUrl": args.graph_url,
            "tenantId": args.tenant_id,
            "clientId": args.client_id,
            **dict.fromkeys(AZURE_OUTPUT_KEYS),
        }
        super().__init__(
            provider or AzureProvisioningCheckProvider(), name, props, _token_secret(opts)
        )


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


class OktaConnectionCheck(dynamic.Resource, module="druva", name="OktaConnectionCheck"):
    """Okta's provisioning connection of an app, read back after the token was set."""

    appName: pulumi.Output[str]
    appId: pulumi.Output[str]
    orgUrl: pulumi.Output[str]
    tokenFingerprint: pulumi.Output[str]
    lastVerifiedAt: pulumi.Output[str]
    """When Okta last reported the connection ENABLED with a TOKEN (RFC 3339, UTC)."""
    status: pulumi.Output[str]
    """The connection's status as Okta reported it."""

    def __init__(
        self,
        name: str,
        args: OktaConnectionCheckArgs,
        opts: pulumi.ResourceOptions | None = None,
        provider: OktaConnectionCheckProvider | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "appName": args.app_name,
            "appId": args.app_id,
            "orgUrl": args.org_url,
            "tokenFingerprint": args.token_fingerprint,
            "scimToken": pulumi.Output.secret(args.scim_token),
            **dict.fromkeys(OKTA_OUTPUT_KEYS),
        }
        super().__init__(
            provider or OktaConnectionCheckProvider(), name, props, _token_secret(opts)
        )
