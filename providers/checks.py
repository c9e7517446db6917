"""Program and provider host: what both identity providers' checks share (Azure's and Okta's).

A check is a dynamic resource that asks Azure or Okta, from its own side,
whether provisioning works with the token: it runs on create and whenever the
token's fingerprint (or where it looks) changes; a refresh does not re-run it,
and a second `pulumi up` with the same token is a no-op. Its inputs are ids,
URLs, the token's fingerprint, and the token itself as a secret input used for
one thing only, to recognise it (even in part) in what a vendor says; it is
never returned, compared or sent. Credentials come from the provider host's
environment (`environment()`), never from the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi import dynamic

from providers.core import apps, lifecycle
from providers.dynamic import UNKNOWN, StatelessProvider


class CheckProvider(StatelessProvider):
    """What both checks' providers share: `run_check`, which their create and an update that
    changes what is asked call (tests put a stand-in in front of it)."""

    def run_check(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Ask the identity provider; the state it returns, as the engine keeps it."""
        raise NotImplementedError


def common_failures(news: Mapping[str, Any], app: str) -> list[dynamic.CheckFailure]:
    failures: list[dynamic.CheckFailure] = []
    name = news.get("appName")
    if name != UNKNOWN and not (isinstance(name, str) and name.strip()):
        failures.append(dynamic.CheckFailure("appName", "appName must name the app, for messages"))
    fingerprint = news.get("tokenFingerprint")
    if fingerprint != UNKNOWN and not (
        isinstance(fingerprint, str) and apps.FINGERPRINT.match(fingerprint)
    ):
        failures.append(
            dynamic.CheckFailure(
                "tokenFingerprint",
                f"tokenFingerprint of {app} must be the ScimToken's fingerprint output "
                f"({lifecycle.FINGERPRINT_HEX_DIGITS} hex digits), never the token itself",
            )
        )
    return failures


def app_label(news: Mapping[str, Any], setting: str) -> str:
    name = news.get("appName")
    return f"app {name!r}" if isinstance(name, str) and name != UNKNOWN else f"an app in {setting}"
