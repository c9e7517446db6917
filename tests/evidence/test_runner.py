"""`scripts/evidence` prints a progress line per section and the summary, and nothing of what
the scenarios that fail on purpose write (tracebacks, child processes' stderr, log records,
unretrieved futures): that goes to its log."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import traceback
import types

from tests.evidence import __main__ as runner
from tests.evidence.record import Row

NOISE = (
    "printed-on-stdout",
    "printed-on-stderr",
    "logged-error",
    "written-to-descriptor-2",
    "child-stderr",
    "a-traceback",
    "never-retrieved",
)


def noisy_rows() -> list[Row]:
    print(NOISE[0])
    print(NOISE[1], file=sys.stderr)
    logging.getLogger("druva_scim.noise").error(NOISE[2])
    os.write(2, NOISE[3].encode() + b"\n")
    subprocess.run(
        [sys.executable, "-c", f"import sys; sys.stderr.write({NOISE[4]!r})"], check=True
    )
    try:
        raise RuntimeError(NOISE[5])
    except RuntimeError:
        traceback.print_exc()
    loop = asyncio.new_event_loop()
    future = loop.create_future()
    future.set_exception(RuntimeError(NOISE[6]))
    del future  # its exception never retrieved: asyncio complains when it is collected
    loop.close()
    return [Row("noise", "program", "failed: on purpose", reason="")]


def test_the_runner_prints_only_progress_and_the_summary(tmp_path, monkeypatch, capfd):
    module = types.ModuleType("tests.evidence.noisy")
    module.rows = noisy_rows  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests.evidence.noisy", module)
    monkeypatch.setattr(runner, "SECTIONS", (("noisy", "1. Noise"),))
    output, log = tmp_path / "EVIDENCE.md", tmp_path / "evidence.log"

    code = runner.main(["--skip-bench", "--output", str(output), "--log", str(log)])

    captured = capfd.readouterr()
    assert code == 0
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "1. Noise: 1/1",
        f"{runner.GROUND_TRUTH}: listed",
        f"wrote {output}: 1/1 as expected (the scenarios' own output: {log})",
    ]
    written = log.read_text()
    # Log records reach pytest's handler here; without one, logging writes them to stderr.
    streamed = [noise for noise in NOISE if noise not in ("logged-error", "never-retrieved")]
    assert all(noise in written for noise in streamed), written
    assert "| noise |" in output.read_text()
