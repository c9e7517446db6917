"""Any process: the sentences a user reads in more than one place, written once here.

Messages are built where they are raised; what two of them share (the rotation
steps, a manual hand-off's steps, the Graph permissions, how to sign in, where
the docs explain it) comes from here, so that the words cannot drift apart.
"""

from __future__ import annotations

NAMESPACE = "druva-scim"
"""The stack config namespace: `pulumi config set druva-scim:KEY VALUE`."""
TOKEN_KEY = f"{NAMESPACE}:scimToken"
"""The config key of the token, as the rotation helper and the pre-flight write and read it."""

ROTATION_ANCHOR = "docs/rotation.md"
GITOPS_ANCHOR = "docs/gitops.md"

ROTATION_STEPS = (
    "generate a new token in the Druva console (Users > User Provisioning > three-dot menu > "
    "New Token), then at once run `venv/bin/python -m providers.rotate --stack <stack>` (or "
    "`pulumi config set --secret druva-scim:scimToken`, `pulumi config set druva-scim:issuedAt "
    "<UTC time>`, `pulumi up`); docs/rotation.md"
)
"""What to do once rotation is due or the token has expired; every such message says it so."""

GRAPH_PERMISSIONS = (
    "the application permission Application.ReadWrite.OwnedBy with the identity running "
    "`pulumi up` added as an owner of the enterprise app, or Synchronization.ReadWrite.All; "
    "either needs admin consent (docs/checks.md)"
)
"""What the identity running `pulumi up` needs in Microsoft Graph, for writing and checking."""

AZURE_SIGN_IN = (
    "ARM_TENANT_ID and ARM_CLIENT_ID with ARM_CLIENT_SECRET, or ARM_USE_OIDC=true with an "
    "OIDC token (docs/checks.md)"
)
OKTA_SIGN_IN = (
    "OKTA_API_TOKEN, or OKTA_API_CLIENT_ID with OKTA_API_PRIVATE_KEY, OKTA_API_PRIVATE_KEY_ID "
    "and OKTA_API_SCOPES (docs/checks.md)"
)

LATER = "run `pulumi up` again later"
"""The advice when a service is down or throttling after every retry: nothing changed."""


def confirm_key(index: int | None, setting: str = "oktaApps") -> str:
    """The setting that records a manual hand-off; `N` where the app's place is unknown."""
    return f"{NAMESPACE}:{setting}[{'N' if index is None else index}].confirmedFingerprint"


READ_TOKEN = "Read the current token: pulumi stack output scimToken --show-secrets"  # noqa: S105


def manual_steps(
    app_name: str, app_id: str, org_url: str | None, fingerprint: str, index: int | None
) -> list[str]:
    """What an admin does by hand for one manual Okta app, in order: the Druva 2.0 app, or a
    custom SAML app with SCIM (Druva GovCloud, which the Druva 2.0 app does not serve).

    Druva's rotation steps for Okta (help.druva.com/en/articles/8807119): Provisioning >
    Integration > Edit, paste into "API Token", "Test API credentials", Save. A custom SAML app
    with SCIM, made with the App Integration Wizard, authenticates with Authentication Mode
    HTTP Header ("enter a bearer token") and is tested with "Test Connector Configuration"
    (okta/okta-developer-docs packages/@okta/vuepress-site/docs/guides/
    scim-provisioning-integration-connect/main/index.md @ 468de9c511b5e4009bb5f06c25cbf4b85fecb8d0,
    lines 84-91, in a part of the page not rendered; lines 52-61 are the App Catalog's
    template apps, tested with Test API Credentials). Whether that field wants the token alone
    or after `Bearer ` neither Okta nor Druva says, so the step does not either.
    """
    console = f"{org_url}/admin" if org_url else "your Okta org's Admin Console"
    return [
        READ_TOKEN,
        f"Open {console} > Applications > Applications > {app_name} ({app_id})",
        "Provisioning > Integration > Edit",
        "Paste the token into API Token (in a custom SAML app with SCIM, the token of its HTTP "
        "Header authentication), click Test API Credentials (Test Connector Configuration in a "
        "custom SAML app), then Save",
        f"Confirm: pulumi config set --path '{confirm_key(index)}' {fingerprint} "
        "(commit it for review)",
    ]


IDENTITY_PROVIDERS = {"onelogin": "OneLogin", "jumpcloud": "JumpCloud", "other": "other"}
"""How messages name the identity provider of each kind of `manualApps` entry."""


def provider_label(kind: str) -> str:
    """`OneLogin app`, `JumpCloud app`; `app` for kind other (its provider has no name here)."""
    label = IDENTITY_PROVIDERS.get(kind, "other")
    return "app" if label == "other" else f"{label} app"


def handoff_steps(
    kind: str,
    app_name: str,
    app_id: str,
    console_url: str | None,
    fingerprint: str,
    index: int | None,
) -> list[str]:
    """What an admin does by hand for one `manualApps` entry, in order (docs/handoffs.md)."""
    app = f"{app_name} ({app_id})"
    if kind == "onelogin":
        # Druva's OneLogin guide, help.druva.com/en/articles/8807071 ("Manage Users from One
        # login using SCIM"): the SCIM Provisioner with SAML (SCIM v2 Core) app, its
        # Configuration tab's SCIM Bearer Token, then "enable the API Connection. If the
        # verification is successful the API status shows as Enabled and Save the application".
        # No OneLogin page on changing the token was found: whether API Connection must be
        # disabled and enabled again to re-verify is not documented, so the step does not say.
        steps = [
            f"Open {console_url or 'the OneLogin admin console'} > Applications > {app}, the "
            "SCIM Provisioner with SAML (SCIM v2 Core) app",
            "Configuration: paste the token into SCIM Bearer Token; leave SCIM Base URL and "
            "SCIM JSON Template as they are",
            "Make sure API Connection is enabled (its status shows Enabled once OneLogin "
            "verified the token), then Save",
        ]
    elif kind == "jumpcloud":
        # JumpCloud's "Integrate with Druva", jumpcloud.com/support/integrate-with-druva: "If
        # you need to update your token, you must deactivate the IdM integration, update the
        # token, and then reactivate the IdM integration." The token field's label on the Druva
        # connector is not in what could be read: JumpCloud's SCIM guides call it Token Key.
        # The Identity Management tab is JumpCloud's for every SCIM connector ("Get Started:
        # SCIM Identity Management", support.jumpcloud.com); its buttons on the Druva app are not
        # in what could be read, so the step names the actions, not the buttons.
        steps = [
            f"Open {console_url or 'the JumpCloud Admin Portal'} > SSO Applications > {app}",
            "Identity Management: deactivate the integration, replace the token in its token "
            "field (JumpCloud's SCIM guides call it Token Key), then reactivate the integration",
        ]
    else:
        # No vendor steps exist; Druva says the new token must be used to "reconfigure the
        # existing SCIM app" (help.druva.com/en/articles/8807119), and a SCIM client sends it
        # as a bearer token (RFC 7644 section 2, RFC 6750).
        steps = [
            f"Open {console_url or 'the identity provider admin console'} at the SCIM "
            f"provisioning settings of {app}",
            "Replace its SCIM bearer token with the token, keeping its SCIM base URL",
            "Run its connection test, if it has one, then save",
        ]
    return [
        READ_TOKEN,
        *steps,
        f"Confirm: pulumi config set --path '{confirm_key(index, 'manualApps')}' {fingerprint} "
        "(commit it for review)",
    ]


# The pre-flight's preview (providers/preflight.py) and the program that reads it.
PREFLIGHT_VARIABLE = "DRUVA_SCIM_PREFLIGHT"
"""Set in the environment of the pre-flight's own `pulumi preview` of a stack that holds no
token yet: the program then stands a placeholder in for the token, in that preview only, and
refuses to run with it set outside a preview (providers/program.py)."""
PENDING_APPS_VARIABLE = "DRUVA_SCIM_PREFLIGHT_APPS"
"""Beside PREFLIGHT_VARIABLE: the apps the guided first run has been given but not stored yet
(JSON, by setting: azureApps, oktaApps), previewed and checked as if stored, so that their ids
are proved before the click and nothing is written before the token is in hand."""
NEW_FINGERPRINT = "<the new token's fingerprint>"
"""What the steps say in place of a fingerprint that only the new token will have."""
