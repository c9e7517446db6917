"""The token in no observable place and in no form: the scan, and the scanner it relies on."""

import base64
import hashlib
from urllib.parse import quote

import pytest

from providers.core import lifecycle, redaction
from tests.doubles import TOKEN
from tests.evidence import secrets
from tests.evidence.record import Row

ODD = "aB+c/d=e&f%g h?iJ-kL_mN.oP~qR"
"""A token with every character that encodes differently somewhere."""


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return secrets.rows()


def test_every_surface_is_scanned_and_holds_no_token(rows):
    assert [(row.scenario, row.reason) for row in rows if not row.passed] == []
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
    assert {"create (Druva client)", "verify (Azure)", "verify (Okta)"} <= steps
    assert len(rows) >= 20


@pytest.mark.parametrize(
    ("text", "form"),
    [
        (f"x {TOKEN} y", "plain"),
        (base64.b64encode(TOKEN.encode()).decode(), "base64 of token"),
        (base64.urlsafe_b64encode(b"\xfb\xff" + TOKEN.encode()).decode(), "a base64 blob"),
        (base64.b64encode(f"Bearer {TOKEN}".encode()).decode(), "base64 of `Bearer token`"),
        (base64.b64encode(b'{"auth": "' + TOKEN.encode() + b'"}').decode(), "a base64 blob"),
        (TOKEN.encode().hex().upper(), "hex"),
        (hashlib.sha256(TOKEN.encode()).hexdigest(), "full SHA-256"),
        (f"cut off: {TOKEN[:20]}", "16 characters"),
        (f"...{TOKEN[-17:]}", "16 characters"),
    ],
)
def test_the_scanner_finds_the_token_in_every_form(text, form):
    found = secrets.find_token(text, TOKEN)
    assert any(name.startswith(form) for name in found), found
    assert secrets.find_token(text.encode(), TOKEN), "bytes are scanned too"


def test_the_scanner_finds_url_encoded_forms_of_a_token_with_special_characters():
    assert "URL-encoded" in secrets.find_token(f"?t={quote(ODD, safe='')}", ODD)
    assert secrets.find_token(f"t={quote(ODD, safe='')}&u=1", ODD)
    assert secrets.find_token(base64.urlsafe_b64encode(ODD.encode()).decode(), ODD)


def test_the_scanner_allows_the_fingerprint_and_ordinary_text():
    fingerprint = lifecycle.fingerprint(TOKEN)
    assert secrets.find_token(f"token {fingerprint} confirmed", TOKEN) == []
    assert secrets.find_token("druva-scim: Druva accepted the token; nothing else", TOKEN) == []
    assert secrets.find_token(TOKEN[:15], TOKEN) == []


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
