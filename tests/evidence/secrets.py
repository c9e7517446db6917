"""The token in no observable place, in no form.

Everything a person, a CI log or the engine's state could show is scanned for
the recognisable test tokens: plain, base64 (standard and URL-safe, of the token
and of `Bearer <token>`, and any base64 blob that decodes to it), URL-encoded,
hex, the full SHA-256 (the 12-digit fingerprint is allowed) and any 16
characters of it in a row. Each scanned surface is one row.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import html
import io
import json
import logging
import os
import pickletools
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import dill
import grpc

from providers.core import lifecycle, resource_types
from providers.core.errors import ProviderError
from providers.core.redaction import RUN
from providers.druva import client as druva
from providers.http import new_session
from testbed import ROOT
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.harness import Run, is_secret, run_program, unwrap
from testbed.stand_ins.druva import DruvaScim, scim_error
from testbed.stand_ins.graph import Graph, graph_error, job, quarantine
from testbed.stand_ins.okta import Okta, okta_error
from testbed.stand_ins.server import Reply
from tests.doubles import (
    FAST,
    GRAPH_BEARER,
    NOW,
    OKTA_API_TOKEN,
    OTHER_TOKEN,
    TOKEN,
    AzureCheck,
    OktaCheck,
    TokenProvider,
    pickler_restored,
    token_inputs,
    urn,
)
from tests.evidence import bad_input
from tests.evidence.record import Row, unmet

TOKENS = (TOKEN, OTHER_TOKEN)
WINDOW = 16
"""This many characters of the token in a row count as the token (for the scan; the
redaction itself blanks runs of providers.redaction.RUN)."""
SPECIAL = "dRuVa\\ToKeN'with\"QuOtEs%26and+plus&amp/slash=7f3a9c1e"
"""A valid token with every character that some form escapes."""
DAMAGED = "cReDeNtIaL-fRoM-a-DaMaGeD\npAsTe-4f2a9c7e1b3d"
"""A credential from a damaged paste: a line break inside."""
NOTIFY = '{"Enabled":true,"Recipients":"ops@example.com","DeleteThresholdEnabled":true}'
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
URN = urn(resource_types.SCIM_TOKEN, "druva-scim-token")
OKTA_URN = urn(resource_types.OKTA_CHECK, "okta")
BEARER = GRAPH_BEARER
OKTA_TOKEN = OKTA_API_TOKEN
SP = [f"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a{i:02x}" for i in range(8)]
APP_IDS = [f"0oa1b2c3d4e5f6g7h{i:03d}" for i in range(8)]
TENANT = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
JOB = "scim.6f1c2a3b4d5e.0001"
# Generated from test source (parametrized test ids, type caches), like the test files themselves.
TOOL_CACHES = frozenset(
    {".git", "venv", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
)
TEST_SOURCE_DIRS = ("tests", "bench")
MAX_SCANNED_FILE = 8 * 1024 * 1024


# --- the scanner ------------------------------------------------------------------------


def token_forms(token: str) -> dict[str, str]:
    """Every encoding looked for, by name; the first name of a repeated value wins."""
    forms: dict[str, str] = {"plain": token}
    for label, text in (("token", token), ("`Bearer token`", f"Bearer {token}")):
        data = text.encode()
        # Only the characters that padding cannot touch, so the form is found inside a blob.
        whole = len(data) // 3 * 4
        forms[f"base64 of {label}"] = base64.b64encode(data).decode()[:whole]
        forms[f"URL-safe base64 of {label}"] = base64.urlsafe_b64encode(data).decode()[:whole]
    forms["URL-encoded"] = quote(token, safe="")
    forms["URL-encoded, lower-case hex"] = re.sub(
        r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), forms["URL-encoded"]
    )
    forms["form-encoded"] = quote_plus(token)
    forms["repr-escaped"] = repr(token)[1:-1]
    forms["JSON-escaped"] = json.dumps(token)[1:-1]
    forms["hex"] = token.encode().hex()
    forms["full SHA-256"] = hashlib.sha256(token.encode()).hexdigest()
    unique: dict[str, str] = {}
    for name, value in forms.items():
        if value not in unique.values():
            unique[name] = value
    return unique


def find_token(data: str | bytes, token: str) -> list[str]:
    """The forms of `token` found in `data`; [] when it is not there in any."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    lowered = text.lower()
    found = [
        name
        for name, form in token_forms(token).items()
        if form in text or (name in ("hex", "full SHA-256") and form in lowered)
    ]
    if not found:
        windows = {token[i : i + WINDOW] for i in range(len(token) - WINDOW + 1)}
        if any(window in text for window in windows):
            found.append(f"{WINDOW} characters of it in a row")
    if "%" in text or "+" in text:
        decoded = {unquote(text), unquote_plus(text)}
        if not found and any(token in candidate for candidate in decoded):
            found.append("URL-encoded (decoded)")
    if any(token.encode() in blob for blob in _base64_blobs(text)):
        found.append("a base64 blob that decodes to it")
    return found


def _base64_blobs(text: str) -> Iterator[bytes]:
    for match in BASE64_RUN.finditer(text):
        run = match.group(0).rstrip("=")
        for shift in range(4):
            part = run[shift:]
            padded = part + "=" * (-len(part) % 4)
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                with contextlib.suppress(binascii.Error, ValueError):
                    yield decode(padded)


def findings(texts: Mapping[str, str | bytes], tokens: tuple[str, ...] = TOKENS) -> list[str]:
    """`where: form` for every token form found in any of the labelled texts."""
    return [
        f"{where}: {form}"
        for where, data in texts.items()
        for token in tokens
        for form in find_token(data, token)
    ]


def row(
    scenario: str,
    step: str,
    texts: Mapping[str, str | bytes],
    *,
    extra_ok: bool = True,
    tokens: tuple[str, ...] = TOKENS,
    note: str = "",
) -> Row:
    found = findings(texts, tokens)
    size = sum(len(text) for text in texts.values())
    outcome = (
        f"{len(texts)} texts, {size} characters scanned: token in no form"
        if not found
        else "token found: " + "; ".join(found[:5])
    )
    if note:
        outcome += f"; {note}"
    return Row(
        scenario=scenario,
        step=step,
        outcome=outcome,
        token_safe=not found,
        reason=unmet(
            ("the token in no form", not found),
            (f"this surface to be as it should ({note or scenario})", extra_ok),
            ("something to scan", bool(texts)),
        ),
    )


# --- what a run shows ---------------------------------------------------------------------


def public(value: Any) -> Any:
    """The value as a viewer of non-secret data sees it: secrets, at any depth, hidden."""
    if is_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {key: public(item) for key, item in value.items()}
    if isinstance(value, list):
        return [public(item) for item in value]
    return value


def dumped(value: Any) -> str:
    return json.dumps(value, default=repr, sort_keys=True)


@dataclass
class Observed:
    """Everything observable, gathered over several runs, by surface."""

    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, str | bytes] = field(default_factory=dict)
    secret_exports: list[set[str]] = field(default_factory=list)

    def add(self, label: str, run: Run) -> None:
        for registration in run.registrations:
            where = f"{label} {registration.name}"
            inputs = {k: v for k, v in registration.inputs.items() if k != "__provider"}
            self.inputs[where] = dumped(public(inputs))
            self.outputs[where] = dumped(public(registration.outputs))
            blob = registration.inputs.get("__provider")
            if isinstance(blob, str):
                self.blobs.update(provider_blob(f"{where} __provider", blob))
        self.exports[label] = dumped({k: v for k, v in run.exports.items() if k != "scimToken"})
        self.logs[label] = "\n".join(f"{level}: {text}" for level, text in run.logs)
        self.errors[label] = repr(run.error) + "\n" + str(run.error)
        self.secret_exports.append(run.secret_exports)


def labelled(prefix: str, texts: Mapping[str, str]) -> dict[str, str | bytes]:
    return {f"{prefix}: {where}": text for where, text in texts.items()}


def provider_blob(where: str, blob: str) -> dict[str, str | bytes]:
    """A `__provider` value as text, as its dill payload, disassembled, and unpickled."""
    payload = base64.b64decode(blob)
    listing = io.StringIO()
    pickletools.dis(payload, out=listing)
    provider = dill.loads(payload)  # noqa: S301  (our own program's blob)
    return {
        f"{where} (text)": blob,
        f"{where} (dill payload)": payload,
        f"{where} (pickle opcodes)": listing.getvalue(),
        f"{where} (object)": repr(provider) + dumped(vars(provider)),
    }


@contextlib.contextmanager
def captured_output() -> Iterator[dict[str, str]]:
    """stdout and stderr of this process, at the file descriptors and in Python."""
    result: dict[str, str] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved = os.dup(1), os.dup(2)
        python_out, python_err = io.StringIO(), io.StringIO()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            with contextlib.redirect_stdout(python_out), contextlib.redirect_stderr(python_err):
                yield result
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            out.seek(0)
            err.seek(0)
            result["stdout"] = out.read().decode(errors="replace") + python_out.getvalue()
            result["stderr"] = err.read().decode(errors="replace") + python_err.getvalue()


class RootRecords(logging.Handler):
    """Every record that reaches the root logger, formatted with its exception."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record) + f" args={record.args!r}")


@contextlib.contextmanager
def root_logging() -> Iterator[RootRecords]:
    root = logging.getLogger()
    handler = RootRecords()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@contextlib.contextmanager
def temporary_files() -> Iterator[Path]:
    """A fresh temporary directory that this process and its children write into."""
    with tempfile.TemporaryDirectory(prefix="druva-scim-secrets-") as folder:
        before = tempfile.tempdir
        tempfile.tempdir = folder
        try:
            yield Path(folder)
        finally:
            tempfile.tempdir = before


def files_in(folder: Path) -> dict[str, str | bytes]:
    return {
        str(path): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.stat().st_size <= MAX_SCANNED_FILE
    }


# --- the program under mocks ------------------------------------------------------------


def every_kind_of_app(token: str, **overrides: Any) -> dict[str, str]:
    structured: dict[str, Any] = {
        "azureTenants": [{"name": "emea", "tenantId": TENANT, "clientId": SP[7]}],
        "oktaOrgs": [{"name": "corp", "orgName": "widgets", "baseUrl": "oktapreview.com"}],
        "azureApps": [
            {
                "name": "druva",
                "servicePrincipalId": SP[0],
                "extraSecrets": {"SyncNotificationSettings": NOTIFY},
            },
            {"name": "druva-2", "servicePrincipalId": SP[1]},
            {"name": "druva-emea", "servicePrincipalId": SP[2], "tenant": "emea"},
        ],
        "oktaApps": [
            {"name": "okta-api", "appId": APP_IDS[0]},
            {"name": "okta-corp", "appId": APP_IDS[1], "org": "corp"},
            {"name": "okta-manual", "appId": APP_IDS[2], "mode": "manual"},
            {
                "name": "okta-confirmed",
                "appId": APP_IDS[3],
                "mode": "manual",
                "confirmedFingerprint": lifecycle.fingerprint(TOKEN),
            },
        ],
        "manualApps": [
            {"name": "onelogin", "kind": "onelogin", "appId": "1234567"},
            {"name": "jumpcloud", "kind": "jumpcloud", "appId": "5f0c1b2a3d4e"},
            {"name": "other", "kind": "other", "appId": "c1", "consoleUrl": "https://idp.example"},
        ],
        **overrides,
    }
    return {
        "druva-scim:scimToken": token,
        "druva-scim:issuedAt": "2026-11-20T00:00:00Z",
        "okta:orgName": "acme",
        **{f"druva-scim:{key}": json.dumps(value) for key, value in structured.items()},
    }


def program_runs(observed: Observed) -> list[str]:
    """Preview, up, a re-run, a rotation and a re-run after it; problems found on the way."""
    problems: list[str] = []
    first = every_kind_of_app(TOKEN)
    preview = run_program(first, preview=True)
    up = run_program(first)
    prior = {r.name: unwrap(r.outputs) for r in up.registrations}
    again = run_program(first, now=NOW + timedelta(days=1), prior=prior)
    rotated_config = {
        **every_kind_of_app(OTHER_TOKEN),
        "druva-scim:issuedAt": "2026-11-29T00:00:00Z",
    }
    rotated = run_program(rotated_config, now=NOW + timedelta(days=7), prior=prior)
    prior = {r.name: unwrap(r.outputs) for r in rotated.registrations}
    after = run_program(rotated_config, now=NOW + timedelta(days=8), prior=prior)
    for label, run in (
        ("preview", preview),
        ("up", up),
        ("re-run", again),
        ("rotation", rotated),
        ("after rotation", after),
    ):
        if run.error is not None:
            problems.append(f"{label} failed: {run.error}")
        if not preview.registrations:
            problems.append(f"{label} registered nothing")
        observed.add(label, run)
    if any(exports != {"scimToken"} for exports in observed.secret_exports):
        problems.append(f"secret exports {observed.secret_exports}")
    return problems


def registrations_count(run_labels: int, observed: Observed) -> str:
    return f"{len(observed.inputs)} registrations over {run_labels} runs"


def error_runs(observed: Observed) -> None:
    cases = [case for case in bad_input.PROGRAM_CASES if "token" in case.scenario.lower()]
    for case in cases:
        run = run_program(bad_input.stack_config(case), case.secret_keys)
        observed.add(f"bad config ({case.scenario})", run)


# --- the provider host ------------------------------------------------------------------


def host_lifecycle(folder: Path) -> tuple[dict[str, str | bytes], dict[str, str | bytes], str]:
    """A whole lifecycle and three failures through the SDK's host; (texts, state, problems).

    Files the host and its log wrote into `folder` are scanned while they still exist.
    """
    texts: dict[str, str | bytes] = {}
    state_texts: dict[str, str | bytes] = {}
    problems: list[str] = []
    blob = serialized(TokenProvider())

    def news(url: str, **changes: Any) -> dict[str, Any]:
        return token_inputs(url, __provider=blob, **changes)

    def keep(label: str, properties: Mapping[str, Any]) -> None:
        state_texts[label] = dumped({k: v for k, v in properties.items() if k != "scimToken"})

    with DruvaScim(TOKEN) as stand_in, ProviderHost(env={"TMPDIR": str(folder)}) as host:
        checked = from_struct(host.check(URN, {}, news(stand_in.url)).inputs)
        keep("check", checked)
        created = host.create(URN, checked)
        state = from_struct(created.properties)
        keep("create", state)
        again = from_struct(host.check(URN, state, news(stand_in.url)).inputs)
        diff = host.diff(URN, created.id, state, again)
        texts["diff"] = str(diff)
        moved = from_struct(host.check(URN, state, news(stand_in.url, rotateBeforeDays=45)).inputs)
        updated = from_struct(host.update(URN, created.id, state, moved).properties)
        keep("update", updated)
        read = host.read(URN, created.id, updated)
        keep("read", from_struct(read.properties))

        echo = f"Authorization failure: token {TOKEN} (Bearer {TOKEN}) is invalid or expired."
        stand_in.fail_next(scim_error(401, echo))
        try:
            host.create(URN, checked)
            problems.append("a create Druva refused succeeded")
        except grpc.RpcError as error:
            texts["failing create (401 echoing the token): gRPC error"] = str(error.details())
        stand_in.fail_next(*[scim_error(503, echo)] * FAST.attempts)
        try:
            host.create(URN, checked)
            problems.append("a create during an outage succeeded")
        except grpc.RpcError as error:
            texts["failing create (503 x3 echoing the token): gRPC error"] = str(error.details())
        stand_in.fail_next(scim_error(403, echo))
        try:
            host.read(URN, created.id, updated)
            problems.append("a refresh Druva refused succeeded")
        except grpc.RpcError as error:
            texts["failing refresh (403 echoing the token): gRPC error"] = str(error.details())
        host.delete(URN, created.id, updated)
        texts["stderr"] = host.stderr()
        texts.update({f"file {name}": data for name, data in files_in(folder).items()})
        host.stop()
        assert host.process.stdout is not None
        texts["stdout"] = host.process.stdout.read()
    if len(stand_in.requests) != 2 + 1 + FAST.attempts + 1:
        problems.append(f"{len(stand_in.requests)} Druva requests")
    if "Traceback" in str(texts.get("stderr", "")):
        problems.append("a traceback on stderr")
    return texts, state_texts, "; ".join(problems)


# --- the clients, when a vendor echoes the token ---------------------------------------


def raised(action: Callable[[], Any]) -> str:
    try:
        action()
    except ProviderError as error:
        return f"{type(error).__name__}: {error}"
    return "(nothing raised)"


@dataclass(frozen=True)
class Echo:
    scenario: str
    reply: Callable[[str], Reply | list[Reply]]
    """The vendor's answer, given the secret it echoes."""
    secret: str = TOKEN


DRUVA_ECHOES = (
    Echo("Druva 401 with the token in its detail", lambda t: scim_error(401, f"Token {t} expired")),
    Echo(
        "Druva 401 with `Bearer <token>` in its detail",
        lambda t: scim_error(401, f"Rejected header Authorization: Bearer {t}."),
    ),
    Echo(
        "Druva 401 with the token cut by the detail's length limit",
        lambda t: scim_error(401, "x " * 135 + t + " expired"),
    ),
    Echo("Druva 403 echoing the token", lambda t: scim_error(403, f"{t} lacks the SCIM scope")),
    Echo("Druva 400 echoing the token", lambda t: scim_error(400, f"bad request for token={t}")),
    Echo(
        "Druva 503 (every attempt) echoing the token",
        lambda t: [scim_error(503, f"maintenance; token {t} not checked")] * FAST.attempts,
    ),
    Echo(
        "Druva 302 to a login page with the token in the Location",
        lambda t: Reply(302, b"", headers={"Location": f"https://sso.example/login?token={t}"}),
    ),
    Echo(
        "Druva 200 that is not SCIM, echoing the token",
        lambda t: Reply(200, {"token": t, "ok": True}),
    ),
)


def druva_echo_rows() -> list[Row]:
    rows: list[Row] = []
    with DruvaScim(TOKEN) as stand_in:
        for echo in DRUVA_ECHOES:
            replies = echo.reply(echo.secret)
            stand_in.fail_next(*(replies if isinstance(replies, list) else [replies]))
            provider = TokenProvider(NOW)
            inputs = provider.check(
                {},
                {"scimToken": TOKEN, "tenantUrl": stand_in.url, "issuedAt": "2026-11-20T00:00:00Z"},
            ).inputs
            text = raised(partial(provider.create, inputs))
            ok = text.startswith(("ProviderError", "TokenRejectedError", "CouldNotCheckError"))
            rows.append(
                row(echo.scenario, "create (Druva client)", {"exception": text}, extra_ok=ok)
            )
        with new_session(FAST) as session:
            stand_in.fail_next(scim_error(401, f"Token {TOKEN} expired"))
            text = raised(lambda: druva.check_token(session, stand_in.url, TOKEN, FAST))
            rows.append(
                row(
                    "Druva 401 echoing the token, client called directly",
                    "druva.check_token",
                    {"exception": text},
                    extra_ok="rejected" in text,
                )
            )
    return rows


def azure_props(url: str) -> dict[str, Any]:
    return {
        "appName": "druva",
        "servicePrincipalId": SP[0],
        "tokenFingerprint": lifecycle.fingerprint(TOKEN),
        # A secret input, as the program passes it: what lets the check recognise the token.
        "scimToken": TOKEN,
        "graphUrl": url,
    }


def straddling(message: str, limit: int) -> str:
    """`message` behind filler words, so that a cut at `limit` falls 24 characters into the token."""
    start = message.index(TOKEN)
    filler = limit - 24 - start
    return "w " * (filler // 2) + ("w" if filler % 2 else "") + message


def graph_echo_rows() -> list[Row]:
    relayed = (
        "Error code: SystemForCrossDomainIdentityManagementCredentialValidationUnavailable "
        "Details: We received this unexpected response from your application: Web Response: "
        '{"detail":"Authorization failure for token ' + TOKEN + '","status":"401"}.'
    )
    cases: list[tuple[str, Reply, str, int]] = [
        (
            "Graph relays Druva's answer echoing the token (validateCredentials 400)",
            graph_error(400, "BadRequest", relayed),
            TOKEN,
            1,
        ),
        (
            "Graph relays it at the end of a long message (cut by the length limit)",
            graph_error(400, "BadRequest", straddling(relayed, 400 - len("BadRequest: "))),
            TOKEN,
            1,
        ),
        (
            "Graph 401 echoing the Azure access token",
            graph_error(401, "InvalidAuthenticationToken", f"Token {BEARER} is expired"),
            BEARER,
            0,
        ),
    ]
    rows: list[Row] = []
    with Graph(BEARER) as stand_in:
        stand_in.jobs[SP[0]] = [job(JOB, "scim")]
        for scenario, reply, secret, after in cases:
            text = _graph_failure(stand_in, AzureCheck(bearer=BEARER), reply, after)
            rows.append(check_failure_row(scenario, "check (Azure)", text, secret))
        record = quarantine()
        record["error"]["message"] = f"SCIM endpoint answered 401: invalid token {TOKEN}"
        stand_in.jobs[SP[0]] = [job(JOB, "scim", record)]
        with captured_output() as output:
            outputs = AzureCheck(bearer=BEARER).create(azure_props(stand_in.url)).outs or {}
        rows.append(
            row(
                "Graph's quarantine record relays the token; the job is restarted",
                "check (Azure)",
                {"outputs": dumped(outputs), **output},
                extra_ok=outputs["restartedFromQuarantine"] is True and bool(stand_in.restarts),
            )
        )
    return rows


def _graph_failure(stand_in: Graph, provider: AzureCheck, reply: Reply, after: int) -> str:
    original = stand_in.handle
    answered = 0

    def handle(request: Any) -> Reply:
        nonlocal answered
        answered += 1
        return original(request) if answered <= after else reply

    stand_in.handle = handle  # type: ignore[method-assign]
    try:
        return raised(lambda: provider.create(azure_props(stand_in.url)))
    finally:
        stand_in.handle = original  # type: ignore[method-assign]


def okta_echo_rows() -> list[Row]:
    props = {
        "appName": "okta-api",
        "appId": APP_IDS[0],
        "tokenFingerprint": lifecycle.fingerprint(TOKEN),
        "scimToken": TOKEN,
    }
    cases = [
        (
            "Okta 401 echoing the API token",
            okta_error(401, "E0000011", f"Invalid token provided: SSWS {OKTA_TOKEN}"),
            OKTA_TOKEN,
        ),
        (
            "Okta 400 relaying the Druva token from the connection profile",
            okta_error(400, "E0000001", "Api validation failed: profile", (f"token {TOKEN}",)),
            TOKEN,
        ),
        (
            "Okta 500 (every attempt) echoing the Druva token",
            [okta_error(500, "E0000009", f"Internal error reading token={TOKEN}")] * FAST.attempts,
            TOKEN,
        ),
    ]
    rows: list[Row] = []
    with Okta(OKTA_TOKEN) as stand_in:
        stand_in.add_app(APP_IDS[0])
        for scenario, reply, secret in cases:
            stand_in.fail_next(*(reply if isinstance(reply, list) else [reply]))
            text = raised(
                lambda: OktaCheck({"OKTA_API_TOKEN": OKTA_TOKEN}).create(
                    {**props, "orgUrl": stand_in.url}
                )
            )
            rows.append(check_failure_row(scenario, "check (Okta)", text, secret))
    return rows


# --- issue 10: the forms and surfaces the single redaction covers --------------------------


def redaction_rows() -> list[Row]:
    """One row per surface and form: a partial, URL-encoded or escaped token, a short token,
    and damaged credentials from the environment."""
    rows: list[Row] = []
    with Graph(BEARER) as stand_in:
        record = quarantine()
        record["error"]["message"] = (
            f"SCIM endpoint answered 401 for token {TOKEN[:24]}… ({TOKEN[10:40]}_retry, "
            f"next={quote(TOKEN[20:], safe='')}%26page=2)"
        )
        stand_in.jobs[SP[0]] = [job(JOB, "scim", record)]
        with captured_output() as output:
            outputs = AzureCheck(bearer=BEARER).create(azure_props(stand_in.url)).outs or {}
        rows.append(
            row(
                "Graph's quarantine reason carries part of the token (cut with …, followed by "
                "_ and a URL-encoded &): actions, a plain output exported in targets",
                "check (Azure)",
                {"outputs": dumped(outputs), **output},
                extra_ok="[redacted]" in dumped(outputs),
            )
        )
    for scenario, reply in (
        (
            "Druva 401 whose detail carries the URL-encoded token (lower-case hex)",
            scim_error(401, f"invalid token={quote(SPECIAL, safe='').lower()}&scope=scim"),
        ),
        (
            "Druva 302 whose Location carries the URL-encoded token in its path",
            Reply(302, b"", headers={"Location": f"https://sso.example/{quote(SPECIAL)}/x"}),
        ),
    ):
        with DruvaScim(SPECIAL) as druva_stand_in:
            druva_stand_in.fail_next(reply)
            provider = TokenProvider(NOW)
            inputs = provider.check({}, {"scimToken": SPECIAL, "tenantUrl": druva_stand_in.url})
            text = raised(partial(provider.create, inputs.inputs))
        rows.append(
            row(
                scenario,
                "create (Druva client)",
                {"exception": text},
                tokens=(SPECIAL,),
                extra_ok="[redacted]" in text,
            )
        )
    pasted = {
        "scimToken": SPECIAL,
        "tenantUrl": SPECIAL,
        "lifetimeDays": SPECIAL,
        "issuedAt": "2026-11-20T00:00:00Z",
    }
    failures = TokenProvider(NOW).check({}, pasted).failures
    reasons = {f"{failure.property}": failure.reason for failure in failures}
    rows.append(
        row(
            "a token with a backslash and both quotes, pasted into tenantUrl and lifetimeDays: "
            "CheckFailures (repr-escaped there)",
            "check",
            reasons,
            tokens=(SPECIAL,),
            # Each value is quoted redacted, or described (a long one) without being quoted.
            extra_ok=sorted(reasons) == ["lifetimeDays", "tenantUrl"]
            and all("[redacted]" in text or "a text of" in text for text in reasons.values()),
        )
    )
    run = run_program({"druva-scim:scimToken": SPECIAL, "druva-scim:tenantUrl": SPECIAL})
    texts = {**{f"log {i}": text for i, (_, text) in enumerate(run.logs)}, "error": str(run.error)}
    rows.append(
        row(
            "the same token pasted into tenantUrl: the program's log and its RunError",
            "program",
            texts,
            tokens=(SPECIAL,),
            extra_ok=run.error is not None
            and any(t.startswith("druva-scim:tenantUrl:") for t in texts.values()),
        )
    )
    short = TOKEN[:15]
    failures = TokenProvider(NOW).check({}, {"scimToken": short, "tenantUrl": short}).failures
    reasons = {failure.property: failure.reason for failure in failures}
    rows.append(
        row(
            "a token of 15 characters, too short to redact safely: refused, never shown",
            "check",
            reasons,
            tokens=(short,),
            extra_ok="shorter than 16 characters" in reasons.get("scimToken", ""),
        )
    )
    rows += damaged_credential_rows()
    return rows


def damaged_credential_rows() -> list[Row]:
    rows: list[Row] = []
    lines = tuple(DAMAGED.splitlines())
    ids = {"ARM_TENANT_ID": TENANT, "ARM_CLIENT_ID": SP[7], "ARM_USE_OIDC": "true"}
    with Okta(OKTA_TOKEN) as okta_stand_in, tempfile.TemporaryDirectory() as folder:
        okta_stand_in.add_app(APP_IDS[0])
        federated = Path(folder) / "federated-token"
        federated.write_text(DAMAGED + "\n")
        props = {
            "appName": "okta-api",
            "appId": APP_IDS[0],
            "orgUrl": okta_stand_in.url,
            "tokenFingerprint": lifecycle.fingerprint(TOKEN),
            "scimToken": TOKEN,
        }
        # Nothing is reached: the credential is refused before use (port 9 would refuse).
        azure = azure_props("http://127.0.0.1:9")
        federated_environ = {**ids, "AZURE_FEDERATED_TOKEN_FILE": str(federated)}
        cases: list[tuple[str, str, Callable[[], Any]]] = [
            (
                "OKTA_ACCESS_TOKEN",
                "check (Okta)",
                partial(OktaCheck({"OKTA_ACCESS_TOKEN": DAMAGED}).create, props),
            ),
            (
                "ARM_OIDC_TOKEN",
                "check (Azure)",
                partial(AzureCheck({**ids, "ARM_OIDC_TOKEN": DAMAGED}).create, azure),
            ),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                "check (Azure)",
                partial(AzureCheck(federated_environ).create, azure),
            ),
        ]
        for variable, step, action in cases:
            text = raised(action)
            rows.append(
                row(
                    f"{variable} with a line break inside: the check's error names it",
                    step,
                    {"exception": text},
                    tokens=lines,
                    extra_ok=variable in text and "white space or control" in text,
                )
            )
        with ProviderHost(env={"OKTA_API_TOKEN": DAMAGED}) as host:
            news = dict(props)
            news["__provider"] = serialized(OktaCheck())
            checked = from_struct(host.check(OKTA_URN, {}, news).inputs)
            try:
                host.create(OKTA_URN, checked)
                details = "(nothing raised)"
            except grpc.RpcError as error:
                details = str(error.details())
            stderr = host.stderr()
        rows.append(
            row(
                "OKTA_API_TOKEN with a line break inside, through the provider host: gRPC "
                "error and stderr",
                "check (Okta)",
                {"gRPC error": details, "stderr": stderr},
                tokens=lines,
                extra_ok="OKTA_API_TOKEN contains white space" in details
                and "Traceback" not in details + stderr
                and okta_stand_in.requests == [],
            )
        )
    return rows


# --- runs of the token, in each form one character at a time ------------------


def _repr_escaped(delimiter: str) -> Callable[[str], str]:
    def escape(character: str) -> str:
        return "\\" + character if character in ("\\", delimiter) else character

    return escape


def lower_percent(character: str) -> str:
    return (
        quote(character, safe="").lower() if quote(character, safe="") != character else character
    )


CHARACTER_FORMS: dict[str, Callable[[str], str]] = {
    "plain": lambda character: character,
    "URL-encoded": lambda character: quote(character, safe=""),
    "URL-encoded, lower-case hex": lower_percent,
    "form-encoded": quote_plus,
    "JSON-escaped": lambda character: json.dumps(character)[1:-1],
    "repr-escaped in '": _repr_escaped("'"),
    'repr-escaped in "': _repr_escaped('"'),
    "JSON of repr": lambda character: json.dumps(_repr_escaped("'")(character))[1:-1],
    "HTML-escaped": html.escape,
}


def survivors(text: str, token: str) -> list[str]:
    """Each form of each run of providers.core.redaction.RUN characters of `token` still in
    `text`: what redaction must leave none of."""
    found = []
    for name, form in CHARACTER_FORMS.items():
        for start in range(len(token) - RUN + 1):
            window = "".join(form(character) for character in token[start : start + RUN])
            if window in text:
                found.append(f"{name}: {window!r}")
    return found


# --- the repository --------------------------------------------------------------------


def repository_files() -> dict[str, str | bytes]:
    """Every file of the repository but tool caches, the test sources that hold the
    constant (and their compiled forms) and tests/data, recorded with it."""
    found: dict[str, str | bytes] = {}
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if not path.is_file() or TOOL_CACHES & set(relative.parts):
            continue
        if relative.parts[0] in TEST_SOURCE_DIRS and (
            path.suffix in (".py", ".pyc") or "__pycache__" in relative.parts
        ):
            continue
        if relative.parts[:2] == ("tests", "data"):
            continue  # state recorded with the test constant, as a stack holds it

        if path.stat().st_size <= MAX_SCANNED_FILE:
            found[str(relative)] = path.read_bytes()
    return found


# --- the rows ---------------------------------------------------------------------------


def check_failure_row(scenario: str, step: str, text: str, secret: str) -> Row:
    """A check's failure as the user sees it: a ProviderError, with `secret` in no form."""
    return row(
        scenario,
        step,
        {"exception": text},
        tokens=(secret,),
        extra_ok=text.startswith("ProviderError"),
    )


def rows() -> list[Row]:
    with pickler_restored():
        return scanned()


def scanned() -> list[Row]:
    found: list[Row] = []
    with temporary_files() as folder, root_logging() as records:
        with captured_output() as program_output:
            observed = Observed()
            problems = program_runs(observed)
            runs = len(observed.logs)
            errors = Observed()
            error_runs(errors)
        what = (
            "program under mocks: preview, up, re-run, rotation, re-run; 3 Azure apps "
            "(2 tenants, extra secrets), 2 Okta API apps (2 orgs), 2 manual Okta apps, a "
            "OneLogin, a JumpCloud and an other manual app"
        )
        note = registrations_count(runs, observed)
        ok = not problems
        found += [
            row(
                f"{what}: every non-secret input",
                "program",
                observed.inputs,
                extra_ok=ok,
                note=note,
            ),
            row(f"{what}: every non-secret output", "program", observed.outputs, extra_ok=ok),
            row(
                f"{what}: exports other than scimToken (the one secret export)",
                "program",
                observed.exports,
                extra_ok=ok,
            ),
            row(f"{what}: log records (debug to error)", "program", observed.logs, extra_ok=ok),
            row(
                f"{what}: the serialized __provider of every dynamic resource (text, "
                "dill payload, pickle opcodes, unpickled object)",
                "program",
                observed.blobs,
                extra_ok=ok and len(observed.blobs) >= 4,
            ),
            row(
                f"bad configurations naming the token ({len(errors.logs)} runs): log records "
                "and RunError texts",
                "program",
                {**labelled("logs", errors.logs), **labelled("error", errors.errors)},
                extra_ok=all(text.strip() for text in errors.errors.values()),
            ),
        ]
        host_texts, host_state, host_problems = host_lifecycle(folder)
        found += [
            row(
                "provider host: check, create, diff, update, read, delete, then a create "
                "Druva refuses (401 echoing the token), one during an outage (503 echoing "
                "it) and a refresh it refuses (403 echoing it): stdout, stderr, gRPC errors",
                "host",
                host_texts,
                extra_ok=not host_problems,
                note=host_problems,
            ),
            row(
                "provider host: every property returned except scimToken",
                "host",
                host_state,
                extra_ok=bool(host_state),
            ),
        ]
        with captured_output() as client_output:
            found += druva_echo_rows() + graph_echo_rows() + okta_echo_rows()
            found += redaction_rows()
        found.append(
            row(
                "stdout and stderr of this process during all of the above",
                "process",
                {f"program {k}": v for k, v in program_output.items()}
                | {f"clients {k}": v for k, v in client_output.items()},
            )
        )
        files = files_in(folder)
        found.append(
            row(
                f"files written to the temporary directory by these runs ({len(files)})",
                "files",
                files or {"(none written)": ""},
            )
        )
    found.append(
        row(
            f"log records that reached a root-logger handler ({len(records.texts)})",
            "logging",
            {"records": "\n".join(records.texts)},
            extra_ok=bool(records.texts),
        )
    )
    repository = repository_files()
    found.append(
        row(
            f"repository tree ({len(repository)} files: docs/, stacks/, providers/, policy/, "
            "README...; not tests/ and bench/ sources, tests/data or tool caches)",
            "files",
            repository,
            extra_ok=any(name.startswith("stacks") for name in repository),
        )
    )
    return found
