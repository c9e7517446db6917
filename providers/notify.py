"""Command line: the gate's and the health check's notifications, formatted and posted.

`providers.core.notify` says when a run notifies and which webhook each URL is; this module
writes the one message in each webhook's format and posts it under providers/http.py's
policy: each webhook on its own, under a deadline of its own (POLICY), so a webhook that hangs
or throttles never holds the command past it nor keeps the message from the others, and the
whole run's posts end within POLICY.deadline_seconds per webhook. Only what a webhook cannot
have processed is sent again (a failure to connect, a 429): a slow answer or a 5xx may follow
a posted message. A post that fails says so on stderr, redacted, and never changes the exit
code; nor does a failure to build the message. docs/notifications.md.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from providers import deadline, http
from providers.core import gate, health, redaction
from providers.core import notify as rules
from providers.core.errors import Cause, ProviderError

POLICY = http.HttpPolicy(
    connect_timeout=5.0,
    # Longer than the deadline: a read that timed out is not retried, so the deadline ends a
    # post whose answer does not come, with the words for a hang, not a network's failure.
    read_timeout=30.0,
    attempts=3,
    retry_after_max=10,
    deadline_seconds=20.0,
    resend_processed=False,
)
"""One post: three tries of what the webhook cannot have processed, a throttled webhook's
Retry-After honoured up to 10 s, 20 s in all; each webhook has its own."""
POST_BOUND = "the bound on one webhook's post"
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


def send(
    source: rules.Source, build: Callable[[], Notice], policy: http.HttpPolicy | None = None
) -> int:
    """Post the notice `build` makes to every webhook of `source`, each on its own; say each
    failure on stderr. The number of webhooks that took it. Never raises: a notification,
    its making included, never changes the command's outcome."""
    secrets = [part for url in source.urls for part in redaction.url_secrets(url)]
    chosen = policy or POLICY
    posted = 0
    try:
        notice = build()
        with http.new_session(chosen) as session:
            for index, text in enumerate(source.urls, 1):
                found = rules.webhook(text, index, source.name)
                if isinstance(found, str):
                    print(rules.not_read(found, secrets), file=sys.stderr)
                    continue
                # A run of its own: what another webhook on the same host did is not held
                # against this one (all of Slack's share hooks.slack.com).
                with deadline.run(chosen.deadline_seconds, POST_BOUND):
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
        document = payload(hook.kind, notice)
    except Exception as error:  # one format's failure keeps the message from the others
        return type(error).__name__
    try:
        answer = http.call(
            session,
            "POST",
            hook.url,
            policy=policy,
            # "Notification not sent to <its name>: it ...": named once, by not_sent.
            what="it",
            authorization=None,
            headers={"Content-Type": "application/json"},
            json_body=document,
            redact=hook.secrets(),
            where="it",
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
    build: Callable[[], Notice],
    policy: http.HttpPolicy | None = None,
) -> int:
    """`send` to the URLs of `--notify` or the environment, if any."""
    source = rules.urls(given, environ)
    return send(source, build, policy) if source.urls else 0
