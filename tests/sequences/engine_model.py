"""What the Pulumi engine does across `pulumi up`s and `pulumi refresh`es, modelled (test process).

The program runs under Pulumi's mocks (testbed/harness.py); each registration is
turned into the step the engine would take, in the order the program registers,
and that step is carried out at once, as the engine's step executor does. Our
dynamic resources go through the real provider host; the azuread and okta
resources through `Vendors` (tests/sequences/vendors.py). Deletes come last.

Every rule cites pulumi/pulumi at 1b5949891b3cefcb9974752b24a5ecef0acc86c8 (paths under
pkg/resource/deploy/ unless said otherwise):
- step_generator.go `getOldResource`: the old state is looked up by URN first, then
  by each alias; an old resource claimed through an alias is not deleted, and two
  registrations claiming one old resource is an error.
- step_generator.go (the Check call in `generateSteps`): Check gets the old *inputs*
  as olds, or none at all for a create; Diff, Update, Read and Delete get the old
  *outputs* (sdk/python/lib/pulumi/dynamic/__main__.py passes them on as given).
- step_generator.go `diff` -> `providerChanged`: a changed provider reference asks the
  *new* provider's DiffConfig; only a replacement there replaces the resource, otherwise
  the resource's own Diff decides. The bridge's DiffConfig (pulumi/pulumi-terraform-bridge
  at 59de6c661df1e7561e6ece7ad7f1c835c63010c4, pkg/tfbridge/provider.go `configDiffer`,
  `forcesProviderReplace`) asks for a replacement only for config keys whose SchemaInfo sets
  ForcesProviderReplace; `BRIDGED_REPLACING_CONFIG` holds azuread's and okta's (none).
- providers/registry.go `Registry.Diff`: a provider resource whose inputs change is diffed by
  its own DiffConfig the same way: an update, not a replacement, for azuread and okta.
- providers/provider.go `ProviderRequest.DefaultName`, default_providers.go
  `newRegisterDefaultProviderEvent`: the engine registers one default provider per package
  and version, named `default_<major>_<minor>_<patch>` (plain `default` without a version).
- step_generator.go `generateStepsFromDiff`: no change is a same step; replace keys
  without delete-before-replace give a create-replacement now and the old delete
  "generated later on, after all creates/updates finish"; with it, the old resource
  is deleted first; other changes are an update.
- step_generator.go `GenerateDeletes`: whatever the program no longer registers, and every
  resource still pending deletion from an earlier update, is deleted at the end,
  dependents first (here: the old state's order, reversed).
- step.go `DeleteStep.Apply`: `else if s.old.RetainOnDelete {` the delete is a no-op;
  the OLD state's flag decides. Same and update steps write the NEW flag
  (step_generator.go builds the new state from `goal.RetainOnDelete`).
- deployment_executor.go `Execute` and `handleSingleEvent`: an error while generating
  steps (Check failures and Diff errors included) cancels the deployment whatever the
  options; so does Ctrl-C (`case <-ctx.Done()`). Steps already applied stay applied, no
  deletes run, and a replaced resource not yet deleted stays in state pending deletion.
- step_executor.go `cancelDueToError`: without `--continue-on-error`, a step that fails
  to apply cancels the deployment the same way. With it, the step is marked failed
  (`step.Fail()`), its registration answers `Result_FAIL` (source_eval.go), and the SDK
  resolves its outputs as unknown (sdk/python/lib/pulumi/runtime/resource.py); every later
  step that depends on a failed or skipped resource is skipped (deployment_executor.go
  `handleSingleEvent`, `doesStepDependOn`) and keeps its old state; the other steps run,
  and the deletes at the end still run except for resources a failed step's resource
  depends on (deployment_executor.go `performPostSteps`).
- step.go `UpdateStep.Apply` / `CreateStep.Apply`: a failed update leaves the old state;
  a failed create leaves nothing; a failed create-replacement leaves the old resource as
  it was, not pending deletion.
- step_generator.go `GenerateRefreshes` and step.go `RefreshStep.Apply`: a refresh
  reads every custom resource in state, those pending deletion after an interrupted or
  failed update included; only providers, components and pending-replacement resources
  (none here: no delete-before-replace resource of ours fails between its delete and its
  create) are skipped. A Read that returns an empty id removes the resource from state;
  a Read that fails fails the refresh and leaves that resource as it was. The refresh
  steps run in parallel (deployment_executor.go `performPostSteps`, `ExecuteParallel`),
  so here every resource is read and every failure reported.
"""

from __future__ import annotations

import gc
import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata
from typing import Any, Protocol

import grpc
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2

from testbed.engine import ProviderHost, from_struct
from testbed.harness import (
    Alias,
    EngineLikeMocks,
    Registration,
    Run,
    is_secret,
    run_program,
    unwrap,
)

PROVIDERS = "pulumi:providers:"
DYNAMIC = "pulumi-python:dynamic/"
PROVIDER_KEY = "__provider"
STACK = "test"
PROJECT = "druva-scim"
BRIDGED_REPLACING_CONFIG: dict[str, frozenset[str]] = {
    "azuread": frozenset(),
    "okta": frozenset(),
}
"""Config keys whose change makes the bridge's DiffConfig replace the provider (SchemaInfo
ForcesProviderReplace), by package: azuread and okta mark none."""
INTERRUPTED = "interrupted (Ctrl-C): the update was cancelled"


@dataclass
class Resource:
    urn: str
    type: str
    custom: bool
    provider: str
    """The provider reference `urn::id`; empty for provider resources themselves."""
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    retain_on_delete: bool
    secret_outputs: frozenset[str] = frozenset()
    dependencies: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]


@dataclass(frozen=True)
class Step:
    op: str
    """same, create, update, replace, delete, retain (a delete that kept the resource),
    skip (a step skipped under --continue-on-error), refresh, drop (a refresh that removed it)."""
    urn: str


class StepFailedError(Exception):
    def __init__(self, urn: str, message: str, failures: tuple[tuple[str, str], ...] = ()):
        super().__init__(f"{urn}: {message}")
        self.urn = urn
        self.message = message
        self.failures = failures
        """Check failures as (property, reason)."""


class ApplyFailedError(StepFailedError):
    """A provider's Create, Update or Delete failed: the step executor's error, not the step
    generator's (only these are continued past under --continue-on-error)."""


class Vendors(Protocol):
    """Custom resources of other providers, with those providers' semantics."""

    def replace_keys(
        self, type_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[str]: ...

    def create(self, type_: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]: ...

    def update(self, old: Resource, inputs: Mapping[str, Any]) -> dict[str, Any]: ...

    def delete(self, old: Resource) -> None: ...


@dataclass
class Outcome:
    steps: list[Step] = field(default_factory=list)
    failure: StepFailedError | None = None
    """The first step that failed (or the Check that ended the update)."""
    failures: list[StepFailedError] = field(default_factory=list)
    """Every failed step, in order (more than one only under --continue-on-error)."""
    error: str | None = None
    run: Run | None = None
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.failure is None and self.error is None

    def changes(self) -> list[Step]:
        return [step for step in self.steps if step.op != "same"]

    def messages(self) -> list[str]:
        """Every error text a user would read from this run."""
        return [failed.message for failed in self.failures] + ([self.error] if self.error else [])


Interrupt = Callable[[Step], bool]
"""Whether Ctrl-C arrives right after this step."""


class Engine:
    """One stack's state and the steps each `up` or `refresh` takes on it."""

    def __init__(self, host: ProviderHost, blobs: Mapping[str, str], vendors: Vendors) -> None:
        self.host = host
        self.blobs = dict(blobs)
        """`__provider` to use, by dynamic type: the test classes the host can import."""
        self.vendors = vendors
        self.state: dict[str, Resource] = {}
        self.condemned: list[Resource] = []
        """Resources pending deletion: replaced by an update that did not get to delete them."""
        self._ids = itertools.count(1)
        # The SDK registers from a thread pool; the engine generates steps one at a time.
        self._lock = threading.Lock()

    # --- pulumi up ------------------------------------------------------------

    def up(
        self,
        config: dict[str, str],
        now: datetime,
        *,
        continue_on_error: bool = True,
        interrupt: Interrupt | None = None,
    ) -> Outcome:
        """`pulumi up`, with `--continue-on-error` unless told otherwise (scripts/up passes it)."""
        self._olds = dict(self.state)
        self._new: dict[str, Resource] = {}
        self._claimed: dict[str, str] = {}
        self._replaced: list[Resource] = []
        self._gone: set[str] = set()
        self._kept: set[str] = set()
        self._skipped: set[str] = set()
        self._continue = continue_on_error
        self._interrupt = interrupt
        self._outcome = Outcome()
        mock = _Mocks(self, now)
        # A failed step fails the registration's future; the SDK reports the run's error
        # once, and asyncio need not log every other future left behind.
        quiet = logging.getLogger("asyncio")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            run = run_program(config, now=now, mock=mock)
            if run.error is not None:
                gc.collect()  # the futures left behind are reported when collected: now
        finally:
            quiet.setLevel(level)
        outcome = self._outcome
        outcome.run = run
        if outcome.interrupted:
            outcome.error = INTERRUPTED
        elif run.error is not None and outcome.failure is None:
            outcome.error = str(run.error)
        # Under --continue-on-error a failed step resolves its outputs as unknown and the
        # program runs on; any error reaching the program means the deployment was cancelled.
        cancelled = outcome.interrupted or run.error is not None
        touched = set(self._new) | set(self._claimed) | self._gone | self._kept
        touched |= {old.urn for old in self._replaced}
        untouched = {urn: old for urn, old in self._olds.items() if urn not in touched}
        kept = {urn: self._olds[urn] for urn in self._kept if urn in self._olds}
        if cancelled:
            # Cancelled (a Check failure, a failed step without --continue-on-error, Ctrl-C):
            # no deletes; what was replaced stays, pending deletion.
            self.state = {**self._new, **kept, **untouched}
            self.condemned += self._replaced
            return outcome
        self.state = {**kept, **self._new}
        doomed = self.condemned + self._replaced + list(reversed(untouched.values()))
        spared = {dep for failed in outcome.failures for dep in self._dependencies(failed.urn)}
        self.condemned = []
        for old in doomed:
            if old.urn in spared:
                self.state.setdefault(old.urn, old)
                continue
            try:
                self._delete(old)
            except ApplyFailedError as failed:
                self._failed(failed)
                if not self._continue:
                    self.condemned = doomed[doomed.index(old) :]
                    break
                self.condemned.append(old)
        return outcome

    def _dependencies(self, urn: str) -> set[str]:
        resource = self._new.get(urn) or self._olds.get(urn)
        return set(resource.dependencies) if resource else set()

    def _failed(self, failed: StepFailedError) -> None:
        self._outcome.failure = self._outcome.failure or failed
        self._outcome.failures.append(failed)

    def register(self, registration: Registration) -> Resource | None:
        """The engine's step for one registration, carried out; its new state, or None when
        the step failed or was skipped under --continue-on-error."""
        try:
            with self._lock:
                if self._outcome.interrupted:
                    raise StepFailedError(registration.urn, INTERRUPTED)
                return self._step(registration)
        except ApplyFailedError as failed:
            self._failed(failed)
            if self._continue:
                # The failed step's old state stays (step.go: a failed apply writes nothing).
                self._skipped.add(registration.urn)
                self._kept.add(registration.urn)
                self._kept |= {o for o, n in self._claimed.items() if n == registration.urn}
                return None
            raise
        except StepFailedError as failed:
            if not self._outcome.interrupted:
                self._failed(failed)
            raise

    def _step(self, reg: Registration) -> Resource | None:
        urn = reg.urn
        if urn in self._new or urn in self._claimed:
            raise StepFailedError(urn, "registered twice, or claimed by another resource's alias")
        old = self._old(reg)
        inputs = {key: _sentinel(unwrap(value)) for key, value in reg.inputs.items()}
        secrets = frozenset(reg.additional_secret_outputs) | {
            key for key, value in reg.inputs.items() if is_secret(value)
        }
        provider = "" if reg.type.startswith(PROVIDERS) else self._provider_ref(reg)
        new = Resource(
            urn,
            reg.type,
            reg.custom,
            provider,
            "",
            inputs,
            {},
            bool(reg.retain_on_delete),
            secrets,
            tuple(reg.dependencies),
        )
        if reg.type.startswith(DYNAMIC):
            new.inputs = self._checked(new, old)
        if self._depends_on_skipped(new):
            self._skipped.add(urn)
            self._kept.add(old.urn if old else urn)
            self._outcome.steps.append(Step("skip", urn))
            return None
        if old is None:
            return self._record("create", self._create(new))
        if reg.type.startswith(PROVIDERS):
            if old.inputs == new.inputs:
                return self._record("same", replace(new, id=old.id, outputs=old.outputs))
            package = reg.type.removeprefix(PROVIDERS)
            replacing = BRIDGED_REPLACING_CONFIG.get(package)
            moved = {
                k for k in {*old.inputs, *new.inputs} if old.inputs.get(k) != new.inputs.get(k)
            }
            if replacing is None or moved & replacing:
                return self._replace(old, new, reg.delete_before_replace)
            return self._record("update", replace(new, id=old.id, outputs=dict(new.inputs)))
        if self._provider_changed(old, new):
            return self._replace(old, new, reg.delete_before_replace)
        if reg.type.startswith(DYNAMIC):
            diff = self._call(urn, self.host.diff, urn, old.id, old.outputs, new.inputs)
            changed = diff.changes == provider_pb2.DiffResponse.DIFF_SOME
            replaces = list(diff.replaces)
            before = diff.deleteBeforeReplace or reg.delete_before_replace
        else:
            changed = old.inputs != new.inputs
            replaces = self.vendors.replace_keys(reg.type, old.inputs, new.inputs)
            before = reg.delete_before_replace
        if not changed:
            return self._record("same", replace(new, id=old.id, outputs=old.outputs))
        if replaces:
            return self._replace(old, new, before)
        return self._record("update", self._update(old, new))

    def _depends_on_skipped(self, new: Resource) -> bool:
        provider = new.provider.rsplit("::", 1)[0]
        return bool(self._skipped & {*new.dependencies, provider})

    def _provider_changed(self, old: Resource, new: Resource) -> bool:
        """step_generator.go `providerChanged`: the new provider's DiffConfig decides."""
        if old.provider == new.provider:
            return False
        package = new.type.split(":", 1)[0]
        replacing = BRIDGED_REPLACING_CONFIG.get(package)
        if replacing is None:
            return True  # a provider this model has no DiffConfig of: assume the worst
        old_config = self._config_of(old.provider, self._olds)
        new_config = self._config_of(new.provider, self._new)
        return any(old_config.get(key) != new_config.get(key) for key in replacing)

    @staticmethod
    def _config_of(reference: str, resources: Mapping[str, Resource]) -> dict[str, Any]:
        provider = resources.get(reference.rsplit("::", 1)[0])
        return provider.inputs if provider else {}

    def _old(self, reg: Registration) -> Resource | None:
        if reg.urn in self._olds:
            return self._olds[reg.urn]
        for alias in reg.aliases:
            urn = self._alias_urn(reg, alias)
            if urn in self._olds:
                if urn in self._new or urn in self._claimed:
                    raise StepFailedError(reg.urn, f"alias {urn} is already taken")
                self._claimed[urn] = reg.urn
                return self._olds[urn]
        return None

    @staticmethod
    def _alias_urn(reg: Registration, alias: Alias) -> str:
        if alias.urn:
            return alias.urn
        parent = "" if alias.no_parent else (alias.parent_urn or reg.parent)
        return make_urn(parent, alias.type or reg.type, alias.name or reg.name)

    def _provider_ref(self, reg: Registration) -> str:
        if reg.provider:
            return reg.provider
        # The engine registers a default provider per package and version itself.
        package = reg.type.split(":", 1)[0]
        urn = make_urn("", PROVIDERS + package, default_provider_name(package))
        if urn not in self._new:
            old = self._olds.get(urn)
            if old is None:
                fresh = Resource(urn, PROVIDERS + package, True, "", "", {}, {}, False)
                self._record("create", self._create(fresh))
            else:
                self._record("same", old)
        return f"{urn}::{self._new[urn].id}"

    def _checked(self, new: Resource, old: Resource | None) -> dict[str, Any]:
        news = {**new.inputs, PROVIDER_KEY: self.blobs[new.type]}
        olds = old.inputs if old is not None else {}
        response = self._call(new.urn, self.host.check, new.urn, olds, news)
        if response.failures:
            failures = tuple((f.property, f.reason) for f in response.failures)
            raise StepFailedError(new.urn, "; ".join(reason for _, reason in failures), failures)
        return from_struct(response.inputs)

    def _create(self, new: Resource) -> Resource:
        if new.type.startswith(PROVIDERS):
            return replace(new, id=f"provider-{next(self._ids)}", outputs=dict(new.inputs))
        if new.type.startswith(DYNAMIC):
            created = self._apply(new.urn, self.host.create, new.urn, new.inputs)
            return replace(new, id=created.id, outputs=from_struct(created.properties))
        resource_id, outputs = self._apply(new.urn, self.vendors.create, new.type, new.inputs)
        return replace(new, id=resource_id, outputs=outputs)

    def _update(self, old: Resource, new: Resource) -> Resource:
        if new.type.startswith(DYNAMIC):
            updated = self._apply(
                new.urn, self.host.update, new.urn, old.id, old.outputs, new.inputs
            )
            return replace(new, id=old.id, outputs=from_struct(updated.properties))
        outputs = self._apply(new.urn, self.vendors.update, old, new.inputs)
        return replace(new, id=old.id, outputs=outputs)

    def _replace(self, old: Resource, new: Resource, delete_first: bool) -> Resource:
        if delete_first:
            self._delete(old)
            self._gone.add(old.urn)
            return self._record("replace", self._create(new))
        created = self._create(new)
        self._replaced.append(old)
        return self._record("replace", created)

    def _delete(self, old: Resource) -> None:
        if old.retain_on_delete:
            self._outcome.steps.append(Step("retain", old.urn))
            return
        self._outcome.steps.append(Step("delete", old.urn))
        if old.type.startswith(PROVIDERS):
            return
        if old.type.startswith(DYNAMIC):
            self._apply(old.urn, self.host.delete, old.urn, old.id, old.outputs)
        else:
            self._apply(old.urn, self.vendors.delete, old)

    def _record(self, op: str, resource: Resource) -> Resource:
        step = Step(op, resource.urn)
        self._outcome.steps.append(step)
        self._new[resource.urn] = resource
        if self._interrupt is not None and self._interrupt(step):
            self._outcome.interrupted = True
        return resource

    @staticmethod
    def _call(urn: str, method: Any, *args: Any) -> Any:
        """A call while generating steps (Check, Diff): its failure ends the deployment."""
        try:
            return method(*args)
        except grpc.RpcError as error:
            raise StepFailedError(urn, str(error.details())) from None

    @staticmethod
    def _apply(urn: str, method: Any, *args: Any) -> Any:
        """A call while applying a step (Create, Update, Delete)."""
        try:
            return method(*args)
        except grpc.RpcError as error:
            raise ApplyFailedError(urn, str(error.details())) from None
        except RuntimeError as error:
            raise ApplyFailedError(urn, str(error)) from None

    # --- pulumi refresh ---------------------------------------------------------

    def refresh(self) -> Outcome:
        """Read every dynamic resource in state, those pending deletion included; azuread's
        and okta's Reads keep what state holds (azuread answers `*` for secret values, so state
        keeps its own)."""
        outcome = Outcome()
        for resource in [*self.state.values(), *self.condemned]:
            if not resource.type.startswith(DYNAMIC):
                continue
            try:
                read = self.host.read(resource.urn, resource.id, resource.outputs)
            except grpc.RpcError as error:
                failed = StepFailedError(resource.urn, str(error.details()))
                outcome.failure = outcome.failure or failed
                outcome.failures.append(failed)
                continue
            self._refreshed(resource, read, outcome)
        if outcome.failure is not None:
            outcome.error = outcome.failure.message
        return outcome

    def _refreshed(self, resource: Resource, read: Any, outcome: Outcome) -> None:
        pending = resource in self.condemned
        if not read.id:
            if pending:
                self.condemned.remove(resource)
            else:
                del self.state[resource.urn]
            outcome.steps.append(Step("drop", resource.urn))
            return
        outputs = from_struct(read.properties)
        same = outputs == resource.outputs and read.id == resource.id
        fresh = replace(resource, id=read.id, outputs=outputs)
        if pending:
            self.condemned[self.condemned.index(resource)] = fresh
        else:
            self.state[resource.urn] = fresh
        outcome.steps.append(Step("same" if same else "refresh", resource.urn))

    # --- what tests look at ------------------------------------------------------

    def of_type(self, type_: str) -> list[Resource]:
        return [resource for resource in self.state.values() if resource.type == type_]


def _sentinel(value: Any) -> Any:
    """An unknown input as the engine passes it to Check: the SDK's UNKNOWN string."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {key: _sentinel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sentinel(item) for item in value]
    return value


def default_provider_name(package: str) -> str:
    """`default_<major>_<minor>_<patch>` of the plugin version the SDK asks for: each
    generated SDK registers with its own package's version (its `_utilities.get_version`)."""
    try:
        version = metadata.version(f"pulumi_{package}")
    except metadata.PackageNotFoundError:
        return "default"  # the dynamic provider: the SDK asks for no version
    major, minor, patch = (int(part) for part in version.split(".")[:3])
    return f"default_{major}_{minor}_{patch}"


def make_urn(parent: str, type_: str, name: str) -> str:
    """A URN as the mocks' monitor spells it (the parent's type joined with `$`)."""
    if parent:
        type_ = parent.split("::")[2].rsplit("$", maxsplit=1)[-1] + "$" + type_
    return "urn:pulumi:" + "::".join([STACK, PROJECT, type_, name])


class _Mocks(EngineLikeMocks):
    """Answers each registration with the state the engine's step leaves."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        super().__init__(now)
        self.engine = engine

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        registration = self.registering.pop((args.typ, args.name))
        resource = self.engine.register(registration)
        if resource is None:
            # source_eval.go: a failed or skipped step answers Result_FAIL or Result_SKIP,
            # and the SDK resolves every output of the resource as unknown.
            self.results[(args.typ, args.name)] = resource_pb2.Result.FAIL
            return "", {}
        return resource.id, {
            key: rpc.wrap_rpc_secret(value) if key in resource.secret_outputs else value
            for key, value in resource.outputs.items()
            if key != PROVIDER_KEY
        }
