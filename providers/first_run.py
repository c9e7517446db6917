"""Command line: the guided first run of `scripts/up` on a stack that has no token yet.

    python -m providers.first_run --stack STACK

`scripts/up` runs it before `pulumi up`. When the stack has a token (`pulumi config
get druva-scim:scimToken` finds one), or its config cannot be read (`pulumi up`
then says why), it says nothing and exits 0. Otherwise, at a terminal, in this order:

1. it explains that adopting the tool means generating one new token, and asks for the
   first apps (each answer validated by the core and asked again until valid);
2. it runs the pre-flight (providers/preflight.py) with those apps as if stored
   (`pending`): any failure stops it there, having stored nothing; then it offers to keep
   the secret keys each Azure app holds that the configuration does not carry (the
   pre-flight's `extra_keys`);
3. only then does it say to click New Token, and asks for the token (hidden) and its
   issuedAt, judged against the moment it is typed;
4. it stores the apps, each kind's list as ONE value (`pulumi config set-all --json`,
   one write of the stack file: never half an entry), each kept key as one secret value,
   then the token (on the child's stdin) and issuedAt, and exits 0: `scripts/up` runs
   `pulumi up` at once.

Every message is redacted with the token and whatever typed text could be one. Without
a terminal it prints what to set, the token last, and exits 1.

Exit codes are the rotation helper's (providers/rotate.py EXIT_CODES).
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from providers import cli, rotate
from providers.core import apps, lifecycle, redaction, settings, texts
from providers.core.clock import SYSTEM, Clock

PREFIX = "druva-scim up: "
"""What the first run puts before each of its messages."""
ADOPTION = (
    "Adopting this tool for a Druva app means generating ONE new token: Druva showed the "
    "current one once and cannot show it again. Generating it ends the current token at once, "
    "so provisioning is down until `pulumi up` has put the new one into every app (minutes): "
    "choose a quiet moment. Do not generate it yet: everything that can fail is checked "
    "first, and you are told when to click New Token (Druva console: Users > User "
    "Provisioning > three-dot menu > New Token)."
)
ISSUED_PROMPT = (
    f"{rotate.ISSUED_AT_KEY}: the token's creation time from Druva Cloud Settings > API "
    "Credentials (UTC, like 2026-11-22T09:30:00Z); Enter for now ({now}) if you just generated "
    "it: "
)
AZURE_PROMPT = (
    "Azure: the Druva enterprise app's Object ID (Entra ID > Enterprise applications > the "
    "Druva app > Overview), or Enter for none (more): "
)
OKTA_PROMPT = (
    "Okta: the Druva app's id (0oa..., after /instance/ in its Admin Console URL), or Enter "
    "for none (more): "
)
KEEP_PROMPT = (
    "{key} of Azure app {name}: its value, which Azure does not show back (hidden; Enter to "
    "let the first `pulumi up` erase it): "
)
ERASED = (
    "Azure app {name} holds {keys} in its provisioning secrets, which its entry does not list "
    "in extraSecrets: the first `pulumi up` erases them (writing the secrets replaces the "
    "whole set)."
)
AZURE_KEY = "azureApps"
APP_SETTINGS = (
    (AZURE_KEY, "servicePrincipalId", "druva-azure", AZURE_PROMPT),
    ("oktaApps", "appId", "druva-okta", OKTA_PROMPT),
)
"""Per kind of app: its setting, the id's key, the names given, the question."""


@dataclass
class Answers:
    """Ask and say; a test drives them without a terminal."""

    ask: Callable[[str], str] = input
    ask_hidden: Callable[[str], str] = getpass.getpass
    say: Callable[[str], None] = field(default=lambda text: print(text, flush=True))


@dataclass
class Conversation:
    """The questions and what is said, every text said redacted with what it may hold."""

    answers: Answers
    secrets: list[str] = field(default_factory=list)
    """The token, each value asked hidden, and each refused answer that could be a token
    (pasted at the wrong prompt): none of them is ever said back."""

    def say(self, text: str) -> None:
        self.answers.say(redaction.redact(text, self.secrets))

    def ask(self, prompt: str) -> str:
        return self.answers.ask(prompt)

    def ask_hidden(self, prompt: str) -> str:
        value = self.answers.ask_hidden(prompt)
        self.secrets.append(value)
        return value

    def refused(self, text: str, message: str) -> None:
        """Say why a visible answer was refused; an answer that could be a token is not
        quoted back."""
        if settings.token_problem(text) is None:
            self.secrets.append(text)
        self.say(message)


@dataclass(frozen=True)
class Kept:
    """One secret key an Azure app holds, to keep in its extraSecrets."""

    index: int
    """The app's position in azureApps."""
    name: str
    key: str
    value: str

    @property
    def path(self) -> str:
        return f"{texts.NAMESPACE}:{AZURE_KEY}[{self.index}].extraSecrets.{self.key}"


def token_missing(pulumi: cli.Pulumi) -> bool:
    # Its stdout (the token, when there is one) is never shown. The CLI tells a missing key
    # only in words, "configuration key '%s' not found for stack '%s'" (pulumi/pulumi
    # pkg/cmd/pulumi/config/config.go @ 1b5949891b3cefcb9974752b24a5ecef0acc86c8).
    got = pulumi.capture("config", "get", rotate.TOKEN_KEY)
    return got.returncode != 0 and "not found" in got.stderr


def app_name(base: str, index: int) -> str:
    return base if index == 0 else f"{base}-{index + 1}"


def what_to_set(stack: str) -> str:
    """The commands that set up a stack by hand, for a run without a terminal: the apps
    first, the pre-flight, and the token last, so that nothing is looked up after the click."""
    lines = []
    for key, id_key, base, _ in APP_SETTINGS:
        lines.append(
            f"pulumi config set --path '{texts.NAMESPACE}:{key}[0].name' {base} --stack {stack}"
        )
        lines.append(
            f"pulumi config set --path '{texts.NAMESPACE}:{key}[0].{id_key}' <id> --stack {stack}"
        )
    lines += [
        f"venv/bin/python -m providers.preflight --stack {stack}   # must say Ready; then click "
        "New Token",
        f"pulumi config set --secret {rotate.TOKEN_KEY} --stack {stack}   # paste, then Enter",
        f"pulumi config set {rotate.ISSUED_AT_KEY} <UTC time from Druva Cloud Settings > API "
        f"Credentials> --stack {stack}",
    ]
    return "\n".join(f"  {line}" for line in lines)


def ask_token(talk: Conversation, deployed: str | None) -> str:
    while True:
        token = talk.ask_hidden(rotate.PROMPT)
        refusal = rotate.token_refusal(token, deployed)
        if not refusal:
            return token
        talk.say(f"{rotate.TOKEN_KEY}: {refusal}; paste it again.")


def ask_issued_at(talk: Conversation, clock: Clock) -> str:
    while True:
        # The clock is read at each answer: the token was generated after the run started.
        now = clock.now()
        text = talk.ask(ISSUED_PROMPT.format(now=lifecycle.format_time(now))).strip()
        now = clock.now()
        if not text:
            return lifecycle.format_time(now)
        moment, reason = settings.issued_at(text, lifecycle.MAX_LIFETIME_DAYS, now)
        if moment is not None and not reason:
            return lifecycle.format_time(moment)
        talk.refused(text, f"{rotate.ISSUED_AT_KEY}: {reason}; answer again.")


def ask_apps(
    talk: Conversation, key: str, id_key: str, base: str, prompt: str
) -> list[dict[str, Any]]:
    """Entries for `key`, each checked by the core as the program will check it."""
    entries: list[dict[str, Any]] = []
    while True:
        text = talk.ask(prompt).strip()
        if not text:
            return entries
        entry = {"name": app_name(base, len(entries)), id_key: text}
        _, problems = apps.parse_apps({key: [*entries, entry]})
        if not problems:
            entries.append(entry)
            continue
        for problem in problems:
            talk.refused(text, f"{texts.NAMESPACE}:{problem.key}: {problem.message}; answer again.")


def listed(pulumi: cli.Pulumi, key: str) -> list[Any] | None:
    """The entries the stack lists for `key`, or None when it lists none."""
    got = pulumi.capture("config", "get", f"{texts.NAMESPACE}:{key}")
    if got.returncode != 0:
        return None
    try:
        value = json.loads(got.stdout)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def ask_kept(
    talk: Conversation, extra_keys: Mapping[str, Sequence[str]], azure: Sequence[Any]
) -> list[Kept]:
    """Offer to keep each key the pre-flight found in an Azure app and not in its entry."""
    kept: list[Kept] = []
    for index, entry in enumerate(azure):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not extra_keys.get(name):
            continue
        keys = extra_keys[name]
        talk.say(ERASED.format(name=name, keys=", ".join(keys)))
        for key in keys:
            while True:
                value = talk.ask_hidden(KEEP_PROMPT.format(key=key, name=name))
                if not value:
                    talk.say(f"{key} of {name} is not kept: the first `pulumi up` erases it.")
                    break
                one = Kept(index, name, key, value)
                problem = apps.extra_secret_problem(key, value)
                if not problem:
                    kept.append(one)
                    break
                talk.say(f"{one.path}: {problem}; answer again.")
    return kept


def set_all_command(values: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """`pulumi config set-all --json`: every list given, each as one object value, in one
    write of the stack file (the format `pulumi config --json` prints)."""
    document = {
        f"{texts.NAMESPACE}:{key}": {
            "value": json.dumps(entries),
            "objectValue": entries,
            "secret": False,
        }
        for key, entries in values.items()
    }
    return ["config", "set-all", "--json", json.dumps(document)]


def write(
    pulumi: cli.Pulumi,
    arguments: Sequence[str],
    what: str,
    progress: rotate.Progress,
    stdin_text: str | None = None,
) -> subprocess.CompletedProcess[str] | None:
    """One write of the stack config before the token; the failed command, if it failed."""
    done = pulumi.capture(*arguments, stdin_text=stdin_text)
    if done.returncode != 0:
        return done
    progress.stored.append(what)
    progress.stage = rotate.Stage.SETTINGS_STORED
    return None


def not_stored(failed: str, progress: rotate.Progress) -> rotate.RotationError:
    """A write before the token failed: what it says, where things stand, what to run."""
    sentence, code = rotate.standing(progress)
    return rotate.RotationError(
        f"{failed} {sentence} Fix the cause and {progress.again} with the same token (do not "
        "generate another).",
        code,
    )


def guide(
    stack: str, talk: Conversation, terminal: bool, clock: Clock, progress: rotate.Progress
) -> int:
    executable = cli.pulumi_executable()
    if executable is None:
        raise rotate.RotationError(
            f"pulumi is not on PATH: {rotate.INSTALL_HINT}. Nothing was changed.",
            rotate.NOTHING_CHANGED,
        )
    reader = cli.Pulumi(executable, stack, dict(os.environ))
    if not token_missing(reader):
        return rotate.DONE
    if not terminal:
        raise rotate.RotationError(
            f"stack {stack} has no token ({rotate.TOKEN_KEY}) and there is no terminal to ask "
            f"for one. {ADOPTION} Then set:\n{what_to_set(stack)}\nand run scripts/up {stack} "
            "again (docs/getting-started.md). Nothing was changed.",
            rotate.NOTHING_CHANGED,
        )
    progress.again = f"run scripts/up {stack} again"
    talk.say(f"Stack {stack} has no Druva SCIM token yet ({rotate.TOKEN_KEY}).\n{ADOPTION}")
    talk.say("To keep the token in a Pulumi ESC environment instead, see docs/esc.md.")
    deployed = rotate.current_fingerprint(reader)
    existing = {key: listed(reader, key) for key, *_ in APP_SETTINGS}
    for key, entries in existing.items():
        if entries is not None:
            talk.say(f"The stack lists {texts.NAMESPACE}:{key} already; keeping them.")
    if talk.ask("Type yes to go on now, anything else to stop: ").strip().lower() != "yes":
        talk.say("Stopped; nothing was changed. Run scripts/up again at a quiet moment.")
        return rotate.NOTHING_CHANGED
    # The ids first, so that the pre-flight proves them (previewed, each app's job and keys
    # read) before the click; they are stored only once the token is in hand.
    chosen = {kind[0]: ask_apps(talk, *kind) for kind in APP_SETTINGS if existing[kind[0]] is None}
    given = {key: entries for key, entries in chosen.items() if entries}
    talk.say("The pre-flight: checking everything the first `pulumi up` needs.")
    report = rotate.before_the_click(stack, talk.say, given)
    kept = ask_kept(talk, report.extra_keys, existing[AZURE_KEY] or chosen.get(AZURE_KEY, []))

    rotate.click_now(talk.say, progress)
    token = ask_token(talk, deployed)
    issued_text = ask_issued_at(talk, clock)
    progress.fingerprint, progress.issued_at = lifecycle.fingerprint(token), issued_text
    pulumi = cli.Pulumi(executable, stack, rotate.child_environment(token, os.environ))
    names = " and ".join(f"{texts.NAMESPACE}:{key}" for key in given)
    if given and (failed := write(pulumi, set_all_command(given), names, progress)):
        raise not_stored(
            f"`pulumi config set-all --json …` failed (exit code {failed.returncode}): "
            f"{cli.child_message(failed.stderr, talk.secrets)}; it did not store {names}.",
            progress,
        )
    for one in kept:
        # Secret, so on the child's stdin (with no value in argv the CLI reads it there).
        arguments = ["config", "set", "--secret", "--path", one.path]
        if failed := write(pulumi, arguments, one.path, progress, one.value + "\n"):
            raise not_stored(
                f"`pulumi config set --secret --path {one.path}` failed (exit code "
                f"{failed.returncode}): {cli.child_message(failed.stderr, talk.secrets)}; it "
                f"did not store {one.path}.",
                progress,
            )
    rotate.store(pulumi, token, issued_text, progress, "no token")
    talk.say(
        f"Stored the token (fingerprint {progress.fingerprint}) and {rotate.ISSUED_AT_KEY}="
        f"{issued_text}; `pulumi up` runs now: provisioning is down until it completes. If it "
        f"fails, fix what it reports and run scripts/up {stack} again (the token is stored: do "
        "not generate another)."
    )
    return rotate.DONE


def main(
    argv: Sequence[str] | None = None,
    answers: Answers | None = None,
    terminal: bool | None = None,
    clock: Clock = SYSTEM,
) -> int:
    parser = cli.Parser(
        usage_exit=rotate.NOTHING_CHANGED,
        prog="python -m providers.first_run",
        description="Guide the first run of a stack that has no token yet.",
    )
    parser.add_argument("--stack", required=True, help="the stack scripts/up runs")
    arguments = parser.parse_args(argv)
    at_terminal = sys.stdin.isatty() if terminal is None else terminal
    talk = Conversation(answers or Answers())

    def step(progress: rotate.Progress) -> int:
        try:
            return guide(arguments.stack, talk, at_terminal, clock, progress)
        except EOFError:  # Ctrl-D at a question
            sentence, code = rotate.standing(progress)
            raise rotate.RotationError(f"the input ended. {sentence}", code) from None
        except rotate.RotationError as error:
            # Whatever stopped it may quote an answer: what is said is redacted, so is this.
            raise rotate.RotationError(
                redaction.redact(str(error), talk.secrets), error.exit_code
            ) from None

    return rotate.guarded(step, PREFIX)


if __name__ == "__main__":
    sys.exit(main())
