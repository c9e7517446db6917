"""Scenarios behind docs/EVIDENCE.md: each module's `rows()` runs them and reports.

The tests here assert on the same rows that `python -m tests.evidence` renders
(`assert row.passed, row.reason`), so the evidence cannot drift from what is
tested, and a row that is not as expected says why.
"""
