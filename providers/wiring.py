"""Program: what each vendor's wiring shares (`providers.azure.wiring`, `providers.okta.wiring`).

Every app's resources wait for Druva to accept the token (`after`), report
whether their check confirmed this very token (`confirmed`), and may carry an
error hook that says, in our words, what a vendor provider's error means
(`error_hooks`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import resource_pb2

ERROR_HOOK_CLI_VERSIONS = ">=3.244.0"
"""Where a plain create error reaches an error hook (pulumi/pulumi#23347); hooks exist earlier."""
VERIFIED = "verified"
"""An app's state in the `targets` output once its check confirmed the current token."""
UNVERIFIED = "unverified"


def after(token: pulumi.Resource, **options: Any) -> pulumi.ResourceOptions:
    """Apps wait for Druva to accept the token before they receive it."""
    return pulumi.ResourceOptions(depends_on=[token], **options)


def confirmed(
    checked: pulumi.Output[str], fingerprint: str, state: str = VERIFIED
) -> pulumi.Output[str]:
    """`state` once the app's check ran for this very token, else `unverified`."""
    return checked.apply(lambda found: state if found == fingerprint else UNVERIFIED)


def error_hooks_supported() -> bool:
    """Whether an error hook will hear a resource's plain create error in this run.

    The monitor announces error hooks from CLI 3.217, but only 3.244 on delivers
    a plain create error to them, so the CLI's version decides too.
    """
    if not runtime_settings.monitor_supports_feature(
        resource_pb2.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS
    ):
        return False
    engine = runtime_settings.get_engine()
    if engine is None or not hasattr(engine, "RequirePulumiVersion"):
        # Pulumi's mocks: no CLI at all, so none that is too old; the monitor decides.
        return True
    try:
        runtime_settings.require_pulumi_version(ERROR_HOOK_CLI_VERSIONS)
    except Exception:
        return False
    return True


def error_hooks(
    name: str, explain: Callable[[Sequence[str]], str | None]
) -> pulumi.ResourceHookBinding | None:
    """Say what a vendor provider's error means for us, in our words, when it fails.

    Only with a CLI whose error hooks hear create errors; with an older one the
    vendor provider's own error stands alone, and docs/errors.md explains it.
    """
    if not error_hooks_supported():
        return None

    def on_error(args: pulumi.ErrorHookArgs) -> bool:
        message = explain(args.errors)
        if message:
            pulumi.log.error(message)
        return False  # neither a refusal nor a missing permission goes away by retrying

    return pulumi.ResourceHookBinding(on_error=[pulumi.ErrorHook(name, on_error)])
