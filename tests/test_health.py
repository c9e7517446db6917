"""`python -m providers.health` through the real clients over real sockets, against the Graph
and Okta stand-ins: every verdict, every failure (401, 403, 429, 5xx, paging, an empty log, a
missing job, an unknown app, unusable outputs), and the command in a subprocess for exit codes."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from providers import health as command
from providers.core import health
from providers.core.clock import FixedClock
from providers.okta import health as okta_health
from testbed import ROOT
from testbed.harness import run_program
from testbed.stand_ins.graph import (
    Graph,
    execution,
    graph_error,
    job,
    quarantine,
    status,
    throttled,
)
from testbed.stand_ins.okta import Okta, key_pair, okta_error, push_event, rate_limited
from testbed.stand_ins.server import Reply, closed_port
from tests.doubles import (
    FAST,
    GRAPH_BEARER,
    NOW,
    OKTA_API_TOKEN,
    SHORT_DEADLINE,
    STACK_OUTPUTS,
    TOKEN,
    FixedCredential,
    stack_outputs,
)

ISSUED = "2026-11-20T00:00:00Z"
SP = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
APP = "0oa1druvascim0001"
HEALTHY_JOB = status(
    last=execution("Succeeded", "2026-11-22T11:20:00Z"),
    last_success=execution("Succeeded", "2026-11-22T11:20:00Z"),
)


@dataclass
class World:
    graph: Graph
    okta: Okta

    def outputs(self, azure: int = 1, okta: int = 1, kind: str = "okta-api") -> dict[str, Any]:
        targets = [
            {
                "name": f"entra{i}",
                "kind": "azure",
                "servicePrincipalId": f"{SP[:-2]}{i:02d}",
                "graphUrl": self.graph.url,
                "tenantId": None,
                "clientId": None,
                "state": "verified",
            }
            for i in range(azure)
        ] + [
            {
                "name": f"okta{i}",
                "kind": kind,
                "appId": f"{APP[:-2]}{i:02d}",
                "orgUrl": self.okta.url,
                "state": "confirmed" if kind == "okta-manual" else "connection-enabled",
            }
            for i in range(okta)
        ]
        return stack_outputs(ISSUED, targets=targets)

    def job(self, index: int, job_status: dict[str, Any] | None) -> None:
        self.graph.jobs[f"{SP[:-2]}{index:02d}"] = (
            [job(f"scim.{index}", "scim", job_status=job_status)] if job_status else []
        )


@pytest.fixture
def world() -> Iterator[World]:
    with Graph(GRAPH_BEARER) as graph, Okta(OKTA_API_TOKEN) as okta:
        found = World(graph, okta)
        found.job(0, HEALTHY_JOB)
        yield found


def run(
    outputs: object, *arguments: str, environ: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """The command in this process, outputs on stdin, the Graph credential given."""
    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO(outputs if isinstance(outputs, str) else json.dumps(outputs))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = command.main(
                ["-", *arguments],
                clock=FixedClock(NOW),
                environ={"OKTA_API_TOKEN": OKTA_API_TOKEN} if environ is None else environ,
                credential=lambda *_: FixedCredential(GRAPH_BEARER),
                policy=FAST,
            )
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


def by_name(outputs: object, *arguments: str) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, _ = run(outputs, "--json", *arguments)
    document = json.loads(out)
    assert document["exitCode"] == code
    return code, {app["name"]: app for app in document["apps"]}


# --- verdicts through the clients ------------------------------------------------------------


def test_healthy_everywhere_is_exit_0_with_one_line_per_app_and_a_summary(world):
    world.okta.log.append(push_event(f"{APP[:-2]}00", "2026-11-21T10:00:00.000Z"))
    code, out, err = run(world.outputs())
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [
        "druva",
        "entra0",
        "okta0",
        "Provisioning",
    ]
    assert lines[-1] == "Provisioning health: healthy"
    [listing] = world.graph.requests
    assert listing.path.endswith("/synchronization/jobs")


@pytest.mark.parametrize(
    ("job_status", "code"),
    [
        (status("Quarantine", quarantined=quarantine(), failures=3), 2),
        (status("Paused"), 2),
        (status(last=execution("Failed", "2026-11-22T11:00:00Z")), 2),
        (
            status(
                last=execution("EntryLevelErrors", "2026-11-22T11:00:00Z"),
                last_success=execution("Succeeded", "2026-11-22T10:00:00Z"),
            ),
            1,
        ),
        (
            status(
                last=execution("Succeeded", "2026-11-20T10:00:00Z"),
                last_success=execution("Succeeded", "2026-11-20T10:00:00Z"),
            ),
            1,
        ),
        (None, 2),
    ],
    ids=["quarantine", "paused", "failed", "entry-level-errors", "stale", "no-job"],
)
def test_each_azure_state_read_from_graph_gives_its_exit_code(world, job_status, code):
    world.job(0, job_status)
    found, apps = by_name(world.outputs(okta=0))
    assert found == code
    assert apps["entra0"]["status"] == {1: "degraded", 2: "failing"}[code]
    assert len(world.graph.requests) == 1


def test_the_stale_after_option_moves_the_threshold(world):
    world.job(0, status(last_success=execution("Succeeded", "2026-11-20T10:00:00Z")))
    assert by_name(world.outputs(okta=0))[0] == 1
    assert by_name(world.outputs(okta=0), "--stale-after", "72")[0] == 0


def test_failed_pushes_to_an_okta_app_after_the_rotation_are_failing(world):
    world.okta.log += [
        push_event(f"{APP[:-2]}00", "2026-11-19T10:00:00.000Z"),  # before the token: not read
        push_event(f"{APP[:-2]}00", "2026-11-21T10:00:00.000Z", succeeded=False),
        push_event("0oaanotherapp0000", "2026-11-21T11:00:00.000Z"),  # another app's success
    ]
    code, apps = by_name(world.outputs(azure=0, kind="okta-manual"))
    assert code == 2
    assert "the app still holds an old token" in apps["okta0"]["problems"][0]
    assert apps["okta0"]["details"]["pushes"] == 1
    [request] = world.okta.requests
    assert request.query["since"] == ISSUED
    assert request.query["filter"] == health.log_filter(f"{APP[:-2]}00")


def test_the_log_is_followed_through_its_pages_and_the_bound_holds(world, monkeypatch):
    monkeypatch.setattr(okta_health, "PAGE_SIZE", 2)
    app = f"{APP[:-2]}00"
    world.okta.log += [push_event(app, f"2026-11-21T10:0{i}:00.000Z") for i in range(7)]
    world.okta.log.append(push_event(app, "2026-11-21T11:00:00.000Z", succeeded=False))
    code, apps = by_name(world.outputs(azure=0))
    assert len(world.okta.requests) == 4  # 8 events, 2 a page
    assert apps["okta0"]["details"]["pushes"] == 8 and apps["okta0"]["details"]["complete"]
    assert code == 2  # the newest event, on the first page, is a failure after every success
    assert "after" in world.okta.requests[1].query

    monkeypatch.setattr(okta_health, "MAX_PAGES", 2)
    before = len(world.okta.requests)
    code, apps = by_name(world.outputs(azure=0))
    assert len(world.okta.requests) - before == 2
    assert apps["okta0"]["details"]["complete"] is False
    assert code == 2


def test_a_next_link_back_to_a_page_already_read_ends_the_log_and_counts_each_event_once(world):
    app = f"{APP[:-2]}00"
    first, second = (
        push_event(app, f"2026-11-21T1{hour}:00:00.000Z", succeeded=False) for hour in (1, 0)
    )
    logs = f"{world.okta.url}{okta_health.LOGS_PATH}"

    def page(events: list[dict[str, Any]], following: str) -> Reply:
        return Reply(200, events, headers={"link": f'<{logs}?{following}>; rel="next"'})

    # The third page links back to the second, its query written in another order.
    world.okta.fail_next(
        page([first], "limit=100&after=2"),
        page([first, second], "after=3&limit=100"),
        *[page([second], "after=2&limit=100")] * 3,
    )
    code, apps = by_name(world.outputs(azure=0))
    assert len(world.okta.requests) == 3
    details = apps["okta0"]["details"]
    assert (details["pushes"], details["failedSinceLastSuccess"], details["complete"]) == (
        2,
        2,
        True,
    )
    assert apps["okta0"]["problems"][0].startswith("2 pushes to Druva failed")
    assert code == 2


def test_a_user_level_failure_through_the_client_is_degraded_not_an_old_token(world):
    world.okta.log.append(
        push_event(f"{APP[:-2]}00", "2026-11-21T10:00:00.000Z", outcome="conflict")
    )
    code, out, _ = run(world.outputs(azure=0, kind="okta-manual"))
    assert code == 1
    assert "Conflict. Errors reported by remote server" in out
    assert "old token" not in out and "paste the current token" not in out


def test_an_empty_log_is_no_evidence_either_way(world):
    code, apps = by_name(world.outputs(azure=0))
    assert code == 0 and apps["okta0"]["details"]["pushes"] == 0
    assert "nothing contradicts it" in apps["okta0"]["line"]


# --- failures through the clients --------------------------------------------------------------


def cause_of(apps: dict[str, dict[str, Any]], name: str) -> str:
    return str(apps[name]["details"]["cause"])


@pytest.mark.parametrize(
    ("fault", "cause", "says"),
    [
        (
            graph_error(401, "InvalidAuthenticationToken", "Access token validation failure."),
            "credentials",
            "did not accept the Azure access token when the health check read",
        ),
        (
            graph_error(403, "Authorization_RequestDenied", "Insufficient privileges."),
            "permission",
            "its identity lacks the application permission Synchronization.Read.All",
        ),
        (graph_error(503, "ServiceUnavailable", "down"), "network", "still answered HTTP 503"),
    ],
    ids=["401", "403", "5xx"],
)
def test_graph_failures_are_could_not_check_with_their_cause(world, fault, cause, says):
    world.graph.fail_next(*[fault] * FAST.attempts)
    code, apps = by_name(world.outputs(okta=0))
    assert code == 3 and cause_of(apps, "entra0") == cause
    assert says in apps["entra0"]["problems"][0]
    assert TOKEN not in json.dumps(apps) and GRAPH_BEARER not in json.dumps(apps)


def test_graphs_429_is_waited_out(world):
    world.graph.fail_next(throttled("1"))
    code, _ = by_name(world.outputs(okta=0))
    assert code == 0 and len(world.graph.requests) == 2


def test_an_unknown_service_principal_is_app_not_found(world):
    world.graph.jobs.clear()
    code, apps = by_name(world.outputs(okta=0))
    assert code == 3 and cause_of(apps, "entra0") == "app not found"


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (okta_error(401, "E0000011", "Invalid token provided"), "credentials"),
        (okta_error(403, "E0000006", "You do not have permission"), "permission"),
        (okta_error(500, "E0000009", "Internal Server Error"), "network"),
    ],
    ids=["401", "403", "5xx"],
)
def test_okta_failures_are_could_not_check_with_their_cause(world, fault, cause):
    world.okta.fail_next(*[fault] * FAST.attempts)
    code, apps = by_name(world.outputs(azure=0))
    assert code == 3 and cause_of(apps, "okta0") == cause
    assert OKTA_API_TOKEN not in json.dumps(apps)


def test_oktas_429_is_waited_out_by_its_reset_header(world):
    world.okta.fail_next(rate_limited(reset_in=1))
    code, _ = by_name(world.outputs(azure=0))
    assert code == 0 and len(world.okta.requests) == 2


def test_a_service_app_without_okta_logs_read_is_a_permission_warning(world):
    private, public = key_pair()
    world.okta.add_service_app("0oa9health0001", public, "kid-1")  # apps.read only
    environ = {
        "OKTA_API_CLIENT_ID": "0oa9health0001",
        "OKTA_API_PRIVATE_KEY": private,
        "OKTA_API_PRIVATE_KEY_ID": "kid-1",
        "OKTA_API_SCOPES": "okta.apps.read",
    }
    code, out, _ = run(world.outputs(azure=0), "--json", environ=environ)
    document = json.loads(out)
    assert (code, document["causes"]) == (3, ["permission"]), document["apps"][1]["problems"]
    assert "grant okta.logs.read" in document["apps"][1]["problems"][0]
    assert private not in out


def test_missing_credentials_and_a_closed_port_are_named(world):
    outputs = world.outputs(azure=0)
    outputs["targets"].append({**outputs["targets"][0], "name": "gone"})
    outputs["targets"][1]["orgUrl"] = f"http://127.0.0.1:{closed_port()}"
    code, apps = by_name(outputs)
    assert code == 3 and cause_of(apps, "gone") == "network"
    code, out, _ = run(world.outputs(azure=0), "--json", environ={})
    assert (code, json.loads(out)["causes"]) == (3, ["credentials"])
    assert "no Okta credentials in the environment" in out


def test_a_failure_beside_a_missing_permission_still_fails(world):
    world.job(0, status("Paused"))
    world.okta.fail_next(*[okta_error(403, "E0000006", "You do not have permission")] * 3)
    code, apps = by_name(world.outputs())
    assert code == 2 and cause_of(apps, "okta0") == "permission"


# --- unusable outputs and the command line ------------------------------------------------------


@pytest.mark.parametrize(
    ("outputs", "says"),
    [
        ("{not json", "the stack outputs are not JSON"),
        ({**STACK_OUTPUTS, "targets": [{"name": "entra", "kind": "azure"}]}, "servicePrincipalId"),
        ({**STACK_OUTPUTS, "expiresAt": "soon"}, "output expiresAt is 'soon'"),
    ],
    ids=["not-json", "old-stack", "bad-date"],
)
def test_unusable_outputs_are_exit_3_naming_the_cause(outputs, says):
    code, out, err = run(outputs)
    assert (code, out) == (3, "")
    assert err.startswith("Provisioning health: could not check (unusable outputs): ")
    assert says in err


def run_command(
    *arguments: str, stdin: str, environ: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "providers.health", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environ},
        timeout=60,
        check=False,
    )


def test_the_command_in_a_subprocess_exits_with_each_code(world):
    app = f"{APP[:-2]}00"
    environ = {"OKTA_API_TOKEN": OKTA_API_TOKEN}
    outputs = world.outputs(azure=0)
    assert run_command("-", stdin=json.dumps(outputs), environ=environ).returncode == 0
    world.okta.log.append(push_event(app, "2026-11-21T10:00:00.000Z", succeeded=False))
    failing = run_command("-", stdin=json.dumps(outputs), environ=environ)
    assert failing.returncode == 2
    assert re.search(r"^okta0 \(okta-api\): failing: 1 push to Druva failed", failing.stdout, re.M)
    denied = run_command("-", "--json", stdin=json.dumps(outputs), environ={})
    assert (denied.returncode, json.loads(denied.stdout)["causes"]) == (3, ["credentials"])
    usage = run_command("--stale-after", "never", stdin="", environ=environ)
    assert usage.returncode == 3 and "not a number of hours" in usage.stderr


# --- the docs ---------------------------------------------------------------------------------


def test_the_pages_exit_code_table_is_the_commands():
    page = (ROOT / "docs" / "health.md").read_text()
    section = page[page.index("## Exit codes") :].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    table = {int(cells[0].strip()): cells[1].strip() for cells in rows[2:]}
    assert list(table) == list(health.EXIT_CODES)
    for code, meaning in health.EXIT_CODES.items():
        assert table[code].startswith(meaning), (code, table[code])


def test_the_page_names_every_event_type_the_check_reads():
    page = (ROOT / "docs" / "health.md").read_text()
    assert all(f"`{kind}`" in page for kind in health.PUSH_EVENT_TYPES)


def test_a_crash_of_the_check_is_one_sentence_and_exit_3(monkeypatch, world):
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(command, "check", broken)
    code, out, err = run(world.outputs())
    assert (code, out) == (3, "")
    assert err == command.CRASHED.format(kind="RuntimeError") + "\n"


# --- targets: what the program exports is what the check reads ----------------------------------


def test_the_programs_targets_carry_what_health_needs_and_no_secret():
    config = {
        "druva-scim:scimToken": TOKEN,
        "druva-scim:issuedAt": "2026-11-20T00:00:00Z",
        "okta:orgName": "acme",
        "druva-scim:azureApps": json.dumps([{"name": "entra", "servicePrincipalId": SP}]),
        "druva-scim:azureTenants": "[]",
        "druva-scim:oktaApps": json.dumps(
            [
                {"name": "api", "appId": APP, "mode": "api"},
                {"name": "hand", "appId": APP[:-1] + "9"},
            ]
        ),
    }
    run = run_program(config)
    assert run.error is None
    targets = run.exports["targets"]
    assert targets[0]["graphUrl"] == "https://graph.microsoft.com"
    assert "tenantId" in targets[0] and "clientId" in targets[0]
    assert [entry["orgUrl"] for entry in targets[1:]] == ["https://acme.okta.com"] * 2
    assert TOKEN not in json.dumps(targets)
    outputs = {**STACK_OUTPUTS, "targets": targets}
    stack, problems = health.targets(json.loads(json.dumps(outputs)), NOW)
    assert problems == [] and stack is not None
    assert [app.name for app in stack.azure] + [app.name for app in stack.okta] == [
        "entra",
        "api",
        "hand",
    ]


def test_a_server_that_trickles_is_cut_at_the_apps_deadline(world):
    world.okta.fail_next(Reply(200, [], action="trickle"))
    out = io.StringIO()
    sys.stdin, stdin = io.StringIO(json.dumps(world.outputs(azure=0))), sys.stdin
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(out):
            code = command.main(
                ["-", "--json"],
                clock=FixedClock(NOW),
                environ={"OKTA_API_TOKEN": OKTA_API_TOKEN},
                policy=SHORT_DEADLINE,
            )
    finally:
        sys.stdin = stdin
    assert time.monotonic() - started < SHORT_DEADLINE.deadline_seconds + 2  # generous slack
    document = json.loads(out.getvalue())
    assert (code, document["causes"]) == (3, ["network"])
    assert "did not finish within 2 s" in document["apps"][1]["problems"][0]


# --- bounds that hold for a whole run -----------------------------------------------------------

HUNG_APPS = 15
"""As many apps as the issue's example: 15 behind one hung Graph or Okta."""


@pytest.mark.parametrize("vendor", ["graph", "okta"])
def test_apps_behind_a_hung_origin_cost_the_run_one_app_and_one_request(world, vendor):
    azure, okta = (HUNG_APPS, 0) if vendor == "graph" else (0, HUNG_APPS)
    for index in range(azure):
        world.job(index, HEALTHY_JOB)
    hung = world.graph if vendor == "graph" else world.okta
    # Every request that could come hangs: only the run's memory of the origin stops them.
    hung.fail_next(*[Reply(action="hang")] * (HUNG_APPS * FAST.attempts))
    started = time.monotonic()
    code, apps = by_name(world.outputs(azure=azure, okta=okta))
    elapsed = time.monotonic() - started
    names = [f"entra{i}" for i in range(azure)] + [f"okta{i}" for i in range(okta)]
    assert code == 3 and {cause_of(apps, name) for name in names} == {"network"}
    # One request with its policy's tries, for 15 apps as for 1; then no more.
    assert len(hung.requests) == FAST.attempts
    # The first app's own bound, not one per app (15 x 3 read timeouts of 0.5 s before).
    assert elapsed < FAST.deadline_seconds
    first, *others = (apps[name]["problems"][0] for name in names)
    assert "timed out" in first
    for problem in others:
        assert f"at {hung.origin} was not asked: it failed earlier in this run (timed out)" in (
            problem
        )
        assert "check the network and the proxy (HTTPS_PROXY)" in problem


def test_the_whole_run_ends_at_its_deadline_and_says_which_setting(world):
    for index in range(HUNG_APPS):
        world.job(index, HEALTHY_JOB)
    answer = world.graph.handle
    # Each answer slow but within the read timeout: only the run's bound can end the run.
    world.graph.handle = lambda request: dataclasses.replace(answer(request), delay=0.3)
    started = time.monotonic()
    code, apps = by_name(world.outputs(azure=HUNG_APPS, okta=1), "--deadline", "1.5")
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 1.0  # generous slack; 15 x 0.3 s = 4.5 s without the bound
    assert code == 3
    assert apps["entra0"]["status"] == "healthy"
    late = [app for app in apps.values() if app["status"] == "unknown"]
    assert apps["okta0"] in late and len(late) >= HUNG_APPS - 5
    for app in late:
        assert "within 1.5 s" in app["problems"][0], app["problems"]
        assert "(the bound on one health check, --deadline)" in app["problems"][0]
    assert len(world.graph.requests) < HUNG_APPS


def test_the_deadline_option_refuses_what_is_not_a_number_of_seconds(capsys):
    for text in ("soon", "0", "-5", "86401"):
        with pytest.raises(SystemExit) as exited:
            command.parser().parse_args(["-", "--deadline", text])
        assert exited.value.code == 3
        assert "is not a number of seconds from 0 to 86400" in capsys.readouterr().err
    assert command.parser().parse_args(["-"]).deadline == command.RUN_SECONDS
