"""Signing in to Azure from the environment the azuread provider reads (providers/azure/sign_in.py)."""

import time

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from azure.identity import (
    ClientAssertionCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
)

from providers.azure import graph, sign_in
from providers.core.errors import ProviderError
from testbed.stand_ins.server import Reply, Request, StandIn
from tests.doubles import FAST
from tests.doubles import GRAPH_BEARER as BEARER


@pytest.mark.parametrize(
    ("url", "scope", "login"),
    [
        (
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/.default",
            "login.microsoftonline.com",
        ),
        (
            "https://graph.microsoft.us/",
            "https://graph.microsoft.us/.default",
            "login.microsoftonline.us",
        ),
        (
            "https://dod-graph.microsoft.us",
            "https://dod-graph.microsoft.us/.default",
            "login.microsoftonline.us",
        ),
        (
            "https://microsoftgraph.chinacloudapi.cn",
            "https://microsoftgraph.chinacloudapi.cn/.default",
            "login.chinacloudapi.cn",
        ),
    ],
)
def test_scope_and_sign_in_host_follow_the_graph_url(url, scope, login):
    assert sign_in.scope(url) == scope
    assert sign_in.login_host(url) == login


TENANT = "11111111-2222-4333-8444-555555555555"
CLIENT = "99999999-8888-4777-8666-555555555555"
SECRET = "cLiEnT~SeCrEt~not-for-messages"
OIDC = "eyJhbGciOiJSUzI1NiJ9.oidc-id-token.sig"
IDS = {"ARM_TENANT_ID": TENANT, "ARM_CLIENT_ID": CLIENT}
REQUEST_TOKEN = "rEqUeSt-ToKeN-of-the-ci-runner"


def test_a_client_secret_in_the_environment_signs_in_as_the_service_principal():
    plan = sign_in.credential_plan({**IDS, "ARM_CLIENT_SECRET": SECRET})
    assert (plan.kind, plan.tenant_id, plan.client_id) == ("client-secret", TENANT, CLIENT)
    assert SECRET not in repr(plan)
    credential = sign_in.azure_credential(
        {**IDS, "ARM_CLIENT_SECRET": SECRET}, graph.DEFAULT_GRAPH_URL
    )
    assert isinstance(credential, ClientSecretCredential)


def test_oidc_with_a_token_uses_a_client_assertion():
    environ = {**IDS, "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": OIDC, "ARM_CLIENT_SECRET": SECRET}
    plan = sign_in.credential_plan(environ)
    assert plan.kind == "oidc-token" and OIDC not in repr(plan)
    assert isinstance(
        sign_in.azure_credential(environ, graph.DEFAULT_GRAPH_URL), ClientAssertionCredential
    )


def test_oidc_with_a_token_file(tmp_path):
    token_file = tmp_path / "oidc"
    token_file.write_text(OIDC + "\n")
    environ = {**IDS, "ARM_USE_OIDC": "1", "ARM_OIDC_TOKEN_FILE_PATH": str(token_file)}
    plan = sign_in.credential_plan(environ)
    assert (plan.kind, plan.source) == ("oidc-token-file", str(token_file))
    assert isinstance(
        sign_in.azure_credential(environ, graph.DEFAULT_GRAPH_URL), ClientAssertionCredential
    )


def test_oidc_in_github_actions_uses_the_runners_token_request_variables():
    environ = {
        **IDS,
        "ARM_USE_OIDC": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://pipelines.example/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }
    assert sign_in.credential_plan(environ).kind == "oidc-request"


def test_oidc_on_aks_falls_back_to_the_federated_token_file():
    environ = {**IDS, "ARM_USE_OIDC": "true", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}
    assert sign_in.credential_plan(environ).kind == "workload-identity"
    # The federated token file is read, and validated, at each sign-in.
    assert isinstance(
        sign_in.azure_credential(environ, graph.DEFAULT_GRAPH_URL), ClientAssertionCredential
    )


def test_aks_workload_identity_without_arm_use_oidc():
    environ = {
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token",
    }
    assert sign_in.credential_plan(environ).kind == "workload-identity"


def test_oidc_without_any_token_says_what_to_set():
    with pytest.raises(ProviderError, match="id-token: write"):
        sign_in.credential_plan({**IDS, "ARM_USE_OIDC": "true"})


def test_a_secret_without_tenant_names_the_missing_variable():
    with pytest.raises(ProviderError, match="needs ARM_TENANT_ID") as raised:
        sign_in.credential_plan({"ARM_CLIENT_ID": CLIENT, "ARM_CLIENT_SECRET": SECRET})
    assert SECRET not in str(raised.value)


def test_nothing_set_means_default_azure_credential():
    plan = sign_in.credential_plan({})
    assert plan.kind == "default"
    assert isinstance(sign_in.azure_credential({}, graph.DEFAULT_GRAPH_URL), DefaultAzureCredential)


def test_a_tenant_from_the_stack_wins_over_the_environment():
    other = "22222222-3333-4444-8555-666666666666"
    plan = sign_in.credential_plan({**IDS, "ARM_CLIENT_SECRET": SECRET}, other, "client-x")
    assert (plan.tenant_id, plan.client_id) == (other, "client-x")
    # DefaultAzureCredential takes no tenant, so each token is asked for in it.
    credential = sign_in.azure_credential({}, graph.DEFAULT_GRAPH_URL, other)
    assert isinstance(credential, sign_in.InTenant)


class Recording:
    def __init__(self, failure: Exception | None = None) -> None:
        self.calls: list[tuple[tuple[str, ...], dict[str, object]]] = []
        self.failure = failure

    def get_token(self, *scopes, **kwargs):
        self.calls.append((scopes, kwargs))
        if self.failure:
            raise self.failure
        return AccessToken(BEARER, int(time.time()) + 3600)


def test_in_tenant_asks_for_every_token_in_its_tenant():
    inner = Recording()
    token = sign_in.access_token(sign_in.InTenant(inner, TENANT), "https://graph.microsoft.us")
    assert token == BEARER
    [(scopes, kwargs)] = inner.calls
    assert scopes == ("https://graph.microsoft.us/.default",) and kwargs["tenant_id"] == TENANT


def test_a_failed_sign_in_becomes_a_message_naming_the_variables():
    failing = Recording(ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."))
    with pytest.raises(ProviderError) as raised:
        sign_in.access_token(failing, graph.DEFAULT_GRAPH_URL)
    message = str(raised.value)
    assert (
        "AADSTS7000215" in message and "ARM_CLIENT_SECRET" in message and "ARM_USE_OIDC" in message
    )


class GitHubOidc(StandIn):
    """GitHub Actions' ID token endpoint: a bearer request token in, `{"value": jwt}` out."""

    def handle(self, request: Request) -> Reply:
        if request.authorization != f"Bearer {REQUEST_TOKEN}":
            return Reply(401, {"message": "Bad credentials"})
        return Reply(200, {"count": 1, "value": f"{OIDC}.{request.query.get('audience')}"})


def test_the_id_token_is_fetched_for_entra_ids_audience():
    with GitHubOidc() as oidc:
        token = sign_in.request_id_token(
            f"{oidc.origin}/token?api-version=2.0", REQUEST_TOKEN, FAST
        )
        [request] = oidc.requests
    assert token == f"{OIDC}.api://AzureADTokenExchange"
    assert request.query == {"api-version": "2.0", "audience": "api://AzureADTokenExchange"}


def test_a_refused_id_token_request_explains_the_github_permission():
    with GitHubOidc() as oidc, pytest.raises(ProviderError) as raised:
        sign_in.request_id_token(f"{oidc.origin}/token", "wRoNg-ReQuEsT", FAST)
    assert "id-token: write" in str(raised.value)
    assert "wRoNg-ReQuEsT" not in str(raised.value)


def test_an_unreachable_sign_in_service_becomes_a_message_about_the_network():
    failing = Recording(
        ServiceRequestError(
            "<urllib3.connection.HTTPSConnection>: Failed to establish a new connection"
        )
    )
    with pytest.raises(ProviderError) as raised:
        sign_in.access_token(failing, "https://graph.microsoft.us")
    message = str(raised.value)
    assert "could not reach its sign-in service" in message and "HTTPS_PROXY" in message
    assert "https://graph.microsoft.us" in message
