"""The Payment SCF (Parlay X Part 6) as a domain service: no CORBA, no gRPC.

Every operation names the calling application first: the application id is the idempotency
namespace (a referenceCode is unique within one application) and the access boundary (an
application sees and charges only its own reservations, refunds only what it charged). Each call
is ONE ledger operation -- atomic, durable when it returns, idempotent on (application,
referenceCode) -- so a retry after a lost answer is always safe.

End users are resolved by :mod:`scf.account.end_user` (``tel:`` or ``acct:NUMBER``); amounts are
:class:`scf.common.charging_information.ChargingInformation` in the currency given, else the
account's; volumes are priced by the operator's tariffs (:mod:`scf.payment.tariff`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from charging.batch import Attachment
from charging.errors import InvalidAmount, InvalidInput, TooManyAddresses
from charging.ledger import SPLIT_SHARES_MAX, Ledger
from charging.model import ReservationInfo, TransactionResult
from scf.account import end_user
from scf.common.charging_information import ChargingInformation
from scf.payment.tariff import DEFAULT_TARIFF, TariffStore

PARAMETER_TARIFF = "tariff"  # the one Property name volume operations understand
PARAMETERS_MAX = 8
PERCENT_TOTAL = 100

Parameters = Sequence[tuple[str, str]]
Blocking = Callable[..., Awaitable[Any]]  # runs fn(*args) off the event loop


@dataclass(frozen=True)
class Price:
    """What a volume costs an end user: getAmount's answer."""

    amount_minor: int
    currency: str
    tariff: str


def tariff_of(parameters: Parameters) -> str:
    """The tariff a volume request names (``default`` when it names none)."""
    if len(parameters) > PARAMETERS_MAX:
        raise InvalidInput(field="parameters", reason=f"at most {PARAMETERS_MAX} properties")
    names = [name for name, _ in parameters]
    if len(set(names)) != len(names):
        raise InvalidInput(field="parameters", reason="a property is named twice")
    unknown = sorted(set(names) - {PARAMETER_TARIFF})
    if unknown:
        raise InvalidInput(field="parameters", reason=f"unknown property {unknown[0]!r}")
    return dict(parameters).get(PARAMETER_TARIFF, DEFAULT_TARIFF)


def split_minor(total_minor: int, percentages: Sequence[int]) -> list[int]:
    """Each payer's share of ``total_minor``: whole percent, rounded down, the remainder to the
    first payer (docs/idl-mapping.md). Every share must come to at least one minor unit."""
    shares = [total_minor * p // PERCENT_TOTAL for p in percentages]
    shares[0] += total_minor - sum(shares)
    if min(shares) <= 0:
        raise InvalidAmount(amount=str(total_minor), reason="too small to split this way")
    return shares


class PaymentService:
    def __init__(
        self, ledger: Ledger, tariffs: TariffStore, directory: end_user.Directory | None = None
    ) -> None:
        self.ledger = ledger
        self.tariffs = tariffs
        self.directory = directory or end_user.Directory(ledger)

    # -- helpers -------------------------------------------------------------------------------
    def _target(self, end_user_identifier: str, currency: str | None = None) -> tuple[str, str]:
        """(account number, the request's currency or else the account's)."""
        return self.directory.target(end_user_identifier, currency)

    def _reservation(self, app_id: str, reservation_id: str) -> ReservationInfo:
        return self.ledger.reservation(app_id, reservation_id)

    def _price(self, currency: str, volume: int, parameters: Parameters) -> Price:
        name = tariff_of(parameters)
        _tariff, amount = self.tariffs.price(name, currency, volume)
        return Price(amount, currency, name)

    # -- AmountCharging --------------------------------------------------------------------------
    def charge_amount(
        self,
        app_id: str,
        end_user_identifier: str,
        charge: ChargingInformation,
        reference_code: str,
    ) -> TransactionResult:
        target = self._target(end_user_identifier, charge.currency)
        return self.ledger.charge(
            app_id=app_id, reference_code=reference_code, **_money_of(target, charge)
        )

    async def charge_amount_async(
        self,
        app_id: str,
        end_user_identifier: str,
        charge: ChargingInformation,
        reference_code: str,
        blocking: Blocking,
        attachment: Attachment | None = None,
    ) -> Any:
        """:meth:`charge_amount` from an event loop: no thread waits for the ledger's commit.
        ``blocking(fn, *args)`` runs a call that may read the ledger (an end user the directory
        has not seen yet) off the loop. ``attachment``: rows of the calling surface written in
        the charge's transaction (``charging.batch.attach``); its answer is returned."""
        target = self.directory.known_target(end_user_identifier, charge.currency)
        if target is None:
            target = await blocking(self._target, end_user_identifier, charge.currency)
        return await self.ledger.charge_async(
            app_id=app_id, reference_code=reference_code, attachment=attachment,
            **_money_of(target, charge),
        )  # fmt: skip

    def refund_amount(
        self,
        app_id: str,
        end_user_identifier: str,
        charge: ChargingInformation,
        reference_code: str,
    ) -> TransactionResult:
        target = self._target(end_user_identifier, charge.currency)
        return self.ledger.refund(
            app_id=app_id, reference_code=reference_code, **_money_of(target, charge)
        )

    def charge_split_amount(
        self,
        app_id: str,
        shares: Sequence[tuple[str, int]],
        charge: ChargingInformation,
        reference_code: str,
    ) -> list[TransactionResult]:
        """Charge one purchase to several end users by whole percentages, all or nothing."""
        if not shares:
            raise InvalidInput(field="endUserIdentifiers", reason="at least one end user")
        if len(shares) > SPLIT_SHARES_MAX:
            raise TooManyAddresses(part="endUserIdentifiers", maximum=SPLIT_SHARES_MAX)
        percentages = [p for _, p in shares]
        for p in percentages:
            if isinstance(p, bool) or not isinstance(p, int) or not 0 < p <= PERCENT_TOTAL:
                raise InvalidInput(field="percentage", reason="a whole percentage from 1 to 100")
        if sum(percentages) != PERCENT_TOTAL:
            raise InvalidInput(field="percentage", reason="the percentages must sum to 100")
        targets = [self._target(uri, charge.currency) for uri, _ in shares]
        currency = targets[0][1]
        amounts = split_minor(charge.amount_minor(currency), percentages)
        return self.ledger.charge_split(
            app_id=app_id,
            reference_code=reference_code,
            shares=[(number, m) for (number, _), m in zip(targets, amounts, strict=True)],
            currency=currency,
            description=charge.description,
            code=charge.code,
        )

    # -- ReserveAmountCharging ------------------------------------------------------------------
    def reserve_amount(
        self,
        app_id: str,
        end_user_identifier: str,
        charge: ChargingInformation,
        *,
        reference_code: str | None = None,
    ) -> str:
        """``reference_code`` makes a retry return the first reservation (Parlay X's
        reserveAmount has none; the CAMARA surface gives one)."""
        number, currency = self._target(end_user_identifier, charge.currency)
        return self.ledger.reserve(
            app_id=app_id,
            account=number,
            amount_minor=charge.amount_minor(currency),
            currency=currency,
            description=charge.description,
            code=charge.code,
            reference_code=reference_code,
        )

    def reserve_additional_amount(
        self, app_id: str, reservation_id: str, charge: ChargingInformation
    ) -> ReservationInfo:
        currency = charge.currency or self._reservation(app_id, reservation_id).currency
        return self.ledger.reserve_additional(
            app_id=app_id,
            reservation_id=reservation_id,
            amount_minor=charge.amount_minor(currency),
            currency=currency,
            description=charge.description,
            code=charge.code,
        )

    def charge_reservation(
        self, app_id: str, reservation_id: str, charge: ChargingInformation, reference_code: str
    ) -> TransactionResult:
        currency = charge.currency or self._reservation(app_id, reservation_id).currency
        return self.ledger.charge_reservation(
            app_id=app_id,
            reference_code=reference_code,
            reservation_id=reservation_id,
            amount_minor=charge.amount_minor(currency),
            currency=currency,
            description=charge.description,
            code=charge.code,
        )

    def release_reservation(self, app_id: str, reservation_id: str) -> ReservationInfo:
        return self.ledger.release_reservation(app_id, reservation_id)

    # -- VolumeCharging and ReserveVolumeCharging ----------------------------------------------
    def get_amount(
        self, app_id: str, end_user_identifier: str, volume: int, parameters: Parameters
    ) -> Price:
        """What ``volume`` would cost the end user now, in the account's currency."""
        _number, currency = self._target(end_user_identifier)
        return self._price(currency, volume, parameters)

    def charge_volume(
        self,
        app_id: str,
        end_user_identifier: str,
        volume: int,
        billing_text: str,
        reference_code: str,
        parameters: Parameters,
    ) -> TransactionResult:
        return self._move_volume(
            self.ledger.charge, app_id, end_user_identifier, volume, billing_text,
            reference_code, parameters,
        )  # fmt: skip

    def refund_volume(
        self,
        app_id: str,
        end_user_identifier: str,
        volume: int,
        billing_text: str,
        reference_code: str,
        parameters: Parameters,
    ) -> TransactionResult:
        return self._move_volume(
            self.ledger.refund, app_id, end_user_identifier, volume, billing_text,
            reference_code, parameters,
        )  # fmt: skip

    def _move_volume(
        self,
        move: Callable[..., TransactionResult],
        app_id: str,
        end_user_identifier: str,
        volume: int,
        billing_text: str,
        reference_code: str,
        parameters: Parameters,
    ) -> TransactionResult:
        """Price ``volume`` by the tariff, then charge or refund it; the idempotency hash covers
        the volume and tariff, so a retry after a tariff change returns the first outcome."""
        number, currency = self._target(end_user_identifier)
        price = self._price(currency, volume, parameters)
        return move(
            app_id=app_id,
            reference_code=reference_code,
            account=number,
            amount_minor=price.amount_minor,
            currency=price.currency,
            description=billing_text,
            code=price.tariff,
            request_content=_volume_content(volume, billing_text, price.tariff),
        )

    def reserve_volume(
        self,
        app_id: str,
        end_user_identifier: str,
        volume: int,
        billing_text: str,
        parameters: Parameters,
    ) -> str:
        number, currency = self._target(end_user_identifier)
        price = self._price(currency, volume, parameters)
        return self.ledger.reserve(
            app_id=app_id,
            account=number,
            amount_minor=price.amount_minor,
            currency=price.currency,
            description=billing_text,
            code=price.tariff,
        )

    def reserve_additional_volume(
        self,
        app_id: str,
        reservation_id: str,
        volume: int,
        billing_text: str,
        parameters: Parameters,
    ) -> ReservationInfo:
        currency = self._reservation(app_id, reservation_id).currency
        price = self._price(currency, volume, parameters)
        return self.ledger.reserve_additional(
            app_id=app_id,
            reservation_id=reservation_id,
            amount_minor=price.amount_minor,
            currency=currency,
            description=billing_text,
            code=price.tariff,
        )

    def charge_reservation_volume(
        self,
        app_id: str,
        reservation_id: str,
        volume: int,
        billing_text: str,
        reference_code: str,
        parameters: Parameters,
    ) -> TransactionResult:
        currency = self._reservation(app_id, reservation_id).currency
        price = self._price(currency, volume, parameters)
        return self.ledger.charge_reservation(
            app_id=app_id,
            reference_code=reference_code,
            reservation_id=reservation_id,
            amount_minor=price.amount_minor,
            currency=currency,
            description=billing_text,
            code=price.tariff,
            request_content=_volume_content(volume, billing_text, price.tariff),
        )


def _money_of(target: tuple[str, str], charge: ChargingInformation) -> dict[str, Any]:
    """The ledger's keyword arguments account, amount_minor, currency, description and code for
    ``charge`` on the end user ``target`` = (account number, currency)."""
    number, currency = target
    return {
        "account": number,
        "amount_minor": charge.amount_minor(currency),
        "currency": currency,
        "description": charge.description,
        "code": charge.code,
    }


def _volume_content(volume: int, billing_text: str, tariff: str) -> dict[str, object]:
    """What a volume request's idempotency covers: the volume, not its price, so that a retry
    after the operator changed the tariff returns the first outcome."""
    return {"volume": volume, "billing_text": billing_text, "tariff": tariff}
