"""The SDK's dynamic-provider host (`python -m pulumi.dynamic`), driven as the engine drives it.

The host is started from the project root, the way the engine launches it for
this program, and spoken to over gRPC with the ResourceProvider protocol.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from testbed import ROOT


def serialized(provider: Any) -> str:
    """The `__provider` value, made exactly as `pulumi.dynamic.Resource.__init__` makes it."""
    blob, contains_secrets = _serialize(True, serialize_provider, provider)
    assert not contains_secrets
    return str(blob)


def to_struct(properties: dict[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(properties, {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


class ProviderHost:
    """One `python -m pulumi.dynamic` process and a stub to talk to it."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self._stderr = tempfile.NamedTemporaryFile(prefix="provider-host-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PULUMI_PROJECT": "druva-scim", **(env or {})},
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().decode().strip()
        if not port.isdigit():
            self.stop()
            raise RuntimeError(f"provider host did not start: {self.stderr()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def configure(self) -> Any:
        return self.stub.Configure(
            provider_pb2.ConfigureRequest(args=to_struct({}), acceptSecrets=True)
        )

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self.stub.Check(
            provider_pb2.CheckRequest(urn=urn, olds=to_struct(olds), news=to_struct(news))
        )

    def diff(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news))
        )

    def create(self, urn: str, properties: dict[str, Any]) -> Any:
        return self.stub.Create(
            provider_pb2.CreateRequest(urn=urn, properties=to_struct(properties))
        )

    def read(self, urn: str, id_: str, properties: dict[str, Any]) -> Any:
        return self.stub.Read(
            provider_pb2.ReadRequest(id=id_, urn=urn, properties=to_struct(properties))
        )

    def update(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self.stub.Update(
            provider_pb2.UpdateRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news))
        )

    def delete(self, urn: str, id_: str, properties: dict[str, Any]) -> Any:
        return self.stub.Delete(
            provider_pb2.DeleteRequest(id=id_, urn=urn, properties=to_struct(properties))
        )

    def stderr(self) -> str:
        self._stderr.flush()
        return Path(self._stderr.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if hasattr(self, "channel"):
            self.channel.close()

    def __enter__(self) -> ProviderHost:
        """The host, configured: the engine's first call to every provider."""
        self.configure()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._stderr.close()
