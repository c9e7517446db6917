"""Issue 12 figures: the health check's requests and time for 1, 10 and 50 apps of each vendor.

Each run reads N Azure apps from the Graph stand-in and N Okta apps from the
Okta stand-in, each Okta app with two pages of pushes in the System Log, through
the real clients (`providers.health.check`). The goal is linear cost: one Graph
request per Azure app, a bounded number of pages per Okta app, and a time per
app that stays flat as apps grow.

Issue 20 figures: 15 Azure apps behind a Graph that never answers (requests it
receives and the run's seconds, under a short policy), and the CPU one Graph
error of 1 MiB full of escapes costs to become a message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from azure.core.credentials import AccessToken

from bench.report import Figure
from providers import health as command
from providers.azure.graph import graph_detail
from providers.core import health
from providers.http import Answer, HttpPolicy
from providers.okta import health as okta_health
from testbed import NOW
from testbed.stand_ins.graph import Graph, execution, job, status
from testbed.stand_ins.okta import Okta, push_event
from testbed.stand_ins.server import Reply

COUNTS = (1, 10, 50)
BEARER = "bEnCh-GrApH-BeArEr"
OKTA_TOKEN = "00bEnCh-OkTa-ToKeN-0000"
EVENTS_PER_APP = okta_health.PAGE_SIZE + okta_health.PAGE_SIZE // 2
"""Two pages of pushes per Okta app."""
ISSUED = NOW - timedelta(days=2)
POLICY = HttpPolicy()
HUNG_APPS = 15
HUNG_POLICY = HttpPolicy(
    connect_timeout=0.5,
    read_timeout=0.5,
    attempts=3,
    backoff_factor=0.01,
    backoff_max=0.05,
    deadline_seconds=5.0,
)
"""Short timeouts, so that a hung Graph costs the bench seconds; 3 tries of each request."""
ESCAPES = "%25255C%255Cu0041&amp;#65;&#37;41\\\\u0041%26amp%3B "
"""Escapes within escapes: the most work for redaction per character."""


class BenchCredential:
    """One access token, as azure-core's TokenCredential gives it."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(BEARER, int(time.time()) + 3600)


@dataclass(frozen=True)
class Run:
    apps: int
    graph_requests: int
    okta_requests: int
    seconds: float
    report: health.Report


@contextmanager
def world(count: int) -> Iterator[tuple[Graph, Okta, health.Stack]]:
    """`count` healthy Azure apps and `count` Okta apps with two pages of pushes each."""
    with Graph(BEARER) as graph, Okta(OKTA_TOKEN) as okta:
        azure, oktas = [], []
        succeeded = execution("Succeeded", "2026-11-22T11:20:00Z")
        for index in range(count):
            sp_id = f"00000000-0000-4000-8000-{index:012d}"
            graph.jobs[sp_id] = [
                job(
                    f"scim.{index}",
                    "scim",
                    job_status=status(last=succeeded, last_success=succeeded),
                )
            ]
            azure.append(health.AzureTarget(f"a{index}", sp_id, graph.url, None, None, "verified"))
            app_id = f"0oa{index:017d}"
            okta.log += [
                push_event(app_id, f"2026-11-21T{minute // 60:02d}:{minute % 60:02d}:00.000Z")
                for minute in range(EVENTS_PER_APP)
            ]
            oktas.append(
                health.OktaTarget(f"o{index}", "okta-api", app_id, okta.url, "connection-enabled")
            )
        yield (
            graph,
            okta,
            health.Stack(
                "b3nchf1ng3r1", ISSUED, NOW + timedelta(days=300), tuple(azure), tuple(oktas)
            ),
        )


def measure(count: int) -> Run:
    with world(count) as (graph, okta, stack):
        started = time.perf_counter()
        report = command.check(
            stack,
            {"OKTA_API_TOKEN": OKTA_TOKEN},
            POLICY,
            NOW,
            timedelta(hours=24),
            lambda *_: BenchCredential(),
        )
        seconds = time.perf_counter() - started
        return Run(count, len(graph.requests), len(okta.requests), seconds, report)


def hung() -> tuple[int, float, health.Report]:
    """HUNG_APPS Azure apps behind a Graph that never answers: its requests and the seconds."""
    with world(HUNG_APPS) as (graph, _, stack):
        graph.fail_next(*[Reply(action="hang")] * (HUNG_APPS * HUNG_POLICY.attempts))
        started = time.perf_counter()
        report = command.check(
            health.Stack(stack.fingerprint, stack.issued_at, stack.expires_at, stack.azure, ()),
            {},
            HUNG_POLICY,
            NOW,
            timedelta(hours=24),
            lambda *_: BenchCredential(),
        )
        return len(graph.requests), time.perf_counter() - started, report


def redaction_cpu() -> float:
    """CPU seconds for Graph's error of 1 MiB, full of escapes, to become a message's detail."""
    message = ESCAPES * ((1024 * 1024 - 200) // len(json.dumps(ESCAPES)))
    body = json.dumps({"error": {"code": "BadRequest", "message": message}}).encode()
    started = time.process_time()
    graph_detail(Answer(400, {}, body, 1), (OKTA_TOKEN, BEARER))
    return time.process_time() - started


def figures() -> list[Figure]:
    requests, seconds, _ = hung()
    rows = [
        Figure(
            f"{HUNG_APPS} Azure apps behind a hung Graph: requests Graph received",
            requests,
            f"{HUNG_POLICY.attempts} (one request and its tries), whatever the number of apps; "
            f"{HUNG_APPS * HUNG_POLICY.attempts} before issue 20 (every app asked again)",
        ),
        Figure(
            f"{HUNG_APPS} Azure apps behind a hung Graph: seconds in all; per app's bound",
            f"{seconds:.2f}; {seconds / HUNG_POLICY.deadline_seconds:.2f}",
            "under 1 (one app's bound); about 5 before issue 20 (3 timeouts of 0.5 s per app)",
        ),
        Figure(
            "Graph error of 1 MiB full of escapes: CPU seconds to a message",
            round(redaction_cpu(), 2),
            "under 2; about 18 before issue 20 (the whole body redacted, then cut)",
        ),
    ]
    runs = [measure(count) for count in COUNTS]
    per_app = runs[0].seconds / runs[0].apps
    for run in runs:
        rows += [
            Figure(
                f"{run.apps} Azure + {run.apps} Okta apps: Graph requests per Azure app",
                round(run.graph_requests / run.apps, 2),
                "1",
            ),
            Figure(
                f"{run.apps} Azure + {run.apps} Okta apps: Okta requests per Okta app "
                f"({EVENTS_PER_APP} pushes each)",
                round(run.okta_requests / run.apps, 2),
                f"2 pages, never more than {okta_health.MAX_PAGES}",
            ),
            Figure(
                f"{run.apps} Azure + {run.apps} Okta apps: seconds in all; per app / per app at "
                f"{runs[0].apps}",
                f"{run.seconds:.2f}; {(run.seconds / run.apps) / per_app:.2f}",
                "ratio flat (about 1): linear cost",
            ),
        ]
    return rows
