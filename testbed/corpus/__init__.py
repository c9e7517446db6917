"""Any process (tests and stand-ins): the vendors' own documented payloads, one JSON file each.

The stand-ins answer from these files, so the tests meet what Microsoft Graph, Okta and
Druva (as RFC 7644 defines a SCIM service) document, not what our code expects. Each file:

    {
      "source": "<repository> <path> @ <commit>"  or  "<documentation URL>",
      "read": "YYYY-MM-DD",                 # the day the source was read
      "varies": null | "<what differs from the documented payload, and why>",
      "status": 200,                        # the documented HTTP status
      "headers": {"Content-Type": "application/json"},
      "body": <the documented body, or null for none>
    }

`varies` is null only for a payload copied as documented; a hand-made variation (a status
the vendor does not show an example of, ids replaced so that stand-ins can serve several
apps) says what it changes. tests/test_corpus.py holds every file to this form.

Webhooks (`webhook/`) receive rather than answer: a `-request` file's body is the document
their vendor shows a webhook receiving, its status what that post is answered with.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent
VENDORS = ("graph", "okta", "druva", "webhook")


@dataclass(frozen=True)
class Payload:
    vendor: str
    name: str
    source: str
    read: str
    varies: str | None
    status: int
    headers: dict[str, str]
    body: Any

    def copy_of_body(self) -> Any:
        """The body, for a stand-in to change without touching the corpus."""
        return copy.deepcopy(self.body)


@cache
def load(vendor: str, name: str) -> Payload:
    """The payload `testbed/corpus/<vendor>/<name>.json`."""
    path = FOLDER / vendor / f"{name}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    return Payload(
        vendor=vendor,
        name=name,
        source=document["source"],
        read=document["read"],
        varies=document.get("varies"),
        status=int(document["status"]),
        headers=dict(document.get("headers") or {}),
        body=document.get("body"),
    )


def body(vendor: str, name: str) -> Any:
    """A fresh copy of a payload's body."""
    return load(vendor, name).copy_of_body()


def names(vendor: str) -> list[str]:
    return sorted(path.stem for path in (FOLDER / vendor).glob("*.json"))
