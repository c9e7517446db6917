"""Run __main__.py under Pulumi's own mocks, as the language host would, and record it all.

The mocks behave like the engine where it matters to us: resource outputs named
in `additionalSecretOutputs`, or whose input was secret, come back as secrets;
the dynamic resources' outputs are computed by their real providers' pure
functions (the network parts are tested against the stand-ins elsewhere); and a
registration with azuread or okta is held to that provider's contract
(testbed/contracts.py): one the real provider would refuse fails the run, as a
Check failure ends a real deployment.
"""

from __future__ import annotations

import gc
import logging
import runpy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from providers import program
from providers.core.clock import FixedClock
from providers.druva import token as scim_token
from providers.manual import handoff as manual_handoff
from providers.okta import handoff
from testbed import NOW, ROOT, contracts

MAIN = ROOT / "__main__.py"
PROJECT = "druva-scim"


@dataclass(frozen=True)
class Alias:
    """One alias as the SDK sent it: an old URN, or the parts that differ from the new one."""

    urn: str = ""
    name: str = ""
    type: str = ""
    parent_urn: str = ""
    no_parent: bool = False


@dataclass
class Registration:
    type: str
    name: str
    inputs: dict[str, Any]
    """As the monitor received them: secrets still wrapped (see `is_secret`)."""
    dependencies: list[str]
    provider: str
    additional_secret_outputs: list[str]
    error_hooks: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    urn: str = ""
    custom: bool = True
    parent: str = ""
    retain_on_delete: bool | None = None
    """None: not set by the program (the engine keeps its default, False)."""
    aliases: list[Alias] = field(default_factory=list)
    delete_before_replace: bool = False
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    """create/update/delete/read as the program set them; empty ones left out."""

    def plain(self, key: str) -> Any:
        return unwrap(self.inputs.get(key))


@dataclass
class Run:
    registrations: list[Registration]
    exports: dict[str, Any]
    secret_exports: set[str]
    logs: list[tuple[str, str]]
    error: BaseException | None

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def named(self, name: str) -> Registration:
        [found] = [r for r in self.registrations if r.name == name]
        return found

    def messages(self, level: str) -> list[str]:
        return [text for severity, text in self.logs if severity == level]


def is_secret(value: Any) -> bool:
    return bool(rpc.is_rpc_secret(value))


def unwrap(value: Any) -> Any:
    """Remove secret wrappers at every depth."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def unknown_secrets_kept(plain: Any, raw: Any) -> Any:
    """`plain` (deserialized, secrets unwrapped) with the unknowns inside secrets put back.

    The SDK sends a secret whose value is not known yet as the secret signature around
    UNKNOWN (pulumi/runtime/rpc.py serialize_property), and the engine hands the provider an
    unknown; but rpc.deserialize_property reads a secret's value without keep_unknowns, so
    the mock would see None where the real provider sees an unknown.
    """
    if isinstance(raw, struct_pb2.Struct):
        if raw.fields.get(rpc._special_sig_key) is not None and "value" in raw.fields:
            inner = raw.fields["value"]
            if inner.WhichOneof("kind") == "string_value" and inner.string_value == rpc.UNKNOWN:
                return pulumi.output.Unknown()
            return unknown_secrets_kept(plain, inner)
        if not isinstance(plain, dict):
            return plain
        kept = dict(plain)
        for key, value in raw.fields.items():
            found = unknown_secrets_kept(kept.get(key), value)
            if found is not None:
                kept[key] = found
        return kept
    if isinstance(raw, struct_pb2.Value):
        kind = raw.WhichOneof("kind")
        if kind == "struct_value":
            return unknown_secrets_kept(plain, raw.struct_value)
        if kind == "list_value" and isinstance(plain, list):
            items = list(raw.list_value.values)
            if len(items) == len(plain):
                return [unknown_secrets_kept(p, r) for p, r in zip(plain, items, strict=True)]
    return plain


class EngineLikeMocks(mocks.Mocks):
    def __init__(self, now: datetime = NOW, prior: dict[str, dict[str, Any]] | None = None):
        self.now = now
        self.prior = prior or {}
        """Previous outputs by resource name, as the engine's state would hold them."""
        self.pending_secret_outputs: list[str] = []
        self.registering: dict[tuple[str, str], Registration] = {}
        """Registrations being served, by type and name, with the options that
        mocks.MockResourceArgs leaves out (the SDK registers from several threads)."""
        self.results: dict[tuple[str, str], int] = {}
        """The engine's `Result` for registrations it failed or skipped, by type and name."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = args.inputs
        plain = {key: unwrap(value) for key, value in inputs.items()}
        if args.typ == scim_token.TYPE_TOKEN:
            provider = scim_token.ScimTokenProvider()
            provider.clock = FixedClock(self.now)
            olds = self.prior.get(args.name, {})
            result = provider.check(olds, plain)
            if result.failures:
                raise pulumi.RunError("; ".join(f.reason for f in result.failures))
            outs = scim_token.token_outputs(result.inputs, last_checked_at=self.now)
            resource_id = outs["fingerprint"]
        elif args.typ == handoff.TYPE_TOKEN:
            prior = self.prior.get(args.name, {})
            outs = manual_handoff.tracked_state(prior, plain, self.now, handoff.DESCRIBED)
            resource_id = f"{plain['appId']}-handoff"
        elif args.typ == manual_handoff.TYPE_TOKEN:
            prior = self.prior.get(args.name, {})
            outs = manual_handoff.tracked_state(prior, plain, self.now, manual_handoff.DESCRIBED)
            resource_id = manual_handoff.handoff_id(plain)
        else:
            outs = dict(plain)
            resource_id = f"{args.name}-id"
        secret_keys = set(self.pending_secret_outputs) | {
            key for key, value in inputs.items() if is_secret(value)
        }
        state = {
            key: rpc.wrap_rpc_secret(value) if key in secret_keys else value
            for key, value in outs.items()
            if key != "__provider"
        }
        return resource_id, state

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class RecordingMonitor(mocks.MockMonitor):
    """Records every registration, and refuses one that breaks its provider's contract.

    The contract is enforced here, where the registration arrives, rather than in
    `EngineLikeMocks.new_resource`: the mocks that tests derive from it answer in their own
    `new_resource` (tests/sequences/engine_model.py, tests/evidence/interruption.py), and
    every one of them is served through this monitor."""

    def __init__(self, mock: EngineLikeMocks) -> None:
        super().__init__(mock)
        self.engine_mocks = mock
        self.registrations: list[Registration] = []
        self.refusals: list[str] = []
        """What a bridged provider would have refused, one text per registration."""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802  (the gRPC method name)
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        registration = Registration(
            type=request.type,
            name=request.name,
            inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
            dependencies=list(request.dependencies),
            provider=request.provider,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            error_hooks=list(request.hooks.on_error),
            urn=self.make_urn(request.parent, request.type, request.name),
            custom=bool(request.custom),
            parent=request.parent,
            retain_on_delete=(
                request.retainOnDelete if request.HasField("retainOnDelete") else None
            ),
            aliases=[_alias(alias) for alias in request.aliases]
            + [Alias(urn=urn) for urn in request.aliasURNs],
            delete_before_replace=bool(request.deleteBeforeReplace),
            custom_timeouts={
                name: value
                for name in ("create", "update", "delete", "read")
                if (value := getattr(request.customTimeouts, name))
            },
        )
        found = contracts.refusals(
            request.type, unknown_secrets_kept(unwrap(registration.inputs), request.object)
        )
        if found:
            self.refusals.append(f"{request.name}: " + "; ".join(found))
            raise contracts.ContractRefusalError(self.refusals[-1])
        self.engine_mocks.pending_secret_outputs = registration.additional_secret_outputs
        self.engine_mocks.registering[(request.type, request.name)] = registration
        response = super().RegisterResource(request)
        response.result = self.engine_mocks.results.pop((request.type, request.name), 0)
        registration.urn = response.urn
        registration.outputs = rpc.deserialize_properties(response.object, keep_unknowns=True)
        self.registrations.append(registration)
        return response


def _alias(alias: Any) -> Alias:
    if alias.urn:
        return Alias(urn=alias.urn)
    spec = alias.spec
    return Alias(name=spec.name, type=spec.type, parent_urn=spec.parentUrn, no_parent=spec.noParent)


def _run_path(main: Path) -> None:
    runpy.run_path(str(main), run_name="__main__")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname.lower(), record.getMessage()))


def run_program(
    config: dict[str, str],
    secret_keys: tuple[str, ...] = ("druva-scim:scimToken",),
    *,
    now: datetime = NOW,
    preview: bool = False,
    prior: dict[str, dict[str, Any]] | None = None,
    main: Path = MAIN,
    mock: EngineLikeMocks | None = None,
) -> Run:
    """Run __main__.py once with this stack config; returns what happened.

    Raises ContractRefusalError if it registered anything azuread or okta would refuse: that is
    a defect of the program, whatever the test looks at."""
    settings.reset_options(project=PROJECT, stack="test", preview=preview)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))

    logger = logging.getLogger(f"druva-scim-test-{id(config)}")
    logger.propagate = False
    collector = _Collector()
    logger.handlers = [collector]
    logger.setLevel(logging.DEBUG)

    mock = mock or EngineLikeMocks(now, prior)
    monitor = RecordingMonitor(mock)
    mocks.set_mocks(
        mock, project=PROJECT, stack="test", preview=preview, logger=logger, monitor=monitor
    )

    error: BaseException | None = None
    real_clock = program.clock
    program.clock = FixedClock(now)
    try:
        _sync_await(run_pulumi_func(lambda: _run_path(main)))
    except Exception as raised:  # the run's outcome is the result, whatever it is
        error = raised
    finally:
        program.clock = real_clock

    if monitor.refusals:
        # The failed registrations' futures are finalized when collected: now, not while
        # pytest parses source to show this failure (CPython 3.11's ast then fails).
        gc.collect()
        raise contracts.ContractRefusalError("; ".join(monitor.refusals))
    exports: dict[str, Any] = {}
    secret_exports: set[str] = set()
    root = settings.get_root_resource()
    outputs = getattr(root, "outputs", {}) if error is None else {}
    for name, value in outputs.items():
        output = pulumi.Output.from_input(value)
        exports[name] = _sync_await(output.future(with_unknowns=True))
        if _sync_await(output.is_secret()):
            secret_exports.add(name)
    return Run(monitor.registrations, exports, secret_exports, collector.records, error)
