"""Any process: the type tokens of the resources druva-scim registers, and where state finds
the provider classes of its own five types.

Type tokens are part of every resource's URN: they never change (each dynamic
resource's class statement spells its own, `module="druva", name="ScimToken"`; a test
holds it to these). A dynamic resource's state also holds its provider, pickled by
reference to the class's module and name (`PROVIDER_PATHS`): the provider host
unpickles it on `pulumi refresh` and `pulumi destroy`, so those paths stay importable
for as long as any stack made with them exists (tests/test_existing_stacks.py replays
such state).
"""

from __future__ import annotations

SCIM_TOKEN = "pulumi-python:dynamic/druva:ScimToken"  # noqa: S105  (a type token)
OKTA_HANDOFF = "pulumi-python:dynamic/druva:OktaManualHandoff"
MANUAL_HANDOFF = "pulumi-python:dynamic/druva:ManualHandoff"
AZURE_CHECK = "pulumi-python:dynamic/druva:AzureProvisioningCheck"
OKTA_CHECK = "pulumi-python:dynamic/druva:OktaConnectionCheck"
SYNCHRONIZATION_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"  # noqa: S105
OKTA_CONNECTION = "okta:app/connection:Connection"

PROVIDER_PATHS = {
    SCIM_TOKEN: "providers.scim_token.ScimTokenProvider",
    OKTA_HANDOFF: "providers.handoff.OktaManualHandoffProvider",
    MANUAL_HANDOFF: "providers.handoff.ManualHandoffProvider",
    AZURE_CHECK: "providers.verification.AzureProvisioningCheckProvider",
    OKTA_CHECK: "providers.verification.OktaConnectionCheckProvider",
}
"""The address of each dynamic type's provider class in the state of every existing stack."""
