"""One naming rule for limits: the unit or kind first, the qualifier last (TigerBeetle's style).

``chap_packet_bytes_max``, ``pin_failures_max``, ``retry_ms_min``, ``MINOR_MAX`` -- never
``chap_packet_max_bytes``, ``max_failures`` or ``MAX_MINOR``: the name starts with what is
counted and ends with how it is bounded, so related names sort together. This test reads the
source (every name a module, class or function defines: variables, constants, attributes,
parameters, dataclass fields, functions and classes), the configuration's keys and the command
lines' flags, and fails on a name with ``max`` or ``min`` anywhere but last.

Contracts keep their names: wire and protocol names are not ours to rename (docs/operations.md,
"Configuration names"). Where Python code must write one (a protobuf field), the field's name
comes from ``proto/`` and is allowed here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from gateway.config import DEFAULTS, RENAMED_KEYS

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {".venv", "build", "var", "node_modules", ".git"}
QUALIFIERS = ("max", "min")
PROTO_FIELD = re.compile(r"^\s*(?:optional\s+|repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+\s*;", re.M)


def misnamed(name: str) -> bool:
    """True when ``max``/``min`` is a word of ``name`` other than its last."""
    words = [w for w in name.lower().split("_") if w]
    return any(w in QUALIFIERS for w in words[:-1])


def suggestion(name: str) -> str:
    """``name`` with its qualifier moved last: ``pin_max_failures`` -> ``pin_failures_max``."""
    words = name.strip("_").split("_")
    qualifier = next(w for w in words[:-1] if w.lower() in QUALIFIERS)
    words.remove(qualifier)
    return "_" * (len(name) - len(name.lstrip("_"))) + "_".join([*words, qualifier])


def python_files() -> Iterator[Path]:
    for top in sorted(ROOT.iterdir()):
        if top.name in SKIPPED or top.name.startswith("."):
            continue
        if top.suffix == ".py":
            yield top
        elif top.is_dir():
            yield from (p for p in sorted(top.rglob("*.py")) if not SKIPPED & set(p.parts))


def proto_fields() -> set[str]:
    return {m for p in ROOT.glob("proto/**/*.proto") for m in PROTO_FIELD.findall(p.read_text())}


def defined_names(tree: ast.AST) -> Iterator[tuple[str, int, bool]]:
    """Every name the module defines, with its line and whether it is an attribute it sets (on
    its own object or, say, on a protobuf message); and the flags its parsers take."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id, node.lineno, False
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.attr, node.lineno, True
        elif isinstance(node, ast.arg):
            yield node.arg, node.lineno, False
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not node.name.startswith("test_"):  # a test's name is a sentence, not a limit
                yield node.name, node.lineno, False
        elif isinstance(node, ast.alias) and node.asname:
            yield node.asname, node.lineno, False
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_argument"
        ):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and str(arg.value).startswith("--"):
                    yield str(arg.value)[2:].replace("-", "_"), node.lineno, False


def test_the_rule_itself() -> None:
    for bad in ("max_failures", "pin_max_failures", "MAX_MINOR", "_max_age_s", "retry_min_ms"):
        assert misnamed(bad), bad
    for good in ("pin_failures_max", "MINOR_MAX", "retry_ms_min", "max", "maximum", "cap_minor"):
        assert not misnamed(good), good
    assert suggestion("chap_packet_max_bytes") == "chap_packet_bytes_max"
    assert suggestion("MAX_MINOR") == "MINOR_MAX"
    assert suggestion("_max_age_s") == "_age_s_max"


def test_source_names_put_max_and_min_last() -> None:
    wire = proto_fields()  # request.max_entries = ...: GetHistoryRequest's field, a wire name
    seen: set[str] = set()
    offenders = []
    for path in python_files():
        for name, line, attribute in defined_names(ast.parse(path.read_text(), str(path))):
            seen.add(name)
            if misnamed(name) and not (attribute and name in wire):
                where = path.relative_to(ROOT)
                offenders.append(f"{where}:{line}: {name} -> {suggestion(name)}")
    assert {"chap_packet_bytes_max", "MINOR_MAX", "pin_failures_max"} <= seen, "scan broken?"
    assert not offenders, "limits are named unit or kind last:\n" + "\n".join(offenders)


def test_configuration_keys_put_max_and_min_last() -> None:
    offenders = [
        f"{section}.{key} -> {suggestion(key)}"
        for section, items in DEFAULTS.items()
        for key in items
        if misnamed(key)
    ]
    offenders += [
        f"{new} (the new name of {old})" for old, new in RENAMED_KEYS.items() if misnamed(new)
    ]
    assert not offenders, "configuration keys are named unit or kind last:\n" + "\n".join(offenders)
