"""The framework attacked as an attacker would, against two real gateways on one PostgreSQL.

Each test replays one way in that an earlier review found, and checks it is closed:

- CHAP reflection across gateways: knowing only an application's id, take gateway A's challenge
  (gRPC), have gateway B answer it as a client challenge (CORBA), hand the answer back to A;
- re-attaching the application's agreement on B with the secret (read from a copy of the
  database) and a freshly made, wrong key, then charging a subscriber;
- replaying the application's signed terminations: a terminateAccess signature used on A again
  on B, and signed texts kept in the database used to terminate the application's agreement.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from micropay.v1 import framework_pb2 as fpb
from micropay.v1 import framework_pb2_grpc
from org.csapi.parlayx import payment as payment_idl

import client
from client import crypto
from client.grpc_session import open_channel
from client.session import ServiceAgreement, translated
from tests.framework import raw
from tests.scaleout.cluster import Cluster
from tests.scaleout.test_two_gateways import connect, dead, krw, payment

pytestmark = pytest.mark.postgres


def wrong_key_pem() -> bytes:
    """A key the attacker made itself: right type and size, not the registered one."""
    return rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def leave(attacker: client.FrameworkSession) -> None:
    """End the attacker's session without a signature (its key is not the registered one)."""
    attacker.access.endAccess([])
    attacker.ended.set()


@pytest.mark.parametrize("mechanism", ["P_OSA_HMAC_SHA256", "P_OSA_MD5"])
def test_a_challenge_reflected_between_two_gateways_proves_nothing(
    cluster: Cluster, mechanism: str
) -> None:
    a, b = cluster.gateways["a"], cluster.gateways["b"]
    app = cluster.register(f"reflect-{mechanism[6:].lower()}", ("P_PAYMENT",), (mechanism,))
    channel = open_channel(a.grpc)
    stub = framework_pb2_grpc.FrameworkServiceStub(channel)
    try:
        started = stub.InitiateAuthentication(
            fpb.InitiateAuthenticationRequest(
                client_app_id=app.app_id, framework_version="P_PARLAY_4", auth_mechanisms=mechanism
            ),
            timeout=10,
        )
        # the attacker's own IpClientAPILevelAuthentication on B keeps B's challenge pending
        servant = raw.ScriptedAuth(b"the attacker does not know it", "silent")
        fw_auth = raw.begin(b.corbaloc, app, servant)
        raw.select(fw_auth, servant, mechanism)
        assert servant.challenged.wait(10)
        reflected: Any = None
        with contextlib.suppress(raw.fw.P_ACCESS_DENIED):
            reflected = bytes(fw_auth.challenge(list(started.challenge)))
        servant.release.set()
        if reflected is not None:  # B answered A's challenge: hand it back to A
            done = stub.CompleteAuthentication(
                fpb.CompleteAuthenticationRequest(
                    authentication_id=started.authentication_id,
                    challenge_response=reflected,
                    client_challenge=crypto.chap_challenge()[2],
                    signing_algorithms="P_SHA256_RSA_2048",
                ),
                timeout=10,
            )
            raise AssertionError(f"access without the secret: token {done.access_token[:6]}...")
    finally:
        channel.close()
    # the application itself is not hurt: it still gets in on both gateways
    for gateway in (a, b):
        with connect(gateway.corbaloc, app, auth_mechanisms=mechanism):
            pass


def test_the_secret_and_a_wrong_key_do_not_reattach_an_agreement(cluster: Cluster) -> None:
    a, b = cluster.gateways["a"], cluster.gateways["b"]
    app = cluster.register("stolen-secret-app", ("P_PAYMENT",))
    msisdn = "tel:+821070000031"
    cluster.new_account("STL-1", msisdn, 10_000)
    with connect(a.corbaloc, app) as shop:
        payment(shop).chargeAmount(msisdn, krw(100), "stl-1")
        (record,) = cluster.store.agreements(app.app_id)  # what a copy of the database shows
        stolen = ServiceAgreement(
            record.token, record.service_id, record.service_type, record.agreement_text,
            record.signing_algorithm, b"", None,
        )  # fmt: skip
        attacker = client.connect(b.corbaloc, app.app_id, app.secret, wrong_key_pem())
        try:
            with pytest.raises(client.errors.P_ACCESS_DENIED):
                attacker.reattach(stolen).chargeAmount(msisdn, krw(5_000), "stolen")
        finally:
            leave(attacker)
        # the holder of the registered key re-attaches on B as before
        with connect(b.corbaloc, app) as on_b:
            manager = on_b.reattach(shop.agreements[record.token])
            manager._narrow(payment_idl.IpPaymentManager).chargeAmount(msisdn, krw(100), "stl-2")
    assert cluster.ledger.get_account("STL-1").balance_minor == 9_800


def test_over_grpc_the_secret_and_stored_signatures_get_no_service_token(cluster: Cluster) -> None:
    """gRPC has no re-attach (service access tokens are honoured by every gateway); the same
    theft finds no way in there either: a stored signature is not a signature of a new text."""
    a, b = cluster.gateways["a"], cluster.gateways["b"]
    app = cluster.register("stolen-grpc-app", ("P_PAYMENT",))
    with connect(a.grpc, app) as shop:
        shop.obtain_service("P_PAYMENT")
        (record,) = cluster.store.agreements(app.app_id)
        attacker = client.connect(b.grpc, app.app_id, app.secret, wrong_key_pem())
        try:
            token = attacker._call(
                "SelectService", fpb.SelectServiceRequest(service_id=record.service_id)
            ).service_token
            assert token == record.token
            stored = fpb.SignServiceAgreementRequest(
                service_token=token,
                agreement_text=record.agreement_text,
                signing_algorithm=record.signing_algorithm,
                digital_signature=record.app_signature,
            )
            with pytest.raises(client.errors.P_ACCESS_DENIED):
                attacker._call("SignServiceAgreement", stored)  # without a new text
            offer = attacker._call(
                "InitiateSignServiceAgreement",
                fpb.InitiateSignServiceAgreementRequest(service_token=token),
            )
            with pytest.raises(client.errors.P_INVALID_SIGNATURE):  # signed with its own key
                attacker._call(
                    "SignServiceAgreement",
                    fpb.SignServiceAgreementRequest(
                        service_token=token,
                        agreement_text=offer.agreement_text,
                        signing_algorithm=offer.signing_algorithm,
                        digital_signature=crypto.sign(
                            offer.signing_algorithm,
                            serialization.load_pem_private_key(wrong_key_pem(), None),
                            offer.agreement_text,
                        ),
                    ),
                )
            agreements = [(r.agreement_id, r.state) for r in cluster.store.agreements(app.app_id)]
            assert agreements == [(record.agreement_id, "in_force")]  # nothing new, nothing lost
        finally:
            attacker.ended.set()
            attacker.channel.close()


def test_used_and_unrelated_signatures_terminate_nothing_on_another_gateway(
    cluster: Cluster,
) -> None:
    a, b = cluster.gateways["a"], cluster.gateways["b"]
    app = cluster.register("replay-app", ("P_PAYMENT",))
    msisdn = "tel:+821070000032"
    cluster.new_account("RPL-1", msisdn, 10_000)
    key = serialization.load_pem_private_key(app.private_pem, None)
    # the application ends its access on A; the text and signature went over the wire
    on_a = connect(a.corbaloc, app)
    ended_text = crypto.termination_text(app.app_id, "access")
    ended_signature = crypto.sign(on_a.signing_algorithm, key, ended_text)
    on_a.terminate(ended_text)  # signs it with the same key: the same signature
    # it terminated one agreement on A and holds a second one in force
    with connect(a.corbaloc, app) as shop:
        first = payment(shop)
        (old_token,) = list(shop.agreements)
        shop.terminate_agreement(old_token)
        manager = payment(shop)
        (token,) = list(shop.agreements)
        records = {r.state: r for r in cluster.store.agreements(app.app_id)}
        kept = records["terminated"]  # its termination text and signature are in the database
        current = records["in_force"]  # its text and the application's signature too
        attacker = client.connect(b.corbaloc, app.app_id, app.secret, wrong_key_pem())
        try:
            with pytest.raises(client.errors.P_INVALID_SIGNATURE), translated():  # used on A
                attacker.access.terminateAccess(ended_text, list(ended_signature))
            assert attacker.service_agreement.selectService(current.service_id) == token
            for text, signature in (
                (kept.termination_text, kept.termination_signature),  # another token's
                (current.agreement_text, current.app_signature),  # not a termination at all
            ):
                with pytest.raises(client.errors.P_INVALID_SIGNATURE), translated():
                    attacker.service_agreement.terminateServiceAgreement(
                        token, text, list(signature)
                    )
        finally:
            leave(attacker)
        manager.chargeAmount(msisdn, krw(100), "rpl-1")  # the agreement is still in force
        assert dead(first)
    assert cluster.ledger.get_account("RPL-1").balance_minor == 9_900
