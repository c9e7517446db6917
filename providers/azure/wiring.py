"""Program: each Azure app's resources: its provisioning credentials, then Azure's own check.

Per app, an `azuread.SynchronizationSecret` (BaseAddress and SecretToken from the
token, plus the app's `extraSecrets`, since writing replaces the whole set) and an
`AzureProvisioningCheck` after it; per `azureTenants` entry an app uses, an explicit
azuread provider. What the default azuread provider's cloud means for the apps that
use it is checked with the rest of the configuration (`default_sign_in`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from typing import Any

import pulumi
import pulumi_azuread as azuread

from providers.azure.check import AzureProvisioningCheck, AzureProvisioningCheckArgs
from providers.core.apps import AZURE, AZURE_ENVIRONMENTS, AzureApp, AzureTenant, SignIn
from providers.core.settings import Problem
from providers.core.texts import GRAPH_PERMISSIONS
from providers.druva.token import ScimToken
from providers.wiring import after, confirmed, error_hooks

WRITE_TIMEOUT_MINUTES = 5
WRITE_TIMEOUT = f"{WRITE_TIMEOUT_MINUTES}m"
"""How long azuread may take to write an app's provisioning credentials: its own default
(terraform-provider-azuread synchronization_secret_resource.go, Timeouts), which must hold
the PUT and the wait after it. That wait, consistency.WaitForUpdate (internal/helpers/
consistency/consistency.go), lists the secrets until it has seen the written set 5 times in a
row at least 5 s apart (MinTimeout 5 s, ContinuousTargetOccurence 5), 10 s apart while Graph
still shows the old set (terraform-plugin-sdk helper/retry/state.go): 20 s when Graph is
consistent at once, and every PUT and list is retried on 403 and 409. One minute left a slow
Graph 40 s."""
# Text is all an error hook is given: `ErrorHookArgs.errors: list[str]` (pulumi/pulumi
# sdk/python/lib/pulumi/resource_hooks.py @ 1b5949891b3cefcb9974752b24a5ecef0acc86c8), so
# the bridged provider's words are the only signal; each pattern cites where they come from.
WRITE_FAILURE = re.compile(r"synchronization secret", re.IGNORECASE)
"""azuread's own words when a write of provisioning credentials fails: `Creating (or
Updating, Removing) synchronization secret for <id>: ...`, or `Waiting for synchronization
secrets for <id>: ...` after the PUT (synchronization_secret_resource.go)."""
WAITED = re.compile(r"Waiting for synchronization secrets", re.IGNORECASE)
"""The PUT went through; Graph did not show the written set back in time."""
REFUSED = re.compile(r"\b403\b|Authorization_RequestDenied|Forbidden", re.IGNORECASE)
TIMED_OUT = re.compile(r"deadline exceeded|timeout|timed out", re.IGNORECASE)


def default_sign_in(azure_apps: Collection[AzureApp]) -> tuple[SignIn, list[Problem]]:
    """Where the default azuread provider signs in (its cloud's Graph, its tenant and client
    ids from stack config), for the apps that name no tenant, and what is wrong with it."""
    azuread_config = pulumi.Config("azuread")
    environment = azuread_config.get("environment") or os.environ.get("ARM_ENVIRONMENT") or "global"
    graph_url = AZURE_ENVIRONMENTS.get(environment, "")
    problems: list[Problem] = []
    if not graph_url and any(app.tenant is None for app in azure_apps):
        problems.append(
            Problem(
                "azureApps",
                f"use the default azuread provider, whose environment {environment!r} "
                "(azuread:environment or ARM_ENVIRONMENT) is not one of "
                + ", ".join(AZURE_ENVIRONMENTS),
            )
        )
    signed_in = SignIn(graph_url, azuread_config.get("tenantId"), azuread_config.get("clientId"))
    return signed_in, problems


def azure_apps(
    azure_apps: Collection[AzureApp],
    tenants: Mapping[str, AzureTenant],
    default_sign_in: SignIn,
    token: ScimToken,
    fingerprint: str,
) -> list[dict[str, Any]]:
    """Write the token into every Azure app; each app's entry of the `targets` output."""
    # A provider is configured (and wants credentials) only where an app uses it.
    used = {app.tenant for app in azure_apps}
    providers = {
        name: azuread.Provider(
            f"azure-tenant-{name}",
            tenant_id=tenant.tenant_id,
            client_id=tenant.client_id,
            environment=tenant.environment,
        )
        for name, tenant in tenants.items()
        if name in used
    }
    entries = []
    for app in azure_apps:
        tenant = tenants.get(app.tenant or "")
        sign_in = (
            SignIn(tenant.graph_url, tenant.tenant_id, tenant.client_id)
            if tenant
            else default_sign_in
        )
        entries.append(
            _azure_app(app, token, fingerprint, providers.get(app.tenant or ""), sign_in)
        )
    return entries


def _azure_app(
    app: AzureApp,
    token: ScimToken,
    fingerprint: str,
    provider: azuread.Provider | None,
    sign_in: SignIn,
) -> dict[str, Any]:
    # Writing synchronization secrets replaces the whole set: write the extras back too.
    credentials = [
        azuread.SynchronizationSecretCredentialArgs(key="BaseAddress", value=token.tenantUrl),
        azuread.SynchronizationSecretCredentialArgs(
            key="SecretToken", value=pulumi.Output.secret(token.scimToken)
        ),
    ] + [
        # Not all are secret (NotificationEmail), but any may be: none is shown in a diff.
        azuread.SynchronizationSecretCredentialArgs(key=key, value=pulumi.Output.secret(value))
        for key, value in app.extra_secrets
    ]
    secret = azuread.SynchronizationSecret(
        f"azure-{app.name}",
        # azuread's form; the check below and Graph's URLs keep the bare Object ID.
        service_principal_id=app.azuread_service_principal_id,
        credentials=credentials,
        opts=after(
            token,
            provider=provider,
            additional_secret_outputs=["credentials"],
            # azuread deletes by writing every key back empty on the same service
            # principal, and the engine deletes after it creates: a rename, a move to
            # another tenant entry or a replacement would blank what was just written.
            # So the program never deletes credentials; removing an app leaves them.
            retain_on_delete=True,
            # azuread's own 5 minutes: the write and its wait for Graph to show it back.
            custom_timeouts=pulumi.CustomTimeouts(
                create=WRITE_TIMEOUT, update=WRITE_TIMEOUT, delete=WRITE_TIMEOUT
            ),
            hooks=error_hooks(
                f"druva-scim-azure-write-{app.name}",
                lambda errors: write_refusal_message(errors, app.name),
            ),
        ),
    )
    # Azure's own Test Connection, once the secret is saved and whenever the token changes.
    check = AzureProvisioningCheck(
        f"azure-check-{app.name}",
        AzureProvisioningCheckArgs(
            app_name=app.name,
            service_principal_id=app.service_principal_id,
            token_fingerprint=token.fingerprint,
            scim_token=token.scimToken,
            graph_url=sign_in.graph_url,
            tenant_id=sign_in.tenant_id,
            client_id=sign_in.client_id,
        ),
        opts=pulumi.ResourceOptions(depends_on=[secret]),
    )
    return {
        "name": app.name,
        "kind": AZURE,
        "servicePrincipalId": app.service_principal_id,
        "tenant": app.tenant or "default",
        # Where `python -m providers.health` finds the app; ids and a URL, nothing secret.
        "graphUrl": sign_in.graph_url,
        "tenantId": sign_in.tenant_id,
        "clientId": sign_in.client_id,
        "tokenFingerprint": fingerprint,
        "state": confirmed(check.tokenFingerprint, fingerprint),
        "verifiedAt": check.lastValidatedAt,
        "actions": check.actions,
    }


def write_refusal_message(errors: Collection[str], app_name: str) -> str | None:
    """For azuread's error texts: what failed, in our words, and what to do. Pure.

    A 403 in the text is Graph refusing: a missing permission. A time-out alone says
    nothing of the cause: azuread retries Graph's 403 and 409 until its time-out, and it
    also waits for Graph to show the written credentials back, which a slow Graph may not
    do in time. So a time-out is reported as a time-out, with both causes to check.
    """
    texts = [text for text in errors if WRITE_FAILURE.search(text)]
    if any(REFUSED.search(text) for text in texts):
        return (
            f"Microsoft Graph refused to save the provisioning credentials of {app_name} "
            "(HTTP 403): the identity running `pulumi up` lacks permission. It needs "
            f"{GRAPH_PERMISSIONS}"
        )
    timed_out = [text for text in texts if TIMED_OUT.search(text)]
    if not timed_out:
        return None
    if all(WAITED.search(text) for text in timed_out):
        what = (
            "Microsoft Graph accepted the write, but did not show the saved credentials back "
            f"within {WRITE_TIMEOUT_MINUTES} minutes (azuread waits for that after each write)"
        )
    else:
        what = (
            f"the write did not finish within {WRITE_TIMEOUT_MINUTES} minutes; azuread retries "
            "Graph's 403 and 409 answers until then, and waits for Graph to show the saved "
            "credentials back, so a slow Graph and a missing permission end alike"
        )
    return (
        f"saving the provisioning credentials of {app_name} timed out: {what}. Run `pulumi up` "
        "again; if it times out again, check the network path to Microsoft Graph and that the "
        f"identity running `pulumi up` has {GRAPH_PERMISSIONS}"
    )
