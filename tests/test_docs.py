"""The tables in docs/ that mirror the code say what the code does: the settings, the stack
outputs, the checks' outputs, the policies, the exit codes of both command lines, and the
error messages, each row's start produced by the code and each error the code raises listed.
"""

import ast
import json
import re
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from policy import pack
from providers import program, rotate
from providers.azure import check as azure_check
from providers.core import apps, gate, lifecycle, settings
from providers.core.texts import GRAPH_PERMISSIONS, NAMESPACE
from providers.okta import check as okta_check
from providers.okta import wiring as okta_wiring
from testbed import ROOT
from testbed.harness import run_program
from tests import messages
from tests.doubles import TOKEN

DOCS = ROOT / "docs"
SPAN = re.compile(r"(`+)(.+?)\1")
OUR_ERRORS = frozenset(
    {
        "ProviderError",
        "TokenRejectedError",
        "CouldNotCheckError",
        "DeadlineError",
        "RotationError",
        "ChildError",
        "CredentialsError",
        "PermissionDeniedError",
        "NotFoundError",
    }
)
SETTING = re.compile(r"^(?:druva-scim:)?(?P<key>[A-Za-z]+)(?:[\[.][^:]*)?(?:: (?P<rest>.*))?$")
"""A message start that names a setting: `druva-scim:KEY: rest`, `KEY: rest` or the key alone."""
HELPER = "druva-scim rotate: "
"""What the rotation helper puts before each of its messages."""


def section(page: str, title: str) -> str:
    """The section `title` of docs/`page`: from its heading to the next heading of its level."""
    text = "\n" + (DOCS / page).read_text()
    start = text.index(f"\n{title}\n")
    level = title.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + len(title) + 2)
    return text[start : end if end != -1 else len(text)]


def table(page: str, title: str, first_header: str) -> list[list[str]]:
    """The rows of the table whose first column is `first_header`, in section `title`."""
    lines = section(page, title).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def spans(cell: str) -> list[str]:
    return [match.group(2).strip() for match in SPAN.finditer(cell)]


# --- settings, outputs, checks, policies ----------------------------------------------------


def test_the_configuration_table_lists_each_token_setting_with_its_default():
    rows = {spans(row[0])[0]: row[1] for row in table("configuration.md", "# Configuration", "key")}
    assert list(rows) == list(settings.TOKEN_KEYS)
    assert rows["cloud"] == f"`{next(iter(settings.CLOUD_TENANT_URLS))}`"
    assert rows["lifetimeDays"] == f"`{lifecycle.DEFAULT_LIFETIME_DAYS}`"
    assert rows["rotateBeforeDays"] == f"`{lifecycle.DEFAULT_ROTATE_BEFORE_DAYS}`"
    assert rows["scimToken"] == "required"


def test_the_apps_example_uses_only_the_settings_the_code_knows():
    example = (
        section("configuration.md", "## Identity providers")
        .split("```yaml", 1)[1]
        .split("```", 1)[0]
    )
    keys = set(re.findall(rf"{NAMESPACE}:(\w+):", example))
    assert keys == set(apps.APP_KEYS)


def documented_outputs() -> set[str]:
    text = section("configuration.md", "# Configuration")
    paragraph = text[text.index("Stack outputs:") :].split("\n\n", 1)[0]
    apps_paragraph = section("configuration.md", "## Identity providers")
    exports = apps_paragraph[apps_paragraph.index("The stack exports") :].split("\n\n", 1)[0]
    # The names, not the words quoted inside the explanations (`azure`, `okta-api`, ...).
    names = re.findall(r"(?:^|[:,(] |and |exports )`(\w+)`", paragraph + "\n" + exports, re.M)
    return set(names) - {"lastCheckedAt"}


def test_the_stack_outputs_the_docs_name_are_the_programs_exports():
    config = {
        f"{NAMESPACE}:scimToken": TOKEN,
        f"{NAMESPACE}:issuedAt": "2026-11-20T00:00:00Z",
        "okta:orgName": "acme",
    }
    run = run_program(config)
    assert run.error is None
    assert documented_outputs() == set(run.exports)


def test_the_kinds_of_apps_in_targets_are_the_docs():
    text = section("configuration.md", "## Identity providers")
    exports = text[text.index("The stack exports") :].split("\n\n", 1)[0]
    documented = set(re.findall(r"`(azure|okta-[a-z]+|[a-z]+-manual)`", exports))
    assert documented == set(apps.TARGET_KINDS)


def test_the_checks_outputs_table_is_each_checks_outputs():
    rows = {spans(row[0])[0]: spans(row[1]) for row in table("rotation.md", "# Rotation", "Check")}
    assert rows == {
        "AzureProvisioningCheck": ["tokenFingerprint", *azure_check.OUTPUT_KEYS],
        "OktaConnectionCheck": ["tokenFingerprint", *okta_check.OUTPUT_KEYS],
    }


def test_the_policy_table_is_the_packs_policies_at_their_levels():
    rows = {spans(row[0])[0]: row[1] for row in table("policy.md", "# Policy pack", "policy")}
    levels = {policy.name: policy.enforcement_level for policy in pack.policies()}
    assert rows == {name: level.value if level else None for name, level in levels.items()}


# --- the example stack file, the prerequisites and the command form --------------------------

EXAMPLE = ROOT / "stacks" / "Pulumi.example.yaml"
ENTRY_FIELDS = {
    "azureApps": {*apps.AZURE_APP_FIELDS, "tenant", "extraSecrets"},
    "azureTenants": {*apps.TENANT_FIELDS, "environment"},
    "oktaApps": {*apps.OKTA_APP_FIELDS, *apps.CONFIRMED_FIELD, "org", "mode"},
    "oktaOrgs": {*apps.ORG_FIELDS},
    "manualApps": {*apps.MANUAL_APP_FIELDS, *apps.CONFIRMED_FIELD, "kind"},
}
"""Every key of every entry the code reads (the Entries readers refuse any other)."""


def example_config() -> dict[str, str]:
    """The example stack file's config as the Pulumi CLI hands it to the program: strings,
    structured values as JSON, and the test token where the file holds its `secure:` one."""
    document = yaml.safe_load(EXAMPLE.read_text())
    config = {}
    for key, value in document["config"].items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = TOKEN
        elif isinstance(value, dict | list):
            config[key] = json.dumps(value)
        else:
            config[key] = str(value)
    return config


def test_the_example_stack_names_every_setting_and_every_key_of_each_entry():
    config = example_config()
    text = EXAMPLE.read_text()
    # Set or shown commented out (tenantUrl overrides cloud, so the example only shows it).
    assert set(re.findall(rf"{NAMESPACE}:(\w+):", text)) == set(program.KNOWN_KEYS)
    assert config[f"{NAMESPACE}:scimToken"] == TOKEN
    for key, fields in ENTRY_FIELDS.items():
        used = {field for entry in json.loads(config[f"{NAMESPACE}:{key}"]) for field in entry}
        assert used == fields, key


def test_the_example_stack_passes_the_programs_validation_with_an_app_of_every_kind():
    run = run_program(example_config())
    assert run.error is None
    kinds = {
        (target["kind"], target.get("tenant") or target.get("org"))
        for target in run.exports["targets"]
    }
    assert {kind for kind, _ in kinds} == set(apps.TARGET_KINDS)
    # Each kind on the default provider and on a named tenant or org.
    assert {("azure", "default"), ("okta-api", "default"), ("okta-manual", "default")} <= kinds
    assert {where for _, where in kinds} > {"default"}
    assert run.exports["pendingManualSteps"]


def test_the_prerequisites_checklist_names_every_permission_the_code_asks_for():
    checklist = section(
        "prerequisites.md", "## Checklist: every permission and object, per command"
    )
    graph = set(re.findall(r"\b[A-Z][a-z]+\.[A-Z][\w.]*[a-z]\b", GRAPH_PERMISSIONS))
    okta = {
        scope
        for source in sorted((ROOT / "providers").rglob("*.py"))
        for scope in re.findall(r"\bokta\.[a-z]+\.[a-z]+\b", source.read_text())
    }
    assert graph >= {"Application.ReadWrite.OwnedBy", "Synchronization.ReadWrite.All"}
    assert okta >= {"okta.apps.read", "okta.logs.read"}
    assert [name for name in sorted(graph | okta) if f"`{name}`" not in checklist] == []


def test_the_error_table_links_what_it_refers_to_instead_of_saying_above():
    # A row cannot point "above": the rows are many, and the settings and steps it meant live
    # on other pages.
    cells = [cell for row in ERROR_ROWS for cell in row]
    assert len(cells) > 100
    assert [cell for cell in cells if re.search(r"\babove\b", cell, re.IGNORECASE)] == []


COMMAND_PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
OTHER_COMMAND_FORM = re.compile(r"(?<![\w/])python3? -m (?!venv\b)[\w.]+")
"""A command of this project written other than `venv/bin/python -m ...` (scripts/up builds
./venv, so that form works from a clone without activating anything)."""


@pytest.mark.parametrize("page", COMMAND_PAGES, ids=lambda path: path.name)
def test_each_page_runs_the_commands_one_way(page):
    assert OTHER_COMMAND_FORM.findall(page.read_text()) == []


def test_the_command_form_check_finds_the_other_forms():
    found = OTHER_COMMAND_FORM.findall(
        "`python -m providers.status`, python3 -m bench | python -m providers.health -, "
        "venv/bin/python -m providers.rotate, python -m venv venv"
    )
    assert found == ["python -m providers.status", "python3 -m bench", "python -m providers.health"]


# --- exit codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "title", "codes"),
    [
        ("gate.md", "# The gate: `venv/bin/python -m providers.status`", gate.EXIT_CODES),
        (
            "rotation.md",
            "## The rotation helper: `venv/bin/python -m providers.rotate`",
            rotate.EXIT_CODES,
        ),
    ],
    ids=["gate", "rotation helper"],
)
def test_each_exit_code_table_is_the_commands_codes_in_its_words(page, title, codes):
    rows = table(page, title, "exit")
    assert [int(row[0]) for row in rows] == list(codes)
    for (_, meaning), expected in zip(rows, codes.values(), strict=True):
        assert meaning.startswith(expected), (meaning, expected)


# --- error messages -------------------------------------------------------------------------

ERROR_ROWS = table("errors.md", "# Error messages", "message (start)")


def documented_starts() -> list[tuple[str, str]]:
    """(message start as docs/errors.md writes it, the row's first cell) for every row."""
    return [(start, row[0]) for row in ERROR_ROWS for start in spans(row[0])]


def setting_named(start: str) -> tuple[str | None, str]:
    """The setting a start names, if it names one, and the message after it."""
    match = SETTING.match(start)
    if match and match.group("key") in (*settings.TOKEN_KEYS, *apps.APP_KEYS, "KEY"):
        return match.group("key"), match.group("rest") or ""
    return None, start


@pytest.mark.parametrize(("start", "cell"), documented_starts(), ids=lambda value: value[:60])
def test_each_documented_message_start_is_produced_by_the_code(start, cell):
    if "from the okta provider" in cell:
        # Not ours: the okta provider's words, which the program recognises.
        example = start.replace("0oa…", "0oa1b2c3d4e5f6g7h8i9")
        assert okta_wiring.PROVIDER_REFUSAL.search(example)
        return
    key, rest = setting_named(start)
    if rest.startswith(HELPER):
        assert messages.produced(messages.as_pattern(HELPER))
        key, rest = setting_named(rest[len(HELPER) :])
    wanted = messages.as_pattern(rest)
    if len(wanted.replace(messages.WILD, "")) < messages.MIN_LITERAL:
        assert key is not None, f"{start!r} says too little to be checked"
        return
    assert messages.produced(wanted), f"no message of the code starts so: {start!r}"


def raised_messages() -> list[tuple[str, int, str]]:
    """(module, line, pattern) of every message our errors are raised with, where the
    message is written at the raise (a message built elsewhere is checked where it is), and
    every advice's words (line 0)."""
    found = []
    for module, tree in messages.trees().items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in OUR_ERRORS
                and node.args
            ):
                text = messages.pattern(node.args[0], module)
                if len(text.replace(messages.WILD, "")) >= messages.MIN_LITERAL:
                    found.append((module, node.lineno, text.replace("`", "")))
        # The advice: what `http.answer_error` raises.
        found.extend((module, 0, text.replace("`", "")) for text in messages.advice_words(module))
    return found


def test_each_error_the_code_raises_is_in_the_table():
    documented = [
        messages.as_pattern(setting_named(setting_named(start)[1].removeprefix(HELPER))[1])
        for start, _ in documented_starts()
    ]
    documented = [text for text in documented if messages.literal(text) >= messages.MIN_LITERAL]
    raised = raised_messages()
    assert len(raised) > 50
    undocumented = [
        f"{module}:{line}: {text[:80]!r}"
        for module, line, text in raised
        if not any(
            messages.meet(
                f"{messages.WILD}{start}{messages.WILD}",
                text,
                min(messages.literal(start), messages.SHARED),
            )
            for start in documented
        )
    ]
    assert undocumented == []


# --- the README and the links between the pages ----------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")
DOC_MENTION = re.compile(r"\bdocs/[\w.-]+\.md(?:#[\w-]+)?")
HEADING = re.compile(r"^#{1,6} (.+)$")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found, fenced = set(), False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        match = None if fenced else HEADING.match(line)
        if match:
            found.add(slug(match.group(1)))
    return found


def broken(source: Path, target: str) -> str | None:
    """Why the relative link `target` in `source` leads nowhere, or None when it resolves."""
    path, _, anchor = target.partition("#")
    file = (source.parent / path).resolve() if path else source
    if not file.is_file():
        return f"{source.relative_to(ROOT)}: {target}: no such file"
    if anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
        return f"{source.relative_to(ROOT)}: {target}: no such heading"
    return None


ROOT_PAGES = ("README.md", "SECURITY.md", "CONTRIBUTING.md")
"""The pages at the root that a clean clone has, and whose links are followed like docs/'s."""


@pytest.mark.parametrize(
    "source",
    [*(ROOT / page for page in ROOT_PAGES), *sorted(DOCS.glob("*.md"))],
    ids=lambda path: path.name,
)
def test_each_relative_link_leads_to_a_file_and_heading(source):
    targets = [t for t in LINK.findall(source.read_text()) if not re.match(r"[a-z]+:", t)]
    assert [problem for target in targets if (problem := broken(source, target))] == []


TEST_NAME = re.compile(r"`((?:test|assert)_\w+)`")
"""A test (or a test's assertion) a page names as the proof of what it says."""


def test_each_test_security_md_names_as_proof_is_defined_in_a_file_it_links():
    source = ROOT / "SECURITY.md"
    text = source.read_text()
    linked = [
        (source.parent / target.partition("#")[0]).resolve()
        for target in LINK.findall(text)
        if target.endswith(".py") and not re.match(r"[a-z]+:", target)
    ]
    defined = {
        name
        for path in linked
        if path.is_file()
        for name in re.findall(r"^def (\w+)", path.read_text(), re.M)
    }
    named = set(TEST_NAME.findall(text))
    assert len(named) > 20
    assert [name for name in sorted(named) if name not in defined] == []


def test_each_page_the_readme_code_and_pipelines_name_exists():
    sources = [
        ROOT / "README.md",
        ROOT / "azure-pipelines.yml",
        *sorted((ROOT / "providers").rglob("*.py")),
        *sorted((ROOT / ".github").rglob("*.yml")),
        *sorted((ROOT / ".ci").glob("*")),
    ]
    mentions = {
        (source, mention)
        for source in sources
        if source.is_file()
        for mention in DOC_MENTION.findall(source.read_text())
    }
    assert mentions
    assert [problem for source, m in mentions if (problem := broken(ROOT / "README.md", m))] == []
