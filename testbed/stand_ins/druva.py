"""Druva inSync's SCIM 2.0 endpoint, as far as a token check reaches it.

Answers from the corpus (testbed/corpus/druva/), as RFC 7644 defines a SCIM service, since
Druva documents nothing beyond the Tenant URL and the bearer token: `GET {base}/Users` with
an accepted token and a filter that parses gives the ListResponse of a filter that matches
nobody (users-no-match); a filter that does not parse, the 400 invalidFilter Error; a token
not accepted, the 401 Error (a variation: Druva does not document its 401 body); any other
path, the 404 Error. All are `application/scim+json`.

Variations made here, and why: the 404's `detail` names the path asked for instead of the
RFC example's resource id, so that a failure message shows what was asked; a method other
than GET gets a 501 Error (Table 8's "Service provider does not support the request
operation"), since the stand-in serves only what a token check does.
"""

from __future__ import annotations

import re

from testbed import corpus
from testbed.stand_ins.server import Reply, Request, StandIn

BASE_PATH = "/insync/scim"
SCIM_JSON = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
FILTER = re.compile(
    r'^\s*[A-Za-z][\w.:$-]*\s+(eq|ne|co|sw|ew|gt|lt|ge|le)\s+("([^"\\]|\\.)*"|true|false|null|'
    r"-?\d+(\.\d+)?)\s*$|^\s*[A-Za-z][\w.:$-]*\s+pr\s*$",
    re.IGNORECASE,
)
"""One attribute expression of RFC 7644 section 3.4.2.2 (Figure 1): `attrPath op value` or
`attrPath pr`; enough for a token check, which sends one `userName eq "..."`."""


def from_corpus(name: str, **detail: str) -> Reply:
    """The corpus payload `druva/<name>`, its detail replaced if `detail` is given."""
    payload = corpus.load("druva", name)
    body = payload.copy_of_body()
    if detail:
        body["detail"] = detail["detail"]
    return Reply(payload.status, body, content_type=payload.headers["Content-Type"])


def scim_error(status: int, detail: str, headers: dict[str, str] | None = None) -> Reply:
    """A SCIM Error (RFC 7644 section 3.12's form) for a status the corpus has no file for;
    for the tests that make a stand-in fail on purpose."""
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
            return from_corpus("error-404", detail=f"Resource {request.path} not found")
        scheme, _, token = request.authorization.partition(" ")
        if scheme != "Bearer" or token not in self.accepted:
            return from_corpus("error-401")
        if request.method != "GET":
            return scim_error(501, "Service provider does not support the request operation")
        query = request.query.get("filter")
        if query is not None and not FILTER.match(query):
            return from_corpus("error-400-invalid-filter")
        return from_corpus("users-no-match")
