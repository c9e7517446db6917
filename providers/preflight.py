"""Command line: the pre-flight, everything that can fail checked before New Token is clicked.

    python -m providers.preflight --stack STACK [--json]

Druva ends the old token the moment New Token is clicked, so whatever can fail must fail
before then. The pre-flight changes nothing: it reads and previews. One line per item
and a verdict; any failure says what to fix and NOT_READY. The rotation helper and the
guided first run run it first and ask for the token only after READY.

The items, in order (docs/preflight.md): the pinned CLI; the backend and the stack on it;
the secrets provider without a terminal; a preview (on a stack with no token yet, with the
program's placeholder, PREFLIGHT_VARIABLE); each Azure app's provisioning job and the keys
of its provisioning credentials (`extra_keys`: what `pulumi up` would erase); each Okta
api-mode app's org, credentials and connection; the apps that will need a hand (`manual`).
The first three stop it at their first failure (nothing after can run); the others all run.
Every pulumi command has a timeout (providers/cli.py), every request to Azure and Okta a
deadline within one run's (providers/deadline.py), and every line is redacted of the values
read from the stack and the credentials of the environment.

The rotation helper and the guided first run import this module, and the command lines reach
nothing but the core and providers/cli.py (tests/test_layout.py): what talks HTTP, or runs
the installer's version check, is imported where an item needs it.

Exit codes: 0 ready; 1 not ready (nothing was changed).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml  # type: ignore[import-untyped]

from providers import cli
from providers.core import apps, redaction, settings, texts
from providers.core.apps import Apps, AzureApp, OktaApp, SignIn
from providers.core.errors import ProviderError
from providers.core.texts import (
    NEW_FINGERPRINT,
    PENDING_APPS_VARIABLE,
    PREFLIGHT_VARIABLE,
    TOKEN_KEY,
)

if TYPE_CHECKING:
    import requests
    from azure.core.credentials import TokenCredential

    from providers.azure.graph import Graph, Job
    from providers.http import HttpPolicy
    from providers.okta.api import Connection
    from providers.okta.sign_in import OktaAuthorization

READY = "Ready: now click New Token in the Druva console, then paste it here."
NOT_READY = "nothing was changed: do not generate a token yet"
READY_EXIT, NOT_READY_EXIT = 0, 1
EXIT_CODES = {
    READY_EXIT: "ready: every item passed",
    NOT_READY_EXIT: "not ready: an item failed, or the command line was wrong; nothing was changed",
}

PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
PREVIEW_SECONDS = 900.0
"""A preview that runs longer is stopped: its first run also installs the provider plugins."""
RUN_SECONDS = 300.0
"""Every read of Azure and Okta together, each app's within it."""
RUN_BOUND = "the bound on the pre-flight's reads of Azure and Okta"
CRASHED = (
    "the pre-flight stopped on an unexpected error ({kind}); run it again, and report it if it "
    "persists"
)

CLI, BACKEND, SECRETS, PREVIEW, APPS, HANDOFFS = (
    "Pulumi CLI",
    "backend",
    "secrets provider",
    "preview",
    "apps",
    "hand-offs",
)


@dataclass(frozen=True)
class Item:
    """One thing proved, or not, before the click."""

    name: str
    ok: bool
    detail: str
    """What was found; when not ok, what to fix."""

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


@dataclass(frozen=True)
class Report:
    items: tuple[Item, ...] = ()
    extra_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per Azure app name: the synchronization secret keys the app holds in Azure that the
    configuration does not carry (the first `up` would erase them)."""
    manual: tuple[str, ...] = ()
    """Each app that will need a hand after the rotation, with what will be asked."""

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)

    def lines(self) -> list[str]:
        verdict = READY if self.ok else f"Not ready: {NOT_READY}."
        return [item.line() for item in self.items] + [verdict]

    def as_json(self) -> dict[str, Any]:
        """What `--json` prints (docs/preflight.md)."""
        return {
            "ok": self.ok,
            "verdict": self.lines()[-1],
            "items": [{"name": i.name, "ok": i.ok, "detail": i.detail} for i in self.items],
            "extraKeys": {name: list(keys) for name, keys in self.extra_keys.items()},
            "manual": list(self.manual),
        }


CredentialFactory = Callable[[str, str | None, str | None], "TokenCredential"]
"""(Graph URL, tenant id, client id) -> a credential."""


def _same(url: str) -> str:
    return url


@dataclass(frozen=True)
class Surroundings:
    """Where the pre-flight finds the stack files, Microsoft Graph and Okta, and how it signs in:
    as `pulumi up` does, from the environment, unless a test says otherwise."""

    stacks: Path = cli.STACKS
    policy: HttpPolicy | None = None
    """None: the HTTP policy the checks of `pulumi up` use."""
    credential: CredentialFactory | None = None
    """None: the environment's credential, chosen as the azuread provider chooses."""
    graph_url: Callable[[str], str] = _same
    """Where Graph is asked, for the Graph URL the configuration gives."""
    okta_url: Callable[[str], str] = _same
    """Where an Okta org is asked, for its URL in the configuration."""
    command_seconds: float = cli.PULUMI_TIMEOUT_SECONDS
    """A pulumi command that runs longer is stopped (the backend may hang)."""
    preview_seconds: float = PREVIEW_SECONDS


def preflight(
    stack: str,
    environment: Mapping[str, str],
    surroundings: Surroundings | None = None,
    pending: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> Report:
    """Check everything the rotation of `stack` needs, changing nothing. `pending`: apps not
    stored yet, by setting (the guided first run's), checked as if the stack listed them."""
    return _Preflight(
        stack, dict(environment), surroundings or Surroundings(), pending or {}
    ).report()


class _Preflight:
    """One pre-flight of one stack: the items in order, and what it learnt on the way."""

    def __init__(
        self,
        stack: str,
        environment: dict[str, str],
        surroundings: Surroundings,
        pending: Mapping[str, Sequence[Mapping[str, Any]]],
    ) -> None:
        self.stack = stack
        self.pending = {key: [dict(entry) for entry in entries] for key, entries in pending.items()}
        self.environment = environment
        self.surroundings = surroundings
        self.executable = cli.pulumi_executable()
        self.listed: dict[str, Any] = {}
        """`pulumi config --json` of the stack."""
        self.read: list[str] = []
        """Values read from the stack (a secret decrypted, secret settings): kept out of lines."""

    def pulumi(self, stack: str | None) -> cli.Pulumi:
        environment = dict(self.environment)
        return cli.Pulumi(
            self.executable or "pulumi", stack, environment, self.surroundings.command_seconds
        )

    def report(self) -> Report:
        items, extra, manual = self.checked()
        # Redacted last, of everything read on the way: a line may quote what a later item read.
        shown = tuple(Item(i.name, i.ok, self.redacted(i.detail)) for i in items)
        return Report(shown, extra, tuple(self.redacted(entry) for entry in manual))

    def checked(self) -> tuple[list[Item], dict[str, tuple[str, ...]], list[str]]:
        """The items in order, the keys `pulumi up` would erase, and the hand-offs' steps."""
        items: list[Item] = []
        for name, step in (
            (CLI, self.cli_item),
            (BACKEND, self.backend_item),
            (SECRETS, self.secrets_item),
        ):
            items.append(stalled(name, step))
            if not items[-1].ok:
                return items, {}, []
        try:
            found, problems = self.apps()
        except cli.ChildError as failed:
            found, problems = Apps(), [f"{failed}; run this again"]
        items.append(stalled(PREVIEW, self.preview_item))
        if problems:
            return [*items, Item(APPS, False, "; ".join(problems))], {}, []
        vendors, extra, refused = self.vendor_items(found)
        manual = self.manual(found, refused)
        names = ", ".join(entry.split(" (", 1)[0] for entry in manual)
        handoffs = (
            f"{len(manual)} app(s) will need a hand after `pulumi up` ({names}): the steps follow"
            if manual
            else "no app will need a hand"
        )
        return [*items, *vendors, Item(HANDOFFS, True, handoffs)], extra, manual

    # --- 1 to 3: the CLI, the backend, the secrets provider --------------------------------

    def cli_item(self) -> Item:
        from providers import install  # noqa: PLC0415  (its HTTP client: see the docstring)

        try:
            version = install.pinned_version(install.VERSION_FILE)
        except install.InstallError as error:
            return Item(CLI, False, str(error))
        pinned = install.install_root(version, self.environment) / "bin"
        fix = (
            f"put {pinned} first on PATH (scripts/up installs {version} there and uses it), or "
            f"{cli.manual_install(version)}"
        )
        if self.executable is None:
            return Item(CLI, False, f"pulumi is not on PATH: {fix}")
        problem = install.problem(Path(self.executable), version, install.VERSION_SECONDS)
        if problem:
            return Item(CLI, False, f"{problem}: {fix}")
        return Item(CLI, True, f"{self.executable} reports the pinned {version}")

    def backend_item(self) -> Item:
        who = self.pulumi(None).capture("whoami", "--json")
        if who.returncode != 0:
            return Item(
                BACKEND,
                False,
                f"`pulumi whoami` failed (exit code {who.returncode}): {self.child(who)}; log in "
                "to this project's backend (`pulumi login`, docs/preflight.md), then run this "
                "again",
            )
        document = _json(who.stdout)
        user = document.get("user") if isinstance(document, dict) else None
        where = (
            redaction.shown_url(str(document.get("url") or ""))
            if isinstance(document, dict)
            else ""
        )
        listed = self.pulumi(None).capture("stack", "ls", "--json")
        if listed.returncode != 0:
            return Item(
                BACKEND,
                False,
                f"`pulumi stack ls --json` failed (exit code {listed.returncode}): "
                f"{self.child(listed)}; check the login to {where or 'the backend'}, then run "
                "this again",
            )
        summaries = _json(listed.stdout)
        names = [
            str(entry.get("name"))
            for entry in (summaries if isinstance(summaries, list) else [])
            if isinstance(entry, dict)
        ]
        if not any(same_stack(name, self.stack) for name in names):
            return Item(
                BACKEND,
                False,
                f"{where or 'the backend'} has no stack {self.stack} (it holds: "
                f"{', '.join(names) or 'none'}): log in to the backend that holds it "
                f"(`pulumi login <url>`), or create it on purpose with `pulumi stack init "
                f"{self.stack}`; the pre-flight never creates a stack",
            )
        return Item(BACKEND, True, f"logged in to {where} as {user}; stack {self.stack} is there")

    def secrets_item(self) -> Item:
        provider, passphrase = secrets_provider(self.stack_file())
        kind = "the passphrase" if passphrase else describe(provider)
        fix = (
            f"set {' or '.join(PASSPHRASE_VARIABLES)} (the passphrase, or a file that holds "
            "it) in this environment"
            if passphrase
            else f"give this environment what {kind} needs to decrypt (docs/preflight.md)"
        )
        # The one decision scripts/up makes too (a passphrase, given or readable, or none needed).
        problem = cli.secrets_without_terminal(
            self.stack, self.environment, stacks=self.surroundings.stacks
        )
        if problem:
            return Item(SECRETS, False, problem)
        listed = self.pulumi(self.stack).capture("config", "--json")
        document = _json(listed.stdout)
        if listed.returncode != 0 or not isinstance(document, dict):
            return Item(
                SECRETS,
                False,
                f"`pulumi config --json` failed (exit code {listed.returncode}): "
                f"{self.child(listed)}; {fix}, then run this again",
            )
        self.listed = document
        secure = sorted(key for key, entry in document.items() if _secret(entry))
        if not secure:
            return Item(SECRETS, True, f"no secret stored yet; the preview asks {kind}")
        key = TOKEN_KEY if TOKEN_KEY in secure else secure[0]
        # Its value (the token, mostly) is never shown: it is only kept out of every line.
        got = self.pulumi(self.stack).capture("config", "get", key)
        if got.returncode != 0:
            return Item(
                SECRETS,
                False,
                f"`pulumi config get {key}` could not decrypt it without a terminal (exit code "
                f"{got.returncode}): {self.child(got)}; {fix}, then run this again",
            )
        self.read.append(got.stdout.strip())
        return Item(SECRETS, True, f"{kind} decrypts {key} with no terminal")

    # --- 4: the preview --------------------------------------------------------------------

    def preview_item(self) -> Item:
        environment = dict(self.environment)
        placeholder = TOKEN_KEY not in self.listed
        if placeholder:
            environment[PREFLIGHT_VARIABLE] = "1"
            if self.pending:
                environment[PENDING_APPS_VARIABLE] = json.dumps(self.pending)
        with_placeholder = (
            " (with a placeholder for the token not yet stored)" if placeholder else ""
        )
        timeout = self.surroundings.preview_seconds
        preview = cli.Pulumi(self.executable or "pulumi", self.stack, environment, timeout)
        # Never `--config`: the CLI saves what it is given there before it previews.
        done = preview.capture("preview", "--non-interactive")
        if done.returncode != 0:
            return Item(
                PREVIEW,
                False,
                f"`pulumi preview`{with_placeholder} failed (exit code {done.returncode}): "
                f"{self.child(done, errors_only=True)}; fix what it reports, then run this again",
            )
        return Item(
            PREVIEW,
            True,
            f"every resource passed its provider's Check{with_placeholder}; a preview stores "
            "no state and no config",
        )

    # --- 5 to 7: the apps ------------------------------------------------------------------

    def apps(self) -> tuple[Apps, list[str]]:
        """The stack's apps, as the program reads them; the problems, each naming its key."""
        values: dict[str, object] = {}
        prefix = f"{texts.NAMESPACE}:"
        for name, entry in self.listed.items():
            key = name.removeprefix(prefix)
            if name == key or key not in apps.APP_KEYS or not isinstance(entry, dict):
                continue
            if _secret(entry):
                # A secret setting (extraSecrets in it): read, its secrets never shown.
                got = self.pulumi(self.stack).capture("config", "get", name)
                if got.returncode != 0:
                    return Apps(), [f"`pulumi config get {name}` failed: {self.child(got)}"]
                values[key] = settings.decoded(got.stdout.strip())
                self.read.extend(secret_texts(values[key]))
            elif "objectValue" in entry:
                values[key] = entry["objectValue"]
            else:
                values[key] = settings.decoded(entry.get("value"))
        for key, entries in self.pending.items():
            values.setdefault(key, entries)
        found, problems = apps.parse_apps(values)
        return found, [str(problem) for problem in problems]

    def vendor_items(
        self, found: Apps
    ) -> tuple[list[Item], dict[str, tuple[str, ...]], list[OktaApp]]:
        """Items 5 and 6 within one deadline: each Azure app's and each Okta api app's line,
        the keys the Azure apps would lose, and the Okta apps whose API refuses the token."""
        from providers import deadline  # noqa: PLC0415  (HTTP: see the docstring)

        with deadline.run(RUN_SECONDS, RUN_BOUND):
            azure, extra = self.azure_items(found)
            okta, refused = self.okta_items(found)
        return [*azure, *okta], extra, refused

    def azure_items(self, found: Apps) -> tuple[list[Item], dict[str, tuple[str, ...]]]:
        from providers.http import HttpPolicy, new_session  # noqa: PLC0415

        if not found.azure_apps:
            return [Item("Azure", True, f"no apps in {texts.NAMESPACE}:azureApps")], {}
        policy = self.surroundings.policy or HttpPolicy()
        items: list[Item] = []
        extra: dict[str, tuple[str, ...]] = {}
        bearers: dict[tuple[str, str | None, str | None], str] = {}
        with new_session(policy) as session:
            for index, app in enumerate(found.azure_apps):
                name = f"Azure app {app.name}"
                try:
                    job, held = self.azure_app(session, app, found, bearers, policy)
                except ProviderError as error:
                    items.append(Item(name, False, str(error)))
                    continue
                lost = tuple(erased(held, app))
                if lost:
                    extra[app.name] = lost
                items.append(Item(name, True, azure_detail(job, held, lost, index)))
        return items, extra

    def azure_sign_in(self, app: AzureApp, found: Apps) -> SignIn:
        """Where the app's check signs in, as the program gives it."""
        tenant = found.azure_tenants.get(app.tenant or "")
        if tenant is not None:
            return SignIn(tenant.graph_url, tenant.tenant_id, tenant.client_id)
        chosen = (
            self.value("azuread:environment") or self.environment.get("ARM_ENVIRONMENT") or "global"
        )
        if chosen not in apps.AZURE_ENVIRONMENTS:
            raise ProviderError(
                f"the default azuread provider's environment {chosen!r} (azuread:environment or "
                f"ARM_ENVIRONMENT) is not one of {', '.join(apps.AZURE_ENVIRONMENTS)}"
            )
        return SignIn(
            apps.AZURE_ENVIRONMENTS[chosen],
            self.value("azuread:tenantId"),
            self.value("azuread:clientId"),
        )

    def bearer(self, sign_in: SignIn, policy: HttpPolicy) -> str:
        from providers.azure import sign_in as azure  # noqa: PLC0415

        graph_url, tenant_id, client_id = sign_in
        credential = (
            self.surroundings.credential(graph_url, tenant_id, client_id)
            if self.surroundings.credential
            else azure.azure_credential(self.environment, graph_url, tenant_id, client_id, policy)
        )
        return azure.access_token(credential, graph_url)

    def azure_app(
        self,
        session: requests.Session,
        app: AzureApp,
        found: Apps,
        bearers: dict[tuple[str, str | None, str | None], str],
        policy: HttpPolicy,
    ) -> tuple[Job, list[str]]:
        """Within one operation's deadline, signed in as the app's check signs in: its
        provisioning job, and the keys of the credentials Azure holds for it."""
        from providers.azure import graph  # noqa: PLC0415
        from providers.deadline import deadline, overrun  # noqa: PLC0415

        sign_in = self.azure_sign_in(app, found)
        graph_url = self.surroundings.graph_url(sign_in.graph_url)
        with deadline(policy.deadline_seconds) as bound:
            if bound.passed():
                raise overrun(bound, f"{graph.WHAT} at {graph_url}")
            if sign_in not in bearers:
                bearers[sign_in] = self.bearer(sign_in, policy)
            client = graph.Graph(
                session, policy, graph_url, bearers[sign_in], app.name, app.service_principal_id
            )
            job = graph.provisioning_job(
                client.jobs(), app_name=app.name, service_principal_id=app.service_principal_id
            )
            return job, secret_keys(client)

    def okta_items(self, found: Apps) -> tuple[list[Item], list[OktaApp]]:
        from providers.http import HttpPolicy, new_session  # noqa: PLC0415
        from providers.okta import api  # noqa: PLC0415
        from providers.okta.api import OktaRetry  # noqa: PLC0415

        chosen = [app for app in found.okta_apps if app.mode == "api"]
        if not chosen:
            return [Item("Okta", True, "no api-mode apps in druva-scim:oktaApps")], []
        policy = self.surroundings.policy or HttpPolicy()
        items: list[Item] = []
        refused: list[OktaApp] = []
        signed_in: dict[str, OktaAuthorization] = {}
        with new_session(policy, retry_class=OktaRetry) as session:
            for app in chosen:
                name = f"Okta app {app.name}"
                org_url = self.org_url(app, found)
                if org_url is None:
                    refused.append(app)
                    items.append(Item(name, False, no_org(app)))
                    continue
                try:
                    read = self.okta_app(session, app, org_url, signed_in, policy)
                except ProviderError as error:
                    refused.append(app)
                    items.append(Item(name, False, str(error)))
                    continue
                if read.unmanaged:
                    # Not a connection the API manages: `pulumi up` would set nothing there.
                    refused.append(app)
                    problem = api.connection_problem(read, app.name)
                    items.append(Item(name, False, str(problem)))
                    continue
                method = signed_in[self.surroundings.okta_url(org_url)].method
                items.append(
                    Item(
                        name,
                        True,
                        f"{org_url} takes {method}; the connection reads {read.status} with "
                        f"{read.auth_scheme} (`pulumi up` sets the token and activates it)",
                    )
                )
        return items, refused

    def okta_app(
        self,
        session: requests.Session,
        app: OktaApp,
        org_url: str,
        signed_in: dict[str, OktaAuthorization],
        policy: HttpPolicy,
    ) -> Connection:
        from providers.core.clock import SYSTEM  # noqa: PLC0415
        from providers.deadline import deadline, overrun  # noqa: PLC0415
        from providers.okta import api, sign_in  # noqa: PLC0415

        asked = self.surroundings.okta_url(org_url)
        with deadline(policy.deadline_seconds) as bound:
            if bound.passed():
                raise overrun(bound, f"Okta at {org_url}")
            if asked not in signed_in:
                # Okta checks a client assertion against its own clock: the machine's.
                signed_in[asked] = sign_in.okta_authorization(
                    self.environment, asked, policy, SYSTEM.now()
                )
            return api.get_connection(
                session, asked, app.app_id, signed_in[asked], policy, app_name=app.name
            )

    def org_url(self, app: OktaApp, found: Apps) -> str | None:
        """The app's org as the program sets its okta provider: its oktaOrgs entry, or the
        default provider's (okta:orgName and okta:baseUrl, or OKTA_ORG_NAME and OKTA_BASE_URL)."""
        org = found.okta_orgs.get(app.org or "")
        if org is not None:
            return org.org_url
        name = self.value("okta:orgName") or self.environment.get("OKTA_ORG_NAME")
        base = self.value("okta:baseUrl") or self.environment.get("OKTA_BASE_URL") or "okta.com"
        return f"https://{name}.{base}" if name else None

    def manual(self, found: Apps, refused: list[OktaApp]) -> list[str]:
        """Each app a person will update after `pulumi up`, with the hand-off's steps."""
        entries = []
        for app in found.okta_apps:
            steps = "; ".join(
                texts.manual_steps(
                    app.name, app.app_id, self.org_url(app, found), NEW_FINGERPRINT, app.index
                )
            )
            if app.mode == "manual":
                entries.append(f"{app.name} ({app.app_id}), by hand after `pulumi up`: {steps}")
            elif app in refused:
                entries.append(
                    f"{app.name} ({app.app_id}), if Okta's API does not take its token (Okta "
                    "takes tokens through its API only for the integrations it lists): set "
                    f"{texts.NAMESPACE}:oktaApps[{app.index}].mode to manual, then: {steps}"
                )
        for other in found.manual_apps:
            steps = "; ".join(
                texts.handoff_steps(
                    other.kind,
                    other.name,
                    other.app_id,
                    other.console_url,
                    NEW_FINGERPRINT,
                    other.index,
                )
            )
            label = texts.provider_label(other.kind)
            entries.append(
                f"{other.name} ({label} {other.app_id}), by hand after `pulumi up`: {steps}"
            )
        return entries

    # --- what every item shares ------------------------------------------------------------

    def stack_file(self) -> Path:
        return cli.stack_file(self.stack, self.surroundings.stacks)

    def value(self, key: str) -> str | None:
        """A plain value of the stack's config (`azuread:tenantId`), or None."""
        entry = self.listed.get(key)
        found = entry.get("value") if isinstance(entry, dict) and not _secret(entry) else None
        return found if isinstance(found, str) and found else None

    def secrets(self) -> list[str]:
        return [*self.read, *redaction.environment_secrets(self.environment)]

    def child(self, completed: Any, errors_only: bool = False) -> str:
        """A pulumi command's last lines (`errors_only`: its last `error:` lines, when it printed
        any: a preview's summary follows its diagnostics), without anything secret; the CLI
        may also echo its passphrase, which no other text can hold."""
        text = f"{completed.stdout or ''}\n{completed.stderr or ''}"
        errors = [line for line in text.splitlines() if "error:" in line.lower()]
        if errors_only and errors:
            text = "\n".join(errors)
        passphrase = self.environment.get(PASSPHRASE_VARIABLES[0], "")
        return cli.child_message(text, [*self.secrets(), passphrase])

    def redacted(self, text: str) -> str:
        return redaction.redact(text, self.secrets())


# --- pure parts --------------------------------------------------------------------------


def stalled(name: str, step: Callable[[], Item]) -> Item:
    """`step`'s item, or its failure when a pulumi command it ran stalled or did not start."""
    try:
        return step()
    except cli.ChildError as failed:
        return Item(name, False, f"{failed}; run this again")


def same_stack(listed: str, wanted: str) -> bool:
    """Whether `pulumi stack ls` lists `wanted`: Pulumi Cloud lists org/project/stack (or
    org/stack), a self-managed backend the bare name."""
    if "/" not in wanted:
        return listed.rsplit("/", 1)[-1] == wanted
    org, _, name = wanted.partition("/")
    return listed == wanted or (
        listed.startswith(f"{org}/") and listed.rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1]
    )


def secrets_provider(stack_file: Path) -> tuple[str, bool]:
    """The stack's secrets provider as its stack file names it, and whether it is a passphrase:
    as the CLI decides (pulumi/pulumi pkg/cmd/pulumi/stack/secrets.go GetSecretsManager @
    1b5949891b3cefcb9974752b24a5ecef0acc86c8), a stack file with `encryptionsalt` and no
    other `secretsprovider` than passphrase or default."""
    try:
        document = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        document = None
    if not isinstance(document, dict):
        return "", False
    provider = str(document.get("secretsprovider") or "")
    return provider, provider in ("", "passphrase", "default") and bool(
        document.get("encryptionsalt")
    )


def describe(provider: str) -> str:
    """A secrets provider as a line may name it: its URL without a query (which may hold keys)."""
    if not provider or provider == "default":
        return "the backend's secrets provider"
    return f"the secrets provider {redaction.shown_url(provider)}"


def secret_keys(client: Graph) -> list[str]:
    """The keys of the provisioning credentials Azure holds for the app, values never read.

    `GET /v1.0/servicePrincipals/{id}/synchronization/secrets` answers `{"value": [{key,
    value}]}` with sensitive values masked (`*`): the request the azuread provider's Read
    makes (terraform-provider-azuread internal/services/synchronization/
    synchronization_secret_resource.go synchronizationSecretResourceRead, and go-azure-sdk's
    ListSynchronizationSecrets, @ f0169e0ecec4a7f87c0a512fd989368a182306c1; Microsoft's v1.0
    reference documents only the PUT). A 404 there means no secrets saved, as that Read takes it.
    """
    url = client.jobs_url.rsplit("/", 1)[0] + "/secrets"
    answer = client.send("GET", url)
    if answer.status == 404:
        return []
    if answer.status != 200:
        raise client.failure(answer, "read the keys of the saved provisioning credentials")
    body = answer.json_or_none()
    pairs = body.get("value") if isinstance(body, dict) else None
    keys = [pair.get("key") for pair in pairs or [] if isinstance(pair, dict)]
    return list(dict.fromkeys(key for key in keys if isinstance(key, str) and key))


def erased(held: Sequence[str], app: AzureApp) -> Iterator[str]:
    """The keys Azure holds that `pulumi up` would not write back: its PUT replaces the set."""
    kept = {*apps.MANAGED_SECRET_KEYS, *(key for key, _ in app.extra_secrets)}
    return (key for key in held if key not in kept)


def azure_detail(job: Job, held: Sequence[str], lost: Sequence[str], index: int) -> str:
    read = (
        f"provisioning job {job.id} (template {job.template_id}) and the credential keys "
        f"Azure holds ({', '.join(held) or 'none'}) read"
    )
    if not lost:
        return read
    return (
        f"{read}; the next `pulumi up` writes the whole set anew and would erase "
        f"{', '.join(lost)}: to keep them, add each with its current value to "
        f"{texts.NAMESPACE}:azureApps[{index}].extraSecrets (Azure shows the values masked: take "
        "them from the app's Provisioning settings in the portal; docs/azure.md)"
    )


def no_org(app: OktaApp) -> str:
    return (
        f"{app.name} ({app.app_id}) has no Okta org: set okta:orgName (and okta:baseUrl) or "
        f"OKTA_ORG_NAME, or name an org of {texts.NAMESPACE}:oktaOrgs in its `org`"
    )


NAMED = frozenset(
    {
        *apps.TENANT_FIELDS,
        *apps.ORG_FIELDS,
        *apps.AZURE_APP_FIELDS,
        *apps.OKTA_APP_FIELDS,
        *apps.CONFIRMED_FIELD,
        "tenant",
        "org",
        "mode",
        "environment",
    }
)
"""The fields of an app, tenant or org entry that lines name it by: ids and names, no secret."""


def secret_texts(value: object) -> list[str]:
    """Every text inside a secret structured setting but the ones lines name apps by (not the
    keys either): the values of `extraSecrets`, or whatever else made the setting secret."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            pending.extend(inner for key, inner in item.items() if key not in NAMED)
        elif isinstance(item, list):
            pending.extend(item)
    return found


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _secret(entry: object) -> bool:
    return isinstance(entry, dict) and entry.get("secret") is True


def printed(report: Report) -> list[str]:
    """The report as the command prints it: the items, the hand-offs' steps, the verdict."""
    lines = report.lines()
    steps = [f"  - {entry}" for entry in report.manual]
    return [
        *lines[:-1],
        *(["Will need a hand after `pulumi up`:", *steps] if steps else []),
        lines[-1],
    ]


def main(argv: Sequence[str] | None = None, surroundings: Surroundings | None = None) -> int:
    """The exit code; `surroundings`: where Graph and Okta are, and how to sign in (tests)."""
    parser = cli.Parser(
        usage_exit=NOT_READY_EXIT,
        after_error=f"; {NOT_READY}",
        prog="python -m providers.preflight",
        description="Check, changing nothing, everything a rotation of the stack needs, before "
        "New Token is clicked. Exit codes: 0 ready, 1 not ready (docs/preflight.md).",
    )
    parser.add_argument("--stack", required=True, help="the stack to check")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    arguments = parser.parse_args(argv)
    try:
        report = preflight(arguments.stack, os.environ, surroundings)
    except KeyboardInterrupt:
        report = Report((Item("pre-flight", False, "interrupted; run it again"),))
    except Exception as error:  # its type only: a message could quote a secret
        report = Report((Item("pre-flight", False, CRASHED.format(kind=type(error).__name__)),))
    if arguments.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print("\n".join(printed(report)))
    return READY_EXIT if report.ok else NOT_READY_EXIT


if __name__ == "__main__":
    sys.exit(main())
