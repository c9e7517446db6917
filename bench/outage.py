"""Issue 16 figures: the part of the outage window the program controls, and the checks
made before the click.

Druva ends the old token at the click on New Token; provisioning is down from then until
`pulumi up` has written the new one. What the program adds to that window runs from the
paste to `pulumi up` starting: the pulumi commands it runs there, and their time. Each is
measured for the rotation helper and for the guided first run (whose `pulumi up` is
`scripts/up`'s next command), with the stand-in CLI (testbed/stand_ins/pulumi_cli.py),
which costs a Python start per command: the count is the figure, the seconds a scale.

Before the click: the number of checks the pre-flight made (its report's items). The
runs themselves take a pre-flight that passes, the real one's report when it passed
against the stand-in, otherwise one that says it is a stand-in.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from bench import TOKEN
from bench.report import Figure
from providers import cli, first_run, preflight, rotate
from testbed.stand_ins import pulumi_cli

STACK = "bench"
AZURE_ID = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
DEPLOYED = {
    "deployed": {"token": "bEnCh-OlD-dEpLoYeD-tOkEn-0000", "issuedAt": "2026-01-05T08:00:00Z"}
}
STAND_IN = preflight.Report(
    (preflight.Item("pre-flight", True, "a stand-in (the real one did not pass here)"),)
)


@dataclass(frozen=True)
class Window:
    """From the paste to `pulumi up` starting."""

    commands: list[str]
    seconds: float


def real_report() -> preflight.Report:
    """The real pre-flight's report against the stand-in CLI (a stack with no apps)."""
    with stand_in({**DEPLOYED, "selected": STACK, "stacks": [STACK]}):
        return preflight.preflight(STACK, dict(os.environ))


@contextlib.contextmanager
def stand_in(state: dict[str, object]) -> Iterator[pulumi_cli.PulumiStandIn]:
    with tempfile.TemporaryDirectory(prefix="druva-scim-bench-") as directory:
        installed = pulumi_cli.install(Path(directory) / "bin", state)
        with mock.patch.dict("os.environ", {"PATH": installed.path_first()}):
            yield installed


def window(
    run: Callable[[Callable[[str], str]], object],
    cli_state: dict[str, object],
    report: preflight.Report,
) -> Window:
    """Run `run` with a hidden prompt that pastes TOKEN; what ran between it and `up`."""
    marks: dict[str, float] = {}
    with stand_in(cli_state) as installed:
        pasted_at: list[int] = []
        up_at: list[int] = []

        def paste(prompt: str = "") -> str:
            pasted_at.append(len(installed.calls()))
            marks["paste"] = time.perf_counter()
            return TOKEN

        def up(pulumi: cli.Pulumi, *arguments: str) -> cli.Attached:
            marks["up"] = time.perf_counter()
            up_at.append(len(installed.calls()))
            return cli.Attached(0, interrupted=False)

        with (
            mock.patch.object(preflight, "preflight", lambda *_, **__: report),
            mock.patch.object(cli.Pulumi, "run_attached", up),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            run(paste)
        # The first run ends where scripts/up runs `pulumi up`.
        marks.setdefault("up", time.perf_counter())
        up_at.append(len(installed.calls()))
        commands = installed.commands()[pasted_at[0] : up_at[0]] if pasted_at else []
    # A command's first words name it (the rest is its value).
    named = [" ".join(command.split()[:3]) for command in commands]
    return Window(named, round(marks["up"] - marks.get("paste", marks["up"]), 3))


def rotation(paste: Callable[[str], str]) -> object:
    with (
        mock.patch("getpass.getpass", paste),
        mock.patch.object(sys, "stdin", mock.Mock(isatty=lambda: True)),
    ):
        return rotate.main(["--stack", STACK])


def guided(paste: Callable[[str], str]) -> object:
    replies = iter(["yes", AZURE_ID, "", "", ""])
    answers = first_run.Answers(lambda prompt: next(replies), paste, lambda text: None)
    return first_run.main(["--stack", STACK], answers, terminal=True)


def figures() -> list[Figure]:
    report = real_report()
    used = report if report.ok else STAND_IN
    helper = window(rotation, dict(DEPLOYED), used)
    first = window(guided, {}, used)
    checks = len(report.items)
    return [
        Figure(
            "rotation helper: pulumi commands from the paste to `pulumi up`",
            f"{len(helper.commands)} ({', '.join(helper.commands)})",
            "the writes only (token, issuedAt): every read before the click",
        ),
        Figure(
            "rotation helper: seconds from the paste to `pulumi up` starting (stand-in CLI)",
            helper.seconds,
            "a Python start per command here; what the backend adds per write elsewhere",
        ),
        Figure(
            "guided first run: pulumi commands from the paste to `pulumi up`",
            f"{len(first.commands)} ({', '.join(first.commands)})",
            "the writes only: every app in one, then token and issuedAt",
        ),
        Figure(
            "guided first run: seconds from the paste to `pulumi up` starting (stand-in CLI)",
            first.seconds,
            "as the helper's, plus one write for the apps",
        ),
        Figure(
            "checks the pre-flight makes before the click (against the stand-in CLI)",
            checks,
            "every item issue 16 lists, each proved before New Token is clicked",
        ),
    ]
