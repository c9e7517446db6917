"""Webhooks as the gate's and the health check's notifications reach them: Slack's incoming
webhooks, a Teams workflow's Request trigger, and a JSON receiver of one's own.

One server, three kinds, each at `/<kind>/<secret>` (the secret in the path, as Slack's and
a workflow's URLs carry theirs). Slack: a JSON object with `text` is posted (200 `ok`,
slack-posted); anything else is invalid_payload (400, slack-invalid-payload); another secret
is channel_not_found (404, slack-channel-not-found). Teams: any post is accepted (202, no body:
teams-accepted), as a workflow's trigger answers before its flow reads the card. JSON: 200.
Every post is recorded; `posts(kind)` are the documents each received.

Variations, and why: Slack answers a post without `text` with invalid_payload, the one 400 the
changelog documents for a payload it cannot use (a body without text is one); a Slack secret
that is not the stand-in's is channel_not_found, Slack's 404 for a destination that is gone;
the JSON receiver is not a vendor's, so it answers 200 with no body.
"""

from __future__ import annotations

import json
from typing import Any

from testbed import corpus
from testbed.stand_ins.server import Reply, Request, StandIn

SECRET = "Xq7Lr2Vn9Ws4Kd8Hj3Tb6Fz1"
"""The path's secret: 24 characters, like the one in Slack's documented URL."""
KINDS = ("slack", "teams", "json")


def from_corpus(name: str) -> Reply:
    payload = corpus.load("webhook", name)
    body = payload.body.encode("utf-8") if isinstance(payload.body, str) else payload.body
    headers = {k: v for k, v in payload.headers.items() if k != "Content-Type"}
    content_type = payload.headers.get("Content-Type", "application/json")
    return Reply(payload.status, body, headers=headers, content_type=content_type)


def rate_limited(retry_after: str) -> Reply:
    """Slack's 429 (slack-rate-limited), with the Retry-After a test chooses."""
    reply = from_corpus("slack-rate-limited")
    reply.headers["Retry-After"] = retry_after
    return reply


class Webhooks(StandIn):
    def url(self, kind: str) -> str:
        """The webhook's URL, with the prefix that names its format (a 127.0.0.1 host has none
        of Slack's or Teams')."""
        return f"{kind}+{self.origin}/{kind}/{SECRET}"

    def posts(self, kind: str) -> list[Any]:
        return [
            _document(request)
            for request in self.requests
            if request.method == "POST" and request.path.startswith(f"/{kind}/")
        ]

    def handle(self, request: Request) -> Reply:
        kind, _, secret = request.path.strip("/").partition("/")
        if request.method != "POST" or kind not in KINDS:
            return Reply(404, b"", content_type="text/html")
        if kind == "teams":
            return from_corpus("teams-accepted")
        if kind == "json":
            return Reply(200, b"")
        if secret != SECRET:
            return from_corpus("slack-channel-not-found")
        document = _document(request)
        if not isinstance(document, dict) or not isinstance(document.get("text"), str):
            return from_corpus("slack-invalid-payload")
        return from_corpus("slack-posted")


def _document(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None
