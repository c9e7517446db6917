"""A stand-in `pulumi` executable for the gate and the rotation helper.

It is a small Python script written into a temporary folder that a test puts
first on PATH. Each run appends what it was given (argv, stdin, environment) to
calls.jsonl and answers the few commands the tools use the way the CLI does:

- `config set --secret KEY` with no value reads the value from stdin up to the
  line break, and fails on end of input without one, as the CLI's plain console
  reader does;
- `config set KEY VALUE` and `config set --path PATH VALUE` store the value (the
  path as one flat key); `config set --secret --path PATH` reads it from stdin;
- `config set-all --json JSON` stores each key's `value` in one write, refusing them all
  when one has none, as the CLI does (pulumi/pulumi pkg/cmd/pulumi/config/config.go
  newConfigSetAllCmd at 1b5949891b3cefcb9974752b24a5ecef0acc86c8);
- `config get KEY` prints the value, or fails as the CLI does for a missing key;
- `version` prints state's `version` (the pinned one by default);
- `stack --show-name` prints the selected stack;
- `up` deploys the configured token and issuedAt;
- `stack output --json` prints the outputs (the token only as "[secret]");
- `stack output NAME` prints one output;
- `whoami` answers as a logged-in user unless state says `logged_in: false`; with
  `--json`, `{"user", "url"}` (whoami.go whoAmIJSON), the url PULUMI_BACKEND_URL's, else
  state's `login` (Pulumi Cloud by default). Whether a login exists at all is the
  credentials file's to say, which scripts/up reads itself;
- `stack select --create NAME` selects (or makes) a stack;
- `stack select NAME` selects it, or fails as the CLI's StackNotFoundError does when
  state's `stacks` (every name, when absent) lacks it; `stack init NAME` makes it, and on a
  file:// backend without PULUMI_CONFIG_PASSPHRASE(_FILE) or a terminal fails with the
  passphrase provider's message (pkg/secrets/passphrase/manager.go readPassphrase).
- `stack ls --json` lists `stacks` (default: the selected one) as the CLI's stackSummaryJSON;
- `config --json` lists the config as the CLI's configValueJSON: a secret (`config set --secret`,
  or a key in `secret_keys`) without its value, a structured value (a list or object in
  state, or keys set with `--path`, folded into their top-level key) with `objectValue`;
- `preview` previews: it saves `--config KEY=VALUE` pairs first, as the CLI does, then fails as
  the program does when the stack has no token, unless DRUVA_SCIM_PREFLIGHT is set (the
  pre-flight's placeholder, providers/program.py); it changes nothing else.

With `passphrase: true` the stack's secrets are kept with a passphrase: what needs the
secrets manager (`config set --secret`, `config get` of a secret, `preview`, `up`) fails as
the CLI does without a terminal unless PULUMI_CONFIG_PASSPHRASE or
PULUMI_CONFIG_PASSPHRASE_FILE is set (pulumi/pulumi pkg/secrets/passphrase/manager.go
readPassphrase @ 1b5949891b3cefcb9974752b24a5ecef0acc86c8).

state.json holds the stand-in's config and deployment; `fail` maps a command
prefix (e.g. "config set --secret") to an exit code and message; `stall` maps a
command prefix to seconds it waits before doing anything (a hung backend).

With `up_cancels_on_interrupt`, `up` behaves as the CLI does on Ctrl-C: it writes
up-started once its SIGINT handler is in place and waits; the first SIGINT starts
its cancellation, which takes CANCEL_SECONDS; then it writes up-cancelled.json
(every SIGINT it saw) and exits 255 without deploying. A CLI killed before that
leaves no up-cancelled.json.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = r"""#!{python}
import hashlib
import json
import os
import re
import signal
import sys
import time
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.path.join(HERE, "state.json")
CALLS = os.path.join(HERE, "calls.jsonl")

with open(STATE) as handle:
    state = json.load(handle)

arguments = sys.argv[1:]
stack = None
if "--stack" in arguments:
    at = arguments.index("--stack")
    stack = arguments[at + 1]
    arguments = arguments[:at] + arguments[at + 2:]
command = " ".join(arguments)

stdin = ""
reads_value = arguments[:3] == ["config", "set", "--secret"] and len(arguments) == 4
# A secret leaf of a list (`--secret --path KEY`), its value on stdin as well.
reads_value = reads_value or (
    arguments[:4] == ["config", "set", "--secret", "--path"] and len(arguments) == 5
)
if reads_value:
    while True:
        character = sys.stdin.read(1)
        if character == "":
            break
        stdin += character
        if character == "\n":
            break

with open(CALLS, "a") as handle:
    handle.write(json.dumps({{
        "argv": sys.argv, "command": command, "stack": stack, "stdin": stdin,
        "env": dict(os.environ), "cwd": os.getcwd(), "pid": os.getpid(),
    }}) + "\n")


def save():
    with open(STATE, "w") as handle:
        json.dump(state, handle)


def fingerprint(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def outputs():
    if "outputs" in state:
        return state["outputs"]
    deployed = state.get("deployed") or {{}}
    if "token" not in deployed:
        return {{}}
    issued = datetime.strptime(deployed["issuedAt"], "%Y-%m-%dT%H:%M:%SZ")
    issued = issued.replace(tzinfo=timezone.utc)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {{
        "tenantUrl": "https://apis.druva.com/insync/scim",
        "tokenFingerprint": fingerprint(deployed["token"]),
        "issuedAt": deployed["issuedAt"],
        "expiresAt": stamp(issued + timedelta(days=365)),
        "rotateAfter": stamp(issued + timedelta(days=335)),
        "scimToken": "[secret]",
        "targets": [],
        "pendingManualSteps": state.get("pendingManualSteps", []),
    }}


for prefix, seconds in state.get("stall", {{}}).items():
    if command.startswith(prefix):
        time.sleep(seconds)

for prefix, failure in state.get("fail", {{}}).items():
    if command.startswith(prefix):
        sys.stderr.write(failure["message"] + "\n")
        sys.exit(failure["code"])

config = state.setdefault("config", {{}})
secret_keys = state.setdefault("secret_keys", [])


def top_key(key):
    return re.split(r"[\[.]", key.split(":", 1)[-1], maxsplit=1)[0]


def is_secret(key):
    namespace = key.split(":", 1)[0]
    return any(
        item == key or (item.split(":", 1)[0] == namespace and top_key(item) == top_key(key))
        for item in secret_keys
    )


def needs_passphrase():
    if not state.get("passphrase"):
        return
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        return
    sys.stderr.write("error: get stack secrets manager: passphrase must be set with "
                     "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment "
                     "variables\n")
    sys.exit(255)


def shown(value):
    return value if isinstance(value, str) else json.dumps(value)


def fold(target, steps, value):
    # One `--path` key (`azureApps[0].name`) into its top-level value, as the CLI keeps it.
    for at, (index, name) in enumerate(steps):
        last = at == len(steps) - 1
        place = int(index) if index else name
        if index:
            while len(target) <= place:
                target.append(None)
        following = steps[at + 1] if not last else None
        empty = ([] if following and following[0] else dict()) if not last else value
        if isinstance(target, list):
            if last or target[place] is None:
                target[place] = empty
        elif last or place not in target:
            target[place] = empty
        target = target[place]


def listed(secrets_shown=False):
    found = dict()
    for key in sorted(config):
        namespace, _, rest = key.partition(":")
        top = top_key(key)
        name = namespace + ":" + top
        steps = re.findall(r"\[(\d+)\]|\.([A-Za-z0-9_]+)", rest[len(top):])
        entry = found.setdefault(name, dict(secret=is_secret(key)))
        if steps:
            first = steps[0]
            entry.setdefault("objectValue", [] if first[0] else dict())
            fold(entry["objectValue"], steps, config[key])
        elif isinstance(config[key], (list, dict)):
            entry["objectValue"] = config[key]
        else:
            entry["value"] = config[key]
    for entry in found.values():
        if "objectValue" in entry:
            entry["value"] = json.dumps(entry["objectValue"])
        if entry["secret"] and not secrets_shown:
            entry.pop("value", None)
            entry.pop("objectValue", None)
    return found


def stacks():
    return state["stacks"] if "stacks" in state else [state.get("selected", "dev")]


if reads_value:
    needs_passphrase()
    if not stdin.endswith("\n"):
        sys.stderr.write("error: EOF\n")
        sys.exit(255)
    sys.stdout.write("value: \n")
    key = arguments[-1]
    config[key] = stdin[:-1]
    if key not in secret_keys:
        secret_keys.append(key)
    save()
elif arguments[:3] == ["config", "set-all", "--json"] and len(arguments) == 4:
    # Each key's `value`, as `pulumi config --json` prints it (an object's value is its JSON).
    given = json.loads(arguments[3])
    if any(entry.get("value") is None for entry in given.values()):
        sys.stderr.write("error: value for --json object key is nil\n")
        sys.exit(255)
    config.update({{key: entry["value"] for key, entry in given.items()}})
    save()
elif arguments[:2] == ["config", "set"] and len(arguments) == 4:
    config[arguments[2]] = arguments[3]
    save()
elif arguments[:3] == ["config", "set", "--path"] and len(arguments) == 5:
    config[arguments[3]] = arguments[4]
    save()
elif arguments[:2] == ["config", "get"] and len(arguments) == 3:
    if arguments[2] not in listed(secrets_shown=True):
        sys.stderr.write("error: configuration key '" + arguments[2] + "' not found for stack '"
                         + str(stack or state.get("selected")) + "'\n")
        sys.exit(255)
    if is_secret(arguments[2]):
        needs_passphrase()
    sys.stdout.write(listed(secrets_shown=True)[arguments[2]]["value"] + "\n")
elif arguments == ["config", "--json"]:
    sys.stdout.write(json.dumps(listed(), indent=2) + "\n")
elif arguments == ["version"]:
    sys.stdout.write("v" + state.get("version", {pinned!r}) + "\n")
elif arguments == ["stack", "--show-name"]:
    sys.stdout.write(str(state.get("selected", "dev")) + "\n")
elif arguments[:1] == ["up"] and state.get("up_cancels_on_interrupt"):
    interrupts = []
    signal.signal(signal.SIGINT, lambda number, frame: interrupts.append(time.time()))
    open(os.path.join(HERE, "up-started"), "w").close()
    waited = time.time() + 20
    while not interrupts and time.time() < waited:
        time.sleep(0.02)
    if not interrupts:
        sys.exit(70)
    sys.stderr.write("^C received; cancelling the update\n")
    cancelled = interrupts[0] + {cancel_seconds}
    while time.time() < cancelled:
        time.sleep(0.02)
    with open(os.path.join(HERE, "up-cancelled.json"), "w") as handle:
        json.dump({{"interrupts": len(interrupts)}}, handle)
    sys.stderr.write("error: update canceled\n")
    sys.exit(255)
elif arguments[:1] == ["preview"]:
    given = [arguments[at + 1] for at, word in enumerate(arguments[:-1]) if word in ("--config", "-c")]
    for pair in given:
        key, _, value = pair.partition("=")
        config[key] = value
    if given:
        save()
    needs_passphrase()
    if "druva-scim:scimToken" not in config and not os.environ.get("DRUVA_SCIM_PREFLIGHT"):
        sys.stdout.write("Previewing update (" + str(stack) + ")\n")
        sys.stderr.write("error: druva-scim:scimToken: is not set; paste the token from the "
                         "Druva console with `pulumi config set --secret druva-scim:scimToken`\n")
        sys.exit(255)
    sys.stdout.write("Previewing update (" + str(stack) + ")\n    Resources:\n        + 4 to create\n")
elif arguments[:1] == ["up"]:
    needs_passphrase()
    token = config.get("druva-scim:scimToken")
    if token is None:
        sys.stderr.write("error: missing required configuration variable 'druva-scim:scimToken'\n")
        sys.exit(255)
    state["deployed"] = {{"token": token, "issuedAt": config.get("druva-scim:issuedAt")}}
    save()
    sys.stdout.write("Updating (" + str(stack) + ")\n    Resources:\n        1 replaced\n")
elif arguments in (["whoami"], ["whoami", "--json"]):
    if state.get("logged_in", True) is False:
        sys.stderr.write("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n")
        sys.exit(255)
    # A self-managed backend's URL as it is; for Pulumi Cloud the console page of the user
    # (whoami.go `b.URL()`; httpstate/backend.go `URL` returns `cloudConsoleURL`).
    url = (
        os.environ.get("PULUMI_BACKEND_URL")
        or state.get("backend_url")
        or state.get("login", "https://app.pulumi.com/alice")
    )
    answer = json.dumps({{"user": "alice", "url": url}}) if "--json" in arguments else "alice"
    sys.stdout.write(answer + "\n")
elif arguments[:3] == ["stack", "select", "--create"] and len(arguments) == 4:
    state["selected"] = arguments[3]
    if arguments[3] not in stacks():
        state["stacks"] = stacks() + [arguments[3]]
    save()
elif arguments[:2] == ["stack", "select"] and len(arguments) == 3:
    if "stacks" in state and arguments[2] not in stacks():
        sys.stderr.write("error: no stack named '" + arguments[2] + "' found\n")
        sys.exit(255)
    state["selected"] = arguments[2]
    save()
elif arguments[:2] == ["stack", "init"] and len(arguments) == 3:
    self_managed = os.environ.get("PULUMI_BACKEND_URL", "").startswith("file://")
    if self_managed and "PULUMI_CONFIG_PASSPHRASE" not in os.environ and not (
        os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE") or sys.stdin.isatty()
    ):
        sys.stderr.write("error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                         "PULUMI_CONFIG_PASSPHRASE_FILE environment variables\n")
        sys.exit(255)
    state["stacks"] = [*state.get("stacks", []), arguments[2]]
    state["selected"] = arguments[2]
    save()
elif arguments == ["stack", "ls", "--json"]:
    selected = state.get("selected", "dev")
    summaries = [dict(name=name, current=name == selected, updateInProgress=False,
                      resourceCount=len(state.get("deployed") or dict()))
                 for name in sorted(stacks())]
    sys.stdout.write(json.dumps(summaries, indent=4) + "\n")
elif arguments[:3] == ["stack", "output", "--json"]:
    sys.stdout.write(json.dumps(outputs(), indent=4) + "\n")
elif arguments[:2] == ["stack", "output"] and len(arguments) == 3:
    value = outputs().get(arguments[2])
    if value is None:
        sys.stderr.write("error: current stack does not have output property '"
                         + arguments[2] + "'\n")
        sys.exit(255)
    sys.stdout.write(str(value) + "\n")
else:
    sys.stderr.write("stand-in pulumi: unexpected command: " + command + "\n")
    sys.exit(64)
"""


CANCEL_SECONDS = 1.0
"""How long the stand-in's `up` takes to cancel after a Ctrl-C."""


@dataclass(frozen=True)
class PulumiStandIn:
    directory: Path

    @property
    def state_file(self) -> Path:
        return self.directory / "state.json"

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))

    def calls(self) -> list[dict[str, Any]]:
        calls_file = self.directory / "calls.jsonl"
        if not calls_file.exists():
            return []
        return [json.loads(line) for line in calls_file.read_text().splitlines()]

    def commands(self) -> list[str]:
        return [call["command"] for call in self.calls()]

    def cancelled(self) -> dict[str, Any] | None:
        """What `up` recorded when it finished cancelling; None if it never did."""
        done = self.directory / "up-cancelled.json"
        if not done.exists():
            return None
        recorded: dict[str, Any] = json.loads(done.read_text())
        return recorded

    def up_started(self) -> bool:
        return (self.directory / "up-started").exists()

    def path_first(self) -> str:
        """A PATH with this stand-in first."""
        return f"{self.directory}{os.pathsep}{os.environ.get('PATH', '')}"


def install(directory: Path, state: dict[str, Any] | None = None) -> PulumiStandIn:
    directory.mkdir(parents=True, exist_ok=True)
    executable = directory / "pulumi"
    pinned = (Path(__file__).resolve().parents[2] / ".pulumi.version").read_text().strip()
    executable.write_text(
        SCRIPT.format(python=sys.executable, cancel_seconds=CANCEL_SECONDS, pinned=pinned)
    )
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    stand_in = PulumiStandIn(directory)
    stand_in.set_state(state or {})
    return stand_in
