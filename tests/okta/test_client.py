"""Okta's rate limits: X-Rate-Limit-Reset waited out, by Okta's clock, within the bound
(providers/okta/client.py)."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from providers.core.errors import ProviderError
from providers.http import new_session
from providers.okta import client as okta_client
from providers.okta import connections
from providers.okta import sign_in as okta_sign_in
from testbed.stand_ins.okta import Okta, rate_limited
from tests.doubles import FAST

API_TOKEN = "00OkTa-ApI-ToKeN-3f9a1c7e5b2d4f60a8e7"


APP_ID = "0oa1druvascim0001"


APP = "Druva inSync"


@pytest.fixture
def okta() -> Iterator[Okta]:
    with Okta(API_TOKEN) as stand_in:
        stand_in.add_app(APP_ID)
        yield stand_in


def sign_in(stand_in: Okta, environ: dict[str, str]) -> okta_sign_in.OktaAuthorization:
    return okta_sign_in.okta_authorization(environ, stand_in.url, FAST, datetime.now(UTC))


def verify(stand_in: Okta, environ: dict[str, str] | None = None, app_id: str = APP_ID):
    authorization = sign_in(stand_in, environ or {"OKTA_API_TOKEN": API_TOKEN})
    with new_session(FAST, retry_class=okta_client.OktaRetry) as session:
        return connections.verify_connection(
            session, stand_in.url, app_id, authorization, FAST, app_name=APP
        )


def test_a_429_waits_for_x_rate_limit_reset_then_succeeds(okta):
    okta.fail_next(rate_limited(reset_in=1))
    started = time.monotonic()
    verify(okta)
    elapsed = time.monotonic() - started
    assert len(okta.requests) == 2
    assert 0.9 <= elapsed < 3, elapsed


def test_a_reset_already_past_retries_at_once(okta):
    okta.fail_next(rate_limited(reset_in=-5))
    started = time.monotonic()
    verify(okta)
    assert len(okta.requests) == 2
    assert time.monotonic() - started < 0.5


def test_a_far_reset_is_bounded_by_the_policy(okta):
    okta.fail_next(rate_limited(reset_in=3600))
    started = time.monotonic()
    verify(okta)
    assert time.monotonic() - started < FAST.retry_after_max + 1.5


def test_a_rate_limit_that_never_lifts_is_reported(okta):
    okta.fail_next(*[rate_limited(reset_in=0) for _ in range(FAST.attempts)])
    with pytest.raises(ProviderError, match=f"HTTP 429: E0000047.*after {FAST.attempts} attempts"):
        verify(okta)


def test_the_wait_uses_oktas_clock_from_the_date_header():
    now = 1_800_000_000.0
    okta_clock = now - 20  # the runner's clock is 20 s ahead of Okta's
    headers = {
        "X-Rate-Limit-Reset": str(int(okta_clock) + 3),
        "Date": formatdate(okta_clock, usegmt=True),
    }
    assert okta_client.rate_limit_wait(headers, 30, now) == 3.0
    assert okta_client.rate_limit_wait({"X-Rate-Limit-Reset": str(int(now) + 3)}, 30, now) == 3.0
    assert okta_client.rate_limit_wait({"X-Rate-Limit-Reset": str(int(now) + 99)}, 30, now) == 30.0
    assert okta_client.rate_limit_wait({}, 30, now) is None
