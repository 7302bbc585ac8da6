"""scf/common is shared by the CORBA servants and the gRPC shim, so it imports neither."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.test_tidy import TRANSPORT


def test_scf_common_imports_no_transport() -> None:
    files = sorted((ROOT / "scf" / "common").glob("*.py"))
    assert files
    offenders = [p.name for p in files if TRANSPORT.search(p.read_text())]
    assert not offenders, f"CORBA/gRPC imported in scf/common: {offenders}"
