"""Any process: one redaction for every text leaving a provider, the program or a command line.

Pure and standard-library only, so that the program, the provider host, the
policy pack and the command-line tools share it. `redact` removes every secret
it is given in the forms a vendor or Python may echo it: whole or in part (any
`RUN` characters of it in a row, so a cut "abcdef…" or "abcdef_" is caught),
URL-encoded (either hex case, `+` or `%20`), escaped by `repr` or JSON
(backslashes, both quotes, \\uXXXX), HTML-escaped, and nested two of those
deep; also base64 and hex of it, and any run of it in another letter case
(`.upper()`, `.lower()`). It errs towards redacting too much: an innocent run
that happens to match is blanked, a secret never survives. A secret shorter than
MIN_SECRET_LENGTH (a short passphrase, a short setting) is redacted only as a
whole word: its runs would blank ordinary words of our own messages.

Its cost is bounded, whatever the text: it reads at most MAX_SCANNED characters
and shows none it did not read (a longer text is cut, CUT), and a vendor's text
is cut before it is redacted (`excerpt`), with a MARGIN that no form of a secret
it covers can straddle.

`value_problem` is the one rule a credential must pass before it is used
(the Druva token and every credential read from the environment): it becomes
an HTTP header or a signed assertion, so it is visible ASCII without white
space, and it is long enough to be redacted safely.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

PLACEHOLDER = "[redacted]"
RUN = 6
"""This many characters of a secret in a row count as the secret.

With MIN_SECRET_LENGTH 16, what may stay visible of a secret is runs of at most
5 characters; a 16-character secret then keeps at least 6 characters unknown even
when a text shows both its first and last 5 (e.g. "abcde…vwxyz"). Runs of 6
characters of a real, random token hardly occur in innocent text, so shorter
runs would blank ordinary words without making a real token any safer.
"""
MIN_SECRET_LENGTH = 16
"""A token or credential shorter than this is refused: too little of it would be
left unknown when a vendor shows a few of its characters. Real ones are far
longer (an Okta API token 42 characters, an Azure client secret 40, JWTs hundreds)."""
MAX_SECRET_LENGTH = 4096
DECODE_DEPTH = 3
"""Escapes within escapes looked through: JSON of a repr of a URL-encoded value."""
LONGEST_ESCAPE = 10
"""The most characters one escape a decoder reads can take: `\\U0010FFFF`, `&#1114111;`."""
LONGEST_FORM = max(MIN_SECRET_LENGTH - 1, 2 * RUN, 8)
"""The longest thing looked for, in decoded characters: a short secret as a whole word (15),
a run of its hex (12), of its base64 (8), of itself (RUN)."""
MARGIN = (LONGEST_FORM + 1) * LONGEST_ESCAPE**DECODE_DEPTH
"""Characters of a text that one form of a secret may take, the escape cut at its edge
included: one decoded character comes from at most LONGEST_ESCAPE ** DECODE_DEPTH
characters. A form that starts more than MARGIN characters before a cut is whole before it."""
MAX_SCANNED = 32 * 1024
"""`redact` reads at most this many characters of a text, so that its cost is bounded (about
a second at the worst, a text full of escapes within escapes), and shows only the first
MAX_SCANNED - MARGIN of a longer one, then CUT."""
CUT = " … [cut: too long to show]"
"""Where `redact` cut a text longer than MAX_SCANNED."""

SECRET_VARIABLES = (
    "OKTA_API_TOKEN",
    "OKTA_ACCESS_TOKEN",
    "OKTA_API_PRIVATE_KEY",
    "ARM_CLIENT_SECRET",
    "ARM_OIDC_TOKEN",
    "ARM_OIDC_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "AZURE_CLIENT_SECRET",
    "PULUMI_ACCESS_TOKEN",
)
"""Environment variables whose values are credentials, redacted from every message.

Not PULUMI_CONFIG_PASSPHRASE: it is often a word (`pulumi`) that our own advice
uses; only the Pulumi CLI could echo it, so only a child's output is redacted of it."""
SECRET_FILE_VARIABLES = (
    "ARM_CLIENT_SECRET_FILE_PATH",
    "ARM_OIDC_TOKEN_FILE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
)
"""Environment variables that name a file holding a credential."""
SECRET_URL_VARIABLES = ("DRUVA_SCIM_NOTIFY_URLS",)
"""Environment variables of URLs, separated by white space, whose secret is in them (a webhook's
path or query): only their secret parts (`url_secrets`) are redacted, so that `https://` and a
host name stay readable in every other text."""

_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_BACKSLASH = re.compile(
    r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL
)
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]{2,6}));")
_NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "sol": "/"}
_SHORT_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}
_WORD_CHARACTER = re.compile(r"[A-Za-z0-9]")
_Decoder = Callable[[re.Match[str]], "str | None"]


@dataclass(frozen=True)
class _View:
    """A text with one layer of escapes decoded; `spans[i]` is where character i came from."""

    text: str
    spans: tuple[tuple[int, int], ...]


def redact(text: str, secrets: Iterable[object]) -> str:
    """`text` with every secret of `secrets`, in every form it may take, replaced by PLACEHOLDER.

    Values that are not strings, and empty strings, are ignored, so callers may pass
    inputs as they arrive.
    """
    wanted = sorted({secret for secret in secrets if isinstance(secret, str) and secret})
    if not wanted or not text:
        return text
    # What is not read is not shown: a long text keeps its first part, redacted.
    shown = len(text) if len(text) <= MAX_SCANNED else MAX_SCANNED - MARGIN
    marked = _marks(text[:MAX_SCANNED], wanted)
    if not marked and shown == len(text):
        return text
    pieces: list[str] = []
    position = 0
    for start, end in _merged(marked):
        if start >= shown:
            break
        pieces.append(text[position:start])
        pieces.append(PLACEHOLDER)
        position = end
    if position < shown:
        pieces.append(text[position:shown])
    if shown < len(text):
        pieces.append(CUT)
    return "".join(pieces)


def _marks(text: str, wanted: list[str]) -> list[tuple[int, int]]:
    """Where in `text` any form of a secret of `wanted` is: (start, end) spans."""
    patterns = _patterns(wanted)
    folded_grams = {
        run.lower()
        for secret in wanted
        if len(secret) >= MIN_SECRET_LENGTH
        for run in _runs(secret, RUN)
    }
    marked: list[tuple[int, int]] = []
    for view in _views(text):
        for (length, whole_word), grams in patterns.items():
            marked.extend(_matches(view, length, grams, whole_word))
        if folded_grams:
            marked.extend(_matches(_folded(view), RUN, folded_grams, False))
    return marked


DAMAGED = "contains white space or control characters inside it"
NOT_ASCII = (
    "contains a character that is not plain ASCII (a typographic quote or dash from a "
    "rich-text paste?), which cannot be sent in an HTTP header"
)
TOO_LONG = f"is longer than {MAX_SECRET_LENGTH} characters"
TOO_SHORT = (
    f"is shorter than {MIN_SECRET_LENGTH} characters, too short to be a real credential "
    "or to be kept out of messages"
)


def value_problem(value: str, *, secret: bool = True) -> str | None:
    """Which of DAMAGED, NOT_ASCII, TOO_LONG or TOO_SHORT (secrets only) `value` is, to end
    a sentence that names it; None when it is usable. Never quotes the value."""
    if any(character.isspace() or not character.isprintable() for character in value):
        return DAMAGED
    if any(not "!" <= character <= "~" for character in value):
        return NOT_ASCII
    if len(value) > MAX_SECRET_LENGTH:
        return TOO_LONG
    if secret and len(value) < MIN_SECRET_LENGTH:
        return TOO_SHORT
    return None


def environment_problem(variable: str, value: str, *, secret: bool = True) -> str | None:
    """`value_problem` for a credential read from `variable` (an id when not `secret`)."""
    reason = value_problem(value, secret=secret)
    if reason is None:
        return None
    return (
        f"{variable} {reason}; it was set or pasted damaged: copy it again from where it "
        "was issued and set it again in the environment of `pulumi up`"
    )


def environment_value(
    environ: Mapping[str, str], variable: str, *, secret: bool = True
) -> tuple[str, str | None]:
    """`variable`'s value, trimmed ("" when unset), and `environment_problem` of it."""
    value = environ.get(variable, "").strip()
    return value, environment_problem(variable, value, secret=secret) if value else None


def environment_secrets(
    environ: Mapping[str, str], files: Mapping[str, str] | None = None
) -> list[str]:
    """The credential values in `environ`, and in the files it names (`files`: path -> text)."""
    found = [environ.get(name, "") for name in SECRET_VARIABLES]
    for name in SECRET_FILE_VARIABLES:
        path = environ.get(name, "").strip()
        if path and files and path in files:
            found.append(files[path])
    found.extend(
        part
        for name in SECRET_URL_VARIABLES
        for url in environ.get(name, "").split()
        for part in url_secrets(url)
    )
    values: list[str] = []
    for value in found:
        # A PEM key is a secret by its lines; its armour lines are not.
        for line in value.splitlines():
            text = line.strip()
            if text and not text.startswith("-----"):
                values.append(text)
    return sorted(set(values))


def shown_url(url: str) -> str:
    """A URL as a message may show it: without a user, password, query or fragment (a
    backend URL like postgres://user:password@host/db or azblob://c?storage_account=… carries
    credentials there)."""
    parts = urlsplit(url)
    if not parts.scheme:
        return url.split("?", 1)[0].rpartition("@")[2]
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{quote(parts.path, safe='/%~')}"


URL_PREFIX = re.compile(r"(?P<prefix>[A-Za-z]{1,10})\+(?P<url>https?://.*)", re.I | re.S)
"""A webhook URL's format prefix (`slack+https://…`): a short word of letters before `+http`.
Anything else before a `+` is part of the URL, so it is never quoted as a prefix."""


def url_secrets(url: str) -> list[str]:
    """What a URL carries that lets its holder in: its user and password, each label of its
    host and each part of its path and query values (split at `/`) at least MIN_SECRET_LENGTH
    long (the secret of a Slack webhook's path, a Teams workflow's id and `sig`, an AWS Lambda
    function URL's id in its host). Shorter parts are the URL's fixed words (`services`,
    `triggers`, `api-version=1`): blanking them would blank those words everywhere."""
    prefixed = URL_PREFIX.fullmatch(url)
    try:
        parts = urlsplit(prefixed["url"] if prefixed else url)
        found = [value for value in (parts.username, parts.password) if value]
        labels = (parts.hostname or "").split(".")
    except ValueError:
        return [url]  # not a URL at all (an unclosed `[`): all of it, then
    found.extend(label for label in labels if len(label) >= MIN_SECRET_LENGTH)
    pieces = [parts.path, *(value for _, value in parse_qsl(parts.query))]
    for piece in pieces:
        for part in (*piece.split("/"), *unquote(piece).split("/")):
            if len(part) >= MIN_SECRET_LENGTH:
                found.append(part)
    return sorted(set(found))


def excerpt(text: str, limit: int, secrets: Collection[str] = ()) -> str:
    """A vendor's text on one line, without `secrets`, cut between words to `limit` characters.

    Cut to `limit` + MARGIN first (a vendor may send a megabyte), then redacted, then cut
    to `limit`: a form of a secret that starts within the first `limit` characters ends
    within the MARGIN, so redaction sees it whole (a cut secret is harder to recognise).
    """
    # Words joined first: no secret holds white space (value_problem), nor any form of one.
    line = redact(" ".join(text.split())[: limit + MARGIN], secrets)
    if len(line) <= limit:
        return line
    cut = line[: limit + 1]
    kept = cut.rsplit(" ", 1)[0] if " " in cut else ""
    return f"{kept} …" if kept else "…"


# --- how secrets are looked for --------------------------------------------------------------


def _patterns(secrets: list[str]) -> dict[tuple[int, bool], set[str]]:
    """Substrings to look for, by length and whether only as a whole word (short secrets)."""
    patterns: dict[tuple[int, bool], set[str]] = {}

    def add(length: int, grams: Iterable[str], whole_word: bool = False) -> None:
        patterns.setdefault((length, whole_word), set()).update(grams)

    for secret in secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            # Too short for runs: `pulumi` as a passphrase would blank `pulumi config set`.
            add(len(secret), [secret], whole_word=True)
            continue
        add(RUN, _runs(secret, RUN))
        # Base64 and hex: an `Authorization: Basic` or a dumped header may be echoed so.
        # Eight base64 characters encode six bytes; three alignments cover every offset.
        data = secret.encode("utf-8", "surrogatepass")
        for offset in range(3):
            part = data[offset:]
            whole = part[: len(part) // 3 * 3]
            for encoded in (base64.b64encode(whole), base64.urlsafe_b64encode(whole)):
                add(8, _runs(encoded.decode("ascii"), 8))
        add(2 * RUN, _runs(data.hex(), 2 * RUN))
        add(2 * RUN, _runs(data.hex().upper(), 2 * RUN))
    return patterns


def _runs(text: str, length: int) -> set[str]:
    return {text[index : index + length] for index in range(len(text) - length + 1)}


def _matches(
    view: _View, length: int, grams: set[str], whole_word: bool
) -> Iterable[tuple[int, int]]:
    text = view.text
    for index in range(len(text) - length + 1):
        if text[index : index + length] not in grams:
            continue
        end = index + length
        if whole_word and (
            (index > 0 and _WORD_CHARACTER.match(text[index - 1]))
            or (end < len(text) and _WORD_CHARACTER.match(text[end]))
        ):
            continue
        yield view.spans[index][0], view.spans[end - 1][1]


def _folded(view: _View) -> _View:
    """The view in lower case, character for character (so its spans still hold)."""
    text = "".join(
        lower if len(lower := character.lower()) == 1 else character for character in view.text
    )
    return _View(text, view.spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _views(text: str) -> list[_View]:
    """The text as it is, and as each combination of decoders up to DECODE_DEPTH reads it."""
    first = _View(text, tuple((index, index + 1) for index in range(len(text))))
    seen = {text}
    views, layer = [first], [first]
    for _ in range(DECODE_DEPTH):
        next_layer: list[_View] = []
        for view in layer:
            for pattern, decode in _DECODERS:
                decoded = _decoded(view, pattern, decode)
                if decoded is not None and decoded.text not in seen:
                    seen.add(decoded.text)
                    next_layer.append(decoded)
        views.extend(next_layer)
        layer = next_layer
    return views


def _decoded(view: _View, pattern: re.Pattern[str], decode: _Decoder) -> _View | None:
    text = view.text
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for match in pattern.finditer(text):
        character = decode(match)
        if character is None:
            continue
        for index in range(position, match.start()):
            pieces.append(text[index])
            spans.append(view.spans[index])
        pieces.append(character)
        spans.append((view.spans[match.start()][0], view.spans[match.end() - 1][1]))
        position = match.end()
    if position == 0:
        return None
    for index in range(position, len(text)):
        pieces.append(text[index])
        spans.append(view.spans[index])
    return _View("".join(pieces), tuple(spans))


def _percent(match: re.Match[str]) -> str | None:
    return chr(int(match.group(1), 16))


def _backslash(match: re.Match[str]) -> str | None:
    code = match.group(1) or match.group(2) or match.group(3)
    if code:
        number = int(code, 16)
        return chr(number) if number <= 0x10FFFF else None
    escaped = match.group(4)
    return _SHORT_ESCAPES.get(escaped, escaped)


def _entity(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if decimal or hexadecimal:
        number = int(decimal, 10) if decimal else int(hexadecimal, 16)
        return chr(number) if number <= 0x10FFFF else None
    return _NAMED_ENTITIES.get(name.lower())


_DECODERS: tuple[tuple[re.Pattern[str], _Decoder], ...] = (
    (_PERCENT, _percent),
    (_BACKSLASH, _backslash),
    (_ENTITY, _entity),
)
