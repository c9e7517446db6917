"""Write docs/EVIDENCE.md: `scripts/evidence` (= `venv/bin/python -m tests.evidence`).

Runs every scenario module of this package and every benchmark (bench/), then
writes the tables. The tests assert on the same rows, so the document shows what
the suite checks, measured on the machine that ran it.

It prints a progress line per section and the summary, nothing else: what the
scenarios that fail on purpose write (tracebacks, the providers' and gRPC's
stderr, log records, even from child processes) goes to a log file (`--log`).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bench import apps, health, outage, token
from bench.report import Figure
from tests.evidence import ground_truth
from tests.evidence.record import HEADER, Row

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "EVIDENCE.md"
LOG = Path(tempfile.gettempdir()) / "druva-scim-evidence.log"
SECTIONS = (
    ("faults", "1. Faults against the Druva, Graph and Okta stand-ins"),
    ("bad_input", "2. Bad input"),
    ("secrets", "3. Secrets"),
    ("interruption", "4. Interruption"),
    ("time_travel", "5. Time"),
    ("sequences", "6. Sequences across runs"),
    ("health", "7. Provisioning health"),
)
GROUND_TRUTH = f"{len(SECTIONS) + 1}. Ground truth: payloads, contracts, the engine's rules"
PERFORMANCE = f"{len(SECTIONS) + 2}. Performance"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def scenario_section(module: str, title: str) -> tuple[str, int, int]:
    started = time.perf_counter()
    rows: list[Row] = importlib.import_module(f"tests.evidence.{module}").rows()
    seconds = time.perf_counter() - started
    passed = sum(row.passed for row in rows)
    text = (
        f"## {title}\n\n{passed} of {len(rows)} scenarios as expected, in {seconds:.1f} s.\n\n"
        + markdown_table(HEADER, [row.cells() for row in rows])
    )
    return text, passed, len(rows)


def figures_section() -> str:
    parts = [f"## {PERFORMANCE}\n", "Ratios measured in one run on this machine; not assertions.\n"]
    for title, figures in (
        ("The ScimToken resource", token.figures()),
        ("The identity-provider consumers", apps.figures()),
        ("Provisioning health: requests and time for 1, 10 and 50 apps", health.figures()),
        (
            "The outage window: from the paste to `pulumi up`, and the checks before",
            outage.figures(),
        ),
    ):
        parts.append(f"### {title}\n")
        parts.append(markdown_table(["figure", "measured", "goal"], [_cells(f) for f in figures]))
    return "\n".join(parts)


def _cells(figure: Figure) -> list[str]:
    return [figure.name, str(figure.value), figure.goal]


@contextlib.contextmanager
def quiet(log: Path, restore: bool = True) -> Iterator[TextIO]:
    """Everything written to stdout or stderr inside, by this process (Python's streams and
    the descriptors under them) or its children, goes to `log`; yields the terminal's stderr
    for the progress lines. Without `restore` the descriptors stay so until the process
    exits: futures the harness still holds complain only when the interpreter collects them."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(2), "w", buffering=1)
    log.write_text("")
    with (
        log.open("a", buffering=1) as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield terminal
        finally:
            # Futures whose exception nobody retrieved complain when collected: here, not later.
            gc.collect()
            sys.stdout.flush()
            sys.stderr.flush()
            if restore:
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
            for descriptor in saved:
                os.close(descriptor)
            terminal.close()


def main(argv: list[str] | None = None, restore: bool = True) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DOCUMENT, help="where to write")
    parser.add_argument("--skip-bench", action="store_true", help="scenarios only")
    parser.add_argument(
        "--log", type=Path, default=LOG, help="where the scenarios' own output goes"
    )
    args = parser.parse_args(argv)
    with quiet(args.log, restore) as terminal:
        return run(args.output, args.skip_bench, args.log, terminal)


def run(output: Path, skip_bench: bool, log: Path, terminal: TextIO) -> int:
    started = time.perf_counter()
    sections: list[str] = []
    passed = total = 0
    for module, title in SECTIONS:
        text, ok, count = scenario_section(module, title)
        sections.append(text)
        passed += ok
        total += count
        print(f"{title}: {ok}/{count}", file=terminal)
    sections.append(ground_truth.section(GROUND_TRUTH))
    print(f"{GROUND_TRUTH}: listed", file=terminal)
    if not skip_bench:
        sections.append(figures_section())
        print(f"{PERFORMANCE}: measured", file=terminal)
    seconds = time.perf_counter() - started

    header = (
        "# Evidence: reliability, security and performance\n\n"
        "Generated by `scripts/evidence` (`venv/bin/python -m tests.evidence`); do not edit by "
        "hand. Every scenario runs against real HTTP servers on 127.0.0.1 that answer as Druva, "
        "Microsoft Graph and Okta document, through the real clients, the SDK's dynamic-provider "
        "host or the program under Pulumi's mocks. The test suite asserts the same rows.\n\n"
        f"- generated: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
        f"- result: {passed} of {total} scenarios as expected; {seconds:.0f} s in all\n\n"
        "Columns: *attempts* = requests the stand-in received; *state changed* = whether the "
        "resource's recorded state changed (a failed step changes nothing); *converged* = a "
        "later run with the fault gone succeeded with the same token and the same outputs; "
        "*token safe* = the token is still in config and state, and in no observable output.\n"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(header + "\n" + "\n".join(sections))
    print(
        f"wrote {output}: {passed}/{total} as expected (the scenarios' own output: {log})",
        file=terminal,
    )
    return 0 if passed == total else 1


if __name__ == "__main__":
    raise SystemExit(main(restore=False))
