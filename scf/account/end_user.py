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

from dataclasses import dataclass

from charging import validate
from charging.errors import InvalidAddress, InvalidInput
from charging.ledger import Ledger
from charging.model import Account
from scf.common.address import ADDRESS_CHARS_MAX, parse_end_user

ACCOUNT_SCHEME = "acct"
END_USER_PART = "endUserIdentifier"


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


def parse(text: object, *, part: str = END_USER_PART) -> EndUser:
    """An end user's address, checked and normalised (no database)."""
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
