"""What every dynamic provider here shares: it runs in the SDK's provider host.

The engine starts `python -m pulumi.dynamic` and unpickles the provider object
from each resource's `__provider` input; these providers hold nothing, so that
blob is a reference to the class and no more.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from pulumi import dynamic

from providers.http import HttpPolicy

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

    def now(self) -> datetime:
        return datetime.now(UTC)

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        # The host reports provider errors with traceback.format_exc(); our errors are
        # written for people, so show only their text unless debugging.
        if not os.environ.get("DRUVA_SCIM_DEBUG"):
            sys.tracebacklimit = 0
