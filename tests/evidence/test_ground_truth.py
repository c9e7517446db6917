"""The ground-truth section of docs/EVIDENCE.md lists what the tests are held to, with sources."""

import re

from testbed import contracts, corpus
from tests.evidence import ground_truth


def test_every_payload_and_every_contract_rule_is_listed_with_its_source():
    text = ground_truth.section("Ground truth")
    for vendor in corpus.VENDORS:
        for name in corpus.names(vendor):
            assert f"| {vendor}/{name} |" in text
    for contract, rule in contracts.rules():
        assert f"| {contract.type} | {rule.path} |" in text
        assert rule.source


def test_each_engine_rule_names_the_file_and_function_it_follows():
    rules = ground_truth.engine_rules()
    assert len(rules) >= 10
    for rule in rules:
        assert re.search(r"\b[\w/]+\.(go|py)\b", rule), rule
        assert re.search(r"`\w+", rule), rule
