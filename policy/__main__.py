"""The druva-scim policy pack, as `pulumi preview --policy-pack policy` starts it.

The engine runs `python policy/` from the pack's own virtualenv (policy/venv),
which puts only this folder on sys.path. The rules reuse the project's date
logic (providers.lifecycle, standard library only), so the project root is
added first.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy import pack

PolicyPack(
    name=pack.PACK_NAME,
    policies=pack.policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description=(
        "Druva SCIM token: rotation due (advisory), expired (mandatory), token not declared "
        "secret (mandatory), manual Okta hand-off overdue (mandatory)."
    ),
)
