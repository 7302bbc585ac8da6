"""``client.camara``, the one CAMARA client (the shop, the CLI, the benchmark and the harness use
it), against the real gateway: a token is fetched once and kept; a revoked one is renewed on the
401 and the request repeated; errors come as r3.2's ErrorInfo; amounts go out as exact decimals.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from client.camara import CamaraClient, CamaraError, TokenRefused
from tests.camara.harness import CamaraGateway


def client_of(camara: CamaraGateway, app_id: str, key_kind: str = "rsa2048") -> CamaraClient:
    app = camara.register(app_id, key_kind=key_kind)
    hooks = {"response": [lambda r: (r.read(), camara.conformance.check(r))[1]]}
    return CamaraClient(camara.url, app.app_id, app.private_pem, verify=camara.tls_context(),
                        event_hooks=hooks)  # fmt: skip


def test_pays_refunds_and_renews_a_revoked_token(camara: CamaraGateway) -> None:
    number, phone = camara.new_account()
    with client_of(camara, "cb-client", "ed25519") as client:
        paid = client.create_payment(phone, Decimal("1500"), "KRW", "a song", "cl-1")
        assert paid["paymentStatus"] == "succeeded"
        first = client.token()
        assert client.token() == first  # kept, not fetched per request
        assert camara.gateway.cli("app", "disable", "cb-client").returncode == 0  # revoked
        deadline = time.monotonic() + 10
        while client.http.get("/whoami", headers={"authorization": f"Bearer {first}"}
                              ).status_code != 401:  # fmt: skip
            assert time.monotonic() < deadline, "the token outlived its application"
            time.sleep(0.2)
        assert camara.gateway.cli("app", "enable", "cb-client").returncode == 0
        refund = client.create_refund(paid["paymentId"], "cl-1-r", amount=Decimal(500),
                                      currency="KRW", description="one verse")  # fmt: skip
        assert refund["refundStatus"] == "succeeded"
        assert client.token() != first  # renewed on the 401, the refund repeated once
        assert client.remaining_amount(paid["paymentId"])["amount"] == 1000
        total = client.create_refund(paid["paymentId"], "cl-1-t", reason="returned")
        assert total["type"] == "total"
    assert camara.ledger.get_account(number).balance_minor == 50_000


def test_errors_are_errorinfo(camara: CamaraGateway) -> None:
    _number, phone = camara.new_account(balance_minor=1_000)
    with client_of(camara, "cb-client-errors") as client:
        with pytest.raises(CamaraError) as refused:
            client.create_payment(phone, Decimal(1500), "KRW", "too dear", "cl-2")
        assert (refused.value.status, refused.value.code) == (403, "CARRIER_BILLING.PAYMENT_DENIED")
        assert refused.value.message.startswith("User has insufficient credit")
        with pytest.raises(CamaraError) as unknown:
            client.retrieve_payment("no-such-payment")
        assert (unknown.value.status, unknown.value.code) == (404, "NOT_FOUND")


def test_an_unregistered_client_gets_no_token(camara: CamaraGateway) -> None:
    app = camara.register("cb-client-ghost")
    client = CamaraClient(camara.url, "cb-client-nobody", app.private_pem,
                          verify=camara.tls_context())  # fmt: skip
    with client, pytest.raises(TokenRefused) as refused:
        client.token()
    assert (refused.value.status, refused.value.error) == (401, "invalid_client")
