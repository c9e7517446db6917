"""The `evidence` fixture, with which a scenario's test records the rows it asserts.

The rows are kept on the pytest config for the session; `python -m tests.evidence` runs these
tests and writes docs/EVIDENCE.md from them. A plain `pytest` keeps them and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.evidence.record import RECORDED, SECTIONS, Recorded, Row


@dataclass(frozen=True)
class Evidence:
    """Records rows under one section of the document, then asserts each is as expected."""

    recorded: Recorded
    test: str

    def record(self, section: str, *rows: Row) -> None:
        assert section in SECTIONS, f"no section {section!r} in the document"
        self.recorded.rows.setdefault(section, []).extend(rows)
        self.recorded.tests.setdefault(section, set()).add(self.test)
        failed = [(row.scenario, row.step, row.reason) for row in rows if not row.passed]
        assert failed == []


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    recorded = request.config.stash.setdefault(RECORDED, Recorded())
    return Evidence(recorded, request.node.nodeid)
