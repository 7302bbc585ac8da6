"""Drives the payment procedure (``procedure``) for one order against the gateway port.

The referenceCode of an order's charge is ``order-<order id>``, and the order id is fixed when
the checkout page is drawn, so a form submitted twice -- or a retry after a lost answer -- is the
same request to the gateway, which charges it once. Each step is a compare-and-set on the
order's state in the application's database, so two requests for one order never both act:
the second one waits for the first one's outcome and shows it.

Over CAMARA Carrier Billing (:class:`~apps.micropay.ports.CarrierBilling`) the payer is named by
phone number only, and a payment the account confirms by code is prepared at the gateway, which
texts the code and checks it (``validatePayment``): the order waits in the same
``awaiting_code`` state, and the shop neither draws nor keeps the code.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from apps.micropay import amounts, confirmation, identifiers
from apps.micropay.catalog import CURRENCY, QUANTITY_MAX, product
from apps.micropay.notices import Notices
from apps.micropay.ports import (
    CarrierBilling,
    CodeFailed,
    Gateway,
    GatewayFault,
    GatewayUnavailable,
    WrongCode,
)
from apps.micropay.procedure import (
    IN_FLIGHT,
    PAYABLE,
    AccountStatus,
    Event,
    State,
    eligibility,
)
from apps.micropay.refusals import Reason, Refusal
from apps.micropay.store import Order, Store, now_text

logger = logging.getLogger("micropay.shop.checkout")

NOTIFY_WAIT_S = 5.0  # how long the receipt page waits for the payment SMS to be sent
CONCURRENT_WAIT_S = 30.0  # how long a second submit of one order waits for the first's outcome
REFERENCE_PREFIX = "order-"
REFUND_PREFIX = "refund-"  # the referenceCode of an order's refund: never the order's own


def reference_code(order_id: str) -> str:
    return f"{REFERENCE_PREFIX}{order_id}"


def order_of_reference(code: str) -> str | None:
    """The order a referenceCode is of: ``order-<id>``, or ``order-<id>.<n>`` -- the n-th
    attempt, where CAMARA keeps an ended payment's referenceCode (``camara_transport``); order
    ids have no dot."""
    if not code.startswith(REFERENCE_PREFIX):
        return None
    return code[len(REFERENCE_PREFIX) :].split(".", 1)[0]


class CheckoutError(Exception):
    """A request the shop cannot take (unknown order or product): shown as is."""


@dataclass(frozen=True)
class Outcome:
    order: Order
    refusal: Refusal | None = None
    pending: bool = False  # the gateway's answer was lost: pressing Pay again is safe
    codes_left: int | None = None  # a wrong confirmation code: how many tries are left


class Checkout:
    def __init__(
        self,
        gateway: Gateway,
        store: Store,
        notices: Notices,
        *,
        country_code: str = "82",
        notify_wait_s: float = NOTIFY_WAIT_S,
        code_key: bytes = b"",
        code_ttl_s: int = confirmation.CODE_TTL_S,
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.notices = notices
        self.country_code = country_code
        self.notify_wait_s = notify_wait_s
        self.code_key = code_key or secrets.token_bytes(confirmation.KEY_BYTES)
        self.code_ttl_s = code_ttl_s
        self._busy: set[str] = set()  # orders a request of this process is working on
        self._busy_lock = threading.Lock()

    # -- orders ---------------------------------------------------------------------------------
    def new_order(self, product_id: str, quantity: int) -> Order:
        item = product(product_id)
        if item is None:
            raise CheckoutError("There is no such product.")
        if not 1 <= quantity <= QUANTITY_MAX:
            raise CheckoutError(f"Choose a quantity from 1 to {QUANTITY_MAX}.")
        order_id = secrets.token_urlsafe(12)
        self.store.create_order(
            {
                "order_id": order_id,
                "product_id": item.product_id,
                "title": item.title,
                "quantity": quantity,
                "amount": str(item.price * quantity),
                "currency": CURRENCY,
                "two_step": int(item.two_step),
            }
        )
        order = self.store.order(order_id)
        assert order is not None
        return order

    def order(self, order_id: str) -> Order:
        order = self.store.order(order_id)
        if order is None:
            raise CheckoutError("There is no such order.")
        return order

    # -- paying ---------------------------------------------------------------------------------
    def pay(self, order_id: str, account_text: str, pin: str) -> Outcome:
        order = self.order(order_id)
        if not self._claim(order_id):
            return self._outcome_of(self._wait_settled(order_id))
        try:
            order = self.order(order_id)
            if order.status in IN_FLIGHT:  # a lost answer: the same request again
                return self._charge(order)
            if order.status in (State.ACCOUNT_ENTERED, State.CHECKED, State.HOLDING):  # a stop
                order = self._refuse(order, Refusal.of(Reason.UNAVAILABLE)).order
            if order.status not in PAYABLE:
                return self._outcome_of(order)
            return self._pay(order, account_text, pin)
        finally:
            self._release(order_id)

    def _pay(self, order: Order, account_text: str, pin: str) -> Outcome:
        end_user = identifiers.end_user(account_text, self.country_code) or ""
        moved = self.store.move(
            order.order_id, Event.ENTER_ACCOUNT, order.status, end_user=end_user, msisdn=""
        )
        assert moved is not None, "claimed orders move only here"
        order = moved
        if not end_user:
            return self._refuse(order, Refusal.of(Reason.INVALID_ACCOUNT))
        try:
            status = self.gateway.account_status(end_user, pin or None)
        except GatewayFault as fault:
            return self._refuse(order, fault.refusal())
        except GatewayUnavailable:
            return self._refuse(order, Refusal.of(Reason.UNAVAILABLE))
        amount = Decimal(order.amount)
        refusal = eligibility(status, amount, order.currency, pin_given=bool(pin))
        if refusal is not None:
            if refusal.reason is Reason.UNREGISTERED and identifiers.is_phone(end_user):
                self.notices.unregistered(end_user)
            return self._refuse(order, refusal)
        if isinstance(self.gateway, CarrierBilling) and not identifiers.is_phone(end_user):
            return self._refuse(order, Refusal.of(Reason.PAY_BY_PHONE))
        threshold = status.low_balance_threshold
        order = self._move(order, Event.ELIGIBLE, low_balance_threshold=_text(threshold))
        if status.needs_confirmation(amount):
            if not identifiers.is_phone(end_user):  # the code goes to the number typed
                return self._refuse(order, Refusal.of(Reason.CONFIRM_BY_PHONE))
            return self._hold_for_code(self._move(order, Event.HOLD))
        if order.two_step:
            return self._reserve(self._move(order, Event.RESERVE), status)
        return self._charge(self._move(order, Event.CHARGE))

    def _charge(self, order: Order) -> Outcome:
        """chargeAmount (or chargeReservation when capturing) with the order's referenceCode."""
        amount = Decimal(order.amount)
        description = f"{order.title} x{order.quantity}"
        # over CAMARA the prepared payment is the one charged; Parlay X names no payment
        payment_id = order.reservation_id if isinstance(self.gateway, CarrierBilling) else ""
        try:
            if order.status in (State.CAPTURING, State.CONFIRMING):
                self.gateway.charge_reservation(
                    order.reservation_id,
                    amount,
                    order.currency,
                    description,
                    reference_code(order.order_id),
                )
            else:
                payment_id = self.gateway.charge_amount(
                    order.end_user,
                    amount,
                    order.currency,
                    description,
                    reference_code(order.order_id),
                )
        except GatewayFault as fault:
            if order.status is State.CONFIRMING:  # e.g. stopped meanwhile: give the hold back
                self._close_reservation(order)
            return self._refuse(order, fault.refusal())
        except GatewayUnavailable:
            logger.warning("charge of order %s: outcome unknown", order.order_id)
            return Outcome(self.order(order.order_id), pending=True)
        if order.status in (State.CAPTURING, State.CONFIRMING):  # the hold is charged: close it
            self._close_reservation(order)
        charged = self.store.move(
            order.order_id, Event.CHARGED, order.status, paid_at=now_text(), payment_id=payment_id
        )
        if charged is None:  # the charging event got here first and moved it
            charged = self.order(order.order_id)
        if charged.status is State.CHARGED:
            charged = (
                self.store.wait_for(order.order_id, [State.NOTIFIED], self.notify_wait_s) or charged
            )
        return Outcome(charged)

    def _reserve(self, order: Order, status: AccountStatus) -> Outcome:
        description = f"{order.title} x{order.quantity} (held until shipped)"
        try:
            reservation = self.gateway.reserve_amount(
                order.end_user,
                Decimal(order.amount),
                order.currency,
                description,
                reference_code(order.order_id),
            )
        except GatewayFault as fault:
            return self._refuse(order, fault.refusal())
        except GatewayUnavailable:
            # reserveAmount has no referenceCode: a lost answer may have left a hold, which
            # the gateway releases when it expires (ledger.reservation_ttl_s).
            return self._refuse(order, Refusal.of(Reason.UNAVAILABLE))
        return Outcome(self._move(order, Event.RESERVED, reservation_id=reservation))

    # -- payment confirmation by a code sent by SMS (confirmation.py) ------------------------------
    def _hold_for_code(self, order: Order) -> Outcome:
        """Hold the amount, then text the code to the account's phone."""
        amount = Decimal(order.amount)
        description = f"{order.title} x{order.quantity} (to confirm by SMS code)"
        if isinstance(self.gateway, CarrierBilling):
            return self._hold_for_gateway_code(order, self.gateway, description)
        try:
            reservation = self.gateway.reserve_amount(
                order.end_user, amount, order.currency, description, reference_code(order.order_id)
            )
        except GatewayFault as fault:
            return self._refuse(order, fault.refusal())
        except GatewayUnavailable:  # a hold may be left: it expires (ledger.reservation_ttl_s)
            return self._refuse(order, Refusal.of(Reason.UNAVAILABLE))
        code = confirmation.new_code()
        expires = datetime.now(UTC) + timedelta(seconds=self.code_ttl_s)
        self.store.put_confirmation(
            order.order_id,
            confirmation.digest(self.code_key, order.order_id, code),
            order.end_user,
            expires.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        order = self._move(order, Event.HELD, reservation_id=reservation)
        sent = self.notices.send(
            order.end_user, "confirmation_code", code=code, merchant=self.notices.merchant,
            amount=amounts.plain(amount, order.currency), currency=order.currency,
            minutes=max(1, self.code_ttl_s // 60),
        )  # fmt: skip
        if not sent:
            return self._abandon(order, Reason.UNAVAILABLE, tell=False)
        return Outcome(order)

    def _hold_for_gateway_code(
        self, order: Order, billing: CarrierBilling, description: str
    ) -> Outcome:
        """preparePayment: the gateway holds the amount and texts its own code."""
        try:
            hold = billing.hold_for_code(order.end_user, Decimal(order.amount), order.currency,
                                         description, reference_code(order.order_id))  # fmt: skip
        except GatewayFault as fault:
            return self._refuse(order, fault.refusal())
        except GatewayUnavailable:  # a hold may be left: it expires (ledger.reservation_ttl_s)
            return self._refuse(order, Refusal.of(Reason.UNAVAILABLE))
        expires = datetime.now(UTC) + timedelta(seconds=self.code_ttl_s)
        self.store.put_confirmation(
            order.order_id, "", order.end_user,
            expires.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            authorization_id=hold.authorization_id,
        )  # fmt: skip
        order = self._move(order, Event.HELD, reservation_id=hold.reservation_id)
        if not hold.authorization_id:  # the gateway asked for no code after all
            self.store.close_confirmation(order.order_id, "used")
            return self._confirmed(order)
        return Outcome(order)

    def _confirmed(self, order: Order) -> Outcome:
        """The code was right: keep the hold (a two-step order) or charge it."""
        if order.two_step:
            return Outcome(self._move(order, Event.KEEP))
        return self._charge(self._move(order, Event.CONFIRM))

    def confirm(self, order_id: str, code: str) -> Outcome:
        """The code typed for an order awaiting one: right -> charge the hold; wrong -> count
        it (the last allowed wrong one releases the hold); late -> release."""
        if not self._claim(order_id):
            return self._outcome_of(self._wait_settled(order_id))
        try:
            order = self.order(order_id)
            found = self.store.confirmation(order_id)
            if order.status is not State.AWAITING_CODE or found is None:
                return self._outcome_of(order)
            if found["state"] != "waiting" or found["expires_at"] <= _now():
                return self._abandon(order, Reason.CODE_EXPIRED)
            if isinstance(self.gateway, CarrierBilling):
                return self._confirm_at_gateway(order, self.gateway, found, code)
            attempts = self.store.confirmation_attempt(order_id)  # counted before comparing
            right = confirmation.matches(self.code_key, order_id, code, found["code_hash"])
            if right and self.store.close_confirmation(order_id, "used"):
                return self._confirmed(order)
            if attempts >= confirmation.CODE_ATTEMPTS_MAX:
                return self._abandon(order, Reason.CODE_FAILED)
            return Outcome(order, codes_left=confirmation.CODE_ATTEMPTS_MAX - attempts)
        finally:
            self._release(order_id)

    def _confirm_at_gateway(
        self, order: Order, billing: CarrierBilling, found: dict[str, Any], code: str
    ) -> Outcome:
        """validatePayment: the gateway counts and compares (the shop counts too, to show)."""
        self.store.confirmation_attempt(order.order_id)
        try:
            billing.validate_code(order.reservation_id, found["authorization_id"], code.strip())
        except WrongCode as wrong:
            return Outcome(order, codes_left=wrong.attempts_left)
        except CodeFailed as failed:
            return self._abandon(
                order, Reason.CODE_EXPIRED if failed.expired else Reason.CODE_FAILED
            )
        except GatewayFault as fault:  # e.g. the hold expired at the gateway meanwhile
            logger.warning("validation of %s: %s", order.order_id, fault)
            return self._abandon(order, Reason.CODE_EXPIRED)
        except GatewayUnavailable:
            return Outcome(order, pending=True)
        self.store.close_confirmation(order.order_id, "used")
        return self._confirmed(order)

    def expire_codes(self) -> int:
        """Release the holds of codes not typed in time (a thread calls this every second)."""
        done = 0
        for order_id in self.store.confirmations_expired(_now()):
            if not self._claim(order_id):
                continue
            try:
                order = self.order(order_id)
                if order.status is State.AWAITING_CODE:
                    self._abandon(order, Reason.CODE_EXPIRED)
                    done += 1
                else:
                    self.store.close_confirmation(order_id, "expired")
            finally:
                self._release(order_id)
        return done

    def _abandon(self, order: Order, reason: Reason, *, tell: bool = True) -> Outcome:
        """Release the hold, close the code, tell the subscriber, refuse the order."""
        try:
            self.gateway.release_reservation(order.reservation_id)
        except GatewayFault as fault:
            if fault.refusal().reason is not Reason.RESERVATION_GONE:
                logger.warning("release of %s: %s", order.order_id, fault)
        except GatewayUnavailable:  # the next sweep tries again
            return Outcome(order, pending=True)
        self.store.close_confirmation(
            order.order_id, "failed" if reason is Reason.CODE_FAILED else "expired"
        )
        if tell:
            self.notices.send(
                order.end_user, "confirmation_failed", merchant=self.notices.merchant,
                amount=amounts.plain(Decimal(order.amount), order.currency),
                currency=order.currency,
            )  # fmt: skip
        return self._refuse(order, Refusal.of(reason))

    def _close_reservation(self, order: Order) -> None:
        """After the hold's charge (a shipment, or a payment confirmed by code), release what is
        left of it (all of it once the order shipped for less; nothing, but the reservation
        closes, when it was charged whole), or all of it when that charge was refused: Parlay X
        leaves a reservation open until released. If the gateway does not answer, the
        reservation's expiry releases it (``ledger.reservation_ttl_s``)."""
        try:
            self.gateway.release_reservation(order.reservation_id)
        except GatewayFault as fault:
            if fault.refusal().reason is not Reason.RESERVATION_GONE:
                logger.warning("release of %s refused: %s", order.order_id, fault)
        except GatewayUnavailable as exc:
            logger.warning("release of %s: no answer (%s)", order.order_id, exc)

    def notify_unregistered(self, phone: str) -> str:
        """The "unregistered account" SMS to a number the user gave after an account number was
        refused as unregistered. The answer is the same whether or not the number has an
        account ("sms"), so the form cannot be used to learn who has one."""
        try:
            status = self.gateway.account_status(phone, None)
        except GatewayUnavailable:
            return "unavailable"
        except GatewayFault:
            return "bad-phone"
        if not status.registered:
            self.notices.unregistered(phone)
        return "sms"

    # -- two-step orders: the operator ships or cancels -------------------------------------------
    def ship(self, order_id: str) -> Outcome:
        if not self._claim(order_id):
            return self._outcome_of(self._wait_settled(order_id))
        try:
            order = self.order(order_id)
            if order.status is State.RESERVED:
                order = self._move(order, Event.SHIP)
            if order.status is not State.CAPTURING:
                return self._outcome_of(order)
            return self._charge(order)
        finally:
            self._release(order_id)

    def cancel(self, order_id: str) -> Outcome:
        if not self._claim(order_id):
            return self._outcome_of(self._wait_settled(order_id))
        try:
            order = self.order(order_id)
            if order.status is not State.RESERVED:
                return self._outcome_of(order)
            try:
                self.gateway.release_reservation(order.reservation_id)
            except GatewayFault as fault:
                if fault.refusal().reason is not Reason.RESERVATION_GONE:
                    return Outcome(order, fault.refusal())
            except GatewayUnavailable:
                return Outcome(order, pending=True)
            return Outcome(self._move(order, Event.CANCEL))
        finally:
            self._release(order_id)

    # -- refunds: the operator gives a paid order's money back -----------------------------------
    def refund(self, order_id: str) -> Outcome:
        """refundAmount of the whole order (``refund-<order id>``: the same refund if repeated
        after a lost answer); the order stays paid until the gateway says it is done."""
        if not self._claim(order_id):
            return self._outcome_of(self._wait_settled(order_id))
        try:
            order = self.order(order_id)
            if order.status is not State.NOTIFIED:
                return self._outcome_of(order)
            try:
                self.gateway.refund_amount(
                    order.end_user, Decimal(order.amount), order.currency,
                    f"refund of {order.title} x{order.quantity}", f"{REFUND_PREFIX}{order_id}",
                    order.payment_id,
                )  # fmt: skip
            except GatewayFault as fault:
                return Outcome(order, fault.refusal())
            except GatewayUnavailable:
                return Outcome(order, pending=True)
            return Outcome(self._move(order, Event.REFUND))
        finally:
            self._release(order_id)

    # -- helpers --------------------------------------------------------------------------------
    def _refuse(self, order: Order, refusal: Refusal) -> Outcome:
        moved = self.store.move(
            order.order_id,
            Event.REFUSE,
            order.status,
            refusal_reason=refusal.reason.value,
            refusal_message_id=refusal.message_id,
            refusal_text=refusal.text(order.currency),
        )
        return Outcome(moved or self.order(order.order_id), refusal)

    def _move(self, order: Order, event: Event, **changes: str) -> Order:
        moved = self.store.move(order.order_id, event, order.status, **changes)
        assert moved is not None, f"order {order.order_id} moved under a claim"
        return moved

    def _claim(self, order_id: str) -> bool:
        with self._busy_lock:
            if order_id in self._busy:
                return False
            self._busy.add(order_id)
            return True

    def _release(self, order_id: str) -> None:
        with self._busy_lock:
            self._busy.discard(order_id)

    def _wait_settled(self, order_id: str) -> Order:
        settled = [s for s in State if s not in (State.ACCOUNT_ENTERED, State.CHECKED, *IN_FLIGHT)]
        settled = [s for s in settled if s not in (State.RESERVING, State.HOLDING)]
        order = self.store.wait_for(order_id, settled, CONCURRENT_WAIT_S)
        assert order is not None
        if order.status is State.CHARGED:
            order = self.store.wait_for(order_id, [State.NOTIFIED], self.notify_wait_s) or order
        return order

    def _outcome_of(self, order: Order) -> Outcome:
        if order.status is State.REFUSED and order.refusal_reason:
            return Outcome(order, Refusal.of(Reason(order.refusal_reason)))
        return Outcome(order, pending=order.status in IN_FLIGHT)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)
