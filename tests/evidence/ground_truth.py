"""The ground truth the tests stand on: the vendors' payloads the stand-ins serve, the bridged
providers' input contracts the mocks enforce, the engine's rules the sequences model, and what
still cannot be known here (test process; a section of docs/EVIDENCE.md).

Each table is read from the thing it describes (testbed/corpus, testbed/contracts.py,
tests/sequences/engine_model.py), so the document cannot drift from what the tests use.
"""

from __future__ import annotations

from testbed import contracts, corpus
from tests.sequences import engine_model

UNKNOWABLE_HERE = (
    "Druva's own answer to a rejected SCIM token (401 or 403, and its body): Druva documents "
    "neither; only a SCIM Error body is read as Druva's verdict (testbed/corpus/druva/error-401 "
    "is a variation of RFC 7644's form).",
    "Whether Okta's Druva 2.0 OIN app takes a token through the Application Connections API: "
    "Okta's list of such integrations does not name it; api mode expects the refusal.",
    "Which words Okta's System Log puts in a provisioning failure's outcome.reason, and whether "
    "application.integration.authentication_failure names the app as target: no documented "
    "example shows either (testbed/corpus/okta/logs-provisioning-page says what it assembles).",
    "azuread's exact error text when Graph's 403 is retried until the custom timeout, and what "
    "Graph's validateCredentials answers when Azure cannot reach Druva: neither is documented.",
    "That pulumi-azuread and pulumi-okta mark no provider config key ForcesProviderReplace: "
    "their provider/resources.go at the released versions is not stored here; a search of the "
    "stored copies finds the flag only in pulumi-terraform-bridge.",
    "The terraform-provider-okta version pulumi-okta 7.0.1 bridges: its generated SDK matches "
    "the v6.12.0 schema transcribed; later validator changes are not excluded.",
    "China (21Vianet): Microsoft's current pages mark validateCredentials and the secrets PUT as "
    "supported; the repository copies read still say not; the program now allows it.",
    "Where get.pulumi.com keeps each release's checksums file: inferred from pulumi/pulumi's "
    "release workflow, which syncs every pulumi-* file to /releases/sdk/.",
    "The engine itself: the model runs steps one at a time in registration order; the real "
    "engine runs independent steps in parallel, honours options the program does not use, and "
    "records pending operations after a crash. No test here runs the Pulumi CLI.",
)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def corpus_rows() -> list[list[str]]:
    rows = []
    for vendor in corpus.VENDORS:
        for name in corpus.names(vendor):
            payload = corpus.load(vendor, name)
            rows.append(
                [
                    f"{vendor}/{name}",
                    str(payload.status),
                    payload.source,
                    payload.varies or "as documented",
                ]
            )
    return rows


def contract_rows() -> list[list[str]]:
    rows = []
    for contract, rule in contracts.rules():
        said = [
            "required" if rule.required else "optional",
            *(["forces a new resource"] if rule.force_new else []),
            *(["sensitive"] if rule.sensitive else []),
            *([f"default {rule.default}"] if rule.default is not None else []),
            *(["set by the provider only"] if rule.computed_only else []),
            *([rule.validator] if rule.validator else []),
        ]
        rows.append([contract.type, rule.path, rule.kind, ", ".join(said), rule.source])
    return rows


def engine_rules() -> list[str]:
    """The engine model's rules, each with the file and function it cites."""
    text = engine_model.__doc__ or ""
    body = text.split("unless said otherwise):", 1)[1]
    rules: list[str] = []
    for line in body.splitlines():
        if line.startswith("- "):
            rules.append(line[2:].strip())
        elif line.startswith("  ") and rules:
            rules[-1] += " " + line.strip()
    return rules


def section(title: str) -> str:
    return "\n".join(
        [
            f"## {title}\n",
            "What the stand-ins, the mocks and the engine model are held to, each with its source. "
            "Read from testbed/corpus, testbed/contracts.py and tests/sequences/engine_model.py.\n",
            f"### The vendors' payloads the stand-ins serve ({len(corpus_rows())})\n",
            _table(["payload", "status", "source", "varies"], corpus_rows()),
            f"### The bridged providers' inputs, as their source validates them ({len(contract_rows())})\n",
            "Every registration with azuread or okta in every test that runs the program is "
            "checked against these; one the provider would refuse fails the test.\n",
            _table(["resource", "input", "type", "rule", "source"], contract_rows()),
            "### The engine's rules the sequences follow\n",
            "pulumi/pulumi at 1b5949891b3cefcb9974752b24a5ecef0acc86c8, pkg/resource/deploy/ "
            "unless said otherwise.\n",
            "\n".join(f"- {rule}" for rule in engine_rules()) + "\n",
            "### What still cannot be known without the real systems\n",
            "\n".join(f"- {item}" for item in UNKNOWABLE_HERE) + "\n",
        ]
    )
