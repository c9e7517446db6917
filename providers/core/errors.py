"""Any process: errors by cause, and the one reading of an HTTP status as a cause.

Every error here speaks to the person running `pulumi up`: its message says what
happened and what to do. Messages never contain a token: callers build them from
fingerprints, URLs and vendors' error texts, the latter scrubbed of the token.
"""

from __future__ import annotations

from enum import Enum


class ProviderError(Exception):
    """Something the user can act on; the message says what happened and what to do."""


class TokenRejectedError(ProviderError):
    """Druva's SCIM endpoint itself answered 401 or 403 to the token: its verdict."""


class CouldNotCheckError(ProviderError):
    """No verdict on the token: a proxy's refusal, a 5xx, a time-out. State stays as it was."""


class CredentialsError(ProviderError):
    """The credentials in the environment are missing or damaged, or sign-in with them failed."""


class PermissionDeniedError(ProviderError):
    """The credentials were accepted, but lack a permission (a Graph permission, an Okta scope
    or admin role)."""


class NotFoundError(ProviderError):
    """What a request names (a service principal, an app) does not exist where it was asked."""


class DeadlineError(ProviderError):
    """The operation's deadline passed, or would pass during the next pause."""


class Cause(Enum):
    """Why a vendor's answer is not the one asked for: what each vendor words its own way."""

    UNAUTHORIZED = "401"
    """The credential sent was not accepted."""
    FORBIDDEN = "403"
    """The credential was accepted but may not do this."""
    NOT_FOUND = "404"
    """What the request names does not exist there: usually a wrong id or URL."""
    REDIRECTED = "3xx"
    """The answer points elsewhere; no credential follows a redirect."""
    UNAVAILABLE = "429/5xx"
    """Throttling or an outage that outlasted every retry: nothing changed, run again later."""
    UNEXPECTED = "other"
    """Any other status: the URL probably points at another service."""


BY_CAUSE: dict[Cause, type[ProviderError]] = {
    Cause.UNAUTHORIZED: CredentialsError,
    Cause.FORBIDDEN: PermissionDeniedError,
    Cause.NOT_FOUND: NotFoundError,
}
"""The error class of each cause (`providers.http.answer_error`), so that a caller tells them
apart by class (the health check); any other cause is the network's or the service's."""


def cause(status: int) -> Cause:
    """The cause of an answer with this status (which is not the one asked for)."""
    if status == 401:
        return Cause.UNAUTHORIZED
    if status == 403:
        return Cause.FORBIDDEN
    if status == 404:
        return Cause.NOT_FOUND
    if 300 <= status < 400:
        return Cause.REDIRECTED
    if status == 429 or status >= 500:
        return Cause.UNAVAILABLE
    return Cause.UNEXPECTED
