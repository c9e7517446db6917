"""The rotation helper: from the token on the clipboard to every identity provider updated.

    python -m providers.rotate [--stack S] [--issued-at T] [--yes]

Run it right after clicking New Token in the Druva console: the old token died
with that click, so provisioning is broken until `pulumi up` has put the new one
into every identity provider. The helper keeps that window to the time of one
`pulumi up`:

1. checks everything it can before asking for the token (pulumi on PATH, --issued-at);
2. reads the token without echo (getpass), or from stdin when that is not a terminal;
3. validates it (providers.settings.token_problem);
4. stores it with `pulumi config set --secret druva-scim:scimToken`, the token on the
   child's stdin, never in its argv or environment;
5. records `druva-scim:issuedAt` (now, or --issued-at);
6. runs `pulumi up` at once (with --yes: `pulumi up --yes`, which still previews first);
7. prints the fingerprint old -> new and the stack's dates.

Exit codes: 0 done; 1 stopped before anything changed; 2 the config changed but
`pulumi up` did not complete (the message says what to run next).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NoReturn

from providers import lifecycle, redaction, settings, status

DONE, NOTHING_CHANGED, HALF_DONE = 0, 1, 2
TOKEN_KEY = f"{settings.NAMESPACE}:scimToken"
ISSUED_AT_KEY = f"{settings.NAMESPACE}:issuedAt"
CONFIG_TIMEOUT_SECONDS = 120
INSTALL_HINT = (
    "install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/, e.g. "
    "`curl -fsSL https://get.pulumi.com | sh`), log in to the stack's backend, then run "
    "this helper again"
)
PROMPT = "Paste the new Druva SCIM token (input hidden), then Enter: "

log = logging.getLogger("druva_scim.rotate")


class RotationError(Exception):
    """A step failed; the message says what happened, what changed, and what to do."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Pulumi:
    """Runs the pulumi CLI for one stack, with an environment that never holds the token."""

    executable: str
    stack: str | None
    environment: dict[str, str] = field(repr=False)

    def command(self, *arguments: str) -> list[str]:
        return [self.executable, *arguments, *(["--stack", self.stack] if self.stack else [])]

    def capture(
        self, *arguments: str, stdin_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603  (fixed argv, no shell)
            self.command(*arguments),
            input=stdin_text if stdin_text is not None else "",
            capture_output=True,
            text=True,
            timeout=CONFIG_TIMEOUT_SECONDS,
            check=False,
            env=dict(self.environment),
        )

    def run_attached(self, *arguments: str) -> int:
        """Run with the user's terminal, so that `pulumi up` shows progress and can ask."""
        return subprocess.run(  # noqa: S603  (fixed argv, no shell)
            self.command(*arguments), check=False, env=dict(self.environment)
        ).returncode


def child_environment(token: str, base: Mapping[str, str]) -> dict[str, str]:
    """The environment for every child: ours, less any variable that holds the token.

    The helper never puts the token into an environment; this also keeps it out
    of the children when someone exported it before running the helper.
    """
    leaked = sorted(name for name, value in base.items() if token and token in value)
    for name in leaked:
        log.warning("not passing environment variable %s to pulumi: it holds the token", name)
    return {name: value for name, value in base.items() if name not in leaked}


def read_token(stdin_is_terminal: bool) -> str:
    """The pasted token: hidden input at a terminal, else one line from stdin."""
    if stdin_is_terminal:
        return getpass.getpass(PROMPT)
    text = sys.stdin.read()
    # A pipe ends the line with a line break; that is the line's end, not part of the token.
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def token_refusal(token: str) -> str | None:
    if token == "":
        return (
            "no token was given (the input was empty); copy it from the Druva console "
            "(Users > User Provisioning > New Token) and paste it at the prompt, or pipe it "
            "on stdin"
        )
    reason = settings.token_problem(token)
    return f"the pasted token {reason}" if reason else None


def issued_at_from(text: str | None, now: datetime) -> datetime:
    if text is None:
        return now
    moment, reason = settings.issued_at(text, lifecycle.MAX_LIFETIME_DAYS, now)
    if reason or moment is None:
        raise RotationError(f"--issued-at {reason}. Nothing was changed.", NOTHING_CHANGED)
    return moment


def child_message(text: str, token: str) -> str:
    """A child's last lines as we may show them: without the token or a credential of ours."""
    return _last_lines(redaction.redact(text, [token, *redaction.environment_secrets(os.environ)]))


def current_fingerprint(pulumi: Pulumi) -> str | None:
    completed = pulumi.capture("stack", "output", "tokenFingerprint")
    value = completed.stdout.strip()
    return value if completed.returncode == 0 and value else None


@dataclass
class Progress:
    config_changed: bool = False
    """From the first `pulumi config set` on, an interruption leaves work half done."""


def rotate(
    arguments: argparse.Namespace, stdin_is_terminal: bool, now: datetime, progress: Progress
) -> int:
    executable = shutil.which("pulumi")
    if executable is None:
        raise RotationError(
            f"pulumi is not on PATH: {INSTALL_HINT}. Nothing was changed.", NOTHING_CHANGED
        )
    issued = issued_at_from(arguments.issued_at, now)
    if not stdin_is_terminal and not arguments.yes:
        raise RotationError(
            "the token comes from a pipe, so `pulumi up` could not ask for confirmation; "
            "pass --yes (it still previews first). Nothing was changed.",
            NOTHING_CHANGED,
        )

    token = read_token(stdin_is_terminal)
    refusal = token_refusal(token)
    if refusal:
        raise RotationError(f"{TOKEN_KEY}: {refusal}. Nothing was changed.", NOTHING_CHANGED)
    new_fingerprint = lifecycle.fingerprint(token)
    log.info("token read, fingerprint %s", new_fingerprint)
    pulumi = Pulumi(executable, arguments.stack, child_environment(token, os.environ))
    old_fingerprint = current_fingerprint(pulumi)

    progress.config_changed = True
    # With no value in argv, the CLI reads a secret from stdin up to the line break.
    stored = pulumi.capture("config", "set", "--secret", TOKEN_KEY, stdin_text=token + "\n")
    if stored.returncode != 0:
        raise RotationError(
            f"`pulumi config set --secret {TOKEN_KEY}` failed (exit code {stored.returncode}): "
            f"{child_message(stored.stderr, token)}. Nothing else was run and the stack "
            "config keeps the old token. Fix the cause (logged in? right --stack? run from the "
            "project folder?) and run the helper again with the same token.",
            NOTHING_CHANGED,
        )
    log.info("token stored in %s", TOKEN_KEY)

    issued_text = lifecycle.format_time(issued)
    recorded = pulumi.capture("config", "set", ISSUED_AT_KEY, issued_text)
    if recorded.returncode != 0:
        raise RotationError(
            f"the new token is stored, but `pulumi config set {ISSUED_AT_KEY}` failed "
            f"(exit code {recorded.returncode}): {child_message(recorded.stderr, token)}. "
            f"`pulumi up` was not run. Run `pulumi config set {ISSUED_AT_KEY} {issued_text}` "
            "and then `pulumi up` now: provisioning is down until it has run.",
            HALF_DONE,
        )
    log.info("%s recorded as %s", ISSUED_AT_KEY, issued_text)

    print(
        f"Stored the token (fingerprint {new_fingerprint}) and {ISSUED_AT_KEY}={issued_text}; "
        "running `pulumi up` now.",
        flush=True,
    )
    # One identity provider refusing must not keep the token from the others.
    up_code = pulumi.run_attached(
        "up", "--continue-on-error", *(["--yes"] if arguments.yes else [])
    )
    if up_code != 0:
        raise RotationError(
            f"`pulumi up` did not complete (exit code {up_code}). The new token is in the "
            "stack config; provisioning stays down until `pulumi up` succeeds: fix what it "
            "reported and run `pulumi up` again (no need to generate another token).",
            HALF_DONE,
        )
    report(pulumi, old_fingerprint, new_fingerprint, now)
    return DONE


def report(pulumi: Pulumi, old: str | None, new: str, now: datetime) -> None:
    """Print what changed: the fingerprint old -> new and the stack's dates."""
    print(f"Token fingerprint: {old or '(none)'} -> {new}")
    outputs = pulumi.capture("stack", "output", "--json")
    document, not_json = status.parse_document(outputs.stdout)
    if outputs.returncode != 0 or not_json or not isinstance(document, Mapping):
        print("Could not read the stack outputs; check them with `pulumi stack output`.")
        return
    stack_fingerprint = document.get("tokenFingerprint")
    if stack_fingerprint != new:
        print(
            f"Warning: the stack reports fingerprint {stack_fingerprint!r}, not {new}; "
            "check `pulumi stack output` and the update's log."
        )
    for key in ("issuedAt", "expiresAt", "rotateAfter"):
        if key in document:
            print(f"  {key}: {document[key]}")
    verdict = status.evaluate(document, now)
    print(verdict.message)
    for handoff in verdict.handoffs:
        print(f"Manual hand-off pending for {handoff.name}:")
        for step in handoff.steps:
            print(f"  - {step}")
    # Pulumi Cloud names stacks org/project/stack; the stack file carries the last part.
    name = pulumi.stack.rsplit("/", 1)[-1] if pulumi.stack else "<stack>"
    stack = f"stacks/Pulumi.{name}.yaml"
    print(
        f"Next: commit {stack} (only ciphertext and issuedAt change) through a pull request; "
        "its preview should show no changes (README.md#gitops)."
    )


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[-count:]) or "no message"


class HelperParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(NOTHING_CHANGED, f"{self.prog}: error: {message}. Nothing was changed.\n")


def parser() -> argparse.ArgumentParser:
    helper = HelperParser(
        prog="python -m providers.rotate",
        description="Store a new Druva SCIM token in the stack and run `pulumi up` at once.",
    )
    helper.add_argument("--stack", help="the stack to rotate (default: the selected stack)")
    helper.add_argument(
        "--issued-at",
        help="when the token was generated, RFC 3339 UTC as the console's API Credentials page "
        "shows it (default: now)",
    )
    helper.add_argument(
        "--yes",
        action="store_true",
        help="run `pulumi up --yes` (it previews, then applies without asking); needed when the "
        "token comes from a pipe",
    )
    return helper


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    progress = Progress()
    try:
        return rotate(arguments, sys.stdin.isatty(), datetime.now(UTC), progress)
    except RotationError as error:
        print(f"druva-scim rotate: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        if not progress.config_changed:
            print("druva-scim rotate: interrupted. Nothing was changed.", file=sys.stderr)
            return NOTHING_CHANGED
        print(
            "druva-scim rotate: interrupted while changing the stack. Check "
            f"`pulumi config get {ISSUED_AT_KEY}`, then run `pulumi up`: provisioning is down "
            "until it has run.",
            file=sys.stderr,
        )
        return HALF_DONE


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
