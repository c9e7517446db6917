"""The Pulumi program's steps, kept out of __main__.py so that tests can reach them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pulumi
import pulumi_azuread as azuread
import pulumi_okta as okta
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import resource_pb2

from providers import graph, okta_api
from providers.core import apps, lifecycle, microsoft, redaction, settings, texts
from providers.handoff import OktaManualHandoff, OktaManualHandoffArgs
from providers.scim_token import ScimToken, ScimTokenArgs
from providers.verification import (
    AzureProvisioningCheck,
    AzureProvisioningCheckArgs,
    OktaConnectionCheck,
    OktaConnectionCheckArgs,
)

TOKEN_RESOURCE_NAME = "druva-scim-token"  # noqa: S105  (a resource name)
WRITE_TIMEOUT = "1m"
"""How long azuread may keep retrying a write of provisioning credentials."""
KNOWN_KEYS = settings.TOKEN_KEYS + apps.APP_KEYS


@dataclass(frozen=True)
class Config:
    """The validated stack configuration; the token itself stays an Output secret."""

    token: settings.TokenSettings
    scim_token: pulumi.Output[str]
    fingerprint: str
    """Of the configured token: known while planning, so previews can say what is pending."""
    targets: apps.Apps
    default_graph_url: str
    """Microsoft Graph of the default azuread provider's cloud."""
    default_azure_ids: tuple[str | None, str | None]
    """The default azuread provider's tenantId and clientId from stack config, if set there."""
    default_okta_org_url: str | None
    """The default okta provider's org, when configured."""


def raw_config() -> dict[str, object]:
    """Every `druva-scim:*` value of the stack, structured values decoded from JSON."""
    prefix = f"{texts.NAMESPACE}:"
    # The language host puts the stack's config in PULUMI_CONFIG and loads it into
    # CONFIG before the program runs; reading both covers either way of being run.
    every = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {
        name[len(prefix) :]: _decoded(value)
        for name, value in every.items()
        if name.startswith(prefix)
    }


def _decoded(value: object) -> object:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
        except RecursionError:
            # The validators name the key; a value this deep cannot even be decoded.
            return settings.NESTED_TOO_DEEP
    return value


def _is_secret(key: str) -> bool:
    return runtime_config.is_config_secret(key) or key in (
        runtime_config.get_config_secret_keys_env()
    )


def current_time() -> datetime:
    """The program's clock; the tests' simulated year replaces it."""
    return datetime.now(UTC)


def load_config() -> Config:
    """Validate all settings before anything is registered; stop cleanly if any is wrong."""
    raw = raw_config()
    problems = [
        settings.Problem(
            key,
            f"is not a setting of {texts.NAMESPACE}; known settings: " + ", ".join(KNOWN_KEYS),
        )
        for key in sorted(raw)
        if key not in KNOWN_KEYS
    ]
    reason = settings.token_problem(raw.get("scimToken"))
    if reason:
        problems.append(settings.Problem("scimToken", reason))
    elif not _is_secret(f"{texts.NAMESPACE}:scimToken"):
        problems.append(
            settings.Problem(
                "scimToken",
                "is stored in plain text in the stack file; remove that line and set it again "
                f"with `pulumi config set --secret {texts.NAMESPACE}:scimToken`",
            )
        )
    token_settings, token_problems = settings.token_settings(raw, current_time())
    found, target_problems = apps.parse_apps(raw)
    problems.extend(token_problems + target_problems)
    azuread_config = pulumi.Config("azuread")
    graph_url, okta_org_url, default_problems = _default_providers(found)
    problems.extend(default_problems)
    if problems or token_settings is None:
        stop(problems, token=raw.get("scimToken"))
    assert token_settings is not None  # noqa: S101  (stop() never returns)
    token = str(raw["scimToken"])
    return Config(
        token=token_settings,
        scim_token=pulumi.Output.secret(token),
        fingerprint=lifecycle.fingerprint(token),
        targets=found,
        default_graph_url=graph_url,
        default_azure_ids=(azuread_config.get("tenantId"), azuread_config.get("clientId")),
        default_okta_org_url=okta_org_url,
    )


def _default_providers(
    found: apps.Apps,
) -> tuple[str, str | None, list[settings.Problem]]:
    """Where the default azuread and okta providers point, as the verification needs it."""
    problems: list[settings.Problem] = []
    environment = (
        pulumi.Config("azuread").get("environment") or os.environ.get("ARM_ENVIRONMENT") or "global"
    )
    graph_url = microsoft.AZURE_ENVIRONMENTS.get(environment, "")
    if not graph_url and any(app.tenant is None for app in found.azure_apps):
        problems.append(
            settings.Problem(
                "azureApps",
                f"use the default azuread provider, whose environment {environment!r} "
                "(azuread:environment or ARM_ENVIRONMENT) is not one of "
                + ", ".join(microsoft.AZURE_ENVIRONMENTS),
            )
        )
    if environment in microsoft.UNDOCUMENTED_ENVIRONMENTS:
        problems.extend(
            settings.Problem(
                f"azureApps[{index}]",
                f"uses the default azuread provider, whose environment is {environment} "
                f"(azuread:environment or ARM_ENVIRONMENT): {microsoft.UNDOCUMENTED_CLOUD}",
            )
            for index, app in enumerate(found.azure_apps)
            if app.tenant is None
        )
    org_url = default_okta_org_url()
    for app in found.okta_apps:
        if app.mode == "api" and app.org is None and org_url is None:
            problems.append(
                settings.Problem(
                    f"oktaApps[{app.index}]",
                    "uses the default okta provider, whose org is not configured: set "
                    "okta:orgName (and okta:baseUrl) or OKTA_ORG_NAME, or name an org from "
                    "druva-scim:oktaOrgs with `org`",
                )
            )
    return graph_url, org_url, problems


def stop(problems: list[settings.Problem], token: object = None) -> None:
    """Report every problem at once, then end the run without a traceback.

    A value a problem quotes may be the token, or a credential, pasted into another key.
    """
    secrets = [token, *redaction.environment_secrets(os.environ)]
    for problem in problems:
        pulumi.log.error(redaction.redact(str(problem), secrets))
    count = len(problems)
    raise pulumi.RunError(
        redaction.redact(
            f"{count} setting{'s' if count != 1 else ''} of {texts.NAMESPACE} "
            f"need{'s' if count == 1 else ''} fixing; nothing was changed",
            secrets,
        )
    )


def scim_token(config: Config) -> ScimToken:
    issued = config.token.issued_at
    return ScimToken(
        TOKEN_RESOURCE_NAME,
        ScimTokenArgs(
            scim_token=config.scim_token,
            tenant_url=config.token.tenant_url,
            issued_at=lifecycle.format_time(issued) if issued else None,
            lifetime_days=config.token.lifetime_days,
            rotate_before_days=config.token.rotate_before_days,
        ),
    )


def warn_when_rotation_is_due(token: ScimToken) -> None:
    """Make the coming expiry loud in every preview and update (expiry itself fails check)."""

    def warn(dates: list[Any]) -> None:
        issued, lifetime, rotate_before = dates
        if not isinstance(issued, str) or lifetime is None or rotate_before is None:
            return  # not known while previewing a brand-new token, which is not due anyway
        life = lifecycle.lifecycle(lifecycle.parse_time(issued), int(lifetime), int(rotate_before))
        message = lifecycle.rotation_warning(life, current_time())
        if message:
            pulumi.log.warn(message, resource=token)

    pulumi.Output.all(token.issuedAt, token.lifetimeDays, token.rotateBeforeDays).apply(warn)


def export_token(token: ScimToken) -> None:
    # Not lastCheckedAt: every refresh moves it, and a stack output that moves on every
    # refresh makes `preview --expect-no-changes` report a change (the daily run).
    pulumi.export("tenantUrl", token.tenantUrl)
    pulumi.export("tokenFingerprint", token.fingerprint)
    pulumi.export("issuedAt", token.issuedAt)
    pulumi.export("expiresAt", token.expiresAt)
    pulumi.export("rotateAfter", token.rotateAfter)
    pulumi.export("scimToken", pulumi.Output.secret(token.scimToken))


# --- the identity providers ------------------------------------------------


@dataclass(frozen=True)
class Consumers:
    """What was registered for the identity providers, for exports and verification."""

    targets: list[dict[str, Any]]
    pending_manual_steps: list[dict[str, Any]]


def consumers(config: Config, token: ScimToken) -> Consumers:
    """Write the token into every Azure and Okta app; track the ones done by hand."""
    found = config.targets
    # A provider is configured (and wants credentials) only where an app uses it through
    # the API: an org with manual apps alone needs no Okta credential.
    used_tenants = {app.tenant for app in found.azure_apps}
    used_orgs = {app.org for app in found.okta_apps if app.mode == "api"}
    azure_providers = {
        name: azuread.Provider(
            f"azure-tenant-{name}",
            tenant_id=tenant.tenant_id,
            client_id=tenant.client_id,
            environment=tenant.environment,
        )
        for name, tenant in found.azure_tenants.items()
        if name in used_tenants
    }
    okta_providers = {
        name: okta.Provider(f"okta-org-{name}", org_name=org.org_name, base_url=org.base_url)
        for name, org in found.okta_orgs.items()
        if name in used_orgs
    }
    entries = []
    for app in found.azure_apps:
        tenant = found.azure_tenants.get(app.tenant or "")
        sign_in = (
            (tenant.graph_url, tenant.tenant_id, tenant.client_id)
            if tenant
            else (config.default_graph_url, *config.default_azure_ids)
        )
        entries.append(
            _azure_app(
                app, token, config.fingerprint, azure_providers.get(app.tenant or ""), sign_in
            )
        )
    pending: list[dict[str, Any]] = []
    for okta_app in found.okta_apps:
        org = found.okta_orgs.get(okta_app.org or "")
        org_url = org.org_url if org else config.default_okta_org_url
        if okta_app.mode == "api":
            provider = okta_providers.get(okta_app.org or "")
            entries.append(
                _okta_api_app(okta_app, token, config.fingerprint, provider, org_url or "")
            )
        else:
            entry, steps = _okta_manual_app(okta_app, token, config.fingerprint, org_url)
            entries.append(entry)
            pending.extend(steps)
    return Consumers(entries, pending)


def _after(token: ScimToken, **options: Any) -> pulumi.ResourceOptions:
    """Consumers wait for Druva to accept the token before they receive it."""
    return pulumi.ResourceOptions(depends_on=[token], **options)


def _azure_app(
    app: apps.AzureApp,
    token: ScimToken,
    fingerprint: str,
    provider: azuread.Provider | None,
    sign_in: tuple[str, str | None, str | None],
) -> dict[str, Any]:
    """`sign_in`: the Graph URL, tenant id and client id the check signs in with."""
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
        opts=_after(
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
            hooks=_error_hooks(
                f"druva-scim-azure-write-{app.name}",
                lambda errors: graph.write_refusal_message(errors, app.name),
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
        "kind": "azure",
        "servicePrincipalId": app.service_principal_id,
        "tenant": app.tenant or "default",
        "tokenFingerprint": fingerprint,
        "state": _confirmed(check.tokenFingerprint, fingerprint),
        "verifiedAt": check.lastValidatedAt,
        "actions": check.actions,
    }


def _okta_api_app(
    app: apps.OktaApp,
    token: ScimToken,
    fingerprint: str,
    provider: okta.Provider | None,
    org_url: str,
) -> dict[str, Any]:
    connection = okta.app.Connection(
        f"okta-{app.name}",
        id_property=app.app_id,
        base_url=token.tenantUrl,
        action="activate",
        profile=okta.app.ConnectionProfileArgs(
            auth_scheme="TOKEN", token=pulumi.Output.secret(token.scimToken)
        ),
        opts=_after(
            token,
            provider=provider,
            additional_secret_outputs=["profile"],
            hooks=_error_hooks(
                f"druva-scim-okta-unsupported-{app.name}",
                lambda errors: okta_api.refusal_message(
                    errors, index=app.index, app_name=app.name, app_id=app.app_id
                ),
            ),
        ),
    )
    # Okta's side of "Test API Credentials": the connection read back, enabled with a token.
    check = OktaConnectionCheck(
        f"okta-check-{app.name}",
        OktaConnectionCheckArgs(
            app_name=app.name,
            app_id=app.app_id,
            org_url=org_url,
            token_fingerprint=token.fingerprint,
            scim_token=token.scimToken,
        ),
        opts=pulumi.ResourceOptions(depends_on=[connection]),
    )
    return {
        "name": app.name,
        "kind": "okta-api",
        "appId": app.app_id,
        "org": app.org or "default",
        "tokenFingerprint": fingerprint,
        # Okta's read-back shows the connection ENABLED with a token scheme, never the token.
        "state": _confirmed(check.tokenFingerprint, fingerprint, OKTA_CONFIRMED),
        "verifiedAt": check.lastVerifiedAt,
    }


OKTA_CONFIRMED = "connection-enabled"
"""An okta-api target's state once Okta showed its connection enabled with a token (README)."""


def _confirmed(
    checked: pulumi.Output[str], fingerprint: str, confirmed: str = "verified"
) -> pulumi.Output[str]:
    """`confirmed` once the identity provider's check ran for this very token, else `unverified`."""
    return checked.apply(lambda found: confirmed if found == fingerprint else "unverified")


ERROR_HOOK_CLI_VERSIONS = ">=3.244.0"
"""Where a plain create error reaches an error hook (pulumi/pulumi#23347); hooks exist earlier."""


def error_hooks_supported() -> bool:
    """Whether an error hook will hear a resource's plain create error in this run.

    The monitor announces error hooks from CLI 3.217, but only 3.244 on delivers
    a plain create error to them, so the CLI's version decides too.
    """
    if not runtime_settings.monitor_supports_feature(
        resource_pb2.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS
    ):
        return False
    engine = runtime_settings.get_engine()
    if engine is None or not hasattr(engine, "RequirePulumiVersion"):
        # Pulumi's mocks: no CLI at all, so none that is too old; the monitor decides.
        return True
    try:
        runtime_settings.require_pulumi_version(ERROR_HOOK_CLI_VERSIONS)
    except Exception:
        return False
    return True


def _error_hooks(
    name: str, explain: Callable[[Sequence[str]], str | None]
) -> pulumi.ResourceHookBinding | None:
    """Say what a vendor provider's error means for us, in our words, when it fails.

    Only with a CLI whose error hooks hear create errors; with an older one the
    vendor provider's own error stands alone, and README's error table explains it.
    """
    if not error_hooks_supported():
        return None

    def on_error(args: pulumi.ErrorHookArgs) -> bool:
        message = explain(args.errors)
        if message:
            pulumi.log.error(message)
        return False  # neither a refusal nor a missing permission goes away by retrying

    return pulumi.ResourceHookBinding(on_error=[pulumi.ErrorHook(name, on_error)])


def _okta_manual_app(
    app: apps.OktaApp, token: ScimToken, fingerprint: str, org_url: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    handoff = OktaManualHandoff(
        # Named after the app id, not the app's name in config: renaming the entry must
        # not restart the clock of a hand-off that is still pending. The alias takes over
        # the state of stacks made when the name was the app's.
        f"okta-handoff-{app.app_id}",
        OktaManualHandoffArgs(
            app_name=app.name,
            app_id=app.app_id,
            org_url=org_url,
            expected_fingerprint=token.fingerprint,
            confirmed_fingerprint=app.confirmed_fingerprint,
        ),
        opts=_after(token, aliases=[pulumi.Alias(name=f"okta-handoff-{app.name}")]),
    )
    is_pending = app.confirmed_fingerprint != fingerprint
    entry = {
        "name": app.name,
        "kind": "okta-manual",
        "appId": app.app_id,
        "org": app.org or "default",
        "tokenFingerprint": fingerprint,
        "confirmedFingerprint": app.confirmed_fingerprint,
        "state": "pending" if is_pending else "confirmed",
    }
    if not is_pending:
        return entry, []
    steps = texts.manual_steps(app.name, app.app_id, org_url, fingerprint, app.index)
    pulumi.log.warn(
        f"Okta app {app.name} ({app.app_id}) is set by hand and does not have the current "
        f"token (fingerprint {fingerprint}) yet: " + "; ".join(steps)
    )
    return entry, [
        {
            "name": app.name,
            "appId": app.app_id,
            "org": app.org or "default",
            "orgUrl": org_url,
            "tokenFingerprint": fingerprint,
            "pendingSince": handoff.pendingSince,
            "steps": steps,
        }
    ]


def default_okta_org_url() -> str | None:
    """The default okta provider's org, from `okta:*` config or the provider's environment."""
    okta_config = pulumi.Config("okta")
    org_name = okta_config.get("orgName") or os.environ.get("OKTA_ORG_NAME")
    base_url = okta_config.get("baseUrl") or os.environ.get("OKTA_BASE_URL") or "okta.com"
    return f"https://{org_name}.{base_url}" if org_name else None


def export_consumers(found: Consumers) -> None:
    pulumi.export("targets", found.targets)
    pulumi.export("pendingManualSteps", found.pending_manual_steps)
