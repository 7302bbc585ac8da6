"""SIGKILL of the gateway while merchants take 1-step CAMARA payments, then a restart.

A createPayment writes its payment, its ledger charge and its CloudEvent in one transaction, so
a crash can leave neither half alone. What it proves: every payment answered 201 is stored with
its charge, once; a request whose answer the crash swallowed, asked again with the same body
after the restart, gets the payment it made (or makes it then), never a second charge; every
stored payment has exactly one charge and every charge of the merchant its payment; the ledger
reconciles.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from bench.keys import private_pem
from charging.ledger import Ledger
from charging.reconcile import reconcile
from client.camara import TOKEN_PATH, fetch_token
from tests.faults.harness import APP_ID, KEY_KIND, Account, Rig

LOAD_BEFORE_S = 2.0
DOWN_S = 0.5
LOAD_AFTER_S = 1.5
PAY = "/carrier-billing/v0.5/payments"
CALL_TIMEOUT_S = 8.0


def body(account: Account, reference: str) -> dict:
    return {"amountTransaction": {
        "phoneNumber": account.msisdn.removeprefix("tel:"), "referenceCode": reference,
        "clientCorrelator": f"cc-{reference}",
        "paymentAmount": {"chargingInformation": {
            "amount": 7, "currency": "KRW", "description": "fault test"}}}}  # fmt: skip


class Merchants:
    """One thread per account posting createPayment in a loop; what was answered, and what not."""

    def __init__(self, url: str, bearer: str, accounts: list[Account]) -> None:
        self.url, self.bearer, self.accounts = url, bearer, accounts
        self.ok: dict[str, str] = {}  # referenceCode -> paymentId answered 201
        self.unknown: dict[str, Account] = {}  # the crash (or the gateway being down) ate these
        self.refused: dict[str, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(a,)) for a in accounts]

    def client(self) -> httpx.Client:
        headers = {"authorization": f"Bearer {self.bearer}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=CALL_TIMEOUT_S)

    def start(self) -> Merchants:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def _run(self, account: Account) -> None:
        n = 0
        with self.client() as http:
            while not self._stop.is_set():
                reference = f"kill-{account.number}-{n}"
                n += 1
                self.pay(http, account, reference)

    def pay(self, http: httpx.Client, account: Account, reference: str) -> bool:
        """True when the answer is definite (201 or a refusal)."""
        try:
            r = http.post(PAY, json=body(account, reference))
        except httpx.HTTPError:
            r = None
        with self._lock:
            if r is not None and r.status_code == 201:
                self.ok[reference] = r.json()["paymentId"]
                self.unknown.pop(reference, None)
                return True
            if r is not None and r.status_code < 500:
                self.refused[reference] = r.status_code
                self.unknown.pop(reference, None)
                return True
            self.unknown[reference] = account
        time.sleep(0.05)  # down: do not spin
        return False

    def settle(self, deadline_s: float = 60) -> None:
        """Ask every unknown one again with the same body until it has a definite answer."""
        deadline = time.monotonic() + deadline_s
        with self.client() as http:
            while self.unknown and time.monotonic() < deadline:
                for reference, account in list(self.unknown.items()):
                    self.pay(http, account, reference)
        assert not self.unknown, f"still unknown: {list(self.unknown)[:5]}"


def stored(ledger_url: str) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(the merchant's CAMARA payments by referenceCode, its charges by referenceCode)."""
    with Ledger.open(ledger_url) as ledger, ledger.db.transaction(write=False) as tx:
        payments = {r[0]: tuple(r[1:]) for r in tx.all(
            "SELECT reference_code, payment_id, status, transaction_id, account, amount_minor "
            "FROM camara_payments WHERE app_id = ?", (APP_ID,))}  # fmt: skip
        charges = {r[0]: tuple(r[1:]) for r in tx.all(
            "SELECT reference_code, COUNT(*), MIN(transfer_id), MIN(account_number), "
            "-SUM(amount_minor) FROM ledger_entries WHERE app_id = ? AND kind = 'charge' "
            "AND amount_minor < 0 GROUP BY reference_code", (APP_ID,))}  # fmt: skip
    return payments, charges


def test_sigkill_during_createpayment_keeps_payment_and_charge_together(tmp_path: Path) -> None:
    rig = Rig(tmp_path, settings={"camara": {"enabled": True, "tls": "off",
                                             "app_rate_limit_per_s": 0}})  # fmt: skip
    try:
        rig.start_smsc()
        accounts = rig.open_accounts(4, 10**9)
        rig.start()
        url = rig.endpoints["camara"]
        with httpx.Client() as http:
            bearer = fetch_token(http, f"{url}{TOKEN_PATH}", APP_ID,
                                 private_pem(KEY_KIND))["access_token"]  # fmt: skip
        merchants = Merchants(url, bearer, accounts).start()
        time.sleep(LOAD_BEFORE_S)
        assert merchants.ok, "no payment before the kill"
        rig.kill()
        time.sleep(DOWN_S)
        rig.start()
        assert rig.endpoints["camara"] == url
        answered_before_restart = len(merchants.ok)
        time.sleep(LOAD_AFTER_S)
        merchants.stop()
        assert merchants.unknown, "the kill ate no request: the test proved nothing"
        assert len(merchants.ok) > answered_before_restart, "no payment after the restart"
        merchants.settle()
        assert not merchants.refused, merchants.refused

        payments, charges = stored(rig.ledger_url)
        assert set(payments) == set(charges) == set(merchants.ok), (
            "payments without charges or charges without payments",
            sorted(set(payments) ^ set(charges))[:5],
        )
        by_number = {a.number: a for a in accounts}
        for reference, (payment_id, status, transaction_id, account, amount) in payments.items():
            count, transfer_id, charged, charged_minor = charges[reference]
            assert count == 1, f"{reference} charged {count} times"
            assert payment_id == merchants.ok[reference], reference
            assert status == "succeeded", (reference, status)
            assert (int(transaction_id), account, int(amount)) == (
                int(transfer_id), charged, int(charged_minor)), reference  # fmt: skip
            assert account in by_number
        with Ledger.open(rig.ledger_url) as ledger:
            report = reconcile(ledger)
        assert report.clean, report.problems
    finally:
        rig.close()
