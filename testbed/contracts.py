"""Any process (tests): the bridged providers' input contracts, transcribed from their sources.

For every resource the program registers with azuread or okta, each input as the provider's
source defines it: its Pulumi name (the bridge's camelCase of the Terraform name), type,
whether it is required, forces a new resource, is sensitive, has a default, and the
validator that refuses a value. The mocks (testbed/harness.py, tests/test_checks.py) hold
every registration to these rules: an input the real provider would refuse fails the run, as
a real Check (or Configure) failure ends a real deployment.

Which sources, and why those:
- pulumi-azuread 6.11.1 bridges terraform-provider-azuread v3.9.0: pulumi/pulumi-azuread
  provider/go.mod pins `terraform-provider-azuread v1.6.1-0.20260618210114-df2a07a33712`
  (at b830e0401352bbb2c6466f6315737bf1f3333a65, after the v6.10.0 tag, commit
  b7f6c74ad97449feac19654d16616789b6701033 "Upgrade terraform-provider-azuread to v3.9.0";
  no later upstream upgrade), and df2a07a337129119e0a267925ea8a63e841d1a19 is the v3.9.0 tag.
  The installed package's synchronization_secret.py and provider.py equal that commit's
  generated ones (apart from a wider type hint for `credentials`).
- pulumi-okta 7.0.1 is newer than every stored copy of pulumi/pulumi-okta (newest tag
  v6.11.0; HEAD 82924e83d9d762da3b6b4ae017cb89190383e875 bridges terraform-provider-okta
  v6.15.0). The installed app/connection.py and provider.py equal HEAD's generated ones
  (apart from a wider type hint for `profile`), so the schema is read from the newest stored
  terraform-provider-okta, v6.12.0 (e59c130b0b6e4b9f76aacbba437515cd5e95cc71). Unverified:
  that no validator changed between v6.12.0 and what 7.0.1 bridges.
- Names: pulumi/pulumi-terraform-bridge pkg/tfbridge/internal/naming/naming.go
  (terraformToPulumiName: a list not limited to one item is pluralized, `credential` ->
  `credentials`; snake_case -> camelCase) @ 59de6c661df1e7561e6ece7ad7f1c835c63010c4; okta's
  `id` is renamed `idProperty` by pulumi-okta provider/resources.go (okta_app_connection
  Fields) @ 82924e83d9d762da3b6b4ae017cb89190383e875.
- Refusals become Check failures: pkg/tfbridge/provider.go (Provider.Check: ValidateResource,
  then adaptCheckFailures) and pkg/pf/tfbridge/provider_check.go (ValidateResourceConfig) in
  pulumi-terraform-bridge @ 59de6c661df1e7561e6ece7ad7f1c835c63010c4.

Stricter than the providers, on purpose, and said so in each refusal: an input that is not in
the schema at all. The bridge's type checker only warns about it and the value is dropped on
the way to Terraform (provider.go Check), so the program would believe it set something the
provider never saw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pulumi

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The SDK's value for an output not known yet (pulumi.runtime.rpc.UNKNOWN): a preview's."""

AZUREAD_COMMIT = "df2a07a337129119e0a267925ea8a63e841d1a19"  # v3.9.0
OKTA_COMMIT = "e59c130b0b6e4b9f76aacbba437515cd5e95cc71"  # v6.12.0
PULUMI_AZUREAD_COMMIT = "b830e0401352bbb2c6466f6315737bf1f3333a65"
PULUMI_OKTA_COMMIT = "82924e83d9d762da3b6b4ae017cb89190383e875"
GO_AZURE_SDK_COMMIT = "14f1a16b07e467ceb118352fedb116e55aeea95e"


def azuread(path: str) -> str:
    return f"hashicorp/terraform-provider-azuread {path} @ {AZUREAD_COMMIT}"


def okta(path: str) -> str:
    return f"okta/terraform-provider-okta {path} @ {OKTA_COMMIT}"


SYNC_SECRET_SOURCE = azuread("internal/services/synchronization/synchronization_secret_resource.go")
AZUREAD_PROVIDER_SOURCE = azuread("internal/provider/provider.go")
SERVICE_PRINCIPAL_ID_SOURCE = (
    f"hashicorp/go-azure-sdk microsoft-graph/common-types/stable/id_serviceprincipal.go @ "
    f"{GO_AZURE_SDK_COMMIT} (vendored identically in terraform-provider-azuread v3.9.0), parsed "
    "by go-azure-helpers resourcemanager/resourceids/parse.go (Parser.Parse), vendored in "
    + azuread("vendor/github.com/hashicorp/go-azure-helpers/resourcemanager/resourceids/parse.go")
)
ENVIRONMENT_SOURCE = (
    f"pulumi/pulumi-azuread provider/resources.go @ {PULUMI_AZUREAD_COMMIT} "
    "(preConfigureCallback: environments.FromName; Config environment default `public`), and "
    + azuread("vendor/github.com/hashicorp/go-azure-sdk/sdk/environments/from_name.go")
)
CONNECTION_SOURCE = okta("okta/services/idaas/resource_okta_app_connection.go")
OKTA_PROVIDER_SOURCE = (
    okta("okta/provider/provider.go") + " (and okta/fwprovider/framework_provider.go)"
)


# --- the validators, as their sources refuse -------------------------------------------------

SERVICE_PRINCIPALS = "servicePrincipals"


def service_principal_object_id(value: str) -> str:
    """The object id in a service principal id, or ValueError as ParseServicePrincipalID fails.

    resourceids.Parser.Parse with the segments [static `servicePrincipals`, user-specified
    `servicePrincipalId`], case-sensitively (ParseServicePrincipalID passes
    insensitively=false): one leading `/` is trimmed, the rest split on `/`; fewer than two
    parts is "the number of segments didn't match"; the first must be `servicePrincipals`
    exactly; whatever is left after the two (but a trailing `/`) is an unexpected segment; an
    empty object id is a segment not specified. The object id itself is not checked (no UUID
    rule): Graph answers for what it is.
    """
    if value == "":
        raise ValueError("cannot parse an empty string")
    uri = value.removeprefix("/")
    parts = uri.split("/")
    if len(parts) < 2:
        raise ValueError(
            f'parsing "{value}": parsing the ServicePrincipal ID: the number of segments '
            "didn't match (expected /servicePrincipals/{servicePrincipalId})"
        )
    if parts[0] != SERVICE_PRINCIPALS:
        raise ValueError(
            f'parsing "{value}": parsing segment "staticServicePrincipals": the segment '
            '"staticServicePrincipals" should be the literal value "servicePrincipals"'
        )
    rest = uri.removeprefix(parts[0]).removeprefix("/").removeprefix(parts[1]).removeprefix("/")
    if rest:
        raise ValueError(f'unexpected segment "{rest}" present at the end of the URI ("{value}")')
    if parts[1] == "":
        raise ValueError(f'parsing "{value}": the segment "servicePrincipalId" was not specified')
    return parts[1]


def validate_service_principal_id(value: str) -> str | None:
    """stable.ValidateServicePrincipalID: the parse error, if any."""
    try:
        service_principal_object_id(value)
    except ValueError as error:
        return str(error)
    return None


def one_of(*allowed: str) -> Callable[[str], str | None]:
    """terraform-plugin-framework-validators stringvalidator.OneOf: exact, case-sensitive."""

    def validate(value: str) -> str | None:
        if value in allowed:
            return None
        listed = " ".join(f'"{item}"' for item in allowed)
        return f'value must be one of: [{listed}], got: "{value}"'

    return validate


def environment_name(value: str) -> str | None:
    """environments.FromName (lower-cased), which the bridge's preConfigureCallback calls."""
    names = ("china", "canary", "global", "public", "usgovernment", "usgovernmentl4")
    if value.lower() in (*names, "dod", "usgovernmentl5"):
        return None
    return (
        f'failed to read Azure environment "{value}": no environment was found with the '
        f'name "{value}"'
    )


def uuid_or_empty(value: str) -> str | None:
    """validation.Any(validation.IsUUID, validation.StringIsEmpty) (azuread's partner_id)."""
    digits = value.replace("-", "")
    shaped = [len(group) for group in value.split("-")] == [8, 4, 4, 4, 12]
    if value == "" or (shaped and all(c in "0123456789abcdefABCDEF" for c in digits)):
        return None
    return f'expected "partner_id" to be a valid UUID, got {value}'


def int_between(low: int, high: int) -> Callable[[str], str | None]:
    """okta's intBetween / intAtMost (okta/provider/provider.go ValidateDiagFunc)."""

    def validate(value: str) -> str | None:
        number = int(value)
        return None if low <= number <= high else f"expected to be in [{low}, {high}], got {value}"

    return validate


# --- the rules ---------------------------------------------------------------------------------

STRING, BOOL, INT, LIST, OBJECT, SET = "string", "bool", "int", "list", "object", "set"


@dataclass(frozen=True)
class Rule:
    """One input of one resource, as its provider's source defines it."""

    path: str
    """The Pulumi input: `servicePrincipalId`, `credentials[].key`, `profile.authScheme`."""
    terraform: str
    kind: str
    source: str
    required: bool = False
    """Within its parent: a nested block's required attribute binds only when the block is set."""
    force_new: bool = False
    sensitive: bool = False
    default: str | None = None
    """What the provider (or the bridge, or the SDK) uses when the program sets nothing."""
    computed_only: bool = False
    """An attribute the provider sets and the configuration may not."""
    validator: str = ""
    """The validator's name in the source."""
    validate: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class Contract:
    type: str
    terraform: str
    source: str
    rules: tuple[Rule, ...]
    conflicts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """ConflictsWith: an input that may not be set together with any of the others."""
    provider: bool = False
    """Provider inputs arrive as text: the SDK JSON-encodes every non-string value."""

    def rule(self, path: str) -> Rule:
        [found] = [rule for rule in self.rules if rule.path == path]
        return found

    def refusals(self, inputs: Mapping[str, Any]) -> list[str]:
        """Why the provider would refuse these inputs (plain: secrets unwrapped); none if not."""
        found: list[str] = []
        self._object("", inputs, found)
        for name, others in self.conflicts:
            if _set(inputs.get(name)):
                found.extend(
                    f"{self.type}: {name} conflicts with {other} (ConflictsWith, {self.source})"
                    for other in others
                    if _set(inputs.get(other))
                )
        return found

    def _object(self, prefix: str, value: Mapping[str, Any], found: list[str]) -> None:
        children = {
            rule.path[len(prefix) :]: rule
            for rule in self.rules
            if rule.path.startswith(prefix) and _is_child(rule.path[len(prefix) :])
        }
        for name in sorted(set(value) - set(children)):
            found.append(
                f"{self.type}: {prefix}{name} is not an input of {self.terraform} (our rule, "
                "stricter than the bridge: it warns and drops what its schema lacks)"
            )
        for name, rule in children.items():
            item = value.get(name)
            if not _set(item):
                if rule.required and rule.default is None:
                    found.append(f"{self.type}: {rule.path} is required ({rule.source})")
                continue
            if _unknown(item):
                continue
            self._value(rule, item, found)

    def _value(self, rule: Rule, value: Any, found: list[str]) -> None:
        if rule.computed_only:
            found.append(f"{self.type}: {rule.path} is set by the provider only ({rule.source})")
            return
        problem = _kind_problem(rule.kind, value, self.provider)
        if problem:
            found.append(f"{self.type}: {rule.path} {problem} ({rule.source})")
            return
        if rule.kind == LIST and any(r.path.startswith(f"{rule.path}[].") for r in self.rules):
            for item in value:
                if _unknown(item):
                    continue
                if not isinstance(item, Mapping):
                    found.append(f"{self.type}: {rule.path}[] must be an object ({rule.source})")
                    continue
                self._object(f"{rule.path}[].", item, found)
        elif rule.kind == OBJECT:
            self._object(f"{rule.path}.", value, found)
        elif rule.validate is not None and isinstance(value, str):
            reason = rule.validate(value)
            if reason:
                found.append(
                    f"{self.type}: {rule.path}: {reason} ({rule.validator}, {rule.source})"
                )


def _is_child(rest: str) -> bool:
    return rest != "" and "." not in rest and "[" not in rest


def _unknown(value: Any) -> bool:
    """Not known until apply: the provider validates nothing of it yet ("If the value is unknown
    then we can't validate it yet", terraform-plugin-sdk/v2 helper/schema/schema.go, vendored in
    hashicorp/terraform-provider-azuread @ f0169e0ecec4a7f87c0a512fd989368a182306c1)."""
    return isinstance(value, pulumi.output.Unknown) or value == UNKNOWN


def _set(value: Any) -> bool:
    return value is not None


def _kind_problem(kind: str, value: Any, provider: bool) -> str | None:
    if provider and kind in (BOOL, INT, LIST, SET) and isinstance(value, str):
        # The SDK sends a provider's non-string inputs JSON-encoded (pulumi.runtime.to_json).
        if kind == BOOL and value in ("true", "false"):
            return None
        if kind == INT and value.lstrip("-").isdigit():
            return None
        if kind in (LIST, SET) and value.startswith("["):
            return None
        return f"must be a {kind}, JSON-encoded, not {value!r}"
    expected: dict[str, tuple[type, ...]] = {
        STRING: (str,),
        BOOL: (bool,),
        INT: (int,),
        LIST: (list, tuple),
        SET: (list, tuple),
        OBJECT: (Mapping,),
    }
    if isinstance(value, expected[kind]) and not (kind == INT and isinstance(value, bool)):
        return None
    return f"must be a {kind}, not {type(value).__name__}"


def _azuread_provider_rules() -> tuple[Rule, ...]:
    source = AZUREAD_PROVIDER_SOURCE
    texts = (
        "ado_pipeline_service_connection_id",
        "client_certificate",
        "client_certificate_path",
        "client_id_file_path",
        "client_secret_file_path",
        "msi_endpoint",
        "oidc_request_token",
        "oidc_request_url",
        "oidc_token",
        "oidc_token_file_path",
        "tenant_id",
    )
    sensitive = ("client_certificate_password", "client_id", "client_secret")
    flags = ("disable_terraform_partner_id", "use_aks_workload_identity", "use_cli", "use_oidc")
    rules = [Rule(_camel(name), name, STRING, source) for name in texts]
    # pulumi-azuread marks these Secret (provider/resources.go Config) and the SDK sends them so.
    rules += [Rule(_camel(name), name, STRING, source, sensitive=True) for name in sensitive]
    rules += [Rule(_camel(name), name, BOOL, source) for name in flags]
    rules += [
        Rule("useMsi", "use_msi", BOOL, source, default="false (ARM_USE_MSI)"),
        # Required with a DefaultFunc in Terraform; MarkAsOptional in pulumi-azuread.
        Rule("metadataHost", "metadata_host", STRING, source, default="'' (ARM_METADATA_HOSTNAME)"),
        Rule(
            "environment",
            "environment",
            STRING,
            ENVIRONMENT_SOURCE,
            required=True,
            default="public (ARM_ENVIRONMENT); Terraform's own is global",
            validator="environments.FromName",
            validate=environment_name,
        ),
        Rule(
            "partnerId",
            "partner_id",
            STRING,
            source,
            validator="validation.Any(validation.IsUUID, validation.StringIsEmpty)",
            validate=uuid_or_empty,
        ),
    ]
    return tuple(rules)


def _okta_provider_rules() -> tuple[Rule, ...]:
    source = OKTA_PROVIDER_SOURCE
    texts = ("org_name", "base_url", "client_id", "private_key_id", "http_proxy")
    rules = [Rule(_camel(name), name, STRING, source) for name in texts]
    rules += [
        Rule(_camel(name), name, STRING, source, sensitive=True)
        for name in ("access_token", "api_token", "private_key")
    ]
    rules += [
        Rule("scopes", "scopes", SET, source),
        Rule("backoff", "backoff", BOOL, source),
        Rule("minWaitSeconds", "min_wait_seconds", INT, source),
        Rule("maxWaitSeconds", "max_wait_seconds", INT, source),
        Rule("parallelism", "parallelism", INT, source),
    ]
    for name, low, high, validator in (
        ("max_retries", -(2**31), 100, "intAtMost(100)"),
        ("log_level", 1, 5, "intBetween(1, 5)"),
        ("max_api_capacity", 1, 100, "intBetween(1, 100)"),
        ("request_timeout", 0, 300, "intBetween(0, 300)"),
    ):
        rules.append(
            Rule(
                _camel(name),
                name,
                INT,
                source,
                validator=validator,
                validate=int_between(low, high),
            )
        )
    return tuple(rules)


def _camel(terraform: str) -> str:
    """The bridge's camelCase for a name it does not pluralize (naming.go)."""
    head, *rest = terraform.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


SYNC_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
CONNECTION = "okta:app/connection:Connection"
AZUREAD_PROVIDER = "pulumi:providers:azuread"
OKTA_PROVIDER = "pulumi:providers:okta"

CONTRACTS: dict[str, Contract] = {
    SYNC_SECRET: Contract(
        SYNC_SECRET,
        "azuread_synchronization_secret",
        SYNC_SECRET_SOURCE,
        (
            Rule(
                "servicePrincipalId",
                "service_principal_id",
                STRING,
                SYNC_SECRET_SOURCE,
                required=True,
                force_new=True,
                validator="stable.ValidateServicePrincipalID",
                validate=validate_service_principal_id,
            ),
            Rule("credentials", "credential", LIST, SYNC_SECRET_SOURCE),
            # Any text: Create casts it to stable.SynchronizationSecret without a check
            # (synchronization.go expandSynchronizationSecretKeyStringValuePair).
            Rule("credentials[].key", "credential.key", STRING, SYNC_SECRET_SOURCE, required=True),
            Rule(
                "credentials[].value",
                "credential.value",
                STRING,
                SYNC_SECRET_SOURCE,
                required=True,
                sensitive=True,
            ),
        ),
    ),
    CONNECTION: Contract(
        CONNECTION,
        "okta_app_connection",
        CONNECTION_SOURCE,
        (
            # No attribute has a RequiresReplace plan modifier: nothing forces a new resource.
            Rule("idProperty", "id", STRING, CONNECTION_SOURCE, required=True),
            Rule("baseUrl", "base_url", STRING, CONNECTION_SOURCE, required=True),
            Rule("status", "status", STRING, CONNECTION_SOURCE, computed_only=True),
            Rule(
                "action",
                "action",
                STRING,
                CONNECTION_SOURCE,
                required=True,
                validator="stringvalidator.OneOf",
                validate=one_of("activate", "deactivate"),
            ),
            Rule("profile", "profile", OBJECT, CONNECTION_SOURCE),
            Rule(
                "profile.authScheme",
                "profile.auth_scheme",
                STRING,
                CONNECTION_SOURCE,
                required=True,
                validator="stringvalidator.OneOf",
                validate=one_of("TOKEN", "OAUTH2"),
            ),
            Rule("profile.token", "profile.token", STRING, CONNECTION_SOURCE, sensitive=True),
            Rule("profile.clientId", "profile.client_id", STRING, CONNECTION_SOURCE),
            Rule("profile.signing", "profile.signing", OBJECT, CONNECTION_SOURCE),
            Rule(
                "profile.signing.rotationMode",
                "profile.signing.rotation_mode",
                STRING,
                CONNECTION_SOURCE,
                validator="stringvalidator.OneOf",
                validate=one_of("AUTO", "MANUAL"),
            ),
            Rule("profile.settings", "profile.settings", OBJECT, CONNECTION_SOURCE),
            Rule(
                "profile.settings.adminUsername",
                "profile.settings.admin_username",
                STRING,
                CONNECTION_SOURCE,
            ),
            Rule(
                "profile.settings.adminPassword",
                "profile.settings.admin_password",
                STRING,
                CONNECTION_SOURCE,
                sensitive=True,
            ),
        ),
    ),
    AZUREAD_PROVIDER: Contract(
        AZUREAD_PROVIDER,
        "azuread (provider)",
        AZUREAD_PROVIDER_SOURCE,
        _azuread_provider_rules(),
        provider=True,
    ),
    OKTA_PROVIDER: Contract(
        OKTA_PROVIDER,
        "okta (provider)",
        OKTA_PROVIDER_SOURCE,
        _okta_provider_rules(),
        conflicts=(
            ("accessToken", ("apiToken", "clientId", "scopes", "privateKey")),
            ("apiToken", ("clientId", "scopes", "privateKey")),
            ("privateKeyId", ("apiToken",)),
        ),
        provider=True,
    ),
}
BRIDGED_PACKAGES = ("azuread", "okta")


# --- how long a write of synchronization secrets takes ----------------------------------------

SYNC_SECRET_TIMEOUTS = {
    operation: timedelta(minutes=5) for operation in ("create", "read", "update", "delete")
}
"""pluginsdk.DefaultTimeout(5 * time.Minute) for each (synchronization_secret_resource.go)."""
CONSISTENCY_SOURCE = azuread("internal/helpers/consistency/consistency.go") + (
    " (WaitForUpdate -> WaitForUpdateWithTimeout); the loop is terraform-plugin-sdk's, vendored "
    "in "
    + azuread("vendor/github.com/hashicorp/terraform-plugin-sdk/v2/helper/retry/state.go")
    + " (StateChangeConf.WaitForStateContext)"
)
MIN_TIMEOUT = timedelta(seconds=5)
"""WaitForUpdateWithTimeout's MinTimeout: the shortest wait between two lists."""
LONGEST_WAIT = timedelta(seconds=10)
"""state.go: the default wait between refreshes is bounded to 10 s."""
CONTINUOUS_TARGET_OCCURENCE = 5
"""How many lists in a row must show the written set (ContinuousTargetOccurence)."""


def consistency_wait(graph_lag: timedelta) -> timedelta:
    """How long Create or Update waits after its PUT when Graph shows the written set
    `graph_lag` after it, the lists themselves taking no time (so: the least it can take).

    StateChangeConf's loop: the first refresh at once, then 100 ms; the wait doubles after a
    refresh that did not reach the target, is at least MinTimeout and at most 10 s; done
    after ContinuousTargetOccurence refreshes in a row reached it.
    """
    elapsed, wait, in_a_row = timedelta(0), timedelta(0), 0
    while True:
        elapsed += wait
        if wait == timedelta(0):
            wait = timedelta(milliseconds=100)
        if elapsed >= graph_lag:
            in_a_row += 1
            if in_a_row == CONTINUOUS_TARGET_OCCURENCE:
                return elapsed
        else:
            in_a_row = 0
            wait *= 2
        wait = min(max(wait, MIN_TIMEOUT), LONGEST_WAIT)


def duration(text: str) -> timedelta:
    """A custom timeout as Pulumi takes it (a Go duration such as `5m` or `1h30m`)."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    total, number = 0.0, ""
    for character in text:
        if character.isdigit() or character == ".":
            number += character
        elif character in units and number:
            total += float(number) * units[character]
            number = ""
        else:
            raise ValueError(f"not a duration: {text!r}")
    if number:
        raise ValueError(f"not a duration (no unit): {text!r}")
    return timedelta(seconds=total)


class ContractRefusalError(Exception):
    """A registration the real provider would refuse: the deployment would end there."""


def package(type_token: str) -> str:
    if type_token.startswith("pulumi:providers:"):
        return type_token.removeprefix("pulumi:providers:")
    return type_token.split(":", 1)[0]


def refusals(type_token: str, inputs: Mapping[str, Any]) -> list[str]:
    """Why the bridged provider would refuse this registration; empty for ours and for none."""
    if package(type_token) not in BRIDGED_PACKAGES:
        return []
    contract = CONTRACTS.get(type_token)
    if contract is None:
        return [f"{type_token}: no contract is transcribed in testbed/contracts.py; add one"]
    return contract.refusals(inputs)


def enforce(type_token: str, name: str, inputs: Mapping[str, Any]) -> None:
    """Raise ContractRefusalError if the provider would refuse it (inputs plain, secrets unwrapped)."""
    found = refusals(type_token, inputs)
    if found:
        raise ContractRefusalError(f"{name}: " + "; ".join(found))


def rules() -> Sequence[tuple[Contract, Rule]]:
    """Every rule with its contract, for the evidence and the tests."""
    return [(contract, rule) for contract in CONTRACTS.values() for rule in contract.rules]
