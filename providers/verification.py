"""Provider host: frozen. The address existing stacks' state names for the checks' providers.

Every stack with Azure or api-mode Okta apps holds, in each check's `__provider`,
a pickle of `providers.verification.AzureProvisioningCheckProvider` or
`providers.verification.OktaConnectionCheckProvider` by reference; the provider
host imports this module to unpickle them on `pulumi refresh` and `pulumi
destroy`. Keep this module importable, with this name, forever
(tests/test_existing_stacks.py). The classes live in `providers.azure.check` and
`providers.okta.check`.
"""

from providers.azure.check import AzureProvisioningCheckProvider
from providers.okta.check import OktaConnectionCheckProvider

__all__ = ["AzureProvisioningCheckProvider", "OktaConnectionCheckProvider"]
