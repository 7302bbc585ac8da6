"""Every refusal of spec §9 and the abuse cases, against a real gateway over IIOP.

The gateway runs with short bounds so the slow cases stay fast: a 1 s callback timeout, a
3-failure lock-out with a 1 s base, a 3 s handshake TTL and at most 6 handshakes per application.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
import time

import org.csapi as csapi
import org.csapi.fw as fw
import pytest
from omniORB import CORBA
from org.csapi.fw.fw_access import trust_and_security as ts

import client
from client import crypto
from client.orb import client_orb
from framework.corba.callbacks import callback_workers_max
from tests.framework import iiop, raw
from tests.framework.gateway import Gateway

GATEWAY_SETTINGS = {
    "framework": {
        "callback_timeout_ms": 1000,
        "auth_failures_max": 3,
        "auth_lockout_base_s": 1,
        "auth_session_ttl_s": 3,
        "auth_sessions_per_app_max": 6,
    }
}


def common(code: int):
    """pytest.raises for TpCommonExceptions with ExceptionType ``code``."""

    class _Matcher:
        def __enter__(self):
            self.ctx = pytest.raises(csapi.TpCommonExceptions)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            result = self.ctx.__exit__(*exc)
            assert self.info.value.ExceptionType == code, self.info.value
            return result

    return _Matcher()


def gone(call) -> None:
    with pytest.raises(CORBA.OBJECT_NOT_EXIST):
        call()


# -- IpInitial ---------------------------------------------------------------------------------
def test_initiate_authentication_refusals(gateway: Gateway) -> None:
    app = gateway.register("init-app")
    gateway.register("init-off")
    gateway.cli("app", "disable", "init-off")
    initial = raw.initial(gateway.corbaloc)
    auth_ref = raw.activate(raw.ScriptedAuth(app.secret))
    good = raw.domain(app.app_id, auth_ref)
    for version in ("P_PARLAY_3", "", "p_parlay_4", "P_PARLAY"):
        with pytest.raises(csapi.P_INVALID_VERSION):
            initial.initiateAuthenticationWithVersion(good, "P_OSA_AUTHENTICATION", version)
    for auth_type in ("P_AUTHENTICATION", "", "P_OSA_AUTHENTICATION "):
        with pytest.raises(fw.P_INVALID_AUTH_TYPE):
            initial.initiateAuthenticationWithVersion(good, auth_type, "P_PARLAY_4")
    for bad in (
        raw.domain("no-such-app", auth_ref),
        raw.domain("init-off", auth_ref),
        raw.domain("x" * 5000, auth_ref),
        fw.TpAuthDomain(fw.TpDomainID(EntOpID=app.app_id), auth_ref),
        fw.TpAuthDomain(fw.TpDomainID(FwID=app.app_id), auth_ref),
    ):
        with pytest.raises(fw.P_INVALID_DOMAIN_ID):
            initial.initiateAuthenticationWithVersion(bad, "P_OSA_AUTHENTICATION", "P_PARLAY_4")
    wrong_type = raw.activate(raw.RecordingAccess())
    for reference in (None, wrong_type):
        with pytest.raises(csapi.P_INVALID_INTERFACE_TYPE):
            initial.initiateAuthenticationWithVersion(
                raw.domain(app.app_id, reference), "P_OSA_AUTHENTICATION", "P_PARLAY_4"
            )
        with pytest.raises(csapi.P_INVALID_INTERFACE_TYPE):
            initial.initiateAuthentication(
                raw.domain(app.app_id, reference), "P_OSA_AUTHENTICATION"
            )


# -- IpAPILevelAuthentication ------------------------------------------------------------------
def test_authentication_refusals(gateway: Gateway) -> None:
    app = gateway.register("auth-app")
    servant = raw.ScriptedAuth(app.secret)
    fw_auth = raw.begin(gateway.corbaloc, app, servant)
    with pytest.raises(fw.P_ACCESS_DENIED):
        fw_auth.challenge(list(raw.crypto.chap_challenge()[2]))  # no mechanism yet
    with common(22):
        fw_auth.selectEncryptionMethod("NULL,P_RSA_512")
    with common(22):
        fw_auth.authenticate([1, 2, 3])
    with pytest.raises(fw.P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM):
        fw_auth.selectAuthenticationMechanism("P_OSA_HMAC_SHA1_96,P_OSA_MD5")
    raw.select(fw_auth, servant)
    with pytest.raises(fw.P_ACCESS_DENIED):
        fw_auth.selectAuthenticationMechanism("P_OSA_HMAC_SHA256")  # once only
    for garbage in ([], [1], [1, 0, 0, 5, 9], list(os.urandom(64)), [2, 1, 0, 6, 1, 0], [0] * 2000):
        with pytest.raises(fw.P_ACCESS_DENIED):
            fw_auth.challenge(garbage)
    with pytest.raises(fw.P_ACCESS_DENIED):
        fw_auth.requestAccess("P_OSA_ACCESS", raw.activate(raw.RecordingAccess()))  # not yet
    raw.prove_framework(fw_auth, servant, app.secret)
    assert servant.succeeded.wait(10)
    client_access = raw.activate(raw.RecordingAccess())
    with pytest.raises(fw.P_INVALID_ACCESS_TYPE):
        fw_auth.requestAccess("P_OTHER_ACCESS", client_access)
    for reference in (None, raw.activate(raw.ScriptedAuth(app.secret))):
        with pytest.raises(csapi.P_INVALID_INTERFACE_TYPE):
            fw_auth.requestAccess("P_OSA_ACCESS", reference)
    access = fw_auth.requestAccess("P_OSA_ACCESS", client_access)._narrow(ts.IpAccess)
    with pytest.raises(fw.P_ACCESS_DENIED):
        fw_auth.requestAccess("P_OSA_ACCESS", client_access)  # one access per handshake
    access.endAccess([])
    gone(lambda: fw_auth.requestAccess("P_OSA_ACCESS", client_access))


def test_abort_authentication_ends_the_handshake(gateway: Gateway) -> None:
    app = gateway.register("abort-app")
    servant = raw.ScriptedAuth(app.secret)
    fw_auth = raw.begin(gateway.corbaloc, app, servant)
    fw_auth.abortAuthentication()
    gone(lambda: fw_auth.selectAuthenticationMechanism("P_OSA_HMAC_SHA256"))


def test_wrong_answers_abort_and_lock_out_with_back_off(gateway: Gateway) -> None:
    app = gateway.register("lock-app")
    good_answer = None
    for mode in ("correct", "wrong", "replay", "garbage"):
        servant = raw.ScriptedAuth(app.secret, mode, replay=good_answer or b"")
        fw_auth = raw.begin(gateway.corbaloc, app, servant)
        raw.select(fw_auth, servant)
        if mode == "correct":
            assert servant.succeeded.wait(10)
            good_answer = servant.answers[0]  # recorded for the replay below
            fw_auth.abortAuthentication()
            continue
        assert servant.aborted.wait(10), f"{mode}: the framework did not abort"
        assert not servant.succeeded.is_set()
        gone(lambda fa=fw_auth: fa.selectAuthenticationMechanism("P_OSA_HMAC_SHA256"))
    shown = json.loads(gateway.cli("--json", "app", "show", app.app_id).stdout)
    assert shown["auth_failures"] == 3 and shown["locked_until"]
    # counted for the address omniORB reported for the IIOP connection
    assert [a["address"] for a in shown["failing_addresses"]] == ["127.0.0.1"]
    initial = raw.initial(gateway.corbaloc)
    ref = raw.activate(raw.ScriptedAuth(app.secret))
    with common(14) as info:
        initial.initiateAuthenticationWithVersion(
            raw.domain(app.app_id, ref), "P_OSA_AUTHENTICATION", "P_PARLAY_4"
        )
    assert "locked" in info.value.ExtraInformation
    time.sleep(1.2)
    servant = raw.ScriptedAuth(app.secret, "wrong")
    raw.select(raw.begin(gateway.corbaloc, app, servant), servant)
    assert servant.aborted.wait(10)
    time.sleep(1.2)  # the 4th failure locks for 2 s: still locked after 1.2 s
    with common(14):
        initial.initiateAuthenticationWithVersion(
            raw.domain(app.app_id, ref), "P_OSA_AUTHENTICATION", "P_PARLAY_4"
        )
    time.sleep(1.0)
    session = client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem)
    session.terminate()
    shown = json.loads(gateway.cli("--json", "app", "show", app.app_id).stdout)
    assert shown["auth_failures"] == 0  # a success clears the count


def test_a_reflected_challenge_is_not_answered(gateway: Gateway) -> None:
    app = gateway.register("reflect-app")
    servant = raw.ScriptedAuth(app.secret, "reflect")
    raw.select(raw.begin(gateway.corbaloc, app, servant), servant)
    assert servant.aborted.wait(10)
    assert isinstance(servant.reflection_refused, fw.P_ACCESS_DENIED)


def test_replayed_client_challenges_are_refused(gateway: Gateway) -> None:
    app = gateway.register("replay-challenge")
    first = raw.ScriptedAuth(app.secret)
    fw_auth = raw.begin(gateway.corbaloc, app, first)
    raw.select(fw_auth, first)
    packet = list(raw.crypto.chap_challenge()[2])
    fw_auth.challenge(packet)
    with pytest.raises(fw.P_ACCESS_DENIED):
        fw_auth.challenge(packet)
    fw_auth.abortAuthentication()


def test_an_application_that_never_answers_costs_a_bounded_wait(gateway: Gateway) -> None:
    """Silent clients cost one bounded wait each; threads stay bounded by the callback pool."""
    app = gateway.register("silent-app")
    gateway.wait_for(lambda: gateway.stats()["handshakes"] == 0)  # earlier tests' leftovers expire
    base_stats, base_threads = gateway.stats(), gateway.threads()
    after_wave: list[int] = []
    for _wave in range(2):
        servants = [raw.ScriptedAuth(app.secret, "silent") for _ in range(6)]
        started = time.monotonic()
        for servant in servants:
            raw.select(raw.begin(gateway.corbaloc, app, servant), servant)
        for servant in servants:
            assert servant.aborted.wait(10)
        assert time.monotonic() - started < 6  # 1 s callback timeout each, in parallel
        for servant in servants:
            servant.release.set()
        assert gateway.wait_for(lambda: gateway.stats() == base_stats)
        after_wave.append(gateway.threads())
    assert after_wave[1] <= after_wave[0] + 2  # no growth per wave: nothing leaks
    assert after_wave[1] <= base_threads + callback_workers_max + 4


def test_pending_handshakes_are_capped_and_expire(gateway: Gateway) -> None:
    app = gateway.register("cap-app")
    pending = [raw.begin(gateway.corbaloc, app, raw.ScriptedAuth(app.secret)) for _ in range(6)]
    with common(13):
        raw.begin(gateway.corbaloc, app, raw.ScriptedAuth(app.secret))
    other = gateway.register("cap-other")
    raw.begin(gateway.corbaloc, other, raw.ScriptedAuth(other.secret)).abortAuthentication()
    time.sleep(3.8)  # auth_session_ttl_s = 3, swept every 0.5 s
    for fw_auth in pending:
        gone(lambda fa=fw_auth: fa.selectAuthenticationMechanism("P_OSA_HMAC_SHA256"))
    raw.begin(gateway.corbaloc, app, raw.ScriptedAuth(app.secret)).abortAuthentication()


# -- IpAccess ----------------------------------------------------------------------------------
def test_access_refusals(gateway: Gateway) -> None:
    app = gateway.register("access-app")
    fw_auth, _ = raw.authenticate(gateway.corbaloc, app)
    access = fw_auth.requestAccess("P_OSA_ACCESS", raw.activate(raw.RecordingAccess()))._narrow(
        ts.IpAccess
    )
    for name in ("P_OAM", "P_FAULT_MANAGER", "", "p_discovery"):
        with pytest.raises(csapi.P_INVALID_INTERFACE_NAME):
            access.obtainInterface(name)
    for reference in (None, raw.activate(raw.RecordingAccess())):
        with pytest.raises(csapi.P_INVALID_INTERFACE_TYPE):
            access.obtainInterfaceWithCallback("P_SERVICE_AGREEMENT_MANAGEMENT", reference)
    with pytest.raises(fw.P_INVALID_SIGNATURE):
        access.terminateAccess("bye", [1, 2, 3])  # no signing algorithm selected yet
    sam = access.obtainInterface("P_SERVICE_AGREEMENT_MANAGEMENT")._narrow(
        raw.service_agreement.IpServiceAgreementManagement
    )
    token = sam.selectService("test")
    with common(744):
        sam.initiateSignServiceAgreement(token)  # selectSigningAlgorithm first
    for caps in ("P_MD5_RSA_512,P_MD5_RSA_1024", "P_ED25519", "NULL", ""):
        with pytest.raises(fw.P_NO_ACCEPTABLE_SIGNING_ALGORITHM):
            access.selectSigningAlgorithm(caps)  # legacy off; an RSA key cannot do Ed25519
    assert access.selectSigningAlgorithm("P_ED25519,P_SHA256_RSA_2048") == "P_SHA256_RSA_2048"
    with common(17):
        sam.initiateSignServiceAgreement(token)  # obtained without a callback
    bundle = raw.Access(
        app, access, raw.RecordingAccess(), raw.ScriptedSAM(None), "P_SHA256_RSA_2048"
    )
    text = crypto.termination_text("access-app", "access")
    with pytest.raises(fw.P_INVALID_SIGNATURE):
        access.terminateAccess(text, bundle.sign(text + "."))
    with pytest.raises(fw.P_INVALID_SIGNATURE):
        access.terminateAccess(text, [])
    for unbound in (
        "access-app terminates",  # signed, but names nothing
        crypto.termination_text("other-app", "access"),
        crypto.termination_text("access-app", "service token x"),
        text.rsplit("nonce:", 1)[0] + "nonce: short",
    ):
        with pytest.raises(fw.P_INVALID_SIGNATURE, match="termination text"):
            access.terminateAccess(unbound, bundle.sign(unbound))
    signature = bundle.sign(text)
    access.terminateAccess(text, signature)
    gone(lambda: access.listInterfaces())
    again = raw.open_access(gateway.corbaloc, app)
    with pytest.raises(fw.P_INVALID_SIGNATURE):
        again.access.terminateAccess(text, signature)  # a replayed termination
    again.access.endAccess([])


# -- IpServiceAgreementManagement ---------------------------------------------------------------
def test_service_agreement_refusals(gateway: Gateway) -> None:
    app = gateway.register("sam-app")
    other = gateway.register("sam-other")
    foreign = raw.open_access(gateway.corbaloc, other).sam.selectService("test")
    bundle = raw.open_access(gateway.corbaloc, app)
    sam = bundle.sam
    for service_id in ("nope", "", "x" * 1000):
        with pytest.raises(fw.P_INVALID_SERVICE_ID):
            sam.selectService(service_id)
    for token in ("guessed-token", foreign, ""):
        with pytest.raises(fw.P_INVALID_SERVICE_TOKEN):
            sam.initiateSignServiceAgreement(token)
        with pytest.raises(fw.P_INVALID_SERVICE_TOKEN):
            sam.signServiceAgreement(token, "text", bundle.algorithm)
        with pytest.raises(fw.P_INVALID_SERVICE_TOKEN):
            sam.terminateServiceAgreement(token, "text", bundle.sign("text"))
    token = sam.selectService("test")
    with pytest.raises(fw.P_ACCESS_DENIED):
        sam.signServiceAgreement(token, "text", bundle.algorithm)  # not initiated
    sam.initiateSignServiceAgreement(token)
    assert bundle.sam_servant.asked.wait(10)
    text, algorithm = bundle.sam_servant.texts[token]
    assert algorithm == bundle.algorithm
    with pytest.raises(fw.P_INVALID_SIGNING_ALGORITHM):
        sam.signServiceAgreement(token, text, "P_ED25519")
    with pytest.raises(fw.P_INVALID_AGREEMENT_TEXT):
        sam.signServiceAgreement(token, text + " and more", algorithm)
    result = sam.signServiceAgreement(token, text, algorithm)
    result.ServiceMgrInterface.setCallback(bundle.access)
    with pytest.raises(fw.P_INVALID_SIGNATURE):
        sam.terminateServiceAgreement(token, "end", bundle.sign("END"))
    with pytest.raises(fw.P_INVALID_SIGNATURE, match="termination text"):
        sam.terminateServiceAgreement(token, text, bundle.sign(text))  # the agreement's own text
    bundle.access.endAccess([])


@pytest.mark.parametrize("mode", ["wrong-key", "refuse", "silent"])
def test_an_application_that_does_not_sign_gets_no_manager(gateway: Gateway, mode: str) -> None:
    app = gateway.register(f"nosign-{mode}")
    bundle = raw.open_access(gateway.corbaloc, app, sam_mode=mode)
    token = bundle.sam.selectService("test")
    bundle.sam.initiateSignServiceAgreement(token)
    assert bundle.sam_servant.asked.wait(10)
    text, algorithm = bundle.sam_servant.texts[token]
    started = time.monotonic()
    with pytest.raises(fw.P_ACCESS_DENIED):
        bundle.sam.signServiceAgreement(token, text, algorithm)
    assert time.monotonic() - started < 4  # bounded by callback_timeout_ms (+1 s)
    bundle.sam_servant.release.set()
    assert gateway.store.agreements(app.app_id) == []
    bundle.access.endAccess([])


def test_guessed_object_keys_do_not_exist(gateway: Gateway) -> None:
    app = gateway.register("guess-app")
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as session:
        manager = session.obtain_service("P_TEST")
        orb = client_orb().orb
        for obj in (session.access, manager):
            host, port, key = iiop.object_key(orb.object_to_string(obj))
            assert len(key) >= 20
            forged = [key[:-1] + bytes([key[-1] ^ 1]), key[:-20] + os.urandom(20), key[:-20]]
            for candidate in forged:
                guess = orb.string_to_object(iiop.corbaloc(host, port, candidate))
                gone(lambda g=guess: g._narrow(csapi.IpService).setCallback(None))
            real = orb.string_to_object(iiop.corbaloc(host, port, key))
            assert not real._non_existent()


def test_secrets_keys_and_signatures_never_reach_the_log(gateway: Gateway) -> None:
    app = gateway.register("quiet-app", secret=b"TOP-SECRET-never-logged-42")
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as session:
        session.obtain_service("P_TEST")
        agreement = next(iter(session.agreements.values()))
    log = gateway.log_text()
    assert "quiet-app" in log  # the log does name the application
    for needle in (
        "TOP-SECRET",
        base64.b64encode(b"TOP-SECRET-never-logged-42").decode(),
        b"TOP-SECRET-never-logged-42".hex(),
        base64.b64encode(agreement.framework_signature).decode()[:24],
        agreement.framework_signature.hex()[:24],
        "PRIVATE KEY",
        agreement.token,
    ):
        assert needle not in log


def test_concurrent_abuse_does_not_disturb_good_clients(gateway: Gateway) -> None:
    good = gateway.register("calm-app")
    bad = gateway.register("noisy-app")
    errors: list[BaseException] = []

    def noisy() -> None:
        for _ in range(5):
            servant = raw.ScriptedAuth(bad.secret, "garbage")
            with contextlib.suppress(csapi.TpCommonExceptions, fw.P_ACCESS_DENIED):
                raw.select(raw.begin(gateway.corbaloc, bad, servant), servant)  # locked out later

    def calm() -> None:
        try:
            with client.connect(gateway.corbaloc, good.app_id, good.secret, good.private_pem) as s:
                s.obtain_service("P_TEST").setCallback(s.access)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=noisy) for _ in range(3)]
    threads += [threading.Thread(target=calm) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
