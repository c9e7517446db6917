"""What the Pulumi engine does across `pulumi up`s and `pulumi refresh`es, modelled (test process).

The program runs under Pulumi's mocks (testbed/harness.py); each registration is
turned into the step the engine would take, in the order the program registers,
and that step is carried out at once, as the engine's step executor does. Our
dynamic resources go through the real provider host; the azuread and okta
resources through `Vendors` (tests/sequences/vendors.py). Deletes come last.

Rules, and where they come from (pulumi/pulumi, pkg/resource/deploy/ at 1b59498):
- step_generator.go `getOldResource`: the old state is looked up by URN first, then
  by each alias; an old resource claimed through an alias is not deleted, and two
  registrations claiming one old resource is an error.
- step_generator.go (the Check call in `generateSteps`): Check gets the old *inputs*
  as olds, or none at all for a create; Diff, Update, Read and Delete get the old
  *outputs* (sdk/python/lib/pulumi/dynamic/__main__.py passes them on as given).
- step_generator.go `diff` -> `providerChanged`: a changed provider reference is
  decided by the new provider's DiffConfig before the resource's own Diff. Here a
  move between a default and an explicit azuread/okta provider, or to a replaced
  provider, is a replacement (DiffConfig is not modelled).
- step_generator.go `generateStepsFromDiff`: no change is a same step; replace keys
  without delete-before-replace give a create-replacement now and the old delete
  "generated later on, after all creates/updates finish"; with it, the old resource
  is deleted first; other changes are an update.
- step_generator.go `GenerateDeletes`: whatever the program no longer registers is
  deleted at the end, dependents first (here: the old state's order, reversed).
- step.go `DeleteStep.Apply`: `else if s.old.RetainOnDelete {` the delete is a no-op;
  the OLD state's flag decides. Same and update steps write the NEW flag
  (step_generator.go builds the new state from `goal.RetainOnDelete`).
- step.go `RefreshStep.Apply`: a Read that returns an empty id removes the resource
  from state; a Read that fails fails the refresh and leaves that resource as it was.
- A failed update keeps what already happened and the old state of the rest; the
  replaced resources not yet deleted stay condemned until a later update deletes them.
"""

from __future__ import annotations

import gc
import itertools
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

import grpc
from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import provider_pb2

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

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]


@dataclass(frozen=True)
class Step:
    op: str
    """same, create, update, replace, delete, retain (a delete that kept the resource),
    refresh, drop (a refresh that removed it)."""
    urn: str


class StepFailedError(Exception):
    def __init__(self, urn: str, message: str, failures: tuple[tuple[str, str], ...] = ()):
        super().__init__(f"{urn}: {message}")
        self.urn = urn
        self.failures = failures
        """Check failures as (property, reason)."""


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
    error: str | None = None
    run: Run | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and self.error is None

    def changes(self) -> list[Step]:
        return [step for step in self.steps if step.op != "same"]


class Engine:
    """One stack's state and the steps each `up` or `refresh` takes on it."""

    def __init__(self, host: ProviderHost, blobs: Mapping[str, str], vendors: Vendors) -> None:
        self.host = host
        self.blobs = dict(blobs)
        """`__provider` to use, by dynamic type: the test classes the host can import."""
        self.vendors = vendors
        self.state: dict[str, Resource] = {}
        self.condemned: list[Resource] = []
        self._ids = itertools.count(1)
        # The SDK registers from a thread pool; the engine generates steps one at a time.
        self._lock = threading.Lock()

    # --- pulumi up ------------------------------------------------------------

    def up(self, config: dict[str, str], now: datetime) -> Outcome:
        self._olds = dict(self.state)
        self._new: dict[str, Resource] = {}
        self._claimed: dict[str, str] = {}
        self._replaced: list[Resource] = []
        self._gone: set[str] = set()
        self._outcome = Outcome()
        # A failed step fails the registration's future; the SDK reports the run's error
        # once, and asyncio need not log every other future left behind.
        quiet = logging.getLogger("asyncio")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            run = run_program(config, now=now, mock=_Mocks(self, now))
            if run.error is not None:
                gc.collect()  # the futures left behind are reported when collected: now
        finally:
            quiet.setLevel(level)
        outcome = self._outcome
        outcome.run = run
        if outcome.failure is None and run.error is not None:
            outcome.error = str(run.error)
        touched = set(self._new) | set(self._claimed) | self._gone
        touched |= {old.urn for old in self._replaced}
        untouched = {urn: old for urn, old in self._olds.items() if urn not in touched}
        if not outcome.ok:
            self.state = {**self._new, **untouched}
            self.condemned += self._replaced
            return outcome
        self.state = self._new
        doomed = self.condemned + self._replaced + list(reversed(untouched.values()))
        self.condemned = []
        for old in doomed:
            try:
                self._delete(old)
            except StepFailedError as failed:
                outcome.failure = failed
                self.condemned = doomed[doomed.index(old) :]
                break
        return outcome

    def register(self, registration: Registration) -> Resource:
        """The engine's step for one registration, carried out; its new state."""
        try:
            with self._lock:
                return self._step(registration)
        except StepFailedError as failed:
            self._outcome.failure = self._outcome.failure or failed
            raise

    def _step(self, reg: Registration) -> Resource:
        urn = reg.urn
        if urn in self._new or urn in self._claimed:
            raise StepFailedError(urn, "registered twice, or claimed by another resource's alias")
        old = self._old(reg)
        inputs = {key: unwrap(value) for key, value in reg.inputs.items()}
        secrets = frozenset(reg.additional_secret_outputs) | {
            key for key, value in reg.inputs.items() if is_secret(value)
        }
        provider = "" if reg.type.startswith(PROVIDERS) else self._provider_ref(reg)
        new = Resource(
            urn, reg.type, reg.custom, provider, "", inputs, {}, bool(reg.retain_on_delete), secrets
        )
        if reg.type.startswith(DYNAMIC):
            new.inputs = self._checked(new, old)
        if old is None:
            return self._record("create", self._create(new))
        if reg.type.startswith(PROVIDERS):
            if old.inputs == new.inputs:
                return self._record("same", replace(new, id=old.id, outputs=old.outputs))
            return self._replace(old, new, reg.delete_before_replace)
        if old.provider != new.provider:
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
        # The engine registers a default provider per package (and version) itself.
        package = reg.type.split(":", 1)[0]
        urn = make_urn("", PROVIDERS + package, "default")
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
            created = self._call(new.urn, self.host.create, new.urn, new.inputs)
            return replace(new, id=created.id, outputs=from_struct(created.properties))
        resource_id, outputs = self._vendor(new.urn, self.vendors.create, new.type, new.inputs)
        return replace(new, id=resource_id, outputs=outputs)

    def _update(self, old: Resource, new: Resource) -> Resource:
        if new.type.startswith(DYNAMIC):
            updated = self._call(
                new.urn, self.host.update, new.urn, old.id, old.outputs, new.inputs
            )
            return replace(new, id=old.id, outputs=from_struct(updated.properties))
        outputs = self._vendor(new.urn, self.vendors.update, old, new.inputs)
        return replace(new, id=old.id, outputs=outputs)

    def _replace(self, old: Resource, new: Resource, delete_first: bool) -> Resource:
        if delete_first:
            self._delete(old)
            self._gone.add(old.urn)
        else:
            self._replaced.append(old)
        return self._record("replace", self._create(new))

    def _delete(self, old: Resource) -> None:
        if old.retain_on_delete:
            self._outcome.steps.append(Step("retain", old.urn))
            return
        self._outcome.steps.append(Step("delete", old.urn))
        if old.type.startswith(PROVIDERS):
            return
        if old.type.startswith(DYNAMIC):
            self._call(old.urn, self.host.delete, old.urn, old.id, old.outputs)
        else:
            self._vendor(old.urn, self.vendors.delete, old)

    def _record(self, op: str, resource: Resource) -> Resource:
        self._outcome.steps.append(Step(op, resource.urn))
        self._new[resource.urn] = resource
        return resource

    @staticmethod
    def _call(urn: str, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except grpc.RpcError as error:
            raise StepFailedError(urn, str(error.details())) from None

    @staticmethod
    def _vendor(urn: str, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except RuntimeError as error:
            raise StepFailedError(urn, str(error)) from None

    # --- pulumi refresh ---------------------------------------------------------

    def refresh(self) -> Outcome:
        """Read every dynamic resource; azuread's and okta's Reads keep what state holds
        (azuread answers `*` for secret values, so state keeps its own)."""
        outcome = Outcome()
        for urn, resource in list(self.state.items()):
            if not resource.type.startswith(DYNAMIC):
                continue
            try:
                read = self.host.read(urn, resource.id, resource.outputs)
            except grpc.RpcError as error:
                outcome.error = str(error.details())
                break
            if not read.id:
                del self.state[urn]
                outcome.steps.append(Step("drop", urn))
                continue
            outputs = from_struct(read.properties)
            same = outputs == resource.outputs and read.id == resource.id
            self.state[urn] = replace(resource, id=read.id, outputs=outputs)
            outcome.steps.append(Step("same" if same else "refresh", urn))
        return outcome

    # --- what tests look at ------------------------------------------------------

    def of_type(self, type_: str) -> list[Resource]:
        return [resource for resource in self.state.values() if resource.type == type_]


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
        return resource.id, {
            key: rpc.wrap_rpc_secret(value) if key in resource.secret_outputs else value
            for key, value in resource.outputs.items()
            if key != PROVIDER_KEY
        }
