"""Program: each Okta app's resources: the API's connection and its check, or a tracked hand-off.

An api-mode app gets an `okta.app.Connection` with the token and an
`OktaConnectionCheck` after it; a manual app (the default) gets an
`OktaManualHandoff`, a warning while it is pending, and its steps in the
`pendingManualSteps` output. Per `oktaOrgs` entry an api-mode app uses, an
explicit okta provider.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from typing import Any

import pulumi
import pulumi_okta

from providers.core.apps import OKTA_API, OKTA_MANUAL, OktaApp, OktaOrg
from providers.core.settings import Problem
from providers.core.texts import NAMESPACE, manual_steps
from providers.druva.token import ScimToken
from providers.okta.check import OktaConnectionCheck, OktaConnectionCheckArgs
from providers.okta.handoff import OktaManualHandoff, OktaManualHandoffArgs
from providers.wiring import after, confirmed, error_hooks

CONNECTION_ENABLED = "connection-enabled"
"""An api-mode app's state in `targets` once Okta showed its connection enabled with a token:
Okta's read-back never shows the token itself (docs/checks.md)."""
# Text is all an error hook is given: `ErrorHookArgs.errors: list[str]` (pulumi/pulumi
# sdk/python/lib/pulumi/resource_hooks.py @ 1b5949891b3cefcb9974752b24a5ecef0acc86c8), so
# the bridged provider's words are the only signal; each pattern cites where they come from.
UNSUPPORTED_ERROR_CODES = frozenset({"E0000001"})
"""Okta's API validation exception: the only 400 its reference lists for a connection update."""
PROVIDER_REFUSAL = re.compile(r"app connection for application ID \S+: 400\b")
"""That 400 as the okta provider reports it: its okta_app_connection says `Could not create
(or update) app connection for application ID <id>: ` and then okta-sdk-golang's error,
which for a 400 is the HTTP status line alone ("400 Bad Request"), without Okta's code."""


def default_org_url() -> str | None:
    """The default okta provider's org, from `okta:*` config or the provider's environment."""
    okta_config = pulumi.Config("okta")
    org_name = okta_config.get("orgName") or os.environ.get("OKTA_ORG_NAME")
    base_url = okta_config.get("baseUrl") or os.environ.get("OKTA_BASE_URL") or "okta.com"
    return f"https://{org_name}.{base_url}" if org_name else None


def default_org_problems(okta_apps: Collection[OktaApp], org_url: str | None) -> list[Problem]:
    """An api-mode app on the default okta provider needs that provider's org."""
    return [
        Problem(
            f"oktaApps[{app.index}]",
            "uses the default okta provider, whose org is not configured: set "
            "okta:orgName (and okta:baseUrl) or OKTA_ORG_NAME, or name an org from "
            "druva-scim:oktaOrgs with `org`",
        )
        for app in okta_apps
        if app.mode == "api" and app.org is None and org_url is None
    ]


def okta_apps(
    okta_apps: Collection[OktaApp],
    orgs: Mapping[str, OktaOrg],
    default_org: str | None,
    token: ScimToken,
    fingerprint: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every Okta app's entry of `targets`, and the pending hand-offs' `pendingManualSteps`."""
    # A provider is configured (and wants credentials) only where an app uses it through
    # the API: an org with manual apps alone needs no Okta credential.
    used = {app.org for app in okta_apps if app.mode == "api"}
    providers = {
        name: pulumi_okta.Provider(f"okta-org-{name}", org_name=org.org_name, base_url=org.base_url)
        for name, org in orgs.items()
        if name in used
    }
    entries: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for app in okta_apps:
        org = orgs.get(app.org or "")
        org_url = org.org_url if org else default_org
        if app.mode == "api":
            provider = providers.get(app.org or "")
            entries.append(_api_app(app, token, fingerprint, provider, org_url or ""))
        else:
            entry, steps = _manual_app(app, token, fingerprint, org_url)
            entries.append(entry)
            pending.extend(steps)
    return entries, pending


def _api_app(
    app: OktaApp,
    token: ScimToken,
    fingerprint: str,
    provider: pulumi_okta.Provider | None,
    org_url: str,
) -> dict[str, Any]:
    connection = pulumi_okta.app.Connection(
        f"okta-{app.name}",
        id_property=app.app_id,
        base_url=token.tenantUrl,
        action="activate",
        profile=pulumi_okta.app.ConnectionProfileArgs(
            auth_scheme="TOKEN", token=pulumi.Output.secret(token.scimToken)
        ),
        opts=after(
            token,
            provider=provider,
            additional_secret_outputs=["profile"],
            hooks=error_hooks(
                f"druva-scim-okta-unsupported-{app.name}",
                lambda errors: refusal_message(
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
        **_entry(app, OKTA_API, fingerprint, org_url),
        "state": confirmed(check.tokenFingerprint, fingerprint, CONNECTION_ENABLED),
        "verifiedAt": check.lastVerifiedAt,
    }


def _manual_app(
    app: OktaApp, token: ScimToken, fingerprint: str, org_url: str | None
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
        opts=after(token, aliases=[pulumi.Alias(name=f"okta-handoff-{app.name}")]),
    )
    is_pending = app.confirmed_fingerprint != fingerprint
    entry = {
        **_entry(app, OKTA_MANUAL, fingerprint, org_url),
        "confirmedFingerprint": app.confirmed_fingerprint,
        "state": "pending" if is_pending else "confirmed",
    }
    if not is_pending:
        return entry, []
    steps = manual_steps(app.name, app.app_id, org_url, fingerprint, app.index)
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


def _entry(app: OktaApp, kind: str, fingerprint: str, org_url: str | None) -> dict[str, Any]:
    """The start of an Okta app's entry in the `targets` output (the gate and health read it)."""
    return {
        "name": app.name,
        "kind": kind,
        "appId": app.app_id,
        "org": app.org or "default",
        "orgUrl": org_url,
        "tokenFingerprint": fingerprint,
    }


def refusal_message(
    errors: Collection[str], *, index: int, app_name: str, app_id: str
) -> str | None:
    """For the okta provider's error texts: the hand-off advice if Okta refused. Pure.

    E0000001 (API validation failed) is the refusal Okta documents for this
    endpoint; the provider may quote that code, or only the 400 (PROVIDER_REFUSAL).
    """
    if not any(
        PROVIDER_REFUSAL.search(error) or any(code in error for code in UNSUPPORTED_ERROR_CODES)
        for error in errors
    ):
        return None
    return (
        f"Okta refused the token connection of {app_name} ({app_id}): Okta's Application "
        "Connections API takes tokens only for the integrations it lists (Org2Org, Zscaler "
        "2.0) and custom SCIM apps are updated in the Admin Console: switch "
        f"{NAMESPACE}:oktaApps[{index}].mode to manual; the next `pulumi up` then lists the "
        "hand-off's steps in `pendingManualSteps`"
    )
