"""The gate as pipelines run it: `python -m providers.status`, its input, output and exit codes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers import gate as command
from providers.core import gate, lifecycle
from testbed import ROOT
from testbed.stand_ins import pulumi_cli
from tests.doubles import PENDING_HANDOFF, STACK_OUTPUTS


def run_gate(
    *arguments: str, stdin: str | None = None, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": path if path is not None else os.environ["PATH"]}
    return subprocess.run(
        [sys.executable, "-m", "providers.status", *arguments],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("now", "code", "start"),
    [
        ("2027-01-01T00:00:00Z", 0, "Druva SCIM token 3f2a9c1e5b2d is valid until 2027-11-22"),
        ("2027-11-10T12:00:00Z", 1, "Druva SCIM token 3f2a9c1e5b2d expires 2027-11-22 (11 days)"),
        ("2027-11-25T00:00:00Z", 2, "Druva SCIM token 3f2a9c1e5b2d expired 2027-11-22"),
    ],
)
def test_exit_codes_from_piped_outputs(now, code, start):
    completed = run_gate("-", "--now", now, stdin=json.dumps(STACK_OUTPUTS))
    assert completed.returncode == code
    assert completed.stdout.startswith(start)
    assert completed.stdout.count("\n") == 1
    assert completed.stderr == ""


def test_piped_stdin_is_read_without_the_dash():
    completed = run_gate("--now", "2027-11-10T12:00:00Z", stdin=json.dumps(STACK_OUTPUTS))
    assert completed.returncode == 1


def test_pending_handoffs_exit_1():
    outputs = {**STACK_OUTPUTS, "pendingManualSteps": [PENDING_HANDOFF]}
    completed = run_gate("-", "--now", "2027-01-01T00:00:00Z", stdin=json.dumps(outputs))
    assert completed.returncode == 1
    assert "hand-off is pending (druva-okta)" in completed.stdout


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("{not json", "the stack outputs are not JSON"),
        ("[]", "the stack outputs are a JSON list, not an object"),
        (json.dumps({**STACK_OUTPUTS, "expiresAt": None}), "output expiresAt is None"),
        ("", "the stack outputs are empty"),
    ],
    ids=["malformed", "not-an-object", "bad-date", "empty"],
)
def test_unusable_outputs_exit_3_with_the_reason_on_stderr(document, says):
    completed = run_gate("-", stdin=document)
    assert completed.returncode == 3
    assert completed.stdout == ""
    assert says in completed.stderr


def test_json_mode_prints_one_object_and_keeps_the_exit_code():
    completed = run_gate(
        "-", "--json", "--now", "2027-11-25T00:00:00Z", stdin=json.dumps(STACK_OUTPUTS)
    )
    assert completed.returncode == 2
    rendered = json.loads(completed.stdout)
    assert rendered["status"] == "expired"
    assert rendered["exitCode"] == 2
    assert rendered["daysLeft"] == -3
    assert "[secret]" not in completed.stdout

    missing = run_gate("-", "--json", stdin=json.dumps({"expiresAt": "2027-11-22T09:30:00Z"}))
    assert missing.returncode == 3
    assert json.loads(missing.stdout)["problems"] == [
        "output rotateAfter is missing",
        "output pendingManualSteps is missing",
    ]


def test_a_bad_now_is_a_usage_error_that_never_exits_2():
    completed = run_gate("-", "--now", "tomorrow", stdin=json.dumps(STACK_OUTPUTS))
    assert completed.returncode == 3
    assert "--now" in completed.stderr
    assert "RFC 3339" in completed.stderr


def test_dash_and_stack_together_are_a_usage_error():
    completed = run_gate("-", "--stack", "prod", stdin=json.dumps(STACK_OUTPUTS))
    assert completed.returncode == 3
    assert "either - (outputs on stdin) or --stack" in completed.stderr


def test_without_input_the_gate_asks_pulumi_for_the_stacks_outputs(tmp_path):
    stand_in = pulumi_cli.install(tmp_path / "bin", {"outputs": STACK_OUTPUTS})
    completed = run_gate(
        "--stack", "prod", "--now", "2027-01-01T00:00:00Z", path=stand_in.path_first()
    )
    assert completed.returncode == 0, completed.stderr
    [call] = stand_in.calls()
    assert call["argv"][1:] == ["stack", "output", "--json", "--stack", "prod"]
    assert "--show-secrets" not in call["argv"]


def test_a_ci_runners_empty_stdin_falls_back_to_asking_pulumi(tmp_path):
    stand_in = pulumi_cli.install(tmp_path / "bin", {"outputs": STACK_OUTPUTS})
    completed = run_gate("--now", "2027-11-25T00:00:00Z", stdin="", path=stand_in.path_first())
    assert completed.returncode == 2
    assert [call["command"] for call in stand_in.calls()] == ["stack output --json"]


def test_a_failing_pulumi_is_reported_with_its_message(tmp_path):
    failure = {"stack output": {"code": 255, "message": "error: no stack named 'prod' found"}}
    stand_in = pulumi_cli.install(tmp_path / "bin", {"fail": failure})
    completed = run_gate("--stack", "prod", path=stand_in.path_first())
    assert completed.returncode == 3
    assert "failed with exit code 255: error: no stack named 'prod' found" in completed.stderr


def test_a_missing_pulumi_says_how_to_install_it_or_pipe_instead(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    completed = run_gate("--stack", "prod", path=str(empty))
    assert completed.returncode == 3
    assert "pulumi CLI is not on PATH" in completed.stderr
    assert "pulumi stack output --json | python -m providers.status -" in completed.stderr


DEEP_DOCUMENT = "[" * 100_000 + "]" * 100_000
EDGE_EXPIRY = json.dumps({**STACK_OUTPUTS, "expiresAt": "9999-12-31T23:30:00-01:00"})


@pytest.mark.parametrize(
    ("arguments", "document", "says"),
    [
        (("-",), DEEP_DOCUMENT, "nest lists or objects too deep"),
        (("-",), '{"expiresAt": ' + DEEP_DOCUMENT + "}", "nest lists or objects too deep"),
        (
            ("-", "--now", "0001-01-01T00:00:00+01:00"),
            json.dumps(STACK_OUTPUTS),
            "outside the calendar",
        ),
        (("-",), EDGE_EXPIRY, "output expiresAt is '9999-12-31T23:30:00-01:00', not an RFC"),
    ],
    ids=["deep", "deep-value", "now-before-year-1", "expiry-after-9999"],
)
def test_unusable_input_exits_3_without_a_traceback(arguments, document, says):
    completed = run_gate(*arguments, stdin=document)
    assert completed.returncode == 3, completed.stderr
    assert says in completed.stderr
    assert "Traceback" not in completed.stderr and completed.stdout == ""


def test_a_crash_of_the_gate_itself_is_exit_3_in_one_sentence(monkeypatch, capsys):
    def crash(document: object, now: datetime) -> gate.Verdict:
        raise RuntimeError("boom")

    monkeypatch.setattr(gate, "evaluate", crash)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(STACK_OUTPUTS)))
    assert command.main(["-"]) == gate.UNUSABLE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == command.CRASHED.format(kind="RuntimeError")
    assert "boom" not in captured.err


times = st.datetimes(
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-1))])
).map(lambda moment: moment.isoformat()) | st.sampled_from(
    ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"]
)
json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | times
json_documents = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
handoffs = st.lists(
    st.fixed_dictionaries(
        {}, optional={"name": json_leaves, "steps": json_documents, "appId": json_leaves}
    ),
    max_size=2,
)


# Documents shaped like the stack's outputs, so that every exit code is reached.
output_documents = st.fixed_dictionaries(
    {
        "expiresAt": times | json_leaves,
        "rotateAfter": times | json_leaves,
        "pendingManualSteps": st.just([]) | handoffs | json_documents,
    },
    optional={
        "issuedAt": times | json_leaves,
        "tokenFingerprint": json_leaves,
        "x": json_documents,
    },
)


@st.composite
def consistent_documents(draw: st.DrawFn) -> dict[str, object]:
    """Good outputs (rotateAfter before expiresAt) with arbitrary hand-offs."""
    expires = draw(st.datetimes(min_value=datetime(1, 12, 1), timezones=st.just(UTC)))
    rotate = expires - timedelta(days=draw(st.integers(0, 300)))
    return {
        **STACK_OUTPUTS,
        "expiresAt": expires.isoformat(),
        "rotateAfter": rotate.isoformat(),
        "pendingManualSteps": draw(st.just([]) | handoffs),
    }


def well_formed(document: object) -> bool:
    """What exit 1 or 2 requires: both dates readable and the hand-offs a list."""
    if not isinstance(document, dict) or not isinstance(document.get("pendingManualSteps"), list):
        return False
    for key in ("expiresAt", "rotateAfter"):
        try:
            lifecycle.parse_time(document[key])
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(
    json_documents | output_documents | consistent_documents(), st.datetimes(timezones=st.just(UTC))
)
def test_any_json_document_gives_an_exit_code_and_due_or_expired_only_when_well_formed(
    document, now
):
    text = json.dumps(document)
    stdin, stdout, stderr = io.StringIO(text), io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        real, sys.stdin = sys.stdin, stdin
        try:
            code = command.main(["-", "--now", lifecycle.format_time(now)])
        finally:
            sys.stdin = real
    assert code in (0, 1, 2, 3)
    assert "Traceback" not in stderr.getvalue()
    if code in (1, 2):
        assert well_formed(document)
