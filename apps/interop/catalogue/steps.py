"""Small steps the framework purposes share, so each purpose reads as its stimulus."""

from __future__ import annotations

from typing import Any

from omniORB import CORBA

from apps.interop.corba_framework import Credentials, Handshake, HandshakeError
from apps.interop.model import Inconclusive
from apps.interop.refusals import Refusal

TS_29198_3 = "TS 29.198-3"
SYSTEM_GONE = ("OBJECT_NOT_EXIST", "INV_OBJREF", "TRANSIENT", "P_ACCESS_DENIED")
TOKEN_GONE = ("TOKEN_INVALID", "UNAUTHENTICATED")


def begin(
    ctx: Any, creds: Credentials | None = None, mode: str = "correct", version: str = "P_PARLAY_4"
) -> Handshake:
    """initiateAuthenticationWithVersion, aborted when the purpose ends."""
    return ctx.own(ctx.fw.begin(creds or ctx.creds, mode, version))


def authenticated(ctx: Any, mechanisms: str | None = None) -> Handshake:
    """A handshake where both sides are proven (CORBA), aborted when the purpose ends."""
    try:
        return ctx.own(ctx.fw.authenticate(ctx.creds, mechanisms))
    except HandshakeError as exc:
        raise Inconclusive(f"the handshake did not complete: {exc}") from None


def access(ctx: Any, creds: Credentials | None = None, **kw: Any) -> Any:
    """A fresh access session of the purpose's own; inconclusive when it cannot be opened."""
    try:
        return ctx.open_access(creds, **kw)
    except (HandshakeError, Refusal) as exc:
        raise Inconclusive(f"could not open an access session: {exc}") from None


def nil() -> Any:
    return CORBA.Object._nil


def service_types(ctx: Any, session: Any) -> list[str]:
    if ctx.corba:
        return list(session.discovery.listServiceTypes())
    from micropay.v1 import framework_pb2 as fpb

    return list(session.call("ListServiceTypes", fpb.ListServiceTypesRequest()).service_type_names)


def describe(ctx: Any, session: Any, name: str) -> tuple[bool, list[str]]:
    """(available, property names) of describeServiceType."""
    if ctx.corba:
        d = session.discovery.describeServiceType(name)
        return bool(d.AvailableOrUnavailable), [
            p.ServicePropertyName for p in d.ServiceTypePropertyList
        ]
    from micropay.v1 import framework_pb2 as fpb

    d = session.call("DescribeServiceType", fpb.DescribeServiceTypeRequest(name=name))
    return d.available, [p.name for p in d.properties]


def discover(
    ctx: Any, session: Any, name: str, props: dict[str, list[str]] | None = None
) -> list[tuple[str, str, dict[str, list[str]]]]:
    """discoverService as (service id, type name, properties)."""
    props = props or {}
    if ctx.corba:
        import org.csapi.fw as fw

        wanted = [fw.TpServiceProperty(k, v) for k, v in props.items()]
        found = session.discover(name, wanted)
        return [
            (s.ServiceID, s.ServiceDescription.ServiceTypeName,
             {p.ServicePropertyName: list(p.ServicePropertyValueList)
              for p in s.ServiceDescription.ServicePropertyList})
            for s in found
        ]  # fmt: skip
    from micropay.v1 import framework_pb2 as fpb

    wanted = [fpb.ServiceProperty(name=k, values=v) for k, v in props.items()]
    return [
        (s.service_id, s.service_type_name, {p.name: list(p.values) for p in s.properties})
        for s in session.discover(name, wanted)
    ]


def subscribed(ctx: Any, session: Any) -> list[str]:
    if ctx.corba:
        return [s.ServiceID for s in session.discovery.listSubscribedServices()]
    from micropay.v1 import framework_pb2 as fpb

    found = session.call("ListSubscribedServices", fpb.ListSubscribedServicesRequest())
    return [s.service_id for s in found.services]


def sign_agreement(ctx: Any, session: Any, token: str, text: str, algorithm: str) -> Any:
    """The application's signServiceAgreement call (CORBA) / RPC (gRPC)."""
    if ctx.corba:
        return session.sam.signServiceAgreement(token, text, algorithm)
    return session.sign_agreement(token, text, algorithm)


def terminate_agreement(ctx: Any, session: Any, token: str, text: str, signature: bytes) -> None:
    if ctx.corba:
        session.sam.terminateServiceAgreement(token, text, list(signature))
        return
    from micropay.v1 import framework_pb2 as fpb

    session.call(
        "TerminateServiceAgreement",
        fpb.TerminateServiceAgreementRequest(
            service_token=token, termination_text=text, digital_signature=signature
        ),
    )


def terminate_access(ctx: Any, session: Any, text: str, signature: bytes) -> None:
    if ctx.corba:
        session.access.terminateAccess(text, list(signature))
        return
    from micropay.v1 import framework_pb2 as fpb

    session.call(
        "TerminateAccess",
        fpb.TerminateAccessRequest(termination_text=text, digital_signature=signature),
    )


def probe_manager(ctx: Any, agreement: Any) -> None:
    """One harmless call on an SCF manager (CORBA: setCallback(nil); gRPC: a payment call with
    an unknown reservation, refused as SVC1101 while the token is good)."""
    if ctx.corba:
        from apps.interop.corba_orb import Guarded

        Guarded(agreement.manager).setCallback(nil())
        return
    from apps.interop.grpc_scf import GrpcAccount, GrpcPayment, GrpcSms

    faces: dict[str, Any] = {
        "P_PAYMENT": GrpcPayment,
        "P_ACCOUNT_MANAGEMENT": GrpcAccount,
        "P_SMS": GrpcSms,
    }
    face = faces[agreement.service_type](ctx.fw.channel, agreement.manager)
    try:
        if agreement.service_type == "P_PAYMENT":
            face.releaseReservation("iop-no-such-reservation")
        elif agreement.service_type == "P_SMS":
            face.getSmsDeliveryStatus("iop-no-such-request")
        else:
            face.getNotification()
    except Refusal as refusal:
        if refusal.kind in ("token", "system"):
            raise


def selected(ctx: Any) -> tuple[Any, str, str]:
    """(a fresh session, service id, token) for the first service type under test."""
    session = access(ctx)
    try:
        service_id, token = session.select(ctx.first_service_type())
    except HandshakeError as exc:
        raise Inconclusive(str(exc)) from None
    return session, service_id, token


def initiated(ctx: Any, mode: str = "sign") -> tuple[Any, str, str, str]:
    """(session, token, agreement text, algorithm) once the framework offered the text."""
    session, _, token = selected(ctx)
    if ctx.corba:
        text, algorithm = session.initiate(token, mode)
    else:
        text, algorithm = session.initiate(token)
    return session, token, text, algorithm
