"""Policy pack: the druva-scim pack, as `pulumi preview --policy-pack policy` starts it.

The engine runs `python -u -m pulumi.policy <engine> .` in this folder, from the
pack's own virtualenv (policy/venv), so only this folder is on sys.path: this
file imports its neighbour `pack` as a top-level module. The rules are the
project's pure core (`providers.core.policy_rules`, standard library only):
`policy/providers` is a link to the project's `providers` package, through which
the pack imports `providers.core` and nothing else of it (tests/policy/test_pack.py
starts the pack so and checks both).
"""

import pack
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=pack.PACK_NAME,
    policies=pack.policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description=(
        "Druva SCIM token: rotation due (advisory), expired (mandatory), token not declared "
        "secret (mandatory), manual hand-off overdue (mandatory)."
    ),
)
