"""Command line: what the command lines (`python -m providers.status`, `providers.rotate`) share.

Each reads a stack through the pulumi CLI, never with `--show-secrets`, stops a
pulumi command that stalls, shows only the last lines of what it printed (without
any credential of this environment), and maps a wrong command line to its own
exit code. They import nothing of `providers` but `providers.core` and this.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
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
    pulumi = pulumi_executable()
    if pulumi is None:
        return None, (
            f"the pulumi CLI is not on PATH; install it ({PULUMI_INSTALL_URL}) or pipe the "
            "outputs in (pulumi stack output --json | python -m providers.status -)"
        )
    command = [pulumi, "stack", "output", "--json", *(["--stack", stack] if stack else [])]
    try:
        completed = subprocess.run(  # noqa: S603  (fixed argv, no shell)
            command,
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None, f"`pulumi stack output --json` did not answer in {PULUMI_TIMEOUT_SECONDS} s"
    if completed.returncode != 0:
        return None, (
            f"`pulumi stack output --json` failed with exit code {completed.returncode}: "
            f"{child_message(completed.stderr)} (logged in to the right backend? --stack right?)"
        )
    return completed.stdout, None
