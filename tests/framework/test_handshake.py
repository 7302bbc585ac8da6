"""The whole Parlay 4 flow against a real gateway process over IIOP on loopback.

One gateway (with the test-only P_TEST service) serves the module; each test registers its own
applications, so tests do not depend on each other.
"""

from __future__ import annotations

import base64
import json
import threading

import org.csapi.fw as fw
import pytest
from omniORB import CORBA
from org.csapi.fw.fw_access import trust_and_security as ts

import client
from client import crypto, errors
from framework.core import signing
from tests.framework import raw
from tests.framework.gateway import Gateway
from tests.framework.keypool import private_key


def framework_keys(gateway: Gateway) -> dict[str, str]:
    result = gateway.cli("--json", "framework", "public-key")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def journal(gateway: Gateway) -> list[dict]:
    path = gateway.data_dir / "p_test_calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def dead(obj, call) -> bool:
    try:
        call(obj)
    except CORBA.OBJECT_NOT_EXIST:
        return True
    return False


def test_full_flow_with_the_client_library(gateway: Gateway) -> None:
    app = gateway.register("flow-app")
    keys = framework_keys(gateway)
    session = client.connect(
        gateway.corbaloc,
        app.app_id,
        app.secret,
        app.private_pem,
        framework_public_keys=list(keys.values()),
    )
    assert session.signing_algorithm == "P_SHA256_RSA_2048"
    manager = session.obtain_service("P_TEST")
    manager.setCallbackWithSessionID(session.access, 41)
    agreement = next(iter(session.agreements.values()))
    assert journal(gateway)[-1] == {
        "operation": "setCallbackWithSessionID:41",
        "app_id": "flow-app",
        "agreement_id": agreement.agreement_text.split("agreement: ")[1].split("\n")[0],
        "service_id": "test",
    }
    public = signing.load_public_key(keys["P_SHA256_RSA_2048"])
    assert signing.verify(
        "P_SHA256_RSA_2048", public, agreement.agreement_text, agreement.framework_signature
    )
    access, discovery = session.access, session.discovery
    session.terminate()
    assert dead(manager, lambda m: m.setCallback(session.access))
    assert dead(access, lambda a: a.listInterfaces())
    assert dead(discovery, lambda d: d.listServiceTypes())


def test_ior_file_and_ed25519(gateway: Gateway) -> None:
    app = gateway.register("ed-app", key_kind="ed25519")
    with client.connect(
        gateway.endpoints["ior"], app.app_id, app.secret, app.private_pem
    ) as session:
        assert session.signing_algorithm == "P_ED25519"
        manager = session.obtain_service("P_TEST", {"P_TEST_FLAVOUR": ["other"]})
        manager.setCallback(session.access)
        agreement = next(iter(session.agreements.values()))
        assert agreement.service_id == "test-other"
        public = signing.load_public_key(framework_keys(gateway)["P_ED25519"])
        assert signing.verify(
            "P_ED25519", public, agreement.agreement_text, agreement.framework_signature
        )


def test_md5_interop_path_is_per_application(gateway: Gateway) -> None:
    legacy = gateway.register("legacy-app", mechanisms=("P_OSA_MD5",))
    with client.connect(
        gateway.corbaloc,
        legacy.app_id,
        legacy.secret,
        legacy.private_pem,
        auth_mechanisms="P_OSA_MD5",
    ) as session:
        session.obtain_service("P_TEST").setCallback(session.access)
    with pytest.raises(errors.P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM):  # type: ignore[attr-defined]
        client.connect(gateway.corbaloc, legacy.app_id, legacy.secret, legacy.private_pem)
    modern = gateway.register("modern-app")
    with pytest.raises(errors.P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM):  # type: ignore[attr-defined]
        client.connect(
            gateway.corbaloc,
            modern.app_id,
            modern.secret,
            modern.private_pem,
            auth_mechanisms="P_OSA_MD5",
        )


def test_discovery_shows_only_the_contract(gateway: Gateway) -> None:
    app = gateway.register("disco-app", services=("P_TEST", "P_SMS"))
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as session:
        discovery = session.discovery
        assert discovery.listServiceTypes() == ["P_SMS", "P_TEST"]
        description = discovery.describeServiceType("P_TEST")
        assert description.AvailableOrUnavailable is True
        [prop] = description.ServiceTypePropertyList
        assert (prop.ServicePropertyName, str(prop.ServiceTypePropertyMode)) == (
            "P_TEST_FLAVOUR",
            "MANDATORY",
        )
        with pytest.raises(fw.P_UNKNOWN_SERVICE_TYPE):
            discovery.describeServiceType("P_PAYMENT")  # exists, but not in this contract
        with pytest.raises(fw.P_ILLEGAL_SERVICE_TYPE):
            discovery.describeServiceType("not a type!")

        def ids(properties: dict, max: int = 10) -> list[str]:
            return [s.ServiceID for s in session.discover("P_TEST", properties, max)]

        assert ids({}) == ["test", "test-other"]
        assert ids({"P_TEST_FLAVOUR": ["signed"]}) == ["test"]
        assert ids({"P_TEST_FLAVOUR": ["plain", "signed"]}) == ["test"]
        assert ids({"P_TEST_FLAVOUR": ["other"]}) == ["test-other"]
        assert ids({"P_TEST_FLAVOUR": ["nothing"]}) == []
        assert ids({}, 1) == ["test"]
        assert ids({}, 0) == []
        with pytest.raises(errors.P_INVALID_PROPERTY):  # type: ignore[attr-defined]
            ids({"P_NO_SUCH_PROPERTY": ["x"]})
        bad = [fw.TpServiceProperty("P_TEST_FLAVOUR", ["plain"])] * 2
        with pytest.raises(fw.P_INVALID_PROPERTY):
            discovery.discoverService("P_TEST", bad, 5)
        subscribed = discovery.listSubscribedServices()
        assert {s.ServiceDescription.ServiceTypeName for s in subscribed} <= {"P_TEST", "P_SMS"}
        assert {"test", "test-other"} <= {s.ServiceID for s in subscribed}
        other = gateway.register("payment-only", services=("P_PAYMENT",))
        with client.connect(gateway.corbaloc, other.app_id, other.secret, other.private_pem) as s2:
            assert s2.discovery.listServiceTypes() == ["P_PAYMENT"]
            with pytest.raises(errors.P_UNKNOWN_SERVICE_TYPE):  # type: ignore[attr-defined]
                s2.discover("P_TEST")
            with pytest.raises(fw.P_SERVICE_ACCESS_DENIED):
                s2.service_agreement.selectService("test")


def test_same_token_on_reselect_across_sessions(gateway: Gateway) -> None:
    app = gateway.register("token-app")
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as first:
        token = first.service_agreement.selectService("test")
        assert first.service_agreement.selectService("test") == token
        assert first.service_agreement.selectService("test-other") != token
        with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as second:
            assert second.service_agreement.selectService("test") == token


def test_agreements_are_kept_with_both_signatures(gateway: Gateway) -> None:
    app = gateway.register("nonrep-app")
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as session:
        session.obtain_service("P_TEST")
        token = next(iter(session.agreements))
        listed = json.loads(gateway.cli("--json", "agreement", "list", "--app", app.app_id).stdout)
        [row] = listed
        assert row["state"] == "in_force" and row["service_type"] == "P_TEST"
        shown = json.loads(gateway.cli("--json", "agreement", "show", row["agreement_id"]).stdout)
        text = shown["agreement_text"]
        for fragment in (
            "application: nonrep-app",
            "service: test",
            f"service token: {token}",
            "terms: Test terms.",
            "valid until: ",
        ):
            assert fragment in text
        app_sig = base64.b64decode(shown["app_signature"])
        fw_sig = base64.b64decode(shown["framework_signature"])
        assert signing.verify(
            "P_SHA256_RSA_2048", private_key("rsa2048").public_key(), text, app_sig
        )
        fw_key = signing.load_public_key(framework_keys(gateway)["P_SHA256_RSA_2048"])
        assert signing.verify("P_SHA256_RSA_2048", fw_key, text, fw_sig)
        ending = crypto.termination_text("nonrep-app", f"service token {token}", "test over")
        session.terminate_agreement(token, ending)
        shown = json.loads(gateway.cli("--json", "agreement", "show", row["agreement_id"]).stdout)
        assert shown["state"] == "terminated"
        assert shown["termination_text"] == ending
        assert base64.b64decode(shown["termination_signature"])
        assert gateway.cli("agreement", "show", "nope").returncode == 1


def test_terminating_an_agreement_revokes_its_manager_at_once(gateway: Gateway) -> None:
    app = gateway.register("revoke-app")
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as session:
        manager = session.obtain_service("P_TEST")
        other = session.obtain_service("P_TEST", {"P_TEST_FLAVOUR": ["other"]})
        token = next(t for t, a in session.agreements.items() if a.manager is manager)
        session.terminate_agreement(token)
        assert dead(manager, lambda m: m.setCallback(session.access))
        other.setCallback(session.access)  # another agreement of the same session lives on
        assert session.discovery.listServiceTypes() == ["P_TEST"]
        new_token = session.service_agreement.selectService("test")
        assert new_token != token  # a terminated token is never handed out again
        with pytest.raises(fw.P_INVALID_SERVICE_TOKEN):
            session.service_agreement.initiateSignServiceAgreement(token)


def test_re_signing_supersedes_the_previous_agreement(gateway: Gateway) -> None:
    app = gateway.register("resign-app")
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as session:
        first = session.obtain_service("P_TEST")
        second = session.obtain_service("P_TEST")
        assert dead(first, lambda m: m.setCallback(session.access))
        second.setCallback(session.access)
        states = sorted(r.state for r in gateway.store.agreements(app.app_id))
        assert states == ["in_force", "superseded"]
    states = sorted(r.state for r in gateway.store.agreements(app.app_id))
    assert states == ["ended", "superseded"]  # the access session ended the one in force


def test_disabling_an_application_ends_its_sessions(gateway: Gateway) -> None:
    app = gateway.register("disable-app")
    keys = framework_keys(gateway)
    session = client.connect(
        gateway.corbaloc,
        app.app_id,
        app.secret,
        app.private_pem,
        framework_public_keys=list(keys.values()),
    )
    manager = session.obtain_service("P_TEST")
    assert gateway.cli("app", "disable", app.app_id).returncode == 0
    assert session.ended.wait(10), "the framework did not call IpClientAccess.terminateAccess"
    assert "disabled" in session.termination_text
    assert dead(manager, lambda m: m.setCallback(session.access))
    assert dead(session.access, lambda a: a.listInterfaces())
    with pytest.raises(errors.P_INVALID_DOMAIN_ID):  # type: ignore[attr-defined]
        client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem)
    assert gateway.cli("app", "enable", app.app_id).returncode == 0
    client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem).terminate()


def test_interfaces_can_be_listed_released_and_relinquished(gateway: Gateway) -> None:
    app = gateway.register("iface-app")
    bundle = raw.open_access(gateway.corbaloc, app)
    access = bundle.access
    assert list(access.listInterfaces()) == ["P_DISCOVERY", "P_SERVICE_AGREEMENT_MANAGEMENT"]
    assert access.obtainInterface("P_DISCOVERY")._is_equivalent(bundle.discovery)
    access.releaseInterface("P_DISCOVERY")
    assert dead(bundle.discovery, lambda d: d.listServiceTypes())
    with pytest.raises(CORBA.UserException):
        access.releaseInterface("P_DISCOVERY")  # not held any more
    fresh = access.obtainInterface("P_DISCOVERY")._narrow(raw.discovery.IpServiceDiscovery)
    assert fresh.listServiceTypes() == ["P_TEST"]
    text = crypto.termination_text("iface-app", "interface P_DISCOVERY")
    with pytest.raises(fw.P_INVALID_SIGNATURE):
        access.relinquishInterface("P_DISCOVERY", text, bundle.sign(text + "!"))
    access.relinquishInterface("P_DISCOVERY", text, bundle.sign(text))
    assert dead(fresh, lambda d: d.listServiceTypes())
    with pytest.raises(fw.P_INVALID_PROPERTY):
        access.endAccess([fw.TpProperty("P_WHATEVER", "x")])
    access.endAccess([])
    assert dead(access, lambda a: a.listInterfaces())
    assert dead(bundle.sam, lambda s: s.selectService("test"))


def test_the_deprecated_initiate_authentication_still_leads_to_the_parlay_4_steps(
    gateway: Gateway,
) -> None:
    app = gateway.register("p3-entry")
    servant = raw.ScriptedAuth(app.secret)
    answer = raw.initial(gateway.corbaloc).initiateAuthentication(
        raw.domain(app.app_id, raw.activate(servant)), "P_OSA_AUTHENTICATION"
    )
    assert answer.DomainID.FwID == "micropay"
    fw_auth = answer.AuthInterface._narrow(ts.IpAPILevelAuthentication)
    servant.fw_auth, servant.app_id = fw_auth, app.app_id.encode()
    raw.select(fw_auth, servant)
    raw.prove_framework(fw_auth, servant, app.secret)
    assert servant.succeeded.wait(10)
    access = fw_auth.requestAccess("P_OSA_ACCESS", raw.activate(raw.RecordingAccess()))
    access = access._narrow(ts.IpAccess)
    assert access.listInterfaces()
    access.endAccess([])


def test_many_concurrent_handshakes_of_one_application(gateway: Gateway) -> None:
    app = gateway.register("busy-app")
    before = gateway.stats()
    failures: list[BaseException] = []

    def one() -> None:
        try:
            with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem) as s:
                s.obtain_service("P_TEST").setCallback(s.access)
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    assert gateway.wait_for(lambda: gateway.stats() == before)
