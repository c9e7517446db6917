"""Command line: the rotation helper, from the token on the clipboard to every app updated.

    python -m providers.rotate [--stack S] [--issued-at T] [--yes]

Run it BEFORE clicking New Token in the Druva console: the click ends the old token
at once, so provisioning is broken from then until `pulumi up` has put the new one
into every identity provider. The helper proves first that the run will go through,
then keeps that window to the time of one `pulumi up`:

1. checks what it can without the token (pulumi on PATH, --issued-at, --yes), then
   runs the pre-flight (providers/preflight.py): any failure stops it there, before the
   click; only then does it say to click New Token, and wait for the paste;
2. reads the token without echo (getpass), or from stdin when that is not a terminal;
3. validates it (providers.core.settings.token_problem) and refuses the token the stack
   already deploys (the same fingerprint as its `tokenFingerprint` output);
4. stores it with `pulumi config set --secret druva-scim:scimToken`, the token on the
   child's stdin, never in its argv or environment;
5. records `druva-scim:issuedAt` (now, or --issued-at);
6. runs `pulumi up` at once (with --yes: `pulumi up --yes`, which still previews first);
7. prints the fingerprint old -> new and the stack's dates.

Exit codes: 0 done; 1 stopped before anything changed; 2 the config changed, or
may have changed, but `pulumi up` did not complete (the message says what is
stored and what to run next). Every way out, an interruption, a stalled or
failed child included, ends with one of them and a sentence saying where things
stand; a Ctrl-C during `pulumi up` is the CLI's to handle: the helper waits for it.
"""

from __future__ import annotations

import argparse
import enum
import getpass
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from providers import cli, preflight
from providers.core import gate, lifecycle, settings, texts
from providers.core.clock import SYSTEM, Clock

DONE, NOTHING_CHANGED, HALF_DONE = 0, 1, 2
EXIT_CODES = {
    DONE: "done",
    NOTHING_CHANGED: "stopped before anything changed",
    HALF_DONE: "the stack config changed, or may have",
}
"""What each exit code means: docs/rotation.md's table of the helper starts each
row so."""
PREFIX = "druva-scim rotate: "
"""What the helper puts before each of its messages."""
TOKEN_KEY = texts.TOKEN_KEY
ISSUED_AT_KEY = f"{texts.NAMESPACE}:issuedAt"
CONFIG_TIMEOUT_SECONDS = cli.PULUMI_TIMEOUT_SECONDS
INSTALL_HINT = (
    "run scripts/up once (it installs the Pulumi CLI .pulumi.version pins, its SHA-256 "
    "checked), or install that version by hand (docs/getting-started.md), log in to the "
    "stack's backend, then run this helper again"
)
PROMPT = "Paste the new Druva SCIM token (input hidden), then Enter: "
PIPED_ALREADY = (
    "The token piped in was generated already: fix what failed and pipe the same token again; "
    "do not generate another."
)
NO_TOKEN = (
    "no token was given ({why}); copy it from the Druva console (Users > User Provisioning > "  # noqa: S105  (a message)
    "New Token) and paste it at the prompt, or pipe it on stdin"
)
DEPLOYED_TOKEN = (
    "the pasted token is the one the stack already deploys (its fingerprint is the stack's "  # noqa: S105  (a message)
    "tokenFingerprint output); paste the NEW token, the one New Token showed after the "
    "pre-flight said Ready"
)
LOCKED_HINT = (
    'If `pulumi up` then says the stack is locked ("the stack is currently locked" with a '
    'self-managed backend, "Another update is currently in progress" with Pulumi Cloud) and '
    "no other update of this stack is running, run `pulumi cancel` first, then `pulumi up`."
)

log = logging.getLogger("druva_scim.rotate")


def say(text: str) -> None:
    print(text, flush=True)


class RotationError(Exception):
    """A step failed; the message says what happened, what changed, and what to do."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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
    try:
        if stdin_is_terminal:
            return getpass.getpass(PROMPT)
        text = sys.stdin.read()
    except EOFError:  # Ctrl-D at the prompt
        raise RotationError(
            f"{TOKEN_KEY}: {NO_TOKEN.format(why='the input ended')}. Nothing was changed.",
            NOTHING_CHANGED,
        ) from None
    except UnicodeDecodeError:
        raise RotationError(
            f"{TOKEN_KEY}: the piped input is not text in this terminal's encoding; pipe the "
            "token alone, as copied from the Druva console. Nothing was changed.",
            NOTHING_CHANGED,
        ) from None
    # A pipe ends the line with a line break; that is the line's end, not part of the token.
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def token_refusal(token: str, deployed: str | None = None) -> str | None:
    """Why the pasted token cannot be stored, or None; `deployed`: the stack's fingerprint."""
    if token == "":
        return NO_TOKEN.format(why="the input was empty")
    reason = settings.token_problem(token)
    if reason:
        return f"the pasted token {reason}"
    # Storing it again would give the deployed token a new issuedAt: a year of false life.
    return DEPLOYED_TOKEN if deployed and lifecycle.fingerprint(token) == deployed else None


def checked_token(token: str, deployed: str | None) -> str:
    refusal = token_refusal(token, deployed)
    if refusal:
        raise RotationError(f"{TOKEN_KEY}: {refusal}. Nothing was changed.", NOTHING_CHANGED)
    return token


def before_the_click(
    stack: str,
    say: Callable[[str], None],
    pending: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    environment: Mapping[str, str] | None = None,
) -> preflight.Report:
    """The first step: the pre-flight, everything that can fail, proved before the click.

    Its lines are said; the verdict is the caller's to say at the paste (preflight.READY).
    A failure stops the run here, changing nothing. `pending`: apps given, not yet stored;
    `environment`: the children's (without a token already in hand).
    """
    report = preflight.preflight(
        stack, dict(os.environ if environment is None else environment), pending=pending
    )
    if not report.ok:
        raise RotationError(
            "the pre-flight did not pass:\n" + "\n".join(report.lines()), NOTHING_CHANGED
        )
    for item in report.items:
        say(item.line())
    for step in report.manual:
        say(f"After `pulumi up`, by hand: {step}")
    return report


def click_now(say: Callable[[str], None], progress: Progress) -> None:
    """Say that New Token may be clicked now: from here, a stop leaves a token in hand."""
    say(preflight.READY)
    progress.stage = Stage.NOTHING_CHANGED


def stack_name(pulumi: cli.Pulumi) -> str:
    """The stack a command runs for: its --stack, or the selected one."""
    if pulumi.stack:
        return pulumi.stack
    named = pulumi.capture("stack", "--show-name")
    name = named.stdout.strip()
    if named.returncode != 0 or not name:
        said = cli.child_message(named.stderr, never_shown(""))
        raise RotationError(
            f"no stack is selected (`pulumi stack --show-name` failed: "
            f"{said}); pass --stack. Nothing was changed.",
            NOTHING_CHANGED,
        )
    return name


def issued_at_from(text: str | None, now: datetime) -> datetime:
    if text is None:
        return now
    moment, reason = settings.issued_at(text, lifecycle.MAX_LIFETIME_DAYS, now)
    if reason or moment is None:
        raise RotationError(f"--issued-at {reason}. Nothing was changed.", NOTHING_CHANGED)
    return moment


def never_shown(token: str) -> list[str]:
    """What no child's output the helper shows may hold, beside a credential of ours: the
    token, and the passphrase, which the Pulumi CLI may echo and no other text can hold."""
    return [token, os.environ.get("PULUMI_CONFIG_PASSPHRASE", "")]


def current_fingerprint(pulumi: cli.Pulumi) -> str | None:
    completed = pulumi.capture("stack", "output", "tokenFingerprint")
    value = completed.stdout.strip()
    return value if completed.returncode == 0 and value else None


class Stage(enum.Enum):
    """How far a rotation got: what an interruption or a stalled child leaves."""

    BEFORE_THE_CLICK = enum.auto()
    """Nothing changed, and New Token has not been asked for: it must not be clicked yet."""
    NOTHING_CHANGED = enum.auto()
    """Nothing changed; the user was told to click New Token (or piped the token)."""
    SETTINGS_STORED = enum.auto()
    """The guided first run stored the settings asked before the token (`Progress.stored`),
    whole; the token is not stored."""
    WRITING_TOKEN = enum.auto()
    """`pulumi config set --secret` started: the config may or may not hold the token."""
    TOKEN_STORED = enum.auto()
    """The token is stored; issuedAt may or may not be recorded yet."""
    CONFIG_STORED = enum.auto()
    """Token and issuedAt stored; `pulumi up` has not completed."""
    DEPLOYED = enum.auto()


@dataclass
class Progress:
    stage: Stage = Stage.BEFORE_THE_CLICK
    fingerprint: str = ""
    """The new token's fingerprint, once read."""
    issued_at: str = ""
    """The issuedAt being recorded, once known."""
    stored: list[str] = field(default_factory=list)
    """Each setting stored before the token, whole (the guided first run's apps)."""
    again: str = "run the helper again"
    """How to take up the rotation again with the same token."""


def standing(progress: Progress) -> tuple[str, int]:
    """Where things stand after a rotation stopped at `progress`, and the exit code."""
    new, issued = progress.fingerprint, progress.issued_at
    if progress.stage is Stage.BEFORE_THE_CLICK:
        return f"{preflight.NOT_READY.capitalize()}.", NOTHING_CHANGED
    if progress.stage is Stage.NOTHING_CHANGED:
        return "Nothing was changed.", NOTHING_CHANGED
    if progress.stage is Stage.SETTINGS_STORED:
        return (
            f"The stack config now holds {', '.join(progress.stored)} (each whole), but not the "
            f"new token (fingerprint {new}): provisioning is down until `pulumi up` has run "
            f"with it. {progress.again[:1].upper()}{progress.again[1:]} and paste the same "
            "token (do not generate another, even when told to click New Token): it keeps "
            "what is stored.",
            HALF_DONE,
        )
    if progress.stage is Stage.WRITING_TOKEN:
        return (
            f"The stack config may or may not hold the new token (fingerprint {new}): its "
            "write was cut short, and provisioning is down until `pulumi up` has run with "
            "it. Run this helper again with the same token (it stores it again, then runs "
            "`pulumi up`); do not generate another. Without the token at hand, run `pulumi "
            f"up`: if it completes and `pulumi stack output tokenFingerprint` prints {new}, "
            "the new token was stored; if Druva rejects the token, the config still holds "
            "the old one: run this helper with the new token (generate another only if it is "
            "lost).",
            HALF_DONE,
        )
    if progress.stage is Stage.TOKEN_STORED:
        return (
            f"The new token (fingerprint {new}) is stored in the stack config; {ISSUED_AT_KEY} "
            f"may not be. Run `pulumi config set {ISSUED_AT_KEY} {issued}` and then `pulumi up` "
            "now: provisioning is down until it has run.",
            HALF_DONE,
        )
    if progress.stage is Stage.CONFIG_STORED:
        return (
            f"The new token (fingerprint {new}) and {ISSUED_AT_KEY}={issued} are stored in "
            "the stack config, but `pulumi up` has not completed: provisioning is down until "
            "it has. Run `pulumi up` now (no need to generate another token).",
            HALF_DONE,
        )
    return (
        "`pulumi up` completed: the new token is in place; see `pulumi stack output`.",
        DONE,
    )


def store(
    pulumi: cli.Pulumi,
    token: str,
    issued_text: str,
    progress: Progress,
    kept: str = "the old token",
) -> None:
    """Store the token (on the child's stdin) and then its issuedAt in the stack config."""
    before = Stage.SETTINGS_STORED if progress.stored else Stage.NOTHING_CHANGED
    progress.stage = Stage.WRITING_TOKEN
    # With no value in argv, the CLI reads a secret from stdin up to the line break.
    stored = pulumi.capture("config", "set", "--secret", TOKEN_KEY, stdin_text=token + "\n")
    said = cli.child_message(stored.stderr, never_shown(token))
    if stored.returncode != 0 and before is Stage.SETTINGS_STORED:
        progress.stage = before
        raise RotationError(
            f"`pulumi config set --secret {TOKEN_KEY}` failed (exit code {stored.returncode}): "
            f"{said}. Fix the cause (logged in? right --stack? "
            f"run from the project folder?). {standing(progress)[0]}",
            HALF_DONE,
        )
    if stored.returncode != 0:
        raise RotationError(
            f"`pulumi config set --secret {TOKEN_KEY}` failed (exit code {stored.returncode}): "
            f"{said}. Nothing else was run and the stack "
            f"config keeps {kept}. Fix the cause (logged in? right --stack? run from the "
            f"project folder?) and {progress.again} with the same token.",
            NOTHING_CHANGED,
        )
    progress.stage = Stage.TOKEN_STORED
    log.info("token stored in %s", TOKEN_KEY)
    recorded = pulumi.capture("config", "set", ISSUED_AT_KEY, issued_text)
    if recorded.returncode != 0:
        raise RotationError(
            f"the new token is stored, but `pulumi config set {ISSUED_AT_KEY}` failed "
            f"(exit code {recorded.returncode}): "
            f"{cli.child_message(recorded.stderr, never_shown(token))}. "
            f"`pulumi up` was not run. Run `pulumi config set {ISSUED_AT_KEY} {issued_text}` "
            "and then `pulumi up` now: provisioning is down until it has run.",
            HALF_DONE,
        )
    progress.stage = Stage.CONFIG_STORED
    log.info("%s recorded as %s", ISSUED_AT_KEY, issued_text)


def pasted_token(deployed: str | None) -> str:
    """The token pasted at the terminal, asked again until it can be stored: the old token
    died with the click, so a refused paste must not end the helper."""
    while True:
        token = read_token(True)
        refusal = token_refusal(token, deployed)
        if not refusal:
            return token
        print(f"{TOKEN_KEY}: {refusal}; paste it again (Ctrl-D to stop).", file=sys.stderr)


def rotate(
    arguments: argparse.Namespace, stdin_is_terminal: bool, clock: Clock, progress: Progress
) -> int:
    executable = cli.pulumi_executable()
    if executable is None:
        raise RotationError(
            f"pulumi is not on PATH: {INSTALL_HINT}. Nothing was changed.", NOTHING_CHANGED
        )
    given = issued_at_from(arguments.issued_at, clock.now()) if arguments.issued_at else None
    issued_hint = lifecycle.format_time(given or clock.now())
    source = cli.esc_source(arguments.stack, TOKEN_KEY)
    if source is not None:
        commands = cli.esc_commands(source, TOKEN_KEY, ISSUED_AT_KEY, issued_hint)
        raise RotationError(f"{commands}. Nothing was changed.", NOTHING_CHANGED)
    if not stdin_is_terminal and not arguments.yes:
        raise RotationError(
            "the token comes from a pipe, so `pulumi up` could not ask for confirmation; "
            "pass --yes (it still previews first). Nothing was changed.",
            NOTHING_CHANGED,
        )

    # A piped token was generated already: read it first, to keep it from every child.
    piped = None if stdin_is_terminal else checked_token(read_token(False), None)
    environment = child_environment(piped or "", os.environ)
    reader = cli.Pulumi(executable, arguments.stack, environment, CONFIG_TIMEOUT_SECONDS)
    try:
        before_the_click(stack_name(reader), say, environment=environment)
    except RotationError as failed:
        if piped is None:
            raise
        # The piped token exists: "do not generate a token yet" came too late for it.
        raise RotationError(f"{failed} {PIPED_ALREADY}", NOTHING_CHANGED) from None
    # Read before the click, so that the outage window holds only the writes and `up`.
    old_fingerprint = current_fingerprint(reader)
    if piped is None:
        click_now(say, progress)
        token = pasted_token(old_fingerprint)
    else:
        token = checked_token(piped, old_fingerprint)
    new_fingerprint = lifecycle.fingerprint(token)
    # When it was generated: at the latest now, after the click and the paste.
    issued_text = lifecycle.format_time(given or clock.now())
    progress.fingerprint, progress.issued_at = new_fingerprint, issued_text
    log.info("token read, fingerprint %s", new_fingerprint)
    pulumi = cli.Pulumi(
        executable, arguments.stack, child_environment(token, os.environ), CONFIG_TIMEOUT_SECONDS
    )
    store(pulumi, token, issued_text, progress)

    print(
        f"Stored the token (fingerprint {new_fingerprint}) and {ISSUED_AT_KEY}={issued_text}; "
        "running `pulumi up` now.",
        flush=True,
    )
    # One identity provider refusing must not keep the token from the others.
    up = pulumi.run_attached("up", "--continue-on-error", *(["--yes"] if arguments.yes else []))
    if up.code != 0 and up.interrupted:
        raise RotationError(
            f"`pulumi up` was interrupted (exit code {up.code}). {standing(progress)[0]} "
            f"{LOCKED_HINT}",
            HALF_DONE,
        )
    if up.code != 0:
        raise RotationError(
            f"`pulumi up` did not complete (exit code {up.code}). The new token is in the "
            "stack config; provisioning stays down until `pulumi up` succeeds: fix what it "
            "reported and run `pulumi up` again (no need to generate another token).",
            HALF_DONE,
        )
    progress.stage = Stage.DEPLOYED
    return report(pulumi, old_fingerprint, new_fingerprint, clock.now())


def report(pulumi: cli.Pulumi, old: str | None, new: str, now: datetime) -> int:
    """Print what changed: the fingerprint old -> new and the stack's dates."""
    print(f"Token fingerprint: {old or '(none)'} -> {new}")
    try:
        outputs = pulumi.capture("stack", "output", "--json")
    except cli.ChildError as failed:
        print(f"{failed}. `pulumi up` completed; check the outputs with `pulumi stack output`.")
        return DONE
    document, not_json = gate.parse_document(outputs.stdout)
    if outputs.returncode != 0 or not_json or not isinstance(document, Mapping):
        print("Could not read the stack outputs; check them with `pulumi stack output`.")
        return DONE
    stack_fingerprint = document.get("tokenFingerprint")
    if stack_fingerprint != new:
        print(
            f"`pulumi up` completed, but the stack reports token fingerprint "
            f"{stack_fingerprint!r}, not {new}: it did not deploy the new token (another "
            "--stack? a config file outside stacks/?). Check `pulumi stack output` and the "
            "update's log, then run `pulumi up` for the right stack.",
            file=sys.stderr,
        )
        return HALF_DONE
    for key in ("issuedAt", "expiresAt", "rotateAfter"):
        if key in document:
            print(f"  {key}: {document[key]}")
    verdict = gate.evaluate(document, now)
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
        "its preview should show no changes (docs/gitops.md)."
    )
    return DONE


def parser() -> argparse.ArgumentParser:
    helper = cli.Parser(
        usage_exit=NOTHING_CHANGED,
        after_error=". Nothing was changed.",
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


def main(argv: Sequence[str] | None = None, clock: Clock = SYSTEM) -> int:
    arguments = parser().parse_args(argv)
    return guarded(lambda progress: rotate(arguments, sys.stdin.isatty(), clock, progress))


def guarded(step: Callable[[Progress], int], prefix: str = PREFIX) -> int:
    """Run `step`; whatever stops it, say where things stand and end with the exit code."""
    progress = Progress()
    try:
        return step(progress)
    except RotationError as error:
        print(f"{prefix}{error}", file=sys.stderr)
        return error.exit_code
    except cli.ChildError as failed:
        happened = str(failed)
    except KeyboardInterrupt:
        happened = "interrupted"
    except Exception as error:  # whatever it was, say where things stand
        # Its type only: a message could quote what a child printed, the token included.
        happened = f"stopped by an unexpected error ({type(error).__name__})"
    sentence, code = standing(progress)
    print(f"{prefix}{happened}. {sentence}", file=sys.stderr)
    return code


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
