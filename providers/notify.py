"""Command line: the gate's and the health check's notifications, formatted and posted.

`providers.core.notify` says when a run notifies and which webhook each URL is; this module
writes the one message in each webhook's format and posts it under providers/http.py's
policy: retries, `Retry-After` and one deadline for all the posts of a run (RUN_SECONDS), so
a webhook that hangs or throttles never holds the command past it. A post that fails says so
on stderr, redacted, and never changes the exit code. docs/notifications.md.

The formats, as their vendors document them:
- Slack incoming webhooks: `{"text": …}` posted as JSON, `&`, `<` and `>` escaped
  (slackhq/slack-api-docs index_incoming_webhooks.md @ 13e7a01cc5fcc83e66e21282677032459a48b595,
  page_formatting.md @ 13edb4fdd2c4fe067e9f0961d5d5191bdb572eb7); 200 means posted, other
  statuses carry an error word (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks),
  429 a `Retry-After` (page_rate_limits.md @ 12921b1ae082be2b62e0a71a2df0c3d940869b74).
- Teams workflows ("When a Teams webhook request is received"): a message with one Adaptive
  Card attachment (MicrosoftDocs/msteams-docs
  msteams-platform/webhooks-and-connectors/how-to/connectors-using.md
  @ 08aa3ef255a8cf3b96943e6d2935240f23d0e44d); the trigger answers 202 Accepted
  (MicrosoftDocs/azure-docs articles/logic-apps/logic-apps-http-endpoint.md
  @ 029cfb568c21e5ef670a615411ba43c51c837140).
- JSON: exactly the command's `--json` document, for any receiver of one's own.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from providers import deadline, http
from providers.core import gate, health, redaction
from providers.core import notify as rules
from providers.core.errors import Cause, ProviderError

POLICY = http.HttpPolicy(
    connect_timeout=5.0,
    read_timeout=10.0,
    attempts=3,
    retry_after_max=10,
    deadline_seconds=20.0,
)
"""One post: three tries, a throttled webhook's Retry-After honoured up to 10 s, 20 s in all."""
RUN_SECONDS = 30.0
"""Every post of one run, whatever the number of webhooks, ends within this many seconds."""
RUN_BOUND = "the bound on one run's notifications"
CARD_VERSION = "1.2"
"""The Adaptive Card schema version of Microsoft's webhook example (connectors-using.md)."""
ANSWER_LIMIT = 200
"""Characters of a webhook's error answer quoted in a message (Slack's are one word)."""


@dataclass(frozen=True)
class Notice:
    """What one run says, in every format."""

    title: str
    """`Druva SCIM token: rotation-due`."""
    text: str
    """The command's one line for people."""
    lines: tuple[str, ...]
    """What follows it: each app's line, each pending hand-off."""
    document: Mapping[str, Any]
    """The command's `--json` document."""


def gate_notice(verdict: gate.Verdict, now: datetime) -> Notice:
    pending = tuple(f"{handoff.name}: {' '.join(handoff.steps)}" for handoff in verdict.handoffs)
    return Notice(
        f"Druva SCIM token: {verdict.status}", verdict.message, pending, verdict.as_json(now)
    )


def health_notice(report: health.Report) -> Notice:
    lines = tuple(app.line() for app in report.apps)
    return Notice(
        f"Provisioning health: {report.status}", report.summary(), lines, report.as_json()
    )


def payload(kind: str, notice: Notice) -> Any:
    """The document posted to a webhook of `kind` (slack, teams or json)."""
    if kind == rules.SLACK:
        text = "\n".join((f"*{notice.title}*", notice.text, *notice.lines))
        return {"text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    if kind == rules.TEAMS:
        title = {"type": "TextBlock", "text": notice.title, "weight": "Bolder", "size": "Medium"}
        body = [
            title,
            *(
                {"type": "TextBlock", "text": line, "wrap": True}
                for line in (notice.text, *notice.lines)
            ),
        ]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": body,
        }
        attachment = {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": card,
        }
        return {"type": "message", "attachments": [attachment]}
    return dict(notice.document)


def send(source: rules.Source, notice: Notice, policy: http.HttpPolicy | None = None) -> int:
    """Post `notice` to every webhook of `source`; say each failure on stderr. The number of
    webhooks that took it. Never raises: a notification never changes the command's outcome."""
    secrets = [part for url in source.urls for part in redaction.url_secrets(url)]
    chosen = policy or POLICY
    posted = 0
    try:
        with deadline.run(RUN_SECONDS, RUN_BOUND), http.new_session(chosen) as session:
            for index, text in enumerate(source.urls, 1):
                found = rules.webhook(text, index, source.name)
                if isinstance(found, str):
                    print(rules.not_read(found, secrets), file=sys.stderr)
                    continue
                reason = _post(session, found, notice, chosen)
                if reason is None:
                    posted += 1
                else:
                    print(rules.not_sent(found.name, reason, secrets), file=sys.stderr)
    except Exception as error:  # a notification never fails the command; say what broke
        print(rules.not_sent("the webhooks", type(error).__name__, secrets), file=sys.stderr)
    return posted


def _post(session: Any, hook: rules.Webhook, notice: Notice, policy: http.HttpPolicy) -> str | None:
    """Why `hook` did not take `notice`, or None when it did."""
    try:
        answer = http.call(
            session,
            "POST",
            hook.url,
            policy=policy,
            what=hook.name,
            authorization=None,
            headers={"Content-Type": "application/json"},
            json_body=payload(hook.kind, notice),
            redact=hook.secrets(),
        )
    except ProviderError as error:
        return str(error)
    if 200 <= answer.status < 300:
        return None
    said = redaction.excerpt(answer.body.decode("utf-8", "replace"), ANSWER_LIMIT, hook.secrets())
    # Every cause is worded alike: whatever a webhook refuses, the notice is not sent, and
    # the command's outcome stays (the one way from an answer to its words, http.answer_error).
    advice = {Cause.UNEXPECTED: "it answered HTTP {status}{detail} after {attempts} {tries}"}
    tries = "attempt" if answer.attempts == 1 else "attempts"
    detail = f": {said}" if said else ""
    return str(http.answer_error(answer, advice, detail=detail, tries=tries))


def notify(
    given: Sequence[str] | None,
    environ: Mapping[str, str],
    notice: Notice,
    policy: http.HttpPolicy | None = None,
) -> int:
    """`send` to the URLs of `--notify` or the environment, if any."""
    source = rules.urls(given, environ)
    return send(source, notice, policy) if source.urls else 0
