"""get.pulumi.com's release files, as Pulumi's release process publishes them, for the installer.

What the real origin holds (pulumi/pulumi @ 1b5949891b3cefcb9974752b24a5ecef0acc86c8):
- `.goreleaser.yml`: each CLI archive is `pulumi-v{version}-{os}-{x64|arm64}.tar.gz`
  (`{{ .ProjectName }}-{{ .Tag }}-...`), its files in one top folder `pulumi/`
  (`wrap_in_directory`); the binaries print `v{version}` (`-X ...version.Version=v...`).
- `.github/workflows/sign.yml`: `sha256sum ./pulumi-*.{tar.gz,zip} | sed 's/.\\///'` writes
  `pulumi-{version}-checksums.txt`, one `<hex>  <file name>` line per archive of the release.
- `.github/workflows/release.yml` (s3-blobs): every release file named `pulumi-*` is synced to
  `s3://get.pulumi.com/releases/sdk`, which get.pulumi.com serves as `/releases/sdk/<name>`.

Variations, and why: the archives are a few hundred bytes, holding a shell script in place of
the CLI (no real CLI is ever downloaded here); a missing file is a bare 404 (the installer
reads no body from an answer other than 200, so S3's XML error text does not matter).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Mapping

from testbed.stand_ins.server import Reply, Request, StandIn

PATH = "/releases/sdk/"


def fake_cli(version: str) -> bytes:
    """A `pulumi` that answers `pulumi version` as the real one does: `v<version>`."""
    return f'#!/bin/sh\nif [ "$1" = version ]; then echo v{version}; fi\n'.encode()


def tarball(
    files: Mapping[str, bytes], links: Mapping[str, str] | None = None, mode: int = 0o755
) -> bytes:
    """A gzip tarball of `files` (member name: content) and symbolic `links` (name: target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(content)
            member.mode = mode
            archive.addfile(member, io.BytesIO(content))
        for name, target in (links or {}).items():
            member = tarfile.TarInfo(name)
            member.type = tarfile.SYMTYPE
            member.linkname = target
            archive.addfile(member)
    return buffer.getvalue()


def release_tarball(version: str) -> bytes:
    """What a release archive holds, in small: the CLI and a language plugin in `pulumi/`."""
    return tarball(
        {
            "pulumi/pulumi": fake_cli(version),
            "pulumi/pulumi-language-python": b"#!/bin/sh\nexit 0\n",
        }
    )


def checksums(files: Mapping[str, bytes]) -> bytes:
    """The checksums file as `sha256sum` writes it: `<hex>  <name>`, one line per file."""
    lines = (f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in files.items())
    return "".join(lines).encode()


def checksums_name(version: str) -> str:
    return f"pulumi-{version}-checksums.txt"


class PulumiReleases(StandIn):
    """Serves `files` (name: bytes) under /releases/sdk/; a test fills and changes them."""

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        super().__init__()
        self.files: dict[str, bytes] = dict(files or {})

    @property
    def url(self) -> str:
        return self.origin + PATH

    def publish(self, version: str, archives: Mapping[str, bytes]) -> None:
        """A release as Pulumi publishes one: the archives and a checksums file naming each."""
        self.files.update(archives)
        self.files[checksums_name(version)] = checksums(archives)

    def downloads(self) -> list[str]:
        return [request.path.removeprefix(PATH) for request in self.requests]

    def handle(self, request: Request) -> Reply:
        name = request.path.removeprefix(PATH)
        if request.method != "GET" or not request.path.startswith(PATH) or name not in self.files:
            return Reply(404, b"", content_type="application/xml")
        return Reply(200, self.files[name], content_type="application/octet-stream")
