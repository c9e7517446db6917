"""Any process: the type tokens of the resources druva-scim registers, and where state finds
the provider classes of its own four types.

Type tokens are part of every resource's URN: they never change. A dynamic
resource's state also holds its provider, pickled by reference to the class's
module and name (`PROVIDER_PATHS`): the provider host unpickles it on `pulumi
refresh` and `pulumi destroy`, so those paths stay importable for as long as any
stack made with them exists (tests/test_existing_stacks.py replays such state).
"""

from __future__ import annotations

DYNAMIC_MODULE = "druva"
"""The `module=` of each dynamic resource class (`dynamic.Resource.__init_subclass__`)."""

SCIM_TOKEN = "pulumi-python:dynamic/druva:ScimToken"  # noqa: S105  (a type token)
OKTA_HANDOFF = "pulumi-python:dynamic/druva:OktaManualHandoff"
AZURE_CHECK = "pulumi-python:dynamic/druva:AzureProvisioningCheck"
OKTA_CHECK = "pulumi-python:dynamic/druva:OktaConnectionCheck"
SYNCHRONIZATION_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"  # noqa: S105
OKTA_CONNECTION = "okta:app/connection:Connection"

PROVIDER_PATHS = {
    SCIM_TOKEN: "providers.scim_token.ScimTokenProvider",
    OKTA_HANDOFF: "providers.handoff.OktaManualHandoffProvider",
    AZURE_CHECK: "providers.verification.AzureProvisioningCheckProvider",
    OKTA_CHECK: "providers.verification.OktaConnectionCheckProvider",
}
"""The address of each dynamic type's provider class in the state of every existing stack."""


def dynamic_type(name: str) -> str:
    """The type token `pulumi.dynamic.Resource` gives a resource named `name` in DYNAMIC_MODULE."""
    return f"pulumi-python:dynamic/{DYNAMIC_MODULE}:{name}"


def module_and_name(type_token: str) -> tuple[str, str]:
    """The `module=` and `name=` that give a dynamic resource class this type token."""
    prefix, _, name = type_token.rpartition(":")
    module = prefix.removeprefix("pulumi-python:dynamic/")
    if dynamic_type(name) != type_token or module != DYNAMIC_MODULE:
        raise ValueError(f"not a druva-scim dynamic type: {type_token!r}")
    return module, name


def state_module(type_token: str) -> str:
    """The module state names for this type's provider class (its `__module__`, forever)."""
    return PROVIDER_PATHS[type_token].rpartition(".")[0]
