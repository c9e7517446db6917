"""Provider host: frozen. The address existing stacks' state names for the token's provider.

Every stack made by druva-scim holds, in its ScimToken's `__provider`, a pickle of
`providers.scim_token.ScimTokenProvider` by reference; the provider host imports
this module to unpickle it on `pulumi refresh` and `pulumi destroy`. Keep this
module importable, with this name, forever (tests/test_existing_stacks.py). The
class lives in `providers.druva.token`.
"""

from providers.druva.token import ScimTokenProvider

__all__ = ["ScimTokenProvider"]
