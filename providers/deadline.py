"""Program, provider host and command line: one deadline per operation, which every request, retry
and pause in it shares.

Timeouts bound each wait for a byte, not a call: a server that trickles its
answer a byte at a time would hold a call forever. So every provider operation
runs under one deadline (`deadline`): pauses never reach past it, no retry starts
after it, and at the deadline a watchdog shuts down the operation's sockets, so
that a blocked read returns at once.

A command line that runs many operations (the health check, one per app) runs
them within one `run` deadline: each operation's own bound ends no later than
the run's, and an origin that timed out or could not be reached in the run is
not asked again in it (`NotAskedAgainError`), so a hung service costs the run
one operation's bound, not one per app.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
import urllib3.poolmanager
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from providers.core.errors import DeadlineError, ProviderError

OPERATION_SECONDS = 120.0
"""The bound on one provider operation (create, read, update, check), every call in it included."""
OPERATION = "the bound on one operation"
WATCHDOG_NAME = "druva-scim-deadline"


def overrun(bound: Deadline, what: str = "The service") -> DeadlineError:
    return DeadlineError(
        f"{what} did not finish within {bound.seconds:g} s, every attempt and pause included "
        f"({bound.says}); it may be overloaded, or something between may be "
        "holding the connection open: run again"
    )


class NotAskedAgainError(ProviderError):
    """An origin that timed out or could not be reached earlier in the run: not asked again."""

    def __init__(self, where: str, happened: str, seconds: float, says: str) -> None:
        self.happened, self.seconds, self.says = happened, seconds, says
        super().__init__(
            f"{where} was not asked: it failed earlier in this run ({happened}), and asking "
            f"again would only spend the rest of the run's {seconds:g} s ({says}); check the "
            "network and the proxy (HTTPS_PROXY), then run again"
        )

    def naming(self, where: str) -> NotAskedAgainError:
        """The same refusal, naming the service as the caller knows it."""
        return NotAskedAgainError(where, self.happened, self.seconds, self.says)


class Deadline:
    """The end of one operation and the connections to cut when it comes.

    The watchdog thread starts with the first connection watched, so an operation
    that sends nothing costs no thread. Within a run (`within`), it ends no later
    than the run and shares the run's memory of unreachable origins.
    """

    def __init__(
        self, seconds: float, says: str = OPERATION, within: Deadline | None = None
    ) -> None:
        self.seconds = seconds
        self.says = says
        """What the bound is, as messages name it."""
        self._ends = time.monotonic() + seconds
        self.unreachable: dict[str, str] | None = None
        """In a run: origin (`scheme://host:port`) -> how it failed, e.g. "timed out"."""
        self.divisible = False
        """A run's deadline: each `deadline` inside it is an operation of its own."""
        self.run: Deadline | None = None
        """The run this operation is part of (a run's own deadline: itself)."""
        if within is not None:
            self.run, self.unreachable = within, within.unreachable
            if within._ends < self._ends:
                # The run ends first: messages name its bound, not this operation's.
                self._ends, self.seconds, self.says = within._ends, within.seconds, within.says
        self._lock = threading.Lock()
        self._watched: set[WatchedConnection] = set()
        self._watchdog: threading.Timer | None = None
        self.expired = False
        """Set by the watchdog: the operation's sockets were shut down, answers may be cut."""

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def passed(self) -> bool:
        return self.expired or self.remaining() <= 0

    def refuse(self, where: str) -> None:
        """Raise NotAskedAgainError if `where` timed out or was unreachable earlier in the run."""
        happened = None if self.unreachable is None else self.unreachable.get(where)
        if happened is not None:
            whole = self.run or self
            raise NotAskedAgainError(where, happened, whole.seconds, whole.says)

    def remember(self, where: str, happened: str) -> None:
        """In a run, `where` is not asked again: it failed so (`happened`: "timed out", ...)."""
        if self.unreachable is not None:
            self.unreachable.setdefault(where, happened)

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
        raise overrun(bound)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Run the block under a deadline `seconds` from now; inside one already running,
    the outer one holds (one operation has one bound), unless it is a run's: then the
    block is one operation of the run, bounded by `seconds` and by the run's end."""
    current = _active.get()
    if current is not None and not current.divisible:
        yield current
        return
    with _under(Deadline(seconds, within=current)) as bound:
        yield bound


@contextlib.contextmanager
def run(seconds: float, says: str) -> Iterator[Deadline]:
    """Run several operations within one bound of `seconds` (`says`: what it is, as messages
    name it, e.g. "the bound on one health check, --deadline"). Each `deadline` inside is an
    operation of its own that ends no later than the run; an origin that timed out or could
    not be reached is not asked again before the run ends."""
    whole = Deadline(seconds, says)
    whole.unreachable, whole.divisible, whole.run = {}, True, whole
    with _under(whole) as bound:
        yield bound


@contextlib.contextmanager
def _under(bound: Deadline) -> Iterator[Deadline]:
    reset = _active.set(bound)
    try:
        yield bound
    finally:
        _active.reset(reset)
        bound.close()


TIMED_OUT = (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)
"""What a request that waited too long raises, in requests, urllib3 or the socket."""
BROKEN = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
"""What the socket raises when the other end (or something between) cut the connection."""


def failure_kind(error: BaseException) -> str:
    """How a request that got no answer failed, in a few words ("timed out"): by the classes
    of the errors it is made of (requests wraps urllib3's, urllib3 the socket's)."""
    causes = _causes(error)
    # urllib3 files its failures to connect under ConnectTimeoutError, a timeout or not.
    if any(
        isinstance(found, TIMED_OUT)
        and not isinstance(found, urllib3.exceptions.NewConnectionError)
        for found in causes
    ):
        return "timed out"
    if any(
        isinstance(found, urllib3.exceptions.NameResolutionError | socket.gaierror)
        for found in causes
    ):
        return "host name not found"
    if any(isinstance(found, ConnectionRefusedError) for found in causes):
        return "connection refused"
    # A ProtocolError is the connection broken mid-answer (urllib3's "Connection broken").
    if any(isinstance(found, (*BROKEN, urllib3.exceptions.ProtocolError)) for found in causes):
        return "connection reset"
    return type(error).__name__


def _causes(error: BaseException) -> list[BaseException]:
    """`error` and every error it was raised from or wraps, each once."""
    found: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        # `reason`: what urllib3's MaxRetryError gave up on.
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        wrapped.extend(current.args)
        pending.extend(item for item in wrapped if isinstance(item, BaseException))
    return found


DEFAULT_PORTS = {"http": 80, "https": 443}


def endpoint(url: str) -> str:
    """`scheme://host:port` of a URL, the port always written: one origin, one name."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port or DEFAULT_PORTS.get(parts.scheme, 0)}"


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
    """requests' adapter with connections the deadline can cut, direct or through a proxy.

    In a run, it is where an origin that timed out or could not be reached is remembered
    and then refused: every request of the run passes here, azure-identity's included.
    """

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        bound = _active.get()
        where = endpoint(request.url or "")
        if bound is not None:
            bound.refuse(where)
        try:
            return super().send(request, *args, **kwargs)
        except requests.exceptions.SSLError:
            raise  # it answered, with a certificate: asking again costs nothing and says why
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            # Without retries (azure-identity's session), urllib3's own errors come through.
            urllib3.exceptions.NewConnectionError,
            urllib3.exceptions.TimeoutError,
            urllib3.exceptions.ProtocolError,
            urllib3.exceptions.ProxyError,
        ) as error:
            if bound is not None:
                bound.remember(where, failure_kind(error))
            raise
        except DeadlineError:
            # Cut at the deadline, not refused a pause (a throttled service answered).
            if bound is not None and bound.passed():
                bound.remember(where, f"no answer within {bound.seconds:g} s")
            raise

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # A SOCKS manager brings pool classes of its own: only urllib3's plain ones are swapped.
        if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager


# `Retry-After: 2.128`: microsoft-graph-docs-contrib concepts/throttling.md @ 28dd02d.
FRACTIONAL = re.compile(r"\s*[0-9]{1,9}\.[0-9]{1,9}\s*")


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
            raise overrun(bound)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def parse_retry_after(self, retry_after: str) -> float:
        # Graph writes fractional seconds, urllib3 takes whole ones or a date (see FRACTIONAL).
        if FRACTIONAL.fullmatch(retry_after):
            return min(float(retry_after), self.retry_after_max)
        return super().parse_retry_after(retry_after)

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


class ThrottledRetry(BoundedRetry):
    """BoundedRetry for a request the server may have processed (a webhook's post): of the
    answers urllib3 retries for their Retry-After alone (`Retry.RETRY_AFTER_STATUS_CODES`, 413,
    429 and 503, whatever `status_forcelist` says), only 429, which says it was not taken."""

    RETRY_AFTER_STATUS_CODES = frozenset({429})
