"""One HTTP policy for every vendor: bounded retries, bounded waits, no redirects.

Retries, backoff and `Retry-After` are urllib3's `Retry` behind a requests
`HTTPAdapter`; this module only chooses the numbers and turns what is left
after the retries into messages a person can act on.

Timeouts bound each wait for a byte, not a call: a server that trickles its
answer a byte at a time would hold a call forever. So every provider operation
runs under one deadline (`deadline`), which every request, retry and pause in it
shares: pauses never reach past it, no retry starts after it, and at the deadline
a watchdog shuts down the operation's sockets, so that a blocked read returns at once.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Collection, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, cast

import requests
import requests.auth
import urllib3.poolmanager
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from providers.core import redaction
from providers.core.errors import ProviderError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
OPERATION_SECONDS = 120.0
"""The bound on one provider operation (create, read, update, check), every call in it included."""
WATCHDOG_NAME = "druva-scim-deadline"


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

    def worst_case_seconds(self) -> float:
        """An upper bound on the time one operation's calls take, every retry included.

        The timeouts alone bound no call (they reset with every byte received): the
        deadline does, whatever the server sends or withholds.
        """
        return self.deadline_seconds

    def retry(self, retry_class: type[Retry] = Retry, *, resend: bool = True) -> Retry:
        """`resend=False`: a request the server may have received is never sent again
        (only connection failures, which never reach it, are retried).

        Whatever `retry_class` is given, the Retry made keeps to the operation's deadline.
        """
        return bounded(retry_class)(
            total=self.attempts - 1,
            status_forcelist=RETRY_STATUSES,
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
    retry_class: type[Retry] = Retry,
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


# --- the deadline --------------------------------------------------------------------------


class DeadlineError(ProviderError):
    """The operation's deadline passed, or would pass during the next pause."""


def overrun(seconds: float, what: str = "The service") -> DeadlineError:
    return DeadlineError(
        f"{what} did not finish within {seconds:g} s, every attempt and pause included "
        "(the bound on one operation); it may be overloaded, or something between may be "
        "holding the connection open: run again"
    )


class Deadline:
    """The end of one operation and the connections to cut when it comes.

    The watchdog thread starts with the first connection watched, so an operation
    that sends nothing costs no thread.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: set[WatchedConnection] = set()
        self._watchdog: threading.Timer | None = None
        self.expired = False
        """Set by the watchdog: the operation's sockets were shut down, answers may be cut."""

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def passed(self) -> bool:
        return self.expired or self.remaining() <= 0

    def watch(self, connection: WatchedConnection) -> None:
        with self._lock:
            if not self.expired:
                self._watched.add(connection)
                if self._watchdog is None:
                    self._watchdog = threading.Timer(max(self.remaining(), 0.0), self._expire)
                    self._watchdog.name = WATCHDOG_NAME
                    self._watchdog.daemon = True
                    self._watchdog.start()
                return
        connection.abort()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            watched, self._watched = self._watched, set()
        for connection in watched:
            connection.abort()

    def close(self) -> None:
        """Stop the watchdog and wait for it: no thread outlives the operation."""
        with self._lock:
            watchdog, self._watched = self._watchdog, set()
        if watchdog is not None:
            watchdog.cancel()
            watchdog.join()


_active: ContextVar[Deadline | None] = ContextVar("druva_scim_deadline", default=None)


def within_deadline(pause: float) -> None:
    """Raise DeadlineError if a pause of `pause` seconds would reach the deadline: waiting
    only to give up would hold the stack lock for nothing."""
    bound = _active.get()
    if bound is not None and pause >= bound.remaining():
        raise overrun(bound.seconds)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Run the block under a deadline `seconds` from now; inside one already running,
    the outer one holds (one operation has one bound)."""
    current = _active.get()
    if current is not None:
        yield current
        return
    bound = Deadline(seconds)
    reset = _active.set(bound)
    try:
        yield bound
    finally:
        _active.reset(reset)
        bound.close()


class WatchedConnection(HTTPConnection):
    """A connection the deadline can cut from the watchdog's thread.

    It keeps a duplicate of its socket's descriptor: shutting that down ends a read
    blocked on the socket at once, and it survives TLS wrapping, which detaches the
    socket object that `_new_conn` returns (even during the handshake).
    """

    _handle: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        bound = _active.get()
        if bound is not None:
            left = bound.remaining()
            if left <= 0:
                raise ConnectTimeoutError(self, "not connected: the deadline has passed")
            if isinstance(self.timeout, int | float):
                self.timeout = min(self.timeout, left)
        sock = super()._new_conn()
        self._drop_handle()
        self._handle = sock.dup()
        if bound is not None:
            bound.watch(self)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A pooled connection serves the next call too: it joins that call's deadline.
        bound = _active.get()
        if bound is not None:
            bound.watch(self)
        super().request(*args, **kwargs)

    def abort(self) -> None:
        handle = self._handle
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._drop_handle()

    def _drop_handle(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()


class WatchedHTTPSConnection(WatchedConnection, HTTPSConnection):
    pass


class WatchedPool(HTTPConnectionPool):
    ConnectionCls = WatchedConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": WatchedPool,
    "https": WatchedHTTPSPool,
}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections the deadline can cut, direct or through a proxy."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # A SOCKS manager brings pool classes of its own: only urllib3's plain ones are swapped.
        if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager


class BoundedRetry(Retry):
    """urllib3's Retry, within the operation's deadline.

    No pause reaches past the deadline (if it would, the call gives up at once), no
    attempt starts after it, and a Retry-After that is not a number of seconds or a
    date (`soon`, `-5`) means the policy's backoff instead of an exception.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        bound = _active.get()
        if bound is not None and bound.passed():
            if response is not None:
                response.close()  # half read, perhaps: not one for the pool
            raise overrun(bound.seconds)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        # urllib3's order: the server's Retry-After when it gives one, else the backoff.
        pause = None
        if self.respect_retry_after_header and response is not None:
            pause = self.get_retry_after(response)
        if not pause:
            pause = self.get_backoff_time()
        within_deadline(pause)
        if pause > 0:
            time.sleep(pause)


_BOUNDED: dict[type[Retry], type[BoundedRetry]] = {}


def bounded(retry_class: type[Retry]) -> type[BoundedRetry]:
    """`retry_class` that also keeps to the deadline; a vendor's own Retry (OktaRetry)
    keeps what it adds."""
    if issubclass(retry_class, BoundedRetry):
        return retry_class
    if retry_class not in _BOUNDED:
        made = type(f"Bounded{retry_class.__name__}", (BoundedRetry, retry_class), {})
        _BOUNDED[retry_class] = cast(type[BoundedRetry], made)
    return _BOUNDED[retry_class]


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
) -> Answer:
    """Send one request under the policy; raise ProviderError for what retries cannot fix.

    `what` names the service for messages ("Druva's SCIM endpoint"). Every
    string in `redact` is removed from any message this raises. `authorization`
    None sends no Authorization header (an OAuth token request authenticates in
    its form body instead). The call keeps to the operation's deadline, or to one
    of its own (`policy.deadline_seconds`) outside an operation.
    """
    where = f"{what} at {_origin(url)}"
    with deadline(policy.deadline_seconds) as bound:
        try:
            answer = _exchange(
                session,
                method,
                url,
                policy=policy,
                what=what,
                authorization=authorization,
                headers=headers,
                json_body=json_body,
                form_body=form_body,
                params=params,
                redact=redact,
            )
        except ProviderError as error:
            if isinstance(error, DeadlineError) or bound.passed():
                raise overrun(bound.seconds, redaction.redact(where, redact)) from None
            raise
        if bound.expired:
            # The watchdog shut the socket: a body without Content-Length may look whole.
            raise overrun(bound.seconds, redaction.redact(where, redact))
        return answer


def _exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    policy: HttpPolicy,
    what: str,
    authorization: str | None,
    headers: dict[str, str] | None,
    json_body: Any,
    form_body: Mapping[str, str] | None,
    params: dict[str, str] | None,
    redact: Collection[str],
) -> Answer:
    try:
        response = session.request(
            method,
            url,
            headers=headers,
            auth=NoAuth() if authorization is None else HeaderAuth(authorization),
            json=json_body,
            data=dict(form_body) if form_body is not None else None,
            params=params,
            timeout=(policy.connect_timeout, policy.read_timeout),
            allow_redirects=False,
            stream=True,
        )
    except requests.exceptions.SSLError as error:
        raise ProviderError(
            redaction.redact(
                f"{what} at {_origin(url)} presented a TLS certificate this machine does "
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
                f"{what} at {_origin(url)} could not be reached after {policy.attempts} "
                f"attempts within {policy.worst_case_seconds():.0f} s ({_kind(error)}); "
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
                    f"{what} at {_origin(url)} broke off its answer ({_kind(error)}); run again",
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


def _origin(url: str) -> str:
    head, _, rest = url.partition("://")
    return f"{head}://{rest.split('/', 1)[0]}"


def _kind(error: BaseException) -> str:
    text = str(error).lower()
    if "timed out" in text or isinstance(error, requests.exceptions.Timeout):
        return "timed out"
    if "refused" in text:
        return "connection refused"
    if "reset" in text or "aborted" in text or "broken" in text:
        return "connection reset"
    if "name or service" in text or "resolve" in text or "nodename" in text:
        return "host name not found"
    return type(error).__name__


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


def excerpt(text: str, limit: int, secrets: Collection[str] = ()) -> str:
    """A vendor's text on one line, without `secrets`, cut between words to `limit` characters.

    Redacted before it is cut: a cut secret is harder to recognise than a whole one.
    """
    line = redaction.redact(" ".join(text.split()), secrets)
    if len(line) <= limit:
        return line
    cut = line[: limit + 1]
    kept = cut.rsplit(" ", 1)[0] if " " in cut else ""
    return f"{kept} …" if kept else "…"
