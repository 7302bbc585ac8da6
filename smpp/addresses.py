"""SMPP addresses (TON, NPI, digits) and how they map to the ``tel:``/``short:`` URIs micropay keys
everything by: one mapping for the ESME's senders, MO sources, MO destinations and receipts, and
for the embedded SMSC's handsets.

Towards the SMSC (:meth:`Addressing.to_smpp`, from a canonical URI):

- a number (``tel:+<E.164>``) goes out international, TON 1 / NPI 1 (ISDN), digits without the
  ``+``; digits the number plan did not know (``tel:<digits>``) go out TON 0 / NPI 1;
- a short code goes out as :class:`Addressing` says: TON 3 (network specific) / NPI 0 unless
  configured otherwise, for all short codes or per short code (``sms.short_code_ton``,
  ``sms.short_code_npi``, ``sms.short_code_overrides``);
- an alphanumeric sender name goes out TON 5 / NPI 0.

From the SMSC (:meth:`Addressing.to_uri`): TON 1 is international; TON 2 (national) and TON 0
(unknown) digits are read in the default region, unless TON 0 digits are a known short code (the
configured one, or one an application started a notification or a registration on), with or
without the region's country code in front; TON 3 and TON 6 (abbreviated) are short codes;
TON 5 is an alphanumeric name, kept as it is.

Numbers are read by the number plan, :mod:`charging.msisdn` (libphonenumber, the default
region), which imports nothing of micropay but :mod:`domain_errors`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import phonenumbers

from charging import msisdn

TON_UNKNOWN, TON_INTERNATIONAL, TON_NATIONAL, TON_NETWORK_SPECIFIC = 0, 1, 2, 3
TON_ALPHANUMERIC, TON_ABBREVIATED = 5, 6
NPI_UNKNOWN, NPI_ISDN = 0, 1
SHORT_CODE_TON_DEFAULT, SHORT_CODE_NPI_DEFAULT = TON_NETWORK_SPECIFIC, NPI_UNKNOWN
TON_MAX, NPI_MAX = 6, 18  # SMPP 3.4 §5.2.5-5.2.6


@dataclass(frozen=True)
class SmppAddress:
    digits: str
    ton: int
    npi: int

    @property
    def uri(self) -> str:
        """The URI as the default addressing reads it (:meth:`Addressing.to_uri`)."""
        return DEFAULT_ADDRESSING.to_uri(self.digits, self.ton)


def parse_ton_npi(text: str, what: str) -> tuple[int, int]:
    """``"3/0"`` -> (3, 0); ValueError naming ``what`` otherwise."""
    ton, sep, npi = text.strip().partition("/")
    if not sep or not ton.strip().isdigit() or not npi.strip().isdigit():
        raise ValueError(f"{what}: expected TON/NPI such as 3/0, got {text!r}")
    pair = int(ton), int(npi)
    if pair[0] > TON_MAX or pair[1] > NPI_MAX:
        raise ValueError(f"{what}: TON 0-{TON_MAX} and NPI 0-{NPI_MAX}, got {text!r}")
    return pair


def parse_overrides(text: str) -> dict[str, tuple[int, int]]:
    """``"1555=0/1, 7175=3/0"`` -> {"1555": (0, 1), "7175": (3, 0)} (short code digits)."""
    overrides: dict[str, tuple[int, int]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        code, sep, pair = (s.strip() for s in item.partition("="))
        code = code.removeprefix("short:")
        if not sep or not code.isdigit():
            raise ValueError(f"sms.short_code_overrides: expected CODE=TON/NPI, got {item!r}")
        overrides[code] = parse_ton_npi(pair, "sms.short_code_overrides")
    return overrides


@dataclass(frozen=True)
class Addressing:
    """How this gateway writes short codes to the SMSC and reads the SMSC's addresses."""

    short_code_ton: int = SHORT_CODE_TON_DEFAULT
    short_code_npi: int = SHORT_CODE_NPI_DEFAULT
    overrides: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def to_smpp(self, uri: str) -> SmppAddress:
        """A canonical URI (``tel:+...``, ``short:...``, or ``tel:<digits>`` as :meth:`to_uri`
        keeps digits it could not read) in SMPP form; anything else is an alphanumeric name.
        Nothing is checked: parsing what people send is the caller's job."""
        scheme, _, rest = uri.partition(":")
        scheme = scheme.lower()
        if scheme == "short" and rest.isdigit():
            ton, npi = self.overrides.get(rest, (self.short_code_ton, self.short_code_npi))
            return SmppAddress(rest, ton, npi)
        if scheme == "tel" and rest.startswith("+") and rest[1:].isdigit():
            return SmppAddress(rest[1:], TON_INTERNATIONAL, NPI_ISDN)
        if scheme == "tel" and rest.isdigit():
            return SmppAddress(rest, TON_UNKNOWN, NPI_ISDN)
        return SmppAddress(uri, TON_ALPHANUMERIC, NPI_UNKNOWN)

    def to_uri(self, digits: str, ton: int, short_codes: Collection[str] = ()) -> str:
        """The URI of an address the SMSC sent; ``short_codes`` are the known short codes'
        digits. A number that is no valid number keeps its digits (``tel:+`` for TON 1, else
        ``tel:``), so that nothing the SMSC sends is lost for want of a spelling."""
        if ton == TON_ALPHANUMERIC or not digits.isdigit():
            return digits
        if ton in (TON_NETWORK_SPECIFIC, TON_ABBREVIATED):
            return f"short:{digits}"
        if ton == TON_INTERNATIONAL:
            return f"tel:{msisdn.e164('+' + digits) or '+' + digits}"
        if ton == TON_UNKNOWN:
            code = _known_short_code(digits, short_codes)
            if code is not None:
                return f"short:{code}"
        national = msisdn.e164(digits)
        if national is None and ton == TON_UNKNOWN:
            national = msisdn.e164("+" + digits)
        return f"tel:{national or digits}"


def _known_short_code(digits: str, short_codes: Collection[str]) -> str | None:
    if digits in short_codes:
        return digits
    country = str(phonenumbers.country_code_for_region(msisdn.default_region()))
    rest = digits.removeprefix(country)
    return rest if rest != digits and rest in short_codes else None


DEFAULT_ADDRESSING = Addressing()


def from_smpp(digits: str, ton: int) -> str:
    """An SMPP address as a URI, with no short codes known (the embedded SMSC's reading)."""
    return DEFAULT_ADDRESSING.to_uri(digits, ton)


def to_smpp(address: str) -> SmppAddress:
    """The inverse of :func:`from_smpp` with the default addressing (it writes back what was
    read): ``tel:+`` international, ``tel:`` unknown, ``short:`` network specific, anything
    else an alphanumeric name."""
    return DEFAULT_ADDRESSING.to_smpp(address)
