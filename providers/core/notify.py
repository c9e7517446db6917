"""Any process: when the gate and the health check notify, and where: pure, no I/O, no clock.

A run notifies when its verdict needs a person (docs/notifications.md): the gate when the
token has expired, outputs are unusable or a hand-off is pending, and, while rotation is
merely due, only on the day the days left reach one of THRESHOLDS; the health check when
it is not healthy. No state is kept: `gate_posts` is a function of the verdict and the
time, so a daily run posts once per threshold and the day after posts nothing.

Each URL is a secret (its path or query lets anyone post): it is never shown, only the
webhook's kind, its place in the list and its host (`Webhook.name`), and its secret parts
(`redaction.url_secrets`) are redacted from every message. Its format comes from its host
(`hooks.slack.com` Slack, `*.logic.azure.com` a Teams workflow) or a prefix (`slack+`,
`teams+`, `json+`), which wins. The sending is providers/notify.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from providers.core import gate, health, redaction

VARIABLE = redaction.SECRET_URL_VARIABLES[0]
"""DRUVA_SCIM_NOTIFY_URLS: the URLs, separated by white space (spaces or new lines)."""
OPTION = "--notify"
DOCS = "docs/notifications.md"
THRESHOLDS = (30, 14, 7, 3, 1)
"""While rotation is due, the days left on which the gate notifies: on the run where
`lifecycle.Lifecycle.days_left` (whole days to expiry, rounded down, as the gate prints them)
equals one of them, that is the 24 hours after expiry minus N+1 days up to expiry minus N
days. Also on the run in the first 24 hours of rotation being due (BECAME_DUE): with the
default rotateBeforeDays of 30, days left is 30 only at the instant rotation becomes due."""
BECAME_DUE = timedelta(days=1)

SLACK, TEAMS, JSON = "slack", "teams", "json"
KINDS = {SLACK: "Slack", TEAMS: "Teams workflow", JSON: "JSON"}
"""Each format as messages name it; also the prefix that chooses it (`slack+https://…`)."""
SLACK_HOST = "hooks.slack.com"
"""Slack's incoming webhooks: https://hooks.slack.com/services/T…/B…/… (slackhq/slack-api-docs
index_incoming_webhooks.md @ 13e7a01cc5fcc83e66e21282677032459a48b595)."""
TEAMS_HOST_SUFFIX = ".logic.azure.com"
"""A workflow's Request trigger: https://prod-00.southcentralus.logic.azure.com:443/workflows/…
(MicrosoftDocs/azure-docs articles/logic-apps/logic-apps-http-endpoint.md
@ 029cfb568c21e5ef670a615411ba43c51c837140). Workflows on other hosts take `teams+`."""
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
"""Hosts a plain-http URL may name: its secret never leaves the machine."""
UNEXPANDED = f"$({VARIABLE})"
"""What Azure Pipelines passes for a secret variable that is not defined: its macro as written."""


def add_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        OPTION,
        action="append",
        metavar="URL",
        help=f"post a message to this webhook when the verdict needs a person (repeatable; "
        f"instead of {VARIABLE}); Slack, Teams workflow or JSON, see {DOCS}",
    )


@dataclass(frozen=True)
class Source:
    """Where the URLs came from, as messages name it: `--notify` or the variable."""

    name: str
    urls: tuple[str, ...]


def urls(given: Sequence[str] | None, environ: Mapping[str, str]) -> Source:
    """`--notify`'s URLs when given, else the variable's; none when neither is set."""
    if given:
        return Source(OPTION, tuple(url.strip() for url in given if url.strip()))
    value = environ.get(VARIABLE, "")
    if value.strip() == UNEXPANDED:
        return Source(VARIABLE, ())
    return Source(VARIABLE, tuple(value.split()))


def gate_posts(verdict: gate.Verdict, now: datetime) -> bool:
    """Whether a gate run with this verdict at `now` notifies (see THRESHOLDS)."""
    if verdict.exit_code == gate.OK:
        return False
    if verdict.status == "rotation-due" and not verdict.handoffs:
        became_due = verdict.rotate_after is not None and now - verdict.rotate_after < BECAME_DUE
        return became_due or verdict.days_left in THRESHOLDS
    return True


def health_posts(report: health.Report) -> bool:
    """Whether a health run notifies: whenever it is not healthy. A healthy run whose token
    is due posts nothing: the countdown is the gate's, which the same pipeline runs."""
    return report.status != health.HEALTHY


@dataclass(frozen=True)
class Webhook:
    kind: str
    """slack, teams or json."""
    url: str
    """Without the prefix: what is posted to."""
    name: str
    """How messages name it: `the Slack webhook 1 of --notify (hooks.slack.com)`."""

    def secrets(self) -> list[str]:
        return redaction.url_secrets(self.url)


def webhook(text: str, index: int, source: str) -> Webhook | str:
    """The webhook `text` names, or why it names none (a sentence that never quotes it)."""
    scheme, _, rest = text.partition("://")
    kind, plus, scheme = scheme.rpartition("+") if "+" in scheme else ("", "", scheme)
    url = f"{scheme}://{rest}"
    where = f"URL {index} of {source}"
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    if scheme.lower() not in ("https", "http") or not host:
        return f"{where} is not an https:// URL"
    if scheme.lower() == "http" and host not in LOOPBACK:
        return f"{where} uses plain http, which would send its secret in the clear; use https"
    if plus and kind.lower() not in KINDS:
        return f"{where} starts with an unknown format {kind.lower()}+; use slack+, teams+ or json+"
    chosen = kind.lower() or _kind_of(host)
    if chosen is None:
        return (
            f"{where} is neither Slack's ({SLACK_HOST}) nor a Teams workflow's "
            f"(*{TEAMS_HOST_SUFFIX}) host; put slack+, teams+ or json+ before it"
        )
    return Webhook(chosen, url, f"the {KINDS[chosen]} webhook {index} of {source} ({host})")


def _kind_of(host: str) -> str | None:
    if host == SLACK_HOST:
        return SLACK
    if host.endswith(TEAMS_HOST_SUFFIX):
        return TEAMS
    return None


NOT_SENT = "Notification not sent to {name}: {reason}; the exit code is unchanged ({docs})"
"""Every failure to notify, on stderr: a notification never changes what the exit code means."""
NOT_READ = "Notification not sent: {problem} ({docs})"
"""A URL that names no webhook: the others are still posted to."""


def not_sent(name: str, reason: str, secrets: Sequence[str]) -> str:
    return redaction.redact(NOT_SENT.format(name=name, reason=reason, docs=DOCS), secrets)


def not_read(problem: str, secrets: Sequence[str]) -> str:
    return redaction.redact(NOT_READ.format(problem=problem, docs=DOCS), secrets)
