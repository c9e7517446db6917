"""Command line: `python -m providers.status`, the gate as users' pipelines type it.

Frozen: pipelines, scripts/up and the docs run this command, so it stays importable and
runnable forever. The gate itself is providers/gate.py; this runs its `main`.
"""

from __future__ import annotations

import sys

from providers.gate import main

if __name__ == "__main__":
    sys.exit(main())
