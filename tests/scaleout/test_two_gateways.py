"""Two ``micropay serve`` processes on one PostgreSQL (docs/operations.md): registered together in
omniNames, either one serves, charges from both never overspend, an agreement signed on one is
honoured on the other (CORBA re-attach, gRPC service tokens) and ended on both, charging events
and SMS receipts reach the application once, /metrics names what an operator watches, and when
the leader dies the other gateway takes over the delivery of events.

The tests share one cluster (module fixture) and run in file order; the last one kills a gateway
and starts it again.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import CosNaming
import grpc
import omniORB
import pytest
from cryptography.hazmat.primitives import serialization
from micropay.v1 import payment_pb2, payment_pb2_grpc
from omniORB import CORBA
from org.csapi.parlayx import account_management as am
from org.csapi.parlayx import common
from org.csapi.parlayx import payment as payment_idl
from org.csapi.parlayx import sms as sms_idl
from org__POA.csapi.parlayx import account_management as am__POA

import client
from charging.reconcile import reconcile
from client.grpc_errors import GrpcFault
from client.grpc_session import BoundStub, open_channel
from client.orb import client_orb
from framework.core.keys import KEY_FILES
from smsc.admin import admin_call
from tests.scaleout.cluster import Cluster, GatewayProcess, wait_until
from tests.shim.messages import charge as grpc_charge
from tests.sms.corba_harness import AppSmsNotification

pytestmark = pytest.mark.postgres

CALL_TIMEOUT_MS = 20_000
REVOCATION_BOUND_S = 5  # the watchers sweep every 0.5 s; generous on a shared machine
QUIET_S = 1.5  # how long nothing more may arrive after the expected notifications
WAIT_EVENTS_S = 20


def connect(gateway_endpoint: str, app: Any, **kwargs: Any) -> client.FrameworkSession:
    return client.connect(gateway_endpoint, app.app_id, app.secret, app.private_pem, **kwargs)


def payment(session: client.FrameworkSession) -> Any:
    manager = session.obtain_service("P_PAYMENT")._narrow(payment_idl.IpPaymentManager)
    omniORB.setClientCallTimeout(manager, CALL_TIMEOUT_MS)
    return manager


def krw(amount: int, description: str = "scale-out") -> Any:
    return common.ChargingInformation(description, "KRW", str(amount), "")


def dead(manager: Any) -> bool:
    """The manager's reference was revoked (a live one answers with a fault; no money moves)."""
    try:
        manager.releaseReservation("no-such-reservation")
    except CORBA.OBJECT_NOT_EXIST:
        return True
    except (common.ServiceException, common.PolicyException):
        return False
    return False


class AppAccountManager(am__POA.IpAppAccountManager):
    """The application's charging-event callback, in this process."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, str]] = []  # (assignment, EventID, ReferenceCode)
        self.lock = threading.Lock()
        self.oid, self.ref = client_orb().activate(self)

    def reportNotification(self, chargingEventInfo: Any, assignmentId: int) -> None:
        with self.lock:
            self.events.append(
                (assignmentId, chargingEventInfo.EventID, chargingEventInfo.ReferenceCode)
            )

    def seen(self) -> list[tuple[int, str, str]]:
        with self.lock:
            return list(self.events)


# -- naming --------------------------------------------------------------------------------------
def test_gateways_register_together_in_omninames_and_either_serves(cluster: Cluster) -> None:
    root = client_orb().orb.string_to_object(cluster.naming)._narrow(CosNaming.NamingContext)
    name = [CosNaming.NameComponent("micropay", ""), CosNaming.NameComponent("gateways", "")]
    listed, _ = root.resolve(name)._narrow(CosNaming.NamingContext).list(16)
    instances = sorted(b.binding_name[0].id for b in listed)
    expected = sorted(
        g.endpoints["naming_instance"].rsplit("/", 1)[1] for g in cluster.gateways.values()
    )
    assert instances == expected and len(instances) == 2

    app = cluster.register("naming-app", ("P_PAYMENT",))
    cluster.new_account("NAM-1", "tel:+821070000001", 10_000)
    host_port = cluster.naming.removeprefix("corbaloc::").removesuffix("/NameService")
    urls = [f"corbaname::{host_port}#micropay/IpInitial"] + [
        f"corbaname::{host_port}#micropay/gateways/{instance}" for instance in instances
    ]
    for n, url in enumerate(urls):
        with connect(url, app) as session:
            payment(session).chargeAmount("tel:+821070000001", krw(100), f"naming-{n}")
    assert cluster.ledger.get_account("NAM-1").balance_minor == 10_000 - 100 * len(urls)


# -- money -----------------------------------------------------------------------------------------
def test_charges_from_both_gateways_never_overspend(cluster: Cluster) -> None:
    app = cluster.register("spend-app", ("P_PAYMENT",))
    msisdn = "tel:+821070000002"
    cluster.new_account("SPD-1", msisdn, 5_000)
    outcomes: list[str] = []
    lock = threading.Lock()

    def spend(gateway: GatewayProcess, worker: int) -> None:
        with connect(gateway.corbaloc, app) as session:
            manager = payment(session)
            for i in range(20):
                try:
                    manager.chargeAmount(msisdn, krw(100), f"spend-{gateway.name}-{worker}-{i}")
                    outcome = "ok"
                except common.PolicyException as fault:
                    outcome = fault.messageId
                with lock:
                    outcomes.append(outcome)

    threads = [
        threading.Thread(target=spend, args=(g, w))
        for g in cluster.gateways.values()
        for w in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == 80
    assert outcomes.count("ok") == 50  # 5 000 KRW of 8 000 asked: not one won more
    assert set(outcomes) == {"ok", "POL1000"}  # the rest: insufficient credit
    assert cluster.ledger.get_account("SPD-1").balance_minor == 0
    for gateway in cluster.gateways.values():  # both took part, in group commits
        assert gateway.metric("micropay_calls_total", surface="corba", operation="chargeAmount")
        assert gateway.metric("micropay_ledger_batch_requests_count")


def test_both_gateways_charging_the_same_accounts_lock_in_one_order(cluster: Cluster) -> None:
    """Every thread of both gateways charges four shared accounts in its own random order, and
    split charges take two of them in opposite orders: batches on the two gateways lock
    overlapping sets of rows. Nothing deadlocks or times out, nothing is overspent, and the
    ledger still sums to zero with every movement balanced."""
    app = cluster.register("order-app", ("P_PAYMENT",))
    accounts = [(f"ORD-{i}", f"tel:+82107000010{i}") for i in range(4)]
    for number, msisdn in accounts:
        cluster.new_account(number, msisdn, 3_000)
    outcomes: list[str] = []
    lock = threading.Lock()

    def spend(gateway: GatewayProcess, worker: int) -> None:
        rng = random.Random(f"{gateway.name}-{worker}")
        with connect(gateway.corbaloc, app) as session:
            manager = payment(session)
            for i in range(12):
                order = rng.sample(accounts, len(accounts))
                ref = f"ord-{gateway.name}-{worker}-{i}"
                try:
                    if i % 3 == 0:  # a split over two accounts, in this thread's order
                        shares = [
                            payment_idl.EndUserSplit(order[0][1], 50),
                            payment_idl.EndUserSplit(order[1][1], 50),
                        ]
                        manager.chargeSplitAmount(shares, krw(200), ref)
                    else:
                        manager.chargeAmount(order[0][1], krw(100), ref)
                    outcome = "ok"
                except common.PolicyException as fault:
                    outcome = fault.messageId
                with lock:
                    outcomes.append(outcome)

    threads = [
        threading.Thread(target=spend, args=(g, w))
        for g in cluster.gateways.values()
        for w in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == 2 * 3 * 12  # every request answered: none hung in a deadlock
    assert set(outcomes) <= {"ok", "POL1000"}
    for number, _ in accounts:
        assert cluster.ledger.get_account(number).balance_minor >= 0
    report = reconcile(cluster.ledger)
    assert report.clean, report.problems
    spent = sum(3_000 - cluster.ledger.get_account(n).balance_minor for n, _ in accounts)
    settled = {a.number: a.balance_minor for a in cluster.ledger.system_accounts()}
    assert settled["settlement:order-app:KRW"] == spent  # every won went somewhere


# -- agreements --------------------------------------------------------------------------------
def test_a_corba_agreement_signed_on_one_gateway_is_honoured_and_ended_on_the_other(
    cluster: Cluster,
) -> None:
    a, b = cluster.gateways["a"], cluster.gateways["b"]
    app = cluster.register("reattach-app", ("P_PAYMENT",))
    msisdn = "tel:+821070000003"
    cluster.new_account("ATT-1", msisdn, 10_000)
    key_pem = (a.data_dir / KEY_FILES["P_SHA256_RSA_2048"]).read_bytes()
    public = serialization.load_pem_private_key(key_pem, None).public_key()
    framework_key = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with connect(a.corbaloc, app, framework_public_keys=[framework_key]) as on_a:
        manager_a = payment(on_a)
        (agreement,) = on_a.agreements.values()
        with connect(b.corbaloc, app, framework_public_keys=[framework_key]) as on_b:
            # a text that is not the one of an agreement in force is refused
            forged = agreement.agreement_text.replace("valid until", "valid untill")
            with pytest.raises(client.errors.P_ACCESS_DENIED):
                on_b.reattach(type(agreement)(**{**vars(agreement), "agreement_text": forged}))
            # signed on A, honoured on B: the same agreement, its stored signature (verified)
            manager_b = on_b.reattach(agreement)._narrow(payment_idl.IpPaymentManager)
            manager_b.chargeAmount(msisdn, krw(300), "att-1")
            manager_a.chargeAmount(msisdn, krw(200), "att-2")
            records = cluster.store.agreements("reattach-app")
            assert [r.state for r in records] == ["in_force"]
            assert records[0].agreement_id in agreement.agreement_text
            # terminated on B: A's manager is revoked within the watcher's bound
            on_b.terminate_agreement(agreement.token)
            wait_until(lambda: dead(manager_a), REVOCATION_BOUND_S, "A's revocation")
            assert dead(manager_b)
    assert cluster.ledger.get_account("ATT-1").balance_minor == 9_500
    assert [r.state for r in cluster.store.agreements("reattach-app")] == ["terminated"]


def test_a_grpc_service_token_works_on_both_gateways_and_ends_on_both(cluster: Cluster) -> None:
    a, b = cluster.gateways["a"], cluster.gateways["b"]
    app = cluster.register("token-app", ("P_PAYMENT",))
    msisdn = "tel:+821070000004"
    cluster.new_account("TOK-1", msisdn, 10_000)
    session = connect(a.grpc, app)
    channel = open_channel(b.grpc)
    try:
        on_a = session.obtain_service("P_PAYMENT")
        on_b = BoundStub(payment_pb2_grpc.PaymentServiceStub(channel), on_a.token, 10)

        def charge(stub: BoundStub, ref: str) -> None:
            stub.ChargeAmount(
                payment_pb2.ChargeAmountRequest(
                    end_user_identifier=msisdn, charge=grpc_charge(100), reference_code=ref
                )
            )

        charge(on_a, "tok-1")
        charge(on_b, "tok-2")  # issued by A, honoured by B (shared store)
        assert cluster.ledger.get_account("TOK-1").balance_minor == 9_800
        session.terminate()  # ends the access session and its agreement, on every gateway

        def refused() -> bool:  # a live token gets a fault for the unknown reservation
            try:
                on_b.ReleaseReservation(
                    payment_pb2.ReleaseReservationRequest(reservation_identifier="no-such")
                )
            except GrpcFault as fault:
                return fault.code == grpc.StatusCode.UNAUTHENTICATED
            return False

        wait_until(refused, REVOCATION_BOUND_S, "B's revocation")
    finally:
        channel.close()
        session.terminate()
    assert cluster.ledger.get_account("TOK-1").balance_minor == 9_800


# -- delivered once ------------------------------------------------------------------------------
def test_charging_events_are_delivered_once_with_two_gateways(cluster: Cluster) -> None:
    app = cluster.register("events-app", ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT"))
    msisdn = "tel:+821070000005"
    cluster.new_account("EVT-1", msisdn, 100_000)
    callback = AppAccountManager()
    sessions = {name: connect(g.corbaloc, app) for name, g in cluster.gateways.items()}
    try:
        account = sessions["b"].obtain_service("P_ACCOUNT_MANAGEMENT")._narrow(am.IpAccountManager)
        criteria = am.TpChargingEventCriteria([am.P_AM_CHARGING], [msisdn])
        assignment = account.createNotification(callback.ref, criteria)
        managers = {name: payment(s) for name, s in sessions.items()}
        refs = []
        for i in range(5):
            for name, manager in managers.items():
                refs.append(f"evt-{name}-{i}")
                manager.chargeAmount(msisdn, krw(10), refs[-1])
        wait_until(lambda: len(callback.seen()) >= len(refs), WAIT_EVENTS_S, "events")
        time.sleep(QUIET_S)  # a second dispatcher would deliver them again by now
        seen = callback.seen()
        assert sorted(r for _, _, r in seen) == sorted(refs)
        assert len({event_id for _, event_id, _ in seen}) == len(refs)
        assert {a for a, _, _ in seen} == {assignment}
        cluster.leader()  # exactly one gateway delivers
    finally:
        for session in sessions.values():
            session.terminate()
        client_orb().deactivate(callback.oid)


def test_sms_receipts_and_a_long_mo_are_delivered_once_with_two_gateways(
    cluster: Cluster,
) -> None:
    app = cluster.register("sms-app", ("P_SMS",))
    listener = AppSmsNotification()
    sessions = {name: connect(g.corbaloc, app) for name, g in cluster.gateways.items()}
    try:
        managers = {}
        for name, session in sessions.items():
            managers[name] = session.obtain_service("P_SMS")._narrow(sms_idl.IpSmsManager)
            omniORB.setClientCallTimeout(managers[name], CALL_TIMEOUT_MS)
        long_text = "Your receipt: " + "x" * 300  # three parts per address
        sent = {}
        for name, manager in managers.items():
            addresses = [f"tel:+82107{ord(name):03d}{i:04d}" for i in range(3)]
            for text in ("short one", long_text):
                correlator = f"r-{name}-{len(text)}"
                request_id = manager.sendSms(
                    addresses, "", [], text, [listener.reference(correlator)]
                )
                sent[correlator] = (request_id, addresses, manager)
        expected = sorted((c, addr) for c, (_, addrs, _) in sent.items() for addr in addrs)

        def receipts() -> list[tuple[str, str]]:
            return sorted((c, info.address) for c, info in list(listener.receipts))

        wait_until(lambda: len(receipts()) >= len(expected), WAIT_EVENTS_S, "receipts")
        managers["a"].startSmsNotification(listener.reference("mo-1"), "short:15550", "")
        admin_call(cluster.smsc_dir, "mo", **{"from": "tel:+821072220000"},
                   to="short:15550", text="MO " + "y" * 400)  # fmt: skip
        wait_until(lambda: listener.receptions, WAIT_EVENTS_S, "the MO message")
        time.sleep(QUIET_S)
        assert receipts() == expected  # each address of each request: one receipt
        assert all(
            info.deliveryStatus == sms_idl.DeliveredToTerminal for _, info in listener.receipts
        )
        for request_id, addresses, manager in sent.values():
            statuses = manager.getSmsDeliveryStatus(request_id)
            assert sorted(s.address for s in statuses) == sorted(addresses)
            assert {s.deliveryStatus for s in statuses} == {sms_idl.DeliveredToTerminal}
        assert len(listener.receptions) == 1
        assert listener.receptions[0][1].message == "MO " + "y" * 400
    finally:
        for session in sessions.values():
            session.terminate()
        listener.close()


# -- metrics -------------------------------------------------------------------------------------
NAMED_METRICS = (
    "micropay_calls_total",
    "micropay_faults_total",
    "micropay_call_duration_seconds_bucket",
    "micropay_ledger_batch_requests_bucket",
    "micropay_ledger_flush_seconds_bucket",
    "micropay_sms_outbox_parts_queued",
    "micropay_smpp_bound",
    "micropay_sms_notifications_waiting",
    "micropay_sms_unrouted",
    "micropay_charging_event_lag_events",
    "micropay_charging_event_lag_seconds",
    "micropay_charging_events_latest_seq",
    "micropay_leader",
    "micropay_database_up",
    "micropay_sessions",
    "process_cpu_seconds_total",
)


def test_every_gateway_exposes_the_named_metrics(cluster: Cluster) -> None:
    for gateway in cluster.gateways.values():
        samples = gateway.metrics()
        names = {name for name, _ in samples}
        assert set(NAMED_METRICS) <= names, set(NAMED_METRICS) - names
        assert gateway.metric("micropay_smpp_bound") == 1
        assert gateway.metric("micropay_database_up") == 1
        assert gateway.metric("micropay_charging_event_lag_events", app_id="events-app") == 0
        faults = [
            labels
            for (name, labels), value in samples.items()
            if name == "micropay_faults_total" and value > 0
        ]
        assert faults  # the overspending test left POL1000s, the token test TOKEN_INVALIDs
        # framework calls are counted as well as SCF calls
        assert gateway.metric("micropay_calls_total", surface="corba", operation="selectService")
    refused = cluster.gateways["a"].metric(
        "micropay_faults_total", surface="corba", operation="chargeAmount", fault="POL1000"
    )
    refused_b = cluster.gateways["b"].metric(
        "micropay_faults_total", surface="corba", operation="chargeAmount", fault="POL1000"
    )
    assert (refused or 0) + (refused_b or 0) >= 30
    assert cluster.gateways["b"].metric(
        "micropay_faults_total",
        surface="grpc",
        operation="ReleaseReservation",
        fault="TOKEN_INVALID",
    )
    # structured call logs: the application, the account and the reference code, never a PIN
    app = cluster.register("pin-app", ("P_ACCOUNT_MANAGEMENT",))
    cluster.new_account("PIN-1", "tel:+821070000009", 1_000)
    cluster.ledger.set_pin("PIN-1", "918273")
    with connect(cluster.gateways["a"].corbaloc, app) as session:
        account = session.obtain_service("P_ACCOUNT_MANAGEMENT")._narrow(am.IpAccountManager)
        assert account.getBalance("tel:+821070000009", "918273")[0].amount == "1000"
        with pytest.raises(common.ServiceException):  # SVC0250: authentication failed
            account.getBalance("tel:+821070000009", "864213")
    # (a call's line is written by the gateway's metrics thread within moments of the answer)
    log = cluster.gateways["a"].log_text() + cluster.gateways["b"].log_text()
    line = next(line for line in log.splitlines() if '"reference_code": "att-1"' in line)
    assert '"app_id": "reattach-app"' in line and '"account": "tel:+821070000003"' in line
    assert '"operation": "chargeAmount"' in line and '"outcome": "ok"' in line

    def balance_lines() -> list[str]:
        return [
            line
            for line in cluster.gateways["a"].log_text().splitlines()
            if '"operation": "getBalance"' in line and '"app_id": "pin-app"' in line
        ]

    assert len(wait_until(lambda: len(balance_lines()) >= 2 and balance_lines())) == 2
    log = cluster.gateways["a"].log_text()
    assert "918273" not in log and "864213" not in log


# -- a gateway going away -----------------------------------------------------------------------
def test_a_gateway_that_stops_ends_no_agreement_and_hands_over_its_name(cluster: Cluster) -> None:
    a, b = cluster.gateways["a"], cluster.gateways["b"]
    app = cluster.register("restart-app", ("P_PAYMENT",))
    msisdn = "tel:+821070000007"
    cluster.new_account("RST-1", msisdn, 10_000)
    root = client_orb().orb.string_to_object(cluster.naming)._narrow(CosNaming.NamingContext)
    ip_initial = [CosNaming.NameComponent("micropay", ""), CosNaming.NameComponent("IpInitial", "")]
    on_b = connect(b.corbaloc, app)
    payment(on_b).chargeAmount(msisdn, krw(100), "rst-1")
    (agreement,) = on_b.agreements.values()
    assert root.resolve(ip_initial)._is_equivalent(client_orb().orb.string_to_object(b.corbaloc))
    try:
        assert b.stop() == 0  # SIGTERM: a clean stop
        # the name now leads to the gateway that is still up
        named = root.resolve(ip_initial)
        assert named._is_equivalent(client_orb().orb.string_to_object(a.corbaloc))
        assert [r.state for r in cluster.store.agreements("restart-app")] == ["in_force"]
        with connect(a.corbaloc, app) as on_a:
            on_a.reattach(agreement).chargeAmount(msisdn, krw(100), "rst-2")
    finally:
        b.restart()
    assert cluster.ledger.get_account("RST-1").balance_minor == 9_800


# -- fail-over (last: it kills a gateway, then starts it again) ----------------------------------
def test_when_the_leader_dies_the_other_gateway_delivers_the_events(cluster: Cluster) -> None:
    leader = cluster.leader()
    (survivor,) = [g for g in cluster.gateways.values() if g is not leader]
    app = cluster.register("failover-app", ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT"))
    msisdn = "tel:+821070000006"
    cluster.new_account("FOV-1", msisdn, 10_000)
    callback = AppAccountManager()
    session = connect(survivor.corbaloc, app)
    try:
        account = session.obtain_service("P_ACCOUNT_MANAGEMENT")._narrow(am.IpAccountManager)
        account.createNotification(
            callback.ref, am.TpChargingEventCriteria([am.P_AM_CHARGING], [msisdn])
        )
        manager = payment(session)
        manager.chargeAmount(msisdn, krw(100), "fov-1")
        wait_until(lambda: len(callback.seen()) == 1, WAIT_EVENTS_S, "the first event")
        # its cursor is stored (else the next leader would rightly deliver it again: at least once)
        wait_until(
            lambda: (
                survivor.metric("micropay_charging_event_lag_events", app_id="failover-app") == 0
            ),
            WAIT_EVENTS_S,
            "the stored cursor",
        )
        leader.kill()
        wait_until(
            lambda: survivor.metric("micropay_leader", job="charging-events") == 1,
            WAIT_EVENTS_S,
            "the survivor's leadership",
        )
        manager.chargeAmount(msisdn, krw(100), "fov-2")
        wait_until(lambda: len(callback.seen()) >= 2, WAIT_EVENTS_S, "the event after fail-over")
        time.sleep(QUIET_S)
        assert [r for _, _, r in callback.seen()] == ["fov-1", "fov-2"]
    finally:
        session.terminate()
        client_orb().deactivate(callback.oid)
        leader.restart()  # the cluster is whole again for whatever runs after
    assert cluster.leader() is survivor  # the restarted gateway follows
