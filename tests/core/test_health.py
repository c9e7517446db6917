"""The health check's shared pure parts (providers/core/health.py): the run's verdict and exit
code, and what it reads from the stack's outputs (the apps of `targets`). Each vendor's verdicts
are tested under tests/azure/test_health.py and tests/okta/test_health.py."""

from datetime import timedelta

import pytest

from providers.core import health
from providers.core.errors import (
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
)
from tests.doubles import NOW, STACK_OUTPUTS

DAY = timedelta(hours=24)
APP = "0oa1druvascim0001"

# --- the run ----------------------------------------------------------------------------------


def app(status_, cause=None):
    return health.AppHealth(
        "a", "azure", status_, ("p",) if status_ != "healthy" else (), cause=cause
    )


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["healthy", "healthy"], 0),
        (["healthy", "degraded"], 1),
        (["degraded", "failing", "unknown"], 2),
        (["healthy", "unknown"], 3),
        (["degraded", "unknown"], 1),
        ([], 0),
    ],
)
def test_the_worst_verdict_decides_and_could_not_check_hides_no_failure(statuses, code):
    report = health.Report(
        NOW, tuple(app(s, "permission" if s == "unknown" else None) for s in statuses)
    )
    assert report.exit_code == code
    assert report.as_json()["exitCode"] == code


def test_the_summary_names_the_causes_and_the_json_has_the_documented_keys():
    report = health.Report(NOW, (app("healthy"), app("unknown", health.PERMISSION)))
    assert report.summary() == (
        "Provisioning health: unknown (1 unknown of 2; could not check: permission); "
        "what to do: docs/health.md"
    )
    document = report.as_json()
    assert list(document) == ["status", "exitCode", "checkedAt", "summary", "causes", "apps"]
    assert document["causes"] == ["permission"]
    assert list(document["apps"][1]) == [
        "name",
        "kind",
        "status",
        "problems",
        "lastSuccessAt",
        "details",
        "line",
    ]
    assert document["apps"][1]["details"]["cause"] == "permission"


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (CredentialsError("x"), "credentials"),
        (PermissionDeniedError("x"), "permission"),
        (NotFoundError("x"), "app not found"),
        (ProviderError("x"), "network"),
    ],
)
def test_the_cause_is_the_errors_class(error, cause):
    assert health.cause_of(error) == cause


def test_an_expired_token_fails_druvas_line():
    found = health.druva_entry(
        "3f2a9c1e5b2d", NOW - 2 * DAY * 365, NOW - DAY, NOW, {"a": "verified"}
    )
    assert found.status == "failing"
    fine = health.druva_entry("3f2a9c1e5b2d", NOW - DAY, NOW + DAY * 300, NOW, {"a": "verified"})
    assert fine.status == "healthy" and "the stack recorded a: verified" in fine.line()


# --- the outputs --------------------------------------------------------------------------------

AZURE_ENTRY = {
    "name": "entra",
    "kind": "azure",
    "servicePrincipalId": "sp-1",
    "graphUrl": "https://graph.microsoft.com",
    "tenantId": None,
    "clientId": None,
    "state": "verified",
}
OKTA_ENTRY = {"name": "o", "kind": "okta-manual", "appId": APP, "orgUrl": None, "state": "pending"}


def test_the_outputs_give_each_app_its_target():
    document = {**STACK_OUTPUTS, "targets": [AZURE_ENTRY, OKTA_ENTRY]}
    stack, problems = health.targets(document, NOW)
    assert problems == [] and stack is not None
    assert stack.azure == (
        health.AzureTarget("entra", "sp-1", "https://graph.microsoft.com", None, None, "verified"),
    )
    assert stack.okta == (health.OktaTarget("o", "okta-manual", APP, None, "pending"),)


@pytest.mark.parametrize(
    ("targets", "says"),
    [
        (None, "output targets is None, not a list of apps"),
        ([{"name": "entra", "kind": "azure"}], "output targets[0].servicePrincipalId is missing"),
        (
            [{k: v for k, v in AZURE_ENTRY.items() if k != "graphUrl"}],
            "output targets[0].graphUrl is missing: the stack was last deployed before the health",
        ),
        ([{**AZURE_ENTRY, "graphUrl": "http://graph.example"}], "not an https URL"),
        ([{**OKTA_ENTRY, "orgUrl": 5}], "output targets[0].orgUrl is 5, not an https URL"),
        ([{"name": "x", "kind": "other"}], "a kind other than azure, okta-api, okta-manual"),
        (["x"], "output targets[0] is not an object"),
    ],
)
def test_outputs_health_cannot_use_are_named(targets, says):
    stack, problems = health.targets({**STACK_OUTPUTS, "targets": targets}, NOW)
    assert stack is None
    assert any(says in problem for problem in problems), problems


def test_the_gates_problems_are_healths_too():
    stack, problems = health.targets({**STACK_OUTPUTS, "expiresAt": None}, NOW)
    assert stack is None and any("output expiresAt is None" in p for p in problems)
    assert health.targets([], NOW)[1] == ["the stack outputs are a JSON list, not an object"]
