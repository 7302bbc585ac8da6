"""What a test purpose works with: the IUT's framework and SCFs, the test accounts, the clean-up.

One :class:`Context` per run. The main access session and the SCF managers (or service tokens)
are opened on first use and shared by the purposes; a purpose that needs a session of its own
opens it with :meth:`Context.open_access`, and the context ends it when the purpose ends. If a
shared step fails (no handshake, no agreement) every purpose that needs it is inconclusive,
with the reason: the framework purposes show what failed.

Over ``camara`` (an ``https://`` endpoint: a CAMARA Carrier Billing surface) there is no
framework: :attr:`Context.camara` is the application's client of the surface (its token by
private_key_jwt), every answer checked against the served document, and what a purpose paid is
cancelled or refunded when it ends (:class:`~apps.interop.camara_api.Undo`).
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.interop import chap, money
from apps.interop.corba_framework import Credentials, HandshakeError
from apps.interop.effects import Effects
from apps.interop.faces import Charge
from apps.interop.model import Inconclusive
from apps.interop.profile import SMALL_MINOR, AccountStatus, Profile, TestAccount, classify
from apps.interop.refusals import Refusal
from apps.interop.tracked import TrackedAccount, TrackedPayment, TrackedSms

SERVICE_OF = {"pay": "P_PAYMENT", "am": "P_ACCOUNT_MANAGEMENT", "sms": "P_SMS"}
SUITE_SERVICE = {"payment": "P_PAYMENT", "account": "P_ACCOUNT_MANAGEMENT", "sms": "P_SMS"}


@dataclass
class Options:
    transport: str  # corba | grpc | camara
    endpoint: str
    creds: Credentials
    profile: Profile = field(default_factory=Profile)
    ca_file: str | None = None
    callback_host: str = "127.0.0.1"
    wait_s: float = 20.0  # how long to wait for a callback, a receipt or an MO message
    suites: tuple[str, ...] = ("framework", "payment", "account", "sms")


class Context:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.transport = options.transport
        self.creds = options.creds
        self.profile = options.profile
        self.wait_s = options.wait_s
        self.run_id = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self.notes: list[str] = []
        self.effects = Effects()
        self._sessions: dict[str, Any] = {}
        self._failed: dict[str, str] = {}
        self._faces: dict[tuple[str, str], Any] = {}
        self._owned: list[Any] = []  # sessions and handshakes a purpose opened
        self._classified = False
        self.redeemed: Any = None  # the voucher AM/VOU/BV-01 redeemed
        self._apis: dict[str, Any] = {}  # CAMARA: each application's client
        self.surface: Any = None  # CAMARA: the served document and the token endpoint
        self.undo: Any = None
        self.fw: Any = None
        if self.corba:
            from apps.interop.corba_framework import CorbaFramework
            from apps.interop.corba_orb import world

            self.world = world(options.callback_host)
            self.fw = CorbaFramework(self.world, options.endpoint)
        elif self.transport == "grpc":
            from apps.interop.grpc_framework import GrpcFramework

            self.fw = GrpcFramework(options.endpoint, options.ca_file)
        else:
            from apps.interop.camara_api import Undo, verify_of

            self.verify = verify_of(options.ca_file)
            self.undo = Undo()

    def check_reachable(self, timeout_s: float = 10.0) -> str:
        """ "" when the IUT's entry point answers, else why not (before any purpose runs)."""
        if self.transport == "camara":
            from apps.interop.camara_api import discover
            from apps.interop.openapi_check import OpenApiCheck

            try:
                self.surface = discover(self.options.endpoint, self.verify)
                self.openapi = OpenApiCheck(self.surface.document)
            except Exception as exc:  # unreachable, no document, no token endpoint
                return f"cannot use the CAMARA surface at {self.options.endpoint}: {exc}"
            return ""
        if self.corba:
            try:
                self.fw.initial()
                return ""
            except Exception as exc:  # an unreadable file, a dead endpoint, not an IpInitial
                return f"cannot reach IpInitial at {self.options.endpoint}: {exc}"
        import grpc

        try:
            grpc.channel_ready_future(self.fw.channel).result(timeout=timeout_s)
        except grpc.FutureTimeoutError:
            return f"cannot reach the gRPC endpoint {self.options.endpoint} in {timeout_s:.0f} s"
        return ""

    @property
    def corba(self) -> bool:
        return self.transport == "corba"

    # -- small things a purpose needs -----------------------------------------------------------
    def ref(self, label: str = "") -> str:
        """A referenceCode (or correlator) unique to this run."""
        return f"iop-{self.run_id}-{next(self._counter)}{'-' + label if label else ''}"

    def word(self) -> str:
        """A one-word SMS criteria unique to this run (letters and digits)."""
        return f"IOP{self.run_id.upper()}{next(self._counter)}"

    def note(self, text: str) -> None:
        self.notes.append(text)

    def own(self, thing: Any) -> Any:
        """End this session (or abort this handshake) when the purpose ends."""
        self._owned.append(thing)
        return thing

    # -- CAMARA Carrier Billing ---------------------------------------------------------------
    def camara_api(self, who: str = "main", token: str | None = None) -> Any:
        """The application's client of the surface (``who``: main, peer); ``token`` "" for a
        client that sends no token (a fresh client each time one is given)."""
        from apps.interop.camara_api import CamaraApi

        if self.surface is None:
            raise Inconclusive("no CAMARA surface: the endpoint is not an https:// one")
        creds = self.creds if who == "main" else self.peer_creds(who)
        if token is not None:
            return self.own(_Closing(CamaraApi(self.surface, creds.app_id, creds.key,
                                               self.openapi, self.verify, token)))  # fmt: skip
        if who not in self._apis:
            self._apis[who] = CamaraApi(self.surface, creds.app_id, creds.key, self.openapi,
                                        self.verify)  # fmt: skip
        return self._apis[who]

    @property
    def camara(self) -> Any:
        return self.camara_api()

    # -- the framework --------------------------------------------------------------------------
    def peer_creds(self, who: str = "peer") -> Credentials:
        """The credentials of the profile's ``[peer]`` (or ``[restricted]``) application."""
        peer = getattr(self.profile, who)
        if peer is None:
            raise Inconclusive(f"no {who} application in the profile ([{who}])")
        key = chap.load_private_key(peer.private_key_pem)
        return Credentials(peer.app_id, peer.secret, key, framework_keys=self.creds.framework_keys)

    def open_access(self, creds: Credentials | None = None, **kw: Any) -> Any:
        """A fresh access session of the purpose's own (ended with the purpose). When the main
        application's handshake already failed, it is not tried again (each failure counts
        toward the application's lock-out)."""
        if creds is None and "main" in self._failed:
            raise Inconclusive(self._failed["main"])
        try:
            return self.own(self.fw.open_access(creds or self.creds, **kw))
        except (Refusal, HandshakeError) as exc:
            if creds is None and not kw:  # the plain handshake of the main application
                self._failed["main"] = f"the handshake failed: {exc}"
            raise

    def session(self, who: str = "main") -> Any:
        """The run's shared access session of the main (or peer) application."""
        if self.fw is None:
            raise Inconclusive("the CAMARA surface has no framework (no access session)")
        if who in self._failed:
            raise Inconclusive(f"no access session: {self._failed[who]}")
        if who not in self._sessions:
            try:
                creds = self.creds if who == "main" else self.peer_creds(who)
                self._sessions[who] = self.fw.open_access(creds)
            except (Refusal, HandshakeError) as exc:
                self._failed[who] = f"the handshake failed: {exc}"
                raise Inconclusive(self._failed[who]) from None
        return self._sessions[who]

    def reset_sessions(self) -> None:
        """End the shared sessions (their managers go with them); they reopen on next use."""
        for session in self._sessions.values():
            with contextlib.suppress(Exception):
                session.terminate()
        self._sessions.clear()
        self._faces.clear()

    def raw_face(self, who: str, service_type: str) -> Any:
        key = (who, service_type)
        if key in self._failed:
            raise Inconclusive(self._failed[key])  # type: ignore[index]
        if key not in self._faces:
            session = self.session(who)
            try:
                agreement = session.agreement(service_type)
            except (Refusal, HandshakeError) as exc:
                self._failed[key] = f"no {service_type} agreement: {exc}"  # type: ignore[index]
                raise Inconclusive(self._failed[key]) from None  # type: ignore[index]
            self._faces[key] = self._make_face(service_type, agreement.manager)
        return self._faces[key]

    def _make_face(self, service_type: str, manager: Any) -> Any:
        if self.corba:
            from apps.interop import corba_scf as scf

            corba: dict[str, Any] = {"P_PAYMENT": scf.CorbaPayment,
                                     "P_ACCOUNT_MANAGEMENT": scf.CorbaAccount, "P_SMS": scf.CorbaSms}  # fmt: skip
            return corba[service_type](self.world, manager)
        from apps.interop import grpc_scf as g

        grpc: dict[str, Any] = {"P_PAYMENT": g.GrpcPayment, "P_ACCOUNT_MANAGEMENT": g.GrpcAccount,
                                "P_SMS": g.GrpcSms}  # fmt: skip
        return grpc[service_type](self.fw.channel, manager)

    def face(self, service_type: str, who: str = "main") -> Any:
        raw = self.raw_face(who, service_type)
        if service_type == "P_PAYMENT":
            return TrackedPayment(raw, self.effects, who)
        if service_type == "P_ACCOUNT_MANAGEMENT":
            return TrackedAccount(raw, self.effects, who)
        return TrackedSms(raw, self.effects, who, self.profile.sms.get("billing_account", ""))

    @property
    def pay(self) -> Any:
        return self.face("P_PAYMENT")

    @property
    def am(self) -> Any:
        return self.face("P_ACCOUNT_MANAGEMENT")

    @property
    def sms(self) -> Any:
        return self.face("P_SMS")

    def service_types_under_test(self) -> list[str]:
        """The SCF service types of the run's suites (all three when only the framework runs)."""
        wanted = [SUITE_SERVICE[s] for s in self.options.suites if s in SUITE_SERVICE]
        return wanted or list(SUITE_SERVICE.values())

    def first_service_type(self) -> str:
        return self.service_types_under_test()[0]

    def peer(self, short: str) -> Any:
        return self.face(SERVICE_OF[short], "peer")

    # -- test accounts --------------------------------------------------------------------------
    def classify_accounts(self) -> None:
        """Tell each test account's roles from getAccountStatus (once per run)."""
        if self._classified:
            return
        self._classified = True
        try:
            am = self.raw_face("main", "P_ACCOUNT_MANAGEMENT")
        except Inconclusive as exc:
            self.note(f"test accounts not classified: {exc}")
            return
        for account in self.profile.accounts:
            try:
                account.status = am.getAccountStatus(account.address, "")
            except Refusal as refusal:
                self.note(f"getAccountStatus({account.address}) refused: {refusal.describe()}")
                continue
            small = money.unit(account.status.currency or "XXX") * SMALL_MINOR
            account.derived = classify(account, account.status, small)

    def framework_keys_for(self, algorithm: str) -> list[Any]:
        """The framework public keys given that verify ``algorithm``; inconclusive without one
        (an Ed25519 application gets Ed25519 signatures: the RSA key cannot check them)."""
        keys = chap.keys_for(algorithm, self.creds.framework_keys)
        if not keys:
            given = "none is" if self.creds.framework_keys else "no framework public key is"
            raise Inconclusive(
                f"{given} for {algorithm}: give the framework's {algorithm} key with "
                f"--framework-key or profile [framework] public_keys (micropay: micropay "
                f"framework public-key --algorithm {algorithm})"
            )
        return keys

    def accounts(self, role: str, exclude: tuple[TestAccount, ...] = ()) -> list[TestAccount]:
        self.classify_accounts()
        return [a for a in self.profile.accounts if role in a.all_roles and a not in exclude]

    def account(
        self, role: str, exclude: tuple[TestAccount, ...] = (), why: str = ""
    ) -> TestAccount:
        found = self.accounts(role, exclude)
        if not found:
            extra = f" ({why})" if why else ""
            raise Inconclusive(f"no test account with role '{role}'{extra}")
        return found[0]

    def status(self, account: TestAccount) -> AccountStatus:
        return self.raw_face("main", "P_ACCOUNT_MANAGEMENT").getAccountStatus(account.address, "")

    def currency(self, account: TestAccount) -> str:
        if account.currency:
            return account.currency
        raise Inconclusive(f"the currency of {account.address} is unknown (no getAccountStatus)")

    def small(self, account: TestAccount, times: int = 1) -> Decimal:
        return money.unit(self.currency(account)) * SMALL_MINOR * times

    def charge(self, account: TestAccount, amount: Decimal | str, what: str = "interop") -> Charge:
        currency = self.currency(account)
        text = amount if isinstance(amount, str) else money.text(amount, currency)
        return Charge(f"{what} ({self.run_id})", currency, text)

    def balance(self, account: TestAccount) -> Decimal:
        found = self.raw_face("main", "P_ACCOUNT_MANAGEMENT").getBalance(account.address, "")
        assert found, f"getBalance({account.address}) returned no Balance"
        return found[0][1]

    def try_balance(self, account: TestAccount) -> Decimal | None:
        """The balance, or None when Account Management is not offered to the application."""
        try:
            return self.balance(account)
        except Inconclusive:
            return None

    def delta(self, account: TestAccount, action: Callable[[], Any]) -> Decimal:
        """How much ``action`` moved the account's reported balance."""
        before = self.balance(account)
        action()
        return self.balance(account) - before

    # -- end of a purpose and of the run --------------------------------------------------------
    def finish_purpose(self) -> list[str]:
        """Undo the purpose's money movements; end the sessions it opened."""
        try:
            done = self.effects.compensate(lambda who, t: self.raw_face(who, t), self.ref)
        except Inconclusive as exc:
            done = [f"FAILED clean-up: {exc}"]
            self.effects = Effects()
        if self.undo is not None:
            done += self.undo.run(self.ref)
        for thing in reversed(self._owned):
            try:
                if hasattr(thing, "terminate"):
                    thing.terminate()
                elif hasattr(thing, "abort"):
                    thing.abort()
            except Exception:
                pass
        self._owned.clear()
        return done

    def close(self) -> None:
        for session in self._sessions.values():
            with contextlib.suppress(Exception):
                session.terminate()
        self._sessions.clear()
        for api in self._apis.values():
            api.close()
        if self.transport == "grpc":
            self.fw.close()


class _Closing:
    """A purpose's own CAMARA client, closed when the purpose ends (``Context.own``)."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def __getattr__(self, name: str) -> Any:
        return getattr(self.api, name)

    def terminate(self) -> None:
        self.api.close()
