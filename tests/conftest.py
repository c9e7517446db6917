import logging
from collections.abc import Iterator

import pytest

from providers import cli
from testbed.stand_ins.druva import DruvaScim
from tests.doubles import TOKEN, pickler_restored


@pytest.fixture
def druva() -> Iterator[DruvaScim]:
    with DruvaScim(TOKEN) as stand_in:
        yield stand_in


@pytest.fixture(autouse=True)
def _restore_pickler() -> Iterator[None]:
    """Every test starts with the pickle module as Python made it (see pickler_restored)."""
    with pickler_restored():
        yield


@pytest.fixture(autouse=True)
def _no_stored_backend(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """A backend a developer stored in this checkout (.druva-scim/backend) reaches no test."""
    monkeypatch.setattr(cli, "BACKEND_FILE", tmp_path_factory.getbasetemp() / "no-backend")


def pytest_sessionfinish() -> None:
    """Futures of runs that stopped on purpose are reported when Python collects them at
    exit; each run's error was already asserted, so asyncio need not print them again."""
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
