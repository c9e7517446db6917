"""Program, provider host and command line: signing in to Azure for Microsoft Graph, from the
environment the azuread provider reads.

The variables, in the order the azuread Pulumi provider weighs them (secrets only
ever come from there, never from stack config): ARM_USE_OIDC with ARM_OIDC_TOKEN,
ARM_OIDC_TOKEN_FILE_PATH, ARM_OIDC_REQUEST_URL and ARM_OIDC_REQUEST_TOKEN (or
GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN) or
AZURE_FEDERATED_TOKEN_FILE; ARM_CLIENT_SECRET or ARM_CLIENT_SECRET_FILE_PATH;
AZURE_FEDERATED_TOKEN_FILE with ARM_USE_AKS_WORKLOAD_IDENTITY; else
DefaultAzureCredential (AZURE_* variables, managed identity with ARM_USE_MSI,
`az login`). ARM_TENANT_ID and ARM_CLIENT_ID (or AZURE_TENANT_ID, AZURE_CLIENT_ID)
name the identity. Every credential here signs in over our own connections, so
the operation's deadline holds for sign-in too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import (
    ClientAssertionCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
)

from providers.azure.graph import WHAT
from providers.core import redaction
from providers.core.errors import CredentialsError, ProviderError
from providers.core.redaction import excerpt
from providers.core.texts import AZURE_SIGN_IN
from providers.deadline import within_deadline
from providers.http import HttpPolicy, call, new_session, origin

# Where a national cloud's Graph signs people in.
LOGIN_HOSTS = {
    "graph.microsoft.com": "login.microsoftonline.com",
    "graph.microsoft.us": "login.microsoftonline.us",
    "dod-graph.microsoft.us": "login.microsoftonline.us",
    "microsoftgraph.chinacloudapi.cn": "login.chinacloudapi.cn",
}
# The audience Entra ID expects on a federated token (its documented default).
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"


def scope(graph_url: str) -> str:
    """The OAuth scope for this Graph: `https://graph.microsoft.us/.default` in US Gov."""
    return f"{origin(graph_url)}/.default"


def login_host(graph_url: str) -> str:
    """Entra ID's sign-in host for the cloud this Graph belongs to."""
    return LOGIN_HOSTS.get(urlsplit(graph_url).hostname or "", LOGIN_HOSTS["graph.microsoft.com"])


class BoundedTransport(RequestsTransport):  # type: ignore[misc]  # azure-core exports it lazily
    """azure-identity's requests on our connections, so the operation's deadline holds for
    sign-in too: it cuts a read in progress, and azure-core's own retries (the only ones
    here) wait only as long as it leaves."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = super().send(request, **kwargs)
        # An answer that ends after the deadline may be one the watchdog cut short.
        within_deadline(0.0)
        return response

    def sleep(self, duration: float) -> None:
        within_deadline(duration)
        super().sleep(duration)


def sign_in_options(authority: str, policy: HttpPolicy) -> dict[str, Any]:
    """What every azure-identity credential here is built with."""
    return {
        "authority": authority,
        "transport": BoundedTransport(
            session=new_session(policy, retries=False),
            connection_timeout=policy.connect_timeout,
            read_timeout=policy.read_timeout,
        ),
    }


@dataclass(frozen=True)
class CredentialPlan:
    """Which credential the environment calls for. Names and ids only, never a secret."""

    kind: str
    """client-secret, oidc-token, oidc-token-file, oidc-request, workload-identity or default."""
    tenant_id: str | None
    client_id: str | None
    source: str
    """Where the secret comes from, for messages: a variable's name or a file path."""


def credential_plan(
    environ: Mapping[str, str], tenant_id: str | None = None, client_id: str | None = None
) -> CredentialPlan:
    """Choose as the azuread provider does: OIDC when ARM_USE_OIDC, then a client secret,
    then AKS workload identity, else DefaultAzureCredential (AZURE_* variables, managed
    identity, `az login`). A tenant or client id passed in wins over the environment."""
    tenant = tenant_id or _credential(environ, "ARM_TENANT_ID", "AZURE_TENANT_ID", secret=False)
    client = client_id or _credential(environ, "ARM_CLIENT_ID", "AZURE_CLIENT_ID", secret=False)

    if _true(environ, "ARM_USE_OIDC"):
        kind, source = _oidc_source(environ)
        return _with_ids(CredentialPlan(kind, tenant, client, source))
    if _credential(environ, "ARM_CLIENT_SECRET"):
        return _with_ids(CredentialPlan("client-secret", tenant, client, "ARM_CLIENT_SECRET"))
    if _env(environ, "ARM_CLIENT_SECRET_FILE_PATH"):
        path = _env(environ, "ARM_CLIENT_SECRET_FILE_PATH") or ""
        return _with_ids(CredentialPlan("client-secret", tenant, client, path))
    federated = _env(environ, "AZURE_FEDERATED_TOKEN_FILE")
    if federated and (_true(environ, "ARM_USE_AKS_WORKLOAD_IDENTITY") or (tenant and client)):
        return _with_ids(CredentialPlan("workload-identity", tenant, client, federated))
    return CredentialPlan("default", tenant, client, "DefaultAzureCredential")


def azure_credential(
    environ: Mapping[str, str],
    graph_url: str,
    tenant_id: str | None = None,
    client_id: str | None = None,
    policy: HttpPolicy | None = None,
) -> TokenCredential:
    """The azure-identity credential `credential_plan` chose, for the cloud of `graph_url`."""
    plan = credential_plan(environ, tenant_id, client_id)
    chosen = policy or HttpPolicy()
    sign_in = sign_in_options(login_host(graph_url), chosen)
    tenant, client = plan.tenant_id or "", plan.client_id or ""
    if plan.kind == "client-secret":
        secret = _credential(environ, "ARM_CLIENT_SECRET") or _read_secret_file(
            plan.source, "ARM_CLIENT_SECRET_FILE_PATH"
        )
        return ClientSecretCredential(tenant, client, secret, **sign_in)
    assertion = _assertion(plan, environ, chosen)
    if assertion is not None:
        return ClientAssertionCredential(tenant, client, assertion, **sign_in)
    default = DefaultAzureCredential(
        **sign_in,
        managed_identity_client_id=client if _true(environ, "ARM_USE_MSI") and client else None,
        additionally_allowed_tenants=[plan.tenant_id] if plan.tenant_id else [],
    )
    return InTenant(default, plan.tenant_id) if plan.tenant_id else default


def _assertion(
    plan: CredentialPlan, environ: Mapping[str, str], policy: HttpPolicy
) -> Callable[[], str] | None:
    """How a federated plan gets its client assertion, asked for at each sign-in; None for a
    plan that signs in otherwise."""
    if plan.kind == "oidc-token":
        token = _credential(environ, "ARM_OIDC_TOKEN") or ""
        return lambda: token
    if plan.kind == "oidc-token-file":
        # Read on every sign-in: a CI system may refresh the file during a long run.
        return partial(_read_secret_file, plan.source, "ARM_OIDC_TOKEN_FILE_PATH")
    if plan.kind == "oidc-request":
        url = _env(environ, "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL") or ""
        request_token = (
            _credential(environ, "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN") or ""
        )
        return partial(request_id_token, url, request_token, policy)
    if plan.kind == "workload-identity":
        # What WorkloadIdentityCredential does, with the file read (on every sign-in, as
        # AKS rotates it) through the validation every credential passes.
        return partial(_read_secret_file, plan.source, "AZURE_FEDERATED_TOKEN_FILE")
    return None


class InTenant:
    """A credential whose every token is asked for in one tenant (DefaultAzureCredential
    takes no tenant of its own)."""

    def __init__(self, credential: TokenCredential, tenant_id: str) -> None:
        self._credential = credential
        self._tenant_id = tenant_id

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return self._credential.get_token(
            *scopes,
            claims=claims,
            tenant_id=tenant_id or self._tenant_id,
            enable_cae=enable_cae,
            **kwargs,
        )


def access_token(credential: TokenCredential, graph_url: str) -> str:
    """A bearer token for this Graph; sign-in failures become a message, never a traceback."""
    try:
        return credential.get_token(scope(graph_url)).token
    except ClientAuthenticationError as error:
        reason = excerpt(str(error.message or error), 300)
        raise CredentialsError(
            f"Azure sign-in for {WHAT} at {origin(graph_url)} failed ({reason}); set "
            f"{AZURE_SIGN_IN} in the environment of `pulumi up`, or tenantId and clientId in "
            "druva-scim:azureTenants for another tenant"
        ) from None
    except AzureError as error:
        reason = excerpt(str(getattr(error, "message", None) or error), 300)
        raise ProviderError(
            f"Azure sign-in for {WHAT} at {origin(graph_url)} could not reach its sign-in "
            f"service ({reason}); check the network and proxy (HTTPS_PROXY) of `pulumi up`, "
            "then run again"
        ) from None


def request_id_token(
    request_url: str, request_token: str, policy: HttpPolicy, audience: str = FEDERATION_AUDIENCE
) -> str:
    """A CI system's OIDC ID token, fetched as GitHub Actions documents it."""
    what = "the CI system's OIDC token endpoint"
    with new_session(policy) as session:
        answer = call(
            session,
            "GET",
            request_url,
            policy=policy,
            what=what,
            authorization=f"Bearer {request_token}",
            headers={"Accept": "application/json"},
            params={"audience": audience},
            redact=(request_token,),
        )
    body = answer.json_or_none()
    value = body.get("value") if isinstance(body, dict) else None
    if answer.status != 200 or not isinstance(value, str) or not value:
        raise CredentialsError(
            f"{what} answered HTTP {answer.status} without an ID token; in GitHub Actions the "
            "job needs `permissions: id-token: write`, elsewhere set ARM_OIDC_TOKEN or "
            "ARM_OIDC_TOKEN_FILE_PATH"
        )
    return value


def _oidc_source(environ: Mapping[str, str]) -> tuple[str, str]:
    if _credential(environ, "ARM_OIDC_TOKEN"):
        return "oidc-token", "ARM_OIDC_TOKEN"
    path = _env(environ, "ARM_OIDC_TOKEN_FILE_PATH")
    if path:
        return "oidc-token-file", path
    url_name = _name(environ, "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL")
    token_name = _name(environ, "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if url_name and token_name:
        _credential(environ, token_name)
        return "oidc-request", url_name
    federated = _env(environ, "AZURE_FEDERATED_TOKEN_FILE")
    if federated:
        return "workload-identity", federated
    raise CredentialsError(
        "ARM_USE_OIDC is true but no OIDC token was found: set ARM_OIDC_TOKEN or "
        "ARM_OIDC_TOKEN_FILE_PATH, or in GitHub Actions grant the job "
        "`permissions: id-token: write` (which sets ACTIONS_ID_TOKEN_REQUEST_URL and "
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN)"
    )


def _with_ids(plan: CredentialPlan) -> CredentialPlan:
    missing = [
        name
        for name, value in (("ARM_TENANT_ID", plan.tenant_id), ("ARM_CLIENT_ID", plan.client_id))
        if not value
    ]
    if missing:
        raise CredentialsError(
            f"Azure sign-in by {plan.kind} ({plan.source}) also needs {' and '.join(missing)}: "
            "set them in the environment, or tenantId and clientId in druva-scim:azureTenants"
        )
    return plan


def _read_secret_file(path: str, variable: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise CredentialsError(
            f"{variable} names {path}, which cannot be read ({error.strerror}); check the path"
        ) from None
    if not text:
        raise CredentialsError(f"{variable} names {path}, which is empty; check the path")
    problem = redaction.environment_problem(f"the file {path} that {variable} names", text)
    if problem:
        raise CredentialsError(problem)
    return text


def _credential(environ: Mapping[str, str], *names: str, secret: bool = True) -> str | None:
    """The first of `names` that is set, refused before use when it cannot be a credential."""
    for name in names:
        value, problem = redaction.environment_value(environ, name, secret=secret)
        if problem:
            raise CredentialsError(problem)
        if value:
            return value
    return None


def _env(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def _name(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if environ.get(name, "").strip():
            return name
    return None


def _true(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes")
