"""The benchmarks' inputs stay valid as the program grows (their figures are not asserted)."""

import pytest

from bench import apps, outage
from bench import health as health_bench
from bench.token import provider_size, requests_during_check_and_diff
from testbed.harness import run_program


@pytest.mark.parametrize("count", [1, 9])
def test_the_consumers_benchmark_configures_a_valid_stack(count):
    run = run_program(apps.apps_config(count))
    assert run.error is None, run.messages("error")
    kinds = {target["kind"] for target in run.exports["targets"]}
    assert kinds == ({"azure"} if count < 3 else {"azure", "okta-api", "okta-manual"})


def test_the_provider_size_figure_measures_the_real_blob():
    figure = provider_size()
    assert isinstance(figure.value, int) and 0 < figure.value < 1000


def test_the_health_benchmark_reads_every_app_once_and_each_log_in_two_pages():
    run = health_bench.measure(2)
    assert run.report.exit_code == 0, run.report.lines()
    assert [app.kind for app in run.report.apps] == [
        "druva",
        "azure",
        "azure",
        "okta-api",
        "okta-api",
    ]
    assert (run.graph_requests, run.okta_requests) == (2, 4)
    assert run.report.apps[-1].details["pushes"] == health_bench.EVENTS_PER_APP


def test_the_check_and_diff_figure_runs_through_the_host():
    assert requests_during_check_and_diff().value == 0


@pytest.mark.parametrize("run", [outage.rotation, outage.guided], ids=["helper", "first-run"])
def test_the_outage_window_reaches_pulumi_up_with_the_token_stored(run):
    measured = outage.window(run, dict(outage.DEPLOYED), outage.STAND_IN)
    assert "config set --secret" in measured.commands
    assert not any(command.startswith("stack") for command in measured.commands)
