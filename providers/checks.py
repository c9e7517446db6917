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

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pulumi import dynamic

from providers.core import apps, lifecycle
from providers.dynamic import UNKNOWN, StatelessProvider, changed


class CheckProvider(StatelessProvider):
    """What both checks share: no state, a policy, a clock and an environment."""

    input_keys: ClassVar[tuple[str, ...]] = ()
    verify_keys: ClassVar[tuple[str, ...]] = ()
    output_keys: ClassVar[tuple[str, ...]] = ()

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        moved = [key for key in self.input_keys if changed(olds, news, key)]
        return dynamic.DiffResult(
            changes=bool(moved), replaces=[], stables=[], delete_before_replace=False
        )

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        # A refresh must not re-run a check that restarts jobs; the state is the record.
        return dynamic.ReadResult(id_, props)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        if any(changed(olds, news, key) for key in self.verify_keys):
            return dynamic.UpdateResult(self.verify(news))
        carried = {key: olds.get(key) for key in self.output_keys}
        return dynamic.UpdateResult({**inputs_of(news, self.input_keys), **carried})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # A record of a check; nothing exists outside the stack to remove.
        return None

    def verify(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Ask the identity provider; its errors leave without the token (StatelessProvider)."""
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


def inputs_of(props: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {key: props.get(key) for key in keys}
