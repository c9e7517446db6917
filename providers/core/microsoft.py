"""Any process: what Microsoft documents that the validation and the Graph client both need.

Entra ID's clouds and their Graph, the clouds where Graph does not document the
APIs used here (none since Microsoft's pages mark China as supported), and the keys of
Graph's synchronization secrets.
"""

from __future__ import annotations

import json

from providers.core.settings import kind

# Written by this program from the token resource; an extra secret may not override them.
MANAGED_SECRET_KEYS = ("BaseAddress", "SecretToken")
# Graph's `synchronizationSecret` enum: the only keys the secrets API takes. Source: Microsoft
# Graph v1.0 documentation, "synchronizationSecretKeyStringValuePair resource type" and the
# synchronization enum values (learn.microsoft.com/graph/api/resources/
# synchronization-synchronizationsecretkeystringvaluepair). Without the two written from the
# token, and `None`, which names no secret.
SYNCHRONIZATION_SECRET_KEYS = (
    "UserName",
    "Password",
    "AppKey",
    "ClientIdentifier",
    "ClientSecret",
    "SingleSignOnType",
    "Sandbox",
    "Url",
    "Domain",
    "ConsumerKey",
    "ConsumerSecret",
    "TokenKey",
    "TokenExpiration",
    "Oauth2AccessToken",
    "Oauth2AccessTokenCreationTime",
    "Oauth2RefreshToken",
    "SyncAll",
    "InstanceName",
    "Oauth2ClientId",
    "Oauth2ClientSecret",
    "CompanyId",
    "UpdateKeyOnSoftDelete",
    "SynchronizationSchedule",
    "SystemOfRecord",
    "SandboxName",
    "EnforceDomain",
    "SyncNotificationSettings",
    "SkipOutOfScopeDeletions",
    "Oauth2AuthorizationCode",
    "Oauth2RedirectUri",
    "ApplicationTemplateIdentifier",
    "Oauth2TokenExchangeUri",
    "Oauth2AuthorizationUri",
    "AuthenticationType",
    "Server",
    "PerformInboundEntitlementGrants",
    "HardDeletesEnabled",
    "SyncAgentCompatibilityKey",
    "SyncAgentADContainer",
    "ValidateDomain",
    "TestReferences",
    "ConnectionString",
)
NOTIFICATION_SETTINGS = (
    "notification e-mails are set in SyncNotificationSettings, a JSON text such as "
    '{"Enabled":true,"Recipients":"ops@example.com","DeleteThresholdEnabled":true}'
)
AZURE_ENVIRONMENTS = {
    # azuread's `environment` setting (with its documented aliases) -> that cloud's Graph.
    "global": "https://graph.microsoft.com",
    "public": "https://graph.microsoft.com",
    "usgovernment": "https://graph.microsoft.us",
    "usgovernmentl4": "https://graph.microsoft.us",
    "usgovernmentl5": "https://dod-graph.microsoft.us",
    "dod": "https://dod-graph.microsoft.us",
    "china": "https://microsoftgraph.chinacloudapi.cn",
}


# Every cloud's Graph documents the synchronization APIs used here. Microsoft's
# current pages mark every cloud, China (21Vianet) included, as supported for validateCredentials
# (learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-validatecredentials
# ?view=graph-rest-1.0, modified 2026-07-03), the secrets PUT
# (learn.microsoft.com/en-us/graph/api/synchronization-serviceprincipal-put-synchronization
# ?view=graph-rest-1.0, modified 2026-07-03) and restart (microsoftgraph/
# microsoft-graph-docs-contrib api-reference/v1.0/api/synchronization-synchronizationjob-restart.md
# @ 1059f1dcd81909ce3e74495090e3a6e567afda31, which includes all-clouds.md). Older copies
# (validatecredentials.md @ 0713c450496046d1f357f9afae7a914ac6ab4277 with global-us.md) did not.
def extra_secret_problem(key: str, item: object) -> str | None:
    """Why an `extraSecrets` entry cannot go into Graph's synchronization secrets, or None."""
    if key in MANAGED_SECRET_KEYS:
        return "is written by druva-scim from the token; remove it here"
    if key not in SYNCHRONIZATION_SECRET_KEYS:
        spelled = [known for known in SYNCHRONIZATION_SECRET_KEYS if known.lower() == key.lower()]
        hint = (
            f"spell it {spelled[0]}; "
            if spelled
            else f"{NOTIFICATION_SETTINGS}; "
            if "notification" in key.lower()
            else ""
        )
        return f"is not a key of Graph's synchronization secrets; {hint}the keys are " + ", ".join(
            SYNCHRONIZATION_SECRET_KEYS
        )
    if not isinstance(item, str):
        quoted = json.dumps(item) if isinstance(item, bool | int | float) else "its value"
        return f"must be a string, not {kind(item)}; quote it in the stack file ({quoted!r})"
    if key == "SyncNotificationSettings" and not isinstance(_json_object(item), dict):
        return f"must be a JSON object in a string: {NOTIFICATION_SETTINGS}"
    return None


def _json_object(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
