"""Command line: each Okta app's pushes to Druva from Okta's System Log, for
`python -m providers.health`.

`GET /api/v1/logs` with `filter` on the app as target and the push event types
(providers/core/health.py PUSH_EVENT_TYPES), `since` the current token's
issuedAt (within Okta's 90-day retention), `until` now and the newest first,
following `Link: <...>; rel="next"` for at most MAX_PAGES pages, never to a page
already read, each event (its `uuid`) counted once. Sign-in is the
checks' own (providers/okta/sign_in.py), once per org, asking a service app for
the scope `okta.logs.read` only; Okta's 429 is waited out (`OktaRetry`) within
each app's operation deadline, which ends no later than the health run's; an org
that timed out earlier in the run is not asked again (providers/deadline.py `run`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from requests.utils import parse_header_links

from providers.core import health, lifecycle
from providers.core.clock import SYSTEM
from providers.core.errors import BY_CAUSE, Cause, ProviderError
from providers.core.health import OktaTarget
from providers.core.texts import OKTA_SIGN_IN
from providers.deadline import deadline, overrun
from providers.http import HttpPolicy, new_session, origin
from providers.okta import api, sign_in

LOGS_PATH = "/api/v1/logs"
LOGS_SCOPE = "okta.logs.read"
PAGE_SIZE = 100
MAX_PAGES = 5
"""At most this many pages per app: the newest PAGE_SIZE * MAX_PAGES pushes decide."""
RETENTION = timedelta(days=90)
"""Okta keeps System Log events this long; `since` never reaches further back."""
PageKey = tuple[str, str, tuple[tuple[str, str], ...]]
"""A page's origin, path and sorted query (`_page_key`)."""


def read_apps(
    apps: Sequence[OktaTarget],
    issued_at: datetime,
    environ: Mapping[str, str],
    policy: HttpPolicy,
    now: datetime,
) -> list[health.AppHealth]:
    """Every Okta app's verdict, in the order given."""
    since = max(issued_at, now - RETENTION)
    signed_in: dict[str, sign_in.OktaAuthorization | ProviderError] = {}
    found: list[health.AppHealth] = []
    with new_session(policy, retry_class=api.OktaRetry) as session:
        for app in apps:
            if app.org_url is None:
                found.append(
                    health.could_not_check(
                        app.name,
                        app.kind,
                        health.NOT_FOUND,
                        f"the stack knows no Okta org for {app.name} ({app.app_id}): set "
                        "okta:orgName or name an org from druva-scim:oktaOrgs, then `pulumi up`",
                    )
                )
                continue
            with deadline(policy.deadline_seconds) as bound:
                if bound.passed():
                    found.append(_unknown(app, overrun(bound, f"{api.WHAT} at {app.org_url}")))
                    continue
                if app.org_url not in signed_in:
                    # Okta checks a client assertion's times against its own clock: the
                    # machine's, whatever moment the verdicts are judged at.
                    signed_in[app.org_url] = _sign_in(app.org_url, environ, policy, SYSTEM.now())
                authorization = signed_in[app.org_url]
                if isinstance(authorization, ProviderError):
                    found.append(_unknown(app, authorization))
                    continue
                try:
                    events, complete = system_log(
                        session, app, authorization, policy, since=since, until=now
                    )
                except ProviderError as error:
                    found.append(_unknown(app, error))
                    continue
            found.append(
                health.okta_verdict(
                    app.name,
                    app.kind,
                    app.app_id,
                    events,
                    issued_at,
                    since,
                    stack_state=app.state,
                    complete=complete,
                )
            )
    return found


def system_log(
    session: requests.Session,
    app: OktaTarget,
    authorization: sign_in.OktaAuthorization,
    policy: HttpPolicy,
    *,
    since: datetime,
    until: datetime,
) -> tuple[list[Any], bool]:
    """The app's push events between `since` and `until`, newest first, and whether every
    page was read (False: MAX_PAGES was reached with more to come)."""
    org_url = app.org_url or ""
    okta_api = api.OktaApi.about(session, policy, org_url, authorization, app.app_id, app.name)
    # A bounded query (since and until): Okta gives a next link only while more events match.
    url: str | None = (
        f"{org_url}{LOGS_PATH}?since={quote(lifecycle.format_time(since))}"
        f"&until={quote(lifecycle.format_time(until))}&sortOrder=DESCENDING&limit={PAGE_SIZE}"
        f"&filter={quote(health.log_filter(app.app_id))}"
    )
    events: list[Any] = []
    seen_events: set[str] = set()
    fetched: set[PageKey] = set()
    for _ in range(MAX_PAGES):
        if url is None or _page_key(url) in fetched:
            # No next link, or one back to a page already read (a loop): the log is read.
            return events, True
        fetched.add(_page_key(url))
        answer = okta_api.send("GET", url)
        if answer.status != 200:
            # Each cause its own error class: the command tells credentials, permission and a
            # missing API apart.
            raise okta_api.failure(
                answer,
                {
                    Cause.UNAUTHORIZED: api.WHAT + " at {org_url} did not accept the credentials "
                    "from {signed_in_by} (HTTP 401{detail}): set " + OKTA_SIGN_IN + " in the "
                    "environment of the health check",
                    Cause.FORBIDDEN: api.WHAT + " refused the health check the System Log (HTTP "
                    "403{detail}): {signed_in_by} lacks okta.logs.read. Grant a service app the "
                    "scope okta.logs.read; an API token's administrator needs a role that can read "
                    "the System Log (Read-only Administrator or above)",
                    Cause.NOT_FOUND: api.WHAT + " at {org_url} has no System Log API (HTTP 404"
                    "{detail}): check the org URL in the stack's targets output (oktaOrgs, "
                    "okta:orgName)",
                    Cause.UNAVAILABLE: api.UNAVAILABLE,
                    Cause.UNEXPECTED: api.WHAT + " answered HTTP {status}{detail} when the health "
                    "check read the System Log for {app}; check the org URL in the stack's targets "
                    "output",
                },
                BY_CAUSE,
            )
        page = answer.json_or_none()
        if not isinstance(page, list):
            raise ProviderError(
                f"{api.WHAT} at {origin(org_url)} answered 200 without a list of events for "
                f"{app.name}; check the org URL in the stack's targets output"
            )
        events.extend(_unseen(page, seen_events))
        url = next_page(answer.headers, org_url) if page else None
    return events, url is None or _page_key(url) in fetched


def next_page(headers: Mapping[str, str], org_url: str) -> str | None:
    """The `rel="next"` link, if it stays at the org: the credential goes nowhere else."""
    links = next((value for name, value in headers.items() if name.lower() == "link"), "")
    for link in parse_header_links(links) if links else []:
        target = link.get("url", "")
        if link.get("rel") == "next" and origin(target) == origin(org_url):
            return target
    return None


def _page_key(url: str) -> PageKey:
    """A page's URL as Okta may write it again: the origin, the path and the query in any
    order."""
    parts = urlsplit(url)
    return origin(url), parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


def _unseen(page: Sequence[Any], seen: set[str]) -> list[Any]:
    """The page's events whose `uuid` (LogEvent's unique id) no earlier page held."""
    found = []
    for event in page:
        identity = event.get("uuid") if isinstance(event, Mapping) else None
        if isinstance(identity, str) and identity:
            if identity in seen:
                continue
            seen.add(identity)
        found.append(event)
    return found


def _sign_in(
    org_url: str, environ: Mapping[str, str], policy: HttpPolicy, now: datetime
) -> sign_in.OktaAuthorization | ProviderError:
    # A service app asks for the one scope health needs, whatever `pulumi up` asks for.
    scoped = {**environ, "OKTA_API_SCOPES": LOGS_SCOPE}
    try:
        return sign_in.okta_authorization(scoped, org_url, policy, now)
    except ProviderError as error:
        return error


def _unknown(app: OktaTarget, error: ProviderError) -> health.AppHealth:
    return health.could_not_check(app.name, app.kind, health.cause_of(error), str(error))
