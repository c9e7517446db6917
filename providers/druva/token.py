"""Program and provider host: the Druva SCIM token as a Pulumi dynamic resource.

In the order a reader follows it: the inputs (`ScimTokenArgs`), the state the provider
computes (`TokenState`, typed, converted at the edge), the provider the engine runs in
its own process (`python -m pulumi.dynamic`), and the resource the program registers
(`ScimToken`). The provider object is serialized into every resource's `__provider` input, so it
holds nothing: token, URL and dates all travel as inputs, and the engine keeps the
token encrypted because the resource declares it a secret output.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi
from pulumi import dynamic

from providers.core import lifecycle, resource_types, settings
from providers.druva import client
from providers.dynamic import (
    UNKNOWN,
    ArgsResource,
    StatelessProvider,
    changed,
    redacted_operation,
    say,
)
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


@dataclass(frozen=True)
class TokenState:
    """The resource's state, typed: read from the engine's dict (`of`, `from_outputs`) and
    written back (`outputs`) at the edge of each method."""

    scim_token: str
    tenant_url: str
    life: lifecycle.Lifecycle
    lifetime_days: int
    rotate_before_days: int
    last_checked_at: datetime | None
    """When Druva last accepted the token; None before the first live check."""

    @classmethod
    def of(cls, props: Mapping[str, Any], last_checked_at: datetime | None) -> TokenState:
        """From checked inputs (Check made sure issuedAt is known) or a state's outputs."""
        lifetime, before = int(props["lifetimeDays"]), int(props["rotateBeforeDays"])
        issued = lifecycle.parse_time(props["issuedAt"])
        life = lifecycle.lifecycle(issued, lifetime, before)
        return cls(props["scimToken"], props["tenantUrl"], life, lifetime, before, last_checked_at)

    @classmethod
    def from_outputs(cls, props: Mapping[str, Any]) -> TokenState:
        last = props.get("lastCheckedAt")
        return cls.of(props, lifecycle.parse_time(last) if isinstance(last, str) else None)

    @property
    def fingerprint(self) -> str:
        return lifecycle.fingerprint(self.scim_token)

    def outputs(self) -> dict[str, Any]:
        """The resource's state: its inputs, normalised, plus the computed dates."""
        last = self.last_checked_at
        return {
            "scimToken": self.scim_token,
            "tenantUrl": self.tenant_url,
            "issuedAt": lifecycle.format_time(self.life.issued_at),
            "lifetimeDays": self.lifetime_days,
            "rotateBeforeDays": self.rotate_before_days,
            "expiresAt": lifecycle.format_time(self.life.expires_at),
            "rotateAfter": lifecycle.format_time(self.life.rotate_after),
            "fingerprint": self.fingerprint,
            "lastCheckedAt": lifecycle.format_time(last) if last else None,
        }


def token_outputs(props: Mapping[str, Any], *, last_checked_at: datetime | None) -> dict[str, Any]:
    """The state of checked inputs `props` (also what the testbed's engine-like mocks keep)."""
    return TokenState.of(props, last_checked_at).outputs()


class ScimTokenProvider(StatelessProvider):
    """Check, Diff, Create, Read, Update and Delete for one Druva SCIM token."""

    # Existing stacks' state names the class here: providers/scim_token.py re-exports it.
    __module__ = "providers.scim_token"

    @redacted_operation(bounded=True)
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
            carried = lifecycle.carried_issued_at(
                _text(olds.get("scimToken")), _text(olds.get("issuedAt")), news.get("scimToken")
            )
            if carried is None and token != UNKNOWN:
                failures.append(_failure(settings.Problem("issuedAt", ISSUED_AT_UNKNOWN)))
            elif carried is not None:
                inputs["issuedAt"] = carried
        elif token != UNKNOWN and lifecycle.restates_previous_issued_at(
            _text(olds.get("scimToken")),
            lifecycle.parse_time_or_none(olds.get("issuedAt")),
            token,
            lifecycle.parse_time_or_none(news.get("issuedAt")),
        ):
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
        # @redacted_operation redacts it on the way out.
        return dynamic.CheckResult(inputs, failures)

    @redacted_operation(bounded=False)
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        updates = [key for key in (*CREDENTIAL_KEYS, *UPDATE_KEYS) if changed(olds, news, key)]
        return dynamic.DiffResult(
            changes=bool(updates),
            replaces=[],
            stables=[],
            delete_before_replace=False,
        )

    @redacted_operation(bounded=True)
    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        now = self.clock.now()
        self._check_live(props, client.PASTED)
        state = TokenState.of(props, last_checked_at=now)
        # The id stays this first token's fingerprint through every rotation (an update): the
        # current token is the `fingerprint` output, never the id.
        return dynamic.CreateResult(id_=state.fingerprint, outs=state.outputs())

    @redacted_operation(bounded=True)
    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        """A refresh that cannot confirm the token fails and leaves the state as it was.

        Never drop the resource: its state is the only record of when the token was
        generated, and a later `up` could not know it again (issue 9).
        """
        now = self.clock.now()
        self._check_live(props, client.HELD)
        state = TokenState.from_outputs(props)
        return dynamic.ReadResult(id_, dataclasses.replace(state, last_checked_at=now).outputs())

    @redacted_operation(bounded=True)
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        """A rotation checks the new token live, as create does; a refusal changes nothing."""
        if any(changed(olds, news, key) for key in CREDENTIAL_KEYS):
            now = self.clock.now()
            self._check_live(news, client.PASTED)
            return dynamic.UpdateResult(TokenState.of(news, last_checked_at=now).outputs())
        last_checked = TokenState.from_outputs(olds).last_checked_at
        return dynamic.UpdateResult(TokenState.of(news, last_checked).outputs())

    @redacted_operation(bounded=True)
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Read leniently, not as a TokenState: a destroy must not fail on an odd state.
        expires = props.get("expiresAt", "its expiry")
        # Not the id: that is the fingerprint of the stack's first token, whatever came after.
        token = props.get("fingerprint") or lifecycle.fingerprint(str(props.get("scimToken", "")))
        say(
            f"Druva offers no API to revoke a SCIM token; token {token} was removed from the "
            f"stack only. It stops working when a newer token is generated or at {expires}."
        )

    def _check_live(self, props: Mapping[str, Any], rejected: str) -> None:
        """Ask Druva whether it accepts the token of `props` (inputs or a state's outputs)."""
        with new_session(self.http_policy) as session:
            client.check_token(
                session, props["tenantUrl"], props["scimToken"], self.http_policy, rejected
            )


class ScimToken(ArgsResource[ScimTokenArgs], module="druva", name="ScimToken"):
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


def _failure(problem: settings.Problem) -> dynamic.CheckFailure:
    return dynamic.CheckFailure(problem.key, str(problem))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
