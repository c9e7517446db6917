"""Any process: what the health check needs from a stack's outputs, read and checked, pure.

`pulumi stack output --json` (never with `--show-secrets`) gives the token's
dates and the `targets` output, whose entries say where each app is: the
service principal, the Graph URL, tenant and client ids of an Azure app, the app
id and org URL of an Okta app. None of it is secret. Outputs a stack exported
before the health check existed lack these keys: they are unusable, by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from providers.core import gate
from providers.core.settings import is_loopback_host, shown

AZURE, OKTA_API, OKTA_MANUAL = "azure", "okta-api", "okta-manual"


@dataclass(frozen=True)
class AzureReach:
    name: str
    service_principal_id: str
    graph_url: str
    tenant_id: str | None
    """None: the tenant of the environment's credentials (ARM_TENANT_ID)."""
    client_id: str | None
    state: str | None
    """What the stack recorded: verified, unverified."""


@dataclass(frozen=True)
class OktaReach:
    name: str
    kind: str
    app_id: str
    org_url: str | None
    """None: the stack knew no org for this manual app (no okta:orgName, no oktaOrgs entry)."""
    state: str | None
    """What the stack recorded: connection-enabled, unverified, pending, confirmed."""


@dataclass(frozen=True)
class Stack:
    fingerprint: str | None
    issued_at: datetime
    expires_at: datetime
    azure: tuple[AzureReach, ...]
    okta: tuple[OktaReach, ...]

    def states(self) -> dict[str, str | None]:
        apps: list[AzureReach | OktaReach] = [*self.azure, *self.okta]
        return {app.name: app.state for app in apps}


def read(document: object, now: datetime) -> tuple[Stack | None, list[str]]:
    """The stack as health needs it, or every problem that makes its outputs unusable."""
    verdict = gate.evaluate(document, now)
    if verdict.exit_code == gate.UNUSABLE:
        return None, list(verdict.problems) or [verdict.message]
    if not isinstance(document, Mapping):  # evaluate refuses anything else
        return None, [verdict.message]
    problems = [] if verdict.issued_at else ["output issuedAt is missing"]
    targets = document.get("targets")
    if not isinstance(targets, list):
        return None, [*problems, f"output targets is {shown(targets)}, not a list of apps"]
    azure: list[AzureReach] = []
    okta: list[OktaReach] = []
    for where, entry in gate.objects(targets, "targets", problems):
        name, kind = entry.get("name"), entry.get("kind")
        if not isinstance(name, str) or not name or kind not in (AZURE, OKTA_API, OKTA_MANUAL):
            problems.append(
                f"{where} has no name, or a kind other than azure, okta-api, okta-manual"
            )
            continue
        state = _optional(entry, "state", where, problems)
        if kind == AZURE:
            sp_id = _required(entry, "servicePrincipalId", where, problems)
            graph_url = _url(entry, "graphUrl", where, problems, required=True)
            tenant = _optional(entry, "tenantId", where, problems, missing_is_old=True)
            client = _optional(entry, "clientId", where, problems, missing_is_old=True)
            if sp_id and graph_url:
                azure.append(AzureReach(name, sp_id, graph_url, tenant, client, state))
        else:
            app_id = _required(entry, "appId", where, problems)
            org_url = _url(entry, "orgUrl", where, problems, required=False)
            if app_id:
                okta.append(OktaReach(name, str(kind), app_id, org_url, state))
    if problems or verdict.issued_at is None or verdict.expires_at is None:
        return None, problems
    stack = Stack(
        verdict.fingerprint, verdict.issued_at, verdict.expires_at, tuple(azure), tuple(okta)
    )
    return stack, []


OLD_STACK = "missing: the stack was last deployed before the health check existed"


def _required(entry: Mapping[str, object], key: str, where: str, problems: list[str]) -> str | None:
    value = entry.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    problems.append(f"{where}.{key} is {'missing' if value is None else shown(value)}")
    return None


def _optional(
    entry: Mapping[str, object],
    key: str,
    where: str,
    problems: list[str],
    *,
    missing_is_old: bool = False,
) -> str | None:
    if missing_is_old and key not in entry:
        problems.append(f"{where}.{key} is {OLD_STACK}")
        return None
    value = entry.get(key)
    if value is None or (isinstance(value, str) and value.strip()):
        return value.strip() if isinstance(value, str) else None
    problems.append(f"{where}.{key} is {shown(value)}, not text")
    return None


def _url(
    entry: Mapping[str, object], key: str, where: str, problems: list[str], *, required: bool
) -> str | None:
    if key not in entry:
        problems.append(f"{where}.{key} is {OLD_STACK}")
        return None
    value = entry.get(key)
    if value is None and not required:
        return None
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        secure = parts.scheme == "https" or (
            parts.scheme == "http" and is_loopback_host(parts.hostname or "")
        )
        if secure and parts.hostname:
            return value.strip().rstrip("/")
    problems.append(
        f"{where}.{key} is {shown(value)}, not an https URL (a credential is sent there)"
    )
    return None
