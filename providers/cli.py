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
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import yaml  # type: ignore[import-untyped]

from providers.core import redaction

PULUMI_TIMEOUT_SECONDS = 120
"""A pulumi command that does not finish in this time is stopped (the backend may hang)."""
SHOWN_TAIL = 4096
"""At most this much of the end of a pulumi command's output is shown (its last lines)."""
PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/"
STACKS = Path(__file__).resolve().parent.parent / "stacks"
"""Where the stack files are (Pulumi.yaml: stackConfigDir)."""


def manual_install(version: str) -> str:
    """How to install the pinned CLI by hand."""
    return (
        f"install it by hand with `curl -fsSL https://get.pulumi.com | sh -s -- --version "
        f"{version}` (Linux, macOS; Windows: `winget install pulumi`; see {PULUMI_INSTALL_URL}), "
        "then run this again"
    )


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


def read_outputs_arguments(command: argparse.ArgumentParser, reader: str) -> None:
    """The arguments by which a command reading the stack's outputs gets them."""
    command.add_argument(
        "source",
        nargs="?",
        choices=["-"],
        help="`-` reads `pulumi stack output --json` from stdin (also the default when stdin "
        f"is piped and not empty); without it {reader} runs that command itself",
    )
    command.add_argument("--stack", help="the stack whose outputs `pulumi stack output` reads")
    command.add_argument("--json", action="store_true", help="print a machine-readable object")


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
    # The last lines are what is shown: redact the tail they come from, not the whole of it
    # (redaction reads a bounded text), with the margin that keeps a secret at the cut whole.
    tail = text[-(SHOWN_TAIL + redaction.MARGIN) :]
    return last_lines(
        redaction.redact(tail, [*secrets, *redaction.environment_secrets(os.environ)])
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


@dataclass(frozen=True)
class EscSource:
    """A stack that takes its token from a Pulumi ESC environment, not from its stack file."""

    environment: str
    """The last environment the stack file imports: its values win over earlier ones'."""
    stack_file: Path
    file_keys: frozenset[str]
    """The keys the stack file itself sets: they win over every environment's."""


def imported_environments(document: object) -> list[str]:
    """The `environment:` imports of a stack file, in either form Pulumi reads."""
    if not isinstance(document, dict):
        return []
    imports = document.get("environment")
    if isinstance(imports, dict):
        imports = imports.get("imports")
    if not isinstance(imports, list):
        return []
    return [item for item in imports if isinstance(item, str)]


def esc_source(stack: str | None, key: str, stacks: Path | None = None) -> EscSource | None:
    """Where `stack` takes `key` from, when that is an ESC environment rather than its file.

    Without a stack name the selected stack's is asked for, but only when some stack
    file imports an environment at all.
    """
    folder = stacks or STACKS

    def read(path: Path) -> object:
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None

    files = {path: read(path) for path in sorted(folder.glob("Pulumi.*.yaml"))}
    if not any(imported_environments(document) for document in files.values()):
        return None
    if stack is None:
        executable = pulumi_executable()
        if executable is None:
            return None
        try:
            named = Pulumi(executable, None, dict(os.environ)).capture("stack", "--show-name")
        except ChildError:
            return None
        stack = named.stdout.strip() if named.returncode == 0 else ""
    # Pulumi Cloud names stacks org/project/stack; the stack file carries the last part.
    path = folder / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"
    document = files.get(path)
    environments = imported_environments(document)
    config = document.get("config") if isinstance(document, dict) else None
    keys = frozenset(config) if isinstance(config, dict) else frozenset()
    if not environments or key in keys:
        return None
    return EscSource(environments[-1], path, keys)


def esc_commands(source: EscSource, token_key: str, issued_key: str, issued_text: str) -> str:
    """What to run to rotate a token kept in ESC: the token on esc's stdin, never in argv."""
    environment = source.environment
    issued = (
        f"`pulumi config set {issued_key} {issued_text}`"
        if issued_key in source.file_keys
        else f"`esc env set {environment} 'pulumiConfig[\"{issued_key}\"]' {issued_text}`"
    )
    return (
        f"the stack takes {token_key} from the Pulumi ESC environment {environment} "
        f"({source.stack_file.name} imports it and does not set it), so this helper does not "
        f"write the stack file. Run `esc env set {environment} 'pulumiConfig[\"{token_key}\"]' "
        "--secret -f -` (paste the token, Enter, then Ctrl-D), then "
        f"{issued}, then `pulumi up` at once: provisioning is down until it has run "
        "(docs/esc.md)"
    )
