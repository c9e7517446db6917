"""Command line: each Azure app's provisioning job status from Microsoft Graph, for
`python -m providers.health`.

One Graph request per app: listing a service principal's synchronization jobs
(`GET /v1.0/servicePrincipals/{id}/synchronization/jobs`, `graph.Graph.jobs`)
returns each job's whole `status`. Sign-in is the checks' own
(providers/azure/sign_in.py), once per tenant. Reading needs
`Synchronization.Read.All`, or a permission that covers it (READ_PERMISSIONS).
Each app is read within one operation deadline, which ends no later than the
health run's (providers/health.py); what fails becomes that app's "could not
check", with its cause, and the other apps are still read, but never from an
origin that timed out earlier in the run (providers/deadline.py `run`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import requests
from azure.core.credentials import TokenCredential

from providers.azure import graph, sign_in
from providers.core import health
from providers.core.apps import AZURE
from providers.core.errors import BY_CAUSE, Cause, ProviderError
from providers.core.health import AzureTarget
from providers.core.texts import AZURE_SIGN_IN
from providers.deadline import deadline, overrun
from providers.http import Advice, HttpPolicy, new_session

READ_PERMISSIONS = (
    "the application permission Synchronization.Read.All, or one that covers it: "
    "Application.ReadWrite.OwnedBy (with the identity an owner of the enterprise app) or "
    "Synchronization.ReadWrite.All; admin consent (docs/health.md, Permissions)"
)
"""What the identity running the health check needs in Microsoft Graph (List jobs)."""

CredentialFactory = Callable[[str, str | None, str | None], TokenCredential]
"""(Graph URL, tenant id, client id) -> a credential; the environment's unless a test gives one."""


ADVICE: Advice = {
    **graph.ADVICE,
    Cause.UNAUTHORIZED: graph.WHAT + " did not accept the Azure access token when the health "
    "check read the provisioning job of {app} (HTTP 401{detail}): set " + AZURE_SIGN_IN + " in "
    "its environment, for the tenant that holds the app",
    Cause.FORBIDDEN: graph.WHAT + " refused the health check the provisioning job of {app} (HTTP "
    "403{detail}): its identity lacks " + READ_PERMISSIONS,
    Cause.NOT_FOUND: graph.WHAT + " found no service principal {service_principal_id} for {app} "
    "(HTTP 404{detail}): the app was deleted, or the health check signed in to another tenant; "
    "check servicePrincipalId and the tenant",
}
"""Graph's words for what the health check, reading only, may meet; each cause is its own
error class, so that the command tells credentials, permission and a missing app apart."""


def read_apps(
    apps: Sequence[AzureTarget],
    environ: Mapping[str, str],
    policy: HttpPolicy,
    now: datetime,
    stale_after: timedelta,
    credential: CredentialFactory | None = None,
) -> list[health.AppHealth]:
    """Every Azure app's verdict, in the order given."""
    bearers: dict[tuple[str, str | None, str | None], str | ProviderError] = {}
    found: list[health.AppHealth] = []
    with new_session(policy) as session:
        for app in apps:
            with deadline(policy.deadline_seconds) as bound:
                if bound.passed():
                    found.append(unknown(app, overrun(bound, f"{graph.WHAT} at {app.graph_url}")))
                    continue
                key = (app.graph_url, app.tenant_id, app.client_id)
                if key not in bearers:
                    bearers[key] = _sign_in(app, environ, policy, credential)
                bearer = bearers[key]
                if isinstance(bearer, ProviderError):
                    found.append(unknown(app, bearer))
                    continue
                found.append(read_app(session, app, bearer, policy, now, stale_after))
    return found


def read_app(
    session: requests.Session,
    app: AzureTarget,
    bearer: str,
    policy: HttpPolicy,
    now: datetime,
    stale_after: timedelta,
) -> health.AppHealth:
    client = graph.Graph(session, policy, app.graph_url, bearer, app.name, app.service_principal_id)
    try:
        jobs = client.jobs(ADVICE, BY_CAUSE)
    except ProviderError as error:
        return unknown(app, error)
    if not jobs:
        return health.azure_no_job(app.name, app.service_principal_id)
    try:
        job = graph.provisioning_job(
            jobs, app_name=app.name, service_principal_id=app.service_principal_id
        )
    except ProviderError as error:
        # Several jobs that look like Druva's: which one provisions cannot be told.
        return health.could_not_check(app.name, AZURE, health.NOT_FOUND, str(error))
    return health.azure_verdict(
        app.name, job.id, job.template_id, job.status, now, stale_after, stack_state=app.state
    )


def unknown(app: AzureTarget, error: ProviderError) -> health.AppHealth:
    return health.could_not_check(app.name, AZURE, health.cause_of(error), str(error))


def _sign_in(
    app: AzureTarget,
    environ: Mapping[str, str],
    policy: HttpPolicy,
    credential: CredentialFactory | None,
) -> str | ProviderError:
    try:
        chosen = (
            credential(app.graph_url, app.tenant_id, app.client_id)
            if credential
            else sign_in.azure_credential(
                environ, app.graph_url, app.tenant_id, app.client_id, policy
            )
        )
        return sign_in.access_token(chosen, app.graph_url)
    except ProviderError as error:
        return error
