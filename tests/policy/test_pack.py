"""The policy pack: the rules as pulumi-policy policies under the SDK's own arguments, and the
pack served as the engine starts it (`python -m pulumi.policy` in policy/, nothing else on
sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import pack
from providers.core import lifecycle
from providers.core import policy_rules as rules
from providers.core.clock import FixedClock
from testbed import ROOT
from tests.doubles import HANDOFF_STATE, TOKEN, TOKEN_INPUTS, TOKEN_STATE, WHILE_DUE


def secret(value: object) -> dict[str, object]:
    """A value as the engine sends a secret to an analyzer (MarshalOptions KeepSecrets)."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


class Reports:
    """The report_violation callback: collects (message, urn)."""

    def __init__(self) -> None:
        self.violations: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.violations.append((message, urn))


def options(secret_outputs: Sequence[str] = ()) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        False, [], None, [], PolicyCustomTimeouts(0, 0, 0), list(secret_outputs), None
    )


def engine_props(wire: Mapping[str, object]) -> Mapping[str, object]:
    """Props as the SDK's Analyze builds them from the engine's message."""
    return unknown_checking_proxy(deserialize_properties(dict(wire)))


def resource_args(
    resource_type: str,
    wire: Mapping[str, object],
    secret_outputs: Sequence[str] = (),
    config: Mapping[str, object] | None = None,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource_type,
        engine_props(wire),
        f"urn:pulumi:prod::druva-scim::{resource_type}::subject",
        "subject",
        options(secret_outputs),
        None,
        config,
    )


def policy_named(
    name: str, at: datetime = WHILE_DUE
) -> ResourceValidationPolicy | StackValidationPolicy:
    found = [policy for policy in pack.policies(clock=FixedClock(at)) if policy.name == name]
    assert len(found) == 1
    policy = found[0]
    assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy)
    return policy


def validate(
    policy_name: str, args: object, at: datetime = WHILE_DUE
) -> list[tuple[str, str | None]]:
    reports = Reports()
    policy_named(policy_name, at).validate(args, reports)  # type: ignore[arg-type]
    return reports.violations


def test_the_pack_has_the_four_policies_at_their_enforcement_levels():
    levels = {policy.name: policy.enforcement_level for policy in pack.policies()}
    assert levels == {
        pack.ROTATION_DUE: EnforcementLevel.ADVISORY,
        pack.EXPIRED: EnforcementLevel.MANDATORY,
        pack.TOKEN_SECRET: EnforcementLevel.MANDATORY,
        pack.HANDOFF_OVERDUE: EnforcementLevel.MANDATORY,
    }
    handoff = policy_named(pack.HANDOFF_OVERDUE)
    assert handoff.config_schema is not None
    assert handoff.config_schema.properties["maxPendingHandoffDays"]["default"] == 7


def test_rotation_due_policy_reports_on_a_token_and_ignores_other_types():
    token = resource_args(rules.SCIM_TOKEN_TYPE, {**TOKEN_INPUTS, "scimToken": secret(TOKEN)})
    [(message, _urn)] = validate(pack.ROTATION_DUE, token)
    assert "expires 2027-11-22" in message
    assert validate(pack.ROTATION_DUE, token, at=datetime(2027, 1, 1, tzinfo=UTC)) == []
    other = resource_args(rules.HANDOFF_TYPE, TOKEN_INPUTS)
    assert validate(pack.ROTATION_DUE, other) == []


def test_rotation_due_policy_reads_rotation_warning_days_from_its_config():
    token = resource_args(rules.SCIM_TOKEN_TYPE, TOKEN_INPUTS, config={"rotationWarningDays": 60.0})
    assert validate(pack.ROTATION_DUE, token, at=datetime(2027, 10, 1, tzinfo=UTC))
    bad = resource_args(rules.SCIM_TOKEN_TYPE, TOKEN_INPUTS, config={"rotationWarningDays": "x"})
    [(message, _urn)] = validate(pack.ROTATION_DUE, bad, at=datetime(2027, 1, 1, tzinfo=UTC))
    assert message.startswith("policy config rotationWarningDays")


def test_expired_policy_reports_an_expired_token_only():
    token = resource_args(rules.SCIM_TOKEN_TYPE, TOKEN_STATE, ["scimToken"])
    [(message, _urn)] = validate(pack.EXPIRED, token, at=datetime(2027, 12, 1, tzinfo=UTC))
    assert "expired on 2027-11-22" in message
    assert validate(pack.EXPIRED, token) == []


def test_policies_survive_values_unknown_during_preview():
    wire = {**TOKEN_INPUTS, "scimToken": UNKNOWN_STRING_VALUE, "issuedAt": UNKNOWN_STRING_VALUE}
    token = resource_args(rules.SCIM_TOKEN_TYPE, wire)
    late = datetime(2030, 1, 1, tzinfo=UTC)
    assert validate(pack.ROTATION_DUE, token, at=late) == []
    assert validate(pack.EXPIRED, token, at=late) == []
    [(message, _urn)] = validate(pack.TOKEN_SECRET, token)
    assert "`scimToken`" in message


def test_secretness_of_values_is_invisible_to_a_policy_only_the_declaration_counts():
    """The engine marks the secret on the wire; the SDK hands validations the bare value."""
    marked = engine_props({"credentials": [{"key": "SecretToken", "value": secret(TOKEN)}]})
    plain = engine_props({"credentials": [{"key": "SecretToken", "value": TOKEN}]})
    assert pack.props_of(marked) == pack.props_of(plain)
    assert pack.props_of(marked)["credentials"] == [{"key": "SecretToken", "value": TOKEN}]

    wire = {
        "servicePrincipalId": "sp-1",
        "credentials": [{"key": "SecretToken", "value": secret(TOKEN)}],
    }
    undeclared = resource_args(rules.SYNCHRONIZATION_SECRET_TYPE, wire)
    [(message, _urn)] = validate(pack.TOKEN_SECRET, undeclared)
    assert "`credentials`" in message
    declared = resource_args(rules.SYNCHRONIZATION_SECRET_TYPE, wire, ["credentials"])
    assert validate(pack.TOKEN_SECRET, declared) == []


def test_okta_connection_policy_with_a_token_in_the_profile():
    wire: dict[str, object] = {
        "baseUrl": "https://apis.druva.com/insync/scim",
        "action": "activate",
    }
    wire["profile"] = {"authScheme": "TOKEN", "token": secret(UNKNOWN_STRING_VALUE)}
    assert validate(pack.TOKEN_SECRET, resource_args(rules.OKTA_CONNECTION_TYPE, wire))
    declared = resource_args(rules.OKTA_CONNECTION_TYPE, wire, ["profile"])
    assert validate(pack.TOKEN_SECRET, declared) == []


def stack_resource(resource_type: str, outputs: Mapping[str, object], name: str) -> PolicyResource:
    return PolicyResource(
        resource_type,
        engine_props(outputs),
        f"urn:pulumi:prod::druva-scim::{resource_type}::{name}",
        name,
        options(),
        None,
        None,
        [],
        {},
    )


def test_handoff_policy_reports_each_overdue_handoff_against_its_urn():
    overdue = stack_resource(rules.HANDOFF_TYPE, HANDOFF_STATE, "okta-handoff-druva-okta")
    recent = stack_resource(
        rules.HANDOFF_TYPE,
        {**HANDOFF_STATE, "appName": "fresh", "pendingSince": "2027-11-09T12:00:00Z"},
        "okta-handoff-fresh",
    )
    token = stack_resource(rules.SCIM_TOKEN_TYPE, TOKEN_STATE, "druva-scim-token")
    args = StackValidationArgs([token, overdue, recent], {"maxPendingHandoffDays": 7.0})
    [(message, urn)] = validate(pack.HANDOFF_OVERDUE, args)
    assert urn == overdue.urn
    assert "'druva-okta'" in message


@pytest.mark.parametrize(
    ("kind", "label", "vendor", "step"),
    [
        ("onelogin", "OneLogin app", "OneLogin", "SCIM Bearer Token"),
        ("jumpcloud", "JumpCloud app", "JumpCloud", "deactivate the integration"),
        ("other", "app", "the identity provider", "SCIM bearer token"),
    ],
)
def test_handoff_policy_fires_for_a_manual_app_of_any_kind(kind, label, vendor, step):
    state = {
        "kind": kind,
        "appName": "druva-idp",
        "appId": "1234567",
        "consoleUrl": None,
        "expectedFingerprint": "3f2a9c1e5b2d",
        "confirmedFingerprint": None,
        "pending": True,
        "pendingSince": "2027-11-01T12:00:00Z",
    }
    overdue = stack_resource(rules.MANUAL_HANDOFF_TYPE, state, f"handoff-{kind}-1234567")
    confirmed = stack_resource(
        rules.MANUAL_HANDOFF_TYPE, {**state, "pending": False, "pendingSince": None}, "done"
    )
    args = StackValidationArgs([overdue, confirmed], {"maxPendingHandoffDays": 7.0})
    [(message, urn)] = validate(pack.HANDOFF_OVERDUE, args)
    assert urn == overdue.urn
    assert message.startswith(f"The manual token hand-off to {label} 'druva-idp' (1234567) ")
    assert f"until it is done {vendor} provisions nothing" in message
    assert step in message and "druva-scim:manualApps[N].confirmedFingerprint" in message


def test_handoff_policy_defaults_to_seven_days_and_reports_a_bad_config():
    six_days = {**HANDOFF_STATE, "pendingSince": "2027-11-04T11:00:00Z"}
    args = StackValidationArgs([stack_resource(rules.HANDOFF_TYPE, six_days, "h")])
    assert validate(pack.HANDOFF_OVERDUE, args) == []
    eight_days = {**HANDOFF_STATE, "pendingSince": "2027-11-02T11:00:00Z"}
    assert validate(
        pack.HANDOFF_OVERDUE,
        StackValidationArgs([stack_resource(rules.HANDOFF_TYPE, eight_days, "h")]),
    )
    bad = StackValidationArgs([], {"maxPendingHandoffDays": -3})
    [(message, urn)] = validate(pack.HANDOFF_OVERDUE, bad)
    assert urn is None
    assert message.startswith("policy config maxPendingHandoffDays")


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """Start the pack as the engine does (python <pack dir>, its stdout says the port)."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "policy")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT / "policy",
        env={key: value for key, value in os.environ.items() if not key.startswith("PULUMI_")},
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def struct(value: Mapping[str, object]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(dict(value), message)
    return message


def test_the_pack_serves_its_policies_to_the_engine(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "druva-scim"
    levels = {policy.name: policy.enforcementLevel for policy in info.policies}
    assert levels == {
        pack.ROTATION_DUE: proto.ADVISORY,
        pack.EXPIRED: proto.MANDATORY,
        pack.TOKEN_SECRET: proto.MANDATORY,
        pack.HANDOFF_OVERDUE: proto.MANDATORY,
    }


def test_the_served_pack_judges_a_token_at_the_real_time(analyzer):
    issued = datetime.now(UTC) - timedelta(days=400)
    wire = {**TOKEN_INPUTS, "issuedAt": lifecycle.format_time(issued), "scimToken": secret(TOKEN)}
    request = proto.AnalyzeRequest(
        type=rules.SCIM_TOKEN_TYPE,
        urn="urn:pulumi:prod::druva-scim::pulumi-python:dynamic/druva:ScimToken::token",
        name="token",
        properties=struct(wire),
        options=proto.AnalyzerResourceOptions(additionalSecretOutputs=[]),
    )
    diagnostics = {d.policyName: d for d in analyzer.Analyze(request).diagnostics}
    assert set(diagnostics) == {pack.EXPIRED, pack.TOKEN_SECRET}
    assert all(d.enforcementLevel == proto.MANDATORY for d in diagnostics.values())
    assert "expired on" in diagnostics[pack.EXPIRED].message
    assert all(TOKEN not in d.message for d in diagnostics.values())

    request.options.additionalSecretOutputs.append("scimToken")
    request.properties.CopyFrom(
        struct({**wire, "issuedAt": lifecycle.format_time(datetime.now(UTC))})
    )
    assert list(analyzer.Analyze(request).diagnostics) == []


def test_the_served_pack_takes_its_threshold_from_the_policy_config(analyzer):
    config = proto.PolicyConfig(
        enforcementLevel=proto.MANDATORY, properties=struct({"maxPendingHandoffDays": 2})
    )
    analyzer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={pack.HANDOFF_OVERDUE: config}))

    def handoff(name: str, days: int) -> proto.AnalyzerResource:
        since = lifecycle.format_time(datetime.now(UTC) - timedelta(days=days))
        return proto.AnalyzerResource(
            type=rules.HANDOFF_TYPE,
            urn=f"urn:pulumi:prod::druva-scim::{rules.HANDOFF_TYPE}::{name}",
            name=name,
            properties=struct({**HANDOFF_STATE, "appName": name, "pendingSince": since}),
        )

    response = analyzer.AnalyzeStack(
        proto.AnalyzeStackRequest(resources=[handoff("three", 3), handoff("one", 1)])
    )
    [diagnostic] = response.diagnostics
    assert diagnostic.policyName == pack.HANDOFF_OVERDUE
    assert diagnostic.urn.endswith("::three")
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert "maxPendingHandoffDays = 2" in diagnostic.message


def test_the_pipelines_policy_config_names_real_policies_and_settings():
    config = json.loads((ROOT / "policy" / "policy-config.json").read_text())
    policies = {policy.name: policy for policy in pack.policies()}
    for name, settings in config.items():
        assert name in policies, name
        schema = policies[name].config_schema
        known = set(schema.properties) if schema else set()
        assert set(settings) - {"enforcementLevel"} <= known, name
    handoff = config[pack.HANDOFF_OVERDUE]["maxPendingHandoffDays"]
    assert (
        rules.days_setting({"maxPendingHandoffDays": handoff}, "maxPendingHandoffDays", None)[1]
        is None
    )


def test_the_pack_pins_the_projects_pulumi_and_pulumi_policy():
    def pins(path: Path) -> dict[str, str]:
        lines = path.read_text().splitlines()
        found = [line.split("#")[0].strip() for line in lines]
        return dict(line.split("==", 1) for line in found if "==" in line)

    pack_pins = pins(ROOT / "policy" / "requirements.txt")
    project = {**pins(ROOT / "requirements.txt"), **pins(ROOT / "requirements-dev.txt")}
    assert set(pack_pins) == {"pulumi", "pulumi-policy"}
    assert pack_pins == {name: project[name] for name in pack_pins}
