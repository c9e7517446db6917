"""Malformed configuration and inputs: each is refused by name, before anything is registered.

Three ways in, as a user meets them:
- `program`: a stack configuration run through the whole program (`__main__.py`
  under Pulumi's mocks); the run must end with RunError, register nothing, and
  say `druva-scim:<key path>: ...`.
- `check`: inputs given straight to `ScimTokenProvider.check`, as the engine
  would after a program change or an import; the check must fail on that key and
  send no request to Druva.
- `check (host)`: the same through the SDK's real provider host over gRPC.

No message may hold a traceback or the token.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pulumi

from providers.druva.token import ScimTokenProvider
from testbed.engine import ProviderHost, serialized
from testbed.harness import run_program
from testbed.stand_ins.druva import DruvaScim
from tests.doubles import NOW, TOKEN, TokenProvider
from tests.evidence.record import Row, unmet

SECRET = ("druva-scim:scimToken",)
SP = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
SP2 = "11111111-2222-4333-8444-555555555555"
TENANT = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
APP = "0oa1b2c3d4e5f6g7h8i9"
APP2 = "0oa9z8y7x6w5v4u3t2s1"
FP = "0123456789ab"
ISSUED = "2026-11-01T09:30:00Z"
URN = "urn:pulumi:test::druva-scim::pulumi-python:dynamic/druva:ScimToken::druva-scim-token"
MESSAGE_LIMIT = 260
TRACEBACK_MARKS = ("Traceback", 'File "')


@dataclass(frozen=True)
class Case:
    """One malformed stack configuration and the key its message must name."""

    scenario: str
    key: str
    """The key path inside the namespace, e.g. `azureApps[0].servicePrincipalId`."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Settings over the good base; structured ones (lists, objects) are sent as JSON."""
    drop: tuple[str, ...] = ()
    """Full config keys to remove from the base."""
    secret_keys: tuple[str, ...] = SECRET


def azure(**entry: Any) -> list[dict[str, Any]]:
    return [{"name": "druva", "servicePrincipalId": SP, **entry}]


def okta(**entry: Any) -> list[dict[str, Any]]:
    return [{"name": "druva-okta", "appId": APP, **entry}]


def tenant(**entry: Any) -> list[dict[str, Any]]:
    return [{"name": "emea", "tenantId": TENANT, **entry}]


def org(**entry: Any) -> list[dict[str, Any]]:
    return [{"name": "corp", "orgName": "acme", **entry}]


def nested(depth: int) -> object:
    value: object = 30
    for _ in range(depth):
        value = [value]
    return value


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


PROGRAM_CASES: tuple[Case, ...] = (
    # --- the token ---------------------------------------------------------------------
    Case("no token in the stack", "scimToken", drop=("druva-scim:scimToken",)),
    Case("empty token", "scimToken", {"scimToken": ""}),
    Case("whitespace-only token", "scimToken", {"scimToken": "   \t "}),
    Case("token with a trailing newline", "scimToken", {"scimToken": TOKEN + "\n"}),
    Case("token with a leading space", "scimToken", {"scimToken": " " + TOKEN}),
    Case(
        "token with a newline inside (damaged paste)",
        "scimToken",
        {"scimToken": TOKEN[:20] + "\n" + TOKEN[20:]},
    ),
    Case(
        "token with a control character inside",
        "scimToken",
        {"scimToken": TOKEN[:20] + "\x07" + TOKEN[20:]},
    ),
    Case("token pasted 90 times (over 4096 characters)", "scimToken", {"scimToken": TOKEN * 90}),
    Case("token set without --secret", "scimToken", secret_keys=()),
    # --- where Druva is ----------------------------------------------------------------
    Case(
        "tenantUrl plain http to a public host",
        "tenantUrl",
        {"tenantUrl": "http://apis.druva.com/insync/scim"},
    ),
    Case(
        "tenantUrl plain http to a private address",
        "tenantUrl",
        {"tenantUrl": "http://10.0.0.5/insync/scim"},
    ),
    Case("tenantUrl not a URL", "tenantUrl", {"tenantUrl": "the druva one"}),
    Case("tenantUrl without a scheme", "tenantUrl", {"tenantUrl": "apis.druva.com/insync/scim"}),
    Case("tenantUrl with ftp scheme", "tenantUrl", {"tenantUrl": "ftp://apis.druva.com/scim"}),
    Case(
        "tenantUrl with user and password",
        "tenantUrl",
        {"tenantUrl": "https://admin:hunter2@apis.druva.com/insync/scim"},
    ),
    Case(
        "tenantUrl with the token as its user part",
        "tenantUrl",
        {"tenantUrl": f"https://{TOKEN}@apis.druva.com/insync/scim"},
    ),
    Case(
        "tenantUrl over http with the token as its user part",
        "tenantUrl",
        {"tenantUrl": f"http://{TOKEN}@apis.druva.com/insync/scim"},
    ),
    Case(
        "tenantUrl with a query",
        "tenantUrl",
        {"tenantUrl": "https://apis.druva.com/insync/scim?tenant=1"},
    ),
    Case(
        "tenantUrl with a fragment",
        "tenantUrl",
        {"tenantUrl": "https://apis.druva.com/insync/scim#users"},
    ),
    Case(
        "tenantUrl with a port out of range",
        "tenantUrl",
        {"tenantUrl": "https://apis.druva.com:99999/insync/scim"},
    ),
    Case("tenantUrl empty", "tenantUrl", {"tenantUrl": ""}),
    Case("cloud unknown (`azure`)", "cloud", {"cloud": "azure"}),
    Case("cloud in capitals (`GOV`)", "cloud", {"cloud": "GOV"}),
    # --- when it was made --------------------------------------------------------------
    Case("issuedAt tomorrow", "issuedAt", {"issuedAt": ago(-1)}),
    Case("issuedAt ten minutes ahead", "issuedAt", {"issuedAt": "2026-11-22T12:10:00Z"}),
    Case("issuedAt unparsable (`last tuesday`)", "issuedAt", {"issuedAt": "last tuesday"}),
    Case(
        "issuedAt without a UTC offset",
        "issuedAt",
        {"issuedAt": "2026-11-01T09:30:00"},
    ),
    Case("issuedAt a date without time", "issuedAt", {"issuedAt": "2026-11-01"}),
    Case("issuedAt 13th month", "issuedAt", {"issuedAt": "2026-13-01T09:30:00Z"}),
    Case("issuedAt 366 days ago (expired)", "issuedAt", {"issuedAt": ago(366)}),
    Case(
        "issuedAt 40 days ago with lifetimeDays 30 (expired)",
        "issuedAt",
        {"issuedAt": ago(40), "lifetimeDays": "30", "rotateBeforeDays": "5"},
    ),
    Case("issuedAt the token itself (pasted twice)", "issuedAt", {"issuedAt": TOKEN}),
    # --- numbers -----------------------------------------------------------------------
    Case("lifetimeDays 0", "lifetimeDays", {"lifetimeDays": "0"}),
    Case("lifetimeDays 10000", "lifetimeDays", {"lifetimeDays": "10000"}),
    Case("lifetimeDays -3", "lifetimeDays", {"lifetimeDays": "-3"}),
    Case("lifetimeDays 12.5", "lifetimeDays", {"lifetimeDays": "12.5"}),
    Case("lifetimeDays true", "lifetimeDays", {"lifetimeDays": "true"}),
    Case("lifetimeDays `a year`", "lifetimeDays", {"lifetimeDays": "a year"}),
    Case(
        "rotateBeforeDays equal to lifetimeDays",
        "rotateBeforeDays",
        {"lifetimeDays": "30", "rotateBeforeDays": "30"},
    ),
    Case(
        "rotateBeforeDays above lifetimeDays",
        "rotateBeforeDays",
        {"lifetimeDays": "60", "rotateBeforeDays": "90"},
    ),
    Case("rotateBeforeDays -1", "rotateBeforeDays", {"rotateBeforeDays": "-1"}),
    Case("rotateBeforeDays `soon`", "rotateBeforeDays", {"rotateBeforeDays": "soon"}),
    # --- keys --------------------------------------------------------------------------
    Case("unknown top-level key (typo tenantURL)", "tenantURL", {"tenantURL": "https://x.test"}),
    Case("unknown top-level key (azureApp)", "azureApp", {"azureApp": azure()}),
    # --- Azure apps --------------------------------------------------------------------
    Case("azureApps an object, not a list", "azureApps", {"azureApps": {"name": "druva"}}),
    Case("azureApps a plain string", "azureApps", {"azureApps": "druva"}),
    Case("azureApps broken JSON", "azureApps", {"azureApps": '[{"name": "druva"'}),
    Case("azureApps entry a string", "azureApps[0]", {"azureApps": ["druva"]}),
    Case("azureApps entry a number", "azureApps[1]", {"azureApps": [*azure(), 7]}),
    Case(
        "azure app without name", "azureApps[0].name", {"azureApps": [{"servicePrincipalId": SP}]}
    ),
    Case("azure app name with a space", "azureApps[0].name", {"azureApps": azure(name="my app")}),
    Case(
        "azure app without servicePrincipalId",
        "azureApps[0].servicePrincipalId",
        {"azureApps": [{"name": "druva"}]},
    ),
    Case(
        "servicePrincipalId not a GUID",
        "azureApps[0].servicePrincipalId",
        {"azureApps": azure(servicePrincipalId="druva-app")},
    ),
    Case(
        "servicePrincipalId one digit short",
        "azureApps[0].servicePrincipalId",
        {"azureApps": azure(servicePrincipalId=SP[:-1])},
    ),
    Case(
        "servicePrincipalId in braces",
        "azureApps[0].servicePrincipalId",
        {"azureApps": azure(servicePrincipalId="{" + SP + "}")},
    ),
    Case(
        "servicePrincipalId with a non-hex digit",
        "azureApps[0].servicePrincipalId",
        {"azureApps": azure(servicePrincipalId="g" + SP[1:])},
    ),
    Case(
        "servicePrincipalId without dashes",
        "azureApps[0].servicePrincipalId",
        {"azureApps": azure(servicePrincipalId=SP.replace("-", ""))},
    ),
    Case(
        "servicePrincipalId a number",
        "azureApps[0].servicePrincipalId",
        {"azureApps": azure(servicePrincipalId=12345)},
    ),
    Case(
        "extraSecrets overriding SecretToken",
        "azureApps[0].extraSecrets.SecretToken",
        {"azureApps": azure(extraSecrets={"SecretToken": "x"})},
    ),
    Case(
        "extraSecrets overriding BaseAddress",
        "azureApps[0].extraSecrets.BaseAddress",
        {"azureApps": azure(extraSecrets={"BaseAddress": "https://x.test"})},
    ),
    Case(
        "extraSecrets a list",
        "azureApps[0].extraSecrets",
        {"azureApps": azure(extraSecrets=["NotificationEmail"])},
    ),
    Case(
        "extraSecrets value a number",
        "azureApps[0].extraSecrets.SyncAll",
        {"azureApps": azure(extraSecrets={"SyncAll": 1})},
    ),
    Case(
        "extraSecrets key with a dash",
        "azureApps[0].extraSecrets.Notification-Email",
        {"azureApps": azure(extraSecrets={"Notification-Email": "ops@example.com"})},
    ),
    Case(
        "azure app naming an unknown tenant",
        "azureApps[0].tenant",
        {"azureApps": azure(tenant="ghost")},
    ),
    Case(
        "duplicate azure app names",
        "azureApps[1].name",
        {"azureApps": [*azure(), {"name": "druva", "servicePrincipalId": SP2}]},
    ),
    Case(
        "duplicate names differing in case",
        "azureApps[1].name",
        {"azureApps": [*azure(), {"name": "DRUVA", "servicePrincipalId": SP2}]},
    ),
    Case(
        "same service principal twice",
        "azureApps[1].servicePrincipalId",
        {"azureApps": [*azure(), {"name": "again", "servicePrincipalId": SP.upper()}]},
    ),
    Case(
        "unknown key in an azure app (servicePrincipalID)",
        "azureApps[0].servicePrincipalID",
        {"azureApps": azure(servicePrincipalID=SP)},
    ),
    # --- Okta apps ---------------------------------------------------------------------
    Case("okta app without appId", "oktaApps[0].appId", {"oktaApps": [{"name": "druva-okta"}]}),
    Case("okta appId too short", "oktaApps[0].appId", {"oktaApps": okta(appId="0oa123")}),
    Case(
        "okta appId with zero for o (00a...)",
        "oktaApps[0].appId",
        {"oktaApps": okta(appId="00a1b2c3d4e5f6g7h8i9")},
    ),
    Case(
        "okta appId the Admin Console URL",
        "oktaApps[0].appId",
        {"oktaApps": okta(appId=f"https://acme-admin.okta.com/admin/app/druva/instance/{APP}")},
    ),
    Case("okta appId with a symbol", "oktaApps[0].appId", {"oktaApps": okta(appId=APP + "!")}),
    Case("okta appId a number", "oktaApps[0].appId", {"oktaApps": okta(appId=1234567890)}),
    Case("okta mode unknown (`auto`)", "oktaApps[0].mode", {"oktaApps": okta(mode="auto")}),
    Case(
        "confirmedFingerprint not hex",
        "oktaApps[0].confirmedFingerprint",
        {"oktaApps": okta(mode="manual", confirmedFingerprint="xyz")},
    ),
    Case(
        "confirmedFingerprint in capitals",
        "oktaApps[0].confirmedFingerprint",
        {"oktaApps": okta(mode="manual", confirmedFingerprint=FP.upper())},
    ),
    Case(
        "confirmedFingerprint 11 digits",
        "oktaApps[0].confirmedFingerprint",
        {"oktaApps": okta(mode="manual", confirmedFingerprint=FP[:-1])},
    ),
    Case(
        "confirmedFingerprint the token itself",
        "oktaApps[0].confirmedFingerprint",
        {"oktaApps": okta(mode="manual", confirmedFingerprint=TOKEN)},
    ),
    Case(
        "confirmedFingerprint on an api-mode app",
        "oktaApps[0].confirmedFingerprint",
        {"oktaApps": okta(mode="api", confirmedFingerprint=FP)},
    ),
    Case("okta app naming an unknown org", "oktaApps[0].org", {"oktaApps": okta(org="ghost")}),
    Case(
        "same okta app twice in one org",
        "oktaApps[1].appId",
        {"oktaApps": [*okta(), {"name": "again", "appId": APP}]},
    ),
    Case(
        "duplicate okta app names",
        "oktaApps[1].name",
        {"oktaApps": [*okta(), {"name": "druva-okta", "appId": APP2}]},
    ),
    Case(
        "api-mode okta app with no okta org configured",
        "oktaApps[0]",
        {"oktaApps": okta(mode="api")},
        drop=("okta:orgName",),
    ),
    # --- tenants and orgs --------------------------------------------------------------
    Case(
        "oktaOrgs orgName a full URL",
        "oktaOrgs[0].orgName",
        {"oktaOrgs": org(orgName="https://acme.okta.com")},
    ),
    Case(
        "oktaOrgs orgName with a dot", "oktaOrgs[0].orgName", {"oktaOrgs": org(orgName="acme.okta")}
    ),
    Case("oktaOrgs without orgName", "oktaOrgs[0].orgName", {"oktaOrgs": [{"name": "corp"}]}),
    Case(
        "oktaOrgs baseUrl with a scheme",
        "oktaOrgs[0].baseUrl",
        {"oktaOrgs": org(baseUrl="https://okta.com")},
    ),
    Case(
        "oktaOrgs baseUrl without a dot", "oktaOrgs[0].baseUrl", {"oktaOrgs": org(baseUrl="okta")}
    ),
    Case(
        "duplicate oktaOrgs names",
        "oktaOrgs[1].name",
        {"oktaOrgs": [*org(), {"name": "corp", "orgName": "widgets"}]},
    ),
    Case(
        "azureTenants tenantId a domain",
        "azureTenants[0].tenantId",
        {"azureTenants": tenant(tenantId="contoso.onmicrosoft.com")},
    ),
    Case(
        "azureTenants without tenantId",
        "azureTenants[0].tenantId",
        {"azureTenants": [{"name": "emea"}]},
    ),
    Case(
        "azureTenants clientId not a GUID",
        "azureTenants[0].clientId",
        {"azureTenants": tenant(clientId="pulumi-ci")},
    ),
    Case(
        "azureTenants environment unknown (`germany`)",
        "azureTenants[0].environment",
        {"azureTenants": tenant(environment="germany")},
    ),
    Case(
        "azureTenants with a client secret (unknown key)",
        "azureTenants[0].clientSecret",
        {"azureTenants": tenant(clientSecret="s3cr3t")},
    ),
    Case(
        "duplicate azureTenants names",
        "azureTenants[1].name",
        {"azureTenants": [*tenant(), {"name": "EMEA", "tenantId": SP2}]},
    ),
    # --- issue 10: odd types and values, the calendar's edges, the vendors as they are ----
    Case("cloud a list", "cloud", {"cloud": ["gov"]}),
    Case("cloud an object", "cloud", {"cloud": {"gov": True}}),
    Case(
        "azureTenants environment a list",
        "azureTenants[0].environment",
        {"azureTenants": tenant(environment=["global"])},
    ),
    Case(
        "azureTenants environment an object",
        "azureTenants[0].environment",
        {"azureTenants": tenant(environment={"cloud": "global"})},
    ),
    Case(
        "issuedAt before year 1 in UTC (0001-01-01T00:30:00+01:00)",
        "issuedAt",
        {"issuedAt": "0001-01-01T00:30:00+01:00"},
    ),
    Case(
        "issuedAt after year 9999 in UTC (9999-12-31T23:59:59-01:00)",
        "issuedAt",
        {"issuedAt": "9999-12-31T23:59:59-01:00"},
    ),
    Case("lifetimeDays `--5`", "lifetimeDays", {"lifetimeDays": "--5"}),
    Case("lifetimeDays `²` (a superscript digit)", "lifetimeDays", {"lifetimeDays": "²"}),
    Case("rotateBeforeDays `1e309`", "rotateBeforeDays", {"rotateBeforeDays": "1e309"}),
    Case("azureApps nested 5000 deep", "azureApps", {"azureApps": "[" * 5000 + "]" * 5000}),
    Case("oktaOrgs nested 50 deep", "oktaOrgs", {"oktaOrgs": "[" * 50 + "]" * 50}),
    Case(
        "lifetimeDays nested 5000 deep", "lifetimeDays", {"lifetimeDays": "[" * 5000 + "]" * 5000}
    ),
    Case(
        "tenantUrl with a tab inside",
        "tenantUrl",
        {"tenantUrl": "https://apis.druva.com/insync\t/scim"},
    ),
    Case(
        "token with a typographic quote (U+2019) from a rich-text paste",
        "scimToken",
        {"scimToken": TOKEN[:20] + "\u2019" + TOKEN[20:]},
    ),
    Case(
        "extraSecrets NotificationEmail (not a Graph key)",
        "azureApps[0].extraSecrets.NotificationEmail",
        {"azureApps": azure(extraSecrets={"NotificationEmail": "ops@example.com"})},
    ),
    Case(
        "extraSecrets SyncAll unquoted (false)",
        "azureApps[0].extraSecrets.SyncAll",
        {"azureApps": azure(extraSecrets={"SyncAll": False})},
    ),
    Case(
        "extraSecrets SyncNotificationSettings not JSON",
        "azureApps[0].extraSecrets.SyncNotificationSettings",
        {"azureApps": azure(extraSecrets={"SyncNotificationSettings": "ops@example.com"})},
    ),
    Case(
        "tenantUrl with a typographic ellipsis in its host (rich-text paste)",
        "tenantUrl",
        {"tenantUrl": "https://apis.druva.com\u2026/insync/scim"},
    ),
    Case("tenantUrl with a non-ASCII host", "tenantUrl", {"tenantUrl": "https://\u2603.com/scim"}),
    Case(
        "one Okta appId under the default org and a named org",
        "oktaApps[1].appId",
        {"oktaApps": [*okta(), *okta(name="again", org="corp")], "oktaOrgs": org()},
    ),
)


def base_config() -> dict[str, str]:
    return {
        "druva-scim:scimToken": TOKEN,
        "druva-scim:issuedAt": ISSUED,
        "okta:orgName": "acme",
    }


def stack_config(case: Case) -> dict[str, str]:
    config = base_config()
    for key, value in case.values.items():
        config[f"druva-scim:{key}"] = value if isinstance(value, str) else json.dumps(value)
    for key in case.drop:
        config.pop(key, None)
    return config


def clean(texts: Iterable[str]) -> bool:
    """No traceback and no token in any of these texts."""
    return not any(mark in text for text in texts for mark in (*TRACEBACK_MARKS, TOKEN))


def shorten(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def program_row(case: Case) -> Row:
    run = run_program(stack_config(case), case.secret_keys)
    prefix = f"druva-scim:{case.key}: "
    errors = run.messages("error")
    named = [message for message in errors if message.startswith(prefix)]
    texts = [text for _, text in run.logs] + [str(run.error)]
    reason = unmet(
        ("the run to stop with RunError", isinstance(run.error, pulumi.RunError)),
        ("'nothing was changed'", "nothing was changed" in str(run.error)),
        ("nothing registered", run.registrations == []),
        ("nothing exported", run.exports == {}),
        (f"an error starting {prefix!r}", bool(named)),
        ("no traceback and no token", clean(texts)),
    )
    outcome = named[0] if named else f"not named: {errors or run.error!r}"
    return Row(
        scenario=case.scenario,
        step="program",
        outcome=shorten(outcome),
        attempts=0,
        state_changed=bool(run.registrations),
        token_safe=TOKEN not in "\n".join(texts),
        reason=reason,
    )


# --- the provider's check ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckCase:
    scenario: str
    key: str
    changes: Mapping[str, Any]
    """Input values over good ones; None removes the input."""


CHECK_CASES: tuple[CheckCase, ...] = (
    CheckCase("scimToken missing", "scimToken", {"scimToken": None}),
    CheckCase("scimToken empty", "scimToken", {"scimToken": ""}),
    CheckCase("scimToken whitespace", "scimToken", {"scimToken": "  "}),
    CheckCase("scimToken with a newline at the end", "scimToken", {"scimToken": TOKEN + "\n"}),
    CheckCase(
        "scimToken with a tab inside", "scimToken", {"scimToken": TOKEN[:9] + "\t" + TOKEN[9:]}
    ),
    CheckCase("scimToken a number", "scimToken", {"scimToken": 12345}),
    CheckCase("tenantUrl missing", "tenantUrl", {"tenantUrl": None}),
    CheckCase(
        "tenantUrl http to a public host",
        "tenantUrl",
        {"tenantUrl": "http://apis.druva.com/insync/scim"},
    ),
    CheckCase("tenantUrl not a URL", "tenantUrl", {"tenantUrl": "druva"}),
    CheckCase("tenantUrl ftp", "tenantUrl", {"tenantUrl": "ftp://apis.druva.com/insync/scim"}),
    CheckCase(
        "tenantUrl with the token in its query",
        "tenantUrl",
        {"tenantUrl": f"https://apis.druva.com/insync/scim?token={TOKEN}"},
    ),
    CheckCase("issuedAt in the future", "issuedAt", {"issuedAt": "2027-01-01T00:00:00Z"}),
    CheckCase("issuedAt unparsable", "issuedAt", {"issuedAt": "22/11/2026"}),
    CheckCase("issuedAt without offset", "issuedAt", {"issuedAt": "2026-11-01T09:30:00"}),
    CheckCase("issuedAt 400 days ago", "issuedAt", {"issuedAt": ago(400)}),
    CheckCase("issuedAt a number (epoch)", "issuedAt", {"issuedAt": 1700000000}),
    CheckCase("issuedAt the token itself", "issuedAt", {"issuedAt": TOKEN}),
    CheckCase("lifetimeDays 0", "lifetimeDays", {"lifetimeDays": 0}),
    CheckCase("lifetimeDays 10000", "lifetimeDays", {"lifetimeDays": 10000}),
    CheckCase("lifetimeDays 12.5", "lifetimeDays", {"lifetimeDays": 12.5}),
    CheckCase("lifetimeDays true", "lifetimeDays", {"lifetimeDays": True}),
    CheckCase("lifetimeDays -3", "lifetimeDays", {"lifetimeDays": -3}),
    CheckCase("lifetimeDays `365 days`", "lifetimeDays", {"lifetimeDays": "365 days"}),
    CheckCase(
        "rotateBeforeDays equal to lifetimeDays",
        "rotateBeforeDays",
        {"lifetimeDays": 90, "rotateBeforeDays": 90},
    ),
    CheckCase("rotateBeforeDays negative", "rotateBeforeDays", {"rotateBeforeDays": -1}),
    CheckCase("rotateBeforeDays a list", "rotateBeforeDays", {"rotateBeforeDays": [30]}),
    CheckCase(
        "issuedAt before year 1 in UTC", "issuedAt", {"issuedAt": "0001-01-01T00:30:00+01:00"}
    ),
    CheckCase(
        "issuedAt after year 9999 in UTC", "issuedAt", {"issuedAt": "9999-12-31T23:59:59-01:00"}
    ),
    CheckCase("lifetimeDays `--5`", "lifetimeDays", {"lifetimeDays": "--5"}),
    CheckCase("lifetimeDays `²`", "lifetimeDays", {"lifetimeDays": "²"}),
    CheckCase("lifetimeDays infinite", "lifetimeDays", {"lifetimeDays": float("inf")}),
    CheckCase("rotateBeforeDays NaN", "rotateBeforeDays", {"rotateBeforeDays": float("nan")}),
    CheckCase(
        "rotateBeforeDays nested 5000 deep",
        "rotateBeforeDays",
        {"rotateBeforeDays": nested(5000)},
    ),
    CheckCase(
        "tenantUrl with a tab inside",
        "tenantUrl",
        {"tenantUrl": "https://apis.druva.com/insync\t/scim"},
    ),
    CheckCase(
        "tenantUrl with a typographic ellipsis in its host",
        "tenantUrl",
        {"tenantUrl": "https://apis.druva.com\u2026/insync/scim"},
    ),
    CheckCase(
        "scimToken with a typographic quote (U+2019)",
        "scimToken",
        {"scimToken": TOKEN[:20] + "\u2019" + TOKEN[20:]},
    ),
)

HOST_CASES: tuple[CheckCase, ...] = (
    CheckCase("scimToken with a newline inside", "scimToken", {"scimToken": TOKEN + "\nx"}),
    CheckCase(
        "tenantUrl http to a public host",
        "tenantUrl",
        {"tenantUrl": "http://apis.druva.com/insync/scim"},
    ),
    CheckCase("issuedAt in the future", "issuedAt", {"issuedAt": "2999-01-01T00:00:00Z"}),
    CheckCase("issuedAt expired", "issuedAt", {"issuedAt": "2001-01-01T00:00:00Z"}),
    CheckCase("lifetimeDays 10000", "lifetimeDays", {"lifetimeDays": 10000}),
    CheckCase(
        "rotateBeforeDays equal to lifetimeDays",
        "rotateBeforeDays",
        {"lifetimeDays": 30, "rotateBeforeDays": 30},
    ),
)


def good_inputs(url: str) -> dict[str, Any]:
    return {"scimToken": TOKEN, "tenantUrl": url, "lifetimeDays": 365, "rotateBeforeDays": 30}


def with_changes(inputs: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    changed = {**inputs, **changes}
    return {key: value for key, value in changed.items() if value is not None}


def check_row(case: CheckCase, druva: DruvaScim) -> Row:
    before = len(druva.requests)
    provider: ScimTokenProvider = TokenProvider(NOW)
    try:
        result = provider.check({}, with_changes(good_inputs(druva.url), case.changes))
    except Exception as error:  # a crash is the finding, not the test's end
        raised = f"raised {error!r}"[:MESSAGE_LIMIT]
        return Row(case.scenario, "check", raised, reason=f"the check {raised}")
    requests = len(druva.requests) - before
    return failure_row(case, "check", [(f.property, f.reason) for f in result.failures], requests)


def failure_row(
    case: CheckCase, step: str, failures: list[tuple[str, str]], requests: int, extra: str = ""
) -> Row:
    prefix = f"druva-scim:{case.key}: "
    named = [reason for prop, reason in failures if prop == case.key and reason.startswith(prefix)]
    texts = [reason for _, reason in failures] + [extra]
    reason = unmet(
        (f"a failure of {case.key} starting {prefix!r}", bool(named)),
        ("no request to Druva", requests == 0),
        ("no traceback and no token", clean(texts)),
    )
    outcome = named[0] if named else f"not named: {failures!r}"
    return Row(
        scenario=case.scenario,
        step=step,
        outcome=shorten(outcome),
        attempts=requests,
        state_changed=False,
        token_safe=TOKEN not in "\n".join(texts),
        reason=reason,
    )


def host_row(case: CheckCase, druva: DruvaScim, host: ProviderHost) -> Row:
    before = len(druva.requests)
    blob = serialized(ScimTokenProvider())
    news = with_changes({**good_inputs(druva.url), "__provider": blob}, case.changes)
    response = host.check(URN, {}, news)
    failures = [(f.property, f.reason) for f in response.failures]
    requests = len(druva.requests) - before
    return failure_row(case, "check (host)", failures, requests, host.stderr())
