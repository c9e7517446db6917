"""Scenarios behind docs/EVIDENCE.md: each scenario is a pytest case that records the row it
asserts (the `evidence` fixture, conftest.py).

`python -m tests.evidence` runs these tests and writes the document from the recorded rows, so
the evidence cannot drift from what is tested, and a row that is not as expected says why.
"""
