"""Druva inSync's SCIM 2.0 endpoint, as far as a token check reaches it.

Answers as RFC 7644 says and Druva documents: `GET {base}/Users` with a bearer
token gives a ListResponse; a bad token gives a SCIM Error with 401; both are
`application/scim+json`.
"""

from __future__ import annotations

from testbed.stand_ins.server import Reply, Request, StandIn

BASE_PATH = "/insync/scim"
SCIM_JSON = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def scim_error(status: int, detail: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"schemas": [ERROR], "status": str(status), "detail": detail}
    return Reply(status, body, headers=headers or {}, content_type=SCIM_JSON)


class DruvaScim(StandIn):
    """Accepts exactly the tokens in `accepted`; a test may change the set at any time."""

    def __init__(self, *accepted: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.accepted = set(accepted)

    @property
    def url(self) -> str:
        return self.origin + BASE_PATH

    def handle(self, request: Request) -> Reply:
        if request.path.rstrip("/") != f"{BASE_PATH}/Users":
            return scim_error(404, f"Resource {request.path} not found")
        scheme, _, token = request.authorization.partition(" ")
        if scheme != "Bearer" or token not in self.accepted:
            return scim_error(401, "Authorization failure. The token is invalid or expired.")
        if request.method != "GET":
            return scim_error(405, "Only GET is supported by this stand-in")
        return Reply(
            200,
            {
                "schemas": [LIST_RESPONSE],
                "totalResults": 0,
                "itemsPerPage": 0,
                "startIndex": 1,
                "Resources": [],
            },
            content_type=SCIM_JSON,
        )
