"""The one redaction, as pure functions: no run of the token survives in any form
(providers/core/redaction.py), and a token that could not be redacted safely is refused."""

from __future__ import annotations

import base64
import html
import json
import string
import time
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote

import pytest
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


@PROPERTIES
@given(echoes(), st.sampled_from([str.upper, str.lower, str.swapcase]))
def test_a_run_of_the_token_in_another_letter_case_is_redacted(echo, recase):
    token, text = echo
    redacted = redaction.redact(recase(text), [token])
    assert PLACEHOLDER in redacted
    folded = redacted.lower()
    runs = {token.lower()[start : start + RUN] for start in range(len(token) - RUN + 1)}
    assert [run for run in runs if run in folded] == []


@PROPERTIES
@given(st.text(alphabet=string.ascii_letters + "-", min_size=RUN, max_size=15))
def test_a_secret_shorter_than_the_minimum_is_redacted_only_as_a_whole_word(short):
    advice = "set it with `pulumi config set --secret druva-scim:scimToken`"
    assume(short not in advice)
    assert redaction.redact(f"it is {short}.", [short]) == f"it is {PLACEHOLDER}."
    inside = f"{advice} x{short}x"
    assert redaction.redact(inside, [short]) == inside


def test_the_config_passphrase_is_not_a_secret_of_every_message():
    assert redaction.environment_secrets({"PULUMI_CONFIG_PASSPHRASE": "pulumi"}) == []


# --- bounded: a vendor's megabyte is cut before it is redacted -----------------------------------

MEBIBYTE = 1024 * 1024
CPU_BUDGET = 2.0
"""Seconds of CPU a megabyte of the worst vendor text may cost (about 18 s before the cut)."""
LIMIT = 400
"""The longest excerpt of a vendor's text in a message (Graph's and Okta's error texts)."""
NESTED = "%25255C%255Cu0041&amp;#65;&#37;41\\\\u0041%26amp%3B "
"""Escapes within escapes, each layer decoding into more: every combination of decoders is
a view of its own, the most work for redaction per character."""
ADVERSARIAL = {
    "escapes within escapes": NESTED,
    "runs of a partial token": TOKEN[: RUN - 1] + "\\u00" + TOKEN[: RUN - 1] + "%2 ",
    "JSON nested deep, as text": '{"error":[{"message":"\\"',
}
NESTED_FORMS: dict[str, Callable[[str], str]] = {
    **WHOLE_FORMS,
    "JSON of repr of quote": lambda token: json.dumps(repr(quote(token, safe=""))),
    "HTML of JSON of quote": lambda token: html.escape(json.dumps(quote(token, safe=""))),
}


def mebibyte_of(unit: str) -> str:
    return (unit * (MEBIBYTE // len(unit) + 1))[:MEBIBYTE]


def cpu_seconds(action: Callable[[], str]) -> tuple[str, float]:
    started = time.process_time()
    result = action()
    return result, time.process_time() - started


@pytest.mark.parametrize("unit", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_a_mebibyte_of_adversarial_vendor_text_becomes_an_excerpt_within_a_cpu_budget(unit):
    echoed = f"token {json.dumps(repr(TOKEN))} "
    text = echoed + "w " * ((LIMIT - 30 - len(echoed)) // 2) + echoed + mebibyte_of(unit)
    result, seconds = cpu_seconds(lambda: redaction.excerpt(text, LIMIT, [TOKEN]))
    assert seconds < CPU_BUDGET
    assert len(result) <= LIMIT + 2
    assert result.count(PLACEHOLDER) == 2, result  # at the start, and straddling the cut
    assert scanner.survivors(result, TOKEN) == []


@pytest.mark.parametrize("form", sorted(NESTED_FORMS))
@pytest.mark.parametrize("inside", [RUN, 40])
def test_a_token_straddling_the_excerpts_cut_is_redacted_in_every_form(form, inside):
    """The cut before redaction keeps a margin: a form of the token that starts before the
    final cut is redacted whole, however long its escapes make it."""
    encoded = NESTED_FORMS[form](TOKEN)
    shown = encoded[:inside]
    filler = LIMIT - len(shown) - 1
    text = "w " * (filler // 2) + "w" * (filler % 2) + " " + encoded + "w" * MEBIBYTE
    result = redaction.excerpt(text, LIMIT, [TOKEN])
    assert scanner.survivors(result, TOKEN) == []
    assert scanner.find_token(result, TOKEN) == []


@pytest.mark.parametrize("form", ["plain", "JSON of repr of quote"])
def test_a_short_secret_straddling_the_excerpts_cut_is_redacted_whole(form):
    """A short secret is redacted only as a whole word: cut first, its part would show."""
    short = "hunter2hunter"
    encoded = NESTED_FORMS[form](short)
    filler = LIMIT - len(encoded) // 2
    text = "w " * (filler // 2) + "w" * (filler % 2) + " " + encoded + " and more" * 2000
    result = redaction.excerpt(text, LIMIT, [short])
    assert result.endswith(f"{PLACEHOLDER} …") or result.endswith(" …"), result[-40:]
    assert "hunter2" not in result and "hunter2" not in unquote(result), result[-40:]


def test_redaction_reads_a_bounded_part_of_a_text_and_shows_nothing_it_did_not_read():
    cut = redaction.MAX_SCANNED - redaction.MARGIN
    # The token straddles what is shown, behind escapes within escapes.
    head = NESTED * (cut // len(NESTED))
    text = head[: cut - 10] + quote(json.dumps(TOKEN), safe="") + mebibyte_of(NESTED)
    result, seconds = cpu_seconds(lambda: redaction.redact(text, [TOKEN]))
    assert seconds < CPU_BUDGET
    assert result.endswith(redaction.CUT) and len(result) <= cut + len(PLACEHOLDER) + 20
    assert result.startswith(head[:100])
    assert scanner.survivors(result, TOKEN) == []
    short = head[:1000] + TOKEN
    assert redaction.redact(short, [TOKEN]) == head[:1000] + PLACEHOLDER


def test_the_margin_covers_the_longest_form_behind_the_deepest_escapes():
    # One decoded character from at most 10 ** 3 characters; 15 of them at most, and the
    # escape cut at the edge.
    assert redaction.MARGIN == (15 + 1) * 10**redaction.DECODE_DEPTH
    assert redaction.MAX_SCANNED >= LIMIT + redaction.MARGIN
    longest = max(len(match) for match in ("\\U0010FFFF", "&#1114111;", "&#x10FFFF;", "%41"))
    assert longest == redaction.LONGEST_ESCAPE


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://admin:s3cr3t-pw@db.example:5432/pulumi", "postgres://db.example:5432/pulumi"),
        ("azblob://state?storage_account=acct&key=abc", "azblob://state"),
        ("file:///home/a/.pulumi-druva-scim", "file:///home/a/.pulumi-druva-scim"),
        ("https://app.pulumi.com/alice", "https://app.pulumi.com/alice"),
    ],
)
def test_a_url_is_shown_without_its_credentials(url, shown):
    assert redaction.shown_url(url) == shown
