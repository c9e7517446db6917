"""Program and provider host: Azure's own confirmation that an enterprise app's provisioning
works with the token.

`AzureProvisioningCheck` has Azure test the saved provisioning credentials of an
enterprise app (Graph's validateCredentials, the portal's Test Connection) and
restarts a job in quarantine (status code Quarantine), in the order inputs, typed
state, provider, resource. A paused job is tested too and left paused: an administrator
paused it, and starting provisioning is theirs to decide. What every check shares is
`providers.checks`; signing in, `providers.azure.sign_in`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from azure.core.credentials import TokenCredential
from pulumi import dynamic

from providers.azure import graph, sign_in
from providers.checks import CheckProvider, app_label, common_failures
from providers.core import apps, health, lifecycle, resource_types, settings
from providers.dynamic import UNKNOWN, ArgsResource, redacted, redacted_operation, say
from providers.http import new_session

TYPE_TOKEN = resource_types.AZURE_CHECK
OUTPUT_KEYS = ("lastValidatedAt", "jobId", "restartedFromQuarantine", "actions")


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


@dataclass(frozen=True)
class AzureCheckInputs:
    """What Azure is asked about, typed (Check has normalised it; a state
    recorded before an input existed holds None for it)."""

    app_name: str | None
    service_principal_id: str | None
    token_fingerprint: str | None
    graph_url: str | None
    tenant_id: str | None
    client_id: str | None

    @classmethod
    def from_inputs(cls, props: Mapping[str, Any]) -> AzureCheckInputs:
        return cls(
            app_name=props.get("appName"),
            service_principal_id=props.get("servicePrincipalId"),
            token_fingerprint=props.get("tokenFingerprint"),
            graph_url=props.get("graphUrl"),
            tenant_id=props.get("tenantId"),
            client_id=props.get("clientId"),
        )

    def inputs(self) -> dict[str, Any]:
        return {
            "appName": self.app_name,
            "servicePrincipalId": self.service_principal_id,
            "tokenFingerprint": self.token_fingerprint,
            "graphUrl": self.graph_url,
            "tenantId": self.tenant_id,
            "clientId": self.client_id,
        }


@dataclass(frozen=True)
class AzureCheckState:
    """The check's record, typed: its inputs and what Azure answered (None where a state
    recorded nothing)."""

    inputs: AzureCheckInputs
    last_validated_at: str | None
    """RFC 3339, carried as state recorded it."""
    job_id: str | None
    restarted_from_quarantine: bool | None
    actions: tuple[str, ...] | None

    @classmethod
    def from_outputs(cls, props: Mapping[str, Any]) -> AzureCheckState:
        actions = props.get("actions")
        return cls(
            inputs=AzureCheckInputs.from_inputs(props),
            last_validated_at=lifecycle.recorded_time(props.get("lastValidatedAt")),
            job_id=props.get("jobId"),
            restarted_from_quarantine=props.get("restartedFromQuarantine"),
            actions=tuple(actions) if isinstance(actions, list | tuple) else None,
        )

    def outputs(self) -> dict[str, Any]:
        return {
            **self.inputs.inputs(),
            "lastValidatedAt": self.last_validated_at,
            "jobId": self.job_id,
            "restartedFromQuarantine": self.restarted_from_quarantine,
            "actions": list(self.actions) if self.actions is not None else None,
        }


class AzureProvisioningCheckProvider(CheckProvider):
    """Azure's Test Connection for one enterprise app, and a restart out of quarantine."""

    # Existing stacks' state names the class here: providers/verification.py re-exports it.
    __module__ = "providers.verification"

    def credential(
        self, graph_url: str, tenant_id: str | None, client_id: str | None
    ) -> TokenCredential:
        """The Azure credential for one check, from the environment (tests supply their own)."""
        return sign_in.azure_credential(
            self.environment(), graph_url, tenant_id, client_id, self.http_policy
        )

    @redacted_operation(bounded=True)
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        inputs = dict(news)
        app = app_label(news, "druva-scim:azureApps")
        failures = common_failures(news, app)
        sp_id = news.get("servicePrincipalId")
        if sp_id != UNKNOWN and not (isinstance(sp_id, str) and apps.GUID.match(sp_id.strip())):
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

    @redacted_operation(bounded=False)
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        # An unknown input (UNKNOWN) differs from every recorded one: a change.
        moved = AzureCheckState.from_outputs(olds).inputs != AzureCheckInputs.from_inputs(news)
        return dynamic.DiffResult(
            changes=moved, replaces=[], stables=[], delete_before_replace=False
        )

    @redacted_operation(bounded=True)
    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(
            id_=str(props["servicePrincipalId"]), outs=self.run_check(props)
        )

    @redacted_operation(bounded=True)
    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        # A refresh must not re-run a check that restarts jobs; the state is the record.
        return dynamic.ReadResult(id_, props)

    @redacted_operation(bounded=True)
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        old = AzureCheckState.from_outputs(olds)
        new = AzureCheckInputs.from_inputs(news)
        # appName only renames; any other change means Azure is asked again.
        if dataclasses.replace(old.inputs, app_name=new.app_name) != new:
            return dynamic.UpdateResult(self.run_check(news))
        return dynamic.UpdateResult(dataclasses.replace(old, inputs=new).outputs())

    @redacted_operation(bounded=True)
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # A record of a check; nothing exists outside the stack to remove.
        return None

    def run_check(self, props: Mapping[str, Any]) -> dict[str, Any]:
        inputs = AzureCheckInputs.from_inputs(props)
        now = self.clock.now()
        app = str(inputs.app_name)
        sp_id = str(inputs.service_principal_id)
        graph_url = str(inputs.graph_url or graph.DEFAULT_GRAPH_URL)
        credential = self.credential(graph_url, inputs.tenant_id, inputs.client_id)
        bearer = sign_in.access_token(credential, graph_url)
        policy = self.http_policy
        with new_session(policy) as session:
            azure = graph.Graph(session, policy, graph_url, bearer, app, sp_id)
            job = graph.provisioning_job(azure.jobs(), app_name=app, service_principal_id=sp_id)
            azure.validate(job)
            actions = [
                f"Azure tested the saved credentials of provisioning job {job.id} "
                f"(template {job.template_id}) against Druva: accepted"
            ]
            if job.quarantined:
                reason = job.quarantine_reason()
                azure.restart(job)
                actions.append(
                    f"restarted job {job.id} out of quarantine ({reason}) with resetScope "
                    "QuarantineState"
                )
            elif job.paused:
                actions.append(paused_action(job, app))
        # Azure relays Druva's and its own texts, which may carry the token or the bearer.
        actions = [redacted(action, bearer) for action in actions]
        say(f"{app}: Azure confirmed token {inputs.token_fingerprint}; " + "; ".join(actions))
        validated = lifecycle.format_time(now)
        return AzureCheckState(inputs, validated, job.id, job.quarantined, tuple(actions)).outputs()


def paused_action(job: graph.Job, app: str) -> str:
    """What the check says of a paused job, which it never restarts."""
    earlier = job.quarantine_error()
    last_error = f"; its last error: {earlier}" if earlier else ""
    return (
        f"job {job.id} is paused (status code Paused){last_error}; left paused, as an "
        "administrator paused it: Azure provisions nobody until "
        f"{health.AZURE_PORTAL.format(name=app)} > Start provisioning"
    )


class AzureProvisioningCheck(
    ArgsResource[AzureProvisioningCheckArgs], module="druva", name="AzureProvisioningCheck"
):
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

    outputs = OUTPUT_KEYS
    provider_class = AzureProvisioningCheckProvider
