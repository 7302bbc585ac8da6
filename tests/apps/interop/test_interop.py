"""CI: the whole catalogue against a real ``micropay serve``, over CORBA and over gRPC (TLS, the
client pinning the gateway's self-signed certificate with ``--ca-file``).

``micropay interop`` runs as a subprocess, exactly as an operator runs it; its JUnit XML is
read with ``xml.etree`` (a standard parser) and every purpose must have passed. The HTML report
must be self-contained (nothing to fetch: no scripts, stylesheets, fonts or images by URL), and it
is opened in headless Chromium for a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.interop.model import catalogue, select
from tests.apps.interop.deployment import APP_ID, MICROPAY, PEER_ID, Deployment, clean_env
from tests.conftest import ROOT, free_port

RUN_TIMEOUT_S = 150
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    d = Deployment.start(tmp_path_factory.mktemp("interop-gateway"))
    try:
        yield d
    finally:
        d.stop()


def run_interop(deployment: Deployment, endpoint: str, out: Path) -> subprocess.CompletedProcess:
    keys = deployment.base / "keys"
    profile = deployment.profile(out / "profile.toml")
    tls = ["--ca-file", str(deployment.grpc_ca)] if endpoint.startswith("grpcs://") else []
    return subprocess.run(
        [
            MICROPAY, "interop", "--endpoint", endpoint, "--app-id", APP_ID,
            "--secret-file", str(keys / f"{APP_ID}.secret"),
            "--private-key", str(keys / f"{APP_ID}.pem"),
            "--suite", "framework,payment,account,sms",
            "--profile", str(profile), "--test-account", "tel:+821077700002",
            "--junit", str(out / "junit.xml"), "--html", str(out / "report.html"), *tls,
        ],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )  # fmt: skip


def assert_all_passed(junit: Path, transport: str) -> int:
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    expected = {p.id for p in select(catalogue(), transport)}
    ran = {c.get("name", "").split(" ", 1)[0] for c in cases}
    assert ran == expected, f"missing {sorted(expected - ran)}, unexpected {sorted(ran - expected)}"
    not_passed = [
        f"{c.get('name')}: {child.tag} {child.get('message')}"
        for c in cases
        for child in c
        if child.tag in ("failure", "error", "skipped")
    ]
    assert not not_passed, "\n".join(not_passed)
    assert int(root.get("failures", "-1")) == int(root.get("errors", "-1")) == 0
    assert int(root.get("skipped", "-1")) == 0
    assert int(root.get("tests", "0")) == len(expected)
    return len(cases)


def assert_self_contained(report: Path, endpoint: str = "") -> None:
    """Nothing to fetch: no URL but the endpoint under test, named as text."""
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    if endpoint:
        text = text.replace(endpoint, "the endpoint")
    assert not re.search(r"https?://", text), "the report names a URL"
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", text, re.I), (
        "an external part"
    )
    assert not re.search(r"url\(|@import|\bsrc\s*=", text, re.I), "a resource to fetch"


def screenshot(report: Path, name: str) -> Path | None:
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            fetched: list[str] = []
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(report.as_uri(), timeout=20_000)
            assert page.locator("h1").inner_text().startswith("micropay interop report")
            page.screenshot(path=str(target), full_page=False)
            assert [u for u in fetched if not u.startswith("file:")] == [], fetched
        finally:
            browser.close()
    return target


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("transport", ["corba", "grpc"])
def test_the_whole_catalogue_passes(deployment: Deployment, tmp_path: Path, transport: str) -> None:
    endpoint = deployment.endpoints["corba"] if transport == "corba" else deployment.grpc_endpoint
    done = run_interop(deployment, endpoint, tmp_path)
    summary = done.stdout + "\n" + done.stderr[-4000:]
    assert done.returncode == 0, summary
    assert "verdict: PASS" in done.stdout and "all left as found" in done.stdout, summary
    count = assert_all_passed(tmp_path / "junit.xml", transport)
    assert count > 150
    assert_self_contained(tmp_path / "report.html")
    screenshot(tmp_path / "report.html", f"interop-report-{transport}.png")


@pytest.mark.timeout(200)
def test_the_camara_purposes_pass(deployment: Deployment, tmp_path: Path) -> None:
    """The CAMARA Carrier Billing suite over HTTPS, every answer checked against the served
    document; what the purposes paid is cancelled or refunded (the funded account ends as it
    began)."""
    keys = deployment.base / "keys"
    before = balance_of(deployment, "IOP-FUNDED")
    done = subprocess.run(
        [
            MICROPAY, "interop", "--endpoint", deployment.camara_endpoint, "--app-id", APP_ID,
            "--private-key", str(keys / f"{APP_ID}.pem"), "--ca-file", str(deployment.camara_ca),
            "--profile", str(deployment.camara_profile(tmp_path / "camara.toml")),
            "--junit", str(tmp_path / "junit.xml"), "--html", str(tmp_path / "report.html"),
        ],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + "\n" + done.stderr[-4000:]
    assert "verdict: PASSED" in done.stdout
    count = assert_all_passed(tmp_path / "junit.xml", "camara")
    assert count == len([p for p in catalogue() if p.suite == "camara"]) > 20
    assert_self_contained(tmp_path / "report.html", deployment.camara_endpoint)
    assert balance_of(deployment, "IOP-FUNDED") == before
    assert balance_of(deployment, "IOP-OTP") == "100000"


def balance_of(deployment: Deployment, number: str) -> str:
    return str(json.loads(deployment.cli("--json", "account", "show", number))["balance"])


def test_an_ior_file_endpoint_and_the_exit_code_of_a_failing_run(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The IOR file works as an endpoint; a wrong secret makes the run fail (exit 1): the
    handshake purposes fail and the SCF purposes are inconclusive, never passed."""
    keys = deployment.base / "keys"
    (tmp_path / "wrong.secret").write_text("not the secret of interop-app at all\n")
    done = subprocess.run(
        [
            MICROPAY, "interop", "--endpoint", deployment.endpoints["ior"], "--app-id", APP_ID,
            "--secret-file", str(tmp_path / "wrong.secret"),
            "--private-key", str(keys / f"{APP_ID}.pem"),
            "--purpose", "FW/AUT/BV-02", "--purpose", "PAY/AMT/BV-01",
            "--test-account", "acct:IOP-FUNDED", "--junit", str(tmp_path / "junit.xml"),
        ],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    root = ET.parse(tmp_path / "junit.xml").getroot()
    verdicts = {
        c.get("name", "").split(" ", 1)[0]: [child.tag for child in c if child.tag != "system-out"]
        for c in root.iter("testcase")
    }
    assert verdicts == {"FW/AUT/BV-02": ["failure"], "PAY/AMT/BV-01": ["skipped"]}, verdicts
    deployment.cli("app", "enable", APP_ID)  # clear the failure count the wrong secret left


def test_list_shows_the_catalogue() -> None:
    done = subprocess.run(
        [MICROPAY, "interop", "--list", "--suite", "sms"],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "SMS/SND/BV-01" in done.stdout and "FW/INI" not in done.stdout


def test_an_unreachable_endpoint_is_one_line_and_exit_1(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "k.pem").write_bytes(key)
    (tmp_path / "s").write_text("a secret of sixteen bytes or more\n")
    done = subprocess.run(
        [MICROPAY, "interop", "--endpoint", f"corbaloc::127.0.0.1:{free_port()}/IpInitial",
         "--app-id", "nobody", "--secret-file", str(tmp_path / "s"), "--private-key", str(tmp_path / "k.pem")],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("micropay: error: cannot reach IpInitial"), done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""


def verdicts(junit: Path) -> dict[str, tuple[str, str]]:
    """purpose id -> (pass | failure | error | skipped, the message)."""
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        children = [c for c in case if c.tag in ("failure", "error", "skipped")]
        verdict = (children[0].tag, children[0].get("message", "")) if children else ("pass", "")
        found[case.get("name", "").split(" ", 1)[0]] = verdict
    return found


def test_missing_set_up_is_inconclusive_with_its_reason(
    deployment: Deployment, tmp_path: Path
) -> None:
    """What the operator did not set up is inconclusive, never a failure: a voucher an earlier
    run redeemed, volumes without a tariff, a framework key of another algorithm than the
    application signs with. A bare ``micropay`` in the MO hook is found beside the harness
    even when it is not on PATH."""
    keys = deployment.base / "keys"
    voucher = deployment.voucher()
    hook = ["micropay", "--config", str(deployment.config), "sms", "mo", "{from}", "{to}", "{text}"]
    profile = tmp_path / "profile.toml"
    profile.write_text(
        '[[account]]\naddress = "acct:IOP-FUNDED"\n'
        '[[account]]\naddress = "acct:IOP-SUSP"\nroles = ["suspended"]\n'
        '[[account]]\naddress = "tel:+821077700001"\n'
        f'[[voucher]]\nid = "{voucher["voucher_id"]}"\npin = "{voucher["pin"]}"\n'
        '[sms]\nregistration = "REG-INTEROP"\nregistration_number = "short:1555"\n'
        f'registration_criteria = "POLL"\nmo_command = {json.dumps(hook)}\n'
        '[payment]\nvolume_parameters = { tariff = "default" }\n'
        f'[framework]\npublic_keys = ["{keys / "framework.pem"}"]\n'  # the RSA key only
    )
    env = {**clean_env(), "PATH": "/usr/bin:/bin"}  # no virtual environment on PATH

    def run(app_id: str, *purposes: str) -> dict[str, tuple[str, str]]:
        junit = tmp_path / f"{app_id}-{len(list(tmp_path.iterdir()))}.xml"
        subprocess.run(
            [MICROPAY, "interop", "--endpoint", deployment.endpoints["corba"], "--app-id", app_id,
             "--secret-file", str(keys / f"{app_id}.secret"), "--private-key", str(keys / f"{app_id}.pem"),
             "--profile", str(profile), "--junit", str(junit),
             *[arg for p in purposes for arg in ("--purpose", p)]],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
        )  # fmt: skip
        return verdicts(junit)

    assert run(APP_ID, "AM/VOU/BV-01")["AM/VOU/BV-01"] == ("pass", "")  # an earlier run
    deployment.cli("tariff", "remove", "default")
    try:
        found = run(APP_ID, "AM/VOU/BV-01", "PAY/VOL/BI-04", "SMS/RCV/BV-01")
    finally:
        deployment.cli("tariff", "set", "default", "5", "--currency", "KRW")
    kind, reason = found["AM/VOU/BV-01"]
    assert kind == "skipped" and "redeemed by an earlier run" in reason, found
    kind, reason = found["PAY/VOL/BI-04"]
    assert kind == "skipped" and "no tariff prices a volume" in reason, found
    assert found["SMS/RCV/BV-01"] == ("pass", ""), found  # the MO hook ran
    kind, reason = run(PEER_ID, "FW/SAM/BV-04")["FW/SAM/BV-04"]  # the peer signs with Ed25519
    assert kind == "skipped" and "for P_ED25519" in reason, reason
    assert "micropay framework public-key --algorithm P_ED25519" in reason
