"""Command line: what the command lines (`python -m providers.status`, `providers.rotate`) share.

Each runs the pulumi CLI for one stack (`Pulumi`), never with `--show-secrets`,
stops a short pulumi command that stalls, shows only the last lines of what it
printed (without any credential of this environment), and maps a wrong command
line to its own exit code (`Parser`). They import nothing of `providers` but
`providers.core` and this module.

One backend for all of them: `scripts/up` chooses it (`python -m providers.cli backend
STACK`, `choose_backend`) and, when it falls back to the local file backend, stores it in
BACKEND_FILE; every pulumi command run from here gets it (`pulumi_environment`) unless
PULUMI_BACKEND_URL names one (docs/backends.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import yaml  # type: ignore[import-untyped]

from providers.core import redaction
from providers.core.version import ANNOUNCED

PULUMI_TIMEOUT_SECONDS = 120
"""A pulumi command that does not finish in this time is stopped (the backend may hang)."""
SHOWN_TAIL = 4096
"""At most this much of the end of a pulumi command's output is shown (its last lines)."""
PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/"
PROJECT = Path(__file__).resolve().parent.parent
STACKS = PROJECT / "stacks"
"""Where the stack files are (Pulumi.yaml: stackConfigDir)."""
BACKEND_FILE = PROJECT / ".druva-scim" / "backend"
"""The backend `scripts/up` chose when no Pulumi login existed (the local file backend), for
every command of this project; git-ignored: it is this clone's choice, not the team's."""
LOCAL_BACKEND_FOLDER = ".pulumi-druva-scim"
"""The local file backend's folder, in the home folder."""
SELF_MANAGED_SCHEMES = frozenset({"file", "s3", "gs", "azblob", "postgres"})
"""Backends whose stacks get the passphrase secrets provider by default (pulumi/pulumi
pkg/cmd/pulumi/auth/login.go, pkg/backend/diy/backend.go DefaultSecretManager); Pulumi Cloud's
(https://) get Pulumi Cloud's own."""
STOPPED = 1
"""`python -m providers.cli`'s exit code when it stops: nothing was changed (as the rotation
helper's NOTHING_CHANGED)."""


def manual_install(version: str) -> str:
    """How to install the pinned CLI by hand."""
    return (
        f"run scripts/up once, which installs {version} from get.pulumi.com's release files "
        f"with their SHA-256 checked, or install it by hand: pulumi-v{version}-<os>-<arch>.tar.gz "
        f"and pulumi-{version}-checksums.txt from https://get.pulumi.com/releases/sdk/, "
        "`sha256sum --check --ignore-missing` on them, then pulumi/ first on PATH (Windows: "
        f"see {PULUMI_INSTALL_URL}); then run this again"
    )


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors end with the command's own exit code (never argparse's 2,
    which means "expired" to the gate), and a sentence the command adds."""

    def __init__(self, *, usage_exit: int, after_error: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.usage_exit = usage_exit
        self.after_error = after_error
        # Every command, so that a user can say which version answered; argparse prints it and
        # exits 0 while parsing, before the command does anything.
        self.add_argument("--version", action="version", version=ANNOUNCED)

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

    def child_environment(self) -> dict[str, str]:
        """The environment a pulumi command gets: ours, with this project's backend."""
        return pulumi_environment(self.environment)

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
                env=self.child_environment(),
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
                    self.command(*arguments), env=self.child_environment()
                )
            except OSError as error:
                raise ChildError(
                    f"`pulumi {' '.join(arguments)}` could not be started ({error.strerror})"
                ) from None
            code = child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
        return Attached(code, interrupted=bool(interrupts))


def stack_file(stack: str, folder: Path = STACKS) -> Path:
    """The stack file of `stack`: Pulumi Cloud names stacks org/project/stack, and the file
    carries the last part."""
    return folder / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"


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


def pulumi_stack_outputs(stack: str | None) -> tuple[str | None, str | None]:
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
    path = stack_file(stack, folder)
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


# --- the backend ----------------------------------------------------------------------------


def stored_backend(path: Path | None = None) -> str | None:
    """The backend `scripts/up` stored for this project, if it stored one."""
    try:
        text = (path or BACKEND_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def pulumi_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` for a pulumi command of this project: with the stored backend, unless
    PULUMI_BACKEND_URL names one (the CLI reads that variable before any login:
    pkg/workspace/creds.go GetCurrentCloudURLWithSource)."""
    result = dict(environment)
    if not result.get("PULUMI_BACKEND_URL"):
        stored = stored_backend()
        if stored:
            result["PULUMI_BACKEND_URL"] = stored
    return result


def credentials_file(environment: Mapping[str, str]) -> Path:
    """Where the CLI keeps its logins: PULUMI_CREDENTIALS_PATH, else PULUMI_HOME, else
    ~/.pulumi, then credentials.json (sdk/go/common/workspace/creds.go getCredsFilePath,
    sdk/go/common/util/pulumihome Dir)."""
    folder = environment.get("PULUMI_CREDENTIALS_PATH") or environment.get("PULUMI_HOME")
    if not folder:
        folder = str(Path(environment.get("HOME") or Path.home()) / ".pulumi")
    return Path(folder) / "credentials.json"


def project_backend(project: Path | None = None) -> str | None:
    """Pulumi.yaml's `backend: url:`, which the CLI reads before the stored logins."""
    try:
        document = yaml.safe_load((project or PROJECT / "Pulumi.yaml").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    backend = document.get("backend") if isinstance(document, dict) else None
    url = backend.get("url") if isinstance(backend, dict) else None
    return url if isinstance(url, str) and url else None


def existing_login(environment: Mapping[str, str]) -> str | None:
    """What logs the CLI in to a backend, said for a message; None when nothing does.

    As the CLI decides (pkg/workspace/creds.go GetCurrentCloudURLWithSource): the project's
    backend, else the credentials file's `current` login; PULUMI_ACCESS_TOKEN logs in to
    Pulumi Cloud. An empty or missing file is no login (creds.go readCredentialsFile); one
    that cannot be read here (encrypted, or not JSON) may hold one, so it counts as a login.
    """
    if environment.get("PULUMI_ACCESS_TOKEN"):
        return "PULUMI_ACCESS_TOKEN is set"
    if project := project_backend():
        return f"Pulumi.yaml names the backend {project}"
    path = credentials_file(environment)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        return f"{path} exists but cannot be read ({type(error).__name__})"
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return f"{path} exists (encrypted or not JSON)"
    current = document.get("current") if isinstance(document, dict) else None
    if isinstance(current, str) and current:
        return f"{path} logs in to {current}"
    return None


@dataclass(frozen=True)
class Backend:
    """The backend every pulumi command of a `scripts/up` run uses."""

    url: str | None
    """None: the login's, whose URL `pulumi whoami` did not say."""
    said: str
    """How it was chosen, for the user."""
    local: bool = False
    """The local fallback: to be stored (`store_backend`) once the run goes on."""
    seen: str | None = None
    """Where a login points, for the checks of this run only, never exported: `pulumi whoami`
    answers Pulumi Cloud's console page there, not the API (pulumi/pulumi
    pkg/cmd/pulumi/whoami/whoami.go `b.URL()`; pkg/backend/httpstate/backend.go `URL` returns
    `cloudConsoleURL`), and the login itself is what every command already reads."""


class BackendError(Exception):
    """No backend can be chosen without guessing; the message says what to fix."""


def stored_name() -> Path:
    """BACKEND_FILE as messages name it: from the project's folder."""
    return (
        BACKEND_FILE.relative_to(PROJECT) if BACKEND_FILE.is_relative_to(PROJECT) else BACKEND_FILE
    )


def local_backend(environment: Mapping[str, str]) -> str:
    return f"file://{Path(environment.get('HOME') or Path.home()) / LOCAL_BACKEND_FOLDER}"


def choose_backend(executable: str, environment: Mapping[str, str]) -> Backend:
    """The backend for `scripts/up`, stored for the other commands when it is the local one.

    PULUMI_BACKEND_URL wins, then the stored backend. The local file backend is chosen only
    when no login exists at all; a login that `pulumi whoami` cannot use (Pulumi Cloud
    unavailable, an expired token, no network) stops the run: another backend would hold
    another, empty stack.
    """
    if url := environment.get("PULUMI_BACKEND_URL"):
        return Backend(
            url, f"Using the backend PULUMI_BACKEND_URL names: {redaction.shown_url(url)}"
        )
    if url := stored_backend():
        return Backend(
            url,
            f"Using the backend stored in {stored_name()}: {redaction.shown_url(url)} "
            "(docs/backends.md moves the stack to a shared one)",
        )
    login = existing_login(environment)
    if login is None:
        url = local_backend(environment)
        return Backend(
            url,
            "Not logged in to a Pulumi backend (no PULUMI_ACCESS_TOKEN, no current login in "
            f"{credentials_file(environment)}): using the local file backend {url}, stored in "
            f"{stored_name()} so that every command of this project uses "
            "it (docs/backends.md moves the stack to a shared one)",
            local=True,
        )
    return logged_in_backend(executable, environment, login)


def store_backend(backend: Backend) -> None:
    """Make the local backend's folder, and store it for every command of this project."""
    if backend.local and backend.url:
        Path(backend.url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
        BACKEND_FILE.parent.mkdir(parents=True, exist_ok=True)
        BACKEND_FILE.write_text(backend.url + "\n", encoding="utf-8")


def logged_in_backend(executable: str, environment: Mapping[str, str], login: str) -> Backend:
    advice = (
        f"A login exists ({login}), so this does not switch to another backend, where the "
        "stack would be another, empty one. Fix the login (`pulumi login` again for an expired "
        "or revoked token), or try again once the backend or the network answers. Nothing "
        "was changed."
    )
    who = Pulumi(executable, None, dict(environment))
    answer = backend_command(who, advice, "whoami", "--json")
    try:
        url = json.loads(answer.stdout).get("url")
    except (ValueError, AttributeError):
        url = None
    url = url if isinstance(url, str) and url else None
    shown = redaction.shown_url(url) if url else login
    return Backend(None, f"Using the backend you are logged in to: {shown}", seen=url)


def secrets_without_terminal(
    stack: str, environment: Mapping[str, str], *, stacks: Path | None = None
) -> str | None:
    """Why `stack`'s secrets provider cannot work without a terminal, with the fix; None
    when it can.

    The passphrase provider (the stack file's `encryptionsalt:`; the default of a new stack
    on a self-managed backend) reads PULUMI_CONFIG_PASSPHRASE, else the file
    PULUMI_CONFIG_PASSPHRASE_FILE names, else asks at a terminal, and fails without one
    (pkg/secrets/passphrase/manager.go readPassphrase). The others (`secretsprovider:`:
    Pulumi Cloud's, awskms, azurekeyvault, gcpkms, hashivault) need no terminal.
    """
    path = stack_file(stack, stacks or STACKS)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return f"{path.name} cannot be read ({type(error).__name__}): fix or restore it"
    document = document if isinstance(document, dict) else {}
    provider = document.get("secretsprovider")
    # `default` with an encryptionsalt is the passphrase too (pkg/cmd/pulumi/stack/secrets.go
    # GetSecretsManager @ 1b5949891b3cefcb9974752b24a5ecef0acc86c8).
    if provider and provider not in ("passphrase", "default"):
        return None
    if document.get("encryptionsalt"):
        why = (
            f"stack {stack}'s secrets are encrypted with a passphrase ({path.name} has "
            "encryptionsalt)"
        )
    else:
        backend = pulumi_environment(environment).get("PULUMI_BACKEND_URL") or ""
        if backend.split("://", 1)[0] not in SELF_MANAGED_SCHEMES:
            return None
        why = (
            f"stack {stack} gets the passphrase secrets provider of its backend "
            f"{redaction.shown_url(backend)} "
            f"({path.name} records none yet)"
        )
    if "PULUMI_CONFIG_PASSPHRASE" in environment:
        return None
    named = environment.get("PULUMI_CONFIG_PASSPHRASE_FILE", "")
    if named:
        try:
            Path(named).read_bytes()
        except OSError as error:
            return (
                f"{why}, and PULUMI_CONFIG_PASSPHRASE_FILE names {named}, which cannot be read "
                f"({error.strerror}): point it at the file that holds the passphrase"
            )
        return None
    return (
        f"{why}, and without a terminal nothing can ask for it: set PULUMI_CONFIG_PASSPHRASE "
        "or PULUMI_CONFIG_PASSPHRASE_FILE (a file holding it), then run this again"
    )


def backend_command(
    pulumi: Pulumi, advice: str, *arguments: str, refused: bool = True
) -> subprocess.CompletedProcess[str]:
    """A pulumi command scripts/up asks the backend; one that could not run, or (`refused`)
    failed, is a BackendError with its message and `advice`."""
    try:
        done = pulumi.capture(*arguments)
    except ChildError as failed:
        raise BackendError(f"{failed}. {advice}") from None
    if refused and done.returncode != 0:
        raise refusal(done, advice, *arguments)
    return done


def refusal(done: subprocess.CompletedProcess[str], advice: str, *arguments: str) -> BackendError:
    shown = " ".join(argument for argument in arguments if argument != "--json")
    return BackendError(
        f"`pulumi {shown}` failed with exit code {done.returncode}: "
        f"{child_message(done.stderr)}. {advice}"
    )


def select_stack(executable: str, stack: str, environment: Mapping[str, str]) -> str | None:
    """Select `stack`; create it only when the backend has none of that name, and say so.
    What was created, or None; BackendError when it cannot be selected."""
    pulumi = Pulumi(executable, None, dict(environment))
    where = pulumi.child_environment().get("PULUMI_BACKEND_URL") or "of your Pulumi login"
    advice = f"Nothing was changed; fix that (docs/backends.md) and run scripts/up {stack} again."
    selected = backend_command(pulumi, advice, "stack", "select", stack, refused=False)
    if selected.returncode == 0:
        return None
    # The CLI's StackNotFoundError (pkg/backend/backenderr/backenderr.go); any other failure
    # (the backend unreachable, no access) must not create a stack.
    if "no stack named '" not in selected.stderr:
        raise refusal(selected, advice, "stack", "select", stack)
    backend_command(pulumi, advice, "stack", "init", stack)
    return f"Created stack {stack} in backend {redaction.shown_url(where)}."


def main(argv: Sequence[str] | None = None) -> int:
    """`scripts/up`'s backend and stack.

    `backend STACK` says the choice on stderr and prints the backend's URL (empty: the
    login's), then `passphrase` when one must be asked at this terminal. `select STACK`
    selects the stack, creating it only when it does not exist, and says so.
    """
    command = Parser(usage_exit=64, prog="python -m providers.cli")
    command.add_argument(
        "action",
        choices=["backend", "select"],
        help="backend: choose the backend for STACK; select: select STACK, creating it if it "
        "does not exist",
    )
    command.add_argument("stack")
    arguments = command.parse_args(argv)
    executable = pulumi_executable()
    if executable is None:
        print(f"the pulumi CLI is not on PATH; install it ({PULUMI_INSTALL_URL})", file=sys.stderr)
        return STOPPED
    try:
        if arguments.action == "select":
            if created := select_stack(executable, arguments.stack, os.environ):
                print(created, file=sys.stderr)
            return 0
        chosen = choose_backend(executable, os.environ)
    except BackendError as error:
        print(f"druva-scim up: {error}", file=sys.stderr)
        return STOPPED
    seen = chosen.url or chosen.seen
    environment = {**os.environ, **({"PULUMI_BACKEND_URL": seen} if seen else {})}
    problem = secrets_without_terminal(arguments.stack, environment)
    if problem and not sys.stdin.isatty():
        print(f"druva-scim up: {problem}. Nothing was changed.", file=sys.stderr)
        return STOPPED
    store_backend(chosen)
    print(chosen.said, file=sys.stderr)
    print(chosen.url or "")
    print("passphrase" if problem else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
