"""Policy pack: the rules of `providers.core.policy_rules` as pulumi-policy policies.

Thin adapters: pick the resources a rule is about, turn the SDK's proxies into
plain data, read the policy's config, ask the rule, report what it says. The
clock is a parameter so that tests can pin it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from providers.core import policy_rules as rules
from providers.core.clock import SYSTEM, Clock
from providers.core.texts import GITOPS_ANCHOR, NAMESPACE, ROTATION_ANCHOR

PACK_NAME = NAMESPACE
ROTATE_STEPS = f"Run the rotation helper: venv/bin/python -m providers.rotate ({ROTATION_ANCHOR})."
ROTATION_DUE = "druva-scim-token-rotation-due"
EXPIRED = "druva-scim-token-expired"
TOKEN_SECRET = "druva-scim-token-secret"  # noqa: S105  (a policy name)
HANDOFF_OVERDUE = "druva-scim-okta-handoff-overdue"


def policies(clock: Clock = SYSTEM) -> list[Policy]:
    return [
        rotation_due_policy(clock),
        expired_policy(clock),
        token_secret_policy(),
        handoff_overdue_policy(clock),
    ]


def rotation_due_policy(clock: Clock) -> ResourceValidationPolicy:
    def message(args: ResourceValidationArgs) -> str | None:
        if args.resource_type != rules.SCIM_TOKEN_TYPE:
            return None
        warning_days, problem = rules.days_setting(args.get_config(), "rotationWarningDays", None)
        return problem or rules.rotation_due(props_of(args.props), clock.now(), warning_days)

    return resource_policy(
        ROTATION_DUE,
        "The Druva SCIM token is past rotateAfter: rotate it before it expires.",
        EnforcementLevel.ADVISORY,
        message,
        config_schema=days_schema(
            "rotationWarningDays",
            "Also warn this many days before expiry, if that is earlier than the stack's "
            "rotateAfter (druva-scim:rotateBeforeDays).",
        ),
        remediation_steps=ROTATE_STEPS,
    )


def expired_policy(clock: Clock) -> ResourceValidationPolicy:
    def message(args: ResourceValidationArgs) -> str | None:
        if args.resource_type != rules.SCIM_TOKEN_TYPE:
            return None
        return rules.expired(props_of(args.props), clock.now())

    return resource_policy(
        EXPIRED,
        "The Druva SCIM token has expired: Druva rejects it and provisioning stopped.",
        EnforcementLevel.MANDATORY,
        message,
        remediation_steps=ROTATE_STEPS,
    )


def token_secret_policy() -> ResourceValidationPolicy:
    def message(args: ResourceValidationArgs) -> str | None:
        return rules.secret_declaration(
            args.resource_type,
            args.name,
            props_of(args.props),
            list(args.opts.additional_secret_outputs),
        )

    return resource_policy(
        TOKEN_SECRET,
        "Resources that carry the Druva SCIM token must declare it a secret output "
        "(additional_secret_outputs), so that state never holds it in plain text.",
        EnforcementLevel.MANDATORY,
        message,
        remediation_steps=(
            f"Declare the token's output in additional_secret_outputs ({GITOPS_ANCHOR})."
        ),
    )


def resource_policy(
    name: str,
    description: str,
    level: EnforcementLevel,
    message: Callable[[ResourceValidationArgs], str | None],
    **options: Any,
) -> ResourceValidationPolicy:
    """A policy on each resource: a violation wherever `message` says something."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        said = message(args)
        if said:
            report_violation(said, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        **options,
    )


def handoff_overdue_policy(clock: Clock) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        max_days, problem = rules.days_setting(
            args.get_config(), "maxPendingHandoffDays", rules.DEFAULT_MAX_PENDING_HANDOFF_DAYS
        )
        if problem or max_days is None:
            report_violation(problem or "maxPendingHandoffDays is not set", None)
            return
        now = clock.now()
        for resource in args.resources:
            if resource.resource_type not in rules.HANDOFF_TYPES:
                continue
            props = props_of(resource.props)
            message = rules.handoff_overdue(props, now, max_days, resource.resource_type)
            if message:
                report_violation(message, resource.urn)

    return StackValidationPolicy(
        name=HANDOFF_OVERDUE,
        description="A manual token hand-off has been pending for too long.",
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=days_schema(
            "maxPendingHandoffDays",
            "Days a manual hand-off may stay pending.",
            rules.DEFAULT_MAX_PENDING_HANDOFF_DAYS,
        ),
        remediation_steps=(
            "Finish the steps of `pulumi stack output pendingManualSteps` in the identity "
            f"provider's admin console, then confirm the hand-off ({ROTATION_ANCHOR})."
        ),
    )


def days_schema(key: str, description: str, default: int | None = None) -> PolicyConfigSchema:
    """A policy's one setting: a whole number of days (`rules.days_setting` reads it)."""
    days: dict[str, object] = {
        "type": "integer",
        "minimum": 0,
        "maximum": rules.MAX_SETTING_DAYS,
        "description": description,
    }
    if default is not None:
        days["default"] = default
    return PolicyConfigSchema(properties={key: days})


def props_of(props: Mapping[str, object]) -> rules.Props:
    """The SDK's props as plain data, each engine unknown replaced by `rules.UNKNOWN`.

    The SDK's proxies raise UnknownValueError when an unknown value is read,
    which would abort the whole policy; the rules decide what an unknown means.
    """
    result: dict[str, object] = {}
    for key in props:
        try:
            result[key] = _plain(props[key])
        except UnknownValueError:
            result[key] = rules.UNKNOWN
    return result


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return props_of(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[object] = []
        for index in range(len(value)):
            try:
                items.append(_plain(value[index]))
            except UnknownValueError:
                items.append(rules.UNKNOWN)
        return items
    return value
