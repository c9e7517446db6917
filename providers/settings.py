"""Validation of the token's settings, shared by the program and the provider's check.

Pure: no Pulumi, no HTTP. Values arrive as Pulumi gives them, strings from stack
config or numbers from the engine, and leave typed and normalised, or as
problems that name the setting and say how to fix it. No message ever quotes
the token.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from providers import lifecycle, redaction

NAMESPACE = "druva-scim"
CLOUD_TENANT_URLS = {
    "standard": "https://apis.druva.com/insync/scim",
    # Inferred from Druva's documented GovCloud API host (see README).
    "gov": "https://govcloudapis.druva.com/insync/scim",
}
TOKEN_KEYS = ("scimToken", "cloud", "tenantUrl", "issuedAt", "lifetimeDays", "rotateBeforeDays")
MAX_TOKEN_LENGTH = redaction.MAX_SECRET_LENGTH
TOKEN_FIX = (
    "copy the whole token from the Druva console again and set it with "
    f"`pulumi config set --secret {NAMESPACE}:scimToken` (it reads standard input)"
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
    return f"{reason}; {TOKEN_FIXES.get(reason, TOKEN_FIX)}"


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
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return None, f"{text!r} is not a URL; use one like {example}"
    if parts.scheme not in ("https", "http") or not host:
        return None, f"{text!r} is not an http(s) URL; use one like {example}"
    if parts.scheme == "http" and not is_loopback_host(host):
        return None, (
            f"{text!r} uses plain http, which would send {carried} unencrypted; "
            "use https (plain http is accepted only for 127.0.0.1, ::1 or localhost)"
        )
    if parts.username or parts.password:
        return None, f"must not contain a user name or password; {carried} is the credential"
    if parts.query or parts.fragment:
        return None, f"must not have a query or fragment; use a base URL like {example}"
    return text.rstrip("/"), None


def whole_number(value: object, low: int, high: int) -> tuple[int | None, str | None]:
    """Accept 30, 30.0 (the engine's numbers) or "30" (stack config)."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None:
        return None, f"must be a whole number of days from {low} to {high}, not {value!r}"
    if not low <= number <= high:
        return None, f"must be from {low} to {high} days, not {number}"
    return number, None


def issued_at(
    value: object, lifetime_days: int | None, now: datetime
) -> tuple[datetime | None, str | None]:
    """Parse `issuedAt` and refuse one in the future or one whose token has expired."""
    if not isinstance(value, str):
        return None, f"must be an RFC 3339 time like 2026-11-22T09:30:00Z, not {value!r}"
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
        problem = expired_problem(moment, lifetime_days, now)
        if problem:
            return None, problem
    return moment, None


def expired_problem(issued: datetime, lifetime_days: int, now: datetime) -> str | None:
    expires_at = lifecycle.lifecycle(issued, lifetime_days, 0).expires_at
    if now < expires_at:
        return None
    return (
        f"the token issued {lifecycle.format_time(issued)} expired on "
        f"{lifecycle.format_date(expires_at)} and Druva no longer accepts it: "
        + lifecycle.ROTATION_STEPS
    )


def token_settings(
    raw: Mapping[str, object], now: datetime
) -> tuple[TokenSettings | None, list[Problem]]:
    """Validate the token settings (all but the token) from stack config."""
    problems: list[Problem] = []

    cloud = raw.get("cloud", "standard")
    if cloud not in CLOUD_TENANT_URLS:
        problems.append(
            Problem("cloud", f"must be one of {', '.join(CLOUD_TENANT_URLS)}, not {cloud!r}")
        )
    url: str | None = CLOUD_TENANT_URLS.get(str(cloud))
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
