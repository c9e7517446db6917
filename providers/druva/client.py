"""Program and provider host: Druva inSync's SCIM endpoint, asked one question: is this token
accepted?

The request is the one Azure's Test Connection sends: a read-only user query
with a filter that matches nobody. It touches no user.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

import requests

from providers.core import lifecycle
from providers.core.errors import Cause, CouldNotCheckError, ProviderError, TokenRejectedError
from providers.core.redaction import excerpt
from providers.http import Answer, Client, HttpPolicy, answer_error

WHAT = "Druva's SCIM endpoint"
# A userName no directory will hold, so the query reads nothing and changes nothing.
PROBE_FILTER = 'userName eq "druva-scim-connection-check-00000000@invalid.example"'
SCIM_LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON_ACCEPT = {"Accept": "application/scim+json, application/json"}
COULD_NOT_CHECK = (
    "so whether Druva accepts the token could not be checked; nothing was changed. Druva does "
    "not document its refusal, and this answer is not recognisably Druva's: a proxy, firewall, "
    "IP allow-list or an outage may have given it. Check the network path to "
    "druva-scim:tenantUrl and run again; if the Druva console shows the token replaced or "
    "expired, rotate (docs/rotation.md)"
)

REJECTED = (
    WHAT + " at {tenant_url} rejected the token (HTTP {status}{detail}), the one with "
    "fingerprint {fingerprint} "
)
PASTED = REJECTED + (
    "just set in druva-scim:scimToken; nothing was changed. Most often it was pasted "
    "incompletely or is an older token: copy the newest token the console showed into "
    "`pulumi config set --secret druva-scim:scimToken` again, check that druva-scim:tenantUrl "
    "is its cloud's, and run again. Generate a new one only if the newest token is lost (the "
    "console shows a token once, and a new one ends the one before; docs/rotation.md)"
)
"""A token about to be written into the identity providers: a mis-paste is the likeliest cause,
and generating yet another token would not fix it."""
HELD = REJECTED + (
    "that the stack holds: it expired, was revoked, or a newer token was generated in the "
    "console. If a newer one was generated, finish that rotation with the newest token: set "
    "druva-scim:scimToken to it and run `pulumi up` (docs/rotation.md); generating another "
    "would end that one too. Generate a new one only if none was generated since this one"
)
"""A token read back by a refresh: it cannot know whether a rotation has begun since."""
NO_VERDICT = (
    WHAT + " at {tenant_url} answered HTTP {status} without a SCIM error body, " + COULD_NOT_CHECK
)
"""A 401 or 403 that is not Druva's SCIM error: a proxy's, a WAF's, an allow-list's."""


def check_token(
    session: requests.Session,
    tenant_url: str,
    token: str,
    policy: HttpPolicy,
    rejected: str = PASTED,
) -> Answer:
    """Return Druva's answer when it accepts the token; raise ProviderError otherwise.

    `rejected`: the words for Druva's own refusal, PASTED or HELD (the advice depends on
    whether the token is the one just set or the one the stack holds)."""
    druva = Client(
        session, policy, f"Bearer {token}", (token,), what=WHAT, headers=SCIM_JSON_ACCEPT
    )
    users_url = f"{tenant_url}/Users"
    answer = druva.send("GET", users_url, params={"filter": PROBE_FILTER, "count": "1"})
    if answer.status != 200:
        # Druva does not document which of 401 and 403 a dead token gets: both read alike, and
        # only its own SCIM error is a verdict on the token (`is_scim_error`).
        verdict = is_scim_error(answer)
        refusal = TokenRejectedError if verdict else CouldNotCheckError
        raise answer_error(
            answer,
            {
                Cause.UNAUTHORIZED: rejected if verdict else NO_VERDICT,
                Cause.FORBIDDEN: rejected if verdict else NO_VERDICT,
                Cause.NOT_FOUND: WHAT + " answered 404 for {users_url}: druva-scim:tenantUrl does "
                "not point at a SCIM base URL; remove it to use the `cloud` default, or copy the "
                "Tenant URL Druva documents (https://apis.druva.com/insync/scim)",
                Cause.REDIRECTED: WHAT + " at {tenant_url} redirected to {target}; the token is "
                "not sent on redirects. Set druva-scim:tenantUrl to the final SCIM base URL",
                Cause.UNAVAILABLE: WHAT + " at {tenant_url} still answered HTTP {status}{detail} "
                "after {attempts} attempts; Druva may be down or throttling: run again later",
                Cause.UNEXPECTED: WHAT + " at {tenant_url} answered HTTP {status}{detail} to a "
                "read-only user query; check druva-scim:tenantUrl",
            },
            kinds={
                Cause.UNAUTHORIZED: refusal,
                Cause.FORBIDDEN: refusal,
                Cause.UNAVAILABLE: CouldNotCheckError,
            },
            detail=scim_detail(answer, druva.secrets),
            tenant_url=tenant_url,
            fingerprint=lifecycle.fingerprint(token),
            users_url=users_url,
            target=redirect_target(answer, druva.secrets),
        )
    body = answer.json_or_none()
    schemas = body.get("schemas") if isinstance(body, dict) else None
    # A list of URNs (RFC 7644 section 3.4.2); `in` on a string would accept a substring.
    if not (
        isinstance(schemas, list)
        and all(isinstance(schema, str) for schema in schemas)
        and SCIM_LIST_RESPONSE in schemas
    ):
        raise ProviderError(
            f"{WHAT} at {tenant_url} answered 200 but not with a SCIM ListResponse; "
            "druva-scim:tenantUrl probably points at another service"
        )
    return answer


def scim_detail(answer: Answer, secrets: Collection[str]) -> str:
    """`: <detail>` from a SCIM Error body (RFC 7644 section 3.12), scrubbed of `secrets`."""
    body = answer.json_or_none()
    if not isinstance(body, dict):
        return ""
    detail = body.get("detail")
    if not isinstance(detail, str) or not detail.strip():
        return ""
    return f": {excerpt(detail, 300, secrets)}"


def redirect_target(answer: Answer, secrets: Collection[str]) -> str:
    """Where a redirect points, not what it carries: a login page's query may echo the token."""
    location = urlsplit(answer.headers.get("Location", ""))
    host = location.netloc.rpartition("@")[2]
    target = f"{location.scheme}://{host}{location.path}" if host else "elsewhere"
    return excerpt(target, 300, secrets)


def is_scim_error(answer: Answer) -> bool:
    """Whether the answer is a SCIM Error (RFC 7644 section 3.12): Druva's own verdict.

    Druva does not document its 401/403 bodies; only one in SCIM's error shape can be
    told apart from a proxy's, a WAF's or an allow-list's refusal (shared/DOMAIN.md).
    """
    body = answer.json_or_none()
    schemas = body.get("schemas") if isinstance(body, dict) else None
    return isinstance(schemas, list) and SCIM_ERROR in schemas
