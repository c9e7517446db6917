"""The house rules of providers/: what each process may import, one subject and one process per
file, and the addresses existing stacks' state names."""

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi import dynamic

from providers.azure.check import AzureProvisioningCheck, AzureProvisioningCheckProvider
from providers.core import resource_types
from providers.druva.token import ScimToken, ScimTokenProvider
from providers.okta.check import OktaConnectionCheck, OktaConnectionCheckProvider
from providers.okta.handoff import OktaManualHandoff, OktaManualHandoffProvider
from testbed import ROOT
from tests import messages

PROVIDERS = ROOT / "providers"
MODULES = sorted(PROVIDERS.rglob("*.py"))
PROCESSES = (
    "Any process:",
    "Program:",
    "Provider host:",
    "Program and provider host:",
    "Command line:",
)
"""How each file's first line starts: which process runs it."""
FORBIDDEN = ("pulumi", "pulumi_azuread", "pulumi_okta", "requests", "urllib3", "azure", "jwt")
"""What the command lines and the policy pack must not reach: the SDK, HTTP, the vendors."""
RESOURCES = {
    resource_types.SCIM_TOKEN: (ScimToken, ScimTokenProvider),
    resource_types.OKTA_HANDOFF: (OktaManualHandoff, OktaManualHandoffProvider),
    resource_types.AZURE_CHECK: (AzureProvisioningCheck, AzureProvisioningCheckProvider),
    resource_types.OKTA_CHECK: (OktaConnectionCheck, OktaConnectionCheckProvider),
}


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def imported(path: Path) -> set[str]:
    """Every module `path` imports, absolute (this project imports nothing relatively)."""
    names: set[str] = set()
    for node in ast.walk(messages.parsed(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{relative(path)}: a relative import"
            names.add(node.module or "")
    return names


@pytest.mark.parametrize("path", sorted((PROVIDERS / "core").rglob("*.py")), ids=relative)
def test_core_imports_only_the_standard_library(path):
    outside = {
        name
        for name in imported(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "providers.core"
        and not name.startswith("providers.core.")
    }
    assert outside == set(), f"{relative(path)} imports {sorted(outside)}"


def loaded_by(code: str, cwd: Path = ROOT) -> list[str]:
    """The modules a fresh interpreter holds after running `code` in `cwd`."""
    completed = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(completed.stdout.splitlines()[-1]))


def reached(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return [name for name in modules if name.split(".")[0] in roots]


def test_the_command_lines_reach_nothing_but_the_core():
    modules = loaded_by("import providers.status, providers.rotate, providers.cli")
    assert reached(modules, FORBIDDEN) == []
    ours = {name for name in modules if name.split(".")[0] == "providers"}
    command_lines = {"providers.cli", "providers.status", "providers.rotate", "providers.preflight"}
    assert ours - {"providers", *command_lines} == {
        name for name in ours if name.startswith("providers.core")
    }


def test_the_policy_pack_reaches_the_core_and_nothing_else_of_providers():
    # As the engine runs it: in policy/, where only that folder is on sys.path.
    modules = loaded_by("import pack", cwd=ROOT / "policy")
    # pulumi_policy brings the pulumi SDK; nothing of HTTP or the vendors comes with the rules.
    assert (
        reached(modules, ("requests", "urllib3", "azure", "jwt", "pulumi_azuread", "pulumi_okta"))
        == []
    )
    ours = [name for name in modules if name.split(".")[0] == "providers"]
    assert "providers.core.policy_rules" in ours
    assert [
        name for name in ours if name != "providers" and not name.startswith("providers.core")
    ] == []


@pytest.mark.parametrize("path", sorted((ROOT / "policy").glob("*.py")), ids=relative)
def test_the_policy_packs_files_import_only_the_core_of_providers(path):
    ours = {name for name in imported(path) if name.split(".")[0] == "providers"}
    assert all(name.startswith("providers.core") for name in ours), ours


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_each_file_says_first_which_process_runs_it(path):
    docstring = ast.get_docstring(messages.parsed(path))
    assert docstring, f"{relative(path)} has no docstring"
    assert docstring.startswith(PROCESSES), f"{relative(path)}: {docstring.splitlines()[0]!r}"


@pytest.mark.parametrize("type_token", sorted(RESOURCES))
def test_each_dynamic_type_keeps_its_token_and_the_address_state_names(type_token):
    resource, provider = RESOURCES[type_token]
    assert issubclass(resource, dynamic.Resource)
    # The SDK registers a dynamic resource as `pulumi-python:{_resource_type_name}`.
    assert f"pulumi-python:{resource._resource_type_name}" == type_token
    module_name, _, class_name = resource_types.PROVIDER_PATHS[type_token].rpartition(".")
    assert (provider.__module__, provider.__qualname__) == (module_name, class_name)
    # The frozen module hands out the very class the program registers.
    assert getattr(importlib.import_module(module_name), class_name) is provider


@pytest.mark.parametrize(
    "module", sorted({path.rpartition(".")[0] for path in resource_types.PROVIDER_PATHS.values()})
)
def test_the_frozen_modules_say_so_and_only_re_export(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    tree = messages.parsed(path)
    docstring = ast.get_docstring(tree) or ""
    assert "frozen" in docstring and "forever" in docstring
    assert all(isinstance(node, ast.ImportFrom | ast.Assign | ast.Expr) for node in tree.body), (
        "a frozen module only re-exports"
    )
