"""Issue 2 figures: provider size, requests during Check + Diff, create overhead."""

from __future__ import annotations

import base64
import http.client
import statistics
import time
from datetime import timedelta
from urllib.parse import urlsplit

from pulumi.runtime.proto import provider_pb2

from bench import TOKEN
from bench.report import Figure
from providers.core import lifecycle
from providers.core.clock import SYSTEM
from providers.druva.token import ScimTokenProvider
from testbed.engine import ProviderHost, from_struct, serialized
from testbed.stand_ins.druva import DruvaScim
from testbed.stand_ins.server import Reply

URN = "urn:pulumi:bench::druva-scim::pulumi-python:dynamic/druva:ScimToken::t"
DELAY = 0.05
RUNS = 9


def issued_yesterday() -> str:
    """A creation time the real clock accepts (the host's Check refuses an expired token)."""
    return lifecycle.format_time(SYSTEM.now() - timedelta(days=1))


def provider_size() -> Figure:
    blob = serialized(ScimTokenProvider())
    return Figure(
        "serialized provider (__provider), bytes",
        len(base64.b64decode(blob)),
        "small, and no token inside",
    )


def requests_during_check_and_diff() -> Figure:
    with DruvaScim(TOKEN) as druva, ProviderHost() as host:
        provider = serialized(ScimTokenProvider())
        news = {
            "scimToken": TOKEN,
            "tenantUrl": druva.url,
            "issuedAt": issued_yesterday(),
            "lifetimeDays": 365,
            "rotateBeforeDays": 30,
            "__provider": provider,
        }
        inputs = from_struct(host.check(URN, {}, news).inputs)
        state = from_struct(host.create(URN, inputs).properties)
        before = len(druva.requests)
        again = from_struct(host.check(URN, inputs, news).inputs)
        diff = host.diff(URN, state["fingerprint"], state, again)
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
        return Figure(
            "Druva requests during Check + Diff of an unchanged token",
            len(druva.requests) - before,
            "0",
        )


def create_over_round_trip() -> Figure:
    provider = ScimTokenProvider()
    with DruvaScim(TOKEN) as druva:
        original = druva.handle

        def slow(request):
            reply: Reply = original(request)
            reply.delay = DELAY
            return reply

        druva.handle = slow  # type: ignore[method-assign]
        props = {
            "scimToken": TOKEN,
            "tenantUrl": druva.url,
            "issuedAt": issued_yesterday(),
            "lifetimeDays": 365,
            "rotateBeforeDays": 30,
        }
        parts = urlsplit(druva.url)
        ratios = []
        for _ in range(RUNS):
            started = time.perf_counter()
            provider.create(props)
            create = time.perf_counter() - started

            started = time.perf_counter()
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
            connection.request(
                "GET", parts.path + "/Users", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            connection.getresponse().read()
            connection.close()
            bare = time.perf_counter() - started
            ratios.append(create / bare)
    return Figure(
        f"one create / one bare HTTP round trip (server answers after {DELAY * 1000:.0f} ms), "
        f"median of {RUNS}",
        round(statistics.median(ratios), 3),
        "<= 1.2",
    )


def figures() -> list[Figure]:
    return [provider_size(), requests_during_check_and_diff(), create_over_round_trip()]
