"""One stack and the services around it, across runs: stand-ins, provider host, clock, model.

`World` holds what a user would change (`Stack`), the engine model's state, and
the invariants the issue lists, checked after every `up` (`problems()`).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from providers.core import lifecycle
from providers.core.resource_types import AZURE_CHECK as AZURE_TYPE
from providers.core.resource_types import OKTA_CHECK as OKTA_TYPE
from providers.core.resource_types import OKTA_HANDOFF as HANDOFF
from providers.core.resource_types import SCIM_TOKEN
from providers.okta.wiring import CONNECTION_ENABLED
from providers.wiring import VERIFIED
from testbed.engine import ProviderHost, serialized
from testbed.stand_ins.druva import DruvaScim
from testbed.stand_ins.graph import SECRETS, Graph, graph_error, job
from testbed.stand_ins.okta import Okta
from testbed.stand_ins.server import Reply, Request
from tests.doubles import (
    CLOCK_VARIABLE,
    GRAPH_BEARER,
    GRAPH_BEARER_VARIABLE,
    GRAPH_URL_VARIABLE,
    OKTA_API_TOKEN,
    OKTA_URL_VARIABLE,
    TWO_TRIES,
    HandoffProvider,
    QuickAzureCheck,
    QuickOktaCheck,
    QuickTokenProvider,
    SharedClock,
)
from tests.sequences.engine_model import Engine, Interrupt, Outcome, Resource
from tests.sequences.vendors import CONNECTION, Vendors

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SERVICE_PRINCIPALS = tuple(f"6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a{i:02x}" for i in range(4))
OKTA_APP_IDS = tuple(f"0oa1druvaseq{i:04d}" for i in range(4))
TENANT = {
    "name": "contoso",
    "tenantId": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    "clientId": "99999999-8888-4777-8666-555555555555",
}
ORG = {"name": "corp", "orgName": "corp", "baseUrl": "okta.com"}
EXTRAS = {"SyncNotificationSettings": '{"Enabled":false}'}


def token_number(number: int) -> str:
    return f"sQ4eNc-Zx7Kq-{number:04d}-5b2d4f60a8e7c9b1d3f5a7c9"


@dataclass(frozen=True)
class AzureEntry:
    name: str
    sp: str
    tenant: str | None = None
    extras: bool = False


@dataclass(frozen=True)
class OktaEntry:
    name: str
    app_id: str
    org: str | None = None
    mode: str | None = None
    """None: the default mode."""
    confirmed: str | None = None


@dataclass
class Stack:
    """What the user keeps in the stack's config."""

    token: str = field(default_factory=lambda: token_number(0))
    issued_at: str | None = "2026-11-12T09:00:00Z"
    azure: list[AzureEntry] = field(default_factory=list)
    okta: list[OktaEntry] = field(default_factory=list)

    def config(self, tenant_url: str) -> dict[str, str]:
        values = {
            "druva-scim:scimToken": self.token,
            "druva-scim:tenantUrl": tenant_url,
            "okta:orgName": "acme",
            "druva-scim:azureTenants": json.dumps([TENANT]),
            "druva-scim:oktaOrgs": json.dumps([ORG]),
            "druva-scim:azureApps": json.dumps([_azure(app) for app in self.azure]),
            "druva-scim:oktaApps": json.dumps([_okta(app) for app in self.okta]),
        }
        if self.issued_at is not None:
            values["druva-scim:issuedAt"] = self.issued_at
        return values


def _azure(app: AzureEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": app.name, "servicePrincipalId": app.sp}
    if app.tenant:
        entry["tenant"] = app.tenant
    if app.extras:
        entry["extraSecrets"] = EXTRAS
    return entry


def _okta(app: OktaEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": app.name, "appId": app.app_id}
    for key, value in (
        ("org", app.org),
        ("mode", app.mode),
        ("confirmedFingerprint", app.confirmed),
    ):
        if value is not None:
            entry[key] = value
    return entry


DRUVA_ANSWERS: dict[str, Reply | None] = {
    "200": None,
    "401 with a SCIM error": Reply(
        401,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "401",
            "detail": "Authorization failure. The token is invalid or expired.",
        },
        content_type="application/scim+json",
    ),
    "403 with a SCIM error": Reply(
        403,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "403",
            "detail": "Forbidden.",
        },
        content_type="application/scim+json",
    ),
    "403 from a proxy (no SCIM body)": Reply(
        403, b"<html><body>Request blocked by the firewall</body></html>", content_type="text/html"
    ),
    "503": Reply(503, b"Service Unavailable", content_type="text/plain"),
    "timeout": Reply(200, b"{}", delay=3 * TWO_TRIES.read_timeout),
}
"""What Druva's address answers during a refresh, by name."""


CONFIRMED_STATES = (VERIFIED, CONNECTION_ENABLED)
"""The targets' states that claim a credential is in place."""

INVARIANTS = {
    "credentials": "every configured Azure app's credentials on Graph hold the current token "
    "and tenant URL, and every extraSecrets key",
    "expiry": "the token's expiresAt never moves while the token is the same",
    "verified": "no check reports a credential as confirmed that the stand-in does not hold",
    "pending": "a hand-off's pendingSince never moves while its app id and the token are the same",
    "no-op": "a second up with nothing changed takes no steps",
    "blanked": "no configuration change writes any app's credentials blank",
    "stops": "an up that stops does so only to ask for issuedAt, and changes nothing",
    "advice": "after an interrupted or failed rotation, no refresh and no up advises generating "
    "a new token unconditionally, and a refresh succeeds while Druva accepts the stack's token",
}


def advises_new_token(text: str) -> bool:
    """Whether a message tells the user to generate a new token whatever has happened since:
    after a rotation began, that would end the token the identity providers now hold."""
    return "Generate a new" in text and "Generate a new one only if" not in text


class ScriptedGraph(Graph):
    """Graph; the service principals in `refused` get 403 to their secrets PUT, as Graph
    answers an identity without the permission (a variation: only that request fails)."""

    refused: frozenset[str] = frozenset()

    def handle(self, request: Request) -> Reply:
        secrets = SECRETS.match(request.path)
        if secrets and request.method == "PUT" and secrets.group(1) in self.refused:
            return graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        return super().handle(request)


class ScriptedVendors(Vendors):
    """The vendors; Okta refuses the provisioning connection of the apps in `refused`, as it
    may for an app its Connections API does not manage (the error text is ours: Okta's
    refusal for Druva's OIN app is not documented)."""

    refused: frozenset[str] = frozenset()

    def create(self, type_: str, inputs: Any) -> tuple[str, dict[str, Any]]:
        self._refuse(type_, inputs)
        return super().create(type_, inputs)

    def update(self, old: Resource, inputs: Any) -> dict[str, Any]:
        self._refuse(old.type, inputs)
        return super().update(old, inputs)

    def _refuse(self, type_: str, inputs: Any) -> None:
        if type_ == CONNECTION and str(inputs.get("idProperty")) in self.refused:
            raise RuntimeError("Okta refused the provisioning connection (HTTP 400)")


class ScriptedDruva(DruvaScim):
    """Druva's SCIM endpoint; while `answer` is set, every request gets it instead."""

    answer: Reply | None = None

    def handle(self, request: Any) -> Reply:
        return self.answer if self.answer is not None else super().handle(request)


class Services:
    """The stand-ins and one provider host, shared by every sequence of a test module."""

    def __init__(self, folder: Path) -> None:
        self.druva = ScriptedDruva().start()
        self.graph = ScriptedGraph(GRAPH_BEARER).start()
        self.okta = Okta(OKTA_API_TOKEN).start()
        self.clock = SharedClock(START, folder / "clock")
        self.clock.set(START)
        self.host = ProviderHost(
            env={
                CLOCK_VARIABLE: str(self.clock.file),
                GRAPH_URL_VARIABLE: self.graph.url,
                OKTA_URL_VARIABLE: self.okta.url,
                GRAPH_BEARER_VARIABLE: GRAPH_BEARER,
                "OKTA_API_TOKEN": OKTA_API_TOKEN,
            }
        )
        self.host.configure()
        self.blobs = {
            SCIM_TOKEN: serialized(QuickTokenProvider()),
            HANDOFF: serialized(HandoffProvider()),
            AZURE_TYPE: serialized(QuickAzureCheck()),
            OKTA_TYPE: serialized(QuickOktaCheck()),
        }

    def stop(self) -> None:
        self.host.stop()
        for stand_in in (self.druva, self.graph, self.okta):
            stand_in.stop()


@contextlib.contextmanager
def services() -> Iterator[Services]:
    with tempfile.TemporaryDirectory(prefix="druva-scim-sequences-") as folder:
        started = Services(Path(folder))
        try:
            yield started
        finally:
            started.stop()


class World:
    """A fresh stack on fresh stand-ins: no state, no secrets written, day 0."""

    def __init__(self, services: Services, stack: Stack | None = None) -> None:
        self.services = services
        self.stack = stack or Stack()
        self.now = START
        self.rotations = 0
        services.druva.accepted = {self.stack.token}
        services.druva.answer = None
        services.graph.jobs = {
            sp: [job(f"scim.{sp[:8]}.0001", "scim")] for sp in SERVICE_PRINCIPALS
        }
        services.graph.secrets = {}
        services.graph.refused = frozenset()
        services.graph.secret_writes = []
        druva = services.druva
        services.graph.scim_accepts = lambda base, token: (
            base == druva.url and (token in druva.accepted)
        )
        services.okta.apps = {}
        services.clock.set(self.now)
        self.vendors = ScriptedVendors(services.graph, services.okta, GRAPH_BEARER)
        self.engine = Engine(services.host, services.blobs, self.vendors)
        self.expiries: dict[str, str] = {}
        self.pending_since: dict[tuple[str, str], str] = {}
        self.ups = 0

    # --- what a user does ---------------------------------------------------------

    def up(self, interrupt: Interrupt | None = None) -> Outcome:
        """`scripts/up`: `pulumi up --continue-on-error`; `interrupt`: Ctrl-C after that step."""
        self.ups += 1
        return self.engine.up(
            self.stack.config(self.services.druva.url), self.now, interrupt=interrupt
        )

    def refresh(self, answer: str = "200") -> Outcome:
        self.services.druva.answer = DRUVA_ANSWERS[answer]
        try:
            return self.engine.refresh()
        finally:
            self.services.druva.answer = None

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)
        self.services.clock.set(self.now)

    def rotate(self, issued_at: bool = True) -> None:
        """A new token from the console: the old one stops working at once. Without
        `issued_at`, the config keeps whatever issuedAt it had (a by-hand rotation)."""
        self.rotations += 1
        # Two tokens are never generated in the same second: the one before is older.
        self.now += timedelta(hours=2)
        self.services.clock.set(self.now)
        self.stack.token = token_number(self.rotations)
        if issued_at:
            self.stack.issued_at = self.new_issued_at()
        self.services.druva.accepted = {self.stack.token}

    def new_issued_at(self) -> str:
        """The creation time the console shows for the token generated last."""
        return lifecycle.format_time(self.now - timedelta(hours=1))

    def confirm(self, index: int) -> None:
        app = self.stack.okta[index]
        self.stack.okta[index] = replace(app, confirmed=lifecycle.fingerprint(self.stack.token))

    # --- what the issue says must hold after every up --------------------------------

    def token_state(self) -> dict[str, Any] | None:
        tokens = self.engine.of_type(SCIM_TOKEN)
        return tokens[0].outputs if tokens else None

    def problems(self, outcome: Outcome) -> list[tuple[str, str]]:
        """Every invariant of issue 9 that this up broke: (its key in INVARIANTS, what)."""
        found: list[tuple[str, str]] = []
        graph = self.services.graph
        token = self.stack.token
        for app in self.stack.azure:
            saved = graph.secrets.get(app.sp, {})
            wanted = {"BaseAddress": self.services.druva.url, "SecretToken": token}
            wanted.update(EXTRAS if app.extras else {})
            if any(saved.get(key) != value for key, value in wanted.items()):
                found.append(
                    ("credentials", f"azure app {app.name}: Graph holds other credentials")
                )
        state = self.token_state()
        if state is not None:
            seen = self.expiries.setdefault(state["fingerprint"], state["expiresAt"])
            if seen != state["expiresAt"]:
                found.append(
                    ("expiry", f"expiresAt moved from {seen} to {state['expiresAt']}, same token")
                )
        for target in (outcome.run.exports.get("targets") or []) if outcome.run else []:
            state = target.get("state")
            if state in CONFIRMED_STATES and not self._holds(target):
                found.append(("verified", f"{target['name']}: {state}, but the vendor disagrees"))
        found += [("pending", text) for text in self._handoffs()]
        found += [("blanked", f"{sp}: credentials written blank") for sp in self.blanked()]
        return found

    def _holds(self, target: dict[str, Any]) -> bool:
        fingerprint = target["tokenFingerprint"]
        if target["kind"] == "azure":
            saved = self.services.graph.secrets.get(target["servicePrincipalId"], {})
            return (
                lifecycle.fingerprint(saved.get("SecretToken", "")) == fingerprint
                and saved.get("BaseAddress") == self.services.druva.url
            )
        connection = self.vendors.connections.get(target["appId"], {})
        held = bool(lifecycle.fingerprint(connection.get("token", "")) == fingerprint)
        if target["state"] == CONNECTION_ENABLED:
            # What Okta's read-back claims: the connection enabled with a token, to Druva.
            app = self.services.okta.apps.get(target["appId"], {})
            return bool(
                held
                and app.get("status") == "ENABLED"
                and app.get("authScheme") == "TOKEN"
                and connection.get("baseUrl") == self.services.druva.url
            )
        return held

    def _handoffs(self) -> list[str]:
        found = []
        present = set()
        for handoff in self.engine.of_type(HANDOFF):
            outputs = handoff.outputs
            key = (str(outputs["appId"]), str(outputs["expectedFingerprint"]))
            present.add(key)
            if not outputs.get("pending"):
                continue
            seen = self.pending_since.setdefault(key, outputs["pendingSince"])
            if seen != outputs["pendingSince"]:
                found.append(
                    f"hand-off of {key[0]}: pendingSince moved from {seen} to "
                    f"{outputs['pendingSince']}, same app and token"
                )
        # An app that left manual mode (or the stack) starts a new hand-off if it comes back.
        self.pending_since = {k: v for k, v in self.pending_since.items() if k in present}
        return found

    def blanked(self) -> list[str]:
        """Service principals whose SecretToken was ever written blank."""
        return sorted(
            {
                sp
                for sp, written in self.services.graph.secret_writes
                if not written.get("SecretToken")
            }
        )
