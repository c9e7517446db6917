"""Any process: what the policy pack checks, as pure functions of plain data and `now`.

No pulumi-policy, no clock, no I/O: `policy/pack.py` turns the SDK's arguments into
plain mappings (engine unknowns become `UNKNOWN`) and reports what these return.
Every message names the resource, says what is wrong and what to do; none quotes
the token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from providers.core import lifecycle, resource_types, settings, texts
from providers.core.texts import GITOPS_ANCHOR, ROTATION_ANCHOR, ROTATION_STEPS

SCIM_TOKEN_TYPE = resource_types.SCIM_TOKEN
SYNCHRONIZATION_SECRET_TYPE = resource_types.SYNCHRONIZATION_SECRET
OKTA_CONNECTION_TYPE = resource_types.OKTA_CONNECTION
HANDOFF_TYPE = resource_types.OKTA_HANDOFF
MANUAL_HANDOFF_TYPE = resource_types.MANUAL_HANDOFF
HANDOFF_TYPES = (HANDOFF_TYPE, MANUAL_HANDOFF_TYPE)
"""The hand-offs the overdue rule reads: Okta's manual apps', and every other identity
provider's (`manualApps`). Neither carries the token (only its fingerprint), so the
token-secret rule has nothing to ask of them."""

DEFAULT_MAX_PENDING_HANDOFF_DAYS = 7
MAX_SETTING_DAYS = lifecycle.MAX_LIFETIME_DAYS


class Unknown:
    """A value the engine does not know yet (during preview): neither present nor absent."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()

Props = Mapping[str, object]


def days_setting(
    config: Mapping[str, object], key: str, default: int | None
) -> tuple[int | None, str | None]:
    """A whole number of days from the policy's config; the engine sends numbers as floats."""
    value = config.get(key, default)
    if value is None:
        return None, None
    number, reason = settings.whole_number(value, 0, MAX_SETTING_DAYS)
    if reason:
        return None, (
            f"policy config {key} {reason}; fix it in the policy pack config "
            "(policy/policy-config.json, passed with --policy-pack-config)"
        )
    return number, None


def token_lifecycle(props: Props) -> lifecycle.Lifecycle | None:
    """The token's dates from its outputs (state) or, before it exists, from its inputs.

    None when they cannot be known yet or are not readable; the provider's own
    check refuses unreadable dates, so a policy has nothing to add then.
    """
    issued = lifecycle.parse_time_or_none(props.get("issuedAt"))
    if issued is None:
        return None
    expires = lifecycle.parse_time_or_none(props.get("expiresAt"))
    rotate_after = lifecycle.parse_time_or_none(props.get("rotateAfter"))
    if expires is not None and rotate_after is not None:
        return lifecycle.Lifecycle(issued, expires, rotate_after)
    lifetime = _whole(props.get("lifetimeDays", lifecycle.DEFAULT_LIFETIME_DAYS))
    before = _whole(props.get("rotateBeforeDays", lifecycle.DEFAULT_ROTATE_BEFORE_DAYS))
    if lifetime is None or before is None:
        return None
    try:
        return lifecycle.lifecycle(issued, lifetime, before)
    except ValueError:  # dates past the calendar: the provider's check refuses those
        return None


def rotation_due(props: Props, now: datetime, warning_days: int | None = None) -> str | None:
    """Advisory: the token is past rotateAfter (or within `warning_days` of expiry), not expired."""
    life = token_lifecycle(props)
    if life is None or life.phase(now) is lifecycle.Phase.EXPIRED:
        return None
    days_left = life.days_left(now)
    warned_early = warning_days is not None and days_left <= warning_days
    if life.phase(now) is not lifecycle.Phase.ROTATION_DUE and not warned_early:
        return None
    since = life.rotate_after
    if warning_days is not None:
        with contextlib.suppress(OverflowError):  # an expiry in year 1: rotate_after says it
            since = min(since, life.expires_at - timedelta(days=warning_days))
    due = lifecycle.rotation_due(
        lifecycle.format_date(life.expires_at), days_left, since, _fingerprint(props)
    )
    return f"{due} See {ROTATION_ANCHOR}."


def expired(props: Props, now: datetime) -> str | None:
    """Mandatory: the token is past expiresAt; Druva rejects it and provisioning has stopped."""
    life = token_lifecycle(props)
    if life is None or life.phase(now) is not lifecycle.Phase.EXPIRED:
        return None
    fingerprint = _fingerprint(props)
    return (
        f"The Druva SCIM token{' ' + fingerprint if fingerprint else ''} expired on "
        f"{lifecycle.format_date(life.expires_at)} ({lifecycle.ago(life.expires_at, now)}); "
        "Druva rejects it, so no user is provisioned until it is replaced: "
        f"{ROTATION_STEPS}. See {ROTATION_ANCHOR}."
    )


def secret_declaration(
    resource_type: str, name: str, props: Props, additional_secret_outputs: Sequence[str]
) -> str | None:
    """Mandatory: a resource that carries the token must declare that output a secret.

    The policy SDK hands validations every value in plain text and drops the
    engine's secret marker (pulumi/pulumi-policy#241), so whether a value *is*
    secret cannot be seen. What can be seen is the resource's declaration,
    `additional_secret_outputs`, which makes the engine encrypt that output in
    state whatever the program passed in. That declaration is enforced here.
    """
    declared = set(additional_secret_outputs)
    if resource_type == SCIM_TOKEN_TYPE and "scimToken" not in declared:
        return (
            f"ScimToken {name!r} does not declare `scimToken` in additional_secret_outputs, so "
            "the token could be stored in plain text in the stack's state. Register it through "
            f"providers.druva.token.ScimToken, which declares it; see {GITOPS_ANCHOR}."
        )
    carrier = CARRIERS.get(resource_type)
    if carrier is None:
        return None
    kind, where, output, carries = carrier
    if not carries(props.get(output)) or output in declared:
        return None
    return (
        f"{kind} {name!r} carries the Druva token ({where}) but does not declare `{output}` in "
        "additional_secret_outputs. Register it with pulumi.ResourceOptions("
        f'additional_secret_outputs=["{output}"]) and pass the token as the ScimToken\'s secret '
        f"output; see {GITOPS_ANCHOR}."
    )


def handoff_overdue(
    props: Props, now: datetime, max_days: int, resource_type: str = HANDOFF_TYPE
) -> str | None:
    """Mandatory: a manual hand-off (of either type) has been pending longer than `max_days`."""
    if props.get("pending") is not True:
        return None
    app = _app_label(props)
    kind = props.get("kind")
    manual = resource_type == MANUAL_HANDOFF_TYPE
    label = "Okta app"
    if manual:
        label = texts.provider_label(kind if isinstance(kind, str) else "other")
    vendor = label.removesuffix(" app") if label != "app" else "the identity provider"
    since_text = props.get("pendingSince")
    if isinstance(since_text, Unknown):
        return None
    since = lifecycle.parse_time_or_none(since_text)
    steps = _handoff_steps(props, manual)
    if since is None:
        return (
            f"The manual token hand-off to {label} {app} is pending, but its pendingSince "
            f"({since_text!r}) is not an RFC 3339 time, so how long it has waited is unknown. "
            f"Finish the hand-off now ({steps}); see {ROTATION_ANCHOR}."
        )
    waited = now - since
    if waited <= timedelta(days=max_days):
        return None
    return (
        f"The manual token hand-off to {label} {app} has been pending since "
        f"{lifecycle.format_date(since)} ({lifecycle.days(waited // timedelta(days=1))}, more than "
        f"maxPendingHandoffDays = {max_days}); until it is done {vendor} provisions nothing to "
        f"Druva. {steps}. See {ROTATION_ANCHOR}."
    )


def _handoff_steps(props: Props, manual: bool) -> str:
    """The manual hand-off's steps, as far as the state tells them (not the app's place in
    oktaApps or manualApps, which `pendingManualSteps` gives)."""
    expected = _text_or(props.get("expectedFingerprint"), "<fingerprint>")
    name = _text_or(props.get("appName"), "the app")
    app_id = _text_or(props.get("appId"), "its app id")
    if manual:
        console_url = props.get("consoleUrl")
        steps = texts.handoff_steps(
            _text_or(props.get("kind"), "other"),
            name,
            app_id,
            console_url if isinstance(console_url, str) else None,
            expected,
            None,
        )
    else:
        org_url = props.get("orgUrl")
        steps = texts.manual_steps(
            name, app_id, org_url if isinstance(org_url, str) else None, expected, None
        )
    return (
        f"{'; '.join(steps)} (`pulumi stack output pendingManualSteps` lists them with the "
        "app's exact key)"
    )


def _text_or(value: object, otherwise: str) -> str:
    return value if isinstance(value, str) else otherwise


def _app_label(props: Props) -> str:
    name = props.get("appName")
    app_id = props.get("appId")
    label = repr(name) if isinstance(name, str) else "(unnamed)"
    return f"{label} ({app_id})" if isinstance(app_id, str) else label


def _carries_secret_token(credentials: object) -> bool:
    if isinstance(credentials, Unknown):
        return True  # cannot tell yet; the declaration is cheap, so ask for it
    if not isinstance(credentials, Sequence) or isinstance(credentials, str):
        return False
    return any(
        isinstance(entry, Unknown)
        or (isinstance(entry, Mapping) and entry.get("key") in ("SecretToken", UNKNOWN))
        for entry in credentials
    )


def _carries_profile_token(profile: object) -> bool:
    if isinstance(profile, Unknown):
        return True
    if not isinstance(profile, Mapping):
        return False
    return profile.get("token") is not None or profile.get("authScheme") == "TOKEN"


CARRIERS: dict[str, tuple[str, str, str, Callable[[object], bool]]] = {
    SYNCHRONIZATION_SECRET_TYPE: (
        "SynchronizationSecret",
        "credential SecretToken",
        "credentials",
        _carries_secret_token,
    ),
    OKTA_CONNECTION_TYPE: (
        "Okta app Connection",
        "profile.token",
        "profile",
        _carries_profile_token,
    ),
}
"""The vendors' resources that carry the token: how a message names each, where the token
is in it, the output that must be declared secret, and whether a value of it holds one."""


def _fingerprint(props: Props) -> str | None:
    fingerprint = props.get("fingerprint")
    if isinstance(fingerprint, str):
        return fingerprint
    token = props.get("scimToken")
    return lifecycle.fingerprint(token) if isinstance(token, str) and token else None


def _whole(value: object) -> int | None:
    number, reason = settings.whole_number(value, 0, lifecycle.MAX_LIFETIME_DAYS)
    return None if reason else number
