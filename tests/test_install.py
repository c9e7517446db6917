"""Installing the pinned CLI (providers/install.py) from a stand-in of get.pulumi.com's release
files on 127.0.0.1: real sockets, tiny archives holding a shell script; no real CLI is ever
downloaded by a test."""

from __future__ import annotations

import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers import install
from providers.http import HttpPolicy
from testbed.stand_ins.releases import (
    PulumiReleases,
    checksums,
    checksums_name,
    fake_cli,
    release_tarball,
    tarball,
)
from testbed.stand_ins.server import Reply, closed_port

PINNED = install.pinned_version(install.VERSION_FILE)
ARCHIVE = install.archive_name(PINNED)
LISTING = checksums_name(PINNED)


@pytest.fixture
def server() -> Iterator[PulumiReleases]:
    with PulumiReleases() as stand_in:
        stand_in.publish(PINNED, {ARCHIVE: release_tarball(PINNED)})
        yield stand_in


def releases(url: str, read_timeout: float = 5.0, seconds: float = 10.0) -> install.Releases:
    policy = HttpPolicy(
        connect_timeout=1.0,
        read_timeout=read_timeout,
        attempts=1,
        max_body_bytes=install.CHECKSUMS_MAX_BYTES,
        deadline_seconds=seconds,
    )
    return install.Releases(url=url, policy=policy, version_seconds=5.0)


def run(root: Path, server: PulumiReleases, argv: list[str] | None = None, **bounds) -> int:
    environment = {install.HOME_VARIABLE: str(root)}
    return install.main(argv or [], environment, releases(server.url, **bounds))


def place(root: Path, content: bytes) -> Path:
    """A file at `<root>/bin/pulumi`, as an earlier install or another tool left it."""
    executable = root / "bin" / "pulumi"
    executable.parent.mkdir(parents=True, exist_ok=True)
    executable.write_bytes(content)
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR)
    return executable


def reported(executable: Path) -> str:
    return subprocess.run(
        [str(executable), "version"], capture_output=True, text=True, check=True, timeout=5
    ).stdout.strip()


def left_in(root: Path) -> set[str]:
    """What is in the root: no staging folder may outlive an install."""
    return {path.name for path in root.iterdir()}


def test_it_installs_the_pinned_version_checked_against_the_published_checksum(
    tmp_path, server, capsys
):
    root = tmp_path / "cli"
    assert run(root, server) == install.INSTALLED
    assert server.downloads() == [LISTING, ARCHIVE]
    assert reported(root / "bin" / "pulumi") == f"v{PINNED}"
    assert (root / "bin" / "pulumi-language-python").is_file()
    assert left_in(root) == {"bin"}
    captured = capsys.readouterr()
    assert captured.out == f"{root / 'bin'}\n"
    assert f"installing version {PINNED} (.pulumi.version) into {root} from {server.url}" in (
        captured.err
    )
    assert install.PLUGINS in captured.err


def test_the_real_origin_is_get_pulumi_coms_release_files_only():
    assert install.Releases().url == "https://get.pulumi.com/releases/sdk/"
    assert install.releases_from({}).url == install.RELEASES_URL
    assert ARCHIVE.startswith(f"pulumi-v{PINNED}-") and ARCHIVE.endswith(".tar.gz")
    assert LISTING == install.checksums_name(PINNED) == f"pulumi-{PINNED}-checksums.txt"


def test_the_default_folder_is_pulumis_own_per_version_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert install.install_root("3.1.0", {}) == tmp_path / ".pulumi" / "versions" / "3.1.0"


def test_an_archive_that_does_not_match_its_checksum_is_refused_with_nothing_installed(
    tmp_path, server, capsys
):
    server.files[ARCHIVE] = release_tarball("3.1.0")  # the checksums file still names the pin's
    root = tmp_path / "cli"
    assert run(root, server) == install.NO_CLI
    assert not (root / "bin").exists() and left_in(root) == set()
    last = capsys.readouterr().err.splitlines()[-1]
    assert f"{ARCHIVE} from {server.url} has SHA-256 " in last
    assert f"that {LISTING} publishes" in last and "nothing was installed" in last
    assert "install it by hand" in last


@pytest.mark.parametrize(
    "listing",
    [checksums({"pulumi-v0-windows-x64.zip": b"other"}), None],
    ids=["no line for this archive", "no checksums file"],
)
def test_an_archive_without_a_published_checksum_is_never_downloaded(
    tmp_path, server, capsys, listing
):
    if listing is None:
        del server.files[LISTING]
    else:
        server.files[LISTING] = listing
    root = tmp_path / "cli"
    assert run(root, server) == install.NO_CLI
    assert server.downloads() == [LISTING]
    assert not (root / "bin").exists() and left_in(root) == set()
    last = capsys.readouterr().err.splitlines()[-1]
    says = f"{LISTING} has no SHA-256 for {ARCHIVE}" if listing else "answered HTTP 404"
    assert says in last and "nothing was installed" in last


@pytest.mark.parametrize(
    ("fault", "bounds", "says"),
    [
        (Reply(action="hang"), {"read_timeout": 0.3}, "failed (timed out)"),
        (Reply(body=b"x" * 100, action="trickle-body"), {"seconds": 1.0}, "within 1 s"),
    ],
    ids=["no answer: the read timeout", "a trickle: the whole download's deadline"],
)
def test_a_hung_server_is_given_up_on_in_bounded_time(
    tmp_path, server, capsys, fault, bounds, says
):
    server.fail_next(fault)
    root = tmp_path / "cli"
    started = time.monotonic()
    assert run(root, server, **bounds) == install.NO_CLI
    assert time.monotonic() - started < 3.0
    assert not (root / "bin").exists() and left_in(root) == set()
    last = capsys.readouterr().err.splitlines()[-1]
    assert f"the download from {server.url} " in last and says in last


def test_a_download_broken_off_leaves_the_cli_there_before_as_it_was(tmp_path, server, capsys):
    root = tmp_path / "cli"
    old = place(root, b"#!/bin/sh\necho v3.1.0\n")
    server.fail_next(Reply(body=b"#" * 4096), Reply(body=b"#" * 4096, action="cut"))
    server.files[LISTING] = checksums({ARCHIVE: b"#" * 4096})
    assert run(root, server) == install.NO_CLI
    assert reported(old) == "v3.1.0" and left_in(root) == {"bin"}
    assert "nothing was installed" in capsys.readouterr().err


def test_what_a_killed_install_left_beside_the_cli_is_removed_by_the_next(tmp_path, server):
    root = tmp_path / "cli"
    leftover = root / f"{install.STAGING_PREFIX}killed" / "unpacked" / "pulumi"
    leftover.mkdir(parents=True)
    assert run(root, server) == install.INSTALLED
    assert left_in(root) == {"bin"}


def test_an_interrupted_install_leaves_no_staging_folder(tmp_path, server, capsys, monkeypatch):
    def interrupted(*arguments, **keywords):
        raise KeyboardInterrupt

    monkeypatch.setattr(install, "_move_into_place", interrupted)
    root = tmp_path / "cli"
    assert run(root, server) == install.NO_CLI
    assert left_in(root) == set()
    assert "interrupted, nothing was installed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"#!/bin/sh\necho v3.1.0\n", "reports 'v3.1.0', not the pinned"),
        (b"", "is an empty file, left by an interrupted install"),
        (b"#!/bin/sh\nexit 3\n", "ends `pulumi version` with exit code 3"),
        (b"\x7fELF\x02garbage", "does not run (Exec format error)"),
    ],
    ids=["another version", "an empty file", "fails", "not a program"],
)
def test_a_cli_there_that_is_not_the_pinned_one_is_replaced(
    tmp_path, server, capsys, content, says
):
    root = tmp_path / "cli"
    place(root, content)
    (root / "bin" / "pulumi-old-plugin").write_text("from the install before")
    assert run(root, server) == install.INSTALLED
    assert server.downloads() == [LISTING, ARCHIVE]
    assert reported(root / "bin" / "pulumi") == f"v{PINNED}"
    assert not (root / "bin" / "pulumi-old-plugin").exists() and left_in(root) == {"bin"}
    err = capsys.readouterr().err
    assert f"The Pulumi CLI is not on PATH and {root / 'bin' / 'pulumi'}" in err and says in err


def test_a_cli_that_does_not_answer_in_time_is_replaced(tmp_path, server, capsys):
    root = tmp_path / "cli"
    place(root, b"#!/bin/sh\nsleep 30\n")
    environment = {install.HOME_VARIABLE: str(root)}
    bounded = install.Releases(
        url=server.url, policy=releases(server.url).policy, version_seconds=0.5
    )
    started = time.monotonic()
    assert install.main([], environment, bounded) == install.INSTALLED
    assert time.monotonic() - started < 5.0
    assert "did not answer `pulumi version` within 0.5 s" in capsys.readouterr().err


def test_the_pinned_cli_there_is_used_without_a_download(tmp_path, server, capsys):
    root = tmp_path / "cli"
    place(root, fake_cli(PINNED))
    assert run(root, server) == install.INSTALLED
    assert server.requests == []
    captured = capsys.readouterr()
    assert captured.out == f"{root / 'bin'}\n"
    assert f"Using the Pulumi CLI {PINNED} installed in {root / 'bin'}." in captured.err


@pytest.mark.parametrize(
    ("files", "links", "escaped"),
    [
        ({"pulumi/pulumi": fake_cli(PINNED), "pulumi/../../../escaped": b"x"}, {}, "escaped"),
        ({"pulumi/pulumi": fake_cli(PINNED)}, {"pulumi/link": "../../../escaped"}, "pulumi/link"),
        ({"pulumi/pulumi": fake_cli(PINNED)}, {"pulumi/etc": "/etc"}, "pulumi/etc"),
    ],
    ids=["a dot-dot path", "a link out of the folder", "an absolute link"],
)
def test_an_archive_with_a_member_outside_the_install_folder_is_refused(
    tmp_path, server, capsys, files, links, escaped
):
    server.publish(PINNED, {ARCHIVE: tarball(files, links)})
    root = tmp_path / "cli"
    assert run(root, server) == install.NO_CLI
    assert not (root / "bin").exists() and left_in(root) == set()
    assert {path.name for path in tmp_path.iterdir()} == {"cli"}
    last = capsys.readouterr().err.splitlines()[-1]
    assert f"{ARCHIVE} holds 'pulumi/" in last and escaped in last
    assert "would be written outside the install folder; nothing was installed" in last


def test_an_archive_whose_cli_is_not_the_pinned_version_is_not_moved_into_place(
    tmp_path, server, capsys
):
    server.publish(PINNED, {ARCHIVE: release_tarball("3.1.0")})
    root = tmp_path / "cli"
    assert run(root, server) == install.NO_CLI
    assert not (root / "bin").exists() and left_in(root) == set()
    assert f"in the archive {ARCHIVE}, " in capsys.readouterr().err


def test_an_archive_larger_than_its_cap_is_not_read(tmp_path, server, capsys):
    server.publish(PINNED, {ARCHIVE: b"#" * 4096})
    root = tmp_path / "cli"
    capped = install.Releases(
        url=server.url, policy=releases(server.url).policy, archive_max_bytes=1024
    )
    assert install.main([], {install.HOME_VARIABLE: str(root)}, capped) == install.NO_CLI
    assert "is 4096 bytes, more than the 1024 accepted" in capsys.readouterr().err
    assert left_in(root) == set()


def test_the_releases_url_for_tests_takes_only_this_machine(tmp_path, server, capsys):
    root = tmp_path / "cli"
    environment = {install.HOME_VARIABLE: str(root), install.RELEASES_VARIABLE: server.url}
    assert install.main([], environment) == install.INSTALLED
    assert server.downloads() == [LISTING, ARCHIVE]
    elsewhere = {
        install.HOME_VARIABLE: str(tmp_path / "elsewhere"),
        install.RELEASES_VARIABLE: "https://releases.example.com/sdk/",
    }
    assert install.main([], elsewhere) == install.NO_CLI
    assert f"{install.RELEASES_VARIABLE} is for the tests only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "environment"),
    [(["--no-install"], {}), ([], {install.REFUSE_VARIABLE: "1"})],
    ids=["flag", "variable"],
)
def test_a_refused_install_downloads_nothing_and_says_the_manual_way(
    tmp_path, server, capsys, argv, environment
):
    environment = {**environment, install.HOME_VARIABLE: str(tmp_path)}
    assert install.main(argv, environment, releases(server.url)) == install.NO_CLI
    assert server.requests == []
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "installing it was refused" in captured.err
    assert (
        f"pulumi-{PINNED}-checksums.txt from https://get.pulumi.com/releases/sdk/" in captured.err
    )


def test_a_refused_install_names_the_wrong_cli_it_found(tmp_path, server, capsys):
    place(tmp_path, b"#!/bin/sh\necho v3.1.0\n")
    assert run(tmp_path, server, ["--no-install"]) == install.NO_CLI
    assert server.requests == []
    assert "reports 'v3.1.0', not the pinned" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"http://127.0.0.1:{closed_port()}/releases/sdk/", "connection refused"),
        # The kind comes from what failed, not from the words of the host name.
        ("http://connection-refused.invalid/releases/sdk/", "host name not found"),
        (None, "answered HTTP 404"),
    ],
    ids=["no server", "no such host", "no such release"],
)
def test_a_failed_download_ends_with_one_sentence_and_the_manual_way(
    tmp_path, server, capsys, url, says
):
    if url is None:
        server.files.clear()
    environment = {install.HOME_VARIABLE: str(tmp_path / "cli")}
    assert install.main([], environment, releases(url or server.url)) == install.NO_CLI
    err = capsys.readouterr().err
    last = err.splitlines()[-1]
    assert last.startswith(f"druva-scim install: could not install the Pulumi CLI {PINNED}: ")
    assert says in last and "install it by hand" in last and last.endswith("again.")
    assert "Traceback" not in err


def test_a_folder_it_cannot_write_is_named_with_the_setting(tmp_path, server, capsys):
    (tmp_path / "a file").write_text("")
    root = tmp_path / "a file" / "cli"
    assert run(root, server) == install.NO_CLI
    last = capsys.readouterr().err.splitlines()[-1]
    assert f"the folder {root} could not be written (Not a directory)" in last
    assert f"set {install.HOME_VARIABLE} to a folder you can write" in last


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "is missing or unreadable"), ("three\n", "holds 'three', not a version")],
    ids=["missing", "not a version"],
)
def test_a_wrong_version_file_is_named_with_its_fix(tmp_path, server, capsys, content, says):
    version_file = tmp_path / ".pulumi.version"
    if content is not None:
        version_file.write_text(content)
    code = install.main(["--version-file", str(version_file)], {}, releases(server.url))
    assert code == install.BAD_VERSION_FILE
    assert server.requests == []
    err = capsys.readouterr().err
    assert err.startswith(f"druva-scim install: .pulumi.version {says}")
    assert "git checkout -- .pulumi.version" in err
