"""Okta's Application Connections API and org token endpoint, as far as verification reaches them.

Answers as Okta documents: the default provisioning connection as
`{"authScheme", "baseUrl", "profile": {"authScheme"}, "status", "_links"}`,
errors as `{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}`,
rate limits as 429 with X-Rate-Limit-* headers (E0000047), API tokens as
`SSWS <token>`, and service apps signing in at /oauth2/v1/token with a
private-key JWT, verified here with the app's registered public key.

An app whose connection Okta does not manage through the API reads back as
UNKNOWN (Okta's definition). Setting the connection is the okta provider's
work, not ours, so only reading it back is served.

The System Log (`GET /api/v1/logs`, scope okta.logs.read) serves the events in
`log` as Okta documents its LogEvent (`push_event`): filtered by `filter`
(`target.id eq "..."` and `eventType eq "..."` terms), `since` and `until`,
sorted by `sortOrder`, `limit` per page, and a `Link` header with rel="self"
and, while more events match, rel="next" (an `after` cursor). The outcome
reasons of failures are modelled on what Okta's Admin Console shows.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from testbed.stand_ins.server import Reply, Request, StandIn

TOKEN_PATH = "/oauth2/v1/token"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
READ_SCOPES = frozenset({"okta.apps.read", "okta.apps.manage"})
MANAGE_SCOPES = frozenset({"okta.apps.manage"})
LOG_SCOPES = frozenset({"okta.logs.read"})
ALL_SCOPES = READ_SCOPES | MANAGE_SCOPES | LOG_SCOPES
LOGS_PATH = "/api/v1/logs"
TARGET_TERM = re.compile(r'target\.id eq "([^"]+)"')
TYPE_TERM = re.compile(r'eventType eq "([^"]+)"')
PUSH_FAILED = (
    "Automatic provisioning of user {user} to app Druva failed: Error while trying to push "
    "profile update for {user}: Authentication failed (401 Unauthorized)"
)


def key_pair() -> tuple[str, str]:
    """A fresh RSA key pair as (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def okta_error(
    status: int,
    code: str,
    summary: str,
    causes: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
) -> Reply:
    body = {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": f"oae{uuid.uuid4().hex[:22]}",
        "errorCauses": [{"errorSummary": cause} for cause in causes],
    }
    return Reply(status, body, headers=headers or {})


def rate_limited(reset_in: int, limit: int = 600) -> Reply:
    """A 429 whose window reopens `reset_in` seconds from now (Okta's epoch-second header)."""
    return okta_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        headers={
            "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": str(int(time.time()) + reset_in),
        },
    )


def oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply(status, {"error": error, "error_description": description})


class Okta(StandIn):
    """An Okta org accepting the API tokens in `api_tokens` and the service apps registered."""

    def __init__(self, *api_tokens: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.api_tokens = set(api_tokens)
        self.apps: dict[str, dict[str, Any]] = {}
        self.service_apps: dict[str, dict[str, Any]] = {}
        self.issued: dict[str, frozenset[str]] = {}
        """Access tokens handed out, with their scopes."""
        self.require_dpop = False
        self.assertions: list[dict[str, Any]] = []
        """Claims of every client assertion that verified."""
        self.log: list[dict[str, Any]] = []
        """The System Log's events, in any order (`push_event`)."""

    @property
    def url(self) -> str:
        return self.origin

    def add_app(
        self,
        app_id: str,
        status: str = "ENABLED",
        auth_scheme: str = "TOKEN",
        api_supported: bool = True,
    ) -> None:
        self.apps[app_id] = {
            "status": status if api_supported else "UNKNOWN",
            "authScheme": auth_scheme if api_supported else "UNKNOWN",
            "baseUrl": "https://apis.druva.com/insync/scim",
            "api_supported": api_supported,
        }

    def add_service_app(
        self,
        client_id: str,
        public_key: str,
        key_id: str,
        scopes: frozenset[str] = READ_SCOPES,
    ) -> None:
        self.service_apps[client_id] = {"key": public_key, "kid": key_id, "scopes": scopes}

    def handle(self, request: Request) -> Reply:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if request.path == LOGS_PATH and request.method == "GET":
            return self._logs(request)
        parts = request.path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "apps"] and parts[4:] == ["connections", "default"]:
            return self._connection(parts[3], request)
        return okta_error(404, "E0000022", "The endpoint does not support the provided HTTP method")

    def _scopes(self, request: Request) -> frozenset[str] | None:
        scheme, _, value = request.authorization.partition(" ")
        if scheme == "SSWS" and value in self.api_tokens:
            return ALL_SCOPES
        if scheme == "Bearer" and value in self.issued:
            return self.issued[value]
        return None

    def _connection(self, app_id: str, request: Request) -> Reply:
        scopes = self._scopes(request)
        if scopes is None:
            return okta_error(401, "E0000011", "Invalid token provided")
        needed = READ_SCOPES if request.method == "GET" else MANAGE_SCOPES
        if not scopes & needed:
            return okta_error(
                403, "E0000006", "You do not have permission to perform the requested action"
            )
        app = self.apps.get(app_id)
        if app is None:
            return okta_error(
                404, "E0000007", f"Not found: Resource not found: {app_id} (AppInstance)"
            )
        if request.method != "GET":
            return okta_error(
                405, "E0000022", "The endpoint does not support the provided HTTP method"
            )
        return Reply(200, _connection_body(app))

    def _logs(self, request: Request) -> Reply:
        scopes = self._scopes(request)
        if scopes is None:
            return okta_error(401, "E0000011", "Invalid token provided")
        if not scopes & LOG_SCOPES:
            return okta_error(
                403, "E0000006", "You do not have permission to perform the requested action"
            )
        query = request.query
        try:
            since = _time(query.get("since"))
            until = _time(query.get("until"))
            limit = min(int(query.get("limit", "100")), 1000)
            start = int(query.get("after", "0"))
        except ValueError:
            return okta_error(400, "E0000001", "Api validation failed: since")
        expression = query.get("filter", "")
        targets = set(TARGET_TERM.findall(expression))
        types = set(TYPE_TERM.findall(expression))
        matching = [
            event
            for event in self.log
            if (not targets or any(target["id"] in targets for target in event["target"]))
            and (not types or event["eventType"] in types)
            and (since is None or _time(event["published"]) >= since)  # type: ignore[operator]
            and (until is None or _time(event["published"]) < until)  # type: ignore[operator]
        ]
        matching.sort(
            key=lambda event: event["published"],
            reverse=query.get("sortOrder", "ASCENDING") == "DESCENDING",
        )
        page = matching[start : start + limit]
        links = [f'<{self.url}{LOGS_PATH}?{urlencode(query)}>; rel="self"']
        if start + limit < len(matching):
            following = urlencode({**query, "after": str(start + limit)})
            links.append(f'<{self.url}{LOGS_PATH}?{following}>; rel="next"')
        return Reply(200, page, headers={"Link": ", ".join(links)})

    def _token(self, request: Request) -> Reply:
        if request.authorization:
            return oauth_error(400, "invalid_request", "Cannot supply multiple client credentials.")
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            return oauth_error(400, "invalid_request", "Unsupported content type.")
        form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "The grant type is not supported.")
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            return oauth_error(401, "invalid_client", "Client authentication failed.")
        assertion = form["client_assertion"]
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            client = self.service_apps[unverified["iss"]]
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                client["key"],
                algorithms=["RS256"],
                audience=f"{self.url}{TOKEN_PATH}",
                issuer=unverified["iss"],
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
            )
        except (jwt.PyJWTError, KeyError):
            return oauth_error(401, "invalid_client", "The client_assertion signature is invalid.")
        if claims["sub"] != claims["iss"] or header.get("kid") != client["kid"]:
            return oauth_error(401, "invalid_client", "The client_assertion token is invalid.")
        if claims["exp"] - claims["iat"] > 3600:
            return oauth_error(
                401, "invalid_client", "The client_assertion token has an expiration too far."
            )
        if self.require_dpop:
            return oauth_error(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
        requested = frozenset(form.get("scope", "").split())
        if not requested or not requested <= client["scopes"]:
            return oauth_error(
                400,
                "invalid_scope",
                "The following scopes are not allowed: " + " ".join(sorted(requested)),
            )
        self.assertions.append(claims)
        access = secrets.token_urlsafe(24)
        self.issued[access] = requested
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": access,
                "scope": " ".join(sorted(requested)),
            },
        )


def _connection_body(app: dict[str, Any]) -> dict[str, Any]:
    scheme = app["authScheme"]
    body: dict[str, Any] = {
        "baseUrl": app["baseUrl"],
        "profile": {"authScheme": scheme},
        "status": app["status"],
        "_links": {
            "self": {"hints": {"allow": ["GET", "POST"]}},
            "deactivate": {"hints": {"allow": ["POST"]}},
        },
    }
    if scheme == "TOKEN":
        # Okta returns the top-level authScheme only for the TOKEN scheme.
        body["authScheme"] = "TOKEN"
    if scheme == "UNKNOWN":
        body = {"profile": {"authScheme": "UNKNOWN"}, "status": "UNKNOWN"}
    return body


def push_event(
    app_id: str,
    published: str,
    *,
    succeeded: bool = True,
    event_type: str = "application.provision.user.push_profile",
    user: str = "ada@example.com",
) -> dict[str, Any]:
    """One System Log event (Okta's LogEvent) of a push to the app `app_id`."""
    return {
        "uuid": str(uuid.uuid4()),
        "published": published,
        "eventType": event_type,
        "version": "0",
        "severity": "INFO" if succeeded else "ERROR",
        "legacyEventType": None,
        "displayMessage": "Push user's profile to external application",
        "actor": {"id": "0oa1okta", "type": "PublicClientApp", "displayName": "Okta"},
        "client": {"userAgent": None, "zone": None, "ipAddress": None},
        "outcome": {
            "result": "SUCCESS" if succeeded else "FAILURE",
            "reason": None if succeeded else PUSH_FAILED.format(user=user),
        },
        "target": [
            {"id": app_id, "type": "AppInstance", "alternateId": "Druva", "displayName": "Druva"},
            {"id": "00u1ada", "type": "User", "alternateId": user, "displayName": "Ada"},
        ],
        "transaction": {"type": "JOB", "id": f"prv{uuid.uuid4().hex[:17]}", "detail": {}},
        "debugContext": {"debugData": {}},
        "authenticationContext": {},
        "securityContext": {},
    }


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
