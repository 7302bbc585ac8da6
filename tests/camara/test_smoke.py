from tests.camara.harness import PAY, CamaraGateway, payment_body


def test_one_step(camara: CamaraGateway) -> None:
    app = camara.register("cb-smoke")
    number, phone = camara.new_account()
    with camara.client(app) as http:
        r = http.post(PAY, json=payment_body(phone, 1500, "smoke-1"))
        assert r.status_code == 201, r.text
        assert r.json()["paymentStatus"] == "succeeded"
    assert camara.ledger.get_account(number).balance_minor == 48_500
