"""The token in no observable place and in no form: the scan (tests/evidence/secrets.py)."""

import pytest

from providers.core import redaction
from tests.doubles import TOKEN
from tests.evidence import secrets
from tests.evidence.record import Row


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return secrets.rows()


def test_every_surface_is_scanned_and_holds_no_token(rows, evidence):
    evidence.record("secrets", *rows)
    assert all(row.token_safe for row in rows)


def test_the_scan_covers_each_surface_the_issue_names(rows):
    scenarios = " ".join(row.scenario for row in rows)
    for surface in (
        "non-secret input",
        "non-secret output",
        "exports other than scimToken",
        "log records",
        "__provider",
        "bad configurations",
        "provider host",
        "stdout and stderr",
        "root-logger handler",
        "temporary directory",
        "repository tree",
    ):
        assert surface in scenarios, surface
    steps = {row.step for row in rows}
    assert {"create (Druva client)", "check (Azure)", "check (Okta)"} <= steps
    assert len(rows) >= 20


def test_a_vendor_echo_is_redacted_whole_or_in_part():
    for text in (
        f"Token {TOKEN}.",
        f'{{"detail":"bad token {TOKEN}"}}',
        f"https://sso.example/?token={TOKEN}&next=/",
        f"Bearer {TOKEN}",
        f"Bearer {TOKEN[:20]}…",
    ):
        redacted = redaction.redact(text, [TOKEN])
        assert secrets.find_token(redacted, TOKEN) == [] and "[redacted]" in redacted
    assert redaction.redact("nothing to see", [TOKEN]) == "nothing to see"
