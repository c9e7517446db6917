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
from providers.core import microsoft
from providers.core.apps import AzureApp, AzureTenant
from providers.core.settings import Problem
from providers.core.texts import GRAPH_PERMISSIONS
from providers.druva.token import ScimToken
from providers.wiring import AZURE, after, confirmed, error_hooks

WRITE_TIMEOUT = "1m"
"""How long azuread may keep retrying a write of provisioning credentials."""
WRITE_FAILURE = re.compile(r"synchronization secret", re.IGNORECASE)
"""azuread's own words when a write of provisioning credentials fails: `Creating (or
Updating, Removing) synchronization secret for <id>: ...` (synchronization_secret_resource.go)."""
REFUSED = re.compile(r"\b403\b|Authorization_RequestDenied|Forbidden", re.IGNORECASE)
TIMED_OUT = re.compile(r"deadline exceeded|timeout|timed out", re.IGNORECASE)

SignIn = tuple[str, str | None, str | None]
"""The Graph URL, tenant id and client id a check signs in with."""


def default_sign_in(azure_apps: Collection[AzureApp]) -> tuple[SignIn, list[Problem]]:
    """Where the default azuread provider signs in (its cloud's Graph, its tenant and client
    ids from stack config), for the apps that name no tenant, and what is wrong with it."""
    azuread_config = pulumi.Config("azuread")
    environment = azuread_config.get("environment") or os.environ.get("ARM_ENVIRONMENT") or "global"
    graph_url = microsoft.AZURE_ENVIRONMENTS.get(environment, "")
    problems: list[Problem] = []
    if not graph_url and any(app.tenant is None for app in azure_apps):
        problems.append(
            Problem(
                "azureApps",
                f"use the default azuread provider, whose environment {environment!r} "
                "(azuread:environment or ARM_ENVIRONMENT) is not one of "
                + ", ".join(microsoft.AZURE_ENVIRONMENTS),
            )
        )
    if environment in microsoft.UNDOCUMENTED_ENVIRONMENTS:
        problems.extend(
            Problem(
                f"azureApps[{index}]",
                f"uses the default azuread provider, whose environment is {environment} "
                f"(azuread:environment or ARM_ENVIRONMENT): {microsoft.UNDOCUMENTED_CLOUD}",
            )
            for index, app in enumerate(azure_apps)
            if app.tenant is None
        )
    return (graph_url, azuread_config.get("tenantId"), azuread_config.get("clientId")), problems


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
            (tenant.graph_url, tenant.tenant_id, tenant.client_id) if tenant else default_sign_in
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
        service_principal_id=app.service_principal_id,
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
            # azuread retries a 403 until its timeout (5 minutes by default): a missing
            # Graph permission should fail in about a minute, with the permission named.
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
            graph_url=sign_in[0],
            tenant_id=sign_in[1],
            client_id=sign_in[2],
        ),
        opts=pulumi.ResourceOptions(depends_on=[secret]),
    )
    return {
        "name": app.name,
        "kind": AZURE,
        "servicePrincipalId": app.service_principal_id,
        "tenant": app.tenant or "default",
        # Where `python -m providers.health` finds the app; ids and a URL, nothing secret.
        "graphUrl": sign_in[0],
        "tenantId": sign_in[1],
        "clientId": sign_in[2],
        "tokenFingerprint": fingerprint,
        "state": confirmed(check.tokenFingerprint, fingerprint),
        "verifiedAt": check.lastValidatedAt,
        "actions": check.actions,
    }


def write_refusal_message(errors: Collection[str], app_name: str) -> str | None:
    """For azuread's error texts: name the missing permission, if that is what failed. Pure.

    azuread retries Graph's 403 on synchronization secrets until the resource's
    time-out, so a missing permission shows as a 403, or as the time-out alone.
    """
    texts = [text for text in errors if WRITE_FAILURE.search(text)]
    if any(REFUSED.search(text) for text in texts):
        return (
            f"Microsoft Graph refused to save the provisioning credentials of {app_name} "
            "(HTTP 403): the identity running `pulumi up` lacks permission. It needs "
            f"{GRAPH_PERMISSIONS}"
        )
    if any(TIMED_OUT.search(text) for text in texts):
        return (
            f"saving the provisioning credentials of {app_name} did not finish within the "
            "time-out. azuread retries Graph's 403 until then, so the identity running "
            f"`pulumi up` most likely lacks permission: it needs {GRAPH_PERMISSIONS}. If it "
            "has it, check the network path to Microsoft Graph and run again"
        )
    return None
