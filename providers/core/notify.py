"""Any process: when the gate and the health check notify, and where: pure, no I/O, no clock.

A run notifies when its verdict needs a person (docs/notifications.md): the gate when the
token has expired, outputs are unusable or a hand-off is pending, and, while rotation is
merely due, only on the UTC date the days left reach one of THRESHOLDS; the health check when
it is not healthy. No state is kept: `gate_posts` is a function of the verdict and the UTC
date, so a daily run posts once per threshold, at whatever time of day it starts, and the day
after posts nothing.

Each URL is a secret (its path, its query or its host lets anyone post): it is never shown,
only the webhook's kind, its place in the list and, for Slack's and Teams' public hosts, its
host (`Webhook.name`), and its secret parts (`redaction.url_secrets`) are redacted from every
message. Its format comes from its host
(`hooks.slack.com` Slack, `*.logic.azure.com` a Teams workflow) or a prefix (`slack+`,
`teams+`, `json+`), which wins. The sending is providers/notify.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from providers.core import gate, health, redaction

VARIABLE = redaction.SECRET_URL_VARIABLES[0]
"""DRUVA_SCIM_NOTIFY_URLS: the URLs, separated by white space (spaces or new lines)."""
OPTION = "--notify"
DOCS = "docs/notifications.md"
THRESHOLDS = (30, 14, 7, 3, 1)
"""While rotation is due, the days left on which the gate notifies, counted in UTC calendar
dates (`calendar_days_left`): every run on that UTC date answers alike, whatever its time of
day or its scheduler's delay, so a daily run posts once per threshold. Also on the first UTC
date that rotation is due all day (`first_due_date`), which stands for every threshold of
that date or before it."""

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
"""What Azure Pipelines passes for a secret variable that is not defined: its macro as written
("If there's no variable by that name, the macro expression doesn't change",
https://learn.microsoft.com/azure/devops/pipelines/process/variables, macro syntax)."""


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
    # A due verdict always has both dates (gate.evaluate): the test of them is for the types.
    expires, due = verdict.expires_at, verdict.rotate_after
    if verdict.status == "rotation-due" and not verdict.handoffs and expires and due:
        today, first = utc_date(now), first_due_date(due)
        left = calendar_days_left(expires, now)
        return today == first or (today > first and left in THRESHOLDS)
    return True


def utc_date(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def calendar_days_left(expires_at: datetime, now: datetime) -> int:
    """UTC dates from `now`'s to the expiry's: 1 on the day before the day it expires."""
    return (utc_date(expires_at) - utc_date(now)).days


def first_due_date(rotate_after: datetime) -> date:
    """The first UTC date on which rotation is due all day: `rotateAfter`'s own only when it
    falls at midnight UTC, else the next (a run early on `rotateAfter`'s date is not yet due)."""
    day = utc_date(rotate_after)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return day if rotate_after.astimezone(UTC) == midnight else day + timedelta(days=1)


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
    """How messages name it: `the Slack webhook 1 of --notify (hooks.slack.com)`; one on a
    host of its own (any JSON webhook, a `slack+`/`teams+` one) without its host
    (`the JSON webhook 2 of --notify`)."""
    public_host: bool
    """Its host is Slack's or Microsoft's, known from the host itself: public and fixed."""

    def secrets(self) -> list[str]:
        """Kept out of every message about it: the URL's secret parts, and a receiver's own
        host, which may be all its secret (its answer may echo it)."""
        host = None if self.public_host else urlsplit(self.url).hostname
        return redaction.url_secrets(self.url) + ([host] if host else [])


def webhook(text: str, index: int, source: str) -> Webhook | str:
    """The webhook `text` names, or why it names none (a sentence that never quotes it)."""
    prefixed = redaction.URL_PREFIX.fullmatch(text)
    kind, url = (prefixed["prefix"].lower(), prefixed["url"]) if prefixed else ("", text)
    where = f"URL {index} of {source}"
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    except ValueError:
        scheme, host = "", ""
    if scheme not in ("https", "http") or not host:
        return f"{where} is not an https:// URL"
    if scheme == "http" and host not in LOOPBACK:
        return f"{where} uses plain http, which would send its secret in the clear; use https"
    if kind and kind not in KINDS:
        return f"{where} starts with an unknown format {kind}+; use slack+, teams+ or json+"
    known = _kind_of(host)
    chosen = kind or known
    if chosen is None:
        return (
            f"{where} is neither Slack's ({SLACK_HOST}) nor a Teams workflow's "
            f"(*{TEAMS_HOST_SUFFIX}) host; put slack+, teams+ or json+ before it"
        )
    name = f"the {KINDS[chosen]} webhook {index} of {source}"
    # Slack's and Microsoft's hosts are public and fixed; a receiver's own may be its secret.
    public = known is not None and known == chosen
    return Webhook(chosen, url, f"{name} ({host})" if public else name, public)


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
