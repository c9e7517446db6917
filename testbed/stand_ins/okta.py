"""Okta's Application Connections API, System Log and org token endpoint, answering from the
corpus (testbed/corpus/okta), adapted only as each payload's `varies` says.

The default provisioning connection (`GET` and `POST /api/v1/apps/{appId}/connections/default`,
`POST .../lifecycle/activate`): an ENABLED token connection is the spec's Org2Org example, a
DISABLED one the okta provider's recorded answer, an OAUTH2 one the spec's Office 365 example,
and an app whose connection the API does not manage answers 200 with status and authScheme
UNKNOWN, to a POST as to a GET, and keeps no token (`connection-unknown`). Errors are the
spec's examples (401 E0000011, 403 E0000006, 404 E0000007, 400 E0000001) and rate limits the
documented 429 E0000047 with X-Rate-Limit-* headers. API tokens are `SSWS <token>`; service
apps sign in at /oauth2/v1/token with a private-key JWT, verified with the registered key.

The System Log (`GET /api/v1/logs`, scope okta.logs.read) serves the events in `log`
(`push_event` builds them from `logs-provisioning-page`): filtered by `filter`
(`target.id eq "..."` and `eventType eq "..."` terms), `since` and `until`, sorted by
`sortOrder`, `limit` per page, with a `link` header holding rel="self" and, while more events
match, rel="next" (an `after` cursor), as `logs-link-header` shows.
"""

from __future__ import annotations

import copy
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

from testbed import corpus
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
DRUVA_TENANT = "https://apis.druva.com/insync/scim"
APP_LINK = re.compile(r"^.*?/api/v1/apps/[^/]+/")
"""Where a documented connection link names its org and app."""

OUTCOMES: dict[str, tuple[str, str, str | None]] = {
    "success": ("application.provision.user.push", "SUCCESS", None),
    "conflict": ("application.provision.user.push", "FAILURE", "Conflict"),
    "unauthorized": ("application.provision.user.push_profile", "FAILURE", "Unauthorized"),
    "forbidden": ("application.provision.user.push_profile", "FAILURE", "Forbidden"),
    "bad-request": ("application.provision.user.push_profile", "FAILURE", "Bad Request"),
    "authentication-failure": ("application.integration.authentication_failure", "FAILURE", None),
    "skipped": ("application.provision.user.deactivate", "SKIPPED", None),
    "deferred": ("application.provision.user.push", "DEFERRED", None),
    "scheduled": ("application.provision.user.push_profile", "SCHEDULED", None),
    "unknown": ("application.provision.user.reactivate", "UNKNOWN", None),
    "rate-limit": ("application.provision.user.push_profile", "RATE_LIMIT", None),
}
"""The events of the corpus' System Log page by name: (eventType, outcome.result, a word of
the reason)."""


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


def documented(
    name: str, summary: str | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """The corpus' payload `name` as a reply; `summary` fills an error summary's `{0}`."""
    payload = corpus.load("okta", name)
    body = payload.copy_of_body()
    if summary is not None and isinstance(body, dict):
        body["errorSummary"] = body["errorSummary"].replace("{0}", summary)
    return Reply(payload.status, body, headers={**payload.headers, **(headers or {})})


def okta_error(
    status: int,
    code: str,
    summary: str,
    causes: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error in Okta's documented shape (the spec's Error object, as `error-invalid-token`)
    with the code, summary and causes a test chooses, for faults the corpus has no example of."""
    body = corpus.body("okta", "error-invalid-token")
    body.update(
        errorCode=code,
        errorSummary=summary,
        errorLink=code,
        errorId=f"oae{uuid.uuid4().hex[:22]}",
        errorCauses=[{"errorSummary": cause} for cause in causes],
    )
    return Reply(status, body, headers=headers or {})


def rate_limited(reset_in: int, limit: int = 600) -> Reply:
    """Okta's documented 429 whose window reopens `reset_in` seconds from now."""
    return documented(
        "error-rate-limit",
        headers={
            "X-Rate-Limit-Limit": str(limit),
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
        """An app; `api_supported=False` is one whose connection the API does not manage."""
        self.apps[app_id] = {
            "status": status if api_supported else "UNKNOWN",
            "authScheme": auth_scheme if api_supported else "UNKNOWN",
            "baseUrl": DRUVA_TENANT,
            "token": None,
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
        if parts[:3] == ["api", "v1", "apps"] and parts[4:6] == ["connections", "default"]:
            return self._connection(parts[3], parts[6:], request)
        return documented("error-not-found", request.path)

    def _scopes(self, request: Request) -> frozenset[str] | None:
        scheme, _, value = request.authorization.partition(" ")
        if scheme == "SSWS" and value in self.api_tokens:
            return ALL_SCOPES
        if scheme == "Bearer" and value in self.issued:
            return self.issued[value]
        return None

    def _connection(self, app_id: str, rest: list[str], request: Request) -> Reply:
        scopes = self._scopes(request)
        if scopes is None:
            return documented("error-invalid-token")
        needed = READ_SCOPES if request.method == "GET" else MANAGE_SCOPES
        if not scopes & needed:
            return documented("error-access-denied")
        app = self.apps.get(app_id)
        if app is None:
            return documented("error-not-found", f"Resource not found: {app_id} (AppInstance)")
        if request.method == "GET" and not rest:
            return self._connection_reply(app_id, app)
        if request.method == "POST" and not rest:
            return self._set_connection(app_id, app, request)
        if request.method == "POST" and rest == ["lifecycle", "activate"]:
            # Okta documents no answer for activating a connection it does not manage: the
            # stand-in leaves such an app UNKNOWN, as its POST does.
            if app["authScheme"] != "UNKNOWN":
                app["status"] = "ENABLED"
            return documented("connection-activate")
        return documented("error-not-found", request.path)

    def _set_connection(self, app_id: str, app: dict[str, Any], request: Request) -> Reply:
        # An app the API does not manage answers 200 UNKNOWN and keeps nothing (connection-unknown).
        if app["authScheme"] == "UNKNOWN":
            return self._connection_reply(app_id, app)
        profile = (request.json() or {}).get("profile") or {}
        if profile.get("authScheme") != "TOKEN" or not profile.get("token"):
            return documented("error-validation", "profile")
        app.update(authScheme="TOKEN", token=profile["token"])
        app["baseUrl"] = (request.json() or {}).get("baseUrl") or app["baseUrl"]
        app["status"] = (
            "ENABLED" if request.query.get("activate", "").lower() == "true" else ("DISABLED")
        )
        return self._connection_reply(app_id, app)

    def _connection_reply(self, app_id: str, app: dict[str, Any]) -> Reply:
        if app["authScheme"] == "UNKNOWN":
            return documented("connection-unknown")
        if app["authScheme"] == "TOKEN":
            name = (
                "connection-token-enabled"
                if app["status"] == "ENABLED"
                else ("connection-token-disabled")
            )
        else:
            name = "connection-oauth"
        reply = documented(name)
        body = _links_at(reply.body, self.url, app_id)
        body["status"] = app["status"]
        if "baseUrl" in body:
            body["baseUrl"] = app["baseUrl"]
        return Reply(reply.status, body, headers=reply.headers)

    def _logs(self, request: Request) -> Reply:
        scopes = self._scopes(request)
        if scopes is None:
            return documented("error-invalid-token")
        if not scopes & LOG_SCOPES:
            return documented("error-access-denied")
        query = request.query
        parameter = "since"
        try:
            since = _parsed_time(query.get("since"))
            parameter = "until"
            until = _parsed_time(query.get("until"))
            parameter = "limit"
            limit = min(int(query.get("limit", "100")), 1000)
            parameter = "after"
            start = int(query.get("after", "0"))
        except ValueError:
            return documented("error-validation", parameter)
        expression = query.get("filter", "")
        targets = set(TARGET_TERM.findall(expression))
        types = set(TYPE_TERM.findall(expression))
        matching = [
            event
            for event in self.log
            if (not targets or any(target["id"] in targets for target in event["target"]))
            and (not types or event["eventType"] in types)
            and (since is None or _parsed_time(event["published"]) >= since)  # type: ignore[operator]
            and (until is None or _parsed_time(event["published"]) < until)  # type: ignore[operator]
        ]
        matching.sort(
            key=lambda event: event["published"],
            reverse=query.get("sortOrder", "ASCENDING") == "DESCENDING",
        )
        page = matching[start : start + limit]
        return Reply(200, page, headers=self.page_links(query, start + limit, len(matching)))

    def page_links(self, query: dict[str, str], following: int, total: int) -> dict[str, str]:
        """The `link` header of a System Log page (logs-link-header): rel="self", and rel="next"
        while more events match."""
        headers = corpus.load("okta", "logs-link-header").headers
        links = [f'<{self.url}{LOGS_PATH}?{urlencode(query)}>; rel="self"']
        if following < total:
            cursor = urlencode({**query, "after": str(following)})
            links.append(f'<{self.url}{LOGS_PATH}?{cursor}>; rel="next"')
        return {**headers, "link": ", ".join(links)}

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


def _links_at(body: dict[str, Any], origin: str, app_id: str) -> dict[str, Any]:
    """The documented body with its connection links at this org and app (the payloads'
    `varies`); a link elsewhere (Office 365's `authorize`) stays as documented."""
    found: dict[str, Any] = copy.deepcopy(body)
    for link in (found.get("_links") or {}).values():
        href = link.get("href") if isinstance(link, dict) else None
        if isinstance(href, str):
            link["href"] = APP_LINK.sub(f"{origin}/api/v1/apps/{app_id}/", href)
    return found


def push_event(
    app_id: str,
    published: str,
    *,
    outcome: str | None = None,
    succeeded: bool = True,
    event_type: str | None = None,
    user: str = "ada@example.com",
) -> dict[str, Any]:
    """One System Log event about the app `app_id`, the corpus' event named `outcome` (OUTCOMES)
    at `published` with a fresh uuid and `user` as the user targeted.

    Without `outcome`, `succeeded` picks the push's SUCCESS or its credential FAILURE (401,
    Unauthorized); `event_type` replaces the event type, for events the page has no example of.
    """
    name = outcome or ("success" if succeeded else "unauthorized")
    wanted_type, result, word = OUTCOMES[name]
    event: dict[str, Any] = next(
        copy.deepcopy(event)
        for event in corpus.load("okta", "logs-provisioning-page").body
        if event["eventType"] == wanted_type
        and event["outcome"]["result"] == result
        and (word is None or word in (event["outcome"]["reason"] or ""))
    )
    event["uuid"] = str(uuid.uuid4())
    event["published"] = published
    if event_type is not None:
        event["eventType"] = event_type
    if event["outcome"]["reason"]:
        event["outcome"]["reason"] = event["outcome"]["reason"].replace("ada@example.com", user)
    for target in event["target"]:
        if target["type"] == "AppInstance":
            target["id"] = app_id
        else:
            target.update(
                alternateId=user,
                id=f"{target['id'][:3]}{uuid.uuid5(uuid.NAMESPACE_URL, user).hex[:17]}",
            )
    return event


def _parsed_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
