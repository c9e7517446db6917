"""Any process: druva-scim's version, held here and nowhere else.

Semantic versioning (https://semver.org/spec/v2.0.0.html); CHANGELOG.md says what each
released version changed. A module constant rather than pyproject.toml read at run time: the
program, the policy pack and every command import it for nothing (no file to find or parse
from wherever they run), and pyproject.toml takes it from here (`[tool.setuptools.dynamic]`).
`scripts/up`, `scripts/test` and `scripts/evidence` answer `--version` before any Python
exists, so they read the VERSION line with sed: keep it one line, `VERSION = "X.Y.Z"`.
"""

from __future__ import annotations

from providers.core.texts import NAMESPACE

VERSION = "1.0.0"

ANNOUNCED = f"{NAMESPACE} {VERSION}"
"""What every command's `--version` prints: the project's name (Pulumi.yaml's `name`, which is
also the config namespace) and the version."""
