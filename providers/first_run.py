"""Command line: the guided first run of `scripts/up` on a stack that has no token yet.

    python -m providers.first_run --stack STACK

`scripts/up` runs it before `pulumi up`. When the stack has a token (`pulumi config
get druva-scim:scimToken` finds one), or its config cannot be read (`pulumi up`
then says why), it says nothing and exits 0. Otherwise, at a terminal, it
explains that adopting the tool means generating one new token, asks for the
token (hidden), its issuedAt and the first apps, each answer validated by the
core and asked again until valid, stores them with the rotation helper's steps
(the token on the child's stdin), and exits 0: `scripts/up` runs `pulumi up` at
once. Without a terminal it prints what to set and exits 1.

Exit codes are the rotation helper's (providers/rotate.py EXIT_CODES).
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from providers import cli, rotate
from providers.core import apps, lifecycle, settings, texts
from providers.core.clock import SYSTEM, Clock

PREFIX = "druva-scim up: "
"""What the first run puts before each of its messages."""
ADOPTION = (
    "Adopting this tool for a Druva app means generating ONE new token: Druva showed the "
    "current one once and cannot show it again. Generating it ends the current token at once, "
    "so provisioning is down until `pulumi up` has put the new one into every app (minutes): "
    "choose a quiet moment. Generate it in the Druva console (Users > User Provisioning > "
    "three-dot menu > New Token) just before you paste it here."
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
KINDS = (
    ("azureApps", "servicePrincipalId", "druva-azure", AZURE_PROMPT),
    ("oktaApps", "appId", "druva-okta", OKTA_PROMPT),
)
"""Per kind of app: its setting, the id's key, the names given, the question."""


@dataclass
class Answers:
    """Ask and say; a test drives them without a terminal."""

    ask: Callable[[str], str] = input
    ask_hidden: Callable[[str], str] = getpass.getpass
    say: Callable[[str], None] = field(default=lambda text: print(text, flush=True))


def token_missing(pulumi: cli.Pulumi) -> bool:
    # Its stdout (the token, when there is one) is never shown.
    got = pulumi.capture("config", "get", rotate.TOKEN_KEY)
    return got.returncode != 0 and "not found" in got.stderr


def app_name(base: str, index: int) -> str:
    return base if index == 0 else f"{base}-{index + 1}"


def what_to_set(stack: str) -> str:
    """The commands that set up a stack by hand, for a run without a terminal."""
    lines = [
        f"pulumi config set --secret {rotate.TOKEN_KEY} --stack {stack}   # paste, then Enter",
        f"pulumi config set {rotate.ISSUED_AT_KEY} <UTC time from Druva Cloud Settings > API "
        f"Credentials> --stack {stack}",
    ]
    for key, id_key, base, _ in KINDS:
        lines.append(
            f"pulumi config set --path '{texts.NAMESPACE}:{key}[0].name' {base} --stack {stack}"
        )
        lines.append(
            f"pulumi config set --path '{texts.NAMESPACE}:{key}[0].{id_key}' <id> --stack {stack}"
        )
    return "\n".join(f"  {line}" for line in lines)


def ask_token(answers: Answers) -> str:
    while True:
        token = answers.ask_hidden(rotate.PROMPT)
        refusal = rotate.token_refusal(token)
        if not refusal:
            return token
        answers.say(f"{rotate.TOKEN_KEY}: {refusal}; paste it again.")


def ask_issued_at(answers: Answers, now: datetime) -> str:
    while True:
        text = answers.ask(ISSUED_PROMPT.format(now=lifecycle.format_time(now))).strip()
        if not text:
            return lifecycle.format_time(now)
        moment, reason = settings.issued_at(text, lifecycle.MAX_LIFETIME_DAYS, now)
        if moment is not None and not reason:
            return lifecycle.format_time(moment)
        answers.say(f"{rotate.ISSUED_AT_KEY}: {reason}; answer again.")


def ask_apps(answers: Answers, key: str, id_key: str, base: str, prompt: str) -> list[str]:
    """Ids for `key`, each checked by the core as the program will check the entry."""
    ids: list[str] = []
    while True:
        text = answers.ask(prompt).strip()
        if not text:
            return ids
        entries = [{"name": app_name(base, i), id_key: v} for i, v in enumerate([*ids, text])]
        _, problems = apps.parse_apps({key: entries})
        if not problems:
            ids.append(text)
            continue
        for problem in problems:
            answers.say(f"{texts.NAMESPACE}:{problem.key}: {problem.message}; answer again.")


def guide(
    stack: str, answers: Answers, terminal: bool, now: datetime, progress: rotate.Progress
) -> int:
    executable = cli.pulumi_executable()
    if executable is None:
        raise rotate.RotationError(
            f"pulumi is not on PATH: {rotate.INSTALL_HINT}. Nothing was changed.",
            rotate.NOTHING_CHANGED,
        )
    if not token_missing(cli.Pulumi(executable, stack, dict(os.environ))):
        return rotate.DONE
    if not terminal:
        raise rotate.RotationError(
            f"stack {stack} has no token ({rotate.TOKEN_KEY}) and there is no terminal to ask "
            f"for one. {ADOPTION} Then set:\n{what_to_set(stack)}\nand run scripts/up {stack} "
            "again (docs/getting-started.md). Nothing was changed.",
            rotate.NOTHING_CHANGED,
        )
    answers.say(f"Stack {stack} has no Druva SCIM token yet ({rotate.TOKEN_KEY}).\n{ADOPTION}")
    answers.say("To keep the token in a Pulumi ESC environment instead, see docs/esc.md.")
    if answers.ask("Type yes to go on now, anything else to stop: ").strip().lower() != "yes":
        answers.say("Stopped; nothing was changed. Run scripts/up again at a quiet moment.")
        return rotate.NOTHING_CHANGED
    token = ask_token(answers)
    issued_text = ask_issued_at(answers, now)
    pulumi = cli.Pulumi(executable, stack, rotate.child_environment(token, os.environ))
    chosen = []
    for kind in KINDS:
        if pulumi.capture("config", "get", f"{texts.NAMESPACE}:{kind[0]}").returncode == 0:
            answers.say(f"The stack lists {texts.NAMESPACE}:{kind[0]} already; keeping them.")
        else:
            chosen.append((kind, ask_apps(answers, *kind)))
    progress.fingerprint, progress.issued_at = lifecycle.fingerprint(token), issued_text
    for (key, id_key, base, _), ids in chosen:
        for index, app_id in enumerate(ids):
            for leaf, value in (("name", app_name(base, index)), (id_key, app_id)):
                path = f"{texts.NAMESPACE}:{key}[{index}].{leaf}"
                done = pulumi.capture("config", "set", "--path", path, value)
                if done.returncode != 0:
                    raise rotate.RotationError(
                        f"`pulumi config set --path {path}` failed (exit code "
                        f"{done.returncode}): {rotate.child_message(done.stderr, token)}. The "
                        f"token was not stored. Fix the cause and run scripts/up {stack} again "
                        "with the same token.",
                        rotate.NOTHING_CHANGED,
                    )
    rotate.store(pulumi, token, issued_text, progress, "no token", f"run scripts/up {stack} again")
    answers.say(
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
    chosen = answers or Answers()

    def step(progress: rotate.Progress) -> int:
        try:
            return guide(arguments.stack, chosen, at_terminal, clock.now(), progress)
        except EOFError:  # Ctrl-D at a question
            sentence, code = rotate.standing(progress)
            raise rotate.RotationError(f"the input ended. {sentence}", code) from None

    return rotate.guarded(step, PREFIX)


if __name__ == "__main__":
    sys.exit(main())
