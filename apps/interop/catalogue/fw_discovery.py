"""Framework: IpServiceDiscovery (TS 29.198-3 §7.3.1); gRPC: the discovery RPCs."""

from __future__ import annotations

from typing import Any

from apps.interop.catalogue.steps import describe, discover, service_types, subscribed
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import expect_refusal

DISCOVERY = "TS 29.198-3 §7.3.1 IpServiceDiscovery"


def _session(ctx: Any) -> Any:
    return ctx.session()


@tp("FW/DIS/BV-01", "listServiceTypes names the service types under test",
    clause=f"{DISCOVERY}.listServiceTypes",
    pre="An access session; the application's contract includes the SCFs of the selected suites",
    stimulus="listServiceTypes()",
    expected="Every service type of the selected suites (P_PAYMENT, P_ACCOUNT_MANAGEMENT, P_SMS)",
    covers=("IpServiceDiscovery.listServiceTypes",))  # fmt: skip
def list_types(ctx: Any) -> None:
    listed = service_types(ctx, _session(ctx))
    missing = [t for t in ctx.service_types_under_test() if t not in listed]
    assert not missing, f"listServiceTypes lacks {missing} (got {listed})"


@tp("FW/DIS/BV-02", "describeServiceType describes an available type",
    clause=f"{DISCOVERY}.describeServiceType",
    pre="An access session",
    stimulus="describeServiceType(each service type under test)",
    expected="A TpServiceTypeDescription with AvailableOrUnavailable TRUE",
    covers=("IpServiceDiscovery.describeServiceType",))  # fmt: skip
def describe_type(ctx: Any) -> None:
    for name in ctx.service_types_under_test():
        available, properties = describe(ctx, _session(ctx), name)
        assert available, f"{name} is described as unavailable"
        ctx.note(f"{name} properties: {', '.join(properties) or '(none)'}")


@tp("FW/DIS/BV-03", "discoverService finds a service of each type under test",
    clause=f"{DISCOVERY}.discoverService",
    pre="An access session",
    stimulus="discoverService(type, [], 8) for each service type under test",
    expected="At least one TpService whose ServiceTypeName is the type and whose ServiceID is set",
    covers=("IpServiceDiscovery.discoverService",))  # fmt: skip
def discover_types(ctx: Any) -> None:
    for name in ctx.service_types_under_test():
        found = discover(ctx, _session(ctx), name)
        assert found, f"discoverService({name}) found nothing"
        for service_id, type_name, _ in found:
            assert service_id, f"a {name} service without a ServiceID"
            assert type_name == name, f"discoverService({name}) returned a {type_name}"


@tp("FW/DIS/BV-04", "listSubscribedServices lists the discovered services",
    clause=f"{DISCOVERY}.listSubscribedServices",
    pre="An access session",
    stimulus="listSubscribedServices()",
    expected="Every service discoverService finds for the types under test",
    covers=("IpServiceDiscovery.listSubscribedServices",))  # fmt: skip
def subscribed_services(ctx: Any) -> None:
    listed = set(subscribed(ctx, _session(ctx)))
    for name in ctx.service_types_under_test():
        for service_id, _, _ in discover(ctx, _session(ctx), name):
            assert service_id in listed, f"{service_id} ({name}) is not in listSubscribedServices"


@tp("FW/DIS/BV-05", "discoverService matches on a property the service declares",
    clause=f"{DISCOVERY}.discoverService (desiredPropertyList)",
    pre="A service under test declares at least one property with a value",
    stimulus="discoverService(type, [that property with its first value], 8)",
    expected="The same service is found again",
    covers=("IpServiceDiscovery.discoverService",))  # fmt: skip
def discover_by_property(ctx: Any) -> None:
    for name in ctx.service_types_under_test():
        for service_id, _, properties in discover(ctx, _session(ctx), name):
            for prop, values in properties.items():
                if values:
                    again = discover(ctx, _session(ctx), name, {prop: values[:1]})
                    ids = [s for s, _, _ in again]
                    assert service_id in ids, f"{prop}={values[0]} did not find {service_id} again"
                    ctx.note(f"{name}: {prop}={values[0]} finds {service_id}")
                    return
    raise Inconclusive("no service under test declares a property with a value")


@tp("FW/DIS/BI-01", "describeServiceType of an unknown type is refused",
    clause=f"{DISCOVERY}.describeServiceType (P_UNKNOWN_SERVICE_TYPE)",
    pre="An access session",
    stimulus="describeServiceType('P_IOP_NO_SUCH_TYPE')",
    expected="P_UNKNOWN_SERVICE_TYPE",
    covers=("P_UNKNOWN_SERVICE_TYPE",))  # fmt: skip
def describe_unknown(ctx: Any) -> None:
    expect_refusal(
        lambda: describe(ctx, _session(ctx), "P_IOP_NO_SUCH_TYPE"), "P_UNKNOWN_SERVICE_TYPE"
    )


@tp("FW/DIS/BI-02", "describeServiceType of a malformed type name is refused",
    clause=f"{DISCOVERY}.describeServiceType (P_ILLEGAL_SERVICE_TYPE)",
    pre="An access session",
    stimulus="describeServiceType('not a type!')",
    expected="P_ILLEGAL_SERVICE_TYPE",
    covers=("P_ILLEGAL_SERVICE_TYPE",))  # fmt: skip
def describe_illegal(ctx: Any) -> None:
    expect_refusal(lambda: describe(ctx, _session(ctx), "not a type!"), "P_ILLEGAL_SERVICE_TYPE")


@tp("FW/DIS/BI-03", "discoverService with an undeclared property is refused",
    clause=f"{DISCOVERY}.discoverService (P_INVALID_PROPERTY)",
    pre="An access session",
    stimulus="discoverService(first type under test, [{P_IOP_NO_SUCH_PROPERTY: [x]}], 8)",
    expected="P_INVALID_PROPERTY",
    covers=("P_INVALID_PROPERTY",))  # fmt: skip
def discover_bad_property(ctx: Any) -> None:
    name = ctx.first_service_type()
    expect_refusal(
        lambda: discover(ctx, _session(ctx), name, {"P_IOP_NO_SUCH_PROPERTY": ["x"]}),
        "P_INVALID_PROPERTY",
    )


@tp("FW/DIS/BI-04", "discoverService of an unknown type is refused",
    clause=f"{DISCOVERY}.discoverService (P_UNKNOWN_SERVICE_TYPE)",
    pre="An access session",
    stimulus="discoverService('P_IOP_NO_SUCH_TYPE', [], 8)",
    expected="P_UNKNOWN_SERVICE_TYPE",
    covers=("P_UNKNOWN_SERVICE_TYPE",))  # fmt: skip
def discover_unknown(ctx: Any) -> None:
    expect_refusal(
        lambda: discover(ctx, _session(ctx), "P_IOP_NO_SUCH_TYPE"), "P_UNKNOWN_SERVICE_TYPE"
    )


@tp("FW/DIS/BI-05", "discoverService of a malformed type name is refused",
    clause=f"{DISCOVERY}.discoverService (P_ILLEGAL_SERVICE_TYPE)",
    pre="An access session",
    stimulus="discoverService('not a type!', [], 8)",
    expected="P_ILLEGAL_SERVICE_TYPE",
    covers=("P_ILLEGAL_SERVICE_TYPE",))  # fmt: skip
def discover_illegal(ctx: Any) -> None:
    expect_refusal(lambda: discover(ctx, _session(ctx), "not a type!"), "P_ILLEGAL_SERVICE_TYPE")
