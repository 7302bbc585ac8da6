"""Malformed requests through the real omniORB stubs, against a real gateway process.

Hypothesis draws the arguments of every operation of the Payment, Account Management and SMS
managers and of the framework's IpInitial, IpAccess, discovery and agreement interfaces (see
``fuzz_values.py``), and nil or garbage object references where the IDL takes one. What it
proves, for every call: the gateway answers -- no hang (every call is bounded by the ORB's call
timeout) and no crash -- with a result or a *standard* fault: a Parlay X ServiceException or
PolicyException with a well-formed messageId that is not SVC0001 (SVC0001 is "an unexpected
error": a bug), or an OSA framework exception declared in the IDL. Never a CORBA system
exception (UNKNOWN would be an exception escaping a servant; COMM_FAILURE a dying process). After
each operation's run the gateway still charges a valid request and reports ready.
"""

from __future__ import annotations

import functools
import re
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import omniORB
import org.csapi.fw as fw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omniORB import CORBA
from org.csapi.fw.fw_access import trust_and_security as ts
from org.csapi.parlayx import account_management as am
from org.csapi.parlayx import common, payment
from org__POA.csapi.parlayx import sms as sms__POA

from client.orb import client_orb
from tests.faults import fuzz_values as v
from tests.faults.harness import CorbaApp, Rig

EXAMPLES = 30
MESSAGE_ID = re.compile(r"(SVC|POL)\d{4}")

TEXT = v.text(nul=False)
URI = v.uri(nul=False)
DECIMAL = v.decimal_text(nul=False)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Rig, CorbaApp]]:
    rig = Rig(tmp_path_factory.mktemp("fuzz-corba"))
    try:
        rig.start_smsc()
        rig.open_accounts(1, 10**12)  # F00000, tel:+821000000000 (fuzz_values.VALID_TEL)
        rig.start()
        yield rig, rig.connect_corba()
    finally:
        rig.close()


class WrongInterface(sms__POA.SmsNotification):
    """A live object, but of an interface no operation here expects."""

    def notifySmsReception(self, correlator: str, message: Any) -> None:  # noqa: N802
        pass

    def notifySmsDeliveryReceipt(self, correlator: str, deliveryStatus: Any) -> None:  # noqa: N802, N803
        pass


@functools.cache
def references() -> st.SearchStrategy[Any]:
    """Nil, a reference to nothing (a dead port), and a live object of the wrong interface."""
    orb = client_orb()
    dead = orb.orb.string_to_object("corbaloc::127.0.0.1:1/Nothing")
    _oid, wrong = orb.activate(WrongInterface())
    return st.sampled_from([None, dead, wrong])


def standard(call: Callable[[], Any]) -> None:
    """Run one call; fail on anything but a result or a standard fault."""
    try:
        call()
    except (common.ServiceException, common.PolicyException) as exc:
        assert MESSAGE_ID.fullmatch(exc.messageId), exc.messageId
        assert exc.messageId != "SVC0001", f"an unexpected error in the gateway: {exc.text}"
    except CORBA.UserException as exc:
        assert type(exc).__module__.startswith("org.csapi"), repr(exc)
    except CORBA.SystemException as exc:
        pytest.fail(f"a CORBA system exception: {exc!r}")


def still_serving(rig: Rig, app: CorbaApp) -> None:
    assert rig.alive(), "the gateway died"
    info = common.ChargingInformation("after fuzz", "KRW", "1", "")
    app.payment.chargeAmount(v.VALID_TEL, info, f"alive-{omniORB.__name__}-{id(info)}")
    with urllib.request.urlopen(rig.endpoints["health"], timeout=5) as response:
        assert response.status == 200


def charging_info() -> st.SearchStrategy[Any]:
    return st.builds(
        common.ChargingInformation,
        TEXT,
        v.currency(nul=False),
        DECIMAL,
        st.one_of(st.just(""), TEXT),
    )


PROPERTIES = st.lists(st.builds(payment.Property, TEXT, TEXT), max_size=3)
OPT_INT = st.lists(v.INT32S, max_size=1)
CRITERIA = st.builds(
    am.TpChargingEventCriteria,
    st.lists(st.sampled_from(list(am.TpChargingEventName._items)), max_size=6),
    st.lists(URI, max_size=4),
)
SIMPLE_REFERENCE = st.builds(common.SimpleReference, TEXT, TEXT, TEXT)

PAYMENT = {
    "chargeAmount": st.tuples(URI, charging_info(), TEXT),
    "refundAmount": st.tuples(URI, charging_info(), TEXT),
    "chargeSplitAmount": st.tuples(
        st.lists(st.builds(payment.EndUserSplit, URI, v.INT32S), max_size=12), charging_info(), TEXT
    ),
    "chargeVolume": st.tuples(URI, v.INT64S, TEXT, TEXT, PROPERTIES),
    "getAmount": st.tuples(URI, v.INT64S, PROPERTIES),
    "refundVolume": st.tuples(URI, v.INT64S, TEXT, TEXT, PROPERTIES),
    "reserveAmount": st.tuples(URI, charging_info()),
    "reserveAdditionalAmount": st.tuples(TEXT, charging_info()),
    "chargeReservation": st.tuples(TEXT, charging_info(), TEXT),
    "releaseReservation": st.tuples(TEXT),
}
ACCOUNT = {
    "getBalance": st.tuples(URI, TEXT),
    "getCreditExpiryDate": st.tuples(URI, TEXT),
    "balanceUpdate": st.tuples(URI, TEXT, TEXT, TEXT, DECIMAL, OPT_INT),
    "voucherUpdate": st.tuples(URI, TEXT, TEXT, TEXT, TEXT),
    "getHistory": st.tuples(URI, TEXT, TEXT, OPT_INT),
    "getBalanceTypes": st.tuples(URI, TEXT),
    "getAccountStatus": st.tuples(URI, TEXT),
    "createNotification": st.tuples(references(), CRITERIA),
    "changeNotification": st.tuples(v.INT32S, CRITERIA),
    "destroyNotification": st.tuples(v.INT32S),
}
SMS = {
    "sendSms": st.tuples(
        st.lists(URI, max_size=5),
        TEXT,
        st.lists(charging_info(), max_size=1),
        TEXT,
        st.lists(SIMPLE_REFERENCE, max_size=1),
    ),
    "getSmsDeliveryStatus": st.tuples(TEXT),
    "getReceivedSms": st.tuples(TEXT),
    "startSmsNotification": st.tuples(SIMPLE_REFERENCE, URI, TEXT),
    "stopSmsNotification": st.tuples(TEXT),
}
MANAGERS = {"payment": PAYMENT, "account": ACCOUNT, "sms": SMS}
OPERATIONS = [(m, op) for m, ops in MANAGERS.items() for op in ops]


@pytest.mark.parametrize(("manager", "operation"), OPERATIONS, ids=[o for _, o in OPERATIONS])
def test_scf_operations_answer_with_standard_faults(
    gateway: tuple[Rig, CorbaApp], manager: str, operation: str
) -> None:
    rig, app = gateway
    method = getattr(getattr(app, manager), operation)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(args=MANAGERS[manager][operation])
    def fuzz(args: tuple) -> None:
        standard(lambda: method(*args))

    fuzz()
    still_serving(rig, app)


def auth_domain(app_id: str, reference: Any) -> Any:
    return fw.TpAuthDomain(fw.TpDomainID(ClientAppID=app_id), reference)


def framework_operations(rig: Rig, app: CorbaApp) -> dict[str, tuple[Callable, Any]]:
    # The IOR, not the corbaloc: only an IOR carries the code sets (UTF-8) the gateway speaks.
    ior = (rig.config.data_dir / "ipinitial.ior").read_text().strip()
    initial = client_orb().orb.string_to_object(ior)._narrow(ts.IpInitial)
    session = app.session
    omniORB.setClientCallTimeout(initial, 8000)
    app_ids = st.one_of(TEXT, st.just("fuzz-nobody"))  # never the real application: no lockout
    return {
        "initiateAuthenticationWithVersion": (
            lambda d, t, ver: initial.initiateAuthenticationWithVersion(d, t, ver),
            st.tuples(
                st.builds(auth_domain, app_ids, references()),
                st.one_of(st.just("P_OSA_AUTHENTICATION"), TEXT),
                st.one_of(st.just("P_PARLAY_4"), TEXT),
            ),
        ),
        "initiateAuthentication": (
            lambda d, t: initial.initiateAuthentication(d, t),
            st.tuples(st.builds(auth_domain, app_ids, references()), TEXT),
        ),
        "obtainInterface": (session.access.obtainInterface, st.tuples(TEXT)),
        "obtainInterfaceWithCallback": (
            session.access.obtainInterfaceWithCallback,
            st.tuples(
                st.one_of(st.sampled_from(["P_DISCOVERY", "P_SERVICE_AGREEMENT_MANAGEMENT"]), TEXT),
                references(),
            ),
        ),
        "discoverService": (
            session.discovery.discoverService,
            st.tuples(
                st.one_of(st.sampled_from(["P_PAYMENT", "P_SMS"]), TEXT),
                st.lists(
                    st.builds(fw.TpServiceProperty, TEXT, st.lists(TEXT, max_size=3)), max_size=3
                ),
                v.INT32S,
            ),
        ),
        "selectService": (session.service_agreement.selectService, st.tuples(TEXT)),
        "initiateSignServiceAgreement": (
            session.service_agreement.initiateSignServiceAgreement,
            st.tuples(TEXT),
        ),
        "signServiceAgreement": (
            session.service_agreement.signServiceAgreement,
            st.tuples(TEXT, TEXT, st.one_of(st.just("P_ED25519"), TEXT)),
        ),
        "terminateServiceAgreement": (
            session.service_agreement.terminateServiceAgreement,
            st.tuples(TEXT, TEXT, st.lists(st.integers(0, 255), max_size=300)),  # TpOctetSet
        ),
    }


FRAMEWORK = [
    "initiateAuthenticationWithVersion",
    "initiateAuthentication",
    "obtainInterface",
    "obtainInterfaceWithCallback",
    "discoverService",
    "selectService",
    "initiateSignServiceAgreement",
    "signServiceAgreement",
    "terminateServiceAgreement",
]


@pytest.mark.parametrize("operation", FRAMEWORK)
def test_framework_operations_answer_with_standard_exceptions(
    gateway: tuple[Rig, CorbaApp], operation: str
) -> None:
    rig, app = gateway
    call, args_strategy = framework_operations(rig, app)[operation]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(args=args_strategy)
    def fuzz(args: tuple) -> None:
        standard(lambda: call(*args))

    fuzz()
    still_serving(rig, app)


def test_the_fuzzed_gateway_still_logs_no_unexpected_error(gateway: tuple[Rig, CorbaApp]) -> None:
    rig, _app = gateway
    assert "Traceback" not in rig.log_text()
    assert '"level": "critical"' not in rig.log_text()
