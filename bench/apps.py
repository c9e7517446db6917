"""Issue 3 figures: the program under mocks with many apps, against bare resources."""

from __future__ import annotations

import base64
import json
import statistics
import time
from pathlib import Path

from bench import TOKEN
from bench.report import Figure
from testbed.harness import run_program

BARE = Path(__file__).with_name("bare_program.py")
COUNTS = (1, 50, 200)
RUNS = 3


def apps_config(count: int) -> dict[str, str]:
    """`count` apps in all: a third of each kind, the rest Azure."""
    okta = count // 3
    manual = count // 3
    azure = count - okta - manual
    return {
        "druva-scim:scimToken": TOKEN,
        "druva-scim:issuedAt": "2026-11-20T00:00:00Z",
        "okta:orgName": "acme",
        "druva-scim:azureApps": json.dumps(
            [
                {"name": f"a{i}", "servicePrincipalId": f"00000000-0000-4000-8000-{i:012d}"}
                for i in range(azure)
            ]
        ),
        "druva-scim:oktaApps": json.dumps(
            [{"name": f"o{i}", "appId": f"0oa{i:017d}", "mode": "api"} for i in range(okta)]
            + [{"name": f"m{i}", "appId": f"0oa9{i:016d}", "mode": "manual"} for i in range(manual)]
        ),
    }


def timed(config: dict[str, str], main: Path | None = None) -> tuple[float, int, dict[str, int]]:
    """Median seconds of RUNS runs, resources registered, __provider bytes by resource type."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run = run_program(config, main=main) if main else run_program(config)
        times.append(time.perf_counter() - started)
        assert run.error is None, run.error
    blobs: dict[str, int] = {}
    for registration in run.registrations:
        if "__provider" in registration.inputs:
            size = len(base64.b64decode(registration.plain("__provider")))
            kind = registration.type.rsplit(":", 1)[-1]
            blobs[kind] = max(blobs.get(kind, 0), size)
    return statistics.median(times), len(run.registrations), blobs


def figures() -> list[Figure]:
    rows = []
    for count in COUNTS:
        program, registered, blob = timed(apps_config(count))
        bare, _, _ = timed({"bench:resources": str(registered)}, BARE)
        rows.append(
            Figure(
                f"{count} apps ({registered} resources): program / bare resources under mocks",
                round(program / bare, 2),
                "flat as apps grow: linear scaling",
            )
        )
        sizes = ", ".join(f"{kind} {size}" for kind, size in sorted(blob.items()))
        rows.append(Figure(f"{count} apps: serialized provider by type, bytes", sizes, "no growth"))
    return rows
