"""Any process: a list of objects from stack config, read entry by entry, each problem
named by its key path (`druva-scim:azureApps[2].servicePrincipalId`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from providers.core.settings import Problem, kind, shown


@dataclass(frozen=True)
class Text:
    """A text setting of an entry: what it must match, how to say so, whether it must be set."""

    pattern: re.Pattern[str]
    hint: str
    required: bool = True


Item = TypeVar("Item")
Read = Callable[[str, Mapping[str, Any], int], tuple[str | None, Item | None]]
"""Reads one entry (its path, the entry, its index): its name, and the item when it is valid."""


class Entries:
    """Walks one list of objects from config, collecting problems as it goes."""

    def __init__(self, key: str, raw: object, problems: list[Problem]) -> None:
        self.key = key
        self.problems = problems
        self.entries: list[tuple[str, Mapping[str, Any], int]] = []
        if raw is None:
            return
        if not isinstance(raw, list):
            problems.append(
                Problem(
                    key, f"must be a list of objects (YAML list or JSON array), not {kind(raw)}"
                )
            )
            return
        for index, entry in enumerate(raw):
            path = f"{key}[{index}]"
            if not isinstance(entry, dict):
                problems.append(Problem(path, f"must be an object with keys, not {kind(entry)}"))
                continue
            self.entries.append((path, entry, index))

    def unknown_keys(self, path: str, entry: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for name in sorted(set(entry) - set(allowed)):
            self.problems.append(
                Problem(f"{path}.{name}", f"is not a known key; use one of {', '.join(allowed)}")
            )

    def texts(
        self, path: str, entry: Mapping[str, Any], fields: Mapping[str, Text]
    ) -> dict[str, str | None]:
        """Each of `fields` read from `entry`, trimmed; None (and a problem) where not valid."""
        found: dict[str, str | None] = {}
        for name, text in fields.items():
            value = entry.get(name)
            if value is None:
                if text.required:
                    self.problems.append(Problem(f"{path}.{name}", f"is required: {text.hint}"))
                found[name] = None
            elif not isinstance(value, str) or not text.pattern.fullmatch(value.strip()):
                message = f"{shown(value)} is not valid: {text.hint}"
                self.problems.append(Problem(f"{path}.{name}", message))
                found[name] = None
            else:
                found[name] = value.strip()
        return found

    def choice(
        self,
        path: str,
        entry: Mapping[str, Any],
        name: str,
        default: str,
        options: tuple[str, ...],
        rule: str,
    ) -> str | None:
        """One of `options` (or `default` when it is not set); None, and a problem, otherwise."""
        value = entry.get(name, default)
        if isinstance(value, str) and value in options:
            return value
        self.problems.append(Problem(f"{path}.{name}", f"{rule}, not {shown(value)}"))
        return None

    def each(self, allowed: tuple[str, ...], read: Read[Item]) -> list[tuple[str, Item]]:
        """`read` of every entry (after its unknown keys), with the entries' names unique."""
        names: list[tuple[str, str | None]] = []
        read_ones: list[tuple[str, Item]] = []
        for path, entry, index in self.entries:
            self.unknown_keys(path, entry, allowed)
            name, item = read(path, entry, index)
            names.append((path, name))
            if item is not None:
                read_ones.append((path, item))
        self.unique_names(names)
        return read_ones

    def unique_apps(self, entries: list[tuple[str, str | None, str]], key: str, scope: str) -> None:
        """Two entries for one app would overwrite each other's credentials on every run."""
        seen: dict[tuple[str | None, str], str] = {}
        for path, where, value in entries:
            if (where, value.lower()) in seen:
                self.problems.append(
                    Problem(
                        f"{path}.{key}",
                        f"{value} is already listed as {seen[(where, value.lower())]} in the same "
                        f"{scope}; list each app once",
                    )
                )
            else:
                seen[(where, value.lower())] = path

    def unique_names(self, names: list[tuple[str, str | None]]) -> None:
        seen: dict[str, str] = {}
        for path, name in names:
            if name is None:
                continue
            folded = name.lower()
            if folded in seen:
                self.problems.append(
                    Problem(
                        f"{path}.name",
                        f"{shown(name)} is already used by {seen[folded]}; names must be unique",
                    )
                )
            else:
                seen[folded] = path
