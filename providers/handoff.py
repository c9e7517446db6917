"""Provider host: frozen. The address existing stacks' state names for the hand-off's provider.

Every stack with a manual Okta app holds, in its OktaManualHandoff's `__provider`,
a pickle of `providers.handoff.OktaManualHandoffProvider` by reference; the
provider host imports this module to unpickle it on `pulumi refresh` and `pulumi
destroy`. Keep this module importable, with this name, forever
(tests/test_existing_stacks.py). The class lives in `providers.okta.handoff`.
"""

from providers.okta.handoff import OktaManualHandoffProvider

__all__ = ["OktaManualHandoffProvider"]
