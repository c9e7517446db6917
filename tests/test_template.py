"""The Pulumi template in Pulumi.yaml (`pulumi new <repository URL>`): each key it asks for is a
setting the program reads, the token is asked for as a secret, and the project stays as the
engine runs it."""

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
    assert {"scimToken", "issuedAt", "cloud"} <= {name for _, name in keys}
    assert all(entry.get("description") for entry in TEMPLATE["config"].values())
    assert TEMPLATE["description"]


def test_the_token_alone_is_secret_and_the_defaults_are_the_programs():
    config = TEMPLATE["config"]
    assert [key for key, entry in config.items() if entry.get("secret")] == [
        f"{NAMESPACE}:scimToken"
    ]
    assert "default" not in config[f"{NAMESPACE}:scimToken"]
    assert config[f"{NAMESPACE}:cloud"]["default"] == next(iter(settings.CLOUD_TENANT_URLS))


def test_the_project_is_unchanged_for_the_engine():
    assert PROJECT["name"] == "druva-scim"
    assert PROJECT["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
    assert PROJECT["stackConfigDir"] == "stacks"
    assert set(PROJECT) == {"name", "description", "runtime", "stackConfigDir", "template"}
