"""What every dynamic provider here shares: it runs in the SDK's provider host.

The engine starts `python -m pulumi.dynamic` and unpickles the provider object
from each resource's `__provider` input; these providers hold nothing, so that
blob is a reference to the class and no more.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from pulumi import dynamic

from providers.http import HttpPolicy, deadline

BOUNDED_OPERATIONS = ("check", "create", "read", "update", "delete")
"""Each runs under the policy's deadline; diff sends nothing."""

# The engine's placeholder for a value not known until apply, as the SDK spells it.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def say(message: str) -> None:
    """Tell the person running `pulumi up`: pulumi.log does not reach the engine from here."""
    print(f"druva-scim: {message}", file=sys.stderr, flush=True)


def changed(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    new = news.get(key)
    return new == UNKNOWN or olds.get(key) != new


class StatelessProvider(dynamic.ResourceProvider):
    """No token, session or setting on the object: everything arrives as inputs."""

    # Nothing secret is captured, so the blob can stay readable: tests prove it.
    serialize_as_secret_always = False
    http_policy: ClassVar[HttpPolicy] = HttpPolicy()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every provider's operations are bounded, including ones written later.
        for name in BOUNDED_OPERATIONS:
            if name in cls.__dict__:
                setattr(cls, name, _within_deadline(cls.__dict__[name]))

    def now(self) -> datetime:
        return datetime.now(UTC)

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        # The host reports provider errors with traceback.format_exc(); our errors are
        # written for people, so show only their text unless debugging.
        if not os.environ.get("DRUVA_SCIM_DEBUG"):
            sys.tracebacklimit = 0


def _within_deadline(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def bounded(self: StatelessProvider, *args: Any, **kwargs: Any) -> Any:
        with deadline(self.http_policy.deadline_seconds):
            return operation(self, *args, **kwargs)

    return bounded
