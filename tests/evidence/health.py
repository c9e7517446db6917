"""Issue 12: provisioning health, `python -m providers.health`, against the Graph and Okta stand-ins.

Each scenario sets one Azure app's job and one Okta app's System Log (or a
fault), runs the command in-process through the real clients with the
test-sized policy, and records the exit code, the verdicts, the requests each
stand-in received, the time, and whether any credential showed in what it printed.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from providers import health as command
from providers.core.clock import FixedClock
from testbed.stand_ins import graph as azure
from testbed.stand_ins.graph import Graph
from testbed.stand_ins.okta import Okta, okta_error, push_event, rate_limited
from tests.doubles import (
    FAST,
    GRAPH_BEARER,
    NOW,
    OKTA_API_TOKEN,
    TOKEN,
    FixedCredential,
    stack_outputs,
)
from tests.evidence.record import Row, unmet

SP = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
APP = "0oa1druvascim0001"
RECENT = azure.execution("Succeeded", "2026-11-22T11:20:00Z")
SECRETS = (TOKEN, GRAPH_BEARER, OKTA_API_TOKEN)


@dataclass(frozen=True)
class Scenario:
    title: str
    step: str
    setup: Callable[[Graph, Okta], None]
    code: int
    app_status: str
    """The verdict on the app the step is about."""
    cause: str | None = None


def azure_job(job_status: dict[str, Any] | None) -> Callable[[Graph, Okta], None]:
    def setup(graph: Graph, okta: Okta) -> None:
        graph.jobs[SP] = [azure.job("scim.1", "scim", job_status=job_status)] if job_status else []

    return setup


def okta_log(*events: dict[str, Any]) -> Callable[[Graph, Okta], None]:
    def setup(graph: Graph, okta: Okta) -> None:
        okta.log.extend(events)

    return setup


def faults(vendor: str, *replies: Any) -> Callable[[Graph, Okta], None]:
    def setup(graph: Graph, okta: Okta) -> None:
        (graph if vendor == "graph" else okta).fail_next(*replies)

    return setup


AZURE, OKTA = "health (Azure)", "health (Okta)"
SCENARIOS = (
    Scenario("job Active, last run Succeeded", AZURE, azure_job(azure.status(last=RECENT, last_success=RECENT)), 0, "healthy"),
    Scenario("job in quarantine", AZURE, azure_job(azure.status("Quarantine", quarantined=azure.quarantine(), failures=3)), 2, "failing"),
    Scenario("job Paused", AZURE, azure_job(azure.status("Paused", last=RECENT, last_success=RECENT)), 2, "failing"),
    Scenario("last run Failed", AZURE, azure_job(azure.status(last=azure.execution("Failed", "2026-11-22T11:00:00Z", azure.execution_error()), failures=2)), 2, "failing"),
    Scenario("last run EntryLevelErrors", AZURE, azure_job(azure.status(last=azure.execution("EntryLevelErrors", "2026-11-22T11:00:00Z"), last_success=RECENT)), 1, "degraded"),
    Scenario("last success 2 days old", AZURE, azure_job(azure.status(last_success=azure.execution("Succeeded", "2026-11-20T11:00:00Z"))), 1, "degraded"),
    Scenario("job NotConfigured", AZURE, azure_job(azure.status("NotConfigured")), 1, "degraded"),
    Scenario("no provisioning job", AZURE, azure_job(None), 2, "failing"),
    Scenario("Graph answers 401", AZURE, faults("graph", azure.graph_error(401, "InvalidAuthenticationToken", "x")), 3, "unknown", "credentials"),
    Scenario("Graph answers 403", AZURE, faults("graph", azure.graph_error(403, "Authorization_RequestDenied", "x")), 3, "unknown", "permission"),
    Scenario("Graph answers 503 every time", AZURE, faults("graph", *[azure.graph_error(503, "ServiceUnavailable", "x")] * 3), 3, "unknown", "network"),
    Scenario("Graph answers 429 once (Retry-After 1)", AZURE, faults("graph", azure.throttled("1")), 0, "healthy"),
    Scenario("unknown service principal (404)", AZURE, lambda graph, okta: graph.jobs.clear(), 3, "unknown", "app not found"),
    Scenario("a push failed after the rotation", OKTA, okta_log(push_event(APP, "2026-11-21T10:00:00.000Z", succeeded=False)), 2, "failing"),
    Scenario("a push succeeded after a failure", OKTA, okta_log(push_event(APP, "2026-11-21T10:00:00.000Z", succeeded=False), push_event(APP, "2026-11-21T11:00:00.000Z")), 0, "healthy"),
    Scenario("an empty log", OKTA, okta_log(), 0, "healthy"),
    Scenario("Okta answers 401", OKTA, faults("okta", okta_error(401, "E0000011", "Invalid token provided")), 3, "unknown", "credentials"),
    Scenario("Okta answers 403", OKTA, faults("okta", okta_error(403, "E0000006", "No permission")), 3, "unknown", "permission"),
    Scenario("Okta answers 500 every time", OKTA, faults("okta", *[okta_error(500, "E0000009", "x")] * 3), 3, "unknown", "network"),
    Scenario("Okta answers 429 once (X-Rate-Limit-Reset in 1 s)", OKTA, faults("okta", rate_limited(1)), 0, "healthy"),
)  # fmt: skip


def outputs(graph: Graph, okta: Okta, step: str) -> dict[str, Any]:
    azure = {
        "name": "entra",
        "kind": "azure",
        "servicePrincipalId": SP,
        "graphUrl": graph.url,
        "tenantId": None,
        "clientId": None,
        "state": "verified",
    }
    manual = {
        "name": "okta",
        "kind": "okta-manual",
        "appId": APP,
        "orgUrl": okta.url,
        "state": "confirmed",
    }
    targets = [azure] if step == AZURE else [manual]
    return stack_outputs("2026-11-20T00:00:00Z", targets=targets)


def run(scenario: Scenario) -> Row:
    with Graph(GRAPH_BEARER) as graph, Okta(OKTA_API_TOKEN) as okta:
        graph.jobs[SP] = [
            azure.job("scim.1", "scim", job_status=azure.status(last=RECENT, last_success=RECENT))
        ]
        scenario.setup(graph, okta)
        out, err, stdin = io.StringIO(), io.StringIO(), sys.stdin
        sys.stdin = io.StringIO(json.dumps(outputs(graph, okta, scenario.step)))
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = command.main(
                    ["-", "--json"],
                    clock=FixedClock(NOW),
                    environ={"OKTA_API_TOKEN": OKTA_API_TOKEN},
                    credential=lambda *_: FixedCredential(GRAPH_BEARER),
                    policy=FAST,
                )
        finally:
            sys.stdin = stdin
        seconds = time.perf_counter() - started
        requests = len(graph.requests if scenario.step == AZURE else okta.requests)
    printed = out.getvalue() + err.getvalue()
    document = json.loads(out.getvalue())
    app = document["apps"][-1]
    safe = not any(secret in printed for secret in SECRETS)
    return Row(
        scenario=scenario.title,
        step=scenario.step,
        outcome=f"exit {code}: {app['line'][:160]}",
        attempts=requests,
        seconds=seconds,
        token_safe=safe,
        reason=unmet(
            (f"exit {scenario.code}", code == scenario.code),
            (f"the app {scenario.app_status}", app["status"] == scenario.app_status),
            (f"cause {scenario.cause}", app["details"].get("cause") == scenario.cause),
            (f"at most {FAST.attempts} requests", requests <= FAST.attempts),
            ("within the deadline", seconds < FAST.deadline_seconds),
            ("no credential printed", safe),
        ),
    )
