"""The one module of test doubles: the tokens, the clock, the HTTP policies, the credentials,
and the real providers made test-sized. Every test and every evidence scenario takes its
doubles from here.

One clock: every provider double reads `clock`, a `FixedClock` (providers.core.clock) at
NOW unless a test gives it another moment. A provider host is another process: there the
doubles' clock is `HOST_CLOCK`, which reads the moment a test wrote into the file
CLOCK_VARIABLE names (tests/sequences move it so), and is NOW without one.

The provider doubles are importable classes, so dill pickles them by reference and the
SDK's provider host runs them; like the real providers they hold only what a test gives
them (an environment, a bearer, a moment), never a session or a setting.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from azure.core.credentials import AccessToken, TokenCredential

from providers import preflight
from providers.azure.check import AzureProvisioningCheckProvider
from providers.checks import CheckProvider
from providers.core import lifecycle
from providers.core.clock import Clock, FixedClock
from providers.druva.token import ScimTokenProvider
from providers.http import HttpPolicy
from providers.manual.handoff import ManualHandoffProvider
from providers.okta.check import OktaConnectionCheckProvider
from providers.okta.handoff import OktaManualHandoffProvider
from testbed import NOW

__all__ = ["NOW"]

# --- tokens, credentials and ids ------------------------------------------------------------

# Recognisable, so that a scan of everything observable can look for them; random-looking
# in every letter case like a real one, since redaction also looks for any run of a token
# upper- or lower-cased (a token holding `druva-` would blank `druva-scim:` in messages).
TOKEN = "qZ7xKv-Tw4Rm-Pj8Yq-7f3a9c1e5b2d4f60a8e7c9b1d3f5a7c9"
OTHER_TOKEN = "wX2qNz-Hk9Vt-Rb5Lg-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
FINGERPRINT = lifecycle.fingerprint(TOKEN)
OTHER_FINGERPRINT = lifecycle.fingerprint(OTHER_TOKEN)
ISSUED_AT = "2026-11-01T09:30:00Z"
"""When TOKEN was generated in the console: three weeks before NOW."""

GRAPH_BEARER = "eyJ0eXAiOiJKV1QifQ.sCeNaRiO-GrApH-BeArEr.sig"
"""The access token the Graph stand-in accepts."""
OKTA_API_TOKEN = "00OkTa-ScEnArIo-ToKeN-5e4d3c2b1a09"
SERVICE_PRINCIPAL = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
WRONG_SERVICE_PRINCIPAL = "00000000-1111-4222-8333-444444444444"
JOB = "scim.6a1f2b3c4d5e.0001"
OKTA_APP = "0oa1druvascim0001"
WRONG_OKTA_APP = "0oa9nosuchapp0009"

# What a provider host started by a test finds in its environment.
GRAPH_BEARER_VARIABLE = "DRUVA_SCIM_TEST_GRAPH_BEARER"
"""The access token the checks sign in with instead of Entra ID."""
GRAPH_URL_VARIABLE = "DRUVA_SCIM_TEST_GRAPH_URL"
"""Where the Azure check asks, whatever Graph URL the program registered."""
OKTA_URL_VARIABLE = "DRUVA_SCIM_TEST_OKTA_URL"
"""Where the Okta check asks, whatever org URL the program registered."""
CLOCK_VARIABLE = "DRUVA_SCIM_TEST_CLOCK"
"""The file HOST_CLOCK reads its moment from."""

# --- HTTP policies ----------------------------------------------------------------------------

FAST = HttpPolicy(
    connect_timeout=0.5,
    read_timeout=0.5,
    attempts=3,
    backoff_factor=0.01,
    backoff_max=0.05,
    retry_after_max=1,
    max_body_bytes=1024 * 1024,
    # The old per-call sum of every timeout and pause, now a real bound on each operation.
    deadline_seconds=5.0,
)
SHORT_DEADLINE = dataclasses.replace(FAST, deadline_seconds=2.0)
"""FAST, with a deadline a test can wait for: one operation ends within 2 s."""
TWO_TRIES = dataclasses.replace(FAST, connect_timeout=0.3, read_timeout=0.3, attempts=2)
"""Two tries, 0.3 s each: a refresh that meets a timeout ends within about a second."""

# --- the clock --------------------------------------------------------------------------------


class SharedClock(FixedClock):
    """The fake clock across processes: the moment a test sets, also written to `file`, which
    the provider host's doubles read on every call."""

    def __init__(self, moment: datetime, file: Path | None = None) -> None:
        super().__init__(moment)
        self.file = file

    def now(self) -> datetime:
        if self.file is not None and self.file.exists():
            return datetime.fromisoformat(self.file.read_text().strip())
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment
        if self.file is not None:
            self.file.write_text(moment.isoformat())


HOST_CLOCK = SharedClock(
    NOW, Path(os.environ[CLOCK_VARIABLE]) if CLOCK_VARIABLE in os.environ else None
)
"""The doubles' clock: NOW in the test process, the test's moment in a provider host."""


def at(provider: Any, now: datetime | None) -> Any:
    """`provider` with its own clock at `now` (in this process only), or as it is."""
    if now is not None:
        provider.clock = FixedClock(now)
    return provider


# --- credentials ------------------------------------------------------------------------------


class FixedCredential:
    """azure-core's TokenCredential protocol with one access token; records the scopes asked
    for, and never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token
        self.asked: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **options: Any) -> AccessToken:
        self.asked.append(scopes)
        return AccessToken(self._token, int(time.time()) + 3600)

    def __repr__(self) -> str:
        return "FixedCredential([redacted])"


# --- the providers, test-sized ------------------------------------------------------------------


class TokenProvider(ScimTokenProvider):
    """ScimTokenProvider with test-sized timeouts, on the doubles' clock."""

    http_policy: ClassVar[HttpPolicy] = FAST
    clock: Clock = HOST_CLOCK

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__()
        at(self, now)


class HandoffProvider(OktaManualHandoffProvider):
    """OktaManualHandoffProvider on the doubles' clock."""

    clock: Clock = HOST_CLOCK


class ManualProvider(ManualHandoffProvider):
    """ManualHandoffProvider on the doubles' clock."""

    clock: Clock = HOST_CLOCK


class Checked(CheckProvider):
    """What both check doubles add to the real checks: test-sized timeouts, the doubles'
    clock, credentials from `environ` (None: the process's own environment, as in
    production), and, where the variable `asked` names is set, the stand-in it names asked
    whatever URL the program registered (under the input `registered`)."""

    http_policy: ClassVar[HttpPolicy] = FAST
    clock: Clock = HOST_CLOCK
    registered: ClassVar[str]
    asked: ClassVar[str]

    def __init__(
        self, environ: Mapping[str, str] | None = None, now: datetime | None = None
    ) -> None:
        super().__init__()
        self.environ = dict(environ) if environ is not None else None
        at(self, now)

    def environment(self) -> Mapping[str, str]:
        return self.environ if self.environ is not None else os.environ

    def run_check(self, props: Mapping[str, Any]) -> dict[str, Any]:
        stand_in = self.environment().get(self.asked)
        if not stand_in:
            return super().run_check(props)
        outputs = super().run_check({**props, self.registered: stand_in})
        return {**outputs, self.registered: props.get(self.registered)}


class AzureCheck(Checked, AzureProvisioningCheckProvider):
    """AzureProvisioningCheckProvider, test-sized (Checked). It signs in with `bearer`, else
    with the access token GRAPH_BEARER_VARIABLE holds in its environment, else as the real
    check does from that environment."""

    registered = "graphUrl"
    asked = GRAPH_URL_VARIABLE

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        bearer: str | None = None,
        now: datetime | None = None,
    ) -> None:
        super().__init__(environ, now)
        self.bearer = bearer
        self.credential_asked: list[tuple[str, str | None, str | None]] = []
        self.fixed_credential: FixedCredential | None = None

    def credential(
        self, graph_url: str, tenant_id: str | None, client_id: str | None
    ) -> TokenCredential:
        self.credential_asked.append((graph_url, tenant_id, client_id))
        bearer = self.bearer or self.environment().get(GRAPH_BEARER_VARIABLE, "")
        if not bearer:
            return super().credential(graph_url, tenant_id, client_id)
        self.fixed_credential = FixedCredential(bearer)
        return self.fixed_credential


class OfflineAzureCheck(AzureCheck):
    """An AzureCheck that must not sign in: asking it for a credential fails the test."""

    def credential(
        self, graph_url: str, tenant_id: str | None, client_id: str | None
    ) -> TokenCredential:
        raise AssertionError("no credential may be asked for here")


class OktaCheck(Checked, OktaConnectionCheckProvider):
    """OktaConnectionCheckProvider, test-sized (Checked), signing in from its environment."""

    registered = "orgUrl"
    asked = OKTA_URL_VARIABLE


class ShortDeadlineTokenProvider(TokenProvider):
    """TokenProvider whose operations end within SHORT_DEADLINE's 2 s."""

    http_policy: ClassVar[HttpPolicy] = SHORT_DEADLINE


class QuickTokenProvider(TokenProvider):
    """TokenProvider with TWO_TRIES: for the many runs of the sequences."""

    http_policy: ClassVar[HttpPolicy] = TWO_TRIES


class QuickAzureCheck(AzureCheck):
    http_policy: ClassVar[HttpPolicy] = TWO_TRIES


class QuickOktaCheck(OktaCheck):
    http_policy: ClassVar[HttpPolicy] = TWO_TRIES


# --- a token's year, as its state, the stack's outputs and the policies see it ----------------

YEAR_ISSUED = "2026-11-22T09:30:00Z"
"""A token generated then: rotation due from 2027-10-23T09:30Z, expiry 2027-11-22T09:30Z."""
FINE = datetime(2027, 1, 1, tzinfo=UTC)
WHILE_DUE = datetime(2027, 11, 10, 12, 0, tzinfo=UTC)
"""11 days before expiry: rotation is due."""
EXPIRED = datetime(2027, 11, 25, tzinfo=UTC)
TOKEN_INPUTS = {
    "scimToken": TOKEN,
    "tenantUrl": "https://apis.druva.com/insync/scim",
    "issuedAt": YEAR_ISSUED,
    "lifetimeDays": 365,
    "rotateBeforeDays": 30,
}
"""What a policy sees of the token before the resource exists: checked inputs, no outputs."""
TOKEN_STATE = {
    **TOKEN_INPUTS,
    "expiresAt": "2027-11-22T09:30:00Z",
    "rotateAfter": "2027-10-23T09:30:00Z",
    "fingerprint": FINGERPRINT,
    "lastCheckedAt": "2026-11-22T09:31:00Z",
}
HANDOFF_STATE = {
    "appName": "druva-okta",
    "appId": "0oa1b2c3d4",
    "orgUrl": "https://acme.okta.com",
    "expectedFingerprint": "3f2a9c1e5b2d",
    "confirmedFingerprint": None,
    "pending": True,
    "pendingSince": "2027-11-01T12:00:00Z",
}
STACK_OUTPUTS = {
    "tenantUrl": "https://apis.druva.com/insync/scim",
    "tokenFingerprint": "3f2a9c1e5b2d",
    "issuedAt": YEAR_ISSUED,
    "expiresAt": "2027-11-22T09:30:00Z",
    "rotateAfter": "2027-10-23T09:30:00Z",
    "scimToken": "[secret]",
    "targets": [{"name": "entra", "kind": "azure"}],
    "pendingManualSteps": [],
}
"""`pulumi stack output --json` of a stack with this token (the gate's input)."""


def stack_outputs(issued_at: str, **others: object) -> dict[str, object]:
    """STACK_OUTPUTS of a token issued at `issued_at`, its dates agreeing with it."""
    life = lifecycle.lifecycle(lifecycle.parse_time(issued_at), 365, 30)
    dates = {
        "issuedAt": lifecycle.format_time(life.issued_at),
        "expiresAt": lifecycle.format_time(life.expires_at),
        "rotateAfter": lifecycle.format_time(life.rotate_after),
    }
    return {**STACK_OUTPUTS, **dates, **others}


PENDING_HANDOFF = {
    "name": "druva-okta",
    "appId": "0oa1b2c3d4",
    "org": "default",
    "steps": ["Open Applications > Druva > Provisioning > Integration > Edit", "Paste, Save"],
}
"""One entry of the output `pendingManualSteps`."""


# --- inputs as the program registers them ----------------------------------------------------


def urn(type_token: str, name: str) -> str:
    """The URN the engine gives a resource of this stack (project druva-scim, stack test)."""
    return f"urn:pulumi:test::druva-scim::{type_token}::{name}"


def token_inputs(tenant_url: str, **changes: Any) -> dict[str, Any]:
    """A ScimToken's inputs for TOKEN, generated at ISSUED_AT; a change to None leaves the
    input out, as a stack without that setting does."""
    inputs = {
        "scimToken": TOKEN,
        "tenantUrl": tenant_url,
        "issuedAt": ISSUED_AT,
        "lifetimeDays": 365,
        "rotateBeforeDays": 30,
        **changes,
    }
    return {key: value for key, value in inputs.items() if value is not None}


def check_inputs(app_name: str, own: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A check's inputs for TOKEN's fingerprint: what both checks take, its `own`, `changes`."""
    return {"appName": app_name, "tokenFingerprint": FINGERPRINT, **own, **changes}


def azure_check_inputs(graph_url: str, **changes: Any) -> dict[str, Any]:
    """An AzureProvisioningCheck's inputs for SERVICE_PRINCIPAL."""
    own = {"servicePrincipalId": SERVICE_PRINCIPAL, "graphUrl": graph_url}
    return check_inputs("Druva (Contoso)", {**own, "tenantId": None, "clientId": None}, changes)


def okta_check_inputs(org_url: str, **changes: Any) -> dict[str, Any]:
    """An OktaConnectionCheck's inputs for OKTA_APP."""
    return check_inputs("Druva (Okta)", {"appId": OKTA_APP, "orgUrl": org_url}, changes)


def created(provider: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs `provider.create` returns for `inputs`."""
    outs = provider.create(inputs).outs
    assert outs is not None
    return dict(outs)


def updated(provider: Any, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """The outputs `provider.update` returns from `olds` to `news`."""
    outs = provider.update("id", olds, news).outs
    assert outs is not None
    return dict(outs)


# --- the pickle module, as Python made it ----------------------------------------------------

PICKLER_PATCHES = ("_batch_setitems", "save_dict")


@contextlib.contextmanager
def pickler_restored() -> Iterator[None]:
    """Undo what the SDK's `serialize_provider` leaves behind in the pickle module.

    Every call (one per dynamic resource registered) wraps `pickle._Pickler._batch_setitems`
    once more and never unwraps it (pulumi 3.272.0). Harmless for this project's stateless
    providers, whose blobs hold no dict; but after some 490 registrations in one process,
    pickling a provider that holds state (a test double) exceeds the recursion limit. The
    hundreds of runs here must not push other tests in the same process over that edge.
    """
    saved = {name: pickle._Pickler.__dict__.get(name) for name in PICKLER_PATCHES}
    try:
        yield
    finally:
        for name, original in saved.items():
            if original is None:
                with contextlib.suppress(AttributeError):
                    delattr(pickle._Pickler, name)
            else:
                setattr(pickle._Pickler, name, original)


def days_before_now(days: float) -> str:
    """An RFC 3339 time `days` before NOW."""
    return lifecycle.format_time(NOW - timedelta(days=days))


# --- the pre-flight in a child process -------------------------------------------------------

PASSING_PREFLIGHT = {"PYTHONPATH": str(Path(__file__).resolve().parent / "passing_preflight")}
"""Environment for a child process (the helper, `scripts/up`) whose pre-flight passes:
tests/passing_preflight/sitecustomize.py replaces it there."""


@dataclasses.dataclass
class PreflightStub:
    """`providers.preflight.preflight` in a test's own process (monkeypatch it in): it
    returns `report` and records the stack of each run."""

    report: preflight.Report
    stacks: list[str] = dataclasses.field(default_factory=list)
    pending: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """The apps each run was given that the stack did not hold yet."""

    def __call__(
        self,
        stack: str,
        environment: Mapping[str, str],
        surroundings: preflight.Surroundings | None = None,
        pending: Mapping[str, Any] | None = None,
    ) -> preflight.Report:
        self.stacks.append(stack)
        self.pending.append(dict(pending or {}))
        return self.report
