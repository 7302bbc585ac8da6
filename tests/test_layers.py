"""Which folder may import which: the rules that keep the house's floors apart, read from the
source (every import statement, at the top of a module or inside a function).

- ``smpp/`` is the bottom floor of the SMS path: of micropay it imports only ``domain_errors``
  and the number plan ``charging.msisdn``, which themselves import nothing else of micropay;
- the SMS SCF and the embedded SMSC stand beside each other on it: nothing in ``smsc/`` imports
  ``scf/``, and in ``scf/`` only the component that starts the embedded SMSC imports ``smsc/``;
- the SMS code takes its error base from ``domain_errors``, not from the ledger's module;
- ``gateway/`` (the ``micropay`` command included) imports nothing from ``apps/``: it finds their
  commands through entry points; nothing but tests imports ``tests/``;
- ``client/camara.py``, the CAMARA client any merchant could use, speaks only the public
  documents: of micropay it imports only the leaf ``camara.jsonio`` (JSON without floats).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {
    "apps", "bench", "camara", "charging", "client", "domain_errors", "framework", "gateway",
    "scf", "shim", "smpp", "smsc", "storage", "telemetry", "tests",
}  # fmt: skip
SMSC_STARTER = "scf/sms/component.py"  # the one module of scf/ that may import smsc/
ERROR_BASES = {"DomainError", "InvalidInput", "InvalidAddress"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module (and ``module.name`` of each ``from module import name``) ``source`` imports."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in OURS}


def imports_of(path: Path) -> set[str]:
    return imports_in(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


def sources(*folders: str) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        target = ROOT / folder
        found += [target] if target.suffix == ".py" else sorted(target.rglob("*.py"))
    return found


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def within(name: str, allowed: tuple[str, ...]) -> bool:
    """``name`` is one of ``allowed``, below one, or a package above one (``from charging import
    msisdn`` names ``charging`` as well; what it takes from there is checked by its own name)."""
    return any(name == a or name.startswith(a + ".") or a.startswith(name + ".") for a in allowed)


def offenders(paths: list[Path], forbidden: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """``path: module`` for each import of ``forbidden`` (or below it) not in ``allowed``."""
    out = []
    for path in paths:
        for name in sorted(imports_of(path)):
            hit = name == forbidden or name.startswith(forbidden + ".")
            if hit and not within(name, allowed):
                out.append(f"{rel(path)}: {name}")
    return out


def test_the_walk_sees_every_kind_of_import() -> None:
    source = (
        "import smsc.server\n"
        "from charging import ledger\n"
        "from . import sibling\n"
        "from ..common import faults\n"
        "import json\n"
        "def later():\n"
        "    from apps.micropay import server\n"
    )
    found = imports_in(source, "scf.sms.example")
    assert {"smsc.server", "charging.ledger", "scf.sms.sibling", "scf.common.faults"} <= found
    assert "apps.micropay.server" in found  # inside a function too
    assert "json" not in found
    assert imports_in("from . import x\n", "smpp", is_package=True) == {"smpp", "smpp.x"}
    assert within("charging", ("charging.msisdn",)) and within(
        "charging.msisdn.e164", ("charging.msisdn",)
    )
    assert not within("charging.ledger", ("charging.msisdn",))


def test_smpp_is_the_bottom_floor() -> None:
    allowed = ("smpp", "domain_errors", "charging.msisdn")
    found = [
        f"{rel(path)}: {name}"
        for path in sources("smpp")
        for name in sorted(imports_of(path))
        if not within(name, allowed)
    ]
    assert not found, f"smpp/ imports above its floor: {found}"
    for leaf in sources("domain_errors.py", "charging/msisdn.py"):
        below = [n for n in imports_of(leaf) if not n.startswith("domain_errors")]
        assert not below, f"{rel(leaf)} must import nothing of micropay but domain_errors: {below}"
    assert not imports_of(ROOT / "domain_errors.py")


def test_the_smsc_does_not_import_the_scfs() -> None:
    assert not offenders(sources("smsc"), "scf")


def test_only_the_component_that_starts_it_imports_the_smsc() -> None:
    found = offenders([p for p in sources("scf") if rel(p) != SMSC_STARTER], "smsc")
    assert not found, f"scf/ imports smsc/ outside {SMSC_STARTER}: {found}"


@pytest.mark.parametrize("folder", ["scf/sms", "smsc", "smpp"])
def test_sms_code_takes_its_error_base_from_domain_errors(folder: str) -> None:
    found = [
        f"{rel(path)}: {name}"
        for path in sources(folder)
        for name in imports_of(path)
        if name.startswith("charging.errors.") and name.rpartition(".")[2] in ERROR_BASES
    ]
    assert not found, f"error base taken from the ledger: {found}"


def test_the_gateway_does_not_import_the_applications() -> None:
    assert not offenders(sources("gateway"), "apps")


def test_the_command_line_still_has_the_applications_commands() -> None:
    """Found through the ``micropay.commands`` entry points (pyproject.toml), not imports."""
    from gateway.cli import COMMAND_MODULES, build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"demo", "shop", "interop"} <= set(commands)
    assert {"demo", "shop", "interop"}.isdisjoint(COMMAND_MODULES)


def test_the_camara_client_speaks_only_the_public_documents() -> None:
    found = sorted(imports_of(ROOT / "client/camara.py"))
    assert found == ["camara", "camara.jsonio"], found
    assert not imports_of(ROOT / "camara/jsonio.py")


def test_nothing_but_tests_imports_tests() -> None:
    folders = ["apps", "bench", "camara", "charging", "client", "framework", "gateway", "scf",
               "shim"]  # fmt: skip
    found = [
        o
        for folder in [*folders, "smpp", "smsc", "storage"]
        for o in offenders(sources(folder), "tests")
    ]
    assert not found, f"imports from tests/: {found}"
