"""Command line: provisioning health: does every identity provider provision with the current token?

    pulumi stack output --json | python -m providers.health -
    python -m providers.health --stack prod [--json] [--stale-after 24] [--deadline 600]

Reads the stack's outputs as the gate does (never with --show-secrets: the
token is neither needed nor used), then asks each identity provider, read-only,
what it did with the token: each Azure app's provisioning job status from
Microsoft Graph (providers/azure/health.py), each Okta app's pushes to Druva in
Okta's System Log since the token was issued (providers/okta/health.py); Druva's
line, and each `manualApps` entry's (pending or confirmed: OneLogin, JumpCloud and the others
have no API to read), are what the stack recorded. The whole run keeps to one deadline
(`--deadline`, RUN_SECONDS by default), each app to the HTTP policy's within it, and an origin
that timed out or could not be reached is not asked again in the run
(providers/deadline.py `run`): its other apps are "could not check" at once.
Credentials come from the environment, as the checks of `pulumi up` read them.
One line per app and a summary, or `--json`; the exit code of
`providers.core.health.EXIT_CODES`: 0 healthy, 1 degraded, 2 failing, 3 could
not check (the message names why). The verdicts are
`providers.core.health`; this module reads and prints. docs/health.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from providers import cli, deadline, notify
from providers.azure import health as azure_health
from providers.core import gate, health
from providers.core import notify as notifications
from providers.core.clock import SYSTEM, Clock
from providers.gate import read_outputs
from providers.http import HttpPolicy
from providers.okta import health as okta_health

RUN_SECONDS = 600.0
"""The bound on one run, every app, request, retry and pause in it: 10 minutes of the daily
pipeline job's 30 (GitHub daily.yml timeout-minutes, Azure Pipelines stage daily
timeoutInMinutes), which also installs, refreshes and previews before the health check."""
RUN_BOUND = "the bound on one health check, --deadline"
"""The run's bound as messages name it: the setting that changes it."""
CRASHED = (
    "Cannot check provisioning health: the check failed on this input ({kind}); run it again "
    "with `--json` on the same outputs and report it if it persists."
)


def parser() -> argparse.ArgumentParser:
    codes = ", ".join(
        f"{code} {meaning.split(':')[0]}" for code, meaning in health.EXIT_CODES.items()
    )
    command = cli.Parser(
        # Usage errors exit 3 ("could not check"), never 2, which means "failing" to a pipeline.
        usage_exit=3,
        prog="python -m providers.health",
        description="Does every identity provider provision with the current Druva SCIM "
        f"token? Read-only. Exit codes: {codes} ({health.DOCS}).",
    )
    cli.read_outputs_arguments(command, "the check")
    command.add_argument(
        "--stale-after",
        type=_hours,
        default=health.DEFAULT_STALE_AFTER_HOURS,
        metavar="HOURS",
        help="an Azure job whose last success is older than this is degraded "
        f"(default {health.DEFAULT_STALE_AFTER_HOURS:g})",
    )
    command.add_argument(
        "--deadline",
        type=_seconds,
        default=RUN_SECONDS,
        metavar="SECONDS",
        help="the whole check ends within this many seconds, every app and retry included; "
        f"apps not read by then could not be checked (default {RUN_SECONDS:g})",
    )
    notifications.add_argument(command)
    return command


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 86400")
    return seconds


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 365:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours from 0 to 8760")
    return hours


def main(
    argv: Sequence[str] | None = None,
    clock: Clock = SYSTEM,
    environ: Mapping[str, str] | None = None,
    credential: azure_health.CredentialFactory | None = None,
    policy: HttpPolicy | None = None,
) -> int:
    """The exit code; a failure of the check itself is 3, never 1 (degraded) or 2 (failing)."""
    try:
        return _run(argv, clock, os.environ if environ is None else environ, credential, policy)
    except Exception as error:
        print(CRASHED.format(kind=type(error).__name__), file=sys.stderr)
        return 3


def _run(
    argv: Sequence[str] | None,
    clock: Clock,
    environ: Mapping[str, str],
    credential: azure_health.CredentialFactory | None,
    policy: HttpPolicy | None,
) -> int:
    command = parser()
    arguments = command.parse_args(argv)
    if arguments.source == "-" and arguments.stack:
        command.error("give either - (outputs on stdin) or --stack (run pulumi), not both")
    now = clock.now()
    text, failure = read_outputs(arguments.source, arguments.stack)
    if failure is not None or text is None:
        report = health.Report(now, unusable=(failure or "no outputs were read",))
    else:
        document, not_json = gate.parse_document(text)
        stack, problems = (None, [not_json]) if not_json else health.targets(document, now)
        if stack is None:
            report = health.Report(now, unusable=tuple(problems), advice=gate.EXPORT_ADVICE)
        else:
            stale_after = timedelta(hours=arguments.stale_after)
            report = check(
                stack,
                environ,
                policy or HttpPolicy(),
                now,
                stale_after,
                credential,
                arguments.deadline,
            )

    if arguments.json:
        print(json.dumps(report.as_json(), indent=2))
    elif report.unusable:
        print(report.summary(), file=sys.stderr)
    else:
        print("\n".join(report.lines()))
    if notifications.health_posts(report):
        notify.notify(arguments.notify, environ, lambda: notify.health_notice(report))
    return report.exit_code


def check(
    stack: health.Stack,
    environ: Mapping[str, str],
    policy: HttpPolicy,
    now: datetime,
    stale_after: timedelta,
    credential: azure_health.CredentialFactory | None = None,
    seconds: float = RUN_SECONDS,
) -> health.Report:
    """Every app's verdict: Druva's from the outputs, then each Azure and Okta app's, all
    within one deadline of `seconds`, then each manual app's from the outputs alone."""
    druva = health.druva_entry(
        stack.fingerprint, stack.issued_at, stack.expires_at, now, stack.states()
    )
    with deadline.run(seconds, RUN_BOUND):
        azure_apps = azure_health.read_apps(
            stack.azure, environ, policy, now, stale_after, credential
        )
        okta_apps = okta_health.read_apps(stack.okta, stack.issued_at, environ, policy, now)
    # No network for manualApps entries: their identity providers have no API to read.
    manual_apps = [health.manual_verdict(target) for target in stack.manual]
    return health.Report(now, (druva, *azure_apps, *okta_apps, *manual_apps))


if __name__ == "__main__":
    sys.exit(main())
