"""Print every benchmark figure: `venv/bin/python -m bench`."""

from __future__ import annotations

from bench import apps, health, outage, token
from bench.report import table


def main() -> None:
    print(table("The ScimToken resource (issue 2)", token.figures()))
    print(table("The identity-provider consumers (issue 3)", apps.figures()))
    print(table("Provisioning health (issue 12)", health.figures()))
    print(table("The outage window the program controls (issue 16)", outage.figures()))


if __name__ == "__main__":
    main()
