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
from typing import Any, cast

from providers.core import gate, lifecycle, policy_rules
from providers.core.resource_types import AZURE_CHECK as AZURE_TYPE
from providers.core.resource_types import MANUAL_HANDOFF, SCIM_TOKEN
from providers.core.resource_types import OKTA_CHECK as OKTA_TYPE
from providers.core.resource_types import OKTA_HANDOFF as HANDOFF
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
    ManualProvider,
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
MANUAL_APP_IDS = tuple(f"{7340021 + i}" for i in range(4))
MANUAL_KINDS = ("onelogin", "jumpcloud", "other")
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


@dataclass(frozen=True)
class ManualEntry:
    """A `manualApps` entry: an app of OneLogin, JumpCloud or another identity provider."""

    name: str
    kind: str
    app_id: str
    console_url: str | None = None
    confirmed: str | None = None

    @property
    def handoff(self) -> str:
        """The hand-off's resource name (providers/manual/wiring.py)."""
        return f"handoff-{self.kind}-{self.app_id}"


@dataclass
class Stack:
    """What the user keeps in the stack's config."""

    token: str = field(default_factory=lambda: token_number(0))
    issued_at: str | None = "2026-11-12T09:00:00Z"
    azure: list[AzureEntry] = field(default_factory=list)
    okta: list[OktaEntry] = field(default_factory=list)
    manual: list[ManualEntry] = field(default_factory=list)

    def config(self, tenant_url: str) -> dict[str, str]:
        values = {
            "druva-scim:scimToken": self.token,
            "druva-scim:tenantUrl": tenant_url,
            "okta:orgName": "acme",
            "druva-scim:azureTenants": json.dumps([TENANT]),
            "druva-scim:oktaOrgs": json.dumps([ORG]),
            "druva-scim:azureApps": json.dumps([_azure(app) for app in self.azure]),
            "druva-scim:oktaApps": json.dumps([_okta(app) for app in self.okta]),
            "druva-scim:manualApps": json.dumps([_manual(app) for app in self.manual]),
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


def _manual(app: ManualEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": app.name, "kind": app.kind, "appId": app.app_id}
    if app.console_url is not None:
        entry["consoleUrl"] = app.console_url
    if app.confirmed is not None:
        entry["confirmedFingerprint"] = app.confirmed
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
    "pending": "a hand-off's pendingSince never moves while its app (kind and app id) and the "
    "token are the same",
    "no-op": "a second up with nothing changed takes no steps",
    "blanked": "no configuration change writes any app's credentials blank",
    "stops": "an up that stops does so only to ask for issuedAt, and changes nothing",
    "advice": "after an interrupted or failed rotation, no refresh and no up advises generating "
    "a new token unconditionally, and a refresh succeeds while Druva accepts the stack's token",
    "handoff-record": "each manualApps entry has one hand-off, named after its kind and appId, "
    "expecting the current token and pending exactly while its confirmedFingerprint differs; a "
    "removed entry's record is gone",
    "handoff-steps": "pendingManualSteps and the gate's count list exactly the unconfirmed "
    "hand-offs (oktaApps and manualApps), each with the current fingerprint in its steps; the "
    "overdue policy reports each pending hand-off once it has waited longer than "
    "maxPendingHandoffDays, and no confirmed one",
    "handoff-rename": "no up replaces a hand-off; a manualApps entry still configured (renamed or "
    "not) keeps its hand-off, updated or the same, and its pendingSince while the token is the "
    "same",
    "handoff-new-app": "a manual hand-off an up creates (an entry added, added again, or given "
    "another kind or appId) is pending since that up, and one it deletes has no entry left",
    "handoff-no-call": "no step of a manual hand-off, its delete included, sends any request to "
    "Druva, Graph or Okta",
    "handoff-refresh": "a refresh leaves every hand-off's record as it was",
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
            MANUAL_HANDOFF: serialized(ManualProvider()),
            AZURE_TYPE: serialized(QuickAzureCheck()),
            OKTA_TYPE: serialized(QuickOktaCheck()),
        }

    def stop(self) -> None:
        self.host.stop()
        for stand_in in (self.druva, self.graph, self.okta):
            stand_in.stop()


HANDOFF_TYPES = (HANDOFF, MANUAL_HANDOFF)


def type_of(urn: str) -> str:
    """The resource's own type in its URN, without its parents' (`Stack$...`)."""
    return urn.split("::")[2].rsplit("$", maxsplit=1)[-1]


class CountedHost:
    """The provider host, counting the requests each hand-off's calls (Check, Diff, Create,
    Update, Read, Delete: each takes the URN first) send to the stand-ins: a hand-off is a
    record in the stack and must send none."""

    def __init__(self, services: Services) -> None:
        self.host = services.host
        self.stand_ins = (services.druva, services.graph, services.okta)
        self.handoff_requests: list[str] = []
        """Each hand-off call that sent requests, and what it sent."""

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.host, name)

        def counted(urn: str, *args: Any) -> Any:
            if type_of(urn) not in HANDOFF_TYPES:
                return method(urn, *args)
            before = [len(stand_in.requests) for stand_in in self.stand_ins]
            try:
                return method(urn, *args)
            finally:
                sent = [
                    f"{request.method} {request.path}"
                    for stand_in, count in zip(self.stand_ins, before, strict=True)
                    for request in stand_in.requests[count:]
                ]
                if sent:
                    self.handoff_requests.append(f"{urn.rsplit('::', 1)[1]}'s {name} sent {sent}")

        return counted


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
        self.host = CountedHost(services)
        self.engine = Engine(cast(ProviderHost, self.host), services.blobs, self.vendors)
        self.expiries: dict[str, str] = {}
        self.pending_since: dict[tuple[str, ...], str] = {}
        self.ups = 0
        self.before: dict[str, Resource] = {}
        """The manual hand-offs in state when the last up began."""

    # --- what a user does ---------------------------------------------------------

    def up(self, interrupt: Interrupt | None = None) -> Outcome:
        """`scripts/up`: `pulumi up --continue-on-error`; `interrupt`: Ctrl-C after that step."""
        self.ups += 1
        self.before = {record.urn: record for record in self.engine.of_type(MANUAL_HANDOFF)}
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

    def confirm_manual(self, index: int) -> None:
        app = self.stack.manual[index]
        self.stack.manual[index] = replace(app, confirmed=lifecycle.fingerprint(self.stack.token))

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
        found += [("handoff-record", text) for text in self._manual_records()]
        found += [("handoff-steps", text) for text in self._pending_steps(outcome)]
        kept, new = self._kept_and_new(outcome)
        found += [("handoff-rename", text) for text in kept]
        found += [("handoff-new-app", text) for text in new]
        found += [("handoff-no-call", text) for text in self.host.handoff_requests]
        self.host.handoff_requests.clear()
        return found

    def handoff_records(self) -> dict[str, Resource]:
        """Every hand-off in state, those pending deletion included, by URN."""
        return {
            resource.urn: resource
            for resource in [*self.engine.state.values(), *self.engine.condemned]
            if resource.type in HANDOFF_TYPES
        }

    def _kept_and_new(self, outcome: Outcome) -> tuple[list[str], list[str]]:
        """Which hand-offs this up kept, created and deleted, against the entries."""
        wanted = {app.handoff for app in self.stack.manual}
        fingerprint = lifecycle.fingerprint(self.stack.token)
        after = {record.name: record for record in self.engine.of_type(MANUAL_HANDOFF)}
        steps: dict[str, list[str]] = {}
        for step in outcome.steps:
            if type_of(step.urn) in HANDOFF_TYPES:
                steps.setdefault(step.urn, []).append(step.op)
        kept, new = [], []
        for urn, ops in steps.items():
            name = urn.rsplit("::", 1)[1]
            if "replace" in ops:
                kept.append(f"{name}: replaced")
            if type_of(urn) != MANUAL_HANDOFF:
                continue
            since = after[name].outputs.get("pendingSince") if name in after else None
            if "create" in ops and since not in (None, lifecycle.format_time(self.now)):
                new.append(f"{name}: created pending since {since}, not since this up")
            if "delete" in ops and name in wanted:
                new.append(f"{name}: deleted, though its entry is configured")
        for old in self.before.values():
            record = after.get(old.name)
            if old.name not in wanted:
                continue
            ops = steps.get(old.urn, [])
            if record is None or set(ops) - {"same", "update"}:
                kept.append(f"{old.name}: {ops}, though its entry is still configured")
            elif (
                old.outputs["pending"]
                and record.outputs["pending"]
                and old.outputs["expectedFingerprint"] == fingerprint
                and old.outputs.get("pendingSince") != record.outputs.get("pendingSince")
            ):
                kept.append(
                    f"{old.name}: pendingSince {old.outputs.get('pendingSince')} became "
                    f"{record.outputs.get('pendingSince')}, same token"
                )
        return kept, new

    def _manual_records(self) -> list[str]:
        fingerprint = lifecycle.fingerprint(self.stack.token)
        wanted = {app.handoff: app for app in self.stack.manual}
        records = {
            record.name: record
            for record in self.handoff_records().values()
            if record.type == MANUAL_HANDOFF
        }
        if sorted(records) != sorted(wanted):
            return [f"hand-offs {sorted(records)} in state for the entries {sorted(wanted)}"]
        found = []
        for name, app in wanted.items():
            outputs = records[name].outputs
            if outputs["expectedFingerprint"] != fingerprint or outputs["appName"] != app.name:
                found.append(
                    f"{name} expects {outputs['expectedFingerprint']} as "
                    f"{outputs['appName']}, not {fingerprint} as {app.name}"
                )
            if outputs["pending"] is not (app.confirmed != fingerprint):
                found.append(f"{name}: pending {outputs['pending']}, confirmed {app.confirmed}")
        return found

    def _pending_steps(self, outcome: Outcome) -> list[str]:
        """pendingManualSteps, the gate and the overdue policy against the config."""
        fingerprint = lifecycle.fingerprint(self.stack.token)
        exports = outcome.run.exports if outcome.run else {}
        unconfirmed = [
            (app.name, app.app_id, f"{app.kind}-manual")
            for app in self.stack.manual
            if app.confirmed != fingerprint
        ] + [
            (app.name, app.app_id, None)
            for app in self.stack.okta
            if app.mode != "api" and app.confirmed != fingerprint
        ]
        listed = exports.get("pendingManualSteps") or []
        shown = [(entry["name"], entry["appId"], entry.get("kind")) for entry in listed]
        found = []
        if sorted(shown, key=str) != sorted(unconfirmed, key=str):
            found.append(f"pendingManualSteps lists {shown}, the config leaves {unconfirmed}")
        since = {
            (record.outputs["appId"], record.outputs.get("kind")): record.outputs.get(
                "pendingSince"
            )
            for record in self.handoff_records().values()
        }
        for entry in listed:
            if fingerprint not in " ".join(entry["steps"]):
                found.append(f"{entry['name']}'s steps do not name the fingerprint {fingerprint}")
            kind = entry.get("kind", "").removesuffix("-manual") or None
            recorded = since.get((entry["appId"], kind))
            if entry["pendingSince"] != recorded:
                found.append(
                    f"{entry['name']}: pendingSince {entry['pendingSince']}, the "
                    f"record's {recorded}"
                )
        verdict = gate.evaluate(exports, self.now)
        counted = sorted(handoff.name for handoff in verdict.handoffs)
        if counted != sorted(name for name, _, _ in unconfirmed):
            found.append(f"the gate counts {counted}: {verdict.message}")
        return found + self._overdue()

    def _overdue(self) -> list[str]:
        days = policy_rules.DEFAULT_MAX_PENDING_HANDOFF_DAYS
        found = []
        for record in self.handoff_records().values():
            outputs = record.outputs
            if outputs["pending"]:
                since = lifecycle.parse_time(outputs["pendingSince"])
                on_time = since + timedelta(days=days)
                late = on_time + timedelta(days=1)
            else:
                on_time, late = self.now, self.now + timedelta(days=1000)
            reported = policy_rules.handoff_overdue(outputs, late, days, record.type)
            if (reported is None) is bool(outputs["pending"]):
                found.append(f"{record.name}: the overdue policy at {late} says {reported}")
            if policy_rules.handoff_overdue(outputs, on_time, days, record.type) is not None:
                found.append(f"{record.name}: overdue at {on_time}, within {days} days")
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
        for handoff in [*self.engine.of_type(HANDOFF), *self.engine.of_type(MANUAL_HANDOFF)]:
            outputs = handoff.outputs
            app = (handoff.type, str(outputs.get("kind")), str(outputs["appId"]))
            key = (*app, str(outputs["expectedFingerprint"]))
            present.add(key)
            if not outputs.get("pending"):
                continue
            seen = self.pending_since.setdefault(key, outputs["pendingSince"])
            if seen != outputs["pendingSince"]:
                found.append(
                    f"hand-off of {handoff.name}: pendingSince moved from {seen} to "
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
