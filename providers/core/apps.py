"""Any process: the apps that receive the token, validated from stack config.

Pure: no Pulumi, no HTTP. "Apps" are the entries of `azureApps` and `oktaApps`,
with the `azureTenants` and `oktaOrgs` they name, and `manualApps`: the apps of any other
identity provider (OneLogin, JumpCloud, other), whose token an admin pastes by hand. Every
problem names its key path (`druva-scim:azureApps[2].servicePrincipalId`) and says how to fix
it. What Microsoft
documents that the validation, the pre-flight and the Graph client all need sits here too:
Entra ID's clouds and their Graph, and the keys of Graph's synchronization secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from providers.core.settings import Problem, kind, shown, structure_problem

# --- a list of objects from stack config, read entry by entry ----------------------------------


@dataclass(frozen=True)
class Text:
    """A text setting of an entry: what it must match, how to say so, whether it must be set."""

    pattern: re.Pattern[str]
    hint: str
    required: bool = True


Item = TypeVar("Item")
Read = Callable[[str, Mapping[str, Any], int], tuple[str | None, Item | None]]
"""Reads one entry (its path, the entry, its index): its name, and the item when it is valid."""


class Entries:
    """Walks one list of objects from config, collecting problems as it goes."""

    def __init__(self, key: str, raw: object, problems: list[Problem]) -> None:
        self.key = key
        self.problems = problems
        self.entries: list[tuple[str, Mapping[str, Any], int]] = []
        if raw is None:
            return
        if not isinstance(raw, list):
            problems.append(
                Problem(
                    key, f"must be a list of objects (YAML list or JSON array), not {kind(raw)}"
                )
            )
            return
        for index, entry in enumerate(raw):
            path = f"{key}[{index}]"
            if not isinstance(entry, dict):
                problems.append(Problem(path, f"must be an object with keys, not {kind(entry)}"))
                continue
            self.entries.append((path, entry, index))

    def unknown_keys(self, path: str, entry: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for name in sorted(set(entry) - set(allowed)):
            self.problems.append(
                Problem(f"{path}.{name}", f"is not a known key; use one of {', '.join(allowed)}")
            )

    def texts(
        self, path: str, entry: Mapping[str, Any], fields: Mapping[str, Text]
    ) -> dict[str, str | None]:
        """Each of `fields` read from `entry`, trimmed; None (and a problem) where not valid."""
        found: dict[str, str | None] = {}
        for name, text in fields.items():
            value = entry.get(name)
            if value is None:
                if text.required:
                    self.problems.append(Problem(f"{path}.{name}", f"is required: {text.hint}"))
                found[name] = None
            elif not isinstance(value, str) or not text.pattern.fullmatch(value.strip()):
                message = f"{shown(value)} is not valid: {text.hint}"
                self.problems.append(Problem(f"{path}.{name}", message))
                found[name] = None
            else:
                found[name] = value.strip()
        return found

    def choice(
        self,
        path: str,
        entry: Mapping[str, Any],
        name: str,
        default: str,
        options: tuple[str, ...],
        rule: str,
    ) -> str | None:
        """One of `options` (or `default` when it is not set); None, and a problem, otherwise."""
        value = entry.get(name, default)
        if isinstance(value, str) and value in options:
            return value
        self.problems.append(Problem(f"{path}.{name}", f"{rule}, not {shown(value)}"))
        return None

    def each(self, allowed: tuple[str, ...], read: Read[Item]) -> list[tuple[str, Item]]:
        """`read` of every entry (after its unknown keys), with the entries' names unique."""
        names: list[tuple[str, str | None]] = []
        read_ones: list[tuple[str, Item]] = []
        for path, entry, index in self.entries:
            self.unknown_keys(path, entry, allowed)
            name, item = read(path, entry, index)
            names.append((path, name))
            if item is not None:
                read_ones.append((path, item))
        self.unique_names(names)
        return read_ones

    def unique_apps(self, entries: list[tuple[str, str | None, str]], key: str, scope: str) -> None:
        """Two entries for one app would overwrite each other's credentials on every run.

        `where` is the scope an id is unique in (None: everywhere); `scope` says it."""
        seen: dict[tuple[str | None, str], str] = {}
        for path, where, value in entries:
            if (where, value.lower()) in seen:
                self.problems.append(
                    Problem(
                        f"{path}.{key}",
                        f"{value} is already listed as {seen[(where, value.lower())]} {scope}; "
                        "list each app once",
                    )
                )
            else:
                seen[(where, value.lower())] = path

    def unique_names(self, names: list[tuple[str, str | None]]) -> None:
        seen: dict[str, str] = {}
        for path, name in names:
            if name is None:
                continue
            folded = name.lower()
            if folded in seen:
                self.problems.append(
                    Problem(
                        f"{path}.name",
                        f"{shown(name)} is already used by {seen[folded]}; names must be unique",
                    )
                )
            else:
                seen[folded] = path


GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SERVICE_PRINCIPALS = "/servicePrincipals/"
"""How azuread spells a service principal's id: `/servicePrincipals/{objectId}` (its
`stable.ValidateServicePrincipalID` refuses the bare object id); Graph's URLs take the bare one."""
SERVICE_PRINCIPAL_ID = re.compile(
    r"^(?:/servicePrincipals/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    re.IGNORECASE,
)
"""`servicePrincipalId` as users may write it: the bare Object ID, or azuread's form of it."""
OKTA_APP_ID = re.compile(r"^0oa[0-9A-Za-z]{10,30}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
OKTA_ORG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{12}$")
HOST = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)

OKTA_MODES = ("api", "manual")
APP_KEYS = ("azureApps", "oktaApps", "manualApps", "azureTenants", "oktaOrgs")
MANUAL_KINDS = ("onelogin", "jumpcloud", "other")
"""The identity providers a `manualApps` entry may name: none of them has an API that sets the
token (docs/handoffs.md)."""
OKTA_SAML = "okta-saml"
"""Not a kind of `manualApps`: an Okta custom SAML app with SCIM is an `oktaApps` entry in
manual mode, whose steps are that app's (docs/handoffs.md); the kind is refused with that."""
MANUAL_APP_ID = re.compile(r"^[A-Za-z0-9](?!.*::)[A-Za-z0-9_.:-]{0,127}$")
"""No `::`: the id names the hand-off, and `::` separates the parts of its URN."""
CONSOLE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$")
AZURE = "azure"
"""The `kind` of an Azure app's entry in the `targets` output."""
OKTA_API = "okta-api"
"""An Okta app whose token is set through Okta's API."""
OKTA_MANUAL = "okta-manual"
"""An Okta app whose token an admin pastes by hand."""
MANUAL_TARGETS = {kind: f"{kind}-manual" for kind in MANUAL_KINDS}
"""A `manualApps` entry's kind in the `targets` output: onelogin-manual, jumpcloud-manual,
other-manual (as an Okta app set by hand is okta-manual)."""
TARGET_KINDS = (AZURE, OKTA_API, OKTA_MANUAL, *MANUAL_TARGETS.values())
"""The kinds of entry in the `targets` output: the program writes them, the health check reads
them."""


@dataclass(frozen=True)
class AzureTenant:
    name: str
    tenant_id: str
    client_id: str | None
    environment: str

    @property
    def graph_url(self) -> str:
        return AZURE_ENVIRONMENTS[self.environment]


class SignIn(NamedTuple):
    """Where an Azure app's check signs in: as the program gives it, and as the pre-flight
    signs in for it."""

    graph_url: str
    tenant_id: str | None
    """None: the tenant of the environment's credentials (ARM_TENANT_ID)."""
    client_id: str | None
    """None: the client of the environment's credentials (ARM_CLIENT_ID)."""


@dataclass(frozen=True)
class OktaOrg:
    name: str
    org_name: str
    base_url: str

    @property
    def org_url(self) -> str:
        return f"https://{self.org_name}.{self.base_url}"


@dataclass(frozen=True)
class AzureApp:
    name: str
    service_principal_id: str
    """The bare Object ID, lower-cased, whichever form the setting used: Graph's URLs, our
    checks and the `targets` output take this one."""
    tenant: str | None
    extra_secrets: tuple[tuple[str, str], ...]
    """Other synchronization-secret keys to write back, since writing replaces the set."""

    @property
    def azuread_service_principal_id(self) -> str:
        """The id as azuread's SynchronizationSecret takes it: `/servicePrincipals/{objectId}`."""
        return SERVICE_PRINCIPALS + self.service_principal_id


@dataclass(frozen=True)
class OktaApp:
    name: str
    app_id: str
    org: str | None
    mode: str
    confirmed_fingerprint: str | None
    """manual mode: the token fingerprint an admin confirmed pasting in the Admin Console."""
    index: int
    """Position in `oktaApps`, for messages that tell the exact key to set."""


@dataclass(frozen=True)
class ManualApp:
    """An app of another identity provider, which has no API for the token: set by hand."""

    name: str
    """What messages call it; renaming it changes nothing in the stack but the words."""
    kind: str
    """One of MANUAL_KINDS."""
    app_id: str
    """With `kind`, what names its hand-off in the stack, whatever `name` says."""
    console_url: str | None
    """The app's page in the identity provider's admin console, for the steps."""
    confirmed_fingerprint: str | None
    index: int
    """Position in `manualApps`, for messages that tell the exact key to set."""


@dataclass(frozen=True)
class Apps:
    azure_apps: tuple[AzureApp, ...] = ()
    okta_apps: tuple[OktaApp, ...] = ()
    manual_apps: tuple[ManualApp, ...] = ()
    azure_tenants: Mapping[str, AzureTenant] = field(default_factory=dict)
    okta_orgs: Mapping[str, OktaOrg] = field(default_factory=dict)


def parse_apps(raw: Mapping[str, object]) -> tuple[Apps, list[Problem]]:
    """Validate `azureTenants`, `oktaOrgs`, `azureApps`, `oktaApps` and `manualApps` together."""
    problems: list[Problem] = []
    deep = {key for key in APP_KEYS if structure_problem(raw.get(key))}
    problems.extend(Problem(key, str(structure_problem(raw.get(key)))) for key in sorted(deep))
    raw = {key: value for key, value in raw.items() if key not in deep}
    tenants = _azure_tenants(Entries("azureTenants", raw.get("azureTenants"), problems))
    orgs = _okta_orgs(Entries("oktaOrgs", raw.get("oktaOrgs"), problems))
    azure_apps = _azure_apps(Entries("azureApps", raw.get("azureApps"), problems), tenants)
    okta_apps = _okta_apps(Entries("oktaApps", raw.get("oktaApps"), problems), orgs)
    manual_apps = _manual_apps(Entries("manualApps", raw.get("manualApps"), problems))
    if problems:
        return Apps(), problems
    return Apps(tuple(azure_apps), tuple(okta_apps), tuple(manual_apps), tenants, orgs), []


TENANT_FIELDS = {
    "name": Text(NAME, "a short name apps refer to, like `contoso`"),
    "tenantId": Text(GUID, "the Entra tenant id, a GUID (Entra ID > Overview)"),
    "clientId": Text(
        GUID, "the application (client) id of the identity pulumi uses there, a GUID", False
    ),
}
ORG_FIELDS = {
    "name": Text(NAME, "a short name apps refer to, like `corp`"),
    "orgName": Text(
        OKTA_ORG_NAME, "the org's subdomain, `dev-123456` for https://dev-123456.okta.com"
    ),
    "baseUrl": Text(
        HOST, "the org's domain without scheme: okta.com, oktapreview.com or okta-emea.com", False
    ),
}
AZURE_APP_FIELDS = {
    "name": Text(NAME, "a short name for the app, like `druva-prod`"),
    "servicePrincipalId": Text(
        SERVICE_PRINCIPAL_ID,
        "the Druva enterprise app's Object ID, a GUID (Entra ID > Enterprise applications > "
        "the Druva app > Overview), written bare (6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b) or as "
        "azuread's id of it (/servicePrincipals/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b)",
    ),
}
OKTA_APP_FIELDS = {
    "name": Text(NAME, "a short name for the app, like `druva-okta`"),
    "appId": Text(
        OKTA_APP_ID,
        "the Okta app id, like 0oa1b2c3d4e5f6g7h8i9 (the part after /instance/ in the app's "
        "Admin Console URL)",
    ),
}
CONFIRMED_FIELD = {
    "confirmedFingerprint": Text(
        FINGERPRINT,
        "the 12 hex digits of `pulumi stack output tokenFingerprint` after pasting that token",
        False,
    )
}


def _azure_tenants(reader: Entries) -> dict[str, AzureTenant]:
    def read(path: str, entry: Mapping[str, Any], _: int) -> tuple[str | None, AzureTenant | None]:
        found = reader.texts(path, entry, TENANT_FIELDS)
        environment = reader.choice(
            path,
            entry,
            "environment",
            "global",
            tuple(AZURE_ENVIRONMENTS),
            f"must be one of {', '.join(AZURE_ENVIRONMENTS)} (as azuread's `environment`)",
        )
        name, tenant_id, client_id = found["name"], found["tenantId"], found["clientId"]
        if name and tenant_id and environment and (client_id or "clientId" not in entry):
            return name, AzureTenant(name, tenant_id, client_id, environment)
        return name, None

    read_ones = reader.each((*TENANT_FIELDS, "environment"), read)
    return {tenant.name: tenant for _, tenant in read_ones}


def _okta_orgs(reader: Entries) -> dict[str, OktaOrg]:
    def read(path: str, entry: Mapping[str, Any], _: int) -> tuple[str | None, OktaOrg | None]:
        found = reader.texts(path, entry, ORG_FIELDS)
        name, org_name = found["name"], found["orgName"]
        base_url = found["baseUrl"] or ("okta.com" if "baseUrl" not in entry else None)
        return name, OktaOrg(name, org_name, base_url) if name and org_name and base_url else None

    return {org.name: org for _, org in reader.each(tuple(ORG_FIELDS), read)}


def _azure_apps(reader: Entries, tenants: Mapping[str, AzureTenant]) -> list[AzureApp]:
    def read(path: str, entry: Mapping[str, Any], _: int) -> tuple[str | None, AzureApp | None]:
        found = reader.texts(path, entry, AZURE_APP_FIELDS)
        tenant = _reference(reader, path, entry, "tenant", tenants, "azureTenants")
        extra = _extra_secrets(reader, f"{path}.extraSecrets", entry.get("extraSecrets"))
        name, sp_id = found["name"], found["servicePrincipalId"]
        if name and sp_id and tenant is not _INVALID and extra is not None:
            return name, AzureApp(name, object_id(sp_id), tenant, extra)
        return name, None

    placed = reader.each((*AZURE_APP_FIELDS, "tenant", "extraSecrets"), read)
    reader.unique_apps(
        [(path, app.tenant, app.service_principal_id) for path, app in placed],
        "servicePrincipalId",
        "in the same tenant",
    )
    return [app for _, app in placed]


def object_id(service_principal_id: str) -> str:
    """The bare Object ID, lower-cased, of a `servicePrincipalId` in either accepted form."""
    text = service_principal_id.strip()
    if text[: len(SERVICE_PRINCIPALS)].lower() == SERVICE_PRINCIPALS.lower():
        text = text[len(SERVICE_PRINCIPALS) :]
    return text.lower()


def _okta_apps(reader: Entries, orgs: Mapping[str, OktaOrg]) -> list[OktaApp]:
    def read(path: str, entry: Mapping[str, Any], index: int) -> tuple[str | None, OktaApp | None]:
        found = reader.texts(path, entry, OKTA_APP_FIELDS)
        org = _reference(reader, path, entry, "org", orgs, "oktaOrgs")
        # Okta takes tokens through its API only for Org2Org and Zscaler 2.0; Druva's OIN
        # app "Druva 2.0" is not one of them, so the hand-off is the normal path.
        mode = reader.choice(
            path,
            entry,
            "mode",
            "manual",
            OKTA_MODES,
            "must be `api` (set through Okta's API) or `manual` (pasted in the Admin Console, "
            "tracked here)",
        )
        confirmed = reader.texts(path, entry, CONFIRMED_FIELD)["confirmedFingerprint"]
        if "confirmedFingerprint" in entry and mode == "api":
            reader.problems.append(
                Problem(
                    f"{path}.confirmedFingerprint",
                    "applies only to mode `manual`; remove it, or set mode to manual",
                )
            )
        name, app_id = found["name"], found["appId"]
        valid_confirmed = confirmed is not None or "confirmedFingerprint" not in entry
        if name and app_id and org is not _INVALID and mode in OKTA_MODES and valid_confirmed:
            return name, OktaApp(name, app_id, org, str(mode), confirmed, index)
        return name, None

    placed = reader.each((*OKTA_APP_FIELDS, "org", "mode", *CONFIRMED_FIELD), read)
    # Okta app ids are global: one id under two orgs is one app, whose two hand-offs would
    # take the one name `okta-handoff-{appId}`.
    reader.unique_apps(
        [(path, None, app.app_id) for path, app in placed],
        "appId",
        "(Okta app ids are unique across all orgs, so both entries name the same app)",
    )
    return [app for _, app in placed]


MANUAL_APP_FIELDS = {
    "name": Text(NAME, "a short name for the app, like `druva-onelogin`"),
    "appId": Text(
        MANUAL_APP_ID,
        "an id of the app in its identity provider that stays when the app is renamed (the id "
        "in the app's admin-console URL, for example); with `kind`, it names the hand-off in "
        "the stack",
    ),
    "consoleUrl": Text(
        CONSOLE_URL,
        "the https address of the app's page in the identity provider's admin console, shown "
        "in its steps",
        False,
    ),
}


def _manual_apps(reader: Entries) -> list[ManualApp]:
    def read(
        path: str, entry: Mapping[str, Any], index: int
    ) -> tuple[str | None, ManualApp | None]:
        found = reader.texts(path, entry, MANUAL_APP_FIELDS)
        kind = _manual_kind(reader, path, entry)
        confirmed = reader.texts(path, entry, CONFIRMED_FIELD)["confirmedFingerprint"]
        name, app_id, console_url = found["name"], found["appId"], found["consoleUrl"]
        valid_confirmed = confirmed is not None or "confirmedFingerprint" not in entry
        valid_console = console_url is not None or "consoleUrl" not in entry
        if name and app_id and kind and valid_confirmed and valid_console:
            return name, ManualApp(name, kind, app_id, console_url, confirmed, index)
        return name, None

    placed = reader.each((*MANUAL_APP_FIELDS, "kind", *CONFIRMED_FIELD), read)
    # kind + appId names the hand-off in the stack: two entries for one app would share it.
    reader.unique_apps(
        [(path, app.kind, app.app_id) for path, app in placed], "appId", "of the same kind"
    )
    return [app for _, app in placed]


def _manual_kind(reader: Entries, path: str, entry: Mapping[str, Any]) -> str | None:
    value = entry.get("kind")
    if isinstance(value, str) and value in MANUAL_KINDS:
        return value
    if value == OKTA_SAML:
        message = (
            "names an Okta custom SAML app with SCIM (such as Druva GovCloud's), which is an "
            "Okta app set by hand: move this entry to druva-scim:oktaApps (name, appId; mode "
            "manual is the default), whose steps are that app's; see docs/handoffs.md"
        )
    else:
        said = "is required" if value is None else f"{shown(value)} is not a known kind"
        message = (
            f"{said}: name the identity provider with one of {', '.join(MANUAL_KINDS)} (an "
            "Okta app goes in druva-scim:oktaApps); see docs/handoffs.md"
        )
    reader.problems.append(Problem(f"{path}.kind", message))
    return None


_INVALID = "\x00invalid"


def _reference(
    reader: Entries,
    path: str,
    entry: Mapping[str, Any],
    key: str,
    defined: Mapping[str, object],
    section: str,
) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value in defined:
        return value
    known = ", ".join(sorted(defined)) or "none are defined"
    reader.problems.append(
        Problem(
            f"{path}.{key}",
            f"names {shown(value)}, which is not in druva-scim:{section} ({known}); add it there "
            f"or remove `{key}` to use the default provider configuration",
        )
    )
    return _INVALID


def _extra_secrets(reader: Entries, path: str, value: object) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return ()
    if not isinstance(value, dict):
        reader.problems.append(Problem(path, f"must be an object of key: value, not {kind(value)}"))
        return None
    pairs: list[tuple[str, str]] = []
    ok = True
    for key, item in sorted(value.items(), key=lambda pair: str(pair[0])):
        problem = extra_secret_problem(str(key), item)
        if problem:
            name = str(key)
            where = f"{path}.{name}" if len(name) <= 64 and name.isprintable() else shown(name)
            reader.problems.append(Problem(where, problem))
            ok = False
        else:
            pairs.append((key, item))
    return tuple(pairs) if ok else None


# --- what Microsoft documents -----------------------------------------------------------------

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
