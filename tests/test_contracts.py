"""The bridged providers' contracts (testbed/contracts.py): each rule refuses what its provider's
source refuses, agrees with the installed SDK's inputs, and is enforced on every run of the
program (testbed/harness.py, tests/test_checks.py)."""

import inspect
import re
import textwrap
from datetime import timedelta

import pulumi_azuread as azuread
import pulumi_okta as okta
import pytest
from pulumi import _types

from testbed import contracts
from testbed.contracts import CONNECTION, CONTRACTS, SYNC_SECRET, ContractRefusalError
from testbed.harness import run_program
from tests.test_program_apps import config

SP = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
AZUREAD_PROVIDER, OKTA_PROVIDER = contracts.AZUREAD_PROVIDER, contracts.OKTA_PROVIDER
SECRET = {"servicePrincipalId": f"/servicePrincipals/{SP}", "credentials": []}
CONNECTED = {
    "idProperty": "0oa1b2c3d4e5f6g7h8i9",
    "baseUrl": "https://apis.druva.com/insync/scim",
    "action": "activate",
    "profile": {"authScheme": "TOKEN", "token": "t"},
}
SOURCE = re.compile(r"^[\w.-]+/[\w.-]+ \S+ @ [0-9a-f]{40}")


def program(tmp_path, body: str):
    main = tmp_path / "__main__.py"
    main.write_text(textwrap.dedent(body), encoding="utf-8")
    return main


def test_registering_a_bare_service_principal_id_with_azuread_fails_the_run(tmp_path):
    main = program(
        tmp_path,
        f"""
        import pulumi_azuread as azuread
        azuread.SynchronizationSecret("s", service_principal_id="{SP}", credentials=[])
        """,
    )
    with pytest.raises(ContractRefusalError, match="the number of segments didn't match"):
        run_program({}, main=main)


def test_the_same_registration_in_azureads_form_runs(tmp_path):
    main = program(
        tmp_path,
        f"""
        import pulumi_azuread as azuread
        azuread.SynchronizationSecret(
            "s", service_principal_id="/servicePrincipals/{SP}", credentials=[]
        )
        """,
    )
    assert run_program({}, main=main).error is None


def test_every_azure_and_okta_registration_of_the_program_is_held_to_a_contract():
    run = run_program(
        config(
            azureTenants=[{"name": "t", "tenantId": SP, "environment": "usgovernment"}],
            oktaOrgs=[{"name": "o", "orgName": "corp"}],
            azureApps=[
                {"name": "a", "servicePrincipalId": SP},
                {"name": "b", "servicePrincipalId": SP, "tenant": "t"},
            ],
            oktaApps=[
                {"name": "c", "appId": "0oa1b2c3d4e5f6g7h8i9", "mode": "api"},
                {"name": "d", "appId": "0oa1b2c3d4e5f6g7h8i8", "mode": "api", "org": "o"},
            ],
        )
    )
    assert run.error is None
    bridged = {
        r.type for r in run.registrations if contracts.package(r.type) in ("azuread", "okta")
    }
    assert bridged == set(CONTRACTS)


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (SP, "the number of segments didn't match"),
        ("", "cannot parse an empty string"),
        (f"/ServicePrincipals/{SP}", "should be the literal value"),
        (f"/applications/{SP}", "should be the literal value"),
        (f"//servicePrincipals/{SP}", "should be the literal value"),
        (f"/servicePrincipals/{SP}/owners", "unexpected segment"),
        ("/servicePrincipals/", "was not specified"),
        (f"/servicePrincipals/{SP}", None),
        # Parser.Parse trims one leading `/` only if there is one, and a trailing `/` is
        # left over as nothing; the object id itself is any text.
        (f"servicePrincipals/{SP}", None),
        (f"/servicePrincipals/{SP}/", None),
        ("/servicePrincipals/not-a-guid", None),
    ],
)
def test_service_principal_id_is_refused_as_validate_service_principal_id_refuses(value, refused):
    found = contracts.refusals(SYNC_SECRET, {**SECRET, "servicePrincipalId": value})
    if refused is None:
        assert found == []
    else:
        [reason] = found
        assert refused in reason and "stable.ValidateServicePrincipalID" in reason


@pytest.mark.parametrize(
    ("type_token", "inputs", "refused"),
    [
        (SYNC_SECRET, {"credentials": []}, "servicePrincipalId is required"),
        (SYNC_SECRET, {**SECRET, "servicePrincipalId": 7}, "must be a string"),
        (SYNC_SECRET, {**SECRET, "credentials": [{"value": "v"}]}, "credentials[].key is required"),
        (SYNC_SECRET, {**SECRET, "credentials": [{"key": "k"}]}, "value is required"),
        (SYNC_SECRET, {**SECRET, "credentials": ["k=v"]}, "credentials[] must be an object"),
        (SYNC_SECRET, {**SECRET, "credential": []}, "credential is not an input"),
        (CONNECTION, {**CONNECTED, "action": "Activate"}, 'one of: ["activate" "deactivate"]'),
        (CONNECTION, {**CONNECTED, "action": None}, "action is required"),
        (CONNECTION, {k: v for k, v in CONNECTED.items() if k != "idProperty"}, "idProperty is"),
        (CONNECTION, {k: v for k, v in CONNECTED.items() if k != "baseUrl"}, "baseUrl is required"),
        (CONNECTION, {**CONNECTED, "id": "0oa1"}, "id is not an input of okta_app_connection"),
        (CONNECTION, {**CONNECTED, "status": "ENABLED"}, "status is set by the provider only"),
        (CONNECTION, {**CONNECTED, "profile": {"token": "t"}}, "profile.authScheme is required"),
        (CONNECTION, {**CONNECTED, "profile": {"authScheme": "token"}}, '["TOKEN" "OAUTH2"]'),
        (
            CONNECTION,
            {**CONNECTED, "profile": {"authScheme": "OAUTH2", "signing": {"rotationMode": "auto"}}},
            '["AUTO" "MANUAL"]',
        ),
        (CONNECTION, {**CONNECTED, "profile": {"authScheme": "TOKEN", "tok": "t"}}, "profile.tok"),
        (AZUREAD_PROVIDER, {"environment": "azurechina"}, "no environment was found"),
        (AZUREAD_PROVIDER, {"partnerId": "partner"}, "to be a valid UUID"),
        (AZUREAD_PROVIDER, {"useMsi": "yes"}, "must be a bool, JSON-encoded"),
        (AZUREAD_PROVIDER, {"tenant": SP}, "tenant is not an input"),
        (OKTA_PROVIDER, {"logLevel": "6"}, "expected to be in [1, 5]"),
        (OKTA_PROVIDER, {"requestTimeout": "301"}, "expected to be in [0, 300]"),
        (OKTA_PROVIDER, {"maxRetries": "101"}, "100]"),
        (OKTA_PROVIDER, {"apiToken": "a", "privateKey": "k"}, "apiToken conflicts with privateKey"),
        ("azuread:index/user:User", {}, "no contract is transcribed"),
    ],
)
def test_each_rule_refuses_what_its_source_refuses(type_token, inputs, refused):
    found = contracts.refusals(type_token, inputs)
    assert any(refused in reason for reason in found), found


@pytest.mark.parametrize(
    ("type_token", "inputs"),
    [
        (SYNC_SECRET, {**SECRET, "credentials": [{"key": "AnyKeyAtAll", "value": ""}]}),
        (CONNECTION, {**CONNECTED, "action": "deactivate", "profile": None}),
        (CONNECTION, {**CONNECTED, "profile": {"authScheme": "OAUTH2", "clientId": "c"}}),
        (AZUREAD_PROVIDER, {"environment": "USGovernment", "useMsi": "false", "partnerId": ""}),
        (AZUREAD_PROVIDER, {}),
        (OKTA_PROVIDER, {"orgName": "corp", "baseUrl": "okta.com", "logLevel": "5"}),
        # A preview's unknowns are not checked: the real Check sees them unknown too.
        (SYNC_SECRET, {"servicePrincipalId": contracts.UNKNOWN}),
        ("pulumi-python:dynamic/druva:ScimToken", {"anything": 1}),
    ],
)
def test_what_the_sources_accept_is_accepted(type_token, inputs):
    assert contracts.refusals(type_token, inputs) == []


SDK_INPUTS: dict[str, dict[str, type]] = {
    SYNC_SECRET: {
        "": azuread.SynchronizationSecretArgs,
        "credentials[].": azuread.SynchronizationSecretCredentialArgs,
    },
    CONNECTION: {
        "": okta.app.ConnectionArgs,
        "profile.": okta.app.ConnectionProfileArgs,
        "profile.signing.": okta.app.ConnectionProfileSigningArgs,
        "profile.settings.": okta.app.ConnectionProfileSettingsArgs,
    },
    AZUREAD_PROVIDER: {"": azuread.ProviderArgs},
    OKTA_PROVIDER: {"": okta.ProviderArgs},
}


@pytest.mark.parametrize(
    ("type_token", "prefix"),
    [(type_token, prefix) for type_token, levels in SDK_INPUTS.items() for prefix in levels],
)
def test_the_transcribed_inputs_are_the_installed_sdks_with_the_same_required_ones(
    type_token, prefix
):
    args = SDK_INPUTS[type_token][prefix]
    names = _types.input_type_py_to_pulumi_names(args)
    contract = CONTRACTS[type_token]
    level = {
        rule.path[len(prefix) :]: rule
        for rule in contract.rules
        if rule.path.startswith(prefix)
        and "." not in rule.path[len(prefix) :]
        and "[" not in rule.path[len(prefix) :]
        and not rule.computed_only
    }
    assert set(level) == set(names.values())
    parameters = inspect.signature(args).parameters
    required = {
        names[name] for name, p in parameters.items() if name in names and p.default is p.empty
    }
    assert required == {
        name for name, rule in level.items() if rule.required and rule.default is None
    }


def test_every_rule_cites_its_source_at_a_commit():
    for contract, rule in contracts.rules():
        assert SOURCE.match(rule.source), (contract.type, rule.path)
        assert bool(rule.validate) == bool(rule.validator), (contract.type, rule.path)


def test_only_service_principal_id_forces_a_new_resource():
    forcing = [(c.type, r.path) for c, r in contracts.rules() if r.force_new]
    assert forcing == [(SYNC_SECRET, "servicePrincipalId")]


@pytest.mark.parametrize(
    ("lag", "least"),
    [(timedelta(0), timedelta(seconds=20)), (timedelta(minutes=1), timedelta(seconds=105))],
)
def test_azureads_wait_after_a_write_takes_what_its_loop_takes(lag, least):
    """Five lists in a row that show the written set, 5 s apart; 5 then 10 s apart while not."""
    assert contracts.consistency_wait(lag) == least


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("1h30m", 5400), ("90s", 90)])
def test_a_custom_timeout_reads_as_pulumi_reads_it(text, seconds):
    assert contracts.duration(text) == timedelta(seconds=seconds)
