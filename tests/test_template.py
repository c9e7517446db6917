"""The Pulumi template in Pulumi.yaml (`pulumi new <repository URL>`): each key it asks for is a
setting the program reads, it never asks for the token (that comes last, after the apps and
the pre-flight, in `scripts/up`), and the project stays as the engine runs it."""

import yaml  # type: ignore[import-untyped]

from providers.core import settings
from providers.core.texts import NAMESPACE
from testbed import ROOT

PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
TEMPLATE = PROJECT["template"]


def test_the_template_asks_only_for_settings_of_the_program():
    keys = [key.split(":", 1) for key in TEMPLATE["config"]]
    assert all(namespace == NAMESPACE for namespace, _ in keys)
    assert {name for _, name in keys} <= set(settings.TOKEN_KEYS)
    assert all(entry.get("description") for entry in TEMPLATE["config"].values())
    assert "scripts/up STACK" in TEMPLATE["description"]


def test_the_template_takes_no_token_before_the_apps_and_the_pre_flight():
    # Case 9: `pulumi new` asks its keys sorted (newcmd/config.go, sort.Sort(keys)), can ask
    # for no list of apps, and runs no pre-flight: a token it took would come too early.
    config = TEMPLATE["config"]
    assert f"{NAMESPACE}:scimToken" not in config
    assert f"{NAMESPACE}:issuedAt" not in config
    assert not any(entry.get("secret") for entry in config.values())
    assert "Do not generate a new token yet" in TEMPLATE["description"]


def test_the_defaults_are_the_programs():
    config = TEMPLATE["config"]
    assert config[f"{NAMESPACE}:cloud"]["default"] == next(iter(settings.CLOUD_TENANT_URLS))


def test_the_project_is_unchanged_for_the_engine():
    assert PROJECT["name"] == "druva-scim"
    assert PROJECT["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
    assert PROJECT["stackConfigDir"] == "stacks"
