"""Command line: what the command lines (`python -m providers.status`, `providers.rotate`) share.

Each runs the pulumi CLI for one stack (`Pulumi`), never with `--show-secrets`,
stops a short pulumi command that stalls, shows only the last lines of what it
printed (without any credential of this environment), and maps a wrong command
line to its own exit code (`Parser`). They import nothing of `providers` but
`providers.core` and this module.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, NoReturn

from providers.core import redaction

PULUMI_TIMEOUT_SECONDS = 120
"""A pulumi command that does not finish in this time is stopped (the backend may hang)."""
PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/"


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors end with the command's own exit code (never argparse's 2,
    which means "expired" to the gate), and a sentence the command adds."""

    def __init__(self, *, usage_exit: int, after_error: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.usage_exit = usage_exit
        self.after_error = after_error

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}{self.after_error}\n")


class ChildError(Exception):
    """A pulumi command could not be started, or did not finish in time and was stopped;
    what that leaves depends on the step (`standing`)."""


@dataclass(frozen=True)
class Attached:
    """How `pulumi up` ended."""

    code: int
    interrupted: bool
    """A Ctrl-C (SIGINT) reached us, and so the CLI, while it ran."""


@dataclass(frozen=True)
class Pulumi:
    """Runs the pulumi CLI for one stack, with an environment that never holds the token."""

    executable: str
    stack: str | None
    environment: dict[str, str] = field(repr=False)
    timeout: float = PULUMI_TIMEOUT_SECONDS
    """A short command (`capture`) that runs longer is stopped: the backend may hang."""

    def command(self, *arguments: str) -> list[str]:
        return [self.executable, *arguments, *(["--stack", self.stack] if self.stack else [])]

    def capture(
        self, *arguments: str, stdin_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a short command (one that reads or writes config or outputs); one that stalls
        is killed."""
        try:
            return subprocess.run(  # noqa: S603  (fixed argv, no shell)
                self.command(*arguments),
                input=stdin_text if stdin_text is not None else "",
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
                env=dict(self.environment),
            )
        except subprocess.TimeoutExpired:
            raise ChildError(
                f"`pulumi {' '.join(arguments)}` did not finish within {self.timeout:g} s and "
                "was stopped"
            ) from None
        except OSError as error:
            raise ChildError(
                f"`pulumi {' '.join(arguments)}` could not be started ({error.strerror})"
            ) from None

    def run_attached(self, *arguments: str) -> Attached:
        """Run with the user's terminal, so that `pulumi up` shows progress and can ask.

        A Ctrl-C at the terminal reaches the CLI as well (one process group): it then
        cancels what is in flight and releases the stack lock, which takes a while. So
        SIGINT only notes the interruption here and we wait, however many come: a
        second one reaches the CLI too, which then stops at once, the user's choice.
        The CLI is never killed from here.
        """
        interrupts: list[int] = []

        def note(number: int, frame: FrameType | None) -> None:
            interrupts.append(number)

        previous = signal.signal(signal.SIGINT, note)
        try:
            try:
                child = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
                    self.command(*arguments), env=dict(self.environment)
                )
            except OSError as error:
                raise ChildError(
                    f"`pulumi {' '.join(arguments)}` could not be started ({error.strerror})"
                ) from None
            code = child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
        return Attached(code, interrupted=bool(interrupts))


def pulumi_executable() -> str | None:
    """The pulumi CLI on PATH, if there is one."""
    return shutil.which("pulumi")


def last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[-count:]) or "no message"


def child_message(text: str, secrets: Iterable[str] = ()) -> str:
    """A pulumi command's last lines as we may show them: the CLI may echo what it was given,
    so without `secrets` and without any credential of this environment."""
    return last_lines(
        redaction.redact(text, [*secrets, *redaction.environment_secrets(os.environ)])
    )


def stack_outputs(stack: str | None) -> tuple[str | None, str | None]:
    """`pulumi stack output --json` of `stack` (the selected one if None), or why not."""
    executable = pulumi_executable()
    if executable is None:
        return None, (
            f"the pulumi CLI is not on PATH; install it ({PULUMI_INSTALL_URL}) or pipe the "
            "outputs in (pulumi stack output --json | python -m providers.status -)"
        )
    try:
        completed = Pulumi(executable, stack, dict(os.environ)).capture("stack", "output", "--json")
    except ChildError as failed:
        return None, str(failed)
    if completed.returncode != 0:
        return None, (
            f"`pulumi stack output --json` failed with exit code {completed.returncode}: "
            f"{child_message(completed.stderr)} (logged in to the right backend? --stack right?)"
        )
    return completed.stdout, None
