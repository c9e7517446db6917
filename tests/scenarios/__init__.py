"""Scenarios behind docs/EVIDENCE.md: each module's `rows()` runs them and reports.

Tests assert on the same rows that `python -m bench.evidence` renders, so the
evidence cannot drift from what is tested.
"""
