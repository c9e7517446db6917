"""What the code can say: every message the code under providers/ builds, as a pattern.

A message is built from string literals, f-strings and `+`; its pattern keeps
the literal text and marks what is filled in at run time with WILD. Names of
module constants (`WHAT`, `NAMESPACE`, ...) are resolved, also across imports,
so that `f"{WHAT} at {url}"` reads `Druva's SCIM endpoint at <WILD>`; a template's
fields (`{status}`) are WILD too. Docstrings are not messages. tests/test_docs.py matches the tables in docs/ against these.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from pathlib import Path

from testbed import ROOT

WILD = "\x00"
"""Whatever the code fills in at run time: a value, a vendor's text, another message."""
MIN_LITERAL = 8
"""A pattern with less literal text than this says nothing (`f"{a}: {b}"`)."""
WINDOW = 12
SHARED = 20
"""How many characters of a documented start must be the code's own text (all, if fewer)."""
VALUE = 16
"""The most characters of documented text a run-time value stands for (`2019` in `U+2019`,
`config set` in `pulumi config set`)."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def parsed(path: Path) -> ast.Module:
    """`path`'s syntax tree, parsed once per session."""
    return ast.parse(path.read_text())


def trees() -> dict[str, ast.Module]:
    return {module_name(path): parsed(path) for path in sources()}


def sources() -> list[Path]:
    return sorted((ROOT / "providers").rglob("*.py"))


TEMPLATE_FIELD = re.compile(r"\{[a-z_]+\}")
"""A field of a template filled in with `str.format` (`{status}`), also WILD."""


def pattern(node: ast.AST, module: str, depth: int = 0) -> str:
    """The message `node` builds, as a pattern."""
    if depth > 8:
        return WILD
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return TEMPLATE_FIELD.sub(WILD, node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(part.value)
            if isinstance(part, ast.Constant)
            else pattern(part.value, module, depth + 1)
            if isinstance(part, ast.FormattedValue) and not part.format_spec
            else WILD
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return pattern(node.left, module, depth + 1) + pattern(node.right, module, depth + 1)
    if isinstance(node, ast.Name):
        return constant(module, node.id, depth + 1)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        target = imported(module, node.value.id)
        if target is not None:
            return constant(target, node.attr, depth + 1)
    return WILD


def imported(module: str, alias: str) -> str | None:
    """The module of ours that `alias` names in `module`, if it names one."""
    for node in trees()[module].body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for name in node.names:
                full = f"{node.module}.{name.name}"
                if (name.asname or name.name) == alias and full in trees():
                    return full
    return None


def constant(module: str, name: str, depth: int) -> str:
    """The pattern of module-level `name` in `module`, following imports; WILD otherwise."""
    tree = trees().get(module)
    if tree is None:
        return WILD
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return pattern(node.value, module, depth)
        if isinstance(node, ast.ImportFrom) and node.module in trees():
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return constant(node.module, alias.name, depth + 1)
    return WILD


def advice_words(module: str) -> list[str]:
    """Every advice the module writes (a mapping keyed by `Cause.X`, what
    `providers.http.answer_error` words an answer with): each of its templates, both of a
    choice (`a if b else c`), as patterns; a choice made at run time says too little."""
    found: list[str] = []
    for node in ast.walk(trees()[module]):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if is_cause(key):
                found.extend(pattern(choice, module) for choice in choices(value))
    return [text for text in found if literal(text) >= MIN_LITERAL]


def is_cause(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Cause"
    )


def choices(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.IfExp):
        return [*choices(node.body), *choices(node.orelse)]
    return [node]


@functools.cache
def code_patterns() -> tuple[str, ...]:
    """Every message-like text the code builds (no docstrings), as patterns."""
    found: set[str] = set()
    for module, tree in trees().items():
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp):
                text = pattern(node, module)
                if len(text.replace(WILD, "")) >= MIN_LITERAL:
                    found.add(text.replace("`", ""))
    return tuple(sorted(found))


def meet(documented: str, code: str, shared: int = 0) -> bool:
    """Whether `code` (a pattern) can produce text that `documented` (a pattern) describes,
    with at least `shared` of the documented characters matched by the code's own text.

    The documented pattern's WILD stands for anything (a value, text it leaves out); the
    code's WILD for a value filled in at run time, which may stand for documented text
    only as far as a value does (at most VALUE characters): what the documentation
    quotes must be the code's own words.
    """
    seen: set[tuple[int, int, int, int]] = set()
    pending = [(0, 0, 0, 0)]
    while pending:
        state = pending.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j, taken, matched = state
        if i == len(documented) and j == len(code) and matched >= shared:
            return True
        a = documented[i] if i < len(documented) else None
        b = code[j] if j < len(code) else None
        if a == WILD:
            pending.append((i + 1, j, 0, matched))
            if b is not None:
                pending.append((i, j + 1, 0, matched))
        if b == WILD:
            pending.append((i, j + 1, 0, matched))
            if a is not None and a != WILD and taken < VALUE:
                pending.append((i + 1, j, taken + 1, matched))
        if a is not None and a == b and a != WILD:
            pending.append((i + 1, j + 1, 0, min(matched + 1, shared)))
    return False


def literal(text: str) -> int:
    return len(text) - text.count(WILD)


def windows(text: str) -> Iterable[str]:
    for chunk in text.split(WILD):
        for start in range(0, max(len(chunk) - WINDOW + 1, 0)):
            yield chunk[start : start + WINDOW]


def produced(wanted: str) -> list[str]:
    """The code's patterns some text of which `wanted` (a pattern) can be a part of."""
    probe = f"{WILD}{wanted}{WILD}"
    pieces = list(windows(wanted))
    candidates = [
        text for text in code_patterns() if not pieces or any(piece in text for piece in pieces)
    ]
    return [text for text in candidates if meet(probe, text, min(literal(wanted), SHARED))]


PLACEHOLDER = re.compile(r"…|\.\.\.|\b(URL|NAME|KEY|DATE|FP|N)\b|0oa…|401/403|5xx/429")
"""How docs/errors.md writes what varies in a message: an ellipsis, or a word in capitals."""


def as_pattern(documented: str) -> str:
    """A message start as docs/errors.md writes it, as a pattern."""
    return PLACEHOLDER.sub(WILD, documented.replace("`", ""))


# Parsed while the tests are collected: CPython 3.11 can raise "AST constructor recursion
# depth mismatch" from ast.parse after other tests have hit RecursionError on purpose
# (deep JSON, deep settings), so no parse waits until then.
for _path in (*sources(), *sorted((ROOT / "policy").glob("*.py"))):
    parsed(_path)
