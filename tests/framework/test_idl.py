"""The compiled IDL against the spec digest (spec/osa-framework.md §1-5): what goes on the wire.

A third party compiling the standard Parlay IDL must interoperate byte for byte, so this checks
repository IDs, operation names, parameter order and wire types, return types, raises lists
(by repository ID), and struct/union member order and names.
"""

from __future__ import annotations

import omniORB
import org.csapi as csapi
import org.csapi.fw as fw
import pytest
from org.csapi.fw.fw_access import trust_and_security as ts
from org.csapi.fw.fw_application import discovery, service_agreement

S, L, B, OCTETS = "string", "long", "boolean", "sequence<octet>"
IF = "IDL:org/csapi/IpInterface:1.0"
SVC = "IDL:org/csapi/IpService:1.0"


def fwx(name: str) -> str:
    return f"IDL:org/csapi/fw/{name}:1.0"


def cx(name: str) -> str:
    return f"IDL:org/csapi/{name}:1.0"


COMMON = cx("TpCommonExceptions")
DENIED = fwx("P_ACCESS_DENIED")
TS = "IDL:org/csapi/fw/fw_access/trust_and_security/"
SA = "IDL:org/csapi/fw/fw_application/service_agreement/"

# interface, operation: (parameter wire types in order, return wire type, raises)
OPERATIONS = {
    (ts.IpInitial, "initiateAuthentication"): (
        [fwx("TpAuthDomain"), S],
        fwx("TpAuthDomain"),
        {
            COMMON,
            fwx("P_INVALID_DOMAIN_ID"),
            cx("P_INVALID_INTERFACE_TYPE"),
            fwx("P_INVALID_AUTH_TYPE"),
        },
    ),
    (ts.IpInitial, "initiateAuthenticationWithVersion"): (
        [fwx("TpAuthDomain"), S, S],
        fwx("TpAuthDomain"),
        {
            COMMON,
            fwx("P_INVALID_DOMAIN_ID"),
            cx("P_INVALID_INTERFACE_TYPE"),
            fwx("P_INVALID_AUTH_TYPE"),
            cx("P_INVALID_VERSION"),
        },
    ),
    (ts.IpAuthentication, "requestAccess"): (
        [S, IF],
        IF,
        {COMMON, DENIED, fwx("P_INVALID_ACCESS_TYPE"), cx("P_INVALID_INTERFACE_TYPE")},
    ),
    (ts.IpAPILevelAuthentication, "selectEncryptionMethod"): (
        [S],
        S,
        {COMMON, DENIED, fwx("P_NO_ACCEPTABLE_ENCRYPTION_CAPABILITY")},
    ),
    (ts.IpAPILevelAuthentication, "authenticate"): ([OCTETS], OCTETS, {COMMON, DENIED}),
    (ts.IpAPILevelAuthentication, "abortAuthentication"): ([], None, {COMMON, DENIED}),
    (ts.IpAPILevelAuthentication, "authenticationSucceeded"): ([], None, {COMMON, DENIED}),
    (ts.IpAPILevelAuthentication, "selectAuthenticationMechanism"): (
        [S],
        S,
        {COMMON, DENIED, fwx("P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM")},
    ),
    (ts.IpAPILevelAuthentication, "challenge"): ([OCTETS], OCTETS, {COMMON, DENIED}),
    (ts.IpClientAPILevelAuthentication, "authenticate"): ([OCTETS], OCTETS, set()),
    (ts.IpClientAPILevelAuthentication, "abortAuthentication"): ([], None, set()),
    (ts.IpClientAPILevelAuthentication, "authenticationSucceeded"): ([], None, set()),
    (ts.IpClientAPILevelAuthentication, "challenge"): ([OCTETS], OCTETS, set()),
    (ts.IpAccess, "obtainInterface"): ([S], IF, {COMMON, DENIED, cx("P_INVALID_INTERFACE_NAME")}),
    (ts.IpAccess, "obtainInterfaceWithCallback"): (
        [S, IF],
        IF,
        {COMMON, DENIED, cx("P_INVALID_INTERFACE_NAME"), cx("P_INVALID_INTERFACE_TYPE")},
    ),
    (ts.IpAccess, "endAccess"): (
        [f"sequence<{fwx('TpProperty')}>"],
        None,
        {COMMON, DENIED, fwx("P_INVALID_PROPERTY")},
    ),
    (ts.IpAccess, "listInterfaces"): ([], "sequence<string>", {COMMON, DENIED}),
    (ts.IpAccess, "releaseInterface"): (
        [S],
        None,
        {COMMON, DENIED, cx("P_INVALID_INTERFACE_NAME")},
    ),
    (ts.IpAccess, "selectSigningAlgorithm"): (
        [S],
        S,
        {COMMON, DENIED, fwx("P_NO_ACCEPTABLE_SIGNING_ALGORITHM")},
    ),
    (ts.IpAccess, "terminateAccess"): ([S, OCTETS], None, {COMMON, fwx("P_INVALID_SIGNATURE")}),
    (ts.IpAccess, "relinquishInterface"): (
        [S, S, OCTETS],
        None,
        {COMMON, fwx("P_INVALID_SIGNATURE"), cx("P_INVALID_INTERFACE_NAME")},
    ),
    (ts.IpClientAccess, "terminateAccess"): (
        [S, S, OCTETS],
        None,
        {COMMON, fwx("P_INVALID_SIGNING_ALGORITHM"), fwx("P_INVALID_SIGNATURE")},
    ),
    (discovery.IpServiceDiscovery, "listServiceTypes"): ([], "sequence<string>", {COMMON, DENIED}),
    (discovery.IpServiceDiscovery, "describeServiceType"): (
        [S],
        fwx("TpServiceTypeDescription"),
        {COMMON, DENIED, fwx("P_ILLEGAL_SERVICE_TYPE"), fwx("P_UNKNOWN_SERVICE_TYPE")},
    ),
    (discovery.IpServiceDiscovery, "discoverService"): (
        [S, f"sequence<{fwx('TpServiceProperty')}>", L],
        f"sequence<{fwx('TpService')}>",
        {
            COMMON,
            DENIED,
            fwx("P_ILLEGAL_SERVICE_TYPE"),
            fwx("P_UNKNOWN_SERVICE_TYPE"),
            fwx("P_INVALID_PROPERTY"),
        },
    ),
    (discovery.IpServiceDiscovery, "listSubscribedServices"): (
        [],
        f"sequence<{fwx('TpService')}>",
        {COMMON, DENIED},
    ),
    (service_agreement.IpServiceAgreementManagement, "selectService"): (
        [S],
        S,
        {COMMON, DENIED, fwx("P_INVALID_SERVICE_ID"), fwx("P_SERVICE_ACCESS_DENIED")},
    ),
    (service_agreement.IpServiceAgreementManagement, "initiateSignServiceAgreement"): (
        [S],
        None,
        {COMMON, fwx("P_INVALID_SERVICE_TOKEN"), fwx("P_SERVICE_ACCESS_DENIED")},
    ),
    (service_agreement.IpServiceAgreementManagement, "signServiceAgreement"): (
        [S, S, S],
        fwx("TpSignatureAndServiceMgr"),
        {
            COMMON,
            DENIED,
            fwx("P_INVALID_AGREEMENT_TEXT"),
            fwx("P_INVALID_SERVICE_TOKEN"),
            fwx("P_INVALID_SIGNING_ALGORITHM"),
            fwx("P_SERVICE_ACCESS_DENIED"),
        },
    ),
    (service_agreement.IpServiceAgreementManagement, "terminateServiceAgreement"): (
        [S, S, OCTETS],
        None,
        {COMMON, DENIED, fwx("P_INVALID_SERVICE_TOKEN"), fwx("P_INVALID_SIGNATURE")},
    ),
    (service_agreement.IpAppServiceAgreementManagement, "signServiceAgreement"): (
        [S, S, S],
        OCTETS,
        {
            COMMON,
            fwx("P_INVALID_AGREEMENT_TEXT"),
            fwx("P_INVALID_SERVICE_TOKEN"),
            fwx("P_INVALID_SIGNING_ALGORITHM"),
        },
    ),
    (service_agreement.IpAppServiceAgreementManagement, "terminateServiceAgreement"): (
        [S, S, OCTETS],
        None,
        {COMMON, fwx("P_INVALID_SERVICE_TOKEN"), fwx("P_INVALID_SIGNATURE")},
    ),
    (csapi.IpService, "setCallback"): ([IF], None, {COMMON, cx("P_INVALID_INTERFACE_TYPE")}),
    (csapi.IpService, "setCallbackWithSessionID"): (
        [IF, L],
        None,
        {COMMON, cx("P_INVALID_INTERFACE_TYPE"), cx("P_INVALID_SESSION_ID")},
    ),
}

BASIC = {3: L, 8: B, 10: "octet"}


def wire(desc) -> str:
    """The wire type of an omniORBpy type descriptor, typedefs resolved."""
    if isinstance(desc, int):
        return BASIC[desc]
    kind = desc[0]
    if kind == 21:  # alias
        return wire(desc[3])
    if kind == 18:
        return S
    if kind == 19:
        return f"sequence<{wire(desc[1])}>"
    if kind in (15, 16, 22):  # struct, union, exception: (kind, class, repoId, ...)
        return desc[2]
    if kind in (14, 17):  # objref, enum: (kind, repoId, ...)
        return desc[1]
    raise AssertionError(f"unexpected descriptor {desc!r}")


def _operation_id(value: object) -> str | None:
    """``Interface.operation`` for a key; the signatures get pytest's own ids. The class's text
    holds its address, which changes from run to run, and pytest-xdist's workers must collect
    the same names."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        return f"{value[0].__name__}.{value[1]}"
    return None


@pytest.mark.parametrize(("key", "expected"), OPERATIONS.items(), ids=_operation_id)
def test_operation_signature(key, expected) -> None:
    interface, operation = key
    params, result, raises = expected
    ins, outs, excs = getattr(interface, f"_d_{operation}")
    assert [wire(p) for p in ins] == params
    assert (wire(outs[0]) if outs else None) == result
    assert set(excs or {}) == raises


def test_interface_repository_ids_and_inheritance() -> None:
    expected = {
        ts.IpInitial: TS + "IpInitial:1.0",
        ts.IpAuthentication: TS + "IpAuthentication:1.0",
        ts.IpAPILevelAuthentication: TS + "IpAPILevelAuthentication:1.0",
        ts.IpClientAPILevelAuthentication: TS + "IpClientAPILevelAuthentication:1.0",
        ts.IpAccess: TS + "IpAccess:1.0",
        ts.IpClientAccess: TS + "IpClientAccess:1.0",
        discovery.IpServiceDiscovery: "IDL:org/csapi/fw/fw_application/discovery/IpServiceDiscovery:1.0",
        service_agreement.IpServiceAgreementManagement: SA + "IpServiceAgreementManagement:1.0",
        service_agreement.IpAppServiceAgreementManagement: SA
        + "IpAppServiceAgreementManagement:1.0",
    }
    for interface, repo_id in expected.items():
        assert interface._NP_RepositoryId == repo_id
        assert issubclass(interface, csapi.IpInterface)
    assert issubclass(ts.IpAPILevelAuthentication, ts.IpAuthentication)
    operations = {a[3:] for a in vars(ts.IpAccess) if a.startswith("_d_")}
    assert operations == {
        "obtainInterface",
        "obtainInterfaceWithCallback",
        "endAccess",
        "listInterfaces",
        "releaseInterface",
        "selectSigningAlgorithm",
        "terminateAccess",
        "relinquishInterface",
    }


FW_EXCEPTIONS = [
    "P_ACCESS_DENIED",
    "P_DUPLICATE_PROPERTY_NAME",
    "P_ILLEGAL_SERVICE_ID",
    "P_ILLEGAL_SERVICE_TYPE",
    "P_INVALID_ACCESS_TYPE",
    "P_INVALID_ACTIVITY_TEST_ID",
    "P_INVALID_ADDITION_TO_SAG",
    "P_INVALID_AGREEMENT_TEXT",
    "P_INVALID_AUTH_TYPE",
    "P_INVALID_CLIENT_APP_ID",
    "P_INVALID_DOMAIN_ID",
    "P_INVALID_ENCRYPTION_CAPABILITY",
    "P_INVALID_ENT_OP_ID",
    "P_INVALID_PROPERTY",
    "P_INVALID_SAG_ID",
    "P_INVALID_SAG_TO_SERVICE_PROFILE_ASSIGNMENT",
    "P_INVALID_SERVICE_CONTRACT_ID",
    "P_INVALID_SERVICE_ID",
    "P_INVALID_SERVICE_PROFILE_ID",
    "P_INVALID_SERVICE_TOKEN",
    "P_INVALID_SERVICE_TYPE",
    "P_INVALID_SIGNATURE",
    "P_INVALID_SIGNING_ALGORITHM",
    "P_MISSING_MANDATORY_PROPERTY",
    "P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM",
    "P_NO_ACCEPTABLE_ENCRYPTION_CAPABILITY",
    "P_NO_ACCEPTABLE_SIGNING_ALGORITHM",
    "P_PROPERTY_TYPE_MISMATCH",
    "P_SERVICE_ACCESS_DENIED",
    "P_SERVICE_NOT_ENABLED",
    "P_SERVICE_TYPE_UNAVAILABLE",
    "P_UNKNOWN_SERVICE_ID",
    "P_UNKNOWN_SERVICE_TYPE",
]


def test_framework_exceptions() -> None:
    assert len(FW_EXCEPTIONS) == 33
    for name in FW_EXCEPTIONS:
        exc = getattr(fw, name)
        assert exc._NP_RepositoryId == fwx(name)
        assert members(exc) == [("ExtraInformation", S)]
    for name in ("P_INVALID_INTERFACE_TYPE", "P_INVALID_INTERFACE_NAME", "P_INVALID_VERSION"):
        assert not hasattr(fw, name) and getattr(csapi, name)._NP_RepositoryId == cx(name)


def members(cls) -> list[tuple[str, str]]:
    desc = omniORB.findType(cls._NP_RepositoryId)
    names, types = desc[4::2], desc[5::2]
    return [(n, wire(t)) for n, t in zip(names, types, strict=True)]


STRUCTS = {
    fw.TpAuthDomain: [("DomainID", fwx("TpDomainID")), ("AuthInterface", IF)],
    fw.TpProperty: [("PropertyName", S), ("PropertyValue", S)],
    fw.TpServiceProperty: [
        ("ServicePropertyName", S),
        ("ServicePropertyValueList", "sequence<string>"),
    ],
    fw.TpServiceDescription: [
        ("ServiceTypeName", S),
        ("ServicePropertyList", f"sequence<{fwx('TpServiceProperty')}>"),
    ],
    fw.TpService: [("ServiceID", S), ("ServiceDescription", fwx("TpServiceDescription"))],
    fw.TpServiceTypeProperty: [
        ("ServicePropertyName", S),
        ("ServiceTypePropertyMode", fwx("TpServiceTypePropertyMode")),
        ("ServicePropertyTypeName", S),
    ],
    fw.TpServiceTypeDescription: [
        ("ServiceTypePropertyList", f"sequence<{fwx('TpServiceTypeProperty')}>"),
        ("ServiceTypeNameList", "sequence<string>"),
        ("AvailableOrUnavailable", B),
    ],
    fw.TpSignatureAndServiceMgr: [("DigitalSignature", OCTETS), ("ServiceMgrInterface", SVC)],
}


@pytest.mark.parametrize(
    ("cls", "expected"), STRUCTS.items(), ids=lambda v: getattr(v, "__name__", "")
)
def test_struct_members_in_order(cls, expected) -> None:
    assert cls._NP_RepositoryId == fwx(cls.__name__)
    assert members(cls) == expected


def test_domain_union_and_enums() -> None:
    desc = omniORB.findType(fw.TpDomainID._NP_RepositoryId)
    cases = [(str(label), name, wire(t)) for label, name, t in desc[6]]
    assert cases == [
        ("P_FW", "FwID", S),
        ("P_CLIENT_APPLICATION", "ClientAppID", S),
        ("P_ENT_OP", "EntOpID", S),
        ("P_SERVICE_INSTANCE", "ServiceID", S),
        ("P_SERVICE_SUPPLIER", "ServiceSupplierID", S),
    ]
    assert [str(i) for i in fw.TpDomainIDType._items] == [
        "P_FW",
        "P_CLIENT_APPLICATION",
        "P_ENT_OP",
        "P_SERVICE_INSTANCE",
        "P_SERVICE_SUPPLIER",
    ]
    assert [str(i) for i in fw.TpServiceTypePropertyMode._items] == [
        "NORMAL",
        "MANDATORY",
        "READONLY",
        "MANDATORY_READONLY",
    ]
