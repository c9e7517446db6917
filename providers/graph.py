"""Microsoft Graph v1.0, asked what the portal's Test Connection asks, and told to leave quarantine.

An enterprise app's provisioning is a synchronization job on its service
principal. After a token rotation we list the jobs, pick the provisioning job,
ask Azure to validate the credentials it has saved (Azure then calls Druva
itself, as Test Connection does), and restart a quarantined job with the reset
scope that only lifts the quarantine.

The base URL is passed in so national clouds (https://graph.microsoft.us) and
tests (http://127.0.0.1:port) work alike. Azure sign-in follows the
environment the azuread Pulumi provider reads in pipelines (ARM_* variables);
secrets only ever come from there.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import (
    ClientAssertionCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
)

from providers.core import microsoft, redaction
from providers.core.errors import ProviderError
from providers.http import Answer, HttpPolicy, call, excerpt, new_session, within_deadline

WHAT = "Microsoft Graph"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
API_VERSION = "v1.0"

PROVISIONING_TEMPLATE = re.compile(r"scim|customappsso|druva", re.IGNORECASE)
"""How the provisioning job is told apart when a service principal has several jobs.

A non-gallery SCIM app's job has the template `scim`; some older non-gallery
apps have `customappsso` instead. A gallery app's template is named after the
app. A job whose templateId contains `scim`, `customappsso` or `druva` (any
case) is the provisioning job.
"""
RESTART_CRITERIA = {"criteria": {"resetScope": "QuarantineState"}}
"""Graph documents resetScope as a comma-separated combination of None,
ConnectorDataStore, Escrows, Watermark, QuarantineState, Full and ForceDeletes.
QuarantineState only lifts the quarantine: no cache, watermark or escrow is cleared."""

PERMISSIONS = (
    "the application permission Application.ReadWrite.OwnedBy with the identity running "
    "`pulumi up` added as an owner of the enterprise app, or Synchronization.ReadWrite.All; "
    "either needs admin consent (README, section Verification)"
)
ENABLE_PROVISIONING = "open Provisioning in the enterprise app and set mode Automatic once"
AZURE_SIGN_IN = (
    "ARM_TENANT_ID and ARM_CLIENT_ID with ARM_CLIENT_SECRET, or ARM_USE_OIDC=true with an "
    "OIDC token (README, section Verification)"
)

# Where a national cloud's Graph signs people in.
LOGIN_HOSTS = {
    "graph.microsoft.com": "login.microsoftonline.com",
    "graph.microsoft.us": "login.microsoftonline.us",
    "dod-graph.microsoft.us": "login.microsoftonline.us",
    "microsoftgraph.chinacloudapi.cn": "login.chinacloudapi.cn",
}
# Clouds whose Graph does not document the synchronization APIs used here (apps.py says why).
UNDOCUMENTED_GRAPH_HOSTS = frozenset(
    urlsplit(microsoft.AZURE_ENVIRONMENTS[name]).hostname
    for name in microsoft.UNDOCUMENTED_ENVIRONMENTS
)
# The audience Entra ID expects on a federated token (its documented default).
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
MAX_JOB_PAGES = 10


@dataclass(frozen=True)
class Job:
    """One synchronization job of a service principal, as far as verification needs it."""

    id: str
    template_id: str
    quarantine: Mapping[str, Any] | None
    """Graph's `status.quarantine`: null unless Azure has quarantined the job."""

    @property
    def quarantined(self) -> bool:
        return self.quarantine is not None

    def quarantine_reason(self) -> str:
        if not self.quarantine:
            return ""
        reason = str(self.quarantine.get("reason") or "unknown reason")
        error = self.quarantine.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            reason += f": {excerpt(str(error['message']), 200)}"
        return reason


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


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


def jobs_url(graph_url: str, service_principal_id: str) -> str:
    base = graph_url.rstrip("/")
    return (
        f"{base}/{API_VERSION}/servicePrincipals/{quote(service_principal_id, safe='')}"
        "/synchronization/jobs"
    )


# --- the three calls -----------------------------------------------------------------------


def list_jobs(
    session: requests.Session,
    graph_url: str,
    service_principal_id: str,
    bearer: str,
    policy: HttpPolicy,
    *,
    app_name: str,
) -> list[Job]:
    """Every synchronization job of the service principal."""
    if urlsplit(graph_url).hostname in UNDOCUMENTED_GRAPH_HOSTS:
        # Stacks registered before the program refused these still reach here on refresh.
        raise ProviderError(f"{app_name} is in a cloud where {microsoft.UNDOCUMENTED_CLOUD}")
    url: str | None = jobs_url(graph_url, service_principal_id)
    jobs: list[Job] = []
    for _ in range(MAX_JOB_PAGES):
        if url is None:
            break
        answer = _call(session, "GET", url, bearer, policy)
        if answer.status != 200:
            raise _failure(
                answer, "list the provisioning jobs", app_name, service_principal_id, bearer
            )
        body = answer.json_or_none()
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise ProviderError(
                f"{WHAT} at {origin(graph_url)} answered 200 without a job list for {app_name}; "
                "check druva-scim graphUrl points at Microsoft Graph"
            )
        jobs.extend(_job(item) for item in body["value"] if isinstance(item, dict))
        url = _same_origin_next(body.get("@odata.nextLink"), graph_url)
    return jobs


def provisioning_job(jobs: Collection[Job], *, app_name: str, service_principal_id: str) -> Job:
    """The job to validate: the only one, else the only one whose template is SCIM's.

    SCIM's templates are `scim`, `customappsso` (older non-gallery apps) or one named
    after Druva: see PROVISIONING_TEMPLATE.
    """
    if not jobs:
        raise ProviderError(
            f"{app_name} (service principal {service_principal_id}) has no provisioning job: "
            f"{ENABLE_PROVISIONING}, save, then run `pulumi up` again"
        )
    if len(jobs) == 1:
        return next(iter(jobs))
    matching = sorted(
        (job for job in jobs if PROVISIONING_TEMPLATE.search(job.template_id)),
        key=lambda job: job.id,
    )
    if len(matching) == 1:
        return matching[0]
    listed = ", ".join(f"{job.id} (template {job.template_id})" for job in sorted(jobs, key=_id))
    if not matching:
        raise ProviderError(
            f"{app_name} (service principal {service_principal_id}) has no provisioning job "
            f"among its synchronization jobs [{listed}] (none has the template scim, "
            f"customappsso or one named after Druva): {ENABLE_PROVISIONING}"
        )
    raise ProviderError(
        f"{app_name} (service principal {service_principal_id}) has {len(matching)} jobs that "
        f"look like SCIM provisioning [{listed}] and which one Druva uses cannot be told; "
        "delete the stale job in Provisioning, or give Druva its own enterprise app"
    )


def validate_credentials(
    session: requests.Session,
    graph_url: str,
    service_principal_id: str,
    job: Job,
    bearer: str,
    policy: HttpPolicy,
    *,
    app_name: str,
) -> None:
    """Azure's Test Connection with the saved Tenant URL and Secret Token; 204 means they work."""
    url = (
        f"{jobs_url(graph_url, service_principal_id)}/{quote(job.id, safe='')}/validateCredentials"
    )
    answer = _call(session, "POST", url, bearer, policy, {"useSavedCredentials": True})
    if answer.status == 204:
        return
    if answer.status in (401, 403, 404, 429) or answer.status >= 500:
        raise _failure(
            answer, "validate the saved credentials", app_name, service_principal_id, bearer
        )
    raise ProviderError(
        f"Azure tested the saved provisioning credentials of {app_name} against Druva and they "
        f"failed (HTTP {answer.status}{graph_detail(answer, (bearer,))}). The Secret Token Azure "
        "holds is not one Druva accepts: make sure druva-scim:scimToken is the newest token "
        "from the console and that this run wrote it (the azuread SynchronizationSecret), "
        "then run `pulumi up` again"
    )


def restart_from_quarantine(
    session: requests.Session,
    graph_url: str,
    service_principal_id: str,
    job: Job,
    bearer: str,
    policy: HttpPolicy,
    *,
    app_name: str,
) -> None:
    """Lift the quarantine and nothing else (see RESTART_CRITERIA).

    Sent at most once: a restart Graph may have applied is not repeated on a 5xx; the
    next run finds the job out of quarantine, or restarts it then.
    """
    url = f"{jobs_url(graph_url, service_principal_id)}/{quote(job.id, safe='')}/restart"
    with new_session(policy, resend=False) as once:
        answer = _call(once, "POST", url, bearer, policy, RESTART_CRITERIA)
    if answer.status in (200, 202, 204):
        return
    raise _failure(answer, "restart the quarantined job", app_name, service_principal_id, bearer)


WRITE_FAILURE = re.compile(r"synchronization secret", re.IGNORECASE)
"""azuread's own words when a write of provisioning credentials fails: `Creating (or
Updating, Removing) synchronization secret for <id>: ...` (synchronization_secret_resource.go)."""
REFUSED = re.compile(r"\b403\b|Authorization_RequestDenied|Forbidden", re.IGNORECASE)
TIMED_OUT = re.compile(r"deadline exceeded|timeout|timed out", re.IGNORECASE)


def write_refusal_message(errors: Collection[str], app_name: str) -> str | None:
    """For azuread's error texts: name the missing permission, if that is what failed. Pure.

    azuread retries Graph's 403 on synchronization secrets until the resource's
    time-out, so a missing permission shows as a 403, or as the time-out alone.
    """
    texts = [text for text in errors if WRITE_FAILURE.search(text)]
    if any(REFUSED.search(text) for text in texts):
        return (
            f"Microsoft Graph refused to save the provisioning credentials of {app_name} "
            f"(HTTP 403): the identity running `pulumi up` lacks permission. It needs {PERMISSIONS}"
        )
    if any(TIMED_OUT.search(text) for text in texts):
        return (
            f"saving the provisioning credentials of {app_name} did not finish within the "
            "time-out. azuread retries Graph's 403 until then, so the identity running "
            f"`pulumi up` most likely lacks permission: it needs {PERMISSIONS}. If it has it, "
            "check the network path to Microsoft Graph and run again"
        )
    return None


def graph_detail(answer: Answer, secrets: Collection[str] = ()) -> str:
    """`: <code>: <message> (request-id ...)` from Graph's error body, scrubbed of `secrets`."""
    body = answer.json_or_none()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    parts = [str(error[key]) for key in ("code", "message") if error.get(key)]
    text = excerpt(": ".join(parts), 400, secrets)
    inner = error.get("innerError") or error.get("innererror")
    if isinstance(inner, dict) and inner.get("request-id"):
        # What Microsoft support asks for; kept whatever the message's length.
        text += f" (request-id {excerpt(str(inner['request-id']), 64)})"
    text = redaction.redact(text, secrets)
    return f": {text}" if text else ""


def _call(
    session: requests.Session,
    method: str,
    url: str,
    bearer: str,
    policy: HttpPolicy,
    body: Any = None,
) -> Answer:
    return call(
        session,
        method,
        url,
        policy=policy,
        what=WHAT,
        authorization=f"Bearer {bearer}",
        headers={"Accept": "application/json"},
        json_body=body,
        redact=(bearer,),
    )


def _failure(
    answer: Answer, doing: str, app_name: str, service_principal_id: str, bearer: str
) -> ProviderError:
    detail = graph_detail(answer, (bearer,))
    status = answer.status
    if status == 401:
        return ProviderError(
            f"{WHAT} did not accept the Azure access token when asked to {doing} for {app_name} "
            f"(HTTP 401{detail}): sign in to the tenant that holds the app ({AZURE_SIGN_IN}); "
            "for a national cloud, graphUrl and the credentials must be of the same cloud"
        )
    if status == 403:
        return ProviderError(
            f"{WHAT} refused to {doing} for {app_name} (HTTP 403{detail}): the identity running "
            f"`pulumi up` lacks permission. It needs {PERMISSIONS}"
        )
    if status == 404 and doing == "list the provisioning jobs":
        return ProviderError(
            f"{WHAT} found no service principal {service_principal_id} for {app_name} "
            f"(HTTP 404{detail}): its servicePrincipalId in druva-scim:azureApps is wrong; use "
            "the Object ID shown under Enterprise applications > the app > Overview (not the "
            "Application ID)"
        )
    if status == 404:
        return ProviderError(
            f"{WHAT} no longer knows the provisioning job of {app_name} (HTTP 404{detail}); "
            "someone changed Provisioning meanwhile: run `pulumi up` again"
        )
    if status == 429 or status >= 500:
        return ProviderError(
            f"{WHAT} still answered HTTP {status}{detail} after {answer.attempts} attempts to "
            f"{doing} for {app_name}; it is throttling or down: run `pulumi up` again later"
        )
    return ProviderError(
        f"{WHAT} answered HTTP {status}{detail} when asked to {doing} for {app_name}; "
        "check graphUrl and servicePrincipalId in druva-scim:azureApps"
    )


def _job(item: Mapping[str, Any]) -> Job:
    status = item.get("status")
    quarantine = status.get("quarantine") if isinstance(status, Mapping) else None
    return Job(
        id=str(item.get("id", "")),
        template_id=str(item.get("templateId", "")),
        quarantine=quarantine if isinstance(quarantine, Mapping) else None,
    )


def _id(job: Job) -> str:
    return job.id


def _same_origin_next(link: object, graph_url: str) -> str | None:
    # The bearer goes only where it came from.
    if isinstance(link, str) and origin(link) == origin(graph_url):
        return link
    return None


# --- signing in to Azure -------------------------------------------------------------------


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
    sign_in = sign_in_options(login_host(graph_url), policy or HttpPolicy())
    tenant, client = plan.tenant_id or "", plan.client_id or ""
    if plan.kind == "client-secret":
        secret = _credential(environ, "ARM_CLIENT_SECRET") or _read_secret_file(
            plan.source, "ARM_CLIENT_SECRET_FILE_PATH"
        )
        return ClientSecretCredential(tenant, client, secret, **sign_in)
    if plan.kind == "oidc-token":
        token = _credential(environ, "ARM_OIDC_TOKEN") or ""
        return ClientAssertionCredential(tenant, client, lambda: token, **sign_in)
    if plan.kind == "oidc-token-file":
        path = plan.source
        # Read on every sign-in: a CI system may refresh the file during a long run.
        return ClientAssertionCredential(
            tenant,
            client,
            lambda: _read_secret_file(path, "ARM_OIDC_TOKEN_FILE_PATH"),
            **sign_in,
        )
    if plan.kind == "oidc-request":
        url = _env(environ, "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL") or ""
        request_token = (
            _credential(environ, "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN") or ""
        )
        chosen = policy or HttpPolicy()
        return ClientAssertionCredential(
            tenant,
            client,
            lambda: request_id_token(url, request_token, chosen),
            **sign_in,
        )
    if plan.kind == "workload-identity":
        federated = plan.source
        # What WorkloadIdentityCredential does, with the file read (on every sign-in, as
        # AKS rotates it) through the validation every credential passes.
        return ClientAssertionCredential(
            tenant,
            client,
            lambda: _read_secret_file(federated, "AZURE_FEDERATED_TOKEN_FILE"),
            **sign_in,
        )
    default = DefaultAzureCredential(
        **sign_in,
        managed_identity_client_id=client if _true(environ, "ARM_USE_MSI") and client else None,
        additionally_allowed_tenants=[plan.tenant_id] if plan.tenant_id else [],
    )
    return InTenant(default, plan.tenant_id) if plan.tenant_id else default


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
        raise ProviderError(
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
        raise ProviderError(
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
    raise ProviderError(
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
        raise ProviderError(
            f"Azure sign-in by {plan.kind} ({plan.source}) also needs {' and '.join(missing)}: "
            "set them in the environment, or tenantId and clientId in druva-scim:azureTenants"
        )
    return plan


def _read_secret_file(path: str, variable: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ProviderError(
            f"{variable} names {path}, which cannot be read ({error.strerror}); check the path"
        ) from None
    if not text:
        raise ProviderError(f"{variable} names {path}, which is empty; check the path")
    problem = redaction.environment_problem(f"the file {path} that {variable} names", text)
    if problem:
        raise ProviderError(problem)
    return text


def _credential(environ: Mapping[str, str], *names: str, secret: bool = True) -> str | None:
    """The first of `names` that is set, refused before use when it cannot be a credential."""
    for name in names:
        value, problem = redaction.environment_value(environ, name, secret=secret)
        if problem:
            raise ProviderError(problem)
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
