"""Program and provider host: what the dynamic resources share: their inputs, and the
providers' stateless base with its clock.

The engine starts `python -m pulumi.dynamic` and unpickles the provider object
from each resource's `__provider` input; these providers hold nothing, so that
blob is a reference to the class and no more. What they need to know arrives as
inputs; what time it is, from their `clock` (the system's; tests give a
FixedClock); credentials, from `environment()`.

Every text that leaves a provider passes through `providers.core.redaction` here, at
the root: the exceptions and CheckFailures of each operation (`redacted_operation`,
written on every provider method), and `say()`, without the secrets of that operation
(the token among its inputs) and the credentials of the host's environment.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import pulumi
from pulumi import dynamic

from providers.core import redaction
from providers.core.clock import SYSTEM, Clock
from providers.core.errors import ProviderError
from providers.deadline import deadline
from providers.http import HttpPolicy

# The engine's placeholder for a value not known until apply, as the SDK spells it.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_INPUTS = ("scimToken",)
"""Inputs that hold the token, wherever a resource takes it."""
MAX_SECRET_FILE_BYTES = 64 * 1024

# The secrets of the operation running in this thread (the host runs each in its own).
_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "druva_scim_secrets", default=()
)
Operation = TypeVar("Operation", bound=Callable[..., Any])


def resource_inputs(args: object, outputs: Iterable[str] = ()) -> dict[str, Any]:
    """A dynamic resource's inputs from its args dataclass, named as the engine keeps them
    (`service_principal_id` is `servicePrincipalId`), the token a secret, and each output
    declared (None) so that the resource has it."""
    inputs: dict[str, Any] = {}
    for field in dataclasses.fields(args):  # type: ignore[arg-type]
        value = getattr(args, field.name)
        head, *rest = field.name.split("_")
        name = head + "".join(part.capitalize() for part in rest)
        inputs[name] = pulumi.Output.secret(value) if name in SECRET_INPUTS else value
    return {**inputs, **dict.fromkeys(outputs)}


Args = TypeVar("Args")


class ArgsResource(dynamic.Resource, Generic[Args]):
    """A dynamic resource registered from its args dataclass (`resource_inputs`), with its
    outputs declared and the token, where it is an input, a secret output.

    Each subclass names its type token in its class statement, `module="druva",
    name="ScimToken"`, as `pulumi.dynamic.Resource.__init_subclass__` takes them: the token
    is `pulumi-python:dynamic/druva:ScimToken`, in every URN, never to change
    (core/resource_types.py).
    """

    outputs: ClassVar[tuple[str, ...]] = ()
    provider_class: ClassVar[type[dynamic.ResourceProvider]]
    """The provider the resource is registered with (tests pass their own)."""

    def __init__(
        self,
        name: str,
        args: Args,
        opts: pulumi.ResourceOptions | None = None,
        provider: dynamic.ResourceProvider | None = None,
    ) -> None:
        props = resource_inputs(args, self.outputs)
        secret = [key for key in SECRET_INPUTS if key in props]
        if secret:
            # Declared, whatever the program passed in: state never holds the token in plain.
            declared = pulumi.ResourceOptions(additional_secret_outputs=secret)
            opts = pulumi.ResourceOptions.merge(opts, declared)
        super().__init__(provider or self.provider_class(), name, props, opts)


def say(message: str) -> None:
    """Tell the person running `pulumi up`: pulumi.log does not reach the engine from here."""
    secrets = _secrets.get() or tuple(host_secrets(os.environ))
    text = redaction.redact(message, secrets)
    print(f"druva-scim: {text}", file=sys.stderr, flush=True)


def redacted(text: str, *more: str) -> str:
    """`text` without the secrets of the operation running, nor `more` (e.g. an access token)."""
    return redaction.redact(text, (*_secrets.get(), *more))


def changed(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    new = news.get(key)
    return new == UNKNOWN or olds.get(key) != new


def host_secrets(environ: Mapping[str, str]) -> list[str]:
    """The credentials in the provider host's `environ` and in the files it names, which are
    read here (small, never required): `redaction.environment_secrets` reads no file."""
    files: dict[str, str] = {}
    for name in redaction.SECRET_FILE_VARIABLES:
        path = environ.get(name, "").strip()
        if path:
            try:
                with Path(path).open("rb") as file:
                    files[path] = file.read(MAX_SECRET_FILE_BYTES).decode("utf-8", "replace")
            except (OSError, ValueError):
                continue
    return redaction.environment_secrets(environ, files)


def _secrets_of(arguments: tuple[Any, ...]) -> Iterator[str]:
    for argument in arguments:
        if isinstance(argument, Mapping):
            for key in SECRET_INPUTS:
                value = argument.get(key)
                if isinstance(value, str) and value != UNKNOWN:
                    yield value


def spelled_unknown(value: Any) -> Any:
    """`value`, a mapping of inputs, with each unknown input spelled UNKNOWN, as the providers
    compare it.

    The SDK's host hands Check and Diff their inputs with unknowns kept as
    `pulumi.output.Unknown` objects (sdk/python/lib/pulumi/dynamic/__main__.py Check and
    Diff call `rpc.deserialize_properties(..., keep_unknowns=True)`, and
    `rpc.deserialize_property` turns the UNKNOWN string into `Unknown()`). The string is
    what the host serializes back as unknown, so it is also what Check may return. Our
    resources' inputs are flat: an unknown nested deeper is an odd value, refused by name.
    """
    if not isinstance(value, dict):
        return value
    return {
        key: UNKNOWN if isinstance(item, pulumi.output.Unknown) else item
        for key, item in value.items()
    }


def redacted_operation(*, bounded: bool) -> Callable[[Operation], Operation]:
    """Written on every provider method: its errors and CheckFailures leave without the
    secrets it knows (the token among its arguments, the host's credentials), and its
    arguments' unknowns are spelled UNKNOWN (`spelled_unknown`). `bounded`: it also runs
    under the policy's deadline, inside the redaction so that a deadline's error is redacted
    too; only diff, which sends nothing, is not bounded."""

    def decorate(operation: Operation) -> Operation:
        @functools.wraps(operation)
        def operate(self: StatelessProvider, *arguments: Any) -> Any:
            arguments = tuple(spelled_unknown(argument) for argument in arguments)
            secrets = (*_secrets_of(arguments), *host_secrets(self.environment()))
            context = _secrets.set(secrets)
            try:
                if bounded:
                    with deadline(self.http_policy.deadline_seconds):
                        result = operation(self, *arguments)
                else:
                    result = operation(self, *arguments)
            except ProviderError as error:
                text = redaction.redact(str(error), secrets)
                if text == str(error):
                    raise
                raise type(error)(text) from None
            except Exception as error:
                text = redaction.redact(str(error), secrets)
                if text == str(error):
                    raise
                raise ProviderError(f"{type(error).__name__}: {text}") from None
            finally:
                _secrets.reset(context)
            if isinstance(result, dynamic.CheckResult):
                result.failures = [
                    dynamic.CheckFailure(
                        failure.property, redaction.redact(failure.reason, secrets)
                    )
                    for failure in result.failures
                ]
            return result

        return operate  # type: ignore[return-value]

    return decorate


class StatelessProvider(dynamic.ResourceProvider):
    """No token, session or setting on the object: everything arrives as inputs."""

    # Nothing secret is captured, so the blob can stay readable: tests prove it.
    serialize_as_secret_always = False
    http_policy: ClassVar[HttpPolicy] = HttpPolicy()
    clock: Clock = SYSTEM
    """What time it is for the operations (never an instance attribute in production: the
    blob in state must stay a bare reference to the class)."""

    def environment(self) -> Mapping[str, str]:
        """Where credentials come from: the provider host's environment."""
        return os.environ

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        # The host reports provider errors with traceback.format_exc(); our errors are
        # written for people, so show only their text unless debugging.
        if not os.environ.get("DRUVA_SCIM_DEBUG"):
            sys.tracebacklimit = 0
