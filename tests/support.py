"""What several test modules share: a fast HTTP policy and providers that use it."""

from __future__ import annotations

import contextlib
import dataclasses
import pickle
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from providers.core import lifecycle
from providers.core.clock import FixedClock
from providers.druva.token import ScimTokenProvider
from providers.http import HttpPolicy

# Recognisable, so that a scan of everything observable can look for it.
TOKEN = "dRuVa-TeSt-ToKeN-7f3a9c1e5b2d4f60a8e7c9b1d3f5a7c9"
OTHER_TOKEN = "dRuVa-NeW-ToKeN-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
# For providers on the real clock (the provider host): a creation time of yesterday is
# always valid, whatever day the suite runs.
ISSUED_YESTERDAY = lifecycle.format_time(datetime.now(UTC) - timedelta(days=1))

FAST = HttpPolicy(
    connect_timeout=0.5,
    read_timeout=0.5,
    attempts=3,
    backoff_factor=0.01,
    backoff_max=0.05,
    retry_after_max=1,
    max_body_bytes=1024 * 1024,
    # The old per-call sum of every timeout and pause, now a real bound on each operation.
    deadline_seconds=5.0,
)
SHORT_DEADLINE = dataclasses.replace(FAST, deadline_seconds=2.0)
"""FAST, with a deadline a test can wait for: one operation ends within 2 s."""


class FastProvider(ScimTokenProvider):
    """The real provider with test-sized timeouts; importable, so dill pickles it by name."""

    http_policy: ClassVar[HttpPolicy] = FAST


class ShortDeadlineProvider(ScimTokenProvider):
    """The real provider whose operations end within SHORT_DEADLINE's 2 s."""

    http_policy: ClassVar[HttpPolicy] = SHORT_DEADLINE


class ClockProvider(FastProvider):
    """The provider at a moment a test chooses."""

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__()
        self.clock = FixedClock(now or datetime(2026, 11, 22, 12, 0, tzinfo=UTC))


PICKLER_PATCHES = ("_batch_setitems", "save_dict")


@contextlib.contextmanager
def pickler_restored() -> Iterator[None]:
    """Undo what the SDK's `serialize_provider` leaves behind in the pickle module.

    Every call (one per dynamic resource registered) wraps `pickle._Pickler._batch_setitems`
    once more and never unwraps it (pulumi 3.272.0). Harmless for this project's stateless
    providers, whose blobs hold no dict; but after some 490 registrations in one process,
    pickling a provider that holds state (a test double) exceeds the recursion limit. The
    hundreds of runs here must not push other tests in the same process over that edge.
    """
    saved = {name: pickle._Pickler.__dict__.get(name) for name in PICKLER_PATCHES}
    try:
        yield
    finally:
        for name, original in saved.items():
            if original is None:
                with contextlib.suppress(AttributeError):
                    delattr(pickle._Pickler, name)
            else:
                setattr(pickle._Pickler, name, original)
