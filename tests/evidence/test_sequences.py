"""Issue 9: the generated sequences across runs, as docs/EVIDENCE.md shows them.

The exploration runs once per process (tests/evidence/sequences.py); tests/sequences/ looks
closer at the same run.
"""

from tests.evidence import sequences
from tests.sequences import world as stage


def test_every_action_and_invariant_is_a_passing_row(evidence):
    rows = sequences.rows()
    evidence.record("sequences", *rows)
    actions = {row.scenario for row in rows if row.scenario.startswith("action: ")}
    assert len(actions) >= 15, actions
    assert sum(row.scenario.startswith("invariant: ") for row in rows) == len(stage.INVARIANTS)
