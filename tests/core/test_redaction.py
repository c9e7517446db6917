"""The one redaction, as pure functions: no run of the token survives in any form
(providers/core/redaction.py), and a token that could not be redacted safely is refused."""

from __future__ import annotations

import base64
import html
import json
import string
from collections.abc import Callable
from urllib.parse import quote, quote_plus

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from providers.core import redaction
from providers.core import settings as token_settings
from providers.core.redaction import PLACEHOLDER, RUN
from tests.doubles import (
    TOKEN,
)
from tests.evidence import secrets as scanner

PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VISIBLE = "".join(chr(code) for code in range(0x21, 0x7F))
"""Visible ASCII: every character a token may have, backslash, both quotes, %, + and & included."""


WHOLE_FORMS: dict[str, Callable[[str], str]] = {
    "plain": lambda token: token,
    "quote": lambda token: quote(token, safe=""),
    "quote, path": quote,
    "quote, lower-case hex": lambda token: "".join(map(scanner.lower_percent, token)),
    "quote_plus": quote_plus,
    "repr": repr,
    "JSON": json.dumps,
    "repr of JSON": lambda token: repr(json.dumps(token)),
    "JSON of repr": lambda token: json.dumps(repr(token)),
    "HTML": html.escape,
    "quote of JSON": lambda token: quote(json.dumps(token), safe=""),
}
CUTS = ("…", "...", "_", "%26", "&", "")
tokens = st.text(alphabet=VISIBLE, min_size=redaction.MIN_SECRET_LENGTH, max_size=80)
vendor_text = st.text(alphabet=string.printable, max_size=120)


@st.composite
def echoes(draw: st.DrawFn) -> tuple[str, str]:
    """A token and a vendor-like text echoing it, or a part of at least RUN characters, in a form."""
    token = draw(tokens)
    start = draw(st.integers(0, len(token) - RUN))
    end = draw(st.integers(start + RUN, len(token)))
    part = draw(st.sampled_from([token, token[start:end]]))
    form = draw(st.sampled_from(sorted(WHOLE_FORMS)))
    cut = draw(st.sampled_from(CUTS))
    text = draw(vendor_text) + WHOLE_FORMS[form](part) + cut + draw(vendor_text)
    return token, text


@PROPERTIES
@given(echoes())
def test_no_run_of_the_token_survives_in_any_form(echo):
    token, text = echo
    redacted = redaction.redact(text, [token])
    assert PLACEHOLDER in redacted
    assert scanner.survivors(redacted, token) == []


@PROPERTIES
@given(tokens, st.data(), st.sampled_from(CUTS))
def test_a_cut_token_keeps_the_vendors_words_around_it(token, data, cut):
    alphabet = sorted(set(string.printable) - set(token) - set("%\\&") - set(string.hexdigits))
    assume(alphabet)
    before, after = (data.draw(st.text(alphabet=alphabet, max_size=60)) for _ in range(2))
    cut_part = token[: max(RUN, len(token) // 2)]
    redacted = redaction.redact(before + cut_part + "…" + cut + after, [token])
    assert redacted == before + PLACEHOLDER + "…" + cut + after


@PROPERTIES
@given(tokens, st.data())
def test_a_text_without_the_token_is_left_as_it_is(token, data):
    # Characters of no form of the token: not its own, no escape introducer, no hex digit,
    # and none of its base64 (whose runs are looked for too).
    forms = (
        token
        + base64.b64encode(token.encode()).decode()
        + base64.urlsafe_b64encode(token.encode()).decode()
    )
    alphabet = sorted(set(string.printable) - set(forms) - set("%\\&") - set(string.hexdigits))
    assume(alphabet)
    text = data.draw(st.text(alphabet=alphabet, max_size=300))
    assert redaction.redact(text, [token]) == text


@PROPERTIES
@given(tokens)
def test_base64_of_the_token_or_of_a_basic_header_is_redacted(token):
    for data in (token, f"Bearer {token}", f"user:{token}"):
        encoded = base64.b64encode(data.encode()).decode()
        redacted = redaction.redact(f"Authorization: Basic {encoded}", [token])
        assert PLACEHOLDER in redacted
        assert scanner.find_token(redacted, token) == [], redacted


def test_a_long_token_in_a_long_text_is_redacted_quickly_enough_for_messages():
    token = (VISIBLE * 50)[: redaction.MAX_SECRET_LENGTH]
    text = ("Graph said: " + quote(token[1000:1100]) + " \\u0041 %41 &amp; ") * 30
    redacted = redaction.redact(text, [token, TOKEN])
    assert scanner.survivors(redacted, token) == []


def test_non_strings_and_empty_secrets_are_ignored():
    assert redaction.redact("unchanged text", [None, "", 5, "04"]) == "unchanged text"
    assert redaction.redact("code 0421 and x-04-y", ["04"]) == "code 0421 and x-[redacted]-y"


def test_a_token_shorter_than_the_minimum_is_refused_with_the_fix():
    short = TOKEN[: redaction.MIN_SECRET_LENGTH - 1]
    reason = token_settings.token_problem(short)
    assert reason is not None
    message = str(token_settings.Problem("scimToken", reason))
    assert message.startswith("druva-scim:scimToken: is shorter than 16 characters")
    assert "pulumi config set --secret druva-scim:scimToken" in message
    assert short not in message
    assert token_settings.token_problem(TOKEN[: redaction.MIN_SECRET_LENGTH]) is None


def test_a_token_with_a_typographic_quote_is_refused():
    reason = token_settings.token_problem(TOKEN[:20] + "\u2019" + TOKEN[20:])
    assert reason is not None and "U+2019" in reason and "rich-text paste" in reason
