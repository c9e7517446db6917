"""Provider host: Druva inSync's SCIM endpoint, asked one question: is this token accepted?

The request is the one Azure's Test Connection sends: a read-only user query
with a filter that matches nobody. It touches no user.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from providers.core.errors import CouldNotCheckError, ProviderError, TokenRejectedError
from providers.core.redaction import excerpt
from providers.http import Answer, Client, HttpPolicy

WHAT = "Druva's SCIM endpoint"
# A userName no directory will hold, so the query reads nothing and changes nothing.
PROBE_FILTER = 'userName eq "druva-scim-connection-check-00000000@invalid.example"'
SCIM_LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
COULD_NOT_CHECK = (
    "so whether Druva accepts the token could not be checked; nothing was changed. A proxy, "
    "firewall, IP allow-list or an outage answers like this, not Druva's verdict on the "
    "token: do not generate a new token for it. Check the network path to "
    "druva-scim:tenantUrl and run again"
)


def check_token(
    session: requests.Session, tenant_url: str, token: str, policy: HttpPolicy
) -> Answer:
    """Return Druva's answer when it accepts the token; raise ProviderError otherwise."""
    druva = DruvaScim(session, policy, tenant_url, token)
    answer = druva.send(
        "GET",
        druva.users_url,
        headers={"Accept": "application/scim+json, application/json"},
        params={"filter": PROBE_FILTER, "count": "1"},
    )
    if answer.status != 200:
        raise druva.failure(answer, "check the token")
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


class DruvaScim(Client):
    """Druva's words for each failure: only its own SCIM error is a verdict on the token."""

    what = WHAT

    def __init__(
        self, session: requests.Session, policy: HttpPolicy, tenant_url: str, token: str
    ) -> None:
        super().__init__(session, policy, f"Bearer {token}", (token,))
        self.tenant_url = tenant_url
        self.users_url = f"{tenant_url}/Users"

    def detail(self, answer: Answer) -> str:
        """`: <detail>` from a SCIM Error body (RFC 7644 section 3.12), scrubbed of the token."""
        body = answer.json_or_none()
        if not isinstance(body, dict):
            return ""
        detail = body.get("detail")
        if not isinstance(detail, str) or not detail.strip():
            return ""
        return f": {excerpt(detail, 300, self.secrets)}"

    def unauthorized(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        if is_scim_error(answer):
            return TokenRejectedError(
                f"{WHAT} at {self.tenant_url} rejected the token (HTTP {answer.status}{detail}): "
                "it has expired, was revoked, or was superseded by a newer token generated in "
                "the console. Generate a new one and set druva-scim:scimToken (README, section "
                "Rotation)"
            )
        return CouldNotCheckError(
            f"{WHAT} at {self.tenant_url} answered HTTP {answer.status} without a SCIM error "
            "body, " + COULD_NOT_CHECK
        )

    # Druva does not document which of 401 and 403 a dead token gets: both are read alike.
    forbidden = unauthorized

    def not_found(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        return ProviderError(
            f"{WHAT} answered 404 for {self.users_url}: druva-scim:tenantUrl does not point at a "
            "SCIM base URL; remove it to use the `cloud` default, or copy the Tenant URL Druva "
            "documents (https://apis.druva.com/insync/scim)"
        )

    def redirected(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        # Where it points, not what it carries: a login page's query may echo the token.
        location = urlsplit(answer.headers.get("Location", ""))
        host = location.netloc.rpartition("@")[2]
        target = excerpt(
            f"{location.scheme}://{host}{location.path}" if host else "elsewhere",
            300,
            self.secrets,
        )
        return ProviderError(
            f"{WHAT} at {self.tenant_url} redirected to {target}; the token is not sent on "
            "redirects. Set druva-scim:tenantUrl to the final SCIM base URL"
        )

    def unavailable(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        return CouldNotCheckError(
            f"{WHAT} at {self.tenant_url} still answered HTTP {answer.status}{detail} after "
            f"{answer.attempts} attempts; Druva may be down or throttling: run again later"
        )

    def unexpected(self, answer: Answer, detail: str, doing: str) -> ProviderError:
        return ProviderError(
            f"{WHAT} at {self.tenant_url} answered HTTP {answer.status}{detail} to a read-only "
            "user query; check druva-scim:tenantUrl"
        )


def is_scim_error(answer: Answer) -> bool:
    """Whether the answer is a SCIM Error (RFC 7644 section 3.12): Druva's own verdict.

    Druva does not document its 401/403 bodies; only one in SCIM's error shape can be
    told apart from a proxy's, a WAF's or an allow-list's refusal (shared/DOMAIN.md).
    """
    body = answer.json_or_none()
    schemas = body.get("schemas") if isinstance(body, dict) else None
    return isinstance(schemas, list) and SCIM_ERROR in schemas
