"""Command line: the pipeline gate on the Druva SCIM token's stack outputs.

    pulumi stack output --json | python -m providers.status -
    python -m providers.status --stack prod [--json] [--now 2027-11-10T00:00:00Z]

Reads the stack's outputs (never with --show-secrets: the token is not needed,
and the gate never prints a value it was not asked for) and prints one line a
person understands, with the exit code of `providers.core.gate.EXIT_CODES`: 0 the
token is valid, 1 rotation is due or a hand-off is pending, 2 it has expired, 3
the outputs are missing or malformed, could not be read, or the gate failed.
The verdict is `providers.core.gate.evaluate`; this module reads and prints.
Pipelines run it as `python -m providers.status` (providers/status.py runs `main`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime

from providers import cli
from providers.core import gate, lifecycle, notify
from providers.core.clock import SYSTEM, Clock, FixedClock

CRASHED = (
    "Cannot judge the Druva SCIM token: the gate failed on this input ({kind}); run it again "
    "with `--json` on the same outputs and report it if it persists."
)


def parser() -> argparse.ArgumentParser:
    codes = ", ".join(f"{code} {meaning}" for code, meaning in gate.EXIT_CODES.items())
    command = cli.Parser(
        # Usage errors exit 3 ("cannot judge"), never 2, which means "expired" to a pipeline.
        usage_exit=gate.UNUSABLE,
        prog="python -m providers.status",
        description=f"Gate on the Druva SCIM token's stack outputs. Exit codes: {codes}.",
    )
    cli.read_outputs_arguments(command, "the gate")
    command.add_argument(
        "--now",
        type=_now_argument,
        help="judge as if it were this RFC 3339 time (testing, what-if)",
    )
    notify.add_argument(command)
    return command


def _now_argument(text: str) -> datetime:
    try:
        return lifecycle.parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def read_outputs(source: str | None, stack: str | None) -> tuple[str | None, str | None]:
    """The outputs document's text, or why it could not be read."""
    if source == "-":
        return sys.stdin.read(), None
    if stack is None and not sys.stdin.isatty():
        piped = sys.stdin.read()
        # A CI runner's stdin is not a terminal but carries nothing: then ask pulumi.
        if piped.strip():
            return piped, None
    return cli.pulumi_stack_outputs(stack)


def main(argv: Sequence[str] | None = None, clock: Clock = SYSTEM) -> int:
    """The gate's exit code; a failure of the gate itself is 3, never 1 (due) or 2 (expired)."""
    try:
        return _judge(argv, clock)
    except Exception as error:
        print(CRASHED.format(kind=type(error).__name__), file=sys.stderr)
        return gate.UNUSABLE


def _judge(argv: Sequence[str] | None, clock: Clock) -> int:
    command = parser()
    arguments = command.parse_args(argv)
    if arguments.source == "-" and arguments.stack:
        command.error("give either - (outputs on stdin) or --stack (run pulumi), not both")
    now = (FixedClock(arguments.now) if arguments.now else clock).now()
    text, failure = read_outputs(arguments.source, arguments.stack)
    if failure is not None or text is None:
        verdict = gate.unusable(failure or "no outputs were read", advice="")
    else:
        document, not_json = gate.parse_document(text)
        verdict = gate.unusable(not_json) if not_json else gate.evaluate(document, now)

    if arguments.json:
        print(json.dumps(verdict.as_json(now), indent=2))
    elif verdict.exit_code == gate.UNUSABLE:
        print(verdict.message, file=sys.stderr)
    else:
        print(verdict.message)
    source = notify.urls(arguments.notify, os.environ)
    if source.urls and notify.gate_posts(verdict, now):
        from providers import notify as webhooks  # noqa: PLC0415  (HTTP only to post)

        webhooks.send(source, lambda: webhooks.gate_notice(verdict, now))
    return verdict.exit_code
