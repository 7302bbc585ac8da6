"""The catalogue is complete: every operation of the IDL and protos, every fault of the one fault
table and every framework exception the IUT's interfaces raise has a test purpose, over each
transport -- except what a harness cannot stimulate from outside, listed here with the reason.
Every operation of CAMARA Carrier Billing r3.2 and every refusal only that surface makes has a
purpose over HTTPS.
"""

from __future__ import annotations

import re

import pytest

from apps.interop.model import TRANSPORTS, catalogue
from apps.interop.openapi_check import OPERATIONS
from camara.openapi import document
from scf.common.faults import CAMARA_FORMS, FAULT_TABLE
from tests.conftest import ROOT

IUT_INTERFACES = (
    "IpInitial", "IpAuthentication", "IpAPILevelAuthentication", "IpAccess", "IpServiceDiscovery",
    "IpServiceAgreementManagement", "IpService", "AmountCharging", "VolumeCharging",
    "ReserveAmountCharging", "ReserveVolumeCharging", "IpPaymentManager", "AccountManagement",
    "IpAccountManager", "IpSmsManager",
)  # fmt: skip
# Implemented by the application; the IUT calls them.
APPLICATION_INTERFACES = (
    "IpClientAPILevelAuthentication", "IpClientAccess", "IpAppServiceAgreementManagement",
    "IpAppAccountManager", "SmsNotification",
)  # fmt: skip
NOT_STIMULABLE = {
    "IpClientAPILevelAuthentication.authenticate": "deprecated: only the Parlay 3 flow "
    "(selectEncryptionMethod/authenticate) makes the framework call it",
    "IpAppServiceAgreementManagement.terminateServiceAgreement": "the framework terminates an "
    "agreement on the operator's initiative only",
    "P_INVALID_SESSION_ID": "the Parlay X managers have no sessions: setCallbackWithSessionID "
    "accepts any id",
    "P_NO_ACCEPTABLE_ENCRYPTION_CAPABILITY": "selectEncryptionMethod is refused outright in the "
    "Parlay 4 flow (FW/AUT/BO-03 accepts either refusal)",
    "SVC0001": "an unexpected server error (incident id): no request is meant to cause one",
    "SVC1000": "a transient outage (storage unavailable): needs the operator to break the ledger",
    "POL0001": "the fallback of a refusal that has no row of its own: none exists",
    "POL1108": "the self-care extension's PIN required: only an application the operator "
    "granted selfcare reaches it (AM/SLF/BI-01 covers the refusal without the grant)",
}
# The rows only the CAMARA flows raise (camara/errors.py): no CORBA or gRPC operation reaches
# them, so the CORBA and gRPC purposes cannot; the CAMARA purposes must (checked below).
CAMARA_ONLY = {s.message_id for s in FAULT_TABLE if s.code in {
    "unknown_payment", "unknown_refund", "client_correlator_reused", "confirmation_required",
    "payment_confirmed", "payment_cancelled", "payment_not_reserved", "payment_validated",
    "invalid_code", "validation_failed", "payment_not_refundable"}}  # fmt: skip
# gRPC framework RPCs -> the framework operation they carry (docs/grpc-api.md).
FRAMEWORK_RPCS = {
    "InitiateAuthentication": "IpInitial.initiateAuthenticationWithVersion",
    "CompleteAuthentication": "IpAPILevelAuthentication.challenge",
    "ListServiceTypes": "IpServiceDiscovery.listServiceTypes",
    "DescribeServiceType": "IpServiceDiscovery.describeServiceType",
    "DiscoverService": "IpServiceDiscovery.discoverService",
    "ListSubscribedServices": "IpServiceDiscovery.listSubscribedServices",
    "SelectService": "IpServiceAgreementManagement.selectService",
    "InitiateSignServiceAgreement": "IpServiceAgreementManagement.initiateSignServiceAgreement",
    "SignServiceAgreement": "IpServiceAgreementManagement.signServiceAgreement",
    "TerminateServiceAgreement": "IpServiceAgreementManagement.terminateServiceAgreement",
    "TerminateAccess": "IpAccess.terminateAccess",
}


def idl_interfaces() -> dict[str, dict[str, list[str]]]:
    """interface -> operation -> exceptions it raises, from idl/*.idl."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in (ROOT / "idl").glob("*.idl"):
        text = re.sub(r"//[^\n]*", "", path.read_text())
        for match in re.finditer(r"interface\s+(\w+)\s*(?::[^{]*)?\{", text):
            depth, i = 1, match.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            operations = {}
            for op in re.finditer(
                r"(\w+)\s*\([^)]*\)\s*(?:raises\s*\(([^)]*)\))?\s*;", text[match.end() : i - 1]
            ):
                operations[op.group(1)] = [
                    r.strip().split("::")[-1] for r in (op.group(2) or "").split(",") if r.strip()
                ]
            found[match.group(1)] = operations
    return found


def proto_rpcs() -> list[str]:
    names = []
    for path in (ROOT / "proto").rglob("*.proto"):
        names += re.findall(r"^\s*rpc\s+(\w+)\s*\(", path.read_text(), re.M)
    return names


def covered(transport: str) -> set[str]:
    return {c for p in catalogue() if transport in p.transports for c in p.covers}


def fault_ids() -> set[str]:
    return set(re.findall(r"\*\*((?:SVC|POL)\d{4})\*\*", (ROOT / "docs/faults.md").read_text()))


def test_every_idl_operation_has_a_corba_purpose() -> None:
    interfaces = idl_interfaces()
    done = covered("corba")
    missing = [
        f"{iface}.{op}"
        for iface in IUT_INTERFACES + APPLICATION_INTERFACES
        for op in interfaces[iface]
        if f"{iface}.{op}" not in done and op not in done and f"{iface}.{op}" not in NOT_STIMULABLE
    ]
    assert not missing, f"operations without a test purpose: {missing}"


def test_every_exception_the_framework_raises_has_a_purpose() -> None:
    interfaces = idl_interfaces()
    raised = {r for iface in IUT_INTERFACES for rs in interfaces[iface].values() for r in rs}
    raised -= {"ServiceException", "PolicyException"}  # Parlay X faults: by messageId below
    missing = sorted(raised - covered("corba") - set(NOT_STIMULABLE))
    assert not missing, f"exceptions without a test purpose: {missing}"


def test_every_rpc_has_a_grpc_purpose() -> None:
    done = covered("grpc")
    missing = []
    for rpc in proto_rpcs():
        name = FRAMEWORK_RPCS.get(rpc, rpc[0].lower() + rpc[1:])
        if name not in done and rpc not in done and name not in NOT_STIMULABLE:
            missing.append(rpc)
    assert not missing, f"RPCs without a test purpose: {missing}"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_fault_of_the_table_has_a_purpose(transport: str) -> None:
    ids = fault_ids()
    assert len(ids) > 20, "the fault table was not found in docs/faults.md"
    missing = sorted(ids - covered(transport) - set(NOT_STIMULABLE) - CAMARA_ONLY)
    assert not missing, f"faults without a {transport} test purpose: {missing}"


def test_every_camara_only_refusal_has_a_camara_purpose() -> None:
    """Each row only the CAMARA flows raise is stimulated over HTTPS, with its r3.2 code."""
    assert len(CAMARA_ONLY) == 11, CAMARA_ONLY
    done = covered("camara")
    assert not sorted(CAMARA_ONLY - done), (
        f"CAMARA refusals without a purpose: {CAMARA_ONLY - done}"
    )
    for spec in FAULT_TABLE:
        if spec.message_id in CAMARA_ONLY:
            form = CAMARA_FORMS[spec.code]
            codes = {form.code, *(c for _, c in form.operations)} | (
                {form.refund_code} if form.refund_code else set())  # fmt: skip
            assert any(f"{form.status} {c}" in done for c in codes), (spec.code, form)


def test_every_camara_operation_has_a_purpose() -> None:
    served = {op["operationId"] for item in document()["paths"].values() for op in item.values()}
    assert set(OPERATIONS.values()) == served  # the harness knows r3.2's operations
    missing = sorted(served - covered("camara"))
    assert not missing, f"CAMARA operations without a purpose: {missing}"


def test_purposes_are_written_out() -> None:
    for p in catalogue():
        for name in ("title", "clause", "precondition", "stimulus", "expected"):
            assert getattr(p, name).strip(), f"{p.id} has no {name}"
        assert p.covers, f"{p.id} names nothing it covers"
        assert p.run.__doc__ is None or p.run.__doc__.strip(), p.id
    ids = [p.id for p in catalogue()]
    assert len(ids) == len(set(ids))


LAUNCHER = {"command.py", "demo_profile.py"}  # the CLI glue, on the gateway's side


def test_the_harness_uses_only_the_idl_and_protos() -> None:
    """apps/interop must face any implementation: no import of the gateway's own code. The
    ``micropay interop`` command's glue is the exception: ``command.py`` reads the gateway's
    configuration and ``demo_profile.py`` provisions the local demo gateway the harness then
    faces from outside; nothing of the harness imports either."""
    forbidden = re.compile(
        r"^\s*(from|import)\s+(framework|scf|charging|camara|client|gateway|shim|smsc|storage|apps\.micropay)\b",
        re.M,
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "apps/interop").rglob("*.py")
        if path.name not in LAUNCHER and forbidden.search(path.read_text())
    ]
    launcher = re.compile(r"^\s*(from|import)\s+apps\.interop\.(command|demo_profile)\b", re.M)
    harness = [path for path in (ROOT / "apps/interop").rglob("*.py") if path.name not in LAUNCHER]
    assert not [str(p) for p in harness if launcher.search(p.read_text())]
    assert not offenders, f"the harness imports gateway internals: {offenders}"


def test_catalogue_sizes_are_reported() -> None:
    sizes = {
        s: sum(p.suite == s for p in catalogue())
        for s in ("framework", "payment", "account", "sms", "camara")
    }
    assert all(n > 20 for n in sizes.values()), sizes


def test_camara_purposes_run_over_https_only() -> None:
    for p in catalogue():
        assert (p.suite == "camara") == (p.transports == ("camara",)), (p.id, p.transports)
