"""What both checks share: no credential in the serialized provider, their type tokens, the
token a secret input (providers/checks.py)."""

import base64

import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from providers.azure.check import (
    AzureProvisioningCheck,
    AzureProvisioningCheckArgs,
    AzureProvisioningCheckProvider,
)
from providers.core import resource_types
from providers.okta.check import (
    OktaConnectionCheck,
    OktaConnectionCheckArgs,
    OktaConnectionCheckProvider,
)
from testbed import contracts
from testbed.harness import is_secret, unwrap
from tests.doubles import (
    FINGERPRINT,
    OKTA_APP,
    TOKEN,
)
from tests.doubles import SERVICE_PRINCIPAL as SP


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
    """Records what is registered; holds azuread and okta registrations to their contracts."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args):
        contracts.enforce(args.typ, args.name, unwrap(args.inputs))
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
