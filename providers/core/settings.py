"""Any process: validation of the token's settings, shared by the program and the provider's check.

Pure: no Pulumi, no HTTP. Values arrive as Pulumi gives them, strings from stack
config or numbers from the engine, and leave typed and normalised, or as
problems that name the setting and say how to fix it. No message ever quotes
the token.
"""

from __future__ import annotations

import ipaddress
import json
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from providers.core import lifecycle, redaction
from providers.core.texts import NAMESPACE, ROTATION_STEPS

CLOUD_TENANT_URLS = {
    "standard": "https://apis.druva.com/insync/scim",
    # Documented by Druva: the standard URL in help.druva.com 8806987, GovCloud's in 8702719
    # and 8807071.
    "gov": "https://govcloudapis.druva.com/insync/scim",
}
TOKEN_KEYS = ("scimToken", "cloud", "tenantUrl", "issuedAt", "lifetimeDays", "rotateBeforeDays")
MAX_URL_LENGTH = 2048
# Strict on purpose: str.isdigit accepts "²" and lstrip("-") accepts "--5".
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
# Config here nests three levels at most (a list of objects holding an object).
MAX_DEPTH = 8
# A quoted value longer than this is described, not shown: it may be a pasted credential.
MAX_SHOWN = 100
TOKEN_FIX = (
    "copy the whole token from the Druva console again and set it with "
    f"`pulumi config set --secret {NAMESPACE}:scimToken` (it reads standard input)"
)
ISSUED_AT_FIX = (
    "copy it from Druva Cloud Settings > API Credentials (in UTC) and run `pulumi config set "
    f"{NAMESPACE}:issuedAt <time>` (the rotation helper sets it for you)"
)
TOKEN_FIXES = {
    redaction.DAMAGED: "a Druva token has none, so it was pasted damaged: copy it from the "
    "console again",
    redaction.TOO_LONG: "paste only the token",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one setting."""

    key: str
    """The setting's path inside the namespace, e.g. `azureApps[2].servicePrincipalId`."""
    message: str
    """What is wrong and how to fix it."""

    def __str__(self) -> str:
        return f"{NAMESPACE}:{self.key}: {self.message}"


@dataclass(frozen=True)
class TokenSettings:
    """Everything about the token except the token itself, which never sits in a repr."""

    tenant_url: str
    issued_at: datetime | None
    lifetime_days: int
    rotate_before_days: int


def token_problem(value: object) -> str | None:
    if not isinstance(value, str) or value == "":
        return (
            "is not set; paste the token from the Druva console with "
            f"`pulumi config set --secret {NAMESPACE}:scimToken` (it reads standard input)"
        )
    if value.strip() == "":
        return "is only white space; paste the token itself from the Druva console"
    if value != value.strip():
        return (
            "has white space or a line break at its start or end, which Druva would "
            "reject; set it again without them (`pulumi config set --secret` reads stdin)"
        )
    reason = redaction.value_problem(value)
    if reason is None:
        return None
    if reason == redaction.NOT_ASCII:
        foreign = next(c for c in value if not "\x21" <= c <= "\x7e")
        # Not part of any real token (those are visible ASCII), so naming it is safe.
        return (
            f"contains U+{ord(foreign):04X}, a character no Druva token has (a typographic "
            "quote or dash from a rich-text paste, such as an e-mail or a document); copy the "
            "token from the console again and paste it as plain text"
        )
    return f"{reason}; {TOKEN_FIXES.get(reason, TOKEN_FIX)}"


class _Shown(reprlib.Repr):
    """repr with bounded depth and size; a long text is described, never cut into a part."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxlist = self.maxdict = 6

    def repr_str(self, x: str, level: int) -> str:
        return repr(x) if len(x) <= MAX_SHOWN else f"<a text of {len(x)} characters>"


_SHOWN = _Shown()


def shown(value: object) -> str:
    """A value as a message quotes it: never deep, never long, never a traceback."""
    return _SHOWN.repr(value)


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest deeper than `limit`; walked without recursion."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def structure_problem(value: object) -> str | None:
    """Why a structured setting cannot be read, or None."""
    if value is NESTED_TOO_DEEP or too_deep(value):
        return (
            f"nests lists or objects more than {MAX_DEPTH} levels deep; no setting of "
            f"{NAMESPACE} goes deeper than a list of objects holding an object: fix the "
            "value in the stack file (docs/configuration.md)"
        )
    return None


class _NestedTooDeep:
    def __repr__(self) -> str:
        return "<nested too deep>"


NESTED_TOO_DEEP = _NestedTooDeep()


def decoded(value: object) -> object:
    """A structured setting (APP_KEYS) from the JSON text the stack config holds it as."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
        except RecursionError:
            # The validators name the key; a value this deep cannot even be decoded.
            return NESTED_TOO_DEEP
    return value


"""Stands for a JSON value too deep for Python's decoder to read."""


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tenant_url(value: object) -> tuple[str | None, str | None]:
    """Return (normalised URL, None) or (None, reason)."""
    if not isinstance(value, str) or value.strip() == "":
        example = CLOUD_TENANT_URLS["standard"]
        return None, f"must be a URL like {example}; remove it to use the `cloud` default"
    return base_url(value, CLOUD_TENANT_URLS["standard"], "the token")


def base_url(value: object, example: str, carried: str) -> tuple[str | None, str | None]:
    """An http(s) base URL that `carried` (a credential) may be sent to: https, or loopback http."""
    if not isinstance(value, str) or value.strip() == "":
        return None, f"must be a URL like {example}"
    text = value.strip()
    if any(character.isspace() or not character.isprintable() for character in text):
        # urlsplit silently drops tabs and line breaks; the HTTP client then refuses the URL.
        return None, (
            "contains white space or a control character (a tab or line break from a paste?); "
            f"set it again as one line, like {example}"
        )
    if len(text) > MAX_URL_LENGTH:
        return None, f"is longer than {MAX_URL_LENGTH} characters; use a base URL like {example}"
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return None, f"{shown(text)} is not a URL; use one like {example}"
    if parts.scheme not in ("https", "http") or not host:
        return None, f"{shown(text)} is not an http(s) URL; use one like {example}"
    if not host.isascii():
        # The HTTP client refuses such a host only when it sends (LocationParseError).
        return None, (
            f"has a host that is not plain ASCII ({shown(host)}: a typographic ellipsis, dash or "
            f"quote from a rich-text paste?); set it again as plain text, like {example}, "
            "writing an international domain name in its xn-- form"
        )
    if not _encodable(host):
        return (
            None,
            f"has an empty or over-long part in its host {shown(host)}; use one like {example}",
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        return None, (
            f"{shown(text)} uses plain http, which would send {carried} unencrypted; "
            "use https (plain http is accepted only for 127.0.0.1, ::1 or localhost)"
        )
    if parts.username or parts.password:
        return None, f"must not contain a user name or password; {carried} is the credential"
    if parts.query or parts.fragment:
        return None, f"must not have a query or fragment; use a base URL like {example}"
    return text.rstrip("/"), None


def _encodable(host: str) -> bool:
    """Whether IDNA, which the HTTP client applies to every host, can encode `host`."""
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def whole_number(value: object, low: int, high: int) -> tuple[int | None, str | None]:
    """Accept 30, 30.0 (the engine's numbers) or "30" (stack config)."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
        number = int(value)
    elif isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None:
        return None, f"must be a whole number of days from {low} to {high}, not {shown(value)}"
    if not low <= number <= high:
        return None, f"must be from {low} to {high} days, not {shown(number)}"
    return number, None


def issued_at(
    value: object, lifetime_days: int | None, now: datetime
) -> tuple[datetime | None, str | None]:
    """Parse `issuedAt` and refuse one in the future or one whose token has expired."""
    if not isinstance(value, str):
        return None, f"must be an RFC 3339 time like 2026-11-22T09:30:00Z, not {shown(value)}"
    try:
        moment = lifecycle.parse_time(value)
    except ValueError as error:
        return None, f"{error}; copy the time from Druva Cloud Settings > API Credentials"
    if moment - now > lifecycle.CLOCK_SKEW:
        return None, (
            f"{lifecycle.format_time(moment)} is in the future (now is "
            f"{lifecycle.format_time(now)}); use the creation time the console shows, in UTC"
        )
    if lifetime_days is not None:
        try:
            problem = expired_problem(moment, lifetime_days, now)
        except ValueError as error:
            return None, f"{error}; copy the time from Druva Cloud Settings > API Credentials"
        if problem:
            return None, problem
    return moment, None


def expired_problem(issued: datetime, lifetime_days: int, now: datetime) -> str | None:
    expires_at = lifecycle.lifecycle(issued, lifetime_days, 0).expires_at
    if now < expires_at:
        return None
    return (
        f"the token issued {lifecycle.format_time(issued)} expired on "
        f"{lifecycle.format_date(expires_at)} and Druva no longer accepts it. If "
        f"{NAMESPACE}:scimToken already holds a token generated since, set that token's "
        f"creation time instead: {ISSUED_AT_FIX}. Otherwise " + ROTATION_STEPS
    )


def token_settings(
    raw: Mapping[str, object], now: datetime
) -> tuple[TokenSettings | None, list[Problem]]:
    """Validate the token settings (all but the token) from stack config."""
    problems: list[Problem] = []
    for key in TOKEN_KEYS:
        reason = structure_problem(raw.get(key))
        if reason:
            problems.append(Problem(key, reason))
    if problems:
        return None, problems

    cloud = raw.get("cloud", "standard")
    url: str | None = CLOUD_TENANT_URLS.get(cloud) if isinstance(cloud, str) else None
    if url is None:
        problems.append(
            Problem("cloud", f"must be one of {', '.join(CLOUD_TENANT_URLS)}, not {shown(cloud)}")
        )
    if raw.get("tenantUrl") is not None:
        url, reason = tenant_url(raw["tenantUrl"])
        if reason:
            problems.append(Problem("tenantUrl", reason))

    lifetime, reason = whole_number(
        raw.get("lifetimeDays", lifecycle.DEFAULT_LIFETIME_DAYS), 1, lifecycle.MAX_LIFETIME_DAYS
    )
    if reason:
        problems.append(Problem("lifetimeDays", reason + " (Druva tokens last 365 days)"))

    rotate_before, reason = whole_number(
        raw.get("rotateBeforeDays", lifecycle.DEFAULT_ROTATE_BEFORE_DAYS),
        0,
        lifecycle.MAX_LIFETIME_DAYS,
    )
    if reason:
        problems.append(Problem("rotateBeforeDays", reason))
    elif lifetime is not None and rotate_before is not None and rotate_before >= lifetime:
        problems.append(
            Problem(
                "rotateBeforeDays",
                f"is {rotate_before} but must be less than lifetimeDays ({lifetime}), "
                "or rotation would be due the day the token is made",
            )
        )

    issued: datetime | None = None
    if raw.get("issuedAt") is not None:
        issued, reason = issued_at(raw["issuedAt"], lifetime, now)
        if reason:
            problems.append(Problem("issuedAt", reason))

    if problems or url is None or lifetime is None or rotate_before is None:
        return None, problems
    return TokenSettings(url, issued, lifetime, rotate_before), []


_KINDS: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "an object",
}


def kind(value: object) -> str:
    """What a value from stack config is, in words: `a string`, `a list`, ..."""
    return _KINDS.get(type(value), type(value).__name__)
