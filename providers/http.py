"""Program, provider host and command line: one HTTP policy for every vendor, one call, and one
client base with the ladder.

Retries, backoff and `Retry-After` are urllib3's `Retry` behind a requests
`HTTPAdapter` (bounded by the operation's deadline, `providers.deadline`); this
module only chooses the numbers and turns what is left after the retries into
messages a person can act on. `Client` is what each vendor's client builds on;
`answer_error` is the one ladder from an unwanted answer's status to its cause
(`providers.core.errors.cause`), and so to its error class, with the advice that
the request which got the answer gives for each cause.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
from urllib3.util.retry import Retry

from providers.core import redaction
from providers.core.errors import Cause, DeadlineError, ProviderError, cause
from providers.deadline import (
    OPERATION_SECONDS,
    BoundedRetry,
    Deadline,
    DeadlineAdapter,
    NotAskedAgainError,
    ThrottledRetry,
    deadline,
    endpoint,
    failure_kind,
    overrun,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
THROTTLED = frozenset({429})
"""The one status that says the request was refused unread: retried even when resending
a processed request would do it twice."""
JSON: Mapping[str, str] = {"Accept": "application/json"}


@dataclass(frozen=True)
class HttpPolicy:
    """How long and how often to try one request before giving up."""

    connect_timeout: float = 5.0
    """Seconds to wait for a TCP/TLS connection."""
    read_timeout: float = 20.0
    """Seconds to wait between bytes of the answer."""
    attempts: int = 5
    """Tries in all, the first included."""
    backoff_factor: float = 0.5
    """Exponential backoff base: 0.5 s, 1 s, 2 s, ... between tries."""
    backoff_max: float = 8.0
    """No backoff pause is longer than this."""
    retry_after_max: int = 30
    """A server's Retry-After is honoured up to this many seconds."""
    max_body_bytes: int = 1024 * 1024
    """Answers larger than this are refused rather than read."""
    deadline_seconds: float = OPERATION_SECONDS
    """One operation, every request, retry and pause in it, ends within this many seconds."""
    resend_processed: bool = True
    """False: a request the server may have processed is never sent again, only one it cannot
    have (a failure to connect, a 429): a webhook's post, which a second send posts twice.
    Its retries are then a ThrottledRetry, whatever `retry_class` is asked for."""

    def retry(
        self, retry_class: type[BoundedRetry] = BoundedRetry, *, resend: bool = True
    ) -> BoundedRetry:
        """`resend=False`: a request the server may have received is never sent again
        (only connection failures, which never reach it, are retried)."""
        chosen = retry_class if self.resend_processed else ThrottledRetry
        return chosen(
            total=self.attempts - 1,
            status_forcelist=RETRY_STATUSES if self.resend_processed else THROTTLED,
            # A read that failed or timed out may follow a request the server processed.
            read=None if self.resend_processed else 0,
            # By default every method is retried: GETs, and POSTs that only validate.
            allowed_methods=None if resend else frozenset({"GET"}),
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            retry_after_max=self.retry_after_max,
            respect_retry_after_header=True,
            raise_on_status=False,
            redirect=False,
        )


def new_session(
    policy: HttpPolicy,
    retry_class: type[BoundedRetry] = BoundedRetry,
    *,
    resend: bool = True,
    retries: bool = True,
) -> requests.Session:
    """`retries=False`: one attempt per request, for a client that retries on its own
    (azure-core); the deadline still holds."""
    session = requests.Session()
    retry = (
        policy.retry(retry_class, resend=resend)
        if retries
        else Retry(total=False, redirect=False, raise_on_status=False)
    )
    adapter = DeadlineAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class HeaderAuth(requests.auth.AuthBase):
    """Sets the Authorization header; passing it as `auth` also keeps ~/.netrc out."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "HeaderAuth([redacted])"


class NoAuth(requests.auth.AuthBase):
    """Sends no Authorization header; as `auth` it still keeps ~/.netrc out."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


@dataclass(frozen=True)
class Answer:
    """A finished HTTP exchange: status, headers and a size-checked body."""

    status: int
    headers: dict[str, str]
    body: bytes
    attempts: int

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            # Nested thousands deep is no answer of any service here: unusable, like bad JSON.
            return None


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    policy: HttpPolicy,
    what: str,
    authorization: str | None,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    form_body: Mapping[str, str] | None = None,
    params: dict[str, str] | None = None,
    redact: Collection[str] = (),
    where: str | None = None,
) -> Answer:
    """Send one request under the policy; raise ProviderError for what retries cannot fix.

    `what` names the service for messages ("Druva's SCIM endpoint"), `where` the service and
    where it is (by default `what` at the URL's origin; a webhook's, whose host may be its
    secret, is its name alone). Every string in `redact` is removed from any message this
    raises. `authorization` None sends no Authorization header (an OAuth token request
    authenticates in its form body instead). The call keeps to the operation's deadline, or to one
    of its own (`policy.deadline_seconds`) outside an operation.
    """
    where = redaction.redact(where or f"{what} at {origin(url)}", redact)
    arguments = {
        "headers": headers,
        "auth": NoAuth() if authorization is None else HeaderAuth(authorization),
        "json": json_body,
        "data": dict(form_body) if form_body is not None else None,
        "params": params,
        "timeout": (policy.connect_timeout, policy.read_timeout),
        "allow_redirects": False,
        "stream": True,
    }
    with deadline(policy.deadline_seconds) as bound:
        try:
            answer = _exchange(session, method, url, arguments, policy, (what, where), redact)
        except NotAskedAgainError as error:
            raise error.naming(where) from None
        except ProviderError as error:
            if isinstance(error, DeadlineError) or bound.passed():
                raise _cut(bound, url, where) from None
            raise
        if bound.expired:
            # The watchdog shut the socket: a body without Content-Length may look whole.
            raise _cut(bound, url, where)
        return answer


def _cut(bound: Deadline, url: str, where: str) -> DeadlineError:
    """The deadline passed during this request: in a run, its origin is not asked again."""
    if bound.passed():
        bound.remember(endpoint(url), f"no answer within {bound.seconds:g} s")
    return overrun(bound, where)


def _exchange(
    session: requests.Session,
    method: str,
    url: str,
    arguments: Mapping[str, Any],
    policy: HttpPolicy,
    names: tuple[str, str],
    redact: Collection[str],
) -> Answer:
    """`call`'s request and its answer, every failure said in words; `arguments`: requests';
    `names`: the service, and the service and where it is, as messages name them."""
    what, where = names
    try:
        response = session.request(method, url, **arguments)
    except requests.exceptions.SSLError as error:
        raise ProviderError(
            redaction.redact(
                f"{where} presented a TLS certificate this machine does "
                f"not trust or that does not match the host ({_reason(error)}); check the URL",
                redact,
            )
        ) from None
    except requests.exceptions.RetryError:
        raise ProviderError(
            f"{what} kept answering with errors after {policy.attempts} attempts; "
            "it may be down or throttling: run again later"
        ) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
        raise ProviderError(
            redaction.redact(
                f"{where} could not be reached after {policy.attempts} "
                f"attempts within {policy.deadline_seconds:.0f} s ({failure_kind(error)}); "
                "check the URL and the network, then run again",
                redact,
            )
        ) from None

    with response:
        attempts = 1 + len(_history(response))
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_body_bytes:
            raise ProviderError(
                f"{what} sent an answer of {int(declared)} bytes, more than the "
                f"{policy.max_body_bytes} accepted; check the URL"
            )
        try:
            body = _read_capped(response, policy.max_body_bytes, what)
        except (requests.exceptions.RequestException, ConnectionError) as error:
            raise ProviderError(
                redaction.redact(
                    f"{where} broke off its answer ({failure_kind(error)}); run again",
                    redact,
                )
            ) from None
        return Answer(response.status_code, dict(response.headers), body, attempts)


def _read_capped(response: requests.Response, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > limit:
            raise ProviderError(
                f"{what} sent an answer larger than the {limit} bytes accepted; check the URL"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _history(response: requests.Response) -> tuple[Any, ...]:
    retries = getattr(response.raw, "retries", None)
    return tuple(getattr(retries, "history", ()) or ())


def origin(url: str) -> str:
    """`scheme://host:port` of a URL: where a credential goes, as messages name it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(error: BaseException) -> str:
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or "certificate verification failed"
        current = current.__context__ or current.__cause__ or _first_arg(current)
    return "certificate verification failed"


def _first_arg(error: BaseException) -> BaseException | None:
    for arg in error.args:
        if isinstance(arg, BaseException):
            return arg
    return None


class Client:
    """One vendor's API as druva-scim calls it: a session under a policy, the credential it
    sends, and the secrets kept out of every message."""

    def __init__(
        self,
        session: requests.Session,
        policy: HttpPolicy,
        authorization: str | None,
        secrets: Collection[str] = (),
        *,
        what: str,
        headers: Mapping[str, str] = JSON,
    ) -> None:
        self.session = session
        self.policy = policy
        self._authorization = authorization
        self.secrets = tuple(secrets)
        """Removed from every message: the credential sent, the token the vendor may echo."""
        self.what = what
        """The service as messages name it, e.g. "Microsoft Graph"."""
        self.headers = headers
        """Sent with every request."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}([redacted])"

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> Answer:
        """One request; `session`: another than the client's (one that never resends)."""
        return call(
            session or self.session,
            method,
            url,
            policy=self.policy,
            what=self.what,
            authorization=self._authorization,
            headers=dict(self.headers),
            json_body=json_body,
            params=params,
            redact=self.secrets,
        )


Advice = Mapping[Cause, str]
"""What an unwanted answer means, by its cause, as the request that got it words it: templates
of `{status}`, `{attempts}`, `{detail}` and the fields the caller gives. Cause.UNEXPECTED's
stands for every cause without advice of its own (a redirect, usually)."""
Kinds = Mapping[Cause, type[ProviderError]]
"""The error class of each cause a caller tells apart (`providers.core.errors.BY_CAUSE`)."""
EVERY_CAUSE_ALIKE: Kinds = {}
"""A ProviderError whatever the cause, which its message names: a provider's failure, whose
class shows in the engine's output."""


def answer_error(
    answer: Answer,
    advice: Advice,
    *,
    detail: str = "",
    kinds: Kinds = EVERY_CAUSE_ALIKE,
    **fields: object,
) -> ProviderError:
    """The error for an answer that is not the one asked for: its class by the answer's cause
    (`kinds`: BY_CAUSE for a caller that tells the causes apart by class, as the health check
    does; any cause without a class of its own is a ProviderError), its message the caller's
    `advice`.

    `detail`: `: <the vendor's own error text>`, already scrubbed of secrets (each vendor
    module has the function that reads it), or "" when the vendor sent none.
    """
    found = cause(answer.status)
    template = advice.get(found) or advice[Cause.UNEXPECTED]
    message = template.format(
        status=answer.status, attempts=answer.attempts, detail=detail, **fields
    )
    return kinds.get(found, ProviderError)(message)
