"""The verification providers in-process against the Graph and Okta stand-ins, and their
resources under Pulumi's mocks."""

import base64
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from providers.azure.check import (
    AzureProvisioningCheck,
    AzureProvisioningCheckArgs,
    AzureProvisioningCheckProvider,
)
from providers.checks import CheckProvider
from providers.core import resource_types
from providers.core.errors import ProviderError
from providers.dynamic import UNKNOWN
from providers.okta.check import (
    OktaConnectionCheck,
    OktaConnectionCheckArgs,
    OktaConnectionCheckProvider,
)
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.harness import is_secret, unwrap
from testbed.stand_ins.graph import Graph, job, quarantine, throttled
from testbed.stand_ins.okta import Okta, key_pair
from tests.doubles import (
    FINGERPRINT,
    JOB,
    OKTA_APP,
    TOKEN,
    AzureCheck,
    OfflineAzureCheck,
    OktaCheck,
    urn,
)
from tests.doubles import GRAPH_BEARER as BEARER
from tests.doubles import OKTA_API_TOKEN as OKTA_TOKEN
from tests.doubles import OTHER_FINGERPRINT as NEW_FINGERPRINT
from tests.doubles import SERVICE_PRINCIPAL as SP
from tests.doubles import azure_check_inputs as azure_inputs
from tests.doubles import okta_check_inputs as okta_inputs

SIGNED_IN = {"OKTA_API_TOKEN": OKTA_TOKEN}
"""The Okta check's environment in this process: an API token the stand-in accepts."""


@pytest.fixture
def azure() -> Iterator[Graph]:
    with Graph(BEARER) as stand_in:
        stand_in.jobs[SP] = [job(JOB, "scim")]
        yield stand_in


@pytest.fixture
def okta() -> Iterator[Okta]:
    with Okta(OKTA_TOKEN) as stand_in:
        stand_in.add_app(OKTA_APP)
        yield stand_in


def everything_observable(*values) -> str:
    return repr(values)


def created(provider: CheckProvider, inputs: dict[str, Any]) -> dict[str, Any]:
    outs = provider.create(inputs).outs
    assert outs is not None
    return outs


def updated(provider: CheckProvider, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    outs = provider.update("id", olds, news).outs
    assert outs is not None
    return outs


# --- Azure: create -------------------------------------------------------------------------


def test_create_validates_the_saved_credentials_and_records_it(azure):
    provider = AzureCheck(bearer=BEARER)
    result = provider.create(azure_inputs(azure.url, tenantId="t-1", clientId="c-1"))
    outs = result.outs
    assert outs is not None
    assert result.id == SP
    assert outs["lastValidatedAt"] == "2026-11-22T12:00:00Z"
    assert outs["jobId"] == JOB
    assert outs["restartedFromQuarantine"] is False
    assert outs["actions"] == [
        f"Azure tested the saved credentials of provisioning job {JOB} (template scim) "
        "against Druva: accepted"
    ]
    assert outs["tokenFingerprint"] == FINGERPRINT
    assert azure.validations == [(SP, JOB)] and azure.restarts == []
    assert provider.credential_asked == [(azure.url, "t-1", "c-1")]
    assert provider.fixed_credential is not None
    assert provider.fixed_credential.asked == [(f"{azure.url}/.default",)]
    assert BEARER not in everything_observable(outs)


def test_a_quarantined_job_is_restarted_exactly_once(azure):
    azure.jobs[SP] = [job(JOB, "scim", quarantine())]
    outs = created(AzureCheck(bearer=BEARER), azure_inputs(azure.url))
    assert len(azure.restarts) == 1
    assert azure.restarts[0] == (SP, JOB, {"criteria": {"resetScope": "QuarantineState"}})
    assert outs["restartedFromQuarantine"] is True
    assert "out of quarantine (EncounteredQuarantineException" in outs["actions"][1]
    assert azure.jobs[SP][0]["status"]["quarantine"] is None
    # The next verification finds the job healthy and leaves it alone.
    updated(
        AzureCheck(bearer=BEARER), outs, azure_inputs(azure.url, tokenFingerprint=NEW_FINGERPRINT)
    )
    assert len(azure.restarts) == 1


def test_a_rejected_secret_token_fails_the_create_and_restarts_nothing(azure):
    azure.jobs[SP] = [job(JOB, "scim", quarantine())]
    azure.reject_secret_token = True
    with pytest.raises(ProviderError) as raised:
        AzureCheck(bearer=BEARER).create(azure_inputs(azure.url))
    message = str(raised.value)
    assert "Druva (Contoso)" in message and "SystemForCrossDomainIdentityManagement" in message
    assert azure.restarts == []
    assert BEARER not in message and TOKEN not in message


def test_no_provisioning_job_fails_clearly(azure):
    azure.jobs[SP] = [job("AD2AAD.1", "AD2AADProvisioning"), job("API2AAD.2", "API2AAD")]
    with pytest.raises(ProviderError, match=r"no provisioning job.*set mode Automatic once"):
        AzureCheck(bearer=BEARER).create(azure_inputs(azure.url))
    assert azure.validations == []


def test_throttling_is_waited_out(azure):
    azure.fail_next(throttled("1"), throttled("0"))
    started = time.monotonic()
    outs = created(AzureCheck(bearer=BEARER), azure_inputs(azure.url))
    assert outs["jobId"] == JOB
    listings = [r for r in azure.requests if r.method == "GET"]
    assert len(listings) == 3  # two throttled, one answered
    assert time.monotonic() - started >= 0.9


def test_missing_permission_names_it(azure):
    azure.permitted = False
    with pytest.raises(ProviderError) as raised:
        AzureCheck(bearer=BEARER).create(azure_inputs(azure.url))
    message = str(raised.value)
    assert "Application.ReadWrite.OwnedBy" in message and "Synchronization.ReadWrite.All" in message
    assert BEARER not in message


# --- Azure: diff, update, read, delete ------------------------------------------------------


def test_diff_is_pure_and_sees_a_new_token(azure):
    provider = OfflineAzureCheck()
    olds = {**azure_inputs(azure.url), "jobId": JOB, "lastValidatedAt": "2026-11-01T00:00:00Z"}
    same = provider.diff(SP, olds, azure_inputs(azure.url))
    rotated = provider.diff(SP, olds, azure_inputs(azure.url, tokenFingerprint=NEW_FINGERPRINT))
    preview = provider.diff(SP, olds, azure_inputs(azure.url, tokenFingerprint=UNKNOWN))
    moved = provider.diff(SP, olds, azure_inputs(azure.url, servicePrincipalId=SP.upper()))
    assert (same.changes, rotated.changes, preview.changes, moved.changes) == (
        False,
        True,
        True,
        True,
    )
    assert rotated.replaces == [] and moved.replaces == []
    assert azure.requests == []


def test_update_after_a_rotation_validates_again(azure):
    first = created(AzureCheck(bearer=BEARER), azure_inputs(azure.url))
    later = AzureCheck(bearer=BEARER)
    later_outs = updated(later, first, azure_inputs(azure.url, tokenFingerprint=NEW_FINGERPRINT))
    assert len(azure.validations) == 2
    assert later_outs["tokenFingerprint"] == NEW_FINGERPRINT


def test_update_of_the_name_alone_asks_nobody_and_keeps_the_record(azure):
    first = created(AzureCheck(bearer=BEARER), azure_inputs(azure.url))
    before = len(azure.requests)
    outs = updated(OfflineAzureCheck(), first, azure_inputs(azure.url, appName="Druva (renamed)"))
    assert len(azure.requests) == before
    assert outs["appName"] == "Druva (renamed)"
    assert (outs["jobId"], outs["lastValidatedAt"]) == (first["jobId"], first["lastValidatedAt"])


def test_read_and_delete_ask_nobody(azure):
    state = {**azure_inputs(azure.url), "jobId": JOB, "lastValidatedAt": "2026-11-01T00:00:00Z"}
    read = OfflineAzureCheck().read(SP, state)
    assert (read.id, read.outs) == (SP, state)
    OfflineAzureCheck().delete(SP, state)
    assert azure.requests == []


# --- Azure: check --------------------------------------------------------------------------


def test_check_defaults_the_graph_url_and_trims():
    inputs = {"appName": "Druva", "servicePrincipalId": f" {SP} ", "tokenFingerprint": FINGERPRINT}
    result = AzureCheck(bearer=BEARER).check({}, inputs)
    assert result.failures == []
    assert result.inputs["graphUrl"] == "https://graph.microsoft.com"
    assert result.inputs["servicePrincipalId"] == SP


@pytest.mark.parametrize(
    ("change", "prop", "text"),
    [
        ({"servicePrincipalId": "Druva inSync"}, "servicePrincipalId", "Object ID"),
        ({"tokenFingerprint": TOKEN}, "tokenFingerprint", "never the token itself"),
        ({"graphUrl": "http://graph.example.com"}, "graphUrl", "uses plain http"),
        ({"graphUrl": "https://graph.microsoft.com/v1.0"}, "graphUrl", "without /v1.0"),
        ({"tenantId": " "}, "tenantId", "druva-scim:azureTenants"),
        ({"appName": ""}, "appName", "must name the app"),
    ],
)
def test_check_refuses_what_cannot_work(change, prop, text):
    result = AzureCheck(bearer=BEARER).check(
        {}, azure_inputs("https://graph.microsoft.us", **change)
    )
    assert [f.property for f in result.failures] == [prop]
    assert text in result.failures[0].reason
    assert TOKEN not in result.failures[0].reason


def test_check_lets_unknown_values_through_during_preview():
    news = azure_inputs(graph_url := "https://graph.microsoft.us", tokenFingerprint=UNKNOWN)
    news["servicePrincipalId"] = UNKNOWN
    result = AzureCheck(bearer=BEARER).check({}, news)
    assert result.failures == [] and result.inputs["graphUrl"] == graph_url


def test_the_real_credential_comes_from_the_environment():
    class FromEnvironment(AzureProvisioningCheckProvider):
        def environment(self):
            return {"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_USE_OIDC": "true"}

    with pytest.raises(ProviderError, match="ARM_USE_OIDC is true but no OIDC token"):
        FromEnvironment().credential("https://graph.microsoft.com", None, None)


# --- Okta ----------------------------------------------------------------------------------


def test_okta_create_reads_back_an_enabled_token_connection(okta):
    result = OktaCheck(SIGNED_IN).create(okta_inputs(okta.url))
    assert result.id == OKTA_APP and result.outs is not None
    assert result.outs["status"] == "ENABLED"
    assert result.outs["lastVerifiedAt"] == "2026-11-22T12:00:00Z"
    assert okta.requests[0].authorization == f"SSWS {OKTA_TOKEN}"
    assert OKTA_TOKEN not in everything_observable(result.outs)


def test_okta_disabled_connection_fails(okta):
    okta.add_app(OKTA_APP, status="DISABLED")
    with pytest.raises(ProviderError, match=r"Druva \(Okta\).*is DISABLED"):
        OktaCheck(SIGNED_IN).create(okta_inputs(okta.url))


def test_okta_wrong_scheme_fails(okta):
    okta.add_app(OKTA_APP, auth_scheme="OAUTH2")
    with pytest.raises(ProviderError, match="OAUTH2"):
        OktaCheck(SIGNED_IN).create(okta_inputs(okta.url))


def test_okta_service_app_through_the_provider(okta):
    private, public = key_pair()
    okta.add_service_app("0oaSvc1", public, "kid-1")
    environ = {
        "OKTA_API_CLIENT_ID": "0oaSvc1",
        "OKTA_API_PRIVATE_KEY": private,
        "OKTA_API_PRIVATE_KEY_ID": "kid-1",
    }
    outs = created(OktaCheck(environ), okta_inputs(okta.url))
    assert outs["status"] == "ENABLED" and len(okta.assertions) == 1
    assert okta.requests[-1].authorization.startswith("Bearer ")


def test_okta_update_verifies_only_when_the_token_or_target_changed(okta):
    first = created(OktaCheck(SIGNED_IN), okta_inputs(okta.url))
    updated(OktaCheck(SIGNED_IN), first, okta_inputs(okta.url, appName="renamed"))
    assert len(okta.requests) == 1
    updated(OktaCheck(SIGNED_IN), first, okta_inputs(okta.url, tokenFingerprint=NEW_FINGERPRINT))
    assert len(okta.requests) == 2


def test_okta_check_refuses_a_plain_http_org_and_a_missing_app_id():
    result = OktaCheck(SIGNED_IN).check({}, okta_inputs("http://acme.okta.com", appId=""))
    assert sorted(f.property for f in result.failures) == ["appId", "orgUrl"]


# --- serialization and registration --------------------------------------------------------


@pytest.mark.parametrize(
    "provider_class", [AzureProvisioningCheckProvider, OktaConnectionCheckProvider]
)
def test_the_serialized_provider_holds_no_credential(provider_class, monkeypatch):
    secret = "sEcReT-iN-eNvIrOnMeNt-4c2a"
    for name in ("ARM_CLIENT_SECRET", "OKTA_API_TOKEN", "OKTA_API_PRIVATE_KEY"):
        monkeypatch.setenv(name, secret)
    blob = serialize_provider(provider_class())
    assert secret.encode() not in base64.b64decode(blob)
    assert provider_class.serialize_as_secret_always is False


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args):
        self.resources.append(args)
        return f"{args.name}-id", {**args.inputs, "status": "ENABLED"}

    def call(self, args):
        return {}, None


@pulumi.runtime.test
def test_the_resources_register_their_type_tokens_with_plain_inputs():
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="druva-scim", stack="test", preview=False)

    azure_check = AzureProvisioningCheck(
        "druva-azure-contoso",
        AzureProvisioningCheckArgs(
            app_name="Druva (Contoso)",
            service_principal_id=SP,
            token_fingerprint=FINGERPRINT,
            scim_token=pulumi.Output.secret(TOKEN),
            graph_url="https://graph.microsoft.us",
            tenant_id="t-1",
        ),
    )
    okta_check = OktaConnectionCheck(
        "druva-okta-acme",
        OktaConnectionCheckArgs(
            app_name="Druva (Okta)",
            app_id=OKTA_APP,
            org_url="https://acme.okta.com",
            token_fingerprint=FINGERPRINT,
            scim_token=pulumi.Output.secret(TOKEN),
        ),
        pulumi.ResourceOptions(depends_on=[azure_check]),
    )

    def registered(_):
        by_name = {args.name: args for args in mocks.resources}
        azure_args, okta_args = by_name["druva-azure-contoso"], by_name["druva-okta-acme"]
        assert azure_args.typ == resource_types.AZURE_CHECK
        assert okta_args.typ == resource_types.OKTA_CHECK
        assert azure_args.inputs["graphUrl"] == "https://graph.microsoft.us"
        assert azure_args.inputs["tenantId"] == "t-1"
        assert azure_args.inputs["tokenFingerprint"] == FINGERPRINT
        assert okta_args.inputs["orgUrl"] == "https://acme.okta.com"
        for args in (azure_args, okta_args):
            # The token arrives as a secret, only to be redacted from the check's texts.
            assert is_secret(args.inputs["scimToken"]) and unwrap(args.inputs["scimToken"]) == TOKEN
            assert TOKEN not in repr({k: v for k, v in args.inputs.items() if k != "scimToken"})
            assert isinstance(args.inputs["__provider"], str)  # readable: no secret inside

    return pulumi.Output.all(azure_check.urn, okta_check.status).apply(registered)


# --- through the SDK's provider host over gRPC, as the engine runs it ----------------------

AZURE_URN = urn(resource_types.AZURE_CHECK, "druva-azure-contoso")
OKTA_URN = urn(resource_types.OKTA_CHECK, "druva-okta-acme")


def test_okta_check_through_the_host_signs_in_from_its_environment(okta):
    with ProviderHost(env={"OKTA_API_TOKEN": OKTA_TOKEN}) as host:
        host.configure()
        news = {**okta_inputs(okta.url + "/"), "__provider": serialized(OktaCheck())}
        checked = host.check(OKTA_URN, {}, news)
        assert list(checked.failures) == []
        inputs = from_struct(checked.inputs)
        assert inputs["orgUrl"] == okta.url
        state = from_struct(host.create(OKTA_URN, inputs).properties)
        assert state["status"] == "ENABLED"
        assert host.diff(OKTA_URN, OKTA_APP, state, inputs).changes == (
            provider_pb2.DiffResponse.DIFF_NONE
        )
        rotated = {**inputs, "tokenFingerprint": NEW_FINGERPRINT}
        assert host.diff(OKTA_URN, OKTA_APP, state, rotated).changes == (
            provider_pb2.DiffResponse.DIFF_SOME
        )
        assert okta.requests[0].authorization == f"SSWS {OKTA_TOKEN}"
        assert OKTA_TOKEN not in host.stderr()


def test_azure_check_through_the_host_restarts_once_and_fails_readably(azure):
    azure.jobs[SP] = [job(JOB, "scim", quarantine())]
    with ProviderHost() as host:
        host.configure()
        news = {**azure_inputs(azure.url), "__provider": serialized(AzureCheck(bearer=BEARER))}
        inputs = from_struct(host.check(AZURE_URN, {}, news).inputs)
        state = from_struct(host.create(AZURE_URN, inputs).properties)
        assert state["restartedFromQuarantine"] is True and len(azure.restarts) == 1
        assert "Azure confirmed token" in host.stderr()

        azure.reject_secret_token = True
        rotated = {**inputs, "tokenFingerprint": NEW_FINGERPRINT}
        with pytest.raises(grpc.RpcError) as raised:
            host.update(AZURE_URN, SP, state, rotated)
        details = raised.value.details()
        assert "Druva (Contoso)" in details and "SystemForCrossDomainIdentityManagement" in details
        assert "Traceback" not in details and 'File "' not in details
        assert len(azure.restarts) == 1
        assert BEARER not in details and BEARER not in host.stderr()
