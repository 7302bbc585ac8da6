"""Double entry: every movement of money debits one account and credits another.

Each kind of movement has a fixed source (the account that pays: its posting is negative) and a
fixed destination (the account paid: positive), in one currency and the same amount, so for each
currency the ledger sums to zero after every transaction. Besides the subscribers' accounts the
ledger keeps the operator's own (:class:`~charging.model.SystemKind`), named here:

======================  =========================================  ===========================
movement                source (debited)                            destination (credited)
======================  =========================================  ===========================
opening                 funding:CUR                                 the subscriber
charge                  the subscriber                              settlement:APP:CUR
reservation_charge      the subscriber                              settlement:APP:CUR
refund                  settlement:APP:CUR                          the subscriber
recharge                float:APP:CUR (the operator: funding:CUR)   the subscriber
voucher                 voucher_liability:CUR                       the subscriber
float_funding           funding:CUR                                 float:APP:CUR
voucher_issue           voucher_issuance:CUR                        voucher_liability:CUR
======================  =========================================  ===========================

A postpaid account is the subscriber's bill: a payment debits it (its balance is minus what is
owed), so the month's bill is the month's debits less its refunds. Only funding, voucher issuance
and postpaid accounts go below zero; a float never does (``charging.checks``), a prepaid account
never below what it holds in reservations.

System account numbers contain ``:``, which a subscriber's account number never does
(``charging.validate.account_number``), so the two can never be confused.
"""

from __future__ import annotations

from charging.model import EntryKind, Kind, SystemKind

OPERATOR_APP_ID = "operator"  # the operator's own top-ups and float funding are recorded as this

SUBSCRIBER = "subscriber"  # either subscriber kind, in the table below
Role = str  # SUBSCRIBER or a SystemKind value

# kind -> (source roles, destination role)
MOVEMENTS: dict[EntryKind, tuple[frozenset[Role], Role]] = {
    EntryKind.OPENING: (frozenset({SystemKind.FUNDING}), SUBSCRIBER),
    EntryKind.CHARGE: (frozenset({SUBSCRIBER}), SystemKind.SETTLEMENT),
    EntryKind.RESERVATION_CHARGE: (frozenset({SUBSCRIBER}), SystemKind.SETTLEMENT),
    EntryKind.REFUND: (frozenset({SystemKind.SETTLEMENT}), SUBSCRIBER),
    EntryKind.RECHARGE: (frozenset({SystemKind.FLOAT, SystemKind.FUNDING}), SUBSCRIBER),
    EntryKind.VOUCHER: (frozenset({SystemKind.VOUCHER_LIABILITY}), SUBSCRIBER),
    EntryKind.FLOAT_FUNDING: (frozenset({SystemKind.FUNDING}), SystemKind.FLOAT),
    EntryKind.VOUCHER_ISSUE: (
        frozenset({SystemKind.VOUCHER_ISSUANCE}),
        SystemKind.VOUCHER_LIABILITY,
    ),
}

SUBSCRIBER_KINDS = frozenset(Kind)


def role(kind: Kind | SystemKind | str) -> Role:
    """The role an account of ``kind`` plays in :data:`MOVEMENTS`."""
    return SUBSCRIBER if kind in SUBSCRIBER_KINDS else SystemKind(kind).value


def settlement(app_id: str, currency: str) -> str:
    return f"{SystemKind.SETTLEMENT}:{app_id}:{currency}"


def float_of(app_id: str, currency: str) -> str:
    return f"{SystemKind.FLOAT}:{app_id}:{currency}"


def funding(currency: str) -> str:
    return f"{SystemKind.FUNDING}:{currency}"


def voucher_issuance(currency: str) -> str:
    return f"{SystemKind.VOUCHER_ISSUANCE}:{currency}"


def voucher_liability(currency: str) -> str:
    return f"{SystemKind.VOUCHER_LIABILITY}:{currency}"


def recharge_source(app_id: str, currency: str) -> str:
    """Where a recharge by ``app_id`` is paid from: its float; the operator's from funding."""
    return funding(currency) if app_id == OPERATOR_APP_ID else float_of(app_id, currency)


def system_kind_of(number: str) -> SystemKind:
    """The kind of a system account from its number (``settlement:shop:KRW`` -> SETTLEMENT)."""
    return SystemKind(number.split(":", 1)[0])


def app_of(number: str) -> str | None:
    """The application of a settlement or float account number; None for the others."""
    kind, _, rest = number.partition(":")
    if kind in (SystemKind.SETTLEMENT, SystemKind.FLOAT):
        return rest.rsplit(":", 1)[0]
    return None
