"""The operator's test profile: which accounts the harness may touch, and what else it may use.

Destructive purposes (charges, reservations, recharges, PIN lock-outs) run only against accounts
the operator names for testing, with ``--test-account ADDRESS[,pin=PIN][,role=ROLE][,kind=KIND]``
(repeatable) or in a TOML profile (``--profile FILE``)::

    [[account]]
    address = "acct:IOP-1"        # or tel:+821012345678
    pin = "4321"                  # optional: the end user's PIN
    roles = ["lockable"]          # optional: what the harness cannot tell by itself
    kind = "postpaid"             # optional; default prepaid
    currency = "KRW"              # optional: where getAccountStatus cannot tell (CAMARA)

    [[voucher]]                   # issued vouchers voucherUpdate may redeem (one each)
    id = "V-1"
    pin = "123456"

    [sms]
    recipients = ["tel:+821012345678"]   # handsets sendSms may write to
    billing_account = "acct:B-1"         # sendSms charging is billed there
    charge_amount = "10"
    activation_number = "short:1555"    # for startSmsNotification
    registration = "REG-1"               # an off-line registration for getReceivedSms ...
    registration_number = "short:1555"  # ... its activation number
    registration_criteria = "POLL"       # ... and criteria
    mo_command = ["micropay", "sms", "mo", "{from}", "{to}", "{text}"]   # injects an MO SMS
    inbox_command = ["micropay", "--json", "sms", "inbox", "{to}"]      # what a handset received

    [peer]                                # a second application, for isolation purposes
    app_id = "interop-peer"
    secret_file = "peer.secret"
    private_key = "peer.pem"

    [framework]
    public_keys = ["framework.pem"]      # to verify the framework's signatures
    md5 = true                            # the application is allowed P_OSA_MD5
    access_sessions_max = 64              # the framework ends the oldest session past this

    [payment]
    volume_parameters = { tariff = "default" }

    [grants]                              # what the operator granted beyond payments
    recharge_cap = "1000000"              # the application's largest single balanceUpdate

    [restricted]                          # a third application: Account Management only,
    app_id = "interop-restricted"         # granted recharge with an empty top-up float,
    secret_file = "restricted.secret"     # not granted vouchers
    private_key = "restricted.pem"

Roles the harness tells by itself, from Account Management's getAccountStatus (when offered):
``unregistered``, ``suspended``, ``expired``, ``closed``, ``active``, ``funded`` (active with
room for small charges), ``limited`` (a per-transaction limit), ``monthly`` (a monthly limit that
binds before the balance), ``unlimited`` (no limit binds before the balance), ``low`` (a
low-balance threshold a charge can cross). From the profile: ``pinned`` (a PIN is given),
``lockable`` (its PIN may be locked by the PIN lock-out purpose), ``postpaid``, ``confirming``
(its subscriber confirms every payment with a one-time code sent by SMS). Over CAMARA, which has
no account status, every role comes from the profile (``funded``, ``confirming`` ...), and the
currency too. Relative paths are relative to the profile's folder.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

PROFILE_ROLES = ("pinned", "lockable", "postpaid", "unregistered", "suspended", "expired", "closed",
                 "active", "funded", "limited", "monthly", "unlimited", "low",
                 "confirming")  # fmt: skip
SMALL_MINOR = 10  # minor units of a "small" test charge
FUNDED_MINOR_MIN = 1000  # headroom an account needs to be used for small charges


class ProfileError(Exception):
    pass


@dataclass
class AccountStatus:
    """getAccountStatus (micropay extension) in neutral form; amounts None when they do not
    apply."""

    registered: bool
    state: str  # Active, Suspended, Expired, Closed, Unregistered
    currency: str = ""
    balance: Decimal | None = None
    monthly_limit: Decimal | None = None
    month_to_date_spend: Decimal | None = None
    remaining_headroom: Decimal | None = None
    transaction_limit: Decimal | None = None
    low_balance_threshold: Decimal | None = None
    valid_until: str = ""
    pin_required: bool | None = None  # None: the IUT does not say


@dataclass
class TestAccount:
    address: str
    pin: str = ""
    roles: set[str] = field(default_factory=set)  # declared by the operator
    kind: str = "prepaid"
    status: AccountStatus | None = None  # filled by classification
    derived: set[str] = field(default_factory=set)  # told by the harness
    declared_currency: str = ""  # from the profile, where no getAccountStatus tells it

    @property
    def all_roles(self) -> set[str]:
        return self.roles | self.derived

    @property
    def currency(self) -> str:
        if self.status and self.status.currency:
            return self.status.currency
        return self.declared_currency


@dataclass
class Voucher:
    id: str
    pin: str = ""


@dataclass
class Peer:
    app_id: str
    secret: bytes
    private_key_pem: bytes


@dataclass
class Profile:
    accounts: list[TestAccount] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)
    sms: dict[str, Any] = field(default_factory=dict)
    peer: Peer | None = None
    restricted: Peer | None = None  # [restricted]: granted recharge, empty float, no vouchers
    framework_keys: list[bytes] = field(default_factory=list)
    md5_allowed: bool = False
    access_sessions_max: int = 0  # the framework's per-application bound, when the operator says
    volume_parameters: dict[str, str] = field(default_factory=dict)
    grants: dict[str, Any] = field(default_factory=dict)  # [grants], as the operator states it

    def add_account(self, account: TestAccount) -> None:
        for known in self.accounts:
            if known.address == account.address:
                known.pin = account.pin or known.pin
                known.roles |= account.roles
                known.declared_currency = account.declared_currency or known.declared_currency
                if account.kind != "prepaid":
                    known.kind = account.kind
                return
        self.accounts.append(account)

    @property
    def recipients(self) -> list[str]:
        """Handsets sendSms may write to: the profile's, else the tel: test accounts."""
        named = list(self.sms.get("recipients", []))
        return named or [a.address for a in self.accounts if a.address.lower().startswith("tel:")]


def parse_test_account(text: str) -> TestAccount:
    """``ADDRESS[,pin=PIN][,role=ROLE]...[,kind=prepaid|postpaid][,currency=CUR]`` from
    ``--test-account``."""
    address, *options = [part.strip() for part in text.split(",")]
    if ":" not in address:
        raise ProfileError(f"--test-account {text!r}: the address must be acct:NUMBER or tel:...")
    account = TestAccount(address)
    for option in options:
        key, _, value = option.partition("=")
        if key == "pin":
            account.pin = value
        elif key == "role":
            account.roles.add(_role(value))
        elif key == "kind":
            account.kind = _kind(value)
        elif key == "currency":
            account.declared_currency = value.upper()
        else:
            raise ProfileError(f"--test-account {text!r}: unknown option {key!r}")
    if account.pin:
        account.roles.add("pinned")
    if account.kind == "postpaid":
        account.roles.add("postpaid")
    return account


def _role(value: str) -> str:
    if value not in PROFILE_ROLES:
        raise ProfileError(f"unknown role {value!r}; known: {', '.join(PROFILE_ROLES)}")
    return value


def _kind(value: str) -> str:
    if value not in ("prepaid", "postpaid"):
        raise ProfileError(f"unknown account kind {value!r} (prepaid or postpaid)")
    return value


def _read(base: Path, name: str) -> bytes:
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from None


def secret_from(data: bytes) -> bytes:
    """A secret file's content without one trailing newline (as the operator wrote it)."""
    data = data[:-1] if data.endswith(b"\n") else data
    return data[:-1] if data.endswith(b"\r") else data


def load_profile(path: str | Path, profile: Profile | None = None) -> Profile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read the profile {path}: {exc}") from None
    profile = profile or Profile()
    base = path.parent
    for item in data.get("account", []):
        if "address" not in item:
            raise ProfileError(f"{path}: an [[account]] needs an address")
        account = TestAccount(str(item["address"]), str(item.get("pin", "")))
        account.roles = {_role(r) for r in item.get("roles", [])}
        account.kind = _kind(str(item.get("kind", "prepaid")))
        account.declared_currency = str(item.get("currency", "")).upper()
        if account.pin:
            account.roles.add("pinned")
        if account.kind == "postpaid":
            account.roles.add("postpaid")
        profile.add_account(account)
    for item in data.get("voucher", []):
        profile.vouchers.append(Voucher(str(item["id"]), str(item.get("pin", ""))))
    profile.sms.update(data.get("sms", {}))
    for section in ("peer", "restricted"):
        if section in data:
            item = data[section]
            try:
                app = Peer(
                    str(item["app_id"]),
                    secret_from(_read(base, item["secret_file"])),
                    _read(base, item["private_key"]),
                )
            except KeyError as exc:
                raise ProfileError(f"{path}: [{section}] needs {exc.args[0]}") from None
            setattr(profile, section, app)
    framework = data.get("framework", {})
    profile.framework_keys += [_read(base, k) for k in framework.get("public_keys", [])]
    profile.md5_allowed = bool(framework.get("md5", profile.md5_allowed))
    profile.access_sessions_max = int(
        framework.get("access_sessions_max", profile.access_sessions_max)
    )
    profile.grants.update(data.get("grants", {}))
    payment = data.get("payment", {})
    profile.volume_parameters.update(
        {str(k): str(v) for k, v in payment.get("volume_parameters", {}).items()}
    )
    return profile


def classify(account: TestAccount, status: AccountStatus, small: Decimal) -> set[str]:
    """The roles an account's status shows (see the module's docstring)."""
    if not status.registered or status.state == "Unregistered":
        return {"unregistered"}
    if status.state != "Active":
        return {status.state.lower()}
    roles = {"active"}
    headroom = status.remaining_headroom if status.remaining_headroom is not None else Decimal(0)
    balance = status.balance if status.balance is not None else Decimal(0)
    if headroom >= small * (FUNDED_MINOR_MIN // SMALL_MINOR) and "postpaid" not in account.roles:
        roles.add("funded")
    if status.transaction_limit is not None:
        roles.add("limited")
    if status.monthly_limit is not None and status.month_to_date_spend is not None:
        over = status.monthly_limit - status.month_to_date_spend + small
        txn_ok = status.transaction_limit is None or over <= status.transaction_limit
        if txn_ok and over > 0:
            roles.add("monthly")
    if (
        status.transaction_limit is None
        and status.monthly_limit is None
        and "postpaid" not in account.roles
        and balance > 0
    ):
        roles.add("unlimited")
    if (
        status.low_balance_threshold is not None
        and balance > status.low_balance_threshold
        and balance - status.low_balance_threshold + small <= headroom
        and "postpaid" not in account.roles
    ):
        roles.add("low")
    return roles
