"""The real providers with test-sized timeouts and a fixed clock, importable by the provider host.

The SDK's host (`python -m pulumi.dynamic`) unpickles a provider by reference to
its class, so the classes the scenarios hand to it live in a module it can import.
Like the real providers they hold nothing: the Azure test credential is read,
through the provider's own `credential()` hook, from the host's environment, and
Okta's API token from OKTA_API_TOKEN as in production.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from azure.core.credentials import AccessToken, TokenCredential

from providers.azure.check import AzureProvisioningCheckProvider
from providers.core.clock import FixedClock
from providers.core.errors import ProviderError
from providers.http import HttpPolicy
from providers.okta.check import OktaConnectionCheckProvider
from tests.support import FAST, FastProvider

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ISSUED_AT = "2026-11-01T09:30:00Z"

GRAPH_BEARER_VARIABLE = "DRUVA_SCIM_TEST_GRAPH_BEARER"
"""Where the host finds the access token the Graph stand-in accepts."""
GRAPH_BEARER = "eyJ0eXAiOiJKV1QifQ.sCeNaRiO-GrApH-BeArEr.sig"
OKTA_API_TOKEN = "00OkTa-ScEnArIo-ToKeN-5e4d3c2b1a09"
SERVICE_PRINCIPAL = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
WRONG_SERVICE_PRINCIPAL = "00000000-1111-4222-8333-444444444444"
JOB = "scim.6a1f2b3c4d5e.0001"
OKTA_APP = "0oa1druvascim0001"
WRONG_OKTA_APP = "0oa9nosuchapp0009"


class FixedCredential:
    """azure-core's TokenCredential protocol with one access token; never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    def __repr__(self) -> str:
        return "FixedCredential([redacted])"


class TokenProvider(FastProvider):
    """ScimTokenProvider with test-sized timeouts at a fixed moment."""

    clock = FixedClock(NOW)


class AzureCheck(AzureProvisioningCheckProvider):
    """AzureProvisioningCheckProvider with test-sized timeouts, a fixed clock, and the
    access token from GRAPH_BEARER_VARIABLE instead of an Entra ID sign-in."""

    http_policy: ClassVar[HttpPolicy] = FAST
    clock = FixedClock(NOW)

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.environ = dict(environ) if environ is not None else None
        """None: the host's own environment, as in production."""

    def environment(self) -> Mapping[str, str]:
        return self.environ if self.environ is not None else os.environ

    def credential(
        self, graph_url: str, tenant_id: str | None, client_id: str | None
    ) -> TokenCredential:
        bearer = self.environment().get(GRAPH_BEARER_VARIABLE, "")
        if not bearer:
            raise ProviderError(f"{GRAPH_BEARER_VARIABLE} is not set in the provider's environment")
        return FixedCredential(bearer)


class OktaCheck(OktaConnectionCheckProvider):
    """OktaConnectionCheckProvider with test-sized timeouts and a fixed clock."""

    http_policy: ClassVar[HttpPolicy] = FAST
    clock = FixedClock(NOW)

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.environ = dict(environ) if environ is not None else None

    def environment(self) -> Mapping[str, str]:
        return self.environ if self.environ is not None else os.environ
