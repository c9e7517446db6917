"""Program, provider host and command line: Okta's API as druva-scim calls it: its rate limits,
and its Application Connections API: is the app's provisioning connection on, with a token?

Okta's 429 names the end of the rate-limit window in X-Rate-Limit-Reset (epoch
seconds); `OktaRetry` waits for it, within the policy's bound and the
operation's deadline. `OktaApi` is a client for calls about one app.

`GET /api/v1/apps/{appId}/connections/default` answers
`{"authScheme": "TOKEN", "status": "ENABLED", "profile": {"authScheme": "TOKEN"}, ...}`
(ProvisioningConnectionResponse, okta/okta-management-openapi-spec; testbed/corpus/okta);
the connection is good when it is ENABLED and authenticates with a TOKEN. UNKNOWN, in
Okta's words, means the app's authentication scheme is not supported or the app does not
support provisioning (through this API); Okta answers it with 200 and no error to a GET and
to the POST that sets a token alike, so an `okta.app.Connection` that `pulumi up` created
proves nothing for such an app, Druva's among them: its token is pasted by hand (mode manual).
The answer never holds the token, so a read-back confirms the connection, not the token.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

import requests
from urllib3.response import BaseHTTPResponse

from providers.core.errors import Cause, ProviderError
from providers.core.redaction import excerpt
from providers.core.texts import LATER, OKTA_SIGN_IN
from providers.deadline import BoundedRetry
from providers.http import (
    EVERY_CAUSE_ALIKE,
    Advice,
    Answer,
    Client,
    HttpPolicy,
    Kinds,
    answer_error,
)

if TYPE_CHECKING:
    from providers.okta.sign_in import OktaAuthorization

WHAT = "Okta"
UNAVAILABLE = (
    WHAT + " still answered HTTP {status}{detail} after {attempts} attempts for {app}; it is "
    "rate limiting or down: " + LATER
)
"""Throttling or an outage that outlasted every retry, whatever was asked."""


class OktaRetry(BoundedRetry):
    """The deadline's Retry that also waits for Okta's X-Rate-Limit-Reset on a 429."""

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        if seconds is not None:
            return seconds
        return rate_limit_wait(response.headers, self.retry_after_max, time.time())


def rate_limit_wait(headers: Mapping[str, str], limit: float, now: float) -> float | None:
    """Seconds until X-Rate-Limit-Reset, by the server's own Date when it sent one, at most `limit`.

    Okta's clock decides when the window reopens, so a runner whose clock is
    off neither hammers Okta nor waits for nothing.
    """
    reset = (headers.get("X-Rate-Limit-Reset") or "").strip()
    if not reset.isdigit():
        return None
    server_now = _server_time(headers.get("Date")) or now
    return float(min(max(int(reset) - server_now, 0.0), limit))


def _server_time(date: str | None) -> float | None:
    if not date:
        return None
    try:
        return email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None


class OktaApi(Client):
    """Okta's API, for calls about one app, signed in one way."""

    def __init__(
        self,
        session: requests.Session,
        policy: HttpPolicy,
        org_url: str,
        authorization: str,
        signed_in_by: str,
        secrets: Collection[str],
        app_id: str,
        app_name: str,
    ) -> None:
        super().__init__(session, policy, authorization, secrets, what=WHAT)
        self.org_url = org_url
        self.signed_in_by = signed_in_by
        """How the credential was obtained: `OKTA_API_TOKEN` or `service app 0oa...`."""
        self.app_id = app_id
        self.app_name = app_name

    @classmethod
    def about(
        cls,
        session: requests.Session,
        policy: HttpPolicy,
        org_url: str,
        authorization: OktaAuthorization,
        app_id: str,
        app_name: str,
    ) -> Self:
        """A client for calls about one app, signed in with `authorization`."""
        return cls(
            session,
            policy,
            org_url,
            authorization.header,
            authorization.method,
            (authorization.secret,),
            app_id,
            app_name,
        )

    def failure(
        self, answer: Answer, advice: Advice, kinds: Kinds = EVERY_CAUSE_ALIKE
    ) -> ProviderError:
        """The error for an unwanted answer to a call about this app, with Okta's own error
        text; `advice` names any of `{org_url}`, `{signed_in_by}`, `{app_id}` and `{app}`."""
        return answer_error(
            answer,
            advice,
            kinds=kinds,
            detail=okta_detail(answer.json_or_none(), self.secrets),
            org_url=self.org_url,
            signed_in_by=self.signed_in_by,
            app_id=self.app_id,
            app=self.app_name,
        )


def okta_detail(body: object, secrets: Collection[str] = ()) -> str:
    """`: <errorCode>: <errorSummary> (<causes>)` from Okta's error body, scrubbed."""
    if not isinstance(body, Mapping) or not body.get("errorCode"):
        return ""
    text = f"{body['errorCode']}: {body.get('errorSummary', '')}".strip(": ")
    causes = [
        str(cause.get("errorSummary"))
        for cause in body.get("errorCauses") or []
        if isinstance(cause, Mapping) and cause.get("errorSummary")
    ]
    if causes:
        text += f" ({'; '.join(causes)})"
    if body.get("errorId"):
        text += f" [errorId {body['errorId']}]"
    return f": {excerpt(text, 400, secrets)}"


# --- the app's provisioning connection ------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """The default provisioning connection of an app, as Okta reports it."""

    status: str
    """ENABLED, DISABLED or UNKNOWN."""
    auth_scheme: str
    """TOKEN, OAUTH2 or UNKNOWN."""
    base_url: str | None

    @property
    def unmanaged(self) -> bool:
        """Okta's answer for an app its API does not manage: 200, with status or scheme UNKNOWN."""
        return "UNKNOWN" in (self.status, self.auth_scheme)


def connection_url(org_url: str, app_id: str) -> str:
    return f"{org_url.rstrip('/')}/api/v1/apps/{quote(app_id, safe='')}/connections/default"


def get_connection(
    session: requests.Session,
    org_url: str,
    app_id: str,
    authorization: OktaAuthorization,
    policy: HttpPolicy,
    *,
    app_name: str,
) -> Connection:
    """Read the connection; raise ProviderError for anything but an answer to read."""
    api = OktaApi.about(session, policy, org_url, authorization, app_id, app_name)
    answer = api.send("GET", connection_url(org_url, app_id))
    body = answer.json_or_none()
    if answer.status == 200 and isinstance(body, dict):
        return parse_connection(body)
    raise api.failure(
        answer,
        {
            Cause.UNAUTHORIZED: WHAT + " at {org_url} did not accept the credentials from "
            "{signed_in_by} (HTTP 401{detail}): it has expired or was revoked; set " + OKTA_SIGN_IN,
            Cause.FORBIDDEN: WHAT + " refused to read the provisioning connection of {app} (HTTP "
            "403{detail}): {signed_in_by} lacks permission. An API token's administrator needs a "
            "role that can manage the app (App Administrator or Super Administrator); a service "
            "app needs the scope okta.apps.read (okta.apps.manage to update) granted and such a "
            "role assigned",
            Cause.NOT_FOUND: WHAT + " at {org_url} has no app {app_id} for {app} (HTTP 404"
            "{detail}): its appId in druva-scim:oktaApps is wrong; copy the id (0oa...) from the "
            "app's URL in the Admin Console, and check orgUrl",
            Cause.UNAVAILABLE: UNAVAILABLE,
            Cause.UNEXPECTED: WHAT + " answered HTTP {status}{detail} when asked to read the "
            "provisioning connection of {app}; check orgUrl and appId in druva-scim:oktaApps",
        },
    )


def usable(connection: Connection, app_name: str) -> Connection:
    """The connection, when it is ENABLED with a TOKEN; ProviderError saying why otherwise."""
    problem = connection_problem(connection, app_name)
    if problem:
        raise ProviderError(problem)
    return connection


def parse_connection(body: Mapping[str, Any]) -> Connection:
    # Newer answers carry the scheme in `profile`; older ones only at the top.
    profile = body.get("profile")
    scheme = profile.get("authScheme") if isinstance(profile, Mapping) else None
    base_url = body.get("baseUrl")
    return Connection(
        status=str(body.get("status") or "UNKNOWN"),
        auth_scheme=str(scheme or body.get("authScheme") or "UNKNOWN"),
        base_url=base_url if isinstance(base_url, str) else None,
    )


def connection_problem(connection: Connection, app_name: str) -> str | None:
    """Why this connection cannot carry the Druva token, or None when it can. Pure."""
    if connection.unmanaged:
        return (
            f"{WHAT} reports no API-managed provisioning connection for {app_name} (status "
            f"{connection.status}, authScheme {connection.auth_scheme}): Okta's Application "
            "Connections API covers only the integrations Okta lists, and answers a token set "
            "for any other app with 200 and UNKNOWN, no error, so the okta.app.Connection's "
            "success does not mean Okta took the token. Set this app's mode to manual in "
            "druva-scim:oktaApps and paste the token in the Admin Console"
        )
    if connection.auth_scheme != "TOKEN":
        return (
            f"the provisioning connection of {app_name} in {WHAT} authenticates with "
            f"{connection.auth_scheme}, not with an API token: Druva's SCIM endpoint takes a "
            "bearer token; set Provisioning > Integration to use the API Token"
        )
    if connection.status != "ENABLED":
        return (
            f"the provisioning connection of {app_name} in {WHAT} is {connection.status}: Okta "
            "does not provision through it until it is activated (a token set without "
            "activation reads back DISABLED); enable it under Provisioning > Integration "
            "(Enable API integration), then run `pulumi up` again"
        )
    return None
