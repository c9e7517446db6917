"""The identity-provider consumers under mocks, with the real pulumi-azuread and pulumi-okta classes."""

import json
from datetime import timedelta

import grpc
import pulumi
import pytest
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _sync_await

from providers import wiring
from testbed.harness import Run, is_secret, run_program, unwrap
from tests.doubles import NOW, OTHER_TOKEN, TOKEN

SP = [f"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a{i:02x}" for i in range(256)]
TENANT = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
NOTIFY = '{"Enabled":true,"Recipients":"ops@example.com","DeleteThresholdEnabled":true}'
CLIENT = "99999999-8888-4777-8666-555555555555"
APP_IDS = [f"0oa1b2c3d4e5f6g7h{i:03d}" for i in range(256)]
SYNC_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
AZURE_CHECK = "pulumi-python:dynamic/druva:AzureProvisioningCheck"
OKTA_CHECK = "pulumi-python:dynamic/druva:OktaConnectionCheck"
CONNECTION = "okta:app/connection:Connection"
HANDOFF = "pulumi-python:dynamic/druva:OktaManualHandoff"
TOKEN_URN_SUFFIX = "pulumi-python:dynamic/druva:ScimToken::druva-scim-token"


def config(token=TOKEN, **structured):
    values = {
        "druva-scim:scimToken": token,
        "druva-scim:issuedAt": "2026-11-20T00:00:00Z",
        "okta:orgName": "acme",
    }
    values.update({f"druva-scim:{key}": json.dumps(value) for key, value in structured.items()})
    return values


def azure_apps(count, **extra):
    return [{"name": f"azure-{i}", "servicePrincipalId": SP[i], **extra} for i in range(count)]


def okta_apps(count, **extra):
    """API-mode apps unless `mode` says otherwise (manual is the configuration's default)."""
    extra = {"mode": "api", **extra}
    return [{"name": f"okta-{i}", "appId": APP_IDS[i], **extra} for i in range(count)]


def depends_on_token(registration):
    return any(urn.endswith(TOKEN_URN_SUFFIX) for urn in registration.dependencies)


@pytest.mark.parametrize("count", [0, 1, 7])
def test_each_azure_app_gets_a_synchronization_secret_with_the_token(count):
    run = run_program(config(azureApps=azure_apps(count)))
    assert run.error is None
    secrets = sorted(run.of_type(SYNC_SECRET), key=lambda r: int(r.name.rsplit("-", 1)[1]))
    assert [r.name for r in secrets] == [f"azure-azure-{i}" for i in range(count)]
    for i, registration in enumerate(secrets):
        assert registration.plain("servicePrincipalId") == f"/servicePrincipals/{SP[i]}"
        assert registration.plain("credentials") == [
            {"key": "BaseAddress", "value": "https://apis.druva.com/insync/scim"},
            {"key": "SecretToken", "value": TOKEN},
        ]
        assert is_secret(registration.inputs["credentials"])
        assert registration.additional_secret_outputs == ["credentials"]
        assert depends_on_token(registration)
        assert registration.provider == "", "no tenant named: the default azuread provider"
    assert [t["kind"] for t in run.exports["targets"]] == ["azure"] * count


@pytest.mark.parametrize("written", [SP[3], SP[3].upper(), f"/servicePrincipals/{SP[3]}"])
def test_either_form_of_the_id_gives_azuread_its_form_and_graph_the_bare_object_id(written):
    run = run_program(config(azureApps=[{"name": "a", "servicePrincipalId": written}]))
    [secret] = run.of_type(SYNC_SECRET)
    [check] = run.of_type(AZURE_CHECK)
    assert secret.plain("servicePrincipalId") == f"/servicePrincipals/{SP[3]}"
    # The check asks Graph at /servicePrincipals/{id}/...: it and `targets` keep the bare id,
    # as existing stacks hold them (no diff for the check).
    assert check.plain("servicePrincipalId") == SP[3]
    assert [t["servicePrincipalId"] for t in run.exports["targets"]] == [SP[3]]


def test_extra_secrets_are_written_back_with_the_token():
    apps = azure_apps(1, extraSecrets={"SyncNotificationSettings": NOTIFY, "SyncAll": "false"})
    [registration] = run_program(config(azureApps=apps)).of_type(SYNC_SECRET)
    assert registration.plain("credentials")[2:] == [
        {"key": "SyncAll", "value": "false"},
        {"key": "SyncNotificationSettings", "value": NOTIFY},
    ]


@pytest.mark.parametrize("count", [0, 1, 6])
def test_each_api_mode_okta_app_gets_a_connection_with_the_token(count):
    run = run_program(config(oktaApps=okta_apps(count)))
    connections = sorted(run.of_type(CONNECTION), key=lambda r: int(r.name.rsplit("-", 1)[1]))
    assert len(connections) == count
    for i, registration in enumerate(connections):
        assert registration.plain("idProperty") == APP_IDS[i]
        assert registration.plain("baseUrl") == "https://apis.druva.com/insync/scim"
        assert registration.plain("action") == "activate"
        assert registration.plain("profile") == {"authScheme": "TOKEN", "token": TOKEN}
        assert is_secret(registration.inputs["profile"])
        assert registration.additional_secret_outputs == ["profile"]
        assert depends_on_token(registration)
    assert run.of_type(HANDOFF) == []
    assert run.exports["pendingManualSteps"] == []


def test_named_tenants_and_orgs_get_explicit_providers():
    run = run_program(
        config(
            azureTenants=[
                {
                    "name": "contoso",
                    "tenantId": TENANT,
                    "clientId": CLIENT,
                    "environment": "usgovernment",
                }
            ],
            oktaOrgs=[{"name": "corp", "orgName": "acme", "baseUrl": "oktapreview.com"}],
            azureApps=[
                *azure_apps(1),
                {"name": "gov", "servicePrincipalId": SP[1], "tenant": "contoso"},
            ],
            oktaApps=[
                *okta_apps(1),
                {"name": "corp-app", "appId": APP_IDS[1], "org": "corp", "mode": "api"},
            ],
        )
    )
    assert run.error is None
    azure_provider = run.named("azure-tenant-contoso")
    assert azure_provider.type == "pulumi:providers:azuread"
    assert azure_provider.plain("tenantId") == TENANT
    assert azure_provider.plain("clientId") == CLIENT
    assert azure_provider.plain("environment") == "usgovernment"
    okta_provider = run.named("okta-org-corp")
    assert okta_provider.type == "pulumi:providers:okta"
    assert (okta_provider.plain("orgName"), okta_provider.plain("baseUrl")) == (
        "acme",
        "oktapreview.com",
    )

    assert run.named("azure-gov").provider.startswith(azure_provider.urn + "::")
    assert run.named("okta-corp-app").provider.startswith(okta_provider.urn + "::")
    assert run.named("azure-azure-0").provider == ""
    assert run.named("okta-okta-0").provider == ""
    assert {t["name"]: t.get("tenant", t.get("org")) for t in run.exports["targets"]} == {
        "azure-0": "default",
        "gov": "contoso",
        "okta-0": "default",
        "corp-app": "corp",
    }


def test_providers_carry_no_credentials_they_come_from_the_environment():
    run = run_program(
        config(
            azureTenants=[{"name": "contoso", "tenantId": TENANT}],
            oktaOrgs=[{"name": "corp", "orgName": "acme"}],
            azureApps=[{"name": "a", "servicePrincipalId": SP[0], "tenant": "contoso"}],
            oktaApps=[{"name": "o", "appId": APP_IDS[0], "org": "corp", "mode": "api"}],
        )
    )
    for name in ("azure-tenant-contoso", "okta-org-corp"):
        inputs = unwrap(run.named(name).inputs)
        assert not {"clientSecret", "apiToken", "privateKey", "accessToken"} & set(inputs), inputs


def test_a_manual_okta_app_registers_no_okta_resource_and_is_pending():
    run = run_program(config(oktaApps=okta_apps(1, mode="manual")))
    assert run.of_type(CONNECTION) == []
    [handoff] = run.of_type(HANDOFF)
    fingerprint = run.exports["tokenFingerprint"]
    assert handoff.plain("expectedFingerprint") == fingerprint
    assert depends_on_token(handoff)
    [pending] = run.exports["pendingManualSteps"]
    assert pending["name"] == "okta-0" and pending["appId"] == APP_IDS[0]
    assert pending["tokenFingerprint"] == fingerprint
    assert pending["pendingSince"] == "2026-11-22T12:00:00Z"
    assert any("--show-secrets" in step for step in pending["steps"])
    assert pending["steps"][-1].startswith(
        "Confirm: pulumi config set --path 'druva-scim:oktaApps[0].confirmedFingerprint'"
    )
    [warning] = run.messages("warning")
    assert "okta-0" in warning and fingerprint in warning and TOKEN not in warning
    assert run.exports["targets"][0]["state"] == "pending"


def test_confirming_the_fingerprint_closes_the_hand_off():
    fingerprint = run_program(config()).exports["tokenFingerprint"]
    run = run_program(
        config(oktaApps=okta_apps(1, mode="manual", confirmedFingerprint=fingerprint))
    )
    assert run.exports["pendingManualSteps"] == []
    assert run.messages("warning") == []
    assert run.exports["targets"][0]["state"] == "confirmed"
    [handoff] = run.of_type(HANDOFF)
    assert handoff.outputs["pending"] is False


def test_no_export_and_no_non_secret_input_carries_the_token():
    run = run_program(
        config(
            azureApps=azure_apps(2),
            oktaApps=[*okta_apps(2), {"name": "by-hand", "appId": APP_IDS[9], "mode": "manual"}],
        )
    )
    assert run.error is None, run.messages("error")
    for name, value in run.exports.items():
        if name != "scimToken":
            assert TOKEN not in json.dumps(value, default=str), name
    for registration in run.registrations:
        for key, value in registration.inputs.items():
            if not is_secret(value):
                assert TOKEN not in json.dumps(unwrap(value), default=str), (registration.name, key)


def rotate(apps_config: dict[str, str], prior_run: Run) -> Run:
    prior = {r.name: unwrap(r.outputs) for r in prior_run.registrations}
    return run_program(
        {
            **apps_config,
            "druva-scim:scimToken": OTHER_TOKEN,
            "druva-scim:issuedAt": "2026-11-29T00:00:00Z",
        },
        now=NOW + timedelta(days=7),
        prior=prior,
    )


def test_rotation_gives_every_consumer_the_new_token_and_reopens_manual_hand_offs():
    first_fp_run = run_program(config())
    old_fp = first_fp_run.exports["tokenFingerprint"]
    apps = config(
        azureApps=azure_apps(2),
        oktaApps=[
            *okta_apps(1),
            {
                "name": "manual",
                "appId": APP_IDS[1],
                "mode": "manual",
                "confirmedFingerprint": old_fp,
            },
        ],
    )
    before = run_program(apps)
    assert before.exports["pendingManualSteps"] == []

    after = rotate(apps, before)
    assert after.error is None, after.messages("error")
    new_fp = after.exports["tokenFingerprint"]
    assert new_fp != old_fp
    for registration in after.of_type(SYNC_SECRET):
        assert registration.plain("credentials")[1] == {"key": "SecretToken", "value": OTHER_TOKEN}
    [connection] = after.of_type(CONNECTION)
    assert connection.plain("profile")["token"] == OTHER_TOKEN
    [pending] = after.exports["pendingManualSteps"]
    assert pending["name"] == "manual" and pending["tokenFingerprint"] == new_fp
    assert pending["pendingSince"] == "2026-11-29T12:00:00Z"
    assert [t["tokenFingerprint"] for t in after.exports["targets"]] == [new_fp] * 4


def test_a_pending_hand_off_keeps_its_start_across_runs():
    apps = config(oktaApps=okta_apps(1, mode="manual"))
    first = run_program(apps)
    prior = {r.name: unwrap(r.outputs) for r in first.registrations}
    later = run_program(apps, now=NOW + timedelta(days=5), prior=prior)
    assert later.exports["pendingManualSteps"][0]["pendingSince"] == "2026-11-22T12:00:00Z"


@pytest.mark.parametrize(
    ("structured", "expected"),
    [
        (
            {"azureApps": [{"name": "a", "servicePrincipalId": "nope"}]},
            "druva-scim:azureApps[0].servicePrincipalId: 'nope' is not valid",
        ),
        (
            {"azureApps": [*azure_apps(2), {"name": "azure-1", "servicePrincipalId": SP[0]}]},
            "druva-scim:azureApps[2].name: 'azure-1' is already used by azureApps[1]",
        ),
        (
            {"oktaApps": [{"name": "o", "appId": APP_IDS[0], "org": "ghost"}]},
            "druva-scim:oktaApps[0].org: names 'ghost'",
        ),
        (
            {"oktaApps": [{"name": "o", "appId": APP_IDS[0], "colour": "blue"}]},
            "druva-scim:oktaApps[0].colour: is not a known key",
        ),
    ],
)
def test_bad_app_config_registers_nothing(structured, expected):
    run = run_program(config(**{"oktaApps": okta_apps(1), **structured}))
    assert run.registrations == []
    assert type(run.error).__name__ == "RunError"
    assert any(expected in message for message in run.messages("error")), run.messages("error")


def test_each_azure_app_is_verified_from_azure_after_its_secret_is_written():
    run = run_program(
        config(
            azureTenants=[
                {
                    "name": "gov",
                    "tenantId": TENANT,
                    "clientId": CLIENT,
                    "environment": "usgovernment",
                }
            ],
            azureApps=[*azure_apps(1), {"name": "g", "servicePrincipalId": SP[5], "tenant": "gov"}],
        )
    )
    default_check = run.named("azure-check-azure-0")
    assert default_check.type == AZURE_CHECK
    assert default_check.plain("servicePrincipalId") == SP[0]
    assert default_check.plain("graphUrl") == "https://graph.microsoft.com"
    assert default_check.plain("tokenFingerprint") == run.exports["tokenFingerprint"]
    assert "tenantId" not in default_check.inputs
    assert run.named("azure-azure-0").urn in default_check.dependencies
    gov_check = run.named("azure-check-g")
    assert gov_check.plain("graphUrl") == "https://graph.microsoft.us"
    assert (gov_check.plain("tenantId"), gov_check.plain("clientId")) == (TENANT, CLIENT)
    assert run.named("azure-g").urn in gov_check.dependencies
    for check in (default_check, gov_check):
        # The token reaches the check only as a secret input, to be redacted from its texts.
        assert is_secret(check.inputs["scimToken"]) and check.plain("scimToken") == TOKEN
        assert "scimToken" in check.additional_secret_outputs
        public = {k: v for k, v in check.inputs.items() if k != "scimToken"}
        assert TOKEN not in json.dumps(unwrap(public), default=str)
    assert {t["state"] for t in run.exports["targets"]} == {"verified"}


def test_each_api_mode_okta_app_is_read_back_after_its_connection_is_set():
    run = run_program(
        config(
            oktaOrgs=[{"name": "corp", "orgName": "widgets", "baseUrl": "oktapreview.com"}],
            oktaApps=[
                *okta_apps(1),
                {"name": "c", "appId": APP_IDS[3], "org": "corp", "mode": "api"},
            ],
        )
    )
    default_check = run.named("okta-check-okta-0")
    assert default_check.type == OKTA_CHECK
    assert (
        is_secret(default_check.inputs["scimToken"]) and default_check.plain("scimToken") == TOKEN
    )
    assert "scimToken" in default_check.additional_secret_outputs
    assert default_check.plain("orgUrl") == "https://acme.okta.com"
    assert default_check.plain("appId") == APP_IDS[0]
    assert run.named("okta-okta-0").urn in default_check.dependencies
    assert run.named("okta-check-c").plain("orgUrl") == "https://widgets.oktapreview.com"
    assert run.of_type(OKTA_CHECK) and len(run.of_type(OKTA_CHECK)) == 2


def test_manual_okta_apps_are_not_checked_through_the_api():
    run = run_program(config(oktaApps=okta_apps(1, mode="manual")))
    assert run.of_type(OKTA_CHECK) == []


def test_the_okta_connection_carries_an_error_hook_for_unsupported_integrations():
    run = run_program(config(oktaApps=okta_apps(1)))
    [connection] = run.of_type(CONNECTION)
    assert connection.error_hooks == ["druva-scim-okta-unsupported-okta-0"]


def test_api_mode_on_an_unconfigured_default_org_is_refused_before_registering():
    values = {k: v for k, v in config(oktaApps=okta_apps(1)).items() if k != "okta:orgName"}
    run = run_program(values)
    assert run.registrations == []
    assert any(
        "druva-scim:oktaApps[0]: uses the default okta provider, whose org is not configured" in m
        for m in run.messages("error")
    )


def test_an_unknown_default_azure_environment_is_refused():
    run = run_program({**config(azureApps=azure_apps(1)), "azuread:environment": "moon"})
    assert run.registrations == []
    assert any("'moon'" in m and "global, public, usgovernment" in m for m in run.messages("error"))


def test_no_provider_for_a_tenant_without_apps_or_an_org_with_manual_apps_only():
    run = run_program(
        config(
            azureTenants=[{"name": "unused", "tenantId": TENANT}],
            oktaOrgs=[{"name": "by-hand", "orgName": "acme"}],
            oktaApps=[{"name": "m", "appId": APP_IDS[0], "org": "by-hand", "mode": "manual"}],
        )
    )
    assert run.error is None
    types = {r.type for r in run.registrations}
    assert "pulumi:providers:okta" not in types and "pulumi:providers:azuread" not in types
    assert run.exports["pendingManualSteps"][0]["orgUrl"] == "https://acme.okta.com"


def test_the_default_tenant_check_signs_in_where_azuread_config_points():
    run = run_program(
        {
            **config(azureApps=azure_apps(1)),
            "azuread:tenantId": TENANT,
            "azuread:clientId": CLIENT,
            "azuread:environment": "usgovernmentl5",
        }
    )
    check = run.named("azure-check-azure-0")
    assert (check.plain("tenantId"), check.plain("clientId")) == (TENANT, CLIENT)
    assert check.plain("graphUrl") == "https://dod-graph.microsoft.us"


def test_extra_secret_values_are_secret_inputs_too():
    apps = azure_apps(1, extraSecrets={"SyncNotificationSettings": NOTIFY})
    [registration] = run_program(config(azureApps=apps)).of_type(SYNC_SECRET)
    assert is_secret(registration.inputs["credentials"])
    assert registration.plain("credentials")[2]["value"] == NOTIFY


def test_a_target_is_verified_only_once_its_check_confirmed_this_token():
    run = run_program(config(azureApps=azure_apps(1), oktaApps=okta_apps(1)))
    states = {t["kind"]: t["state"] for t in run.exports["targets"]}
    # Okta's read-back confirms the connection's status and scheme, not the token itself.
    assert states == {"azure": "verified", "okta-api": "connection-enabled"}

    def state(recorded: str) -> str:
        output = wiring.confirmed(pulumi.Output.from_input(recorded), "0123456789ab")
        return str(_sync_await(output.future()))

    assert state("0123456789ab") == "verified"
    assert state("ba9876543210") == "unverified"  # the check still holds the old token's


def test_without_error_hooks_in_the_cli_the_connection_is_registered_plainly():
    run_program(config())  # leaves the mocks' settings in place
    features = runtime_settings.SETTINGS.monitor_features
    feature = resource_pb2.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS
    assert wiring.error_hooks("hook", lambda errors: None) is not None
    features.discard(feature)
    try:
        assert wiring.error_hooks("hook", lambda errors: None) is None
    finally:
        features.add(feature)


def test_the_synchronization_secret_carries_an_error_hook_that_names_the_permission():
    run = run_program(config(azureApps=azure_apps(1)))
    [secret] = run.of_type(SYNC_SECRET)
    assert secret.error_hooks == ["druva-scim-azure-write-azure-0"]


def test_okta_apps_without_a_mode_get_a_tracked_hand_off_named_after_the_app_id():
    run = run_program(config(oktaApps=[{"name": "druva-okta", "appId": APP_IDS[0]}]))
    assert run.of_type(CONNECTION) == []
    [handoff] = run.of_type(HANDOFF)
    assert handoff.name == f"okta-handoff-{APP_IDS[0]}"
    [pending] = run.exports["pendingManualSteps"]
    assert pending["name"] == "druva-okta"


class FakeEngine:
    """The engine's RequirePulumiVersion as a CLI of `version` answers it."""

    def __init__(self, satisfied: bool) -> None:
        self.satisfied = satisfied
        self.ranges: list[str] = []

    def RequirePulumiVersion(self, request):  # noqa: N802  (the gRPC method name)
        self.ranges.append(request.pulumi_version_range)
        if not self.satisfied:
            raise TooOld()


class TooOld(grpc.RpcError):  # type: ignore[misc]
    def code(self):
        return grpc.StatusCode.FAILED_PRECONDITION

    def details(self):
        return "Pulumi CLI version 3.230.0 does not satisfy the version range >=3.244.0"


@pytest.mark.parametrize(("satisfied", "hooked"), [(True, True), (False, False)])
def test_the_okta_refusal_hook_is_registered_only_for_a_cli_from_3_244(satisfied, hooked):
    run_program(config())  # leaves the mocks' settings in place
    engine = FakeEngine(satisfied)
    real = runtime_settings.SETTINGS.engine
    runtime_settings.SETTINGS.engine = engine
    try:
        assert wiring.error_hooks_supported() is hooked
        assert (wiring.error_hooks("hook", lambda errors: None) is not None) is hooked
    finally:
        runtime_settings.SETTINGS.engine = real
    assert engine.ranges and set(engine.ranges) == {">=3.244.0"}


def test_under_mocks_without_a_cli_the_monitor_feature_decides():
    run_program(config())
    assert not hasattr(runtime_settings.SETTINGS.engine, "RequirePulumiVersion")
    assert wiring.error_hooks_supported() is True


def test_an_azure_app_on_a_china_default_provider_is_written_and_checked_in_china():
    # Microsoft's current pages mark China (21Vianet) as supported for validateCredentials and
    # the secrets API (providers/core/apps.py cites them).
    run = run_program({**config(azureApps=azure_apps(1)), "azuread:environment": "china"})
    assert run.messages("error") == []
    assert run.named("azure-check-azure-0").plain("graphUrl") == (
        "https://microsoftgraph.chinacloudapi.cn"
    )


def test_an_azure_app_in_a_china_tenant_is_written_and_checked_in_china():
    run = run_program(
        config(
            azureTenants=[{"name": "cn", "tenantId": TENANT, "environment": "china"}],
            azureApps=azure_apps(1, tenant="cn"),
        )
    )
    assert run.messages("error") == []
    check = run.named("azure-check-azure-0")
    assert check.plain("graphUrl") == "https://microsoftgraph.chinacloudapi.cn"
    assert check.plain("tenantId") == TENANT
