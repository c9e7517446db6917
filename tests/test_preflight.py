"""The pre-flight (providers/preflight.py) against the stand-in `pulumi` and, over real sockets,
the Graph and Okta stand-ins: each item passing and failing with its fix, in order; a failing
preview that stops it with nothing stored; the placeholder a stack without a token previews
with, and the program refusing it outside a preview; the keys `pulumi up` would erase; no
secret in any line."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from providers import preflight, program
from providers.core import texts
from providers.core.texts import GRAPH_PERMISSIONS
from providers.druva import token as scim_token
from testbed.harness import run_program, unwrap
from testbed.stand_ins import pulumi_cli
from testbed.stand_ins.graph import Graph, graph_error, job
from testbed.stand_ins.okta import Okta
from testbed.stand_ins.server import Reply, Request
from tests.doubles import (
    FAST,
    FINGERPRINT,
    GRAPH_BEARER,
    ISSUED_AT,
    JOB,
    NOW,
    OKTA_API_TOKEN,
    OKTA_APP,
    SERVICE_PRINCIPAL,
    TOKEN,
    FixedCredential,
)
from tests.test_docs import table
from tests.test_layout import FORBIDDEN, loaded_by, reached

TOKEN_KEY = texts.TOKEN_KEY
MANUAL_APP = "0oa1druvascim0002"
PASSPHRASE = "correct-horse-battery-staple"
ORDER = [
    preflight.CLI,
    preflight.BACKEND,
    preflight.SECRETS,
    preflight.PREVIEW,
    "Azure app druva-azure",
    "Okta app druva-okta",
    preflight.HANDOFFS,
]
AZURE_APPS = [
    {
        "name": "druva-azure",
        "servicePrincipalId": SERVICE_PRINCIPAL,
        "extraSecrets": {"SyncAll": "false"},
    }
]
OKTA_APPS = [
    {"name": "druva-okta", "appId": OKTA_APP, "mode": "api", "org": "corp"},
    {"name": "druva-okta-hand", "appId": MANUAL_APP, "org": "corp"},
]
CONFIG = {
    TOKEN_KEY: TOKEN,
    "druva-scim:issuedAt": ISSUED_AT,
    "druva-scim:azureApps": AZURE_APPS,
    "druva-scim:oktaApps": OKTA_APPS,
    "druva-scim:oktaOrgs": [{"name": "corp", "orgName": "acme"}],
}


@dataclass
class World:
    cli: pulumi_cli.PulumiStandIn
    graph: Graph
    okta: Okta
    stacks: Path
    environment: dict[str, str]

    @property
    def surroundings(self) -> preflight.Surroundings:
        return preflight.Surroundings(
            stacks=self.stacks,
            policy=FAST,
            credential=lambda *_: FixedCredential(GRAPH_BEARER),
            graph_url=lambda _: self.graph.url,
            okta_url=lambda _: self.okta.url,
        )

    def run(self, stack: str = "dev") -> preflight.Report:
        return preflight.preflight(stack, self.environment, self.surroundings)

    def state(self, **changes: Any) -> None:
        self.cli.set_state({**self.cli.state(), **changes})

    def stack_file(self, text: str) -> None:
        (self.stacks / "Pulumi.dev.yaml").write_text(text)


@pytest.fixture
def world(tmp_path, monkeypatch) -> Iterator[World]:
    stand_in = pulumi_cli.install(
        tmp_path / "bin",
        {"selected": "dev", "config": dict(CONFIG), "secret_keys": [TOKEN_KEY]},
    )
    monkeypatch.setenv("PATH", stand_in.path_first())
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    environment = {"PATH": stand_in.path_first(), "OKTA_API_TOKEN": OKTA_API_TOKEN}
    with Graph(GRAPH_BEARER) as graph, Okta(OKTA_API_TOKEN) as okta:
        graph.jobs[SERVICE_PRINCIPAL] = [job(JOB, "scim")]
        okta.add_app(OKTA_APP)
        okta.add_app(MANUAL_APP, api_supported=False)
        yield World(stand_in, graph, okta, stacks, environment)


def names(report: preflight.Report) -> list[str]:
    return [item.name for item in report.items]


def item(report: preflight.Report, name: str) -> preflight.Item:
    [found] = [entry for entry in report.items if entry.name == name]
    return found


def everything_shown(report: preflight.Report) -> str:
    return "\n".join([*report.lines(), *report.manual, json.dumps(report.as_json())])


# --- a stack ready for the click ---------------------------------------------------------


def test_a_ready_stack_passes_every_item_in_order_and_says_click_now(world):
    report = world.run()
    assert names(report) == ORDER
    assert [entry.ok for entry in report.items] == [True] * len(ORDER), report.lines()
    assert report.ok
    assert report.lines()[-1] == preflight.READY
    assert "reports the pinned" in item(report, preflight.CLI).detail
    assert "stack dev is there" in item(report, preflight.BACKEND).detail
    assert f"decrypts {TOKEN_KEY}" in item(report, preflight.SECRETS).detail
    assert "ENABLED with TOKEN" in item(report, "Okta app druva-okta").detail


def test_the_pre_flight_changes_nothing_and_creates_no_stack(world):
    before = world.cli.state()
    world.run()
    assert world.cli.state() == before
    commands = world.cli.commands()
    assert not [c for c in commands if c.startswith(("stack select", "stack init", "up"))]
    assert not [c for c in commands if c.startswith("config set")]
    [previewed] = [call for call in world.cli.calls() if call["command"].startswith("preview")]
    assert "--config" not in previewed["argv"] and "-c" not in previewed["argv"]
    assert world.graph.secret_writes == [] and world.graph.validations == []


# --- 1: the pinned CLI ---------------------------------------------------------------------


def test_a_cli_that_reports_another_version_stops_the_pre_flight_at_once(world):
    world.state(version="3.100.0")
    report = world.run()
    assert names(report) == [preflight.CLI]
    assert not report.ok
    assert report.lines()[-1] == f"Not ready: {preflight.NOT_READY}."
    detail = item(report, preflight.CLI).detail
    assert "'v3.100.0', not the pinned" in detail
    assert "run scripts/up once" in detail and "get.pulumi.com" in detail
    assert world.cli.commands() == ["version"]


def test_without_pulumi_on_path_the_cli_item_fails_with_how_to_install(world, monkeypatch):
    monkeypatch.setenv("PATH", str(world.stacks))
    report = world.run()
    assert names(report) == [preflight.CLI]
    detail = item(report, preflight.CLI).detail
    assert detail.startswith("pulumi is not on PATH: put ")
    assert "first on PATH (scripts/up installs" in detail


# --- 2: the backend ------------------------------------------------------------------------


def test_a_backend_not_logged_in_stops_before_anything_else(world):
    world.state(logged_in=False)
    report = world.run()
    assert names(report) == [preflight.CLI, preflight.BACKEND]
    detail = item(report, preflight.BACKEND).detail
    assert detail.startswith("`pulumi whoami` failed (exit code 255)")
    assert "PULUMI_ACCESS_TOKEN must be set" in detail and "`pulumi login`" in detail


def test_a_stack_the_backend_lacks_fails_and_is_never_created(world):
    world.state(stacks=["prod"], selected="prod", backend_url="file:///srv/pulumi?no=1")
    report = world.run()
    assert names(report) == [preflight.CLI, preflight.BACKEND]
    detail = item(report, preflight.BACKEND).detail
    assert detail.startswith("file:///srv/pulumi has no stack dev (it holds: prod)")
    assert "`pulumi stack init dev`" in detail and "never creates a stack" in detail
    assert world.cli.state()["stacks"] == ["prod"]
    assert [c for c in world.cli.commands() if "select" in c or "init" in c] == []


def test_a_pulumi_cloud_stack_is_found_by_its_full_name_or_its_own():
    listed = "acme/druva-scim/prod"
    assert preflight.same_stack(listed, "prod")
    assert preflight.same_stack(listed, "acme/druva-scim/prod")
    assert preflight.same_stack(listed, "acme/prod")
    assert not preflight.same_stack(listed, "other/prod")
    assert not preflight.same_stack(listed, "dev")


# --- 3: the secrets provider -----------------------------------------------------------------


def test_a_passphrase_stack_without_the_variables_fails_naming_them(world):
    world.stack_file("encryptionsalt: v1:abc:def\nconfig: {}\n")
    world.state(passphrase=True)
    report = world.run()
    assert names(report) == [preflight.CLI, preflight.BACKEND, preflight.SECRETS]
    detail = item(report, preflight.SECRETS).detail
    assert detail.startswith("stack dev's secrets are encrypted with a passphrase")
    assert "without a terminal nothing can ask for it" in detail
    assert "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" in detail


def test_a_passphrase_file_that_cannot_be_read_fails_the_secrets_item(world):
    world.stack_file("secretsprovider: default\nencryptionsalt: v1:abc:def\n")
    world.state(passphrase=True)
    world.environment["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(world.stacks / "no-such-file")
    detail = item(world.run(), preflight.SECRETS).detail
    assert "which cannot be read" in detail and "no-such-file" in detail


@pytest.mark.parametrize(
    "variables",
    [{"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}, {"PULUMI_CONFIG_PASSPHRASE_FILE": "phrase"}],
    ids=["passphrase", "passphrase file"],
)
def test_a_passphrase_stack_with_either_variable_decrypts_without_a_terminal(world, variables):
    world.stack_file("encryptionsalt: v1:abc:def\n")
    (world.stacks / "phrase").write_text(PASSPHRASE)
    if "PULUMI_CONFIG_PASSPHRASE_FILE" in variables:
        variables = {"PULUMI_CONFIG_PASSPHRASE_FILE": str(world.stacks / "phrase")}
    world.state(passphrase=True)
    world.environment.update(variables)
    report = world.run()
    assert item(report, preflight.SECRETS).ok
    assert (
        item(report, preflight.SECRETS).detail
        == f"the passphrase decrypts {TOKEN_KEY} with no terminal"
    )
    [decrypting] = [c for c in world.cli.calls() if c["command"] == f"config get {TOKEN_KEY}"]
    assert decrypting["stdin"] == ""  # no terminal: its stdin is closed


def test_a_secrets_provider_that_cannot_decrypt_fails_with_its_fix(world):
    world.stack_file("secretsprovider: awskms://alias/druva?region=eu-west-1&key=hush\n")
    world.state(
        fail={f"config get {TOKEN_KEY}": {"code": 255, "message": "error: AccessDenied: kms"}}
    )
    report = world.run()
    assert names(report)[-1] == preflight.SECRETS
    detail = item(report, preflight.SECRETS).detail
    assert detail.startswith(f"`pulumi config get {TOKEN_KEY}` could not decrypt it")
    assert "AccessDenied" in detail
    assert "the secrets provider awskms://alias/druva needs" in detail
    assert "hush" not in detail


# --- 4: the preview --------------------------------------------------------------------------


def test_a_failing_preview_is_not_ready_stores_nothing_and_the_rest_still_runs(world):
    failure = (
        "Diagnostics:\n  azuread:index:SynchronizationSecret (azure-druva-azure):\n    error: "
        "service_principal_id: the number of segments didn't match\n\nResources:\n    + 4 to "
        "create\n    1 errored\n\nDuration: 3s"
    )
    world.state(fail={"preview": {"code": 255, "message": failure}})
    before = world.cli.state()
    report = world.run()
    assert names(report) == ORDER
    assert not report.ok
    preview = item(report, preflight.PREVIEW)
    assert not preview.ok
    assert preview.detail.startswith("`pulumi preview` failed (exit code 255)")
    assert "number of segments" in preview.detail and "fix what it reports" in preview.detail
    assert report.lines()[-1] == "Not ready: nothing was changed: do not generate a token yet."
    assert world.cli.state() == before


def test_a_stack_without_a_token_previews_with_the_placeholder_and_stores_nothing(world):
    config = {key: value for key, value in CONFIG.items() if key != TOKEN_KEY}
    world.state(config=config, secret_keys=[])
    report = world.run()
    preview = item(report, preflight.PREVIEW)
    assert preview.ok, preview.detail
    assert "placeholder for the token not yet stored" in preview.detail
    [previewed] = [call for call in world.cli.calls() if call["command"].startswith("preview")]
    assert previewed["env"][texts.PREFLIGHT_VARIABLE] == "1"
    assert world.cli.state()["config"] == config
    assert "deployed" not in world.cli.state()


def test_a_stack_with_a_token_previews_without_the_placeholder(world):
    world.run()
    [previewed] = [call for call in world.cli.calls() if call["command"].startswith("preview")]
    assert texts.PREFLIGHT_VARIABLE not in previewed["env"]


PROGRAM_CONFIG = {
    "druva-scim:azureApps": json.dumps(AZURE_APPS),
    "druva-scim:oktaApps": json.dumps(OKTA_APPS[1:]),
    "druva-scim:oktaOrgs": json.dumps([{"name": "corp", "orgName": "acme"}]),
}


def test_the_program_previews_a_stack_without_a_token_with_the_placeholder(monkeypatch):
    monkeypatch.setenv(texts.PREFLIGHT_VARIABLE, "1")
    run = run_program(PROGRAM_CONFIG, (), preview=True)
    assert run.error is None, run.error
    [token] = run.of_type(scim_token.TYPE_TOKEN)
    assert unwrap(token.inputs["scimToken"]) == program.PLACEHOLDER_TOKEN
    assert token.inputs["scimToken"] != program.PLACEHOLDER_TOKEN  # still a secret
    assert token.plain("issuedAt") == "2026-11-22T12:00:00Z" == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {entry["tokenFingerprint"] for entry in run.exports["targets"]} == {
        texts.NEW_FINGERPRINT
    }
    assert texts.NEW_FINGERPRINT in run.exports["pendingManualSteps"][0]["steps"][-1]
    # Only inside secrets: the token's own output, and the credentials written from it.
    assert run.secret_exports >= {"scimToken"}
    plain = {key: value for key, value in run.exports.items() if key not in run.secret_exports}
    shown = json.dumps(plain, default=str) + json.dumps(run.logs)
    assert program.PLACEHOLDER_TOKEN not in shown
    [azure] = run.of_type("azuread:index/synchronizationSecret:SynchronizationSecret")
    assert "credentials" in azure.additional_secret_outputs


def test_the_program_refuses_the_placeholder_variable_outside_a_preview(monkeypatch):
    monkeypatch.setenv(texts.PREFLIGHT_VARIABLE, "1")
    run = run_program(PROGRAM_CONFIG, (), preview=False)
    assert isinstance(run.error, pulumi.RunError)
    assert str(run.error) == program.PREFLIGHT_REFUSED
    assert str(run.error).startswith("DRUVA_SCIM_PREFLIGHT is set, which only the pre-flight's")
    assert run.registrations == []


def test_the_program_refuses_the_variable_in_an_up_even_with_a_token(monkeypatch):
    monkeypatch.setenv(texts.PREFLIGHT_VARIABLE, "1")
    config = {**PROGRAM_CONFIG, TOKEN_KEY: TOKEN, "druva-scim:issuedAt": ISSUED_AT}
    run = run_program(config, preview=False)
    assert str(run.error) == program.PREFLIGHT_REFUSED
    assert run.registrations == []


def test_the_pre_flights_preview_of_a_stack_with_a_token_previews_that_token(monkeypatch):
    monkeypatch.setenv(texts.PREFLIGHT_VARIABLE, "1")
    config = {**PROGRAM_CONFIG, TOKEN_KEY: TOKEN, "druva-scim:issuedAt": ISSUED_AT}
    run = run_program(config, preview=True)
    assert run.error is None, run.error
    [token] = run.of_type(scim_token.TYPE_TOKEN)
    assert token.plain("scimToken") == TOKEN and token.plain("issuedAt") == ISSUED_AT
    assert {entry["tokenFingerprint"] for entry in run.exports["targets"]} == {FINGERPRINT}


# --- 5: Azure ----------------------------------------------------------------------------


def test_keys_azure_holds_that_the_configuration_does_not_carry_are_reported(world):
    report = world.run()
    # The documented set: BaseAddress, SecretToken, SyncNotificationSettings, SyncAll.
    assert report.extra_keys == {"druva-azure": ("SyncNotificationSettings",)}
    azure = item(report, "Azure app druva-azure")
    assert azure.ok
    assert f"provisioning job {JOB} (template scim)" in azure.detail
    assert "would erase SyncNotificationSettings" in azure.detail
    assert "druva-scim:azureApps[0].extraSecrets" in azure.detail
    assert [r.method for r in world.graph.requests] == ["GET", "GET"]
    assert world.graph.requests[1].path.endswith(f"/{SERVICE_PRINCIPAL}/synchronization/secrets")


def test_an_app_whose_keys_the_configuration_carries_loses_nothing(world):
    world.graph.secrets[SERVICE_PRINCIPAL] = {
        "BaseAddress": "x",
        "SecretToken": "y",
        "SyncAll": "z",
    }
    report = world.run()
    assert report.extra_keys == {}
    assert "erase" not in item(report, "Azure app druva-azure").detail


def test_a_graph_that_refuses_names_the_permission(world):
    world.graph.permitted = False
    report = world.run()
    azure = item(report, "Azure app druva-azure")
    assert not azure.ok and not report.ok
    assert "HTTP 403" in azure.detail and GRAPH_PERMISSIONS in azure.detail


class SecretsRefused(Graph):
    """Lists jobs, refuses the secrets' keys: an identity that may read jobs only."""

    def handle(self, request: Request) -> Reply:
        if request.path.endswith("/synchronization/secrets"):
            return graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        return super().handle(request)


def test_a_refused_read_of_the_keys_names_the_permission(world):
    with SecretsRefused(GRAPH_BEARER) as refusing:
        refusing.jobs[SERVICE_PRINCIPAL] = [job(JOB, "scim")]
        world.graph = refusing
        report = world.run()
    azure = item(report, "Azure app druva-azure")
    assert not azure.ok
    assert "read the keys of the saved provisioning credentials" in azure.detail
    assert GRAPH_PERMISSIONS in azure.detail


def test_an_app_without_a_provisioning_job_fails_before_the_click(world):
    world.graph.jobs[SERVICE_PRINCIPAL] = []
    report = world.run()
    azure = item(report, "Azure app druva-azure")
    assert not azure.ok
    assert "has no provisioning job" in azure.detail and "Automatic" in azure.detail


def test_a_secret_app_setting_is_read_and_kept_out_of_every_line(world):
    secret_apps = [{**AZURE_APPS[0], "extraSecrets": {"SyncAll": "QwErTy-sync-value-98765"}}]
    world.state(
        config={**CONFIG, "druva-scim:azureApps": secret_apps},
        secret_keys=[TOKEN_KEY, "druva-scim:azureApps"],
        fail={"preview": {"code": 255, "message": "echo QwErTy-sync-value-98765"}},
    )
    report = world.run()
    assert report.extra_keys == {"druva-azure": ("SyncNotificationSettings",)}
    shown = everything_shown(report)
    assert "QwErTy" not in shown
    assert "Azure app druva-azure: provisioning job" in shown  # its name and ids still shown


# --- 6: Okta ---------------------------------------------------------------------------------


def test_an_okta_app_the_api_does_not_manage_fails_and_is_listed_as_needing_a_hand(world):
    world.okta.add_app(OKTA_APP, api_supported=False)
    report = world.run()
    okta = item(report, "Okta app druva-okta")
    assert not okta.ok
    assert okta.detail.startswith("Okta reports no API-managed provisioning connection")
    [api] = [entry for entry in report.manual if entry.startswith("druva-okta (")]
    assert "set druva-scim:oktaApps[0].mode to manual" in api


def test_okta_credentials_it_refuses_fail_with_what_to_set(world):
    world.environment["OKTA_API_TOKEN"] = "00WrOnG-OkTa-ToKeN-0000000000000"
    report = world.run()
    okta = item(report, "Okta app druva-okta")
    assert not okta.ok
    assert "did not accept the credentials from OKTA_API_TOKEN" in okta.detail
    assert "00WrOnG" not in everything_shown(report)


# --- 7: the apps that will need a hand -------------------------------------------------------


def test_each_manual_app_is_listed_with_the_hand_offs_steps(world):
    report = world.run()
    steps = texts.manual_steps(
        "druva-okta-hand", MANUAL_APP, "https://acme.okta.com", texts.NEW_FINGERPRINT, 1
    )
    assert report.manual == (
        f"druva-okta-hand ({MANUAL_APP}), by hand after `pulumi up`: " + "; ".join(steps),
    )
    assert item(report, preflight.HANDOFFS).detail.startswith(
        "1 app(s) will need a hand after `pulumi up` (druva-okta-hand)"
    )


def test_every_other_identity_providers_app_is_listed_with_its_own_steps(world):
    onelogin = {"name": "druva-onelogin", "kind": "onelogin", "appId": "1234567"}
    jumpcloud = {"name": "druva-jumpcloud", "kind": "jumpcloud", "appId": "5f1e2d3c4b5a"}
    world.state(config={**CONFIG, "druva-scim:manualApps": [onelogin, jumpcloud]})
    report = world.run()
    expected = tuple(
        f"{app['name']} ({label} {app['appId']}), by hand after `pulumi up`: "
        + "; ".join(
            texts.handoff_steps(
                str(app["kind"]), app["name"], app["appId"], None, texts.NEW_FINGERPRINT, index
            )
        )
        for index, (app, label) in enumerate(
            ((onelogin, "OneLogin app"), (jumpcloud, "JumpCloud app"))
        )
    )
    assert report.manual[1:] == expected
    assert item(report, preflight.HANDOFFS).detail.startswith(
        "3 app(s) will need a hand after `pulumi up` "
        "(druva-okta-hand, druva-onelogin, druva-jumpcloud)"
    )


# --- no secret, the command line ---------------------------------------------------------------


def test_no_secret_shows_in_any_line_even_when_the_cli_echoes_them(world):
    world.stack_file("encryptionsalt: v1:abc:def\n")
    world.environment["PULUMI_CONFIG_PASSPHRASE"] = PASSPHRASE
    world.environment["PULUMI_ACCESS_TOKEN"] = "pul-0123456789abcdef0123456789abcdef"
    echo = f"error: {TOKEN} {PASSPHRASE} pul-0123456789abcdef0123456789abcdef {OKTA_API_TOKEN}"
    world.state(passphrase=True, fail={"preview": {"code": 255, "message": echo}})
    report = world.run()
    assert not item(report, preflight.PREVIEW).ok
    shown = everything_shown(report)
    for secret in (TOKEN, PASSPHRASE, "pul-0123456789abcdef", OKTA_API_TOKEN, GRAPH_BEARER):
        assert secret not in shown


def run_main(world: World, *arguments: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = preflight.main(["--stack", "dev", *arguments], world.surroundings)
    return code, out.getvalue()


def test_the_command_prints_each_line_the_steps_and_the_verdict_and_exits_0(world, monkeypatch):
    monkeypatch.setenv("OKTA_API_TOKEN", OKTA_API_TOKEN)
    code, out = run_main(world)
    assert code == preflight.READY_EXIT == 0
    lines = out.splitlines()
    assert lines[-1] == preflight.READY
    assert lines[len(ORDER)] == "Will need a hand after `pulumi up`:"
    assert [line.split(":", 1)[0].split(None, 1)[1] for line in lines[: len(ORDER)]] == ORDER


def test_the_command_prints_json_and_exits_1_when_not_ready(world, monkeypatch):
    monkeypatch.setenv("OKTA_API_TOKEN", OKTA_API_TOKEN)
    world.state(logged_in=False)
    code, out = run_main(world, "--json")
    assert code == preflight.NOT_READY_EXIT == 1
    document = json.loads(out)
    assert document["ok"] is False
    assert document["verdict"] == f"Not ready: {preflight.NOT_READY}."
    assert [entry["name"] for entry in document["items"]] == [preflight.CLI, preflight.BACKEND]
    assert document["extraKeys"] == {} and document["manual"] == []


def test_a_wrong_command_line_exits_1_never_2(capsys):
    with pytest.raises(SystemExit) as ended:
        preflight.main([])
    assert ended.value.code == preflight.NOT_READY_EXIT
    assert preflight.NOT_READY in capsys.readouterr().err


def test_importing_it_reaches_nothing_but_the_core_and_the_cli():
    # The rotation helper and the guided first run import it; HTTP loads only when an item runs.
    modules = loaded_by("import providers.preflight")
    assert reached(modules, FORBIDDEN) == []


def test_a_stack_file_with_another_provider_is_no_passphrase_stack(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("secretsprovider: azurekeyvault://vault/keys/k\nencryptionsalt: v1:a:b\n")
    assert preflight.secrets_provider(path) == ("azurekeyvault://vault/keys/k", False)
    path.write_text("secretsprovider: passphrase\nencryptionsalt: v1:a:b\n")
    assert preflight.secrets_provider(path) == ("passphrase", True)
    assert preflight.secrets_provider(tmp_path / "missing.yaml") == ("", False)


def test_the_exit_code_table_is_the_commands_codes_in_its_words():
    rows = table("preflight.md", "## Exit codes", "exit")
    assert [int(row[0]) for row in rows] == list(preflight.EXIT_CODES)
    for (_, meaning), expected in zip(rows, preflight.EXIT_CODES.values(), strict=True):
        assert meaning.startswith(expected), (meaning, expected)


def test_a_stalled_pulumi_command_fails_its_item_and_stops(world):
    world.state(stall={"stack ls": 5})
    report = preflight.preflight(
        "dev", world.environment, replace(world.surroundings, command_seconds=0.5)
    )
    assert names(report) == [preflight.CLI, preflight.BACKEND]
    detail = item(report, preflight.BACKEND).detail
    assert (
        detail
        == "`pulumi stack ls --json` did not finish within 0.5 s and was stopped; run this again"
    )


def test_apps_not_stored_yet_are_previewed_and_read_as_if_stored(world):
    # The guided first run's ids, given before the click and stored only with the token.
    config = {
        key: value
        for key, value in CONFIG.items()
        if key not in (TOKEN_KEY, "druva-scim:azureApps")
    }
    world.state(config=config, secret_keys=[])
    report = preflight.preflight(
        "dev", world.environment, world.surroundings, pending={"azureApps": AZURE_APPS}
    )
    azure = item(report, "Azure app druva-azure")
    assert azure.ok, azure.detail
    [previewed] = [call for call in world.cli.calls() if call["command"].startswith("preview")]
    assert json.loads(previewed["env"][texts.PENDING_APPS_VARIABLE]) == {"azureApps": AZURE_APPS}
    assert world.cli.state()["config"] == config


def test_the_program_previews_apps_not_stored_yet(monkeypatch):
    monkeypatch.setenv(texts.PREFLIGHT_VARIABLE, "1")
    monkeypatch.setenv(texts.PENDING_APPS_VARIABLE, json.dumps({"azureApps": AZURE_APPS}))
    run = run_program({}, (), preview=True)
    assert run.error is None, run.error
    [azure] = run.of_type("azuread:index/synchronizationSecret:SynchronizationSecret")
    assert azure.plain("servicePrincipalId") == f"/servicePrincipals/{SERVICE_PRINCIPAL}"
