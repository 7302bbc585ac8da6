"""Who may call: OAuth client credentials with private_key_jwt (the registered key), scopes,
and revocation -- over real HTTP against the real gateway."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import httpx

from framework.core.records import to_text
from tests.camara.harness import PAY, CamaraGateway, payment_body


def test_token_endpoint_refusals(camara: CamaraGateway) -> None:
    app = camara.register("cb-token")
    assert camara.token_response(app).status_code == 200
    unknown = camara.token_response(app, iss="nobody", sub="nobody")
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")
    wrong_aud = camara.token_response(app, aud="https://elsewhere/oauth2/token")
    assert wrong_aud.json()["error"] == "invalid_client"
    stale = camara.token_response(app, exp=int(time.time()) - 120, iat=int(time.time()) - 180)
    assert stale.json()["error"] == "invalid_client"
    forever = camara.token_response(app, exp=int(time.time()) + 86_400)
    assert forever.json()["error"] == "invalid_client"
    impostor = camara.register("cb-token-impostor", key_kind="ed25519")
    forged = camara.assertion(impostor, iss=app.app_id, sub=app.app_id)  # another key
    form = {
        "grant_type": "client_credentials",
        "client_assertion": forged,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    r = httpx.post(f"{camara.url}/oauth2/token", data=form, verify=camara.tls_context())
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    r = httpx.post(f"{camara.url}/oauth2/token", data=form, verify=camara.tls_context())
    assert r.status_code == 401
    replay = camara.assertion(app)
    form["client_assertion"] = replay
    assert httpx.post(f"{camara.url}/oauth2/token", data=form,
                      verify=camara.tls_context()).status_code == 200  # fmt: skip
    again = httpx.post(f"{camara.url}/oauth2/token", data=form, verify=camara.tls_context())
    assert (again.status_code, again.json()["error"]) == (401, "invalid_client")  # same jti
    ed = camara.token_response(impostor)  # an Ed25519 key works too (EdDSA)
    assert ed.status_code == 200
    sms_only = camara.register("cb-token-sms", services=("P_SMS",))
    assert camara.token_response(sms_only).json()["error"] == "invalid_scope"
    assert camara.token_response(app, scope="carrier-billing:everything").json()["error"] == (
        "invalid_scope")  # fmt: skip


def test_missing_wrong_scope_expired_and_revoked(camara: CamaraGateway) -> None:
    app = camara.register("cb-token-use")
    _number, phone = camara.new_account()
    with camara.client() as anonymous:
        r = anonymous.post(PAY, json=payment_body(phone, 100, "tk-0"))
        assert (r.status_code, r.json()["code"]) == (401, "UNAUTHENTICATED")
    with camara.client(token="garbage") as http:
        assert http.get(PAY).status_code == 401
    reader = camara.token(app, scope="carrier-billing:payments:read")
    with camara.client(token=reader) as http:
        assert http.get(PAY).status_code == 200
        r = http.post(PAY, json=payment_body(phone, 100, "tk-1"))
        assert (r.status_code, r.json()["code"]) == (403, "PERMISSION_DENIED")
    expired = camara.token(app)
    with camara.ledger.db.transaction() as tx:  # as if its hour had passed (never used yet)
        tx.execute("UPDATE camara_tokens SET expires_at = ? WHERE token_hash = ?",
                   (to_text(datetime(2020, 1, 1, tzinfo=UTC)),
                    hashlib.sha256(expired.encode()).hexdigest()))  # fmt: skip
    with camara.client(token=expired) as http:
        assert http.get(PAY).status_code == 401
    live = camara.token(app)
    with camara.client(token=live) as http:
        assert http.get(PAY).status_code == 200
        result = camara.gateway.cli("app", "disable", app.app_id)
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 10
        while http.get(PAY).status_code != 401:
            assert time.monotonic() < deadline, "the token outlived its application"
            time.sleep(0.2)
    assert camara.token_response(app).json()["error"] == "invalid_client"
    assert camara.gateway.cli("app", "enable", app.app_id).returncode == 0
    with camara.client(token=live) as http:
        assert http.get(PAY).status_code == 401  # revoked for good, a new token is needed
    with camara.client(app) as http:
        assert http.get(PAY).status_code == 200


def test_the_cli_gets_a_token(camara: CamaraGateway, tmp_path) -> None:  # noqa: ANN001
    app = camara.register("cb-token-cli", key_kind="ed25519")
    key = tmp_path / "key.pem"
    key.write_bytes(app.private_pem)
    key.chmod(0o600)
    result = camara.gateway.cli("--json", "camara", "token", app.app_id, "--key", str(key),
                                "--url", camara.url, "--ca-file", str(camara.tls.ca),
                                "--scope", "carrier-billing:payments:read")  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = __import__("json").loads(result.stdout)
    assert answer["scope"] == "carrier-billing:payments:read"
    with camara.client(token=answer["access_token"]) as http:
        assert http.get(PAY).status_code == 200
