"""Any process: a test double for a child process, a pre-flight that passes.

A test that runs the rotation helper or `scripts/up` as a process puts this folder on
the child's PYTHONPATH (tests.doubles.PASSING_PREFLIGHT); Python imports this module at
startup, and it replaces `providers.preflight.preflight` there, as monkeypatch does in
the test's own process. Nothing else changes: the child runs the real helper.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Site runs before `python -m` puts the working folder on the path: a child run in a copy of
# the project (scripts/up changes into its folder) must import that copy's code, not ours.
here = Path.cwd()
sys.path.insert(0, str(here if (here / "providers").is_dir() else Path(__file__).parents[2]))

from providers import preflight  # noqa: E402  (after the path is set)

ITEM = preflight.Item("pre-flight", True, "a test double that passes (tests/passing_preflight)")


def passing(
    stack: str,
    environment: Mapping[str, str],
    surroundings: preflight.Surroundings | None = None,
    pending: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> preflight.Report:
    return preflight.Report((ITEM,))


preflight.preflight = passing
