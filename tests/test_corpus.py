"""The corpus of vendors' payloads (testbed/corpus): every file names its source and the day it
was read, and says what it varies from the documented payload."""

import json
import re

import pytest

from testbed import corpus

SOURCE = re.compile(r"^(https://\S+|[\w.-]+/[\w.-]+ \S+ @ [0-9a-f]{40})$")
"""A documentation URL, or `<owner>/<repo> <path> @ <commit>`."""
FILES = [(vendor, name) for vendor in corpus.VENDORS for name in corpus.names(vendor)]


@pytest.mark.parametrize(("vendor", "name"), FILES, ids=[f"{v}/{n}" for v, n in FILES])
def test_each_payload_names_its_source_and_when_it_was_read(vendor, name):
    document = json.loads((corpus.FOLDER / vendor / f"{name}.json").read_text(encoding="utf-8"))
    assert set(document) <= {"source", "read", "varies", "status", "headers", "body"}
    payload = corpus.load(vendor, name)
    assert SOURCE.match(payload.source), payload.source
    assert re.fullmatch(r"20[0-9]{2}-[01][0-9]-[0-3][0-9]", payload.read)
    assert payload.varies is None or len(payload.varies.split()) >= 4, "say what varies and why"
    assert 100 <= payload.status <= 599
