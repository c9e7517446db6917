"""Program, provider host and command line: Okta's Application Connections API: is the app's
provisioning connection on, with a token?

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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from providers.core.errors import ProviderError
from providers.http import HttpPolicy
from providers.okta.client import WHAT, Okta
from providers.okta.sign_in import OktaAuthorization


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
    okta = Okta.about(session, policy, org_url, authorization, app_id, app_name)
    answer = okta.send("GET", connection_url(org_url, app_id))
    body = answer.json_or_none()
    if answer.status == 200 and isinstance(body, dict):
        return parse_connection(body)
    raise okta.failure(answer, "read")


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
    if connection.status == "UNKNOWN" or connection.auth_scheme == "UNKNOWN":
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
