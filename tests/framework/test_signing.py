"""Signing algorithms, key fitting, and the framework's key files."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from client import crypto
from framework.core import signing
from framework.core.keys import KEY_FILES, FrameworkKeys
from tests.framework.keypool import private_key, public_pem

TEXT = "micropay service agreement\napplication: shop\n한국어 too"

KEY_FOR = {
    "P_SHA256_RSA_2048": "rsa2048",
    "P_ED25519": "ed25519",
    "P_MD5_RSA_1024": "rsa1024",
}


@pytest.mark.parametrize("algorithm", sorted(KEY_FOR))
def test_sign_and_verify(algorithm: str) -> None:
    key = private_key(KEY_FOR[algorithm])
    signature = signing.sign(algorithm, key, TEXT)
    public = key.public_key()
    assert signing.verify(algorithm, public, TEXT, signature)
    assert not signing.verify(algorithm, public, TEXT + " ", signature)
    assert not signing.verify(algorithm, public, TEXT, signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not signing.verify(
        algorithm, private_key(KEY_FOR[algorithm], 1).public_key(), TEXT, signature
    )
    # the client library's independent implementation agrees both ways
    assert crypto.verify(algorithm, public, TEXT, signature)
    assert signing.verify(algorithm, public, TEXT, crypto.sign(algorithm, key, TEXT))


def test_keys_fit_only_their_algorithms() -> None:
    rsa2048 = private_key("rsa2048").public_key()
    rsa1024 = private_key("rsa1024").public_key()
    ed = private_key("ed25519").public_key()
    enabled = ["P_MD5_RSA_512", "P_MD5_RSA_1024", "P_SHA256_RSA_2048", "P_ED25519"]
    assert signing.fitting(enabled, rsa2048) == ["P_SHA256_RSA_2048"]
    assert signing.fitting(enabled, rsa1024) == ["P_MD5_RSA_1024"]
    assert signing.fitting(enabled, ed) == ["P_ED25519"]
    assert signing.fitting(enabled, None) == []
    # an Ed25519 signature never verifies under an RSA algorithm and vice versa
    sig = signing.sign("P_ED25519", private_key("ed25519"), TEXT)
    assert not signing.verify("P_SHA256_RSA_2048", rsa2048, TEXT, sig)
    assert not signing.verify("P_ED25519", rsa2048, TEXT, sig)


@pytest.mark.parametrize(
    ("caps", "acceptable", "chosen"),
    [
        ("P_ED25519,P_SHA256_RSA_2048", ["P_SHA256_RSA_2048"], "P_SHA256_RSA_2048"),
        ("P_SHA256_RSA_2048", ["P_SHA256_RSA_2048", "P_ED25519"], "P_SHA256_RSA_2048"),
        ("NULL,P_MD5_RSA_512", ["P_SHA256_RSA_2048"], None),
        ("", ["P_SHA256_RSA_2048"], None),
    ],
)
def test_choose(caps: str, acceptable: list[str], chosen: str | None) -> None:
    assert signing.choose(caps, acceptable) == chosen


def test_garbage_signatures_and_keys() -> None:
    public = private_key("rsa2048").public_key()
    assert not signing.verify("P_SHA256_RSA_2048", public, TEXT, b"")
    assert not signing.verify("P_SHA256_RSA_2048", public, TEXT, bytes(5000))
    assert not signing.verify("NULL", public, TEXT, b"x")
    with pytest.raises(signing.InvalidKey):
        signing.load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(signing.InvalidKey):
        signing.load_public_key(b"not pem at all")
    assert signing.load_public_key(public_pem("ed25519")) is not None


@pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl tool for a 512-bit key"
)
def test_legacy_md5_rsa_512_with_an_operator_supplied_key(tmp_path: Path) -> None:
    """cryptography cannot make 512-bit keys; an operator-supplied one enables P_MD5_RSA_512."""
    pem = tmp_path / KEY_FILES["P_MD5_RSA_512"]
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:512",
            "-out",
            str(pem),
        ],
        check=True,
        capture_output=True,
    )
    keys = FrameworkKeys(tmp_path, ["P_MD5_RSA_512", "P_SHA256_RSA_2048"])
    assert keys.available() == ["P_MD5_RSA_512", "P_SHA256_RSA_2048"]
    signature = keys.sign("P_MD5_RSA_512", TEXT)
    public = signing.load_public_key(keys.public_pem("P_MD5_RSA_512"))
    assert signing.verify("P_MD5_RSA_512", public, TEXT, signature)
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600


def test_framework_keys_are_created_once_with_mode_0600(tmp_path: Path) -> None:
    keys = FrameworkKeys(tmp_path, ["P_SHA256_RSA_2048", "P_ED25519"])
    assert keys.available() == ["P_SHA256_RSA_2048", "P_ED25519"]
    for name in ("framework_rsa_2048.pem", "framework_ed25519.pem"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert not (tmp_path / "framework_rsa_1024.pem").exists()  # legacy keys only when enabled
    assert not list(tmp_path.glob(".*.tmp"))
    again = FrameworkKeys(tmp_path, ["P_SHA256_RSA_2048", "P_ED25519"])
    assert again.public_pem("P_ED25519") == keys.public_pem("P_ED25519")
    assert again.public_pem("P_SHA256_RSA_2048") == keys.public_pem("P_SHA256_RSA_2048")
    legacy = FrameworkKeys(tmp_path, ["P_MD5_RSA_1024"])
    assert "P_MD5_RSA_1024" in legacy.available()
    assert "P_MD5_RSA_512" not in legacy.available()
