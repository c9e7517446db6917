"""Azure's own check of an app's provisioning, in-process against the Graph stand-in and through
the SDK's provider host (providers/azure/check.py)."""

import time
from collections.abc import Iterator

import grpc
import pytest

from providers.azure.check import (
    AzureProvisioningCheckProvider,
)
from providers.core import resource_types
from providers.core.errors import ProviderError
from providers.dynamic import UNKNOWN
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.stand_ins.graph import Graph, job, paused_job_status, quarantine, status, throttled
from tests.doubles import (
    FINGERPRINT,
    JOB,
    TOKEN,
    AzureCheck,
    OfflineAzureCheck,
    created,
    updated,
    urn,
)
from tests.doubles import GRAPH_BEARER as BEARER
from tests.doubles import OTHER_FINGERPRINT as NEW_FINGERPRINT
from tests.doubles import SERVICE_PRINCIPAL as SP
from tests.doubles import azure_check_inputs as azure_inputs


@pytest.fixture
def azure() -> Iterator[Graph]:
    with Graph(BEARER) as stand_in:
        stand_in.jobs[SP] = [job(JOB, "scim")]
        yield stand_in


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
    assert BEARER not in repr(outs)


def test_a_quarantined_job_is_restarted_exactly_once(azure):
    azure.jobs[SP] = [job(JOB, "scim", quarantine())]
    outs = created(AzureCheck(bearer=BEARER), azure_inputs(azure.url))
    assert len(azure.restarts) == 1
    assert azure.restarts[0] == (SP, JOB, {"criteria": {"resetScope": "QuarantineState"}})
    assert outs["restartedFromQuarantine"] is True
    assert "out of quarantine (EncounteredQuarantineException" in outs["actions"][1]
    assert azure.jobs[SP][0]["status"]["quarantine"] is None
    # The next check finds the job healthy and leaves it alone.
    updated(
        AzureCheck(bearer=BEARER), outs, azure_inputs(azure.url, tokenFingerprint=NEW_FINGERPRINT)
    )
    assert len(azure.restarts) == 1


def test_a_paused_job_is_tested_never_restarted_and_the_user_told_it_was_left_paused(azure):
    # Graph's documented Get job: Paused, with a quarantine object that is history.
    azure.jobs[SP] = [job(JOB, "scim", job_status=paused_job_status())]
    outs = created(AzureCheck(bearer=BEARER), azure_inputs(azure.url))
    assert azure.validations == [(SP, JOB)]
    assert azure.restarts == []
    assert outs["restartedFromQuarantine"] is False
    [tested, paused] = outs["actions"]
    assert tested.endswith("against Druva: accepted")
    assert paused.startswith(f"job {JOB} is paused (status code Paused); its last error: ")
    assert "SalesforceInvalidCredentials" in paused
    assert "left paused" in paused and "> Provisioning > Start provisioning" in paused
    assert "quarantine" not in paused.replace("Quarantine", "")
    # Nor does a later run with a new token restart it.
    updated(
        AzureCheck(bearer=BEARER), outs, azure_inputs(azure.url, tokenFingerprint=NEW_FINGERPRINT)
    )
    assert azure.restarts == []


def test_an_active_job_with_a_past_quarantine_record_is_not_restarted(azure):
    azure.jobs[SP] = [job(JOB, "scim", job_status=status("Active", quarantined=quarantine()))]
    outs = created(AzureCheck(bearer=BEARER), azure_inputs(azure.url))
    assert azure.restarts == []
    assert outs["restartedFromQuarantine"] is False
    assert len(outs["actions"]) == 1


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
        ({"graphUrl": "https://graph.microsoft.com\u2026"}, "graphUrl", "not plain ASCII"),
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


AZURE_URN = urn(resource_types.AZURE_CHECK, "druva-azure-contoso")


def test_azure_check_through_the_host_restarts_once_and_fails_readably(azure):
    azure.jobs[SP] = [job(JOB, "scim", quarantine())]
    with ProviderHost() as host:
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
