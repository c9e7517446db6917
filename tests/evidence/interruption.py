"""Issue 6, item 4: a provider host killed mid-step, and one identity provider refusing.
Issue 10: a server that trickles its answer, which the operation's deadline ends; the
rotation helper interrupted (Ctrl-C during `pulumi up`, Ctrl-D at its prompt) and a
`pulumi config set` that stalls, against the stand-in CLI (testbed/stand_ins/pulumi_cli.py).

The kills use the SDK's real dynamic-provider host (`python -m pulumi.dynamic`)
over gRPC, as the engine runs it. A stand-in holds its answer back; once it has
the request, another thread kills the host process. The engine would then have
recorded nothing for the resource (a pending create is not a resource), so the
next run is a fresh host, Check with no old inputs, and Create again.

The refusal runs the whole program under Pulumi's mocks (testbed/harness.py), with
the okta provider's Connection failing the way Okta refuses a token connection.
Mocks register every resource whose dependencies succeeded and never stop early;
see `okta_refusal` for what that can and cannot show about the real engine.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import grpc
import pulumi

from providers import rotate
from providers.core import lifecycle
from providers.core.resource_types import AZURE_CHECK as AZURE_TYPE
from providers.druva.token import token_outputs
from providers.okta import wiring as okta_api
from testbed import ROOT, harness
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.harness import Run, run_program, unwrap
from testbed.stand_ins import pulumi_cli
from testbed.stand_ins.druva import LIST_RESPONSE, SCIM_JSON, DruvaScim
from testbed.stand_ins.graph import Graph, job, quarantine
from testbed.stand_ins.server import Reply, Request
from tests.doubles import (
    GRAPH_BEARER,
    GRAPH_BEARER_VARIABLE,
    JOB,
    NOW,
    OTHER_TOKEN,
    PASSING_PREFLIGHT,
    SERVICE_PRINCIPAL,
    SHORT_DEADLINE,
    TOKEN,
    AzureCheck,
    ShortDeadlineTokenProvider,
    TokenProvider,
    token_inputs,
)
from tests.evidence.faults import _shorten, leaked
from tests.evidence.record import Row, because, unmet

TOKEN_URN = "urn:pulumi:test::druva-scim::pulumi-python:dynamic/druva:ScimToken::druva-scim-token"
AZURE_URN = f"urn:pulumi:test::druva-scim::{AZURE_TYPE}::azure-check-druva"
KILL_WITHIN_SECONDS = 10.0
DEADLINE_SLACK_SECONDS = 2.0
"""How far past its deadline a trickled operation may end (a busy machine's scheduling)."""


# --- killing the host mid-request ----------------------------------------------------------


@contextlib.contextmanager
def killer(host: ProviderHost, arrived: Callable[[], bool]) -> Iterator[list[str]]:
    """Kill the host's process (SIGKILL) as soon as `arrived()`; report what happened."""
    happened: list[str] = []

    def watch() -> None:
        deadline = time.monotonic() + KILL_WITHIN_SECONDS
        while not arrived():
            if time.monotonic() > deadline:
                happened.append("the request never arrived; killed anyway")
                break
            time.sleep(0.01)
        host.process.kill()
        happened.append("killed")

    thread = threading.Thread(target=watch, name="host-killer", daemon=True)
    thread.start()
    try:
        yield happened
    finally:
        thread.join(KILL_WITHIN_SECONDS + 5)


def _rpc_failure(call: Callable[[], Any]) -> grpc.RpcError | None:
    try:
        call()
    except grpc.RpcError as error:
        return error
    return None


def _describe(error: grpc.RpcError | None) -> str:
    if error is None:
        return "the call returned although the host was killed"
    return f"gRPC {error.code().name}"


def killed_during_create() -> Row:
    """The host dies while Druva is answering the token check of a create."""
    problems: list[str] = []
    started = time.monotonic()
    with DruvaScim(TOKEN) as druva:
        # Held without an answer for longer than the kill takes (HANG_SECONDS).
        druva.fail_next(Reply(action="hang"))
        news = token_inputs(druva.url, __provider=serialized(TokenProvider()))
        with ProviderHost() as first:
            inputs = from_struct(first.check(TOKEN_URN, {}, news).inputs)
            with killer(first, lambda: len(druva.requests) >= 1) as happened:
                error = _rpc_failure(lambda: first.create(TOKEN_URN, inputs))
            first_stderr = first.stderr()
        first_requests = len(druva.requests)

        with ProviderHost() as second:
            again = from_struct(second.check(TOKEN_URN, {}, news).inputs)
            created = second.create(TOKEN_URN, again)
            state = from_struct(created.properties)
            second_stderr = second.stderr()
        requests = list(druva.requests)
    seconds = time.monotonic() - started

    if happened != ["killed"] or error is None or error.code() != grpc.StatusCode.UNAVAILABLE:
        problems.append(f"the first host was not killed mid-create: {happened}, {error}")
    if first_requests != 1:
        problems.append(f"Druva received {first_requests} requests before the kill")
    if len(requests) != first_requests + 1:
        problems.append(f"the second run sent {len(requests) - first_requests} requests, not 1")
    if any(request.authorization != f"Bearer {TOKEN}" for request in requests):
        problems.append("a request did not carry the token from the inputs")
    expected = token_outputs(again, last_checked_at=NOW)
    converged = (
        again == inputs
        and created.id == lifecycle.fingerprint(TOKEN)
        and {k: v for k, v in state.items() if k != "__provider"} == expected
    )
    if not converged:
        problems.append("the second run's Check or Create differs from a clean create")
    token_safe = (
        again["scimToken"] == TOKEN
        and state.get("scimToken") == TOKEN
        and not leaked(
            "\n".join([error.details() if error else "", first_stderr, second_stderr]), [TOKEN]
        )
    )
    return Row(
        scenario="The provider host is killed while Druva answers the create's token check",
        step="create",
        outcome=(
            f"first run: {_describe(error)}, nothing recorded; next run (Check with no old "
            f"inputs, Create): created token {created.id}"
        ),
        attempts=len(requests),
        seconds=round(seconds, 2),
        state_changed=True,
        converged=converged,
        token_safe=token_safe,
        reason=because(problems, token_safe),
    )


class HoldingGraph(Graph):
    """Graph that does one kind of job action, then holds the answer back (once)."""

    def __init__(self, *accepted: str) -> None:
        super().__init__(*accepted)
        self.hold: str | None = None
        """`validateCredentials` or `restart`: the next such request is done, not answered."""
        self.arrived = threading.Event()

    def handle(self, request: Request) -> Reply:
        reply = super().handle(request)
        if self.hold and request.path.endswith(f"/{self.hold}"):
            self.hold = None
            reply.action = "hang"
            self.arrived.set()
        return reply


def killed_during_the_azure_check(held: str) -> Row:
    """The host dies while Azure answers `held` (validateCredentials or restart) for a
    quarantined job; the next run creates the check again."""
    problems: list[str] = []
    started = time.monotonic()
    environment = {GRAPH_BEARER_VARIABLE: GRAPH_BEARER}
    with HoldingGraph(GRAPH_BEARER) as graph:
        graph.jobs[SERVICE_PRINCIPAL] = [job(JOB, "scim", quarantine())]
        graph.hold = held
        news = {
            "appName": "druva",
            "servicePrincipalId": SERVICE_PRINCIPAL,
            "tokenFingerprint": lifecycle.fingerprint(TOKEN),
            "graphUrl": graph.url,
            "tenantId": None,
            "clientId": None,
            "__provider": serialized(AzureCheck()),
        }
        with ProviderHost(env=environment) as first:
            inputs = from_struct(first.check(AZURE_URN, {}, news).inputs)
            with killer(first, graph.arrived.is_set) as happened:
                error = _rpc_failure(lambda: first.create(AZURE_URN, inputs))
            first_stderr = first.stderr()
        first_validations, first_restarts = len(graph.validations), len(graph.restarts)

        with ProviderHost(env=environment) as second:
            again = from_struct(second.check(AZURE_URN, {}, news).inputs)
            created = second.create(AZURE_URN, again)
            state = from_struct(created.properties)
            second_stderr = second.stderr()
        validations, restarts = len(graph.validations), len(graph.restarts)
        requests = len(graph.requests)
        still_quarantined = graph.jobs[SERVICE_PRINCIPAL][0]["status"]["quarantine"] is not None
    seconds = time.monotonic() - started

    if happened != ["killed"] or error is None or error.code() != grpc.StatusCode.UNAVAILABLE:
        problems.append(f"the first host was not killed mid-check: {happened}, {error}")
    # The first run got as far as the held call: validate (and restart, when that was held).
    expected_first_restarts = 1 if held == "restart" else 0
    if (first_validations, first_restarts) != (1, expected_first_restarts):
        problems.append(f"first run: {first_validations} validations, {first_restarts} restarts")
    if validations - first_validations != 1:
        problems.append(f"the next run validated {validations - first_validations} times, not 1")
    if restarts != 1:
        problems.append(f"{restarts} restarts in both runs, not exactly 1")
    if still_quarantined:
        problems.append("the job is still quarantined")
    # The next run restarts the job only when the first one did not get that far.
    restarted_by_second = held != "restart"
    converged = (
        again == inputs
        and created.id == SERVICE_PRINCIPAL
        and state.get("jobId") == JOB
        and state.get("tokenFingerprint") == lifecycle.fingerprint(TOKEN)
        and state.get("restartedFromQuarantine") is restarted_by_second
        and not still_quarantined
    )
    if not converged:
        problems.append(f"the next run's record is not as expected: {state}")
    observable = "\n".join([error.details() if error else "", first_stderr, second_stderr])
    token_safe = not leaked(observable + repr(state), [TOKEN, GRAPH_BEARER])

    if held == "restart":
        scenario = "The provider host is killed after Azure received the quarantine restart"
        outcome = (
            f"first run: {_describe(error)} (Azure had validated and restarted the job); "
            "next run: validated once more, found the job out of quarantine, restarted "
            "nothing; 1 restart in all (its record says restartedFromQuarantine: false, "
            "since that run did not restart it)"
        )
    else:
        scenario = "The provider host is killed while Azure answers validateCredentials"
        outcome = (
            f"first run: {_describe(error)} before any restart; next run: validated once, "
            "restarted the quarantined job once; 1 restart in all"
        )
    return Row(
        scenario=scenario,
        step="check (Azure)",
        outcome=outcome,
        attempts=requests,
        seconds=round(seconds, 2),
        state_changed=True,
        converged=converged,
        token_safe=token_safe,
        reason=because(problems, token_safe),
    )


# --- one consumer refusing -----------------------------------------------------------------

CONNECTION = "okta:app/connection:Connection"
SYNC_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
AZURE_APP = {"name": "druva-azure", "servicePrincipalId": SERVICE_PRINCIPAL}
OKTA_APP = {"name": "druva-okta", "appId": "0oa1druvascim0001", "mode": "api"}
OKTA_APP_INDEX = 0
REFUSALS = {
    "okta provider (status line)": (
        "Error Updating App Connection: Could not update app connection for application ID "
        f"{OKTA_APP['appId']}: 400 Bad Request"
    ),
    "Okta error code": (
        "the API returned an error: Api validation failed: connection. Error code: E0000001"
    ),
}
"""What the okta provider reports when Okta refuses the token connection.

terraform-provider-okta's okta_app_connection (which pulumi-okta 7 bridges) reports
`Could not ... app connection for application ID <id>: ` + the SDK's error, and
okta-sdk-golang's error text for a 400 is the HTTP status line alone: Okta's code
E0000001 is in the body only. The second form carries the code, as an SDK that
quotes the body would."""


def _config(token: str, issued_at: str) -> dict[str, str]:
    return {
        "druva-scim:scimToken": token,
        "druva-scim:issuedAt": issued_at,
        "okta:orgName": "acme",
        "druva-scim:azureApps": json.dumps([AZURE_APP]),
        "druva-scim:oktaApps": json.dumps([OKTA_APP]),
    }


class OktaRefuses(harness.EngineLikeMocks):
    """The harness's engine-like mocks, with Okta refusing every token connection.

    Before failing, it calls the program's error hook for the resource the way the
    engine does after a failed operation (mocks never call hooks themselves)."""

    error_text: ClassVar[str] = REFUSALS["okta provider (status line)"]
    hooks: ClassVar[list[pulumi.ErrorHook]] = []

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        if args.typ == CONNECTION:
            for hook in self.hooks:
                if hook.name.endswith(f"-{OKTA_APP['name']}"):
                    hook.callback(
                        pulumi.ErrorHookArgs(
                            urn=f"urn:pulumi:test::druva-scim::{CONNECTION}::{args.name}",
                            id=str(OKTA_APP["appId"]),
                            name=args.name,
                            type=args.typ,
                            failed_operation="update",
                            errors=[self.error_text],
                        )
                    )
            raise RuntimeError(f"updating {args.name}: {self.error_text}")
        return super().new_resource(args)


@contextlib.contextmanager
def _okta_refusing() -> Iterator[None]:
    """run_program with OktaRefuses, and the program's error hooks within its reach."""
    real_mocks, real_hook = harness.EngineLikeMocks, pulumi.ErrorHook
    OktaRefuses.hooks = []

    class RecordedHook(real_hook):  # type: ignore[misc, valid-type]
        def __init__(self, name: str, func: Any) -> None:
            super().__init__(name, func)
            OktaRefuses.hooks.append(self)

    harness.EngineLikeMocks = OktaRefuses  # type: ignore[misc]
    pulumi.ErrorHook = RecordedHook  # type: ignore[misc]
    try:
        yield
    finally:
        harness.EngineLikeMocks = real_mocks  # type: ignore[misc]
        pulumi.ErrorHook = real_hook  # type: ignore[misc]


def _outputs(run: Run) -> dict[str, dict[str, Any]]:
    return {r.name: unwrap(r.outputs) for r in run.registrations}


def _names(run: Run) -> set[str]:
    return {r.name for r in run.registrations}


def okta_refusal() -> Row:
    """A rotation where Okta refuses the new token for one app: Azure is updated anyway,
    the failure names the app and says what to do, and the run after converges."""
    problems: list[str] = []
    started = time.monotonic()
    before = run_program(_config(OTHER_TOKEN, "2026-11-01T09:30:00Z"))
    rotation = _config(TOKEN, "2026-11-21T09:30:00Z")
    with _okta_refusing():
        refused = run_program(rotation, prior=_outputs(before))
    # The engine keeps the old state of what failed, the new state of what succeeded.
    after = run_program(rotation, prior={**_outputs(before), **_outputs(refused)})
    seconds = time.monotonic() - started

    if before.error is not None:
        problems.append(f"the run before the rotation failed: {before.error}")
    secret = [r for r in refused.registrations if r.type == SYNC_SECRET]
    checks = [r for r in refused.registrations if r.type == AZURE_TYPE]
    new_fingerprint = lifecycle.fingerprint(TOKEN)
    azure_updated = (
        len(secret) == 1
        and secret[0].plain("credentials")[1] == {"key": "SecretToken", "value": TOKEN}
        and len(checks) == 1
        and checks[0].plain("tokenFingerprint") == new_fingerprint
    )
    if not azure_updated:
        problems.append("the Azure app was not updated while Okta refused")
    okta_name = f"okta-{OKTA_APP['name']}"
    if okta_name in _names(refused) or f"okta-check-{OKTA_APP['name']}" in _names(refused):
        problems.append("the refused connection or its check was recorded as done")
    failure = str(refused.error or "")
    if str(OKTA_APP["appId"]) not in failure or okta_name not in failure:
        problems.append(f"the failure does not name the app: {failure!r}")
    advice = [m for m in refused.messages("error") if "Okta refused the token connection" in m]
    wanted = f"switch druva-scim:oktaApps[{OKTA_APP_INDEX}].mode to manual"
    if len(advice) != 1 or wanted not in advice[0] or OKTA_APP["name"] not in advice[0]:
        problems.append(f"the error hook did not log the manual-mode advice: {advice}")

    connection = [r for r in after.registrations if r.type == CONNECTION]
    converged = (
        after.error is None
        and _names(after) == _names(before)
        and len(connection) == 1
        and connection[0].plain("profile")["token"] == TOKEN
        and {t["tokenFingerprint"] for t in after.exports["targets"]} == {new_fingerprint}
    )
    if not converged:
        problems.append(f"the run after did not converge: {after.error}")
    observable = [failure, *(text for _level, text in refused.logs + after.logs)]
    observable += [
        json.dumps(value, default=str)
        for name, value in after.exports.items()
        if name not in after.secret_exports
    ]
    token_safe = not any(leaked(text, [TOKEN, OTHER_TOKEN]) for text in observable)
    return Row(
        scenario="Okta refuses the new token for one app during a rotation (program under mocks)",
        step="program",
        outcome=(
            f"failed: {okta_name} ({OKTA_APP['appId']}) refused; Azure secret and check "
            f"updated to {new_fingerprint}; error hook logged: {wanted}. Mocks register every "
            "independent resource; the real engine does so with --continue-on-error, else "
            "it finishes what is in flight and the rest waits for the next run"
        ),
        attempts=None,
        seconds=round(seconds, 2),
        state_changed=azure_updated,
        converged=converged,
        token_safe=token_safe,
        reason=because(problems, token_safe),
    )


def refusal_advice() -> Row:
    """refusal_message (the body of the program's error hook) on each form of the refusal,
    and on errors that are not a refusal."""
    advice = {
        form: okta_api.refusal_message(
            [text], index=OKTA_APP_INDEX, app_name=OKTA_APP["name"], app_id=OKTA_APP["appId"]
        )
        for form, text in REFUSALS.items()
    }
    others = [
        "Error Updating App Connection: Could not update app connection for application ID "
        f"{OKTA_APP['appId']}: 404 Not Found",
        "Error Updating App Connection: Could not update app connection for application ID "
        f"{OKTA_APP['appId']}: 403 Forbidden",
        "the API returned an error: Not found: Resource not found: 0oaabc (App). E0000007",
    ]
    wrongly_advised = [
        text
        for text in others
        if okta_api.refusal_message([text], index=0, app_name="druva-okta", app_id="0oaabc")
    ]
    wanted = f"switch druva-scim:oktaApps[{OKTA_APP_INDEX}].mode to manual"
    recognised = [form for form, message in advice.items() if message and wanted in message]
    return Row(
        scenario="The okta provider's refusal text, with and without Okta's code E0000001",
        step="error hook",
        outcome=(
            f"advice ({wanted}) for: {', '.join(recognised) or 'neither'}; "
            f"none for 403, 404 and E0000007 ({len(wrongly_advised)} wrongly advised)"
        ),
        reason=unmet(
            (f"advice for every form ({', '.join(REFUSALS)})", len(recognised) == len(REFUSALS)),
            (f"no advice for other errors, given for {wrongly_advised}", not wrongly_advised),
        ),
    )


# --- a server that trickles its answer ----------------------------------------------------


TRICKLES = {
    "trickle": ("its status line and headers", "create"),
    "trickle-body": ("its body, after the headers", "read (refresh)"),
}


def trickled(action: str) -> Row:
    """Druva sends `action`'s part one byte every 0.1 s, each far within the read timeout,
    while the real host runs the step; the step must end at the operation's deadline
    (SHORT_DEADLINE, 2 s), saying so, and the same step with the fault gone must succeed."""
    part, step = TRICKLES[action]
    problems: list[str] = []
    listing = {"schemas": [LIST_RESPONSE], "totalResults": 0, "Resources": []}
    trickle = Reply(200, listing, content_type=SCIM_JSON, action=action)
    with DruvaScim(TOKEN) as druva:
        news = token_inputs(druva.url, __provider=serialized(ShortDeadlineTokenProvider()))
        with ProviderHost() as host:
            inputs = from_struct(host.check(TOKEN_URN, {}, news).inputs)
            if step == "create":
                run: Callable[[], Any] = functools.partial(host.create, TOKEN_URN, inputs)
            else:
                created = host.create(TOKEN_URN, inputs)
                state = from_struct(created.properties)
                run = functools.partial(host.read, TOKEN_URN, created.id, state)
            before = len(druva.requests)
            druva.fail_next(trickle)
            started = time.monotonic()
            error = _rpc_failure(run)
            seconds = time.monotonic() - started
            attempts = len(druva.requests) - before
            converged = _rpc_failure(run) is None
            stderr = host.stderr()
    details = str(error.details()) if error is not None else ""
    wanted = f"did not finish within {SHORT_DEADLINE.deadline_seconds:g} s"
    if error is None:
        problems.append("the step succeeded although the answer never finished")
    elif wanted not in details:
        problems.append(f"the message lacks {wanted!r}: {details}")
    if "Traceback" in details:
        problems.append("a traceback reached the user")
    if seconds > SHORT_DEADLINE.deadline_seconds + DEADLINE_SLACK_SECONDS:
        problems.append(
            f"{seconds:.2f} s, past the deadline of {SHORT_DEADLINE.deadline_seconds} s"
        )
    if attempts != 1:
        problems.append(f"{attempts} requests: nothing may be sent after the deadline")
    if not converged:
        problems.append("the same step failed with the fault gone")
    token_safe = not leaked("\n".join([details, stderr]), [TOKEN])
    return Row(
        scenario=f"Druva trickles {part}, one byte every 0.1 s (deadline 2 s)",
        step=step,
        outcome="failed: " + _shorten(details) if error else "ok",
        attempts=attempts,
        seconds=round(seconds, 2),
        state_changed=False,
        converged=converged,
        token_safe=token_safe,
        reason=because(problems, token_safe),
    )


# --- the rotation helper interrupted ------------------------------------------------------

HELPER = [sys.executable, "-m", "providers.rotate"]
HELPER_SECONDS = 30.0
"""Longest a helper run may take before the scenario gives up on it."""
DEPLOYED_BEFORE = {"deployed": {"token": OTHER_TOKEN, "issuedAt": "2025-12-01T08:00:00Z"}}
NEW_FINGERPRINT = lifecycle.fingerprint(TOKEN)


@dataclass(frozen=True)
class HelperRun:
    """One run of the helper as a process, and what the stand-in CLI saw."""

    code: int
    output: str
    """stdout and stderr (one stream when the helper ran on a terminal)."""
    seconds: float
    commands: list[str]
    pids: dict[str, int]
    """The process id of each command the stand-in ran."""
    state: dict[str, Any]
    cancelled: dict[str, Any] | None
    """What the stand-in's `up` recorded when it finished cancelling."""


def _finish(
    stand_in: pulumi_cli.PulumiStandIn, code: int, output: str, started: float
) -> HelperRun:
    return HelperRun(
        code=code,
        output=output,
        seconds=round(time.monotonic() - started, 2),
        commands=stand_in.commands(),
        pids={call["command"]: call["pid"] for call in stand_in.calls()},
        state=stand_in.state(),
        cancelled=stand_in.cancelled(),
    )


def _stand_in(directory: str, **state: Any) -> pulumi_cli.PulumiStandIn:
    return pulumi_cli.install(
        Path(directory) / "bin", {**json.loads(json.dumps(DEPLOYED_BEFORE)), **state}
    )


@functools.cache
def ctrl_c_during_up() -> HelperRun:
    """The helper at `pulumi up`, then Ctrl-C twice, 0.3 s apart, as a terminal sends it:
    SIGINT to the whole foreground process group, the helper and the CLI alike."""
    with (
        tempfile.TemporaryDirectory(prefix="druva-scim-rotate-") as directory,
        tempfile.TemporaryFile("w+") as shown,
    ):
        stand_in = _stand_in(directory, up_cancels_on_interrupt=True)
        started = time.monotonic()
        helper = subprocess.Popen(
            [*HELPER, "--yes", "--stack", "prod"],
            stdin=subprocess.PIPE,
            stdout=shown,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PATH": stand_in.path_first(), **PASSING_PREFLIGHT},
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
        assert helper.stdin is not None
        helper.stdin.write(TOKEN + "\n")
        helper.stdin.close()
        waited = time.monotonic() + HELPER_SECONDS
        while not stand_in.up_started() and helper.poll() is None and time.monotonic() < waited:
            time.sleep(0.02)
        for _ in range(2):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(helper.pid, signal.SIGINT)
            time.sleep(0.3)
        code = helper.wait(timeout=HELPER_SECONDS)
        shown.seek(0)
        return _finish(stand_in, code, shown.read(), started)


@functools.cache
def config_set_stalls() -> HelperRun:
    """`pulumi config set --secret` hangs (a backend that never answers); the helper's
    timeout, shortened to 1 s here, stops it."""
    with tempfile.TemporaryDirectory(prefix="druva-scim-rotate-") as directory:
        stand_in = _stand_in(directory, stall={"config set --secret": HELPER_SECONDS})
        shortened = (
            "import sys; from providers import rotate; rotate.CONFIG_TIMEOUT_SECONDS = 1; "
            "sys.exit(rotate.main())"
        )
        started = time.monotonic()
        completed = subprocess.run(
            [sys.executable, "-c", shortened, "--yes"],
            input=TOKEN + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PATH": stand_in.path_first(), **PASSING_PREFLIGHT},
            timeout=HELPER_SECONDS,
            check=False,
        )
        return _finish(stand_in, completed.returncode, completed.stdout + completed.stderr, started)


@functools.cache
def ctrl_d_at_the_prompt() -> HelperRun:
    """The helper on a terminal (a pseudo-terminal): at its hidden prompt, Ctrl-D."""
    with tempfile.TemporaryDirectory(prefix="druva-scim-rotate-") as directory:
        stand_in = _stand_in(directory)
        environment = {**os.environ, "PATH": stand_in.path_first(), **PASSING_PREFLIGHT}
        started = time.monotonic()
        pid, terminal = pty.fork()
        if pid == 0:  # the child: the helper, with the pseudo-terminal as its terminal
            try:
                os.chdir(ROOT)
                os.execve(sys.executable, HELPER, environment)  # noqa: S606  (fixed argv)
            finally:
                os._exit(127)
        output = _read_terminal(terminal, until=rotate.PROMPT)
        os.write(terminal, b"\x04")
        output += _read_terminal(terminal)
        os.close(terminal)
        _, status = os.waitpid(pid, 0)
        return _finish(stand_in, os.waitstatus_to_exitcode(status), output, started)


def _read_terminal(terminal: int, until: str | None = None) -> str:
    """What the terminal shows, up to `until`, or until the helper closes it."""
    seen = b""
    ends = time.monotonic() + HELPER_SECONDS
    while time.monotonic() < ends:
        if until is not None and until.encode() in seen:
            break
        ready, _, _ = select.select([terminal], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the helper ended and closed its end
            break
        if not chunk:
            break
        seen += chunk
    return seen.decode(errors="replace")


@dataclass(frozen=True)
class HelperCase:
    """One way the rotation helper is interrupted, and what it must say and leave behind."""

    scenario: str
    run: Callable[[], HelperRun]
    code: int
    """The exit code it must end with."""
    said: tuple[str, ...]
    """Words its message must hold."""
    changed: bool
    """Whether the stack changed."""
    left: Callable[[HelperRun], list[str]]
    """What is wrong with what it left behind."""


def helper_row(case: HelperCase) -> Row:
    run = case.run()
    problems = [] if run.code == case.code else [f"exit {run.code}, not {case.code}"]
    problems += [f"the message lacks {text!r}" for text in case.said if text not in run.output]
    if "Traceback" in run.output:
        problems.append("a traceback reached the user")
    problems += case.left(run)
    last = [line for line in run.output.splitlines() if line.startswith("druva-scim rotate:")]
    token_safe = not leaked(run.output, [TOKEN]) and all(
        TOKEN not in command for command in run.commands
    )
    return Row(
        scenario=case.scenario,
        step="rotation helper",
        outcome=f"exit {run.code}: " + _shorten(last[-1] if last else run.output, 300),
        seconds=run.seconds,
        state_changed=case.changed,
        token_safe=token_safe,
        reason=because(problems, token_safe),
    )


def _cancelled_with_token_stored(run: HelperRun) -> list[str]:
    problems = []
    if run.cancelled is None:
        problems.append("the CLI did not finish its cancellation: it was killed")
    elif run.cancelled.get("interrupts") != 2:
        problems.append(f"the CLI saw {run.cancelled.get('interrupts')} Ctrl-C, not 2")
    if run.state.get("config", {}).get(rotate.TOKEN_KEY) != TOKEN:
        problems.append("the new token is not in the stack config")
    return problems


def _stalled_write_stopped(run: HelperRun) -> list[str]:
    problems = []
    stalled = run.pids.get(f"config set --secret {rotate.TOKEN_KEY}")
    if stalled is None or _alive(stalled):
        problems.append("the stalled `pulumi config set` was not stopped")
    if any(command.startswith("up") for command in run.commands):
        problems.append("`pulumi up` ran after a write that did not finish")
    return problems


def _nothing_ran(run: HelperRun) -> list[str]:
    # Before the prompt the helper only reads (the pre-flight, the deployed fingerprint).
    written = [command for command in run.commands if command.startswith(("config", "up"))]
    return [f"pulumi wrote or deployed: {written}"] if written else []


HELPER_CASES = (
    HelperCase(
        "Ctrl-C twice during the rotation helper's `pulumi up`: the CLI cancels, the helper waits",
        ctrl_c_during_up,
        rotate.HALF_DONE,
        (
            "`pulumi up` was interrupted (exit code 255)",
            f"fingerprint {NEW_FINGERPRINT}",
            "are stored in the stack config",
            "`pulumi cancel`",
        ),
        changed=True,
        left=_cancelled_with_token_stored,
    ),
    HelperCase(
        "`pulumi config set --secret` stalls in the rotation helper (timeout 1 s here)",
        config_set_stalls,
        rotate.HALF_DONE,
        ("did not finish within 1 s and was stopped", "may or may not hold the new token"),
        changed=False,
        left=_stalled_write_stopped,
    ),
    HelperCase(
        "Ctrl-D at the rotation helper's hidden prompt",
        ctrl_d_at_the_prompt,
        rotate.NOTHING_CHANGED,
        ("no token was given (the input ended)", "Nothing was changed."),
        changed=False,
        left=_nothing_ran,
    ),
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


SCENARIOS: dict[str, Callable[[], Row]] = {
    "host killed during create": killed_during_create,
    "host killed during validateCredentials": functools.partial(
        killed_during_the_azure_check, "validateCredentials"
    ),
    "host killed after the restart was sent": functools.partial(
        killed_during_the_azure_check, "restart"
    ),
    "Okta refuses one app": okta_refusal,
    "refusal advice": refusal_advice,
    "Druva trickles its headers": functools.partial(trickled, "trickle"),
    "Druva trickles its body": functools.partial(trickled, "trickle-body"),
    "Ctrl-C during the helper's pulumi up": functools.partial(helper_row, HELPER_CASES[0]),
    "the helper's pulumi config set stalls": functools.partial(helper_row, HELPER_CASES[1]),
    "Ctrl-D at the helper's prompt": functools.partial(helper_row, HELPER_CASES[2]),
}


@functools.cache
def row(name: str) -> Row:
    """One scenario's row, run once per process."""
    return SCENARIOS[name]()
