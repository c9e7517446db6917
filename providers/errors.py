"""Errors that speak to the person running `pulumi up`."""


class ProviderError(Exception):
    """Something the user can act on; the message says what happened and what to do.

    Messages never contain a token: callers build them from fingerprints,
    URLs and vendors' error texts, the latter scrubbed of the token.
    """


class TokenRejectedError(ProviderError):
    """Druva's SCIM endpoint itself answered 401 or 403 to the token: its verdict."""


class CouldNotCheckError(ProviderError):
    """No verdict on the token: a proxy's refusal, a 5xx, a time-out. State stays as it was."""
