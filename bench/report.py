"""A figure is a name, a measured value and the goal it is read against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | int | str
    goal: str


def table(title: str, figures: list[Figure]) -> str:
    lines = [f"### {title}", "", "| figure | measured | goal |", "| --- | --- | --- |"]
    lines += [f"| {f.name} | {f.value} | {f.goal} |" for f in figures]
    return "\n".join(lines) + "\n"
