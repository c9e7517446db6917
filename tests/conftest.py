from collections.abc import Iterator

import pytest

from tests.stand_ins.druva import DruvaScim
from tests.support import TOKEN


@pytest.fixture
def druva() -> Iterator[DruvaScim]:
    with DruvaScim(TOKEN) as stand_in:
        yield stand_in
