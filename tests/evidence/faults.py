"""Issue 6, item 1: every fault against every call the providers make, and what is left after it.

Each scenario runs one provider step in-process (the real providers with the
test-sized HTTP policy and a fixed clock) against a fresh stand-in:

1. the step once without the fault, which gives the clean result;
2. the step with the fault (queued replies, a wrong id, a closed port, a bad
   certificate), measured: requests that reached the stand-in, seconds, what
   the engine would record;
3. the step again with the fault gone, which must give the clean result with
   the same token.

The steps are the token's create and read (`pulumi refresh`) against Druva,
and the two checks as they run at a rotation (an update from the old
token's fingerprint to the new one) against Graph and Okta. When a step raises,
the engine keeps what it had: nothing for a create, the old state otherwise.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import datetime as dt
import email.utils
import io
import ipaddress
import os
import re
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from providers.core import lifecycle
from providers.core.errors import ProviderError
from providers.druva.token import token_outputs
from testbed.stand_ins.druva import LIST_RESPONSE, SCIM_JSON, DruvaScim, scim_error
from testbed.stand_ins.graph import Graph, graph_error, job
from testbed.stand_ins.okta import Okta, okta_error
from testbed.stand_ins.server import Reply, StandIn, closed_port
from tests.doubles import (
    FAST,
    GRAPH_BEARER,
    GRAPH_BEARER_VARIABLE,
    JOB,
    NOW,
    OKTA_API_TOKEN,
    OKTA_APP,
    OTHER_TOKEN,
    SERVICE_PRINCIPAL,
    TOKEN,
    WRONG_OKTA_APP,
    WRONG_SERVICE_PRINCIPAL,
    AzureCheck,
    OktaCheck,
    TokenProvider,
    azure_check_inputs,
    okta_check_inputs,
    token_inputs,
)
from tests.evidence.record import Row

OLD_FINGERPRINT = lifecycle.fingerprint(OTHER_TOKEN)
NEW_FINGERPRINT = lifecycle.fingerprint(TOKEN)
WRONG_HOST = "not-this-host.example"
WORKERS = 24
BOUND_SECONDS = FAST.deadline_seconds
"""No step may take longer than the policy says a call can."""


# --- what a step leaves behind -------------------------------------------------------------


@dataclass
class Step:
    """One provider call as the engine would see it."""

    error: str | None = None
    """The message the person running `pulumi up` reads, when the step failed."""
    crashed: bool = False
    """The step raised something other than a ProviderError: a bug, whatever the text."""
    before: dict[str, Any] | None = None
    """The engine's state of the resource before the step (None: nothing recorded)."""
    after: dict[str, Any] | None = None
    """What the engine records after it: the outputs, or the old state when the step
    raised."""
    outputs: dict[str, Any] | None = None
    """What the provider returned (None when it raised)."""
    stderr: str = ""
    inputs_intact: bool = True
    """What was handed in (inputs, old state) is unchanged afterwards."""

    @property
    def failed(self) -> bool:
        return self.error is not None


class _StderrByThread(io.TextIOBase):
    """sys.stderr that keeps what each scenario's thread writes apart (the providers
    write their diagnostics there, as they must inside the provider host)."""

    def __init__(self, fallback: Any) -> None:
        super().__init__()
        self._fallback = fallback
        self._buffers: dict[int, io.StringIO] = {}

    @contextlib.contextmanager
    def capture(self) -> Iterator[io.StringIO]:
        buffer = io.StringIO()
        self._buffers[threading.get_ident()] = buffer
        try:
            yield buffer
        finally:
            self._buffers.pop(threading.get_ident(), None)

    def write(self, text: str) -> int:
        target = self._buffers.get(threading.get_ident(), self._fallback)
        target.write(text)
        return len(text)

    def flush(self) -> None:
        self._fallback.flush()


_STDERR: _StderrByThread | None = None


def _call(step: Step, call: Callable[[], Any]) -> Any:
    """Run one provider method; record its error and what it wrote to stderr."""
    assert _STDERR is not None, "scenarios run inside run_all()"
    with _STDERR.capture() as written:
        try:
            return call()
        except ProviderError as error:
            step.error = str(error)
        except Exception as error:  # a bug: recorded, and the row fails
            step.error = f"{type(error).__name__}: {error}"
            step.crashed = True
        finally:
            step.stderr = written.getvalue()
    return None


# --- the four targets ----------------------------------------------------------------------


class Target:
    """One provider step against one vendor's stand-in."""

    vendor: ClassVar[str]
    step: ClassVar[str]
    wrong: ClassVar[str]
    """What a 404 means for this call."""
    secrets: ClassVar[tuple[str, ...]]
    """What must never be observable outside the token's own field."""

    def stand_in(self, tls: ssl.SSLContext | None) -> StandIn:
        raise NotImplementedError

    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        """The vendor's own error shape for this status."""
        raise NotImplementedError

    def answer(self) -> Reply:
        """The normal answer to the step's first request (cut off by the `cut` fault)."""
        raise NotImplementedError

    def first_path(self) -> str:
        raise NotImplementedError

    def run(self, base_url: str, *, wrong_id: bool = False) -> Step:
        raise NotImplementedError

    def token_kept(self, step: Step) -> bool:
        """The token (or its fingerprint) is still where the engine keeps it."""
        raise NotImplementedError


def _druva_props(tenant_url: str) -> dict[str, Any]:
    """The ScimToken's inputs after Check, as the engine hands them to Create."""
    return token_inputs(tenant_url)


_DRUVA_ERRORS = {
    401: "Authorization failure. The token is invalid or expired.",
    403: "Access denied for this tenant.",
    429: "Too many requests.",
}


class _Druva(Target):
    vendor = "Druva"
    wrong = "a wrong tenant URL path"
    secrets = (TOKEN,)

    def stand_in(self, tls: ssl.SSLContext | None) -> StandIn:
        return DruvaScim(TOKEN, tls=tls)

    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        return scim_error(status, _DRUVA_ERRORS.get(status, "Service unavailable."), headers)

    def answer(self) -> Reply:
        body = {"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1, "Resources": []}
        return Reply(200, body, content_type=SCIM_JSON)

    def first_path(self) -> str:
        return "/insync/scim/Users"

    @staticmethod
    def url(base_url: str, wrong_id: bool) -> str:
        # A tenant URL without its /scim segment: Druva's API answers 404 under it.
        return f"{base_url}/insync" if wrong_id else f"{base_url}/insync/scim"

    def token_kept(self, step: Step) -> bool:
        return step.after is None or step.after.get("scimToken") == TOKEN


class DruvaCreate(_Druva):
    step = "create"

    def run(self, base_url: str, *, wrong_id: bool = False) -> Step:
        props = _druva_props(self.url(base_url, wrong_id))
        handed = copy.deepcopy(props)
        step = Step(before=None)
        result = _call(step, lambda: TokenProvider().create(props))
        if result is not None:
            step.outputs = dict(result.outs)
            step.after = step.outputs
        step.inputs_intact = props == handed
        return step


class DruvaRead(_Druva):
    step = "read (refresh)"

    def run(self, base_url: str, *, wrong_id: bool = False) -> Step:
        props = _druva_props(self.url(base_url, wrong_id))
        state = token_outputs(props, last_checked_at=NOW)
        handed = copy.deepcopy(state)
        step = Step(before=handed, after=handed)
        result = _call(step, lambda: TokenProvider().read(state["fingerprint"], state))
        if result is not None:
            step.outputs = dict(result.outs or {})
            step.after = step.outputs
        step.inputs_intact = state == handed
        return step


class _Verify(Target):
    """A check updated from the old token's fingerprint to the new one's."""

    @staticmethod
    def rotate(provider: Any, resource_id: str, olds: dict[str, Any], news: dict[str, Any]) -> Step:
        handed = copy.deepcopy((olds, news))
        step = Step(before=handed[0], after=handed[0])
        result = _call(step, lambda: provider.update(resource_id, olds, news))
        if result is not None:
            step.outputs = dict(result.outs)
            step.after = step.outputs
        step.inputs_intact = (olds, news) == handed
        return step

    def token_kept(self, step: Step) -> bool:
        # A failed check keeps the old fingerprint, so the next run checks again.
        expected = OLD_FINGERPRINT if step.failed else NEW_FINGERPRINT
        return step.after is not None and step.after.get("tokenFingerprint") == expected


class AzureVerify(_Verify):
    vendor = "Graph"
    step = "check (Azure)"
    wrong = "a wrong servicePrincipalId"
    secrets = (TOKEN, GRAPH_BEARER)

    def stand_in(self, tls: ssl.SSLContext | None) -> StandIn:
        graph = Graph(GRAPH_BEARER, tls=tls)
        graph.jobs[SERVICE_PRINCIPAL] = [job(JOB, "scim")]
        return graph

    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        code, message = {
            401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
            403: (
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            429: ("TooManyRequests", "Too many requests from Identifier:..."),
        }.get(status, ("ServiceUnavailable", "The service is temporarily unavailable."))
        return graph_error(status, code, message, headers)

    def answer(self) -> Reply:
        return Reply(200, {"value": [job(JOB, "scim")]})

    def first_path(self) -> str:
        return f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL}/synchronization/jobs"

    def run(self, base_url: str, *, wrong_id: bool = False) -> Step:
        olds = {
            **azure_check_inputs(base_url, tokenFingerprint=OLD_FINGERPRINT),
            "lastValidatedAt": "2026-01-05T08:00:00Z",
            "jobId": JOB,
            "restartedFromQuarantine": False,
            "actions": ["validated before the rotation"],
        }
        target = WRONG_SERVICE_PRINCIPAL if wrong_id else SERVICE_PRINCIPAL
        news = azure_check_inputs(
            base_url, servicePrincipalId=target, tokenFingerprint=NEW_FINGERPRINT
        )
        provider = AzureCheck({GRAPH_BEARER_VARIABLE: GRAPH_BEARER})
        return self.rotate(provider, SERVICE_PRINCIPAL, olds, news)


class OktaVerify(_Verify):
    vendor = "Okta"
    step = "check (Okta)"
    wrong = "a wrong appId"
    secrets = (TOKEN, OKTA_API_TOKEN)

    def stand_in(self, tls: ssl.SSLContext | None) -> StandIn:
        okta = Okta(OKTA_API_TOKEN, tls=tls)
        okta.add_app(OKTA_APP)
        return okta

    def error(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        code, summary = {
            401: ("E0000011", "Invalid token provided"),
            403: ("E0000006", "You do not have permission to perform the requested action"),
            429: ("E0000047", "API call exceeded rate limit due to too many requests."),
        }.get(status, ("E0000009", "Internal Server Error"))
        return okta_error(status, code, summary, headers=headers)

    def answer(self) -> Reply:
        return Reply(
            200,
            {
                "authScheme": "TOKEN",
                "baseUrl": "https://apis.druva.com/insync/scim",
                "profile": {"authScheme": "TOKEN"},
                "status": "ENABLED",
            },
        )

    def first_path(self) -> str:
        return f"/api/v1/apps/{OKTA_APP}/connections/default"

    def run(self, base_url: str, *, wrong_id: bool = False) -> Step:
        olds = {
            **okta_check_inputs(base_url, tokenFingerprint=OLD_FINGERPRINT),
            "lastVerifiedAt": "2026-01-05T08:00:00Z",
            "status": "ENABLED",
        }
        target = WRONG_OKTA_APP if wrong_id else OKTA_APP
        news = okta_check_inputs(base_url, appId=target, tokenFingerprint=NEW_FINGERPRINT)
        provider = OktaCheck({"OKTA_API_TOKEN": OKTA_API_TOKEN})
        return self.rotate(provider, OKTA_APP, olds, news)


TARGETS: tuple[Target, ...] = (DruvaCreate(), DruvaRead(), AzureVerify(), OktaVerify())


# --- the faults ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """What a fault's replies may refer to."""

    target: Target
    stand_in: StandIn
    elsewhere: StandIn
    """Another server of the same vendor, where a redirect points."""


Replies = Callable[[Setting], Sequence[Reply]]


def _every_attempt(make: Callable[[Setting], Reply]) -> Replies:
    return lambda setting: [make(setting) for _ in range(FAST.attempts)]


def _once(make: Callable[[Setting], Reply]) -> Replies:
    return lambda setting: [make(setting)]


def _http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


@dataclass(frozen=True)
class Fault:
    name: str
    """The scenario, with {vendor} and {wrong} filled in per target."""
    replies: Replies | None = None
    setup: str = "replies"
    """replies | wrong-id | closed-port | tls:self-signed | tls:wrong-name"""
    ok: bool = False
    """The step succeeds once the retries are through."""
    tries: tuple[int, int] = (1, 1)
    """How many requests (TLS handshakes for a TLS fault) the first call may make."""
    texts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Parts the message must contain, by vendor; `*` for every vendor."""
    min_seconds: float = 0.0
    rejects_token: bool = False
    """Druva's own verdict that the token is dead: only then is a new token advised."""

    def title(self, target: Target) -> str:
        return self.name.format(vendor=target.vendor, wrong=target.wrong)

    def expected_texts(self, target: Target) -> tuple[str, ...]:
        return self.texts.get(target.vendor, self.texts.get("*", ()))


def _firewall_page() -> Reply:
    """What a WAF or an IP allow-list in front of Druva sends: not Druva's verdict."""
    page = b"<html><body><h1>403 Forbidden</h1>Request blocked.</body></html>"
    return Reply(403, page, content_type="text/html")


def _answers_once(status: int) -> Fault:
    return Fault(
        f"{{vendor}} answers {status} once",
        _once(lambda setting: setting.target.error(status)),
        ok=True,
        tries=(2, 2),
    )


_UNREACHABLE = f"could not be reached after {FAST.attempts} attempts"
_TLS = "presented a TLS certificate this machine does not trust or that does not match the host"
_RETRIED = (2, 2)
"""One failed attempt, one that succeeded."""

FAULTS: tuple[Fault, ...] = (
    Fault(
        "{vendor} answers 401 to every attempt",
        _every_attempt(lambda s: s.target.error(401)),
        texts={
            "Druva": ("rejected the token (HTTP 401",),
            "Graph": ("did not accept the Azure access token", "(HTTP 401"),
            "Okta": ("did not accept the credentials from OKTA_API_TOKEN (HTTP 401",),
        },
        rejects_token=True,
    ),
    Fault(
        "{vendor} answers 403 to every attempt",
        _every_attempt(lambda s: s.target.error(403)),
        texts={
            "Druva": ("rejected the token (HTTP 403",),
            "Graph": ("(HTTP 403", "lacks permission"),
            "Okta": ("(HTTP 403", "lacks permission"),
        },
        rejects_token=True,
    ),
    Fault(
        "{vendor} answers 403 with a firewall's HTML page, every attempt",
        _every_attempt(lambda s: _firewall_page()),
        texts={
            "Druva": ("HTTP 403 without a SCIM error body", "not recognisably Druva's"),
            "Graph": ("(HTTP 403", "lacks permission"),
            "Okta": ("(HTTP 403", "lacks permission"),
        },
    ),
    Fault(
        "{vendor} answers 404: {wrong}",
        setup="wrong-id",
        texts={
            "Druva": ("answered 404 for", "druva-scim:tenantUrl"),
            "Graph": ("found no service principal", "(HTTP 404", "servicePrincipalId"),
            "Okta": ("has no app", "(HTTP 404", "appId"),
        },
    ),
    Fault(
        "{vendor} answers 429 once with Retry-After: 1",
        _once(lambda s: s.target.error(429, {"Retry-After": "1"})),
        ok=True,
        tries=_RETRIED,
        min_seconds=0.9,
    ),
    Fault(
        "{vendor} answers 429 once with Retry-After as an HTTP date",
        # Whole seconds, so ahead by more than the cap (FAST.retry_after_max): the wait
        # is the cap even if the request arrives late on a busy machine.
        _once(lambda s: s.target.error(429, {"Retry-After": _http_date(3)})),
        ok=True,
        tries=_RETRIED,
        min_seconds=0.9,
    ),
    *(_answers_once(status) for status in (500, 502, 503, 504)),
    Fault(
        "{vendor} answers 503 to every attempt",
        _every_attempt(lambda s: s.target.error(503)),
        tries=(FAST.attempts, FAST.attempts),
        texts={"*": ("still answered HTTP 503", f"after {FAST.attempts} attempts")},
    ),
    Fault(
        "{vendor} refuses the connection (nothing listens on the port)",
        setup="closed-port",
        tries=(0, 0),
        texts={"*": (_UNREACHABLE, "connection refused")},
    ),
    Fault(
        "{vendor} resets the connection before answering, once",
        _once(lambda s: Reply(action="reset")),
        ok=True,
        tries=_RETRIED,
    ),
    Fault(
        "{vendor} resets the connection in the middle of its answer",
        _every_attempt(lambda s: dataclasses.replace(s.target.answer(), action="cut")),
        texts={"*": ("broke off its answer (connection reset)", "run again")},
    ),
    Fault(
        "{vendor} does not answer within the read timeout, every attempt",
        _every_attempt(lambda s: Reply(action="hang")),
        tries=(FAST.attempts, FAST.attempts),
        texts={"*": (_UNREACHABLE, "timed out")},
        min_seconds=FAST.attempts * FAST.read_timeout * 0.9,
    ),
    Fault(
        "{vendor} does not answer within the read timeout, once",
        _once(lambda s: Reply(action="hang")),
        ok=True,
        tries=_RETRIED,
        min_seconds=FAST.read_timeout * 0.9,
    ),
    Fault(
        "{vendor} answers 200 with a body that is not JSON",
        _every_attempt(
            lambda s: Reply(200, b"<html><body>Sign in</body></html>", content_type="text/html")
        ),
        texts={
            "Druva": ("answered 200 but not with a SCIM ListResponse",),
            "Graph": ("answered 200 without a job list",),
            "Okta": ("answered HTTP 200 when asked to read the provisioning connection",),
        },
    ),
    Fault(
        "{vendor} answers with a 4 MiB body",
        _every_attempt(lambda s: Reply(200, action="oversized")),
        texts={"*": ("more than the 1048576 accepted",)},
    ),
    Fault(
        "{vendor} redirects to another server",
        _every_attempt(
            lambda s: Reply(302, headers={"Location": s.elsewhere.origin + s.target.first_path()})
        ),
        texts={
            "Druva": ("redirected to", "the token is not sent on redirects"),
            "Graph": ("answered HTTP 302",),
            "Okta": ("answered HTTP 302",),
        },
    ),
    Fault(
        f"{{vendor}} presents a self-signed certificate for {WRONG_HOST}",
        setup="tls:self-signed",
        tries=(1, FAST.attempts),
        texts={"*": (_TLS, "self-signed certificate")},
    ),
    Fault(
        f"{{vendor}} presents a certificate from a trusted CA, but for {WRONG_HOST}",
        setup="tls:wrong-name",
        tries=(1, FAST.attempts),
        texts={"*": (_TLS, "certificate is not valid for '127.0.0.1'")},
    ),
)


# --- certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    """PEM files: a CA this run trusts, and three server certificates."""

    ca: Path
    right: Path
    """Signed by the CA, for 127.0.0.1: what a healthy server presents."""
    wrong_name: Path
    """Signed by the CA, for not-this-host.example only."""
    self_signed: Path
    """Self-signed, for not-this-host.example."""

    def context(self, handshakes: list[object]) -> ssl.SSLContext:
        """A server context presenting the right certificate, counting handshakes."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.right)
        # Called for every ClientHello, with or without SNI: one per TLS attempt.
        context.sni_callback = lambda _socket, name, _context: handshakes.append(name)
        return context


def _certificate(
    name: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> bytes:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private + certificate.public_bytes(serialization.Encoding.PEM)


def make_certificates(directory: Path) -> Certificates:
    def common_name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = common_name("druva-scim test CA")
    ca = _certificate(
        ca_name,
        ca_key,
        None,
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            ),
        ],
    )
    leaf = [(x509.BasicConstraints(ca=False, path_length=None), True)]

    def server(alternative: x509.GeneralName, signer: bool) -> bytes:
        key = ec.generate_private_key(ec.SECP256R1())
        name = common_name(WRONG_HOST if isinstance(alternative, x509.DNSName) else "127.0.0.1")
        certificate = _certificate(
            name,
            key,
            (ca_name, ca_key) if signer else None,
            [*leaf, (x509.SubjectAlternativeName([alternative]), False)],
        )
        return _pem(key, certificate)

    files = {
        "ca": ca.public_bytes(serialization.Encoding.PEM),
        "right": server(x509.IPAddress(ipaddress.ip_address("127.0.0.1")), signer=True),
        "wrong_name": server(x509.DNSName(WRONG_HOST), signer=True),
        "self_signed": server(x509.DNSName(WRONG_HOST), signer=False),
    }
    paths = {}
    for name, data in files.items():
        path = directory / f"{name}.pem"
        path.write_bytes(data)
        paths[name] = path
    return Certificates(**paths)


# --- one scenario --------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A row and, when it is not as expected, why."""

    row: Row
    problems: tuple[str, ...]
    fault: Fault
    target: Target
    requests_elsewhere: int
    """Requests the redirect target received (must be none)."""


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret,
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(secret, safe=""),
        quote_plus(secret),
    }


def leaked(text: str, secrets: Sequence[str]) -> bool:
    return any(form in text for secret in secrets for form in _forms(secret))


def _observable(step: Step) -> str:
    """Everything a person or a log could see: the message, stderr, outputs but the token."""
    outputs = {k: v for k, v in (step.outputs or {}).items() if k != "scimToken"}
    return "\n".join([step.error or "", step.stderr, repr(outputs)])


def _shorten(text: str, limit: int = 220) -> str:
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", " ".join(text.split()))
    text = re.sub(r"request-id [0-9a-f-]{36}", "request-id ...", text)
    text = re.sub(r"errorId oae\w+", "errorId ...", text)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _outcome(step: Step) -> str:
    if step.failed:
        return ("crashed: " if step.crashed else "failed: ") + _shorten(step.error or "")
    return "ok"


def _clear_faults(stand_in: StandIn) -> None:
    # Faults queued for attempts the client did not make must not reach the next run.
    with stand_in._lock:
        stand_in._faults.clear()


def run_scenario(fault: Fault, target: Target, certificates: Certificates) -> Checked:
    handshakes: list[object] = []
    tls = certificates.context(handshakes) if fault.setup.startswith("tls:") else None
    with target.stand_in(tls) as stand_in, target.stand_in(None) as elsewhere:
        base_url = stand_in.origin
        clean = target.run(base_url)
        clean_requests = len(stand_in.requests)

        before_requests, before_handshakes = len(stand_in.requests), len(handshakes)
        url, wrong_id = base_url, False
        if fault.setup == "wrong-id":
            wrong_id = True
        elif fault.setup == "closed-port":
            url = f"http://127.0.0.1:{closed_port()}"
        elif tls is not None:
            tls.load_cert_chain(
                certificates.self_signed
                if fault.setup == "tls:self-signed"
                else certificates.wrong_name
            )
        elif fault.replies is not None:
            stand_in.fail_next(*fault.replies(Setting(target, stand_in, elsewhere)))
        started = time.monotonic()
        faulted = target.run(url, wrong_id=wrong_id)
        seconds = time.monotonic() - started
        requests = len(stand_in.requests) - before_requests
        tries = len(handshakes) - before_handshakes if tls is not None else requests

        _clear_faults(stand_in)
        if tls is not None:
            tls.load_cert_chain(certificates.right)
        converge = target.run(base_url)
        requests_elsewhere = len(elsewhere.requests)

    state_changed = faulted.after != faulted.before
    converged = (
        not clean.failed
        and not converge.failed
        and converge.after == clean.after
        and target.token_kept(converge)
    )
    observed = [_observable(step) for step in (clean, faulted, converge)]
    token_safe = (
        faulted.inputs_intact
        and target.token_kept(faulted)
        and not any(leaked(text, target.secrets) for text in observed)
    )

    problems = _judge(fault, target, faulted, tries, clean_requests, seconds)
    if state_changed != _state_should_change(fault, target):
        problems.append(f"state changed: {state_changed}, expected {not state_changed}")
    if not converged:
        problems.append(f"did not converge: {_outcome(converge)}")
    if not token_safe:
        problems.append("the token moved, or showed where it must not")
    if requests_elsewhere:
        problems.append(f"the other server received {requests_elsewhere} request(s)")

    row = Row(
        scenario=fault.title(target),
        step=target.step,
        outcome=_outcome(faulted) + (" (attempts: TLS handshakes)" if tls else ""),
        attempts=tries,
        seconds=round(seconds, 2),
        state_changed=state_changed,
        converged=converged,
        token_safe=token_safe,
        reason="; ".join(problems),
    )
    return Checked(row, tuple(problems), fault, target, requests_elsewhere)


def _state_should_change(fault: Fault, target: Target) -> bool:
    """A created token and a newly confirmed fingerprint are changes; a failed step changes
    nothing, and a refresh neither: whatever Druva answers, the token's dates stay."""
    if isinstance(target, DruvaRead):
        return False
    return fault.ok


def _judge(
    fault: Fault, target: Target, step: Step, tries: int, clean_requests: int, seconds: float
) -> list[str]:
    problems: list[str] = []
    if step.crashed:
        problems.append("a bug, not a ProviderError")
    low, high = fault.tries
    if fault.ok:
        # The first call retried; the rest of the step went as in a clean run.
        low, high = low + clean_requests - 1, high + clean_requests - 1
    if not low <= tries <= high:
        problems.append(f"{tries} attempts, expected {low}..{high}")
    if seconds < fault.min_seconds:
        problems.append(f"{seconds:.2f} s: the wait the server asked for was not honoured")
    if seconds > BOUND_SECONDS:
        problems.append(f"{seconds:.2f} s, beyond the policy's bound of {BOUND_SECONDS:.0f} s")
    if isinstance(target, _Druva) and ("Generate a new" in (step.error or "")) != (
        fault.rejects_token
    ):
        problems.append("a new token must be advised on Druva's own rejection, and only then")
    if fault.ok:
        if step.failed:
            problems.append("failed where a retry should have succeeded")
        return problems
    if not step.failed:
        problems.append("succeeded despite the fault")
        return problems
    problems.extend(
        f"the message lacks {text!r}"
        for text in fault.expected_texts(target)
        if text not in (step.error or "")
    )
    if "Traceback" in (step.error or "") or "Traceback" in step.stderr:
        problems.append("a traceback reached the user")
    return problems


# --- all of them ---------------------------------------------------------------------------


def run_all() -> list[Checked]:
    """Every fault against every target, concurrently: each scenario has its own stand-ins."""
    global _STDERR  # noqa: PLW0603  (the scenarios' threads write through it)
    fallback = sys.stderr
    _STDERR = _StderrByThread(fallback)
    variable = "REQUESTS_CA_BUNDLE"
    previous = os.environ.get(variable)
    with tempfile.TemporaryDirectory(prefix="druva-scim-faults-") as directory:
        certificates = make_certificates(Path(directory))
        # The healthy server's certificate must be trusted, so that the TLS faults
        # fail for the certificate they present and nothing else.
        os.environ[variable] = str(certificates.ca)
        sys.stderr = _STDERR
        try:
            with ThreadPoolExecutor(WORKERS, thread_name_prefix="fault") as pool:
                futures = [
                    pool.submit(run_scenario, fault, target, certificates)
                    for fault in FAULTS
                    for target in TARGETS
                ]
                return [future.result() for future in futures]
        finally:
            sys.stderr = fallback
            if previous is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = previous
