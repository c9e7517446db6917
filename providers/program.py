"""Program: the steps `__main__.py` lists: configuration, the token, its outputs, the apps.

Everything is validated before anything is registered (`load_config`): a wrong
setting stops the run with every problem at once, named by its key. Then the
token (`scim_token`), its warnings and outputs, and each vendor's wiring of its
apps (`providers.azure.wiring`, `providers.okta.wiring`, `providers.manual.wiring`), whose
entries make the `targets` and `pendingManualSteps` outputs.

The pre-flight (providers/preflight.py) previews a stack that has no token yet with
PREFLIGHT_VARIABLE set: only then, in a preview, PLACEHOLDER_TOKEN stands in for the token,
issued now, so that every provider's Check runs on the wiring. A preview creates nothing, so
the placeholder reaches no service (Druva's live check is the token's Create), and the
engine writes no state in a preview: the snapshot manager exists only for an update
(pulumi/pulumi pkg/backend/diy/backend.go apply and pkg/backend/httpstate/backend.go apply,
"We only need a snapshot manager if we're doing an update", @
1b5949891b3cefcb9974752b24a5ecef0acc86c8). With the variable set, anything but a preview
is refused before anything is registered.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, NoReturn

import pulumi
from pulumi.runtime import config as runtime_config

from providers.azure import wiring as azure_wiring
from providers.core import apps, lifecycle, redaction, settings
from providers.core.apps import SignIn
from providers.core.clock import SYSTEM, Clock
from providers.core.texts import (
    NAMESPACE,
    NEW_FINGERPRINT,
    PENDING_APPS_VARIABLE,
    PREFLIGHT_VARIABLE,
)
from providers.core.version import VERSION
from providers.druva.token import ScimToken, ScimTokenArgs
from providers.manual import wiring as manual_wiring
from providers.okta import wiring as okta_wiring

TOKEN_RESOURCE_NAME = "druva-scim-token"  # noqa: S105  (a resource name)
KNOWN_KEYS = settings.TOKEN_KEYS + apps.APP_KEYS

PLACEHOLDER_TOKEN = "PREFLIGHT-PLACEHOLDER-NOT-A-TOKEN"  # noqa: S105  (says what it is)
"""What stands in for a token not yet stored in the pre-flight's preview: it reads as what it
is wherever it might show, passes the token's offline checks, and is never stored or sent."""
PREFLIGHT_REFUSED = (
    f"{PREFLIGHT_VARIABLE} is set, which only the pre-flight's own `pulumi preview` may set: it "
    "stands a placeholder in for a token not yet stored. Unset it (`unset "
    f"{PREFLIGHT_VARIABLE}`) and run again; nothing was changed"
)

clock: Clock = SYSTEM
"""What time it is for this run's validation and warnings (tests set a FixedClock)."""


@dataclass(frozen=True)
class Config:
    """The validated stack configuration; the token itself stays an Output secret."""

    token: settings.TokenSettings
    scim_token: pulumi.Output[str]
    fingerprint: str
    """Of the configured token: known while planning, so previews can say what is pending."""
    apps: apps.Apps
    azure_sign_in: SignIn
    """Where the default azuread provider points: its cloud's Graph, its tenant and client ids."""
    okta_org_url: str | None
    """The default okta provider's org, when configured."""


def raw_config() -> dict[str, object]:
    """Every `druva-scim:*` value of the stack, the structured ones (APP_KEYS) decoded from JSON."""
    prefix = f"{NAMESPACE}:"
    # The language host puts the stack's config in PULUMI_CONFIG and loads it into
    # CONFIG before the program runs; reading both covers either way of being run.
    every = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    # Only the structured settings are JSON: a token may well start with `[` or `{`.
    return {
        key: settings.decoded(value) if key in apps.APP_KEYS else value
        for key, value in (
            (name[len(prefix) :], value) for name, value in every.items() if name.startswith(prefix)
        )
    }


def _is_secret(key: str) -> bool:
    return runtime_config.is_config_secret(key) or key in (
        runtime_config.get_config_secret_keys_env()
    )


def load_config() -> Config:
    """Validate all settings before anything is registered; stop cleanly if any is wrong."""
    raw = raw_config()
    placeholder = placeholder_wanted(raw)
    if placeholder:
        raw = {
            **pending_apps(),
            **raw,
            "scimToken": PLACEHOLDER_TOKEN,
            "issuedAt": lifecycle.format_time(clock.now()),
        }
    problems = [
        settings.Problem(
            key, f"is not a setting of {NAMESPACE}; known settings: " + ", ".join(KNOWN_KEYS)
        )
        for key in sorted(raw)
        if key not in KNOWN_KEYS
    ]
    reason = settings.token_problem(raw.get("scimToken"))
    if reason:
        problems.append(settings.Problem("scimToken", reason))
    elif not placeholder and not _is_secret(f"{NAMESPACE}:scimToken"):
        problems.append(
            settings.Problem(
                "scimToken",
                "is stored in plain text in the stack file; remove that line and set it again "
                f"with `pulumi config set --secret {NAMESPACE}:scimToken`",
            )
        )
    token_settings, token_problems = settings.token_settings(raw, clock.now())
    found, app_problems = apps.parse_apps(raw)
    problems.extend(token_problems + app_problems)
    azure_sign_in, azure_problems = azure_wiring.default_sign_in(found.azure_apps)
    okta_org_url = okta_wiring.default_org_url()
    problems.extend(
        azure_problems + okta_wiring.default_org_problems(found.okta_apps, okta_org_url)
    )
    if problems or token_settings is None:
        # The placeholder is no secret, and its words must not blank the messages' own.
        given = None if placeholder else raw.get("scimToken")
        stop(problems, token=given, secrets=secret_values(raw))
    token = str(raw["scimToken"])
    return Config(
        token=token_settings,
        scim_token=pulumi.Output.secret(token),
        # Not the placeholder's: a fingerprint shown would pass for a token's.
        fingerprint=NEW_FINGERPRINT if placeholder else lifecycle.fingerprint(token),
        apps=found,
        azure_sign_in=azure_sign_in,
        okta_org_url=okta_org_url,
    )


def placeholder_wanted(raw: dict[str, object]) -> bool:
    """Whether this run is the pre-flight's preview of a stack with no token; any other run
    with PREFLIGHT_VARIABLE set is refused here, before anything is registered."""
    if not os.environ.get(PREFLIGHT_VARIABLE):
        return False
    if not pulumi.runtime.is_dry_run():
        raise pulumi.RunError(PREFLIGHT_REFUSED)
    # A token that is set, however wrong, is checked as it is: the preview says what is wrong.
    return raw.get("scimToken") in (None, "")


def pending_apps() -> dict[str, object]:
    """In the pre-flight's preview: the apps the guided first run was given and has not stored
    yet (PENDING_APPS_VARIABLE); the stack's own settings win over them."""
    text = os.environ.get(PENDING_APPS_VARIABLE, "")
    try:
        given = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(given, dict):
        return {}
    return {key: value for key, value in given.items() if key in apps.APP_KEYS}


def secret_values(raw: dict[str, object]) -> list[str]:
    """Every text held by a secret setting of the namespace, inside structured values too."""
    found: list[str] = []
    pending = [value for key, value in raw.items() if _is_secret(f"{NAMESPACE}:{key}")]
    while pending:  # iterative: a value may nest deep (the validators refuse it after)
        value = pending.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            pending.extend(value.values())  # not the keys: our messages name them
        elif isinstance(value, list):
            pending.extend(value)
        elif value is not None and not isinstance(value, bool):
            found.append(str(value))
    return found


def stop(
    problems: list[settings.Problem], token: object = None, secrets: list[str] | None = None
) -> NoReturn:
    """Report every problem at once, then end the run without a traceback.

    A value a problem quotes may be the token, a credential, or any secret setting's
    value (`extraSecrets` inside a secret `azureApps`), pasted or listed where it is quoted.
    """
    given = [token] if isinstance(token, str) else []
    secrets = [*given, *(secrets or ()), *redaction.environment_secrets(os.environ)]
    for problem in problems:
        # The namespace is ours: a secret value such as an app named `druva` must not blank it.
        key, message = (redaction.redact(text, secrets) for text in (problem.key, problem.message))
        pulumi.log.error(str(settings.Problem(key, message)))
    count = len(problems)
    raise pulumi.RunError(
        f"{count} setting{'s' if count != 1 else ''} of {NAMESPACE} "
        f"need{'s' if count == 1 else ''} fixing; nothing was changed"
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
        message = lifecycle.rotation_warning(life, clock.now())
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


# --- the apps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppExports:
    """What was registered for the apps, as the stack outputs `targets` and
    `pendingManualSteps` show it (one entry per app; one per pending hand-off)."""

    targets: list[dict[str, Any]]
    pending_manual_steps: list[dict[str, Any]]


def wire_apps(config: Config, token: ScimToken) -> AppExports:
    """Write the token into every Azure and Okta app; track the ones done by hand."""
    found = config.apps
    targets = azure_wiring.azure_apps(
        found.azure_apps, found.azure_tenants, config.azure_sign_in, token, config.fingerprint
    )
    okta_targets, okta_pending = okta_wiring.okta_apps(
        found.okta_apps, found.okta_orgs, config.okta_org_url, token, config.fingerprint
    )
    manual_targets, manual_pending = manual_wiring.manual_apps(
        found.manual_apps, token, config.fingerprint
    )
    return AppExports(targets + okta_targets + manual_targets, okta_pending + manual_pending)


def export_apps(found: AppExports) -> None:
    pulumi.export("targets", found.targets)
    pulumi.export("pendingManualSteps", found.pending_manual_steps)


def export_version() -> None:
    """Say which version of druva-scim ran the program, once everything is registered.

    Last, because the SDK registers the stack's outputs even when the program raises
    (sdk/python/lib/pulumi/runtime/stack.py, `stack._finish()` in a `finally`), and after a
    failed run the engine keeps the old value of every output not given
    (pkg/resource/deploy/deployment_executor.go `Execute` and step_executor.go
    `executeRegisterResourceOutputs`, `finalizingStackOutputs && errored`): a run that stops
    on a wrong setting leaves the version of the run before. A new or changed output is no
    resource step: it is set on the stack's own step, whose inputs stay the same, and only
    steps count as changes (pkg/engine/update.go `OnResourceStepPost` and `HasChanges`): the
    first preview of a new version shows the output's new value and counts no change, and
    `--expect-no-changes` still passes.
    All in pulumi/pulumi at 1b5949891b3cefcb9974752b24a5ecef0acc86c8.
    """
    pulumi.export("version", VERSION)
