"""Program and provider host: the Druva SCIM token as a Pulumi dynamic resource.

In the order a reader follows it: the inputs (`ScimTokenArgs`), the provider the
engine runs in its own process (`python -m pulumi.dynamic`), the resource the
program registers (`ScimToken`), and the state the provider computes (`token_outputs`).
The provider object is serialized into every resource's `__provider` input, so it
holds nothing: token, URL and dates all travel as inputs, and the engine keeps the
token encrypted because the resource declares it a secret output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi
from pulumi import dynamic

from providers.core import lifecycle, resource_types, settings
from providers.druva import client
from providers.dynamic import UNKNOWN, ArgsResource, StatelessProvider, changed, say
from providers.http import new_session

TYPE_TOKEN = resource_types.SCIM_TOKEN

CREDENTIAL_KEYS = ("scimToken", "tenantUrl")
"""A new token or tenant is checked live with Druva, then updated in place, never replaced: a
replacement left unfinished (Ctrl-C, a failed step) keeps the old token in state, marked for
deletion, and every refresh reads it (docs/how-it-works.md, "Across runs")."""
UPDATE_KEYS = ("issuedAt", "lifetimeDays", "rotateBeforeDays")
"""Only the dates move: recomputed in place, no network."""
OUTPUT_KEYS = ("expiresAt", "rotateAfter", "fingerprint", "lastCheckedAt")
ISSUED_AT_UNKNOWN = (
    "is not set, and the stack holds no record of when this token was generated, so its "
    "expiry cannot be known; copy the creation time from the Druva console (Cloud Settings > "
    "API Credentials, in UTC) with `pulumi config set druva-scim:issuedAt <time>`, then run "
    "again (the rotation helper sets it for you)"
)

STALE_ISSUED_AT = (
    "still holds the creation time of the previous token, but scimToken holds a new one; set "
    f"the new token's creation time: {settings.ISSUED_AT_FIX}"
)


@dataclass(frozen=True)
class ScimTokenArgs:
    scim_token: pulumi.Input[str]
    """The token as shown once by the Druva console; made a secret here if it is not one."""
    tenant_url: pulumi.Input[str]
    """The SCIM base URL, e.g. https://apis.druva.com/insync/scim."""
    issued_at: pulumi.Input[str] | None = None
    """RFC 3339 creation time; when absent, carried over from the state of the same token."""
    lifetime_days: pulumi.Input[int] = lifecycle.DEFAULT_LIFETIME_DAYS
    rotate_before_days: pulumi.Input[int] = lifecycle.DEFAULT_ROTATE_BEFORE_DAYS


class ScimTokenProvider(StatelessProvider):
    """Check, Diff, Create, Read, Update and Delete for one Druva SCIM token."""

    # Existing stacks' state names the class here: providers/scim_token.py re-exports it.
    __module__ = resource_types.state_module(TYPE_TOKEN)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        now = self.clock.now()
        inputs = dict(news)
        failures: list[dynamic.CheckFailure] = []

        token = news.get("scimToken")
        if token != UNKNOWN:
            reason = settings.token_problem(token)
            if reason:
                failures.append(_failure(settings.Problem("scimToken", reason)))

        if news.get("issuedAt") is None:
            carried = _carried_issued_at(olds, news)
            if carried is None and token != UNKNOWN:
                failures.append(_failure(settings.Problem("issuedAt", ISSUED_AT_UNKNOWN)))
            elif carried is not None:
                inputs["issuedAt"] = carried
        elif token != UNKNOWN and _previous_tokens_issued_at(olds, news):
            # A by-hand rotation that kept the old time: the new token would inherit the old
            # expiry, or be called expired with advice to generate another (killing this one).
            failures.append(_failure(settings.Problem("issuedAt", STALE_ISSUED_AT)))
            inputs.pop("issuedAt")

        raw: dict[str, object] = {
            key: inputs[key]
            for key in ("tenantUrl", "issuedAt", "lifetimeDays", "rotateBeforeDays")
            if inputs.get(key) is not None and inputs[key] != UNKNOWN
        }
        if "tenantUrl" not in news:
            failures.append(
                _failure(settings.Problem("tenantUrl", "is required by the ScimToken resource"))
            )
        checked, problems = settings.token_settings(raw, now)
        failures.extend(_failure(problem) for problem in problems)
        if checked is not None:
            # Normalise what is known; a value unknown until apply stays unknown.
            normalised = {
                "tenantUrl": checked.tenant_url,
                "lifetimeDays": checked.lifetime_days,
                "rotateBeforeDays": checked.rotate_before_days,
                "issuedAt": lifecycle.format_time(checked.issued_at) if checked.issued_at else None,
            }
            inputs.update({key: normalised[key] for key in raw if normalised[key] is not None})
            for key in ("lifetimeDays", "rotateBeforeDays"):
                inputs.setdefault(key, normalised[key])
        # A value quoted in a failure may be the token pasted into the wrong input:
        # StatelessProvider redacts it on the way out.
        return dynamic.CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        updates = [key for key in (*CREDENTIAL_KEYS, *UPDATE_KEYS) if changed(olds, news, key)]
        return dynamic.DiffResult(
            changes=bool(updates),
            replaces=[],
            stables=[],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        now = self.clock.now()
        token = props["scimToken"]
        with new_session(self.http_policy) as session:
            client.check_token(session, props["tenantUrl"], token, self.http_policy, client.PASTED)
        outs = token_outputs(props, last_checked_at=now)
        # The id stays this first token's fingerprint through every rotation (an update): the
        # current token is the `fingerprint` output, never the id.
        return dynamic.CreateResult(id_=outs["fingerprint"], outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        """A refresh that cannot confirm the token fails and leaves the state as it was.

        Never drop the resource: its state is the only record of when the token was
        generated, and a later `up` could not know it again (issue 9).
        """
        now = self.clock.now()
        with new_session(self.http_policy) as session:
            client.check_token(
                session, props["tenantUrl"], props["scimToken"], self.http_policy, client.HELD
            )
        return dynamic.ReadResult(id_, token_outputs(props, last_checked_at=now))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        """A rotation checks the new token live, as create does; a refusal changes nothing."""
        if any(changed(olds, news, key) for key in CREDENTIAL_KEYS):
            now = self.clock.now()
            with new_session(self.http_policy) as session:
                client.check_token(
                    session, news["tenantUrl"], news["scimToken"], self.http_policy, client.PASTED
                )
            return dynamic.UpdateResult(token_outputs(news, last_checked_at=now))
        last = olds.get("lastCheckedAt")
        last_checked = lifecycle.parse_time(last) if isinstance(last, str) else None
        return dynamic.UpdateResult(token_outputs(news, last_checked_at=last_checked))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        expires = props.get("expiresAt", "its expiry")
        # Not the id: that is the fingerprint of the stack's first token, whatever came after.
        token = props.get("fingerprint") or lifecycle.fingerprint(str(props.get("scimToken", "")))
        say(
            f"Druva offers no API to revoke a SCIM token; token {token} was removed from the "
            f"stack only. It stops working when a newer token is generated or at {expires}."
        )


class ScimToken(ArgsResource[ScimTokenArgs], type_token=TYPE_TOKEN):
    """A Druva SCIM token with a known creation time and expiry, checked live against Druva."""

    scimToken: pulumi.Output[str]
    """The token itself; always a secret."""
    tenantUrl: pulumi.Output[str]
    """The SCIM base URL the token was checked against."""
    issuedAt: pulumi.Output[str]
    """When the token was generated (RFC 3339, UTC)."""
    lifetimeDays: pulumi.Output[int]
    rotateBeforeDays: pulumi.Output[int]
    expiresAt: pulumi.Output[str]
    """issuedAt + lifetimeDays: Druva stops accepting the token then."""
    rotateAfter: pulumi.Output[str]
    """expiresAt - rotateBeforeDays: from then on, rotation is due."""
    fingerprint: pulumi.Output[str]
    """First 12 hex digits of the token's SHA-256; safe to show and compare."""
    lastCheckedAt: pulumi.Output[str]
    """When Druva last accepted the token (create or refresh)."""

    outputs = OUTPUT_KEYS
    provider_class = ScimTokenProvider


def token_outputs(props: Mapping[str, Any], *, last_checked_at: datetime | None) -> dict[str, Any]:
    """The resource's state: its inputs, normalised, plus the computed dates."""
    issued = lifecycle.parse_time(props["issuedAt"])  # Check made sure it is known
    life = lifecycle.lifecycle(issued, int(props["lifetimeDays"]), int(props["rotateBeforeDays"]))
    return {
        "scimToken": props["scimToken"],
        "tenantUrl": props["tenantUrl"],
        "issuedAt": lifecycle.format_time(life.issued_at),
        "lifetimeDays": int(props["lifetimeDays"]),
        "rotateBeforeDays": int(props["rotateBeforeDays"]),
        "expiresAt": lifecycle.format_time(life.expires_at),
        "rotateAfter": lifecycle.format_time(life.rotate_after),
        "fingerprint": lifecycle.fingerprint(props["scimToken"]),
        "lastCheckedAt": lifecycle.format_time(last_checked_at) if last_checked_at else None,
    }


def _carried_issued_at(olds: Mapping[str, Any], news: Mapping[str, Any]) -> str | None:
    """The creation time the stack recorded for this very token, if it recorded one.

    A token the stack has no record of may be days or months old: taking "now" would
    give it false life, and every warning would come that much too late.
    """
    previous = olds.get("issuedAt")
    if isinstance(previous, str) and olds.get("scimToken") == news.get("scimToken"):
        return previous
    return None


def _previous_tokens_issued_at(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether a changed token comes with the creation time recorded for the previous one."""
    previous = olds.get("scimToken")
    if not isinstance(previous, str) or previous == news.get("scimToken"):
        return False
    recorded = lifecycle.parse_time_or_none(olds.get("issuedAt"))
    return recorded is not None and recorded == lifecycle.parse_time_or_none(news.get("issuedAt"))


def _failure(problem: settings.Problem) -> dynamic.CheckFailure:
    return dynamic.CheckFailure(problem.key, str(problem))
