"""The four dynamic providers as the sequences' provider host runs them (host process).

The real classes with a short HTTP policy, a clock the test moves (a file named by
CLOCK_VARIABLE, read on every call), and the checks pointed at the Graph and Okta
stand-ins named in the host's environment. Like the real ones they hold nothing, so
dill pickles them by reference; the outputs they return name the real Graph and Okta
URLs, as the program registered them, so that the next Diff sees no change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from azure.core.credentials import TokenCredential

from providers.azure.check import AzureProvisioningCheckProvider
from providers.core.clock import Clock
from providers.core.errors import ProviderError
from providers.druva.token import ScimTokenProvider
from providers.http import HttpPolicy
from providers.okta.check import OktaConnectionCheckProvider
from providers.okta.handoff import OktaManualHandoffProvider
from tests.scenarios.fast_providers import GRAPH_BEARER_VARIABLE, FixedCredential

CLOCK_VARIABLE = "DRUVA_SCIM_TEST_CLOCK"
GRAPH_URL_VARIABLE = "DRUVA_SCIM_TEST_GRAPH_URL"
OKTA_URL_VARIABLE = "DRUVA_SCIM_TEST_OKTA_URL"

SHORT = HttpPolicy(
    connect_timeout=0.3,
    read_timeout=0.3,
    attempts=2,
    backoff_factor=0.01,
    backoff_max=0.02,
    retry_after_max=1,
    max_body_bytes=1024 * 1024,
)
"""Two tries, 0.3 s each: a refresh that meets a timeout ends within about a second."""


class FileClock(Clock):
    """The moment the test wrote into the file CLOCK_VARIABLE names, read on every call."""

    def now(self) -> datetime:
        text = Path(os.environ[CLOCK_VARIABLE]).read_text().strip()
        return datetime.fromisoformat(text).astimezone(UTC)


FILE_CLOCK = FileClock()


def set_clock(path: Path, moment: datetime) -> None:
    path.write_text(moment.isoformat())


class SequenceToken(ScimTokenProvider):
    http_policy: ClassVar[HttpPolicy] = SHORT

    clock = FILE_CLOCK


class SequenceHandoff(OktaManualHandoffProvider):
    clock = FILE_CLOCK


class SequenceAzureCheck(AzureProvisioningCheckProvider):
    http_policy: ClassVar[HttpPolicy] = SHORT

    clock = FILE_CLOCK

    def credential(
        self, graph_url: str, tenant_id: str | None, client_id: str | None
    ) -> TokenCredential:
        bearer = os.environ.get(GRAPH_BEARER_VARIABLE, "")
        if not bearer:
            raise ProviderError(f"{GRAPH_BEARER_VARIABLE} is not set in the provider's environment")
        return FixedCredential(bearer)

    def verify(self, props: Mapping[str, Any]) -> dict[str, Any]:
        outputs = super().verify({**props, "graphUrl": os.environ[GRAPH_URL_VARIABLE]})
        return {**outputs, "graphUrl": props.get("graphUrl")}


class SequenceOktaCheck(OktaConnectionCheckProvider):
    http_policy: ClassVar[HttpPolicy] = SHORT

    clock = FILE_CLOCK

    def verify(self, props: Mapping[str, Any]) -> dict[str, Any]:
        outputs = super().verify({**props, "orgUrl": os.environ[OKTA_URL_VARIABLE]})
        return {**outputs, "orgUrl": props.get("orgUrl")}
