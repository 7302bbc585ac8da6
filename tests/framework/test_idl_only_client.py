"""A client compiled from idl/ alone, in its own process, interoperates with the framework."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import ROOT
from tests.framework.gateway import Gateway

IDL_FILES = ("osa.idl", "fw_data.idl", "fw_if_access.idl", "fw_if_application.idl")


def test_a_client_built_from_the_idl_files_only(gateway: Gateway, tmp_path: Path) -> None:
    idl = tmp_path / "idl"
    idl.mkdir()
    for name in IDL_FILES:
        shutil.copy(ROOT / "idl" / name, idl / name)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    subprocess.run(
        [
            str(ROOT / ".venv/bin/omniidl"),
            "-bpython",
            f"-I{idl}",
            f"-C{stubs}",
            *[str(idl / n) for n in IDL_FILES],
        ],
        check=True,
        timeout=60,
    )
    app = gateway.register("idl-only-app")
    (tmp_path / "secret").write_bytes(app.secret)
    (tmp_path / "key.pem").write_bytes(app.private_pem)
    keys = json.loads(gateway.cli("--json", "framework", "public-key").stdout)
    (tmp_path / "fw.pem").write_text(keys["P_SHA256_RSA_2048"])
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            str(Path(__file__).with_name("idl_only_client.py")),
            str(stubs),
            sysconfig.get_paths()["purelib"],
            gateway.corbaloc,
            app.app_id,
            str(tmp_path / "secret"),
            str(tmp_path / "key.pem"),
            str(tmp_path / "fw.pem"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK test"
    [agreement] = gateway.store.agreements(app.app_id)
    assert agreement.state == "terminated"
