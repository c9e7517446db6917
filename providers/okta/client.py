"""Program, provider host and command line: Okta's API as druva-scim calls it: its rate limits, and
its words for each failure.

Okta's 429 names the end of the rate-limit window in X-Rate-Limit-Reset (epoch
seconds); `OktaRetry` waits for it, within the policy's bound and the
operation's deadline. `Okta` words what an unwanted answer about one app's
provisioning connection means.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, ClassVar, Self

import requests
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from providers.core.errors import Cause
from providers.core.redaction import excerpt
from providers.core.texts import LATER, OKTA_SIGN_IN
from providers.http import Answer, Client, HttpPolicy

if TYPE_CHECKING:
    from providers.okta.sign_in import OktaAuthorization

WHAT = "Okta"


class OktaRetry(Retry):
    """urllib3's Retry that also waits for Okta's X-Rate-Limit-Reset on a 429."""

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


class Okta(Client):
    """Okta's words for each failure of a call about one app's provisioning connection."""

    what = WHAT
    words: ClassVar[Mapping[Cause, str]] = {
        Cause.UNAUTHORIZED: "{what} at {org_url} did not accept the credentials from "
        "{signed_in_by} (HTTP 401{detail}): it has expired or was revoked; set {sign_in}",
        Cause.FORBIDDEN: "{what} refused to {doing} the provisioning connection of {app} (HTTP "
        "403{detail}): {signed_in_by} lacks permission. An API token's administrator needs a "
        "role that can manage the app (App Administrator or Super Administrator); a service app "
        "needs the scope okta.apps.read (okta.apps.manage to update) granted and such a role "
        "assigned",
        Cause.NOT_FOUND: "{what} at {org_url} has no app {app_id} for {app} (HTTP 404{detail}): "
        "its appId in druva-scim:oktaApps is wrong; copy the id (0oa...) from the app's URL in "
        "the Admin Console, and check orgUrl",
        Cause.UNAVAILABLE: "{what} still answered HTTP {status}{detail} after {attempts} attempts "
        "for {app}; it is rate limiting or down: {later}",
        Cause.UNEXPECTED: "{what} answered HTTP {status}{detail} when asked to {doing} the "
        "provisioning connection of {app}; check orgUrl and appId in druva-scim:oktaApps",
    }

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
        super().__init__(session, policy, authorization, secrets)
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

    def fields(self, answer: Answer, found: Cause) -> Mapping[str, object]:
        return {
            "org_url": self.org_url,
            "signed_in_by": self.signed_in_by,
            "app_id": self.app_id,
            "app": self.app_name,
            "sign_in": OKTA_SIGN_IN,
            "later": LATER,
        }

    def detail(self, answer: Answer) -> str:
        return okta_detail(answer.json_or_none(), self.secrets)


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
