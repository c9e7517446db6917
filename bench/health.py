"""Issue 12 figures: the health check's requests and time for 1, 10 and 50 apps of each vendor.

Each run reads N Azure apps from the Graph stand-in and N Okta apps from the
Okta stand-in, each Okta app with two pages of pushes in the System Log, through
the real clients (`providers.health.check`). The goal is linear cost: one Graph
request per Azure app, a bounded number of pages per Okta app, and a time per
app that stays flat as apps grow.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from azure.core.credentials import AccessToken

from bench.report import Figure
from providers import health as command
from providers.core import health, reach
from providers.http import HttpPolicy
from providers.okta import health as okta_health
from testbed import NOW
from testbed.stand_ins.graph import Graph, execution, job, status
from testbed.stand_ins.okta import Okta, push_event

COUNTS = (1, 10, 50)
BEARER = "bEnCh-GrApH-BeArEr"
OKTA_TOKEN = "00bEnCh-OkTa-ToKeN-0000"
EVENTS_PER_APP = okta_health.PAGE_SIZE + okta_health.PAGE_SIZE // 2
"""Two pages of pushes per Okta app."""
ISSUED = NOW - timedelta(days=2)
POLICY = HttpPolicy()


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
def world(count: int) -> Iterator[tuple[Graph, Okta, reach.Stack]]:
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
            azure.append(reach.AzureReach(f"a{index}", sp_id, graph.url, None, None, "verified"))
            app_id = f"0oa{index:017d}"
            okta.log += [
                push_event(app_id, f"2026-11-21T{minute // 60:02d}:{minute % 60:02d}:00.000Z")
                for minute in range(EVENTS_PER_APP)
            ]
            oktas.append(
                reach.OktaReach(f"o{index}", "okta-api", app_id, okta.url, "connection-enabled")
            )
        yield (
            graph,
            okta,
            reach.Stack(
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


def figures() -> list[Figure]:
    runs = [measure(count) for count in COUNTS]
    per_app = runs[0].seconds / runs[0].apps
    rows = []
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
