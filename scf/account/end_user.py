"""Which account an ``endUserIdentifier`` names, for the Payment and Account Management SCFs.

Two forms are accepted (docs/payment-and-account.md, "End users"):

- ``tel:`` URIs (global ``tel:+8210...`` or national ``tel:010...``, parsed and normalised by
  :func:`scf.common.address.parse_end_user`): the subscriber's open account, looked up through
  the ledger's MSISDN index. This is the Parlay X form.
- ``acct:NUMBER``: the micro-payment account NUMBER itself, the number the user typed into the
  shop. Parlay X Part 1 §5.1 allows aliased addresses as generic ``<scheme>:<...>`` URIs; this is
  micropay's alias scheme. The scheme is case-insensitive, the number is not.

Anything else is ``InvalidAddress`` (SVC0002 naming the message part); a well-formed address
without an account is ``UnregisteredAccount`` (POL1009).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from charging import validate
from charging.errors import InvalidAddress, InvalidInput
from charging.ledger import Ledger
from charging.model import Account, Status
from scf.common.address import ADDRESS_CHARS_MAX, parse_end_user

ACCOUNT_SCHEME = "acct"
END_USER_PART = "endUserIdentifier"
DIRECTORY_TTL_MS = 5000  # how long a tel: URI's account is remembered
DIRECTORY_ENTRIES_MAX = 100_000  # remembered end users at most (then forgotten at once)


@dataclass(frozen=True)
class EndUser:
    """A parsed end user: exactly one of ``msisdn`` (a canonical tel: URI) and ``number``."""

    msisdn: str | None = None
    number: str | None = None

    @property
    def uri(self) -> str:
        """The canonical form: ``tel:+821012345678`` or ``acct:1001``."""
        return self.msisdn if self.msisdn is not None else f"{ACCOUNT_SCHEME}:{self.number}"

    def names(self, account: str, msisdn: str) -> bool:
        """Whether this end user is the account ``account`` with MSISDN ``msisdn``."""
        return self.number == account if self.msisdn is None else self.msisdn == msisdn


PARSED_MAX = 65_536  # end-user texts whose parse is remembered (a charge parses its end user)


def parse(text: object, *, part: str = END_USER_PART) -> EndUser:
    """An end user's address, checked and normalised (no database). A text seen before is not
    parsed again: E.164 parsing costs tens of microseconds, as much as the rest of a charge."""
    if type(text) is str:
        return _parse_text(text, part)
    return _parse(text, part=part)


@functools.lru_cache(maxsize=PARSED_MAX)
def _parse_text(text: str, part: str) -> EndUser:
    return _parse(text, part=part)  # a refusal raises and is not remembered


def _parse(text: object, *, part: str) -> EndUser:
    if isinstance(text, str) and len(text) <= ADDRESS_CHARS_MAX:
        scheme, colon, rest = text.strip().partition(":")
        if colon and scheme.lower() == ACCOUNT_SCHEME:
            try:
                return EndUser(number=validate.account_number(rest))
            except InvalidInput:
                raise InvalidAddress(part=part, address=text) from None
    return EndUser(msisdn=parse_end_user(text, part=part).uri)


def resolve(ledger: Ledger, end_user: EndUser) -> Account:
    """The account ``end_user`` names (UnregisteredAccount when there is none)."""
    if end_user.number is not None:
        return ledger.get_account(end_user.number)
    assert end_user.msisdn is not None
    return ledger.account_for_msisdn(end_user.msisdn)


def account_of(ledger: Ledger, text: object, *, part: str = END_USER_PART) -> Account:
    """Parse and resolve in one step."""
    return resolve(ledger, parse(text, part=part))


class Directory:
    """Who an end user is, for the hot path of Payment: (account number, account currency).

    A charge needs the account number (the ledger's key) and, when the request names no
    currency, the account's currency. Both are read once and kept: an account's number and
    currency never change, so ``acct:`` answers are kept as long as there is room; a ``tel:``
    answer is kept ``ttl_ms`` milliseconds, because an MSISDN can move to a new account after its old
    one is closed (within that window a charge may then be refused as AccountClosed -- never
    booked to the wrong account). Closed accounts and unknown end users are never kept. The
    ledger still checks everything about the account inside the charge itself.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        ttl_ms: int = DIRECTORY_TTL_MS,
        entries_max: int = DIRECTORY_ENTRIES_MAX,
        clock: Callable[[], int] = lambda: time.monotonic_ns() // 1_000_000,
    ) -> None:
        self.ledger = ledger
        self.ttl_ms = ttl_ms
        self.entries_max = entries_max
        self._clock = clock
        self._by_msisdn: dict[str, tuple[str, str, int]] = {}
        self._currency: dict[str, str] = {}
        self._lock = threading.Lock()

    def known_target(self, text: object, currency: str | None = None) -> tuple[str, str] | None:
        """:meth:`target` when the answer is remembered, else None -- without reading the
        ledger, so an event loop may ask."""
        who = parse(text)
        if who.number is not None:
            known = currency or self._currency.get(who.number)
            return None if known is None else (who.number, known)
        hit = self._by_msisdn.get(who.msisdn or "")
        if hit is not None and hit[2] > self._clock():
            return hit[0], currency or hit[1]
        return None

    def target(self, text: object, currency: str | None = None) -> tuple[str, str]:
        """(account number, ``currency`` or else the account's currency) of an end user."""
        who = parse(text)
        if who.number is not None:
            if currency is not None:
                return who.number, currency  # the charge itself checks the account
            known = self._currency.get(who.number)
            if known is None:
                known = self._remember(self.ledger.get_account(who.number))
            return who.number, known
        assert who.msisdn is not None
        hit = self._by_msisdn.get(who.msisdn)
        if hit is not None and hit[2] > self._clock():
            return hit[0], currency or hit[1]
        account = self.ledger.account_for_msisdn(who.msisdn)
        account_currency = self._remember(account, who.msisdn)
        return account.number, currency or account_currency

    def _remember(self, account: Account, msisdn: str | None = None) -> str:
        if account.status is Status.CLOSED:
            return account.currency
        with self._lock:
            if len(self._currency) + len(self._by_msisdn) >= self.entries_max:
                self._currency.clear()
                self._by_msisdn.clear()
            self._currency[account.number] = account.currency
            if msisdn is not None:
                expires = self._clock() + self.ttl_ms
                self._by_msisdn[msisdn] = (account.number, account.currency, expires)
        return account.currency
