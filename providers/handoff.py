"""Provider host: frozen. The address existing stacks' state names for the hand-offs' providers.

Every stack with a manual Okta app holds, in its OktaManualHandoff's `__provider`,
a pickle of `providers.handoff.OktaManualHandoffProvider` by reference, and every
stack with a `manualApps` entry one of `providers.handoff.ManualHandoffProvider`;
the provider host imports this module to unpickle them on `pulumi refresh` and
`pulumi destroy`. Keep this module importable, with this name and these names,
forever (tests/test_existing_stacks.py). The classes live in
`providers.okta.handoff` and `providers.manual.handoff`.
"""

from providers.manual.handoff import ManualHandoffProvider
from providers.okta.handoff import OktaManualHandoffProvider

__all__ = ["ManualHandoffProvider", "OktaManualHandoffProvider"]
