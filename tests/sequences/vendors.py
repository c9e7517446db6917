"""The azuread and okta resources the program registers, as their providers carry them out.

azuread `SynchronizationSecret` (terraform-provider-azuread,
internal/services/synchronization/synchronization_secret_resource.go):
`service_principal_id` is ForceNew, `credential` is updated in place; Create and
Update PUT the whole credential list to
`{graph}/v1.0/servicePrincipals/{id}/synchronization/secrets`; Delete PUTs the same
keys with empty values ("We delete secrets by setting values to empty strings").
`service_principal_id` is `/servicePrincipals/{objectId}` (stable.ValidateServicePrincipalID);
Create parses it and sets the resource id to the same form; Update and Delete parse that id
(stable.ParseServicePrincipalID) and put to the object id inside it.

okta `app.Connection` (terraform-provider-okta,
okta/services/idaas/resource_okta_app_connection.go): no attribute requires
replacement; Create and Update POST the default provisioning connection (and
activate it); Delete only warns ("Delete Not Supported"): the token stays in Okta.
Okta's connection is kept here in memory and shown on the Okta stand-in as an
ENABLED TOKEN connection, which is what OktaConnectionCheck reads back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from testbed.contracts import service_principal_object_id
from testbed.stand_ins.graph import Graph
from testbed.stand_ins.okta import Okta
from tests.sequences.engine_model import Resource

SYNC_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
CONNECTION = "okta:app/connection:Connection"


class Vendors:
    def __init__(self, graph: Graph, okta: Okta, bearer: str) -> None:
        self.graph = graph
        self.okta = okta
        self.bearer = bearer
        self.connections: dict[str, dict[str, str]] = {}
        """Okta's provisioning connections by app id: baseUrl and token."""

    def replace_keys(
        self, type_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[str]:
        if type_ == SYNC_SECRET and olds.get("servicePrincipalId") != news.get(
            "servicePrincipalId"
        ):
            return ["servicePrincipalId"]
        return []

    def create(self, type_: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        if type_ == SYNC_SECRET:
            sp_id = _object_id(str(inputs["servicePrincipalId"]))
            self._put(sp_id, inputs["credentials"])
            return f"/servicePrincipals/{sp_id}", dict(inputs)
        if type_ == CONNECTION:
            self._post(inputs)
            return str(inputs["idProperty"]), {**inputs, "status": "ENABLED"}
        raise RuntimeError(f"no model of {type_}")

    def update(self, old: Resource, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if old.type == SYNC_SECRET:
            self._put(_object_id(old.id), inputs["credentials"])
            return dict(inputs)
        self._post(inputs)
        return {**inputs, "status": "ENABLED"}

    def delete(self, old: Resource) -> None:
        if old.type == SYNC_SECRET:
            blank = [{"key": pair["key"], "value": ""} for pair in old.outputs["credentials"]]
            self._put(_object_id(old.id), blank)
        # okta: Delete warns and leaves the connection (and its token) as it is.

    def _put(self, sp_id: str, credentials: list[dict[str, str]]) -> None:
        answer = requests.put(
            f"{self.graph.url}/v1.0/servicePrincipals/{sp_id}/synchronization/secrets",
            json={"value": [{"key": c["key"], "value": c["value"]} for c in credentials]},
            headers={"Authorization": f"Bearer {self.bearer}"},
            timeout=5,
        )
        if answer.status_code != 204:
            raise RuntimeError(f"Graph answered {answer.status_code} to the secrets PUT")

    def _post(self, inputs: Mapping[str, Any]) -> None:
        app_id = str(inputs["idProperty"])
        profile = inputs.get("profile") or {}
        self.connections[app_id] = {
            "baseUrl": str(inputs.get("baseUrl")),
            "token": str(profile.get("token")),
        }
        self.okta.add_app(app_id)
        self.okta.apps[app_id]["baseUrl"] = str(inputs.get("baseUrl"))


def _object_id(service_principal_id: str) -> str:
    try:
        return service_principal_object_id(service_principal_id)
    except ValueError as error:
        raise RuntimeError(f"Parsing synchronization secret ID: {error}") from None
