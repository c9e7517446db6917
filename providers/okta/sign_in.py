"""Program, provider host and command line: signing in to Okta as the okta Pulumi provider does,
from its environment.

The variables, in the order the okta provider weighs them: OKTA_API_TOKEN (sent
as `SSWS <token>`); else a service app, OKTA_API_CLIENT_ID with
OKTA_API_PRIVATE_KEY (the PEM key, or a path to it), OKTA_API_PRIVATE_KEY_ID and
OKTA_API_SCOPES, which trades a private-key JWT for an access token at the org's
authorization server; else OKTA_ACCESS_TOKEN. Each is refused before use when it
cannot be a credential (white space inside, not ASCII, too short).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import jwt
import requests

from providers.core import redaction
from providers.core.errors import CredentialsError, PermissionDeniedError
from providers.core.texts import OKTA_SIGN_IN
from providers.http import Answer, HttpPolicy, call, new_session
from providers.okta.api import WHAT, OktaRetry

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105  (a path)
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_SCOPES = ("okta.apps.read",)
ASSERTION_LIFETIME = timedelta(minutes=5)
"""Okta refuses client assertions valid for more than an hour; one sign-in needs minutes."""


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
        access = service_app_token(org_url, client_id, key, key_id, scopes, policy, now)
        return OktaAuthorization(f"Bearer {access}", access, f"service app {client_id}")
    access_token = _credential(environ, "OKTA_ACCESS_TOKEN")
    if access_token:
        return OktaAuthorization(f"Bearer {access_token}", access_token, "OKTA_ACCESS_TOKEN")
    raise CredentialsError(
        f"no Okta credentials in the environment of `pulumi up`: set {OKTA_SIGN_IN}, "
        "as for the okta provider"
    )


def _credential(environ: Mapping[str, str], variable: str, *, secret: bool = True) -> str:
    """A credential from the environment, refused before use when it cannot be one."""
    value, problem = redaction.environment_value(environ, variable, secret=secret)
    if problem:
        raise CredentialsError(problem)
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
        raise CredentialsError(
            "OKTA_API_PRIVATE_KEY is not a PEM RSA private key (-----BEGIN PRIVATE KEY----- or "
            "-----BEGIN RSA PRIVATE KEY-----); paste the key of the service app, or a path to it"
        ) from None


def service_app_token(
    org_url: str,
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
            raise CredentialsError(_dpop(client_id))
        if isinstance(token, str) and token:
            return token
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    described = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    detail = f": {redaction.excerpt(f'{error}: {described}', 400, (assertion,))}" if error else ""
    if error in ("invalid_dpop_proof", "use_dpop_nonce"):
        raise CredentialsError(_dpop(client_id))
    if error == "invalid_scope":
        raise PermissionDeniedError(
            f"{WHAT} refused the scopes {' '.join(scopes)} to service app {client_id} "
            f"(HTTP {answer.status}{detail}): grant {' and '.join(scopes)} on its Okta API Scopes "
            "tab and list it in OKTA_API_SCOPES"
        )
    raise CredentialsError(
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
        raise CredentialsError(
            "OKTA_API_CLIENT_ID is set but OKTA_API_PRIVATE_KEY is not: set it to the service "
            "app's PEM private key, or to a path to it"
        )
    if text.startswith("-----BEGIN"):
        return text
    try:
        return Path(text).read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        raise CredentialsError(
            "OKTA_API_PRIVATE_KEY is neither a PEM private key nor a readable file; paste "
            "the key itself or give its path"
        ) from None
