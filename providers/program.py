"""The Pulumi program's steps, kept out of __main__.py so that tests can reach them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pulumi
from pulumi.runtime import config as runtime_config

from providers import settings
from providers.scim_token import ScimToken, ScimTokenArgs

TOKEN_RESOURCE_NAME = "druva-scim-token"  # noqa: S105  (a resource name)


@dataclass(frozen=True)
class Config:
    """The validated stack configuration; the token stays an Output secret."""

    token: settings.TokenSettings
    scim_token: pulumi.Output[str]


def raw_config() -> dict[str, object]:
    """Every `druva-scim:*` value of the stack, structured values decoded from JSON."""
    prefix = f"{settings.NAMESPACE}:"
    # The language host puts the stack's config in PULUMI_CONFIG and loads it into
    # CONFIG before the program runs; reading both covers either way of being run.
    every = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw: dict[str, object] = {}
    for name, value in every.items():
        if not name.startswith(prefix):
            continue
        raw[name[len(prefix) :]] = _decoded(value)
    return raw


def _decoded(value: object) -> object:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _is_secret(key: str) -> bool:
    return runtime_config.is_config_secret(key) or key in (
        runtime_config.get_config_secret_keys_env()
    )


def load_config(now: datetime | None = None) -> Config:
    """Validate all settings before anything is registered; stop cleanly if any is wrong."""
    raw = raw_config()
    moment = now or datetime.now(UTC)
    problems = [
        settings.Problem(
            key,
            f"is not a setting of {settings.NAMESPACE}; known settings: "
            + ", ".join(settings.TOKEN_KEYS),
        )
        for key in sorted(raw)
        if key not in settings.TOKEN_KEYS
    ]
    reason = settings.token_problem(raw.get("scimToken"))
    if reason:
        problems.append(settings.Problem("scimToken", reason))
    elif not _is_secret(f"{settings.NAMESPACE}:scimToken"):
        problems.append(
            settings.Problem(
                "scimToken",
                "is stored in plain text in the stack file; remove that line and set it again "
                f"with `pulumi config set --secret {settings.NAMESPACE}:scimToken`",
            )
        )
    token_settings, token_problems = settings.token_settings(raw, moment)
    problems.extend(token_problems)
    if problems or token_settings is None:
        stop(problems)
    assert token_settings is not None  # noqa: S101  (stop() never returns)
    return Config(token=token_settings, scim_token=pulumi.Output.secret(str(raw["scimToken"])))


def stop(problems: list[settings.Problem]) -> None:
    """Report every problem at once, then end the run without a traceback."""
    for problem in problems:
        pulumi.log.error(str(problem))
    count = len(problems)
    raise pulumi.RunError(
        f"{count} setting{'s' if count != 1 else ''} of {settings.NAMESPACE} "
        f"need{'s' if count == 1 else ''} fixing; nothing was changed"
    )


def scim_token(config: Config) -> ScimToken:
    return ScimToken(
        TOKEN_RESOURCE_NAME,
        ScimTokenArgs(
            scim_token=config.scim_token,
            tenant_url=config.token.tenant_url,
            issued_at=(
                config.token.issued_at.isoformat().replace("+00:00", "Z")
                if config.token.issued_at
                else None
            ),
            lifetime_days=config.token.lifetime_days,
            rotate_before_days=config.token.rotate_before_days,
        ),
    )


def export_token(token: ScimToken) -> None:
    pulumi.export("tenantUrl", token.tenantUrl)
    pulumi.export("tokenFingerprint", token.fingerprint)
    pulumi.export("issuedAt", token.issuedAt)
    pulumi.export("expiresAt", token.expiresAt)
    pulumi.export("rotateAfter", token.rotateAfter)
    pulumi.export("tokenLastCheckedAt", token.lastCheckedAt)
    pulumi.export("scimToken", pulumi.Output.secret(token.scimToken))
