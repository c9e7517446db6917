"""Validation of the identity-provider settings: every malformed entry named by key path."""

import pytest
import yaml  # type: ignore[import-untyped]

from providers.core import apps, texts
from providers.core.settings import Problem
from testbed import ROOT

SP = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
APP = "0oa1b2c3d4e5f6g7h8i9"
APP2 = "0oa9z8y7x6w5v4u3t2s1"
FP = "0123456789ab"
NOTIFY = '{"Enabled":true,"Recipients":"ops@example.com","DeleteThresholdEnabled":true}'


def parse(**raw):
    return apps.parse_apps(raw)


def test_nothing_configured_is_fine():
    found, problems = parse()
    assert problems == [] and found == apps.Apps()


def test_a_full_configuration_is_parsed():
    found, problems = parse(
        azureTenants=[
            {"name": "contoso", "tenantId": SP, "clientId": SP, "environment": "usgovernment"}
        ],
        oktaOrgs=[{"name": "corp", "orgName": "dev-123456", "baseUrl": "oktapreview.com"}],
        azureApps=[
            {"name": "druva", "servicePrincipalId": SP.upper()},
            {
                "name": "druva-gov",
                "servicePrincipalId": SP,
                "tenant": "contoso",
                "extraSecrets": {"SyncNotificationSettings": NOTIFY, "SyncAll": "false"},
            },
        ],
        oktaApps=[
            {"name": "okta-a", "appId": APP},
            {
                "name": "okta-b",
                "appId": APP2,
                "org": "corp",
                "mode": "manual",
                "confirmedFingerprint": FP,
            },
        ],
    )
    assert problems == []
    assert found.azure_apps[0] == apps.AzureApp("druva", SP, None, ())
    assert found.azure_apps[1].tenant == "contoso"
    assert found.azure_apps[1].extra_secrets == (
        ("SyncAll", "false"),
        ("SyncNotificationSettings", NOTIFY),
    )
    # No mode: manual, since Okta's API refuses tokens for Druva's OIN app.
    assert found.okta_apps[0] == apps.OktaApp("okta-a", APP, None, "manual", None, 0)
    assert found.okta_apps[1] == apps.OktaApp("okta-b", APP2, "corp", "manual", FP, 1)
    assert found.azure_tenants["contoso"].graph_url == "https://graph.microsoft.us"
    assert found.okta_orgs["corp"].org_url == "https://dev-123456.oktapreview.com"


def test_an_okta_org_defaults_to_okta_com():
    found, _ = parse(oktaOrgs=[{"name": "corp", "orgName": "acme"}])
    assert found.okta_orgs["corp"].org_url == "https://acme.okta.com"


@pytest.mark.parametrize(
    ("raw", "key", "text"),
    [
        ({"azureApps": {"name": "x"}}, "azureApps", "must be a list of objects"),
        ({"azureApps": "druva"}, "azureApps", "must be a list"),
        ({"azureApps": ["druva"]}, "azureApps[0]", "must be an object"),
        ({"azureApps": [{"servicePrincipalId": SP}]}, "azureApps[0].name", "is required"),
        (
            {"azureApps": [{"name": "has space", "servicePrincipalId": SP}]},
            "azureApps[0].name",
            "not valid",
        ),
        ({"azureApps": [{"name": "a"}]}, "azureApps[0].servicePrincipalId", "is required"),
        (
            {"azureApps": [{"name": "a", "servicePrincipalId": "not-a-guid"}]},
            "azureApps[0].servicePrincipalId",
            "Object ID, a GUID",
        ),
        (
            {"azureApps": [{"name": "a", "servicePrincipalId": SP[:-1]}]},
            "azureApps[0].servicePrincipalId",
            "GUID",
        ),
        (
            {"azureApps": [{"name": "a", "servicePrincipalId": 42}]},
            "azureApps[0].servicePrincipalId",
            "GUID",
        ),
        (
            {"azureApps": [{"name": "a", "servicePrincipalId": SP, "spId": SP}]},
            "azureApps[0].spId",
            "is not a known key",
        ),
        (
            {"azureApps": [{"name": "a", "servicePrincipalId": SP, "tenant": "nope"}]},
            "azureApps[0].tenant",
            "not in druva-scim:azureTenants (none are defined)",
        ),
        (
            {"azureApps": [{"name": "a", "servicePrincipalId": SP, "extraSecrets": ["x"]}]},
            "azureApps[0].extraSecrets",
            "must be an object",
        ),
        (
            {
                "azureApps": [
                    {"name": "a", "servicePrincipalId": SP, "extraSecrets": {"SecretToken": "x"}}
                ]
            },
            "azureApps[0].extraSecrets.SecretToken",
            "written by druva-scim",
        ),
        (
            {
                "azureApps": [
                    {"name": "a", "servicePrincipalId": SP, "extraSecrets": {"BaseAddress": "x"}}
                ]
            },
            "azureApps[0].extraSecrets.BaseAddress",
            "written by druva-scim",
        ),
        (
            {
                "azureApps": [
                    {"name": "a", "servicePrincipalId": SP, "extraSecrets": {"bad key": "x"}}
                ]
            },
            "azureApps[0].extraSecrets.bad key",
            "not a key of Graph's synchronization secrets",
        ),
        (
            {
                "azureApps": [
                    {"name": "a", "servicePrincipalId": SP, "extraSecrets": {"SyncAll": True}}
                ]
            },
            "azureApps[0].extraSecrets.SyncAll",
            "must be a string",
        ),
        ({"oktaApps": [{"name": "o"}]}, "oktaApps[0].appId", "is required"),
        ({"oktaApps": [{"name": "o", "appId": "1234"}]}, "oktaApps[0].appId", "like 0oa"),
        ({"oktaApps": [{"name": "o", "appId": "0oa!!"}]}, "oktaApps[0].appId", "like 0oa"),
        ({"oktaApps": [{"name": "o", "appId": APP, "mode": "auto"}]}, "oktaApps[0].mode", "`api`"),
        (
            {"oktaApps": [{"name": "o", "appId": APP, "org": "corp"}]},
            "oktaApps[0].org",
            "not in druva-scim:oktaOrgs",
        ),
        (
            {
                "oktaApps": [
                    {"name": "o", "appId": APP, "mode": "manual", "confirmedFingerprint": "xyz"}
                ]
            },
            "oktaApps[0].confirmedFingerprint",
            "12 hex digits",
        ),
        (
            {"oktaApps": [{"name": "o", "appId": APP, "mode": "api", "confirmedFingerprint": FP}]},
            "oktaApps[0].confirmedFingerprint",
            "applies only to mode `manual`",
        ),
        (
            {"oktaApps": [{"name": "o", "appId": APP, "token": "x"}]},
            "oktaApps[0].token",
            "not a known key",
        ),
        ({"azureTenants": [{"name": "t"}]}, "azureTenants[0].tenantId", "is required"),
        (
            {"azureTenants": [{"name": "t", "tenantId": "contoso.onmicrosoft.com"}]},
            "azureTenants[0].tenantId",
            "a GUID",
        ),
        (
            {"azureTenants": [{"name": "t", "tenantId": SP, "clientId": "x"}]},
            "azureTenants[0].clientId",
            "a GUID",
        ),
        (
            {"azureTenants": [{"name": "t", "tenantId": SP, "environment": "azurestack"}]},
            "azureTenants[0].environment",
            "global, public, usgovernment, usgovernmentl4, usgovernmentl5, dod, china",
        ),
        (
            {"azureTenants": [{"name": "t", "tenantId": SP, "clientSecret": "x"}]},
            "azureTenants[0].clientSecret",
            "not a known key",
        ),
        ({"oktaOrgs": [{"name": "o"}]}, "oktaOrgs[0].orgName", "is required"),
        (
            {"oktaOrgs": [{"name": "o", "orgName": "https://acme.okta.com"}]},
            "oktaOrgs[0].orgName",
            "subdomain",
        ),
        (
            {"oktaOrgs": [{"name": "o", "orgName": "acme", "baseUrl": "https://okta.com"}]},
            "oktaOrgs[0].baseUrl",
            "without scheme",
        ),
        (
            {"oktaOrgs": [{"name": "o", "orgName": "acme", "apiToken": "x"}]},
            "oktaOrgs[0].apiToken",
            "not a known key",
        ),
    ],
)
def test_each_malformed_setting_names_its_key_path(raw, key, text):
    found, problems = apps.parse_apps(raw)
    assert found == apps.Apps(), "nothing half-parsed is returned"
    assert [problem.key for problem in problems] == [key], problems
    assert text in problems[0].message
    assert str(problems[0]).startswith(f"druva-scim:{key}: ")


@pytest.mark.parametrize("section", ["azureApps", "oktaApps", "azureTenants", "oktaOrgs"])
def test_duplicate_names_are_refused_case_insensitively(section):
    def entry(i):
        return {
            "azureApps": {"servicePrincipalId": SP[:-1] + str(i)},
            "oktaApps": {"appId": APP[:-1] + str(i)},
            "azureTenants": {"tenantId": SP},
            "oktaOrgs": {"orgName": "acme"},
        }[section]

    raw = {
        section: [
            {"name": "Druva", **entry(1)},
            {"name": "other", **entry(2)},
            {"name": "druva", **entry(3)},
        ]
    }
    _, problems = apps.parse_apps(raw)
    assert [p.key for p in problems] == [f"{section}[2].name"]
    assert f"already used by {section}[0]" in problems[0].message


def test_one_app_listed_twice_in_the_same_tenant_or_org_is_refused():
    _, problems = parse(
        azureApps=[
            {"name": "a", "servicePrincipalId": SP},
            {"name": "b", "servicePrincipalId": SP.upper()},
        ],
        oktaApps=[{"name": "c", "appId": APP}, {"name": "d", "appId": APP, "mode": "manual"}],
    )
    assert [p.key for p in problems] == ["azureApps[1].servicePrincipalId", "oktaApps[1].appId"]
    assert "already listed as azureApps[0]" in problems[0].message


def test_the_same_service_principal_id_in_different_tenants_is_different_apps():
    _, problems = parse(
        azureTenants=[{"name": "t", "tenantId": SP}],
        azureApps=[
            {"name": "a", "servicePrincipalId": SP},
            {"name": "b", "servicePrincipalId": SP, "tenant": "t"},
        ],
    )
    assert problems == []


def test_one_okta_app_id_under_two_orgs_is_refused_since_okta_app_ids_are_global():
    _, problems = parse(
        oktaOrgs=[{"name": "o", "orgName": "acme"}],
        oktaApps=[
            {"name": "c", "appId": APP},
            {"name": "d", "appId": APP, "org": "o"},
        ],
    )
    assert [str(p) for p in problems] == [
        f"druva-scim:oktaApps[1].appId: {APP} is already listed as oktaApps[0] (Okta app ids "
        "are unique across all orgs, so both entries name the same app); list each app once"
    ]


def test_a_reference_lists_what_is_defined():
    _, problems = parse(
        azureTenants=[{"name": "contoso", "tenantId": SP}],
        azureApps=[{"name": "a", "servicePrincipalId": SP, "tenant": "fabrikam"}],
    )
    assert "(contoso)" in problems[0].message


def test_problems_in_several_entries_are_all_reported():
    _, problems = parse(
        azureApps=[
            {"name": "a", "servicePrincipalId": "x"},
            {"name": "b", "servicePrincipalId": "y"},
        ],
        oktaApps=[{"name": "c", "appId": "z"}],
    )
    assert [p.key for p in problems] == [
        "azureApps[0].servicePrincipalId",
        "azureApps[1].servicePrincipalId",
        "oktaApps[0].appId",
    ]


def test_manual_steps_name_the_console_the_app_and_the_exact_key():
    app = apps.OktaApp("druva", APP, None, "manual", None, 3)
    steps = texts.manual_steps(app.name, app.app_id, "https://acme.okta.com", FP, app.index)
    assert "pulumi stack output scimToken --show-secrets" in steps[0]
    assert "https://acme.okta.com/admin" in steps[1] and APP in steps[1]
    assert "Test API Credentials" in steps[3]
    assert steps[-1].endswith(
        f"'druva-scim:oktaApps[3].confirmedFingerprint' {FP} (commit it for review)"
    )
    assert (
        "your Okta org's Admin Console"
        in texts.manual_steps(app.name, app.app_id, None, FP, app.index)[1]
    )


@pytest.mark.parametrize(
    ("environment", "graph"),
    [
        ("global", "https://graph.microsoft.com"),
        ("public", "https://graph.microsoft.com"),
        ("usgovernmentl4", "https://graph.microsoft.us"),
        ("dod", "https://dod-graph.microsoft.us"),
        ("usgovernmentl5", "https://dod-graph.microsoft.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn"),
    ],
)
def test_every_azuread_environment_alias_finds_its_graph(environment, graph):
    found, problems = parse(
        azureTenants=[{"name": "t", "tenantId": SP, "environment": environment}]
    )
    assert problems == [] and found.azure_tenants["t"].graph_url == graph


# --- issue 10: Graph's secret keys are an enum; odd types; the China cloud -----------------


def extra(secrets: object) -> list[Problem]:
    app = {"name": "a", "servicePrincipalId": SP, "extraSecrets": secrets}
    return apps.parse_apps({"azureApps": [app]})[1]


def test_notification_email_is_not_a_graph_key_and_the_message_says_where_it_lives():
    [problem] = extra({"NotificationEmail": "ops@example.com"})
    assert problem.key == "azureApps[0].extraSecrets.NotificationEmail"
    assert "SyncNotificationSettings, a JSON text" in problem.message
    assert '"Recipients":"ops@example.com"' in problem.message
    assert "SyncAll, " in problem.message and "ConnectionString" in problem.message


def test_an_unknown_key_lists_the_valid_ones_and_a_wrong_case_gets_the_spelling():
    [unknown] = extra({"Frequency": "1"})
    assert "the keys are UserName, Password" in unknown.message
    assert "BaseAddress" not in unknown.message and "SecretToken" not in unknown.message
    [spelled] = extra({"syncall": "true"})
    assert "spell it SyncAll" in spelled.message


def test_every_key_of_graphs_enum_but_the_managed_ones_is_accepted():
    secrets = {key: "x" for key in apps.SYNCHRONIZATION_SECRET_KEYS}
    secrets["SyncNotificationSettings"] = NOTIFY
    assert extra(secrets) == []
    assert "None" not in apps.SYNCHRONIZATION_SECRET_KEYS
    assert not set(apps.MANAGED_SECRET_KEYS) & set(apps.SYNCHRONIZATION_SECRET_KEYS)


@pytest.mark.parametrize("value", ["ops@example.com", "[1]", "{" * 5000, '"on"'])
def test_sync_notification_settings_must_be_a_json_object(value):
    [problem] = extra({"SyncNotificationSettings": value})
    assert "must be a JSON object in a string" in problem.message


@pytest.mark.parametrize(("value", "quoted"), [(False, "'false'"), (1, "'1'")])
def test_an_unquoted_yaml_value_is_refused_with_how_to_quote_it(value, quoted):
    [problem] = extra({"SyncAll": value})
    assert problem.key == "azureApps[0].extraSecrets.SyncAll"
    assert f"quote it in the stack file ({quoted})" in problem.message


@pytest.mark.parametrize("environment", [["global"], {"name": "global"}, 1e309, None])
def test_an_environment_of_another_type_is_named(environment):
    _, problems = parse(azureTenants=[{"name": "t", "tenantId": SP, "environment": environment}])
    assert [problem.key for problem in problems] == ["azureTenants[0].environment"]


def test_an_app_in_a_china_tenant_is_accepted():
    # Microsoft's current pages mark China (21Vianet) as supported for validateCredentials and
    # the secrets API (providers/core/apps.py cites them).
    found, problems = parse(
        azureTenants=[{"name": "cn", "tenantId": SP, "environment": "china"}],
        azureApps=[{"name": "a", "servicePrincipalId": SP, "tenant": "cn"}],
    )
    assert problems == []
    assert [(app.name, app.tenant) for app in found.azure_apps] == [("a", "cn")]


def test_the_docs_example_configuration_is_valid():
    page = (ROOT / "docs" / "configuration.md").read_text()
    section = page[page.index("## Identity providers") :]
    block = section[section.index("```yaml") + len("```yaml") : section.index("```\n", 10)]
    config = yaml.safe_load(block)["config"]
    raw = {key.removeprefix("druva-scim:"): value for key, value in config.items()}
    found, problems = apps.parse_apps(raw)
    assert problems == []
    assert dict(found.azure_apps[0].extra_secrets)["SyncAll"] == "false"


@pytest.mark.parametrize(
    "written", [SP, SP.upper(), f"/servicePrincipals/{SP}", f" /SERVICEPRINCIPALS/{SP} "]
)
def test_a_service_principal_id_is_read_in_either_form_as_the_bare_object_id(written):
    found, problems = parse(azureApps=[{"name": "druva", "servicePrincipalId": written}])
    assert problems == []
    [app] = found.azure_apps
    assert app.service_principal_id == SP
    assert app.azuread_service_principal_id == f"/servicePrincipals/{SP}"


@pytest.mark.parametrize(
    "written",
    [
        f"servicePrincipals/{SP}",
        f"/applications/{SP}",
        f"/servicePrincipals/{SP}/x",
        "/servicePrincipals/",
    ],
)
def test_a_service_principal_id_in_another_form_names_the_setting_and_both_forms(written):
    _, problems = parse(azureApps=[{"name": "druva", "servicePrincipalId": written}])
    [problem] = problems
    assert problem.key == "azureApps[0].servicePrincipalId"
    assert "written bare (6f1c2a3b-" in problem.message
    assert "or as azuread's id of it (/servicePrincipals/6f1c2a3b-" in problem.message


def test_one_app_written_in_both_forms_is_listed_twice():
    _, problems = parse(
        azureApps=[
            {"name": "a", "servicePrincipalId": SP},
            {"name": "b", "servicePrincipalId": f"/servicePrincipals/{SP.upper()}"},
        ]
    )
    assert [problem.key for problem in problems] == ["azureApps[1].servicePrincipalId"]


# --- manualApps: the apps of any other identity provider --------------------------------------


def test_manual_apps_of_each_kind_are_read():
    found, problems = parse(
        manualApps=[
            {"name": "ol", "kind": "onelogin", "appId": "1234567", "confirmedFingerprint": FP},
            {"name": "jc", "kind": "jumpcloud", "appId": "5f0c", "consoleUrl": "https://x.io/a"},
            {"name": "sc", "kind": "other", "appId": "client-1"},
        ]
    )
    assert problems == []
    assert [(a.name, a.kind, a.app_id, a.index) for a in found.manual_apps] == [
        ("ol", "onelogin", "1234567", 0),
        ("jc", "jumpcloud", "5f0c", 1),
        ("sc", "other", "client-1", 2),
    ]
    assert found.manual_apps[0].confirmed_fingerprint == FP
    assert found.manual_apps[1].console_url == "https://x.io/a"


@pytest.mark.parametrize(
    ("entry", "key", "says"),
    [
        ({"name": "a", "appId": "1"}, "manualApps[0].kind", "is required"),
        (
            {"name": "a", "kind": "azure", "appId": "1"},
            "manualApps[0].kind",
            "'azure' is not a known kind: name the identity provider with one of onelogin, "
            "jumpcloud, other",
        ),
        (
            {"name": "a", "kind": "okta-saml", "appId": "1"},
            "manualApps[0].kind",
            "move this entry to druva-scim:oktaApps",
        ),
        ({"name": "a", "kind": "other"}, "manualApps[0].appId", "is required"),
        ({"name": "a", "kind": "other", "appId": "has space"}, "manualApps[0].appId", "not valid"),
        ({"name": "a", "kind": "other", "appId": "app::1"}, "manualApps[0].appId", "not valid"),
        ({"kind": "other", "appId": "1"}, "manualApps[0].name", "is required"),
        (
            {"name": "a", "kind": "other", "appId": "1", "consoleUrl": "http://x.io"},
            "manualApps[0].consoleUrl",
            "the https address",
        ),
        (
            {"name": "a", "kind": "other", "appId": "1", "confirmedFingerprint": "xyz"},
            "manualApps[0].confirmedFingerprint",
            "12 hex digits",
        ),
        (
            {"name": "a", "kind": "other", "appId": "1", "mode": "manual"},
            "manualApps[0].mode",
            "is not a known key",
        ),
    ],
)
def test_each_bad_manual_app_names_its_key_and_the_fix(entry, key, says):
    found, problems = parse(manualApps=[entry])
    assert found.manual_apps == ()
    assert [p.key for p in problems] == [key]
    assert says in problems[0].message


def test_manual_apps_must_be_a_list_with_unique_names_and_apps():
    _, problems = parse(manualApps={"name": "a"})
    assert [p.key for p in problems] == ["manualApps"]
    _, problems = parse(
        manualApps=[
            {"name": "a", "kind": "onelogin", "appId": "1"},
            {"name": "A", "kind": "jumpcloud", "appId": "2"},
            {"name": "b", "kind": "onelogin", "appId": "1"},
            {"name": "c", "kind": "jumpcloud", "appId": "1"},
        ]
    )
    assert [(p.key, p.message.split(" ")[-1]) for p in problems] == [
        ("manualApps[1].name", "unique"),
        ("manualApps[2].appId", "once"),
    ]


@pytest.mark.parametrize("kind", apps.MANUAL_KINDS)
def test_each_kinds_steps_read_the_token_first_and_confirm_last(kind):
    steps = texts.handoff_steps(kind, "druva", "42", None, FP, 3)
    assert steps[0] == texts.READ_TOKEN
    assert steps[-1] == (
        f"Confirm: pulumi config set --path 'druva-scim:manualApps[3].confirmedFingerprint' {FP} "
        "(commit it for review)"
    )
    assert "druva (42)" in steps[1]
