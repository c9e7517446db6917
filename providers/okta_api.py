"""Okta's Application Connections API: is the Druva app's provisioning connection on, with a token?

`GET /api/v1/apps/{appId}/connections/default` answers
`{"authScheme": "TOKEN", "status": "ENABLED", "profile": {"authScheme": "TOKEN"}, ...}`;
the connection is good when it is ENABLED and authenticates with a TOKEN. Okta
documents that an UNKNOWN authScheme (and then an UNKNOWN status) means the app
does not support an API-managed provisioning connection, which is what a custom
SCIM integration such as Druva's may answer: then the token is pasted by hand
(mode manual).

Sign-in is the okta Pulumi provider's: OKTA_API_TOKEN as `SSWS <token>`, or a
service app (OKTA_API_CLIENT_ID, OKTA_API_PRIVATE_KEY, OKTA_API_PRIVATE_KEY_ID,
OKTA_API_SCOPES) that trades a private-key JWT for an access token. Okta's 429
names the end of the rate-limit window in X-Rate-Limit-Reset (epoch seconds);
`OktaRetry` waits for it, within the policy's bound.
"""

from __future__ import annotations

import email.utils
import re
import time
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import requests
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from providers.core import redaction
from providers.core.errors import ProviderError
from providers.http import Answer, HttpPolicy, call, excerpt, new_session

WHAT = "Okta"
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105  (a path)
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_SCOPES = ("okta.apps.read",)
ASSERTION_LIFETIME = timedelta(minutes=5)
"""Okta refuses client assertions valid for more than an hour; one sign-in needs minutes."""
SIGN_IN = (
    "OKTA_API_TOKEN, or OKTA_API_CLIENT_ID with OKTA_API_PRIVATE_KEY, OKTA_API_PRIVATE_KEY_ID "
    "and OKTA_API_SCOPES (README, section Verification)"
)
UNSUPPORTED_ERROR_CODES = frozenset({"E0000001"})
"""Okta's API validation exception: the only 400 its reference lists for a connection update."""
PROVIDER_REFUSAL = re.compile(r"app connection for application ID \S+: 400\b")
"""That 400 as the okta provider reports it: its okta_app_connection says `Could not create
(or update) app connection for application ID <id>: ` and then okta-sdk-golang's error,
which for a 400 is the HTTP status line alone ("400 Bad Request"), without Okta's code."""


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


# --- signing in ----------------------------------------------------------------------------


class OktaAuthorization:
    """An Authorization header value and how it was obtained; the value never shows in a repr."""

    def __init__(self, header: str, secret: str, method: str) -> None:
        self.header = header
        self.secret = secret
        """The part to scrub from every message."""
        self.method = method
        """How it was obtained, for messages: `OKTA_API_TOKEN` or `service app 0oa...`."""

    def __repr__(self) -> str:
        return f"OktaAuthorization({self.method}, [redacted])"


def okta_authorization(
    environ: Mapping[str, str],
    org_url: str,
    policy: HttpPolicy,
    now: datetime,
) -> OktaAuthorization:
    """Sign in as the okta provider would: an API token wins, else the service app, else
    a ready access token (OKTA_ACCESS_TOKEN)."""
    api_token = _credential(environ, "OKTA_API_TOKEN")
    if api_token:
        return OktaAuthorization(f"SSWS {api_token}", api_token, "OKTA_API_TOKEN")
    # Ids too: they travel in a signed assertion's header and claims.
    client_id = _credential(environ, "OKTA_API_CLIENT_ID", secret=False)
    if client_id:
        key_id = _credential(environ, "OKTA_API_PRIVATE_KEY_ID", secret=False) or None
        key = _private_key(environ.get("OKTA_API_PRIVATE_KEY", ""))
        scopes = tuple(environ.get("OKTA_API_SCOPES", "").replace(",", " ").split()) or (
            DEFAULT_SCOPES
        )
        access = service_app_token(
            org_url,
            client_id=client_id,
            private_key=key,
            key_id=key_id,
            scopes=scopes,
            policy=policy,
            now=now,
        )
        return OktaAuthorization(f"Bearer {access}", access, f"service app {client_id}")
    access_token = _credential(environ, "OKTA_ACCESS_TOKEN")
    if access_token:
        return OktaAuthorization(f"Bearer {access_token}", access_token, "OKTA_ACCESS_TOKEN")
    raise ProviderError(
        f"no Okta credentials in the environment of `pulumi up`: set {SIGN_IN}, "
        "as for the okta provider"
    )


def _credential(environ: Mapping[str, str], variable: str, *, secret: bool = True) -> str:
    """A credential from the environment, refused before use when it cannot be one."""
    value, problem = redaction.environment_value(environ, variable, secret=secret)
    if problem:
        raise ProviderError(problem)
    return value


def client_assertion(
    client_id: str, private_key: str, key_id: str | None, token_url: str, now: datetime
) -> str:
    """The private-key JWT Okta's service apps authenticate with (RS256, five minutes)."""
    issued = int(now.timestamp())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": issued,
        "exp": issued + int(ASSERTION_LIFETIME.total_seconds()),
        "jti": uuid.uuid4().hex,
    }
    try:
        return jwt.encode(
            claims, private_key, algorithm="RS256", headers={"kid": key_id} if key_id else None
        )
    except (ValueError, TypeError, jwt.PyJWTError):
        raise ProviderError(
            "OKTA_API_PRIVATE_KEY is not a PEM RSA private key (-----BEGIN PRIVATE KEY----- or "
            "-----BEGIN RSA PRIVATE KEY-----); paste the key of the service app, or a path to it"
        ) from None


def service_app_token(
    org_url: str,
    *,
    client_id: str,
    private_key: str,
    key_id: str | None,
    scopes: Collection[str],
    policy: HttpPolicy,
    now: datetime,
) -> str:
    """An access token from the org authorization server by client credentials."""
    token_url = f"{org_url}{TOKEN_PATH}"
    assertion = client_assertion(client_id, private_key, key_id, token_url, now)
    # The client assertion may be used once (Okta remembers its jti): a request Okta may
    # have received is never resent, or Okta would refuse it as a replay; a new run signs anew.
    with new_session(policy, retry_class=OktaRetry, resend=False) as once:
        answer = _token_request(once, token_url, assertion, scopes, policy)
    body = answer.json_or_none()
    if answer.status == 200 and isinstance(body, dict):
        token, kind = body.get("access_token"), str(body.get("token_type", ""))
        if kind.lower() == "dpop":
            raise ProviderError(_dpop(client_id))
        if isinstance(token, str) and token:
            return token
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    described = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    detail = redaction.redact(f": {error}: {described}" if error else "", (assertion,))
    if error in ("invalid_dpop_proof", "use_dpop_nonce"):
        raise ProviderError(_dpop(client_id))
    if error == "invalid_scope":
        raise ProviderError(
            f"{WHAT} refused the scopes {' '.join(scopes)} to service app {client_id} "
            f"(HTTP {answer.status}{detail}): grant okta.apps.read on its Okta API Scopes tab "
            "and list it in OKTA_API_SCOPES"
        )
    raise ProviderError(
        f"{WHAT} at {org_url} did not give service app {client_id} an access token "
        f"(HTTP {answer.status}{detail}): check OKTA_API_CLIENT_ID, that the app uses Public "
        "key / Private key client authentication with the key in OKTA_API_PRIVATE_KEY, and "
        "that OKTA_API_PRIVATE_KEY_ID is that key's KID"
    )


def _token_request(
    session: requests.Session,
    token_url: str,
    assertion: str,
    scopes: Collection[str],
    policy: HttpPolicy,
) -> Answer:
    return call(
        session,
        "POST",
        token_url,
        policy=policy,
        what=f"{WHAT}'s token endpoint",
        authorization=None,
        headers={"Accept": "application/json"},
        form_body={
            "grant_type": "client_credentials",
            "scope": " ".join(scopes),
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        redact=(assertion,),
    )


def _dpop(client_id: str) -> str:
    return (
        f"service app {client_id} requires DPoP-bound tokens, which druva-scim does not make: "
        "in the Okta Admin Console, open the app > General > Client Credentials and clear "
        "Require Demonstrating Proof of Possession (DPoP) header"
    )


def _private_key(value: str) -> str:
    text = value.strip()
    if not text:
        raise ProviderError(
            "OKTA_API_CLIENT_ID is set but OKTA_API_PRIVATE_KEY is not: set it to the service "
            "app's PEM private key, or to a path to it"
        )
    if text.startswith("-----BEGIN"):
        return text
    try:
        return Path(text).read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        raise ProviderError(
            "OKTA_API_PRIVATE_KEY is neither a PEM private key nor a readable file; paste "
            "the key itself or give its path"
        ) from None


# --- the provisioning connection -----------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """The default provisioning connection of an app, as Okta reports it."""

    status: str
    """ENABLED, DISABLED or UNKNOWN."""
    auth_scheme: str
    """TOKEN, OAUTH2 or UNKNOWN."""
    base_url: str | None


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
    answer = call(
        session,
        "GET",
        connection_url(org_url, app_id),
        policy=policy,
        what=WHAT,
        authorization=authorization.header,
        headers={"Accept": "application/json"},
        redact=(authorization.secret,),
    )
    body = answer.json_or_none()
    if answer.status == 200 and isinstance(body, dict):
        return parse_connection(body)
    raise _failure(answer, org_url, app_id, authorization, app_name, "read")


def verify_connection(
    session: requests.Session,
    org_url: str,
    app_id: str,
    authorization: OktaAuthorization,
    policy: HttpPolicy,
    *,
    app_name: str,
) -> Connection:
    """The connection, when it is ENABLED with a TOKEN; ProviderError otherwise."""
    connection = get_connection(session, org_url, app_id, authorization, policy, app_name=app_name)
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
    if connection.status == "UNKNOWN" or connection.auth_scheme == "UNKNOWN":
        return (
            f"{WHAT} reports no API-managed provisioning connection for {app_name} (status "
            f"{connection.status}, authScheme {connection.auth_scheme}): Okta's Application "
            "Connections API covers only the integrations Okta lists. Set this app's mode to "
            "manual in druva-scim:oktaApps and paste the token in the Admin Console"
        )
    if connection.auth_scheme != "TOKEN":
        return (
            f"the provisioning connection of {app_name} in {WHAT} authenticates with "
            f"{connection.auth_scheme}, not with an API token: Druva's SCIM endpoint takes a "
            "bearer token; set Provisioning > Integration to use the API Token"
        )
    if connection.status != "ENABLED":
        return (
            f"the provisioning connection of {app_name} in {WHAT} is {connection.status}: the "
            "token is saved but Okta does not use it; enable it under Provisioning > "
            "Integration (Enable API integration), then run `pulumi up` again"
        )
    return None


def manual_mode_advice(index: int, app_name: str) -> str:
    return (
        "Okta's Application Connections API takes tokens only for the integrations it lists "
        "(Org2Org, Zscaler 2.0) and custom SCIM apps are updated in the Admin Console: "
        f"switch druva-scim:oktaApps[{index}].mode to manual, then paste the token under "
        f"Applications > {app_name} > Provisioning > Integration > Edit > API Token > "
        "Test API Credentials > Save"
    )


def refusal_message(
    errors: Collection[str], *, index: int, app_name: str, app_id: str
) -> str | None:
    """For the okta provider's error texts: the hand-off advice if Okta refused. Pure.

    E0000001 (API validation failed) is the refusal Okta documents for this
    endpoint; the provider may quote that code, or only the 400 (PROVIDER_REFUSAL).
    """
    if not any(
        PROVIDER_REFUSAL.search(error) or any(code in error for code in UNSUPPORTED_ERROR_CODES)
        for error in errors
    ):
        return None
    return f"Okta refused the token connection of {app_name} ({app_id}): " + manual_mode_advice(
        index, app_name
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


def _failure(
    answer: Answer,
    org_url: str,
    app_id: str,
    authorization: OktaAuthorization,
    app_name: str,
    doing: str,
    secrets: Collection[str] = (),
) -> ProviderError:
    detail = okta_detail(answer.json_or_none(), (authorization.secret, *secrets))
    status = answer.status
    if status == 401:
        return ProviderError(
            f"{WHAT} at {org_url} did not accept the credentials from {authorization.method} "
            f"(HTTP 401{detail}): it has expired or was revoked; set {SIGN_IN}"
        )
    if status == 403:
        return ProviderError(
            f"{WHAT} refused to {doing} the provisioning connection of {app_name} "
            f"(HTTP 403{detail}): {authorization.method} lacks permission. An API token's "
            "administrator needs a role that can manage the app (App Administrator or Super "
            "Administrator); a service app needs the scope okta.apps.read (okta.apps.manage "
            "to update) granted and such a role assigned"
        )
    if status == 404:
        return ProviderError(
            f"{WHAT} at {org_url} has no app {app_id} for {app_name} (HTTP 404{detail}): its "
            "appId in druva-scim:oktaApps is wrong; copy the id (0oa...) from the app's URL in "
            "the Admin Console, and check orgUrl"
        )
    if status == 429 or status >= 500:
        return ProviderError(
            f"{WHAT} still answered HTTP {status}{detail} after {answer.attempts} attempts for "
            f"{app_name}; it is rate limiting or down: run `pulumi up` again later"
        )
    return ProviderError(
        f"{WHAT} answered HTTP {status}{detail} when asked to {doing} the provisioning "
        f"connection of {app_name}; check orgUrl and appId in druva-scim:oktaApps"
    )
