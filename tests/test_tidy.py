"""Checks that run themselves: lint, no float money, no transport imports in the domain core."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSPORT = re.compile(r"^\s*(from|import)\s+(omniORB|CORBA|grpc|google\.rpc|org\b|org__POA)", re.M)


def domain_core_files() -> list[Path]:
    """Modules that must know nothing of CORBA or gRPC (DESIGN §1)."""
    files = [*ROOT.glob("charging/**/*.py"), *ROOT.glob("storage/**/*.py")]
    files += [p for p in ROOT.glob("scf/**/service.py")]
    files += [*ROOT.glob("framework/core/**/*.py")]
    return files


def test_ruff_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--quiet", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_core_has_no_transport_imports() -> None:
    offenders = [
        str(p.relative_to(ROOT)) for p in domain_core_files() if TRANSPORT.search(p.read_text())
    ]
    assert not offenders, f"CORBA/gRPC imported in the domain core: {offenders}"


def test_no_float_money() -> None:
    """Money is never a float: no float() or float literals in the ledger and SCF domain code."""
    pattern = re.compile(r"\bfloat\(|:\s*float\b|->\s*float\b")
    allowed = {"charging/money.py"}  # it names float only to refuse it
    offenders = []
    for path in [*ROOT.glob("charging/**/*.py"), *ROOT.glob("scf/**/*.py")]:
        rel = str(path.relative_to(ROOT))
        if rel not in allowed and pattern.search(path.read_text()):
            offenders.append(rel)
    assert not offenders, f"float used in money code: {offenders}"
