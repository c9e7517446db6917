"""The house rules of providers/: what each process may import, one subject and one process per
file, and the addresses existing stacks' state names."""

import ast
import functools
import importlib
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from pulumi import dynamic

from providers.azure.check import AzureProvisioningCheck, AzureProvisioningCheckProvider
from providers.core import resource_types
from providers.druva.token import ScimToken, ScimTokenProvider
from providers.manual.handoff import ManualHandoff, ManualHandoffProvider
from providers.okta.check import OktaConnectionCheck, OktaConnectionCheckProvider
from providers.okta.handoff import OktaManualHandoff, OktaManualHandoffProvider
from testbed import ROOT
from tests import messages

PROVIDERS = ROOT / "providers"
MODULES = sorted(PROVIDERS.rglob("*.py"))
FORBIDDEN = ("pulumi", "pulumi_azuread", "pulumi_okta", "requests", "urllib3", "azure", "jwt")
"""What the command lines and the policy pack must not reach: the SDK, HTTP, the vendors."""
RESOURCES = {
    resource_types.SCIM_TOKEN: (ScimToken, ScimTokenProvider),
    resource_types.OKTA_HANDOFF: (OktaManualHandoff, OktaManualHandoffProvider),
    resource_types.MANUAL_HANDOFF: (ManualHandoff, ManualHandoffProvider),
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
    modules = loaded_by("import providers.status, providers.gate, providers.rotate, providers.cli")
    assert reached(modules, FORBIDDEN) == []
    ours = {name for name in modules if name.split(".")[0] == "providers"}
    command_lines = {
        "providers.cli",
        "providers.status",
        "providers.gate",
        "providers.rotate",
        "providers.preflight",
    }
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


# --- which process runs each file, from the import graph -------------------------------------

PROGRAM, PROVIDER_HOST, COMMAND_LINE = "program", "provider host", "command line"


def source(module: str) -> Path | None:
    """The file of one of our modules, or None for a module that is not ours."""
    base = ROOT / module.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def run_time_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import a process may execute, in functions too; not those under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found.extend(run_time_imports(ast.Module(body=node.orelse, type_ignores=[])))
        else:
            found.extend(run_time_imports(node))
    return found


@functools.cache
def edges(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """What the file imports when it runs: our modules, and the first names of everything
    else (the standard library, the SDK, HTTP, the vendors)."""
    ours: set[str] = set()
    others: set[str] = set()
    for node in run_time_imports(messages.parsed(path)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            module = node.module or ""
            # `from providers import cli` imports the module providers.cli.
            names = [
                f"{module}.{alias.name}" if source(f"{module}.{alias.name}") else module
                for alias in node.names
            ]
        for name in names:
            (ours if source(name) else others).add(name if source(name) else name.split(".")[0])
    return frozenset(ours), frozenset(others)


@functools.cache
def pure(module: str) -> bool:
    """Whether running the module loads nothing but the standard library (and our pure code)."""
    path = source(module)
    assert path is not None, module
    ours, others = edges(path)
    return others <= sys.stdlib_module_names and all(pure(name) for name in ours)


def reach(roots: Iterable[str]) -> set[str]:
    """Our modules that importing `roots` runs."""
    seen: set[str] = set()
    waiting = list(roots)
    while waiting:
        module = waiting.pop()
        path = source(module)
        if module in seen or path is None:
            continue
        seen.add(module)
        waiting.extend(edges(path)[0])
    return seen


def runs_as_main(path: Path) -> bool:
    return any(
        isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"
        for node in messages.parsed(path).body
    )


def entry_points() -> dict[str, set[str]]:
    """Which modules each kind of process runs: the program (`__main__.py`), the provider host
    (the four frozen provider class paths and what they import), the command lines (what runs
    with `python -m`)."""
    program = reach(edges(ROOT / "__main__.py")[0])
    host = reach(path.rpartition(".")[0] for path in resource_types.PROVIDER_PATHS.values())
    commands = reach(messages.module_name(path) for path in MODULES if runs_as_main(path))
    return {PROGRAM: program, PROVIDER_HOST: host, COMMAND_LINE: commands}


def label(processes: list[str]) -> str:
    """`Program:`, `Program and provider host:`, `Program, provider host and command line:`."""
    said = processes[0] if len(processes) == 1 else ", ".join(processes[:-1])
    said += "" if len(processes) == 1 else f" and {processes[-1]}"
    return f"{said[0].upper()}{said[1:]}:"


@pytest.fixture(scope="module")
def processes() -> dict[str, set[str]]:
    return entry_points()


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_each_file_says_first_which_process_runs_it(path, processes):
    module = messages.module_name(path)
    if pure(module):
        expected = "Any process:"
    else:
        running = [kind for kind, modules in processes.items() if module in modules]
        assert running, f"{relative(path)}: no process runs it (nothing imports it)"
        expected = label(running)
    docstring = ast.get_docstring(messages.parsed(path)) or ""
    first = docstring.splitlines()[0] if docstring else ""
    assert first.startswith(expected), f"{relative(path)}: {first!r} should start {expected!r}"
    # Only the label may name a process, so that no first line says two things.
    rest = first.removeprefix(expected).lower()
    assert not rest.lstrip().startswith(("program", "provider host", "command line", "any "))


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
def test_the_frozen_modules_only_re_export(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    tree = messages.parsed(path)
    assert all(isinstance(node, ast.ImportFrom | ast.Assign | ast.Expr) for node in tree.body), (
        "a frozen module only re-exports"
    )
