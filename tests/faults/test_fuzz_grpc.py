"""Malformed requests through the real gRPC stubs, against a real gateway process.

Every unary RPC of ``micropay.v1`` (Payment, Account Management, SMS and the framework service)
gets requests that Hypothesis builds from the request's own protobuf descriptor: every field
unset or drawn from ``fuzz_values.py`` (odd and huge strings with NUL, integers at and past the
edges, unknown enum numbers, garbage nested messages and timestamps), with the application's
real bearer token or a garbage one. What it proves, for every call: the gateway answers -- within
the deadline, without dying -- with a result or a standard failure: a gRPC status that is not
UNKNOWN, INTERNAL, UNAVAILABLE or DEADLINE_EXCEEDED, carrying exactly one
``google.rpc.ErrorInfo`` (domain ``micropay``) whose reason is not SVC0001 (an unexpected error,
a bug). A request larger than the server's 4 MiB limit may instead be refused by gRPC itself
with RESOURCE_EXHAUSTED. After each RPC's run the gateway still charges and reports ready.
"""

from __future__ import annotations

import string
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from micropay.v1 import (
    account_pb2,
    account_pb2_grpc,
    common_pb2,
    framework_pb2,
    framework_pb2_grpc,
    payment_pb2,
    payment_pb2_grpc,
    sms_pb2,
    sms_pb2_grpc,
)

from tests.faults import fuzz_values as v
from tests.faults.harness import GrpcApp, Rig

EXAMPLES = 25
DEADLINE_S = 10
SERVER_MESSAGE_BYTES_MAX = 4 * 1024 * 1024
NESTING_MAX = 3
BAD_CODES = {
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}
SKIPPED = {"TerminateAccess"}  # would end the session the other RPCs run in

TEXT = v.text(nul=True)
HINTS: dict[str, st.SearchStrategy[Any]] = {  # fields where valid values get deeper
    "end_user_identifier": v.uri(nul=True),
    "addresses": v.uri(nul=True),
    "currency_code": v.currency(nul=True),
    "amount_minor": v.INT64S,
    "service_type_name": st.one_of(st.sampled_from(["P_PAYMENT", "P_SMS"]), TEXT),
    "signing_algorithm": st.one_of(st.just("P_ED25519"), TEXT),
}


def scalar(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any] | None:
    if field.name in HINTS:
        return HINTS[field.name]
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        return None if depth >= NESTING_MAX else message(field.message_type, depth + 1)
    if kind == FieldDescriptor.TYPE_STRING:
        return TEXT
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=300)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_ENUM:
        return st.one_of(st.sampled_from([e.number for e in field.enum_type.values]), v.INT32S)
    if kind in (
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SFIXED32,
    ):
        return v.INT32S
    if kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    if kind in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return st.integers(0, 2**64 - 1)
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    return v.INT64S  # int64, sint64, sfixed64


def message(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Any]:
    """Messages of ``descriptor`` with every field unset or drawn."""
    cls = message_factory.GetMessageClass(descriptor)
    fields = {}
    for field in descriptor.fields:
        values = scalar(field, depth)
        if values is None:
            continue
        if field.is_repeated:
            values = st.lists(values, max_size=2)
        fields[field.name] = st.one_of(st.none(), values)
    return st.fixed_dictionaries(fields).map(lambda drawn: build(cls, descriptor, drawn))


def build(cls: type, descriptor: Descriptor, drawn: dict[str, Any]) -> Any:
    msg = cls()
    for name, value in drawn.items():
        if value is None:
            continue
        field = descriptor.fields_by_name[name]
        target = getattr(msg, name)
        if field.is_repeated:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value:
                    target.add().CopyFrom(item)
            else:
                target.extend(value)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            target.CopyFrom(value)
        else:
            setattr(msg, name, value)
    return msg


SERVICES = [
    (payment_pb2, "PaymentService", payment_pb2_grpc.PaymentServiceStub, "payment"),
    (account_pb2, "AccountService", account_pb2_grpc.AccountServiceStub, "account"),
    (sms_pb2, "SmsService", sms_pb2_grpc.SmsServiceStub, "sms"),
    (framework_pb2, "FrameworkService", framework_pb2_grpc.FrameworkServiceStub, "framework"),
]
RPCS = [
    (module, service, stub, handle, method.name)
    for module, service, stub, handle in SERVICES
    for method in module.DESCRIPTOR.services_by_name[service].methods
    if not method.server_streaming and method.name not in SKIPPED
]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Rig, GrpcApp]]:
    rig = Rig(tmp_path_factory.mktemp("fuzz-grpc"))
    try:
        rig.start_smsc()
        rig.open_accounts(1, 10**12)  # F00000, tel:+821000000000 (fuzz_values.VALID_TEL)
        rig.start()
        yield rig, rig.connect_grpc()
    finally:
        rig.close()


def standard(call: Any, request: Any) -> None:
    """Run one RPC; fail on anything but a result or a standard failure."""
    try:
        call(request)
    except grpc.RpcError as err:
        check_failure(err, request)


def check_failure(err: grpc.RpcError, request: Any) -> None:
    """A standard failure: a code that is not a crash, a hang or a bug, and one ErrorInfo."""
    code = err.code()  # type: ignore[attr-defined]
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and request.ByteSize() > SERVER_MESSAGE_BYTES_MAX:
        return  # refused by gRPC itself: the message is over the server's limit
    assert code not in BAD_CODES, f"{code.name}: {err.details()}"  # type: ignore[attr-defined]
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None, f"{code.name} without a google.rpc.Status"
    infos = [d for d in status.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
    assert len(infos) == 1, f"{code.name} with {len(infos)} ErrorInfo"
    info = error_details_pb2.ErrorInfo()
    infos[0].Unpack(info)
    assert info.domain == "micropay" and info.reason, info
    assert info.reason != "SVC0001", f"an unexpected error in the gateway: {err.details()}"  # type: ignore[attr-defined]


def still_serving(rig: Rig, app: GrpcApp) -> None:
    assert rig.alive(), "the gateway died"
    app.payment.ChargeAmount(
        payment_pb2.ChargeAmountRequest(
            end_user_identifier=v.VALID_TEL,
            charge=common_pb2.ChargingInformation(
                description="after fuzz",
                amount=common_pb2.Money(currency_code="KRW", amount_minor=1),
            ),
            reference_code=f"alive-{uuid.uuid4()}",
        )
    )
    with urllib.request.urlopen(rig.endpoints["health"], timeout=5) as response:
        assert response.status == 200


GARBAGE_TOKENS = st.text(string.ascii_letters + string.digits + "-._~+/= ", max_size=60)


@pytest.mark.parametrize(
    ("module", "service", "stub", "handle", "name"), RPCS, ids=[r[-1] for r in RPCS]
)
def test_every_rpc_answers_with_one_error_info(
    gateway: tuple[Rig, GrpcApp], module: Any, service: str, stub: type, handle: str, name: str
) -> None:
    rig, app = gateway
    session = app.session
    token = session.access_token if handle == "framework" else getattr(app, handle).token
    method = getattr(stub(session.channel), name)
    input_type = module.DESCRIPTOR.services_by_name[service].methods_by_name[name].input_type

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=message(input_type), bearer=st.one_of(st.just(token), GARBAGE_TOKENS))
    def fuzz(request: Any, bearer: str) -> None:
        metadata = (("authorization", f"Bearer {bearer}"),)
        standard(lambda r: method(r, metadata=metadata, timeout=DEADLINE_S), request)

    fuzz()
    still_serving(rig, app)


# Requests the fuzzing found answered with INTERNAL (an unexpected error) or with trailers too
# large for a gRPC client (RESOURCE_EXHAUSTED, no ErrorInfo); each is now a standard fault.
FOUND = [
    ("GetHistory", "account", lambda: account_pb2.GetHistoryRequest(
        end_user_identifier=v.VALID_TEL, date={"nanos": -1}), "SVC0002"),
    ("CreateNotification", "account", lambda: account_pb2.CreateNotificationRequest(
        charging_event_criteria={"charging_events": [-1]}), "SVC0002"),
    ("ChargeAmount", "payment", lambda: payment_pb2.ChargeAmountRequest(
        end_user_identifier=v.VALID_TEL, reference_code="huge-currency",
        charge={"amount": {"currency_code": "9" * 100_000, "amount_minor": 1}}), "SVC0007"),
    ("DiscoverService", "framework", lambda: framework_pb2.DiscoverServiceRequest(
        service_type_name="\U0001f600" * 50_000, max=1), "P_ILLEGAL_SERVICE_TYPE"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "handle", "make", "reason"), FOUND, ids=[f[0] for f in FOUND])
def test_what_the_fuzzing_found_is_a_standard_fault(
    gateway: tuple[Rig, GrpcApp], name: str, handle: str, make: Any, reason: str
) -> None:
    rig, app = gateway
    module, service, stub, _ = next(s for s in SERVICES if s[3] == handle)
    token = app.session.access_token if handle == "framework" else getattr(app, handle).token
    method = getattr(stub(app.session.channel), name)
    with pytest.raises(grpc.RpcError) as failed:
        method(make(), metadata=(("authorization", f"Bearer {token}"),), timeout=DEADLINE_S)
    check_failure(failed.value, make())
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(failed.value).details[0].Unpack(info)  # type: ignore[arg-type, union-attr]
    assert info.reason == reason
