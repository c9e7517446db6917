"""Any process: what the tests and the benchmarks run the project on.

`stand_ins`: real HTTP servers on 127.0.0.1 that answer as Druva, Microsoft
Graph and Okta document, and a stand-in pulumi CLI; `engine`: the SDK's
dynamic-provider host, started and driven over gRPC as the engine drives it;
`harness`: `__main__.py` under Pulumi's mocks, engine-like about secrets. It
imports nothing from tests/ (bench/ uses it too); the tests' doubles are in
tests/doubles.py.
"""

from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project's root, where the engine starts the program and its plugins."""

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
"""The moment tests and benchmarks run the project at, unless they say otherwise."""
