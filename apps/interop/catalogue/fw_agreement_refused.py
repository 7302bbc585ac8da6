"""Framework: agreements that must not come about (TS 29.198-3 §7.3.2): refused or forged
signatures, services outside the contract, signing at the wrong moment; gRPC: tokens on the
wrong service."""

from __future__ import annotations

from typing import Any

from apps.interop import chap
from apps.interop.catalogue.steps import (
    access,
    discover,
    initiated,
    probe_manager,
    selected,
    service_types,
    sign_agreement,
    terminate_agreement,
)
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import expect_refusal

SAM = "TS 29.198-3 §7.3.2 IpServiceAgreementManagement"
APP_SAM = "TS 29.198-3 §7.3.2 IpAppServiceAgreementManagement"
FLOW = "TS 29.198-3 §7.1.4"


@tp("FW/SAM/BI-06", "An agreement the application refused to sign gives no manager",
    clause=f"{APP_SAM}.signServiceAgreement raises P_INVALID_AGREEMENT_TEXT; {FLOW}",
    pre="A service token",
    stimulus="initiateSignServiceAgreement; our signServiceAgreement callback refuses; then "
             "signServiceAgreement(token, text, algorithm)",
    expected="P_ACCESS_DENIED (no manager)",
    transports=("corba",), covers=("P_ACCESS_DENIED",))  # fmt: skip
def app_refuses(ctx: Any) -> None:
    session, token, text, algorithm = initiated(ctx, mode="refuse")
    expect_refusal(
        lambda: session.sam.signServiceAgreement(token, text, algorithm), "P_ACCESS_DENIED"
    )


@tp("FW/SAM/BI-07", "An agreement signed with the wrong key gives no manager",
    clause=f"{SAM}.signServiceAgreement; the text is 'to be signed ... using the private key of "
           "the client application'",
    pre="A service token",
    stimulus="We sign the agreement text with a key the operator did not register, then "
             "signServiceAgreement",
    expected="Refused: P_ACCESS_DENIED or P_INVALID_SIGNATURE",
    covers=("P_INVALID_SIGNATURE", "P_ACCESS_DENIED"))  # fmt: skip
def wrong_key(ctx: Any) -> None:
    if ctx.corba:
        session, token, text, algorithm = initiated(ctx, mode="wrong-key")
        call = lambda: session.sam.signServiceAgreement(token, text, algorithm)  # noqa: E731
    else:
        from apps.interop.corba_framework import _throwaway_key

        session, token, text, algorithm = initiated(ctx)
        forged = chap.sign(algorithm, _throwaway_key(ctx.creds.key), text)
        call = lambda: session.sign_agreement(token, text, algorithm, forged)  # noqa: E731
    expect_refusal(call, "P_ACCESS_DENIED", "P_INVALID_SIGNATURE")


@tp("FW/SAM/BI-08", "terminateServiceAgreement with a bad signature is refused",
    clause=f"{SAM}.terminateServiceAgreement (P_INVALID_SIGNATURE)",
    pre="A signed agreement",
    stimulus="terminateServiceAgreement(token, text, a signature of another text), then use it",
    expected="P_INVALID_SIGNATURE; the manager still works",
    covers=("P_INVALID_SIGNATURE",))  # fmt: skip
def terminate_bad_signature(ctx: Any) -> None:
    session = access(ctx)
    agreement = session.agreement(ctx.first_service_type())
    forged = bytes(session.sign("another text"))
    expect_refusal(
        lambda: terminate_agreement(ctx, session, agreement.token, "interop ends", forged),
        "P_INVALID_SIGNATURE",
    )
    probe_manager(ctx, agreement)


@tp("FW/SAM/BI-09", "terminateServiceAgreement of an unknown token is refused",
    clause=f"{SAM}.terminateServiceAgreement (P_INVALID_SERVICE_TOKEN)",
    pre="An access session",
    stimulus="terminateServiceAgreement('iop-no-such-token', text, our signature)",
    expected="P_INVALID_SERVICE_TOKEN",
    covers=("P_INVALID_SERVICE_TOKEN",))  # fmt: skip
def terminate_unknown(ctx: Any) -> None:
    session = ctx.session()
    text = f"interop {ctx.run_id} ends nothing"
    expect_refusal(
        lambda: terminate_agreement(
            ctx, session, "iop-no-such-token", text, bytes(session.sign(text))
        ),
        "P_INVALID_SERVICE_TOKEN",
    )


@tp("FW/SAM/BI-10", "selectService of a service outside the contract is refused",
    clause=f"{SAM}.selectService (P_SERVICE_ACCESS_DENIED)",
    pre="A peer application (profile [peer]) whose contract lacks a service type the main "
        "application has",
    stimulus="The peer calls selectService(id of that service)",
    expected="P_SERVICE_ACCESS_DENIED",
    covers=("P_SERVICE_ACCESS_DENIED",))  # fmt: skip
def outside_contract(ctx: Any) -> None:
    peer = access(ctx, ctx.peer_creds())
    peer_types = set(service_types(ctx, peer))
    outside = [
        (name, found[0][0])
        for name in service_types(ctx, ctx.session())
        if name not in peer_types and (found := discover(ctx, ctx.session(), name))
    ]
    if outside:
        name, service_id = outside[0]
        if ctx.corba:
            expect_refusal(lambda: peer.sam.selectService(service_id), "P_SERVICE_ACCESS_DENIED")
        else:
            from micropay.v1 import framework_pb2 as fpb

            request = fpb.SelectServiceRequest(service_id=service_id)
            expect_refusal(lambda: peer.call("SelectService", request), "P_SERVICE_ACCESS_DENIED")
        ctx.note(f"the peer may not select {service_id} ({name})")
        return
    raise Inconclusive("the peer's contract has every service type the main application has")


@tp("FW/SAM/BO-01", "Signing without a callback for agreement management is refused",
    clause=f"{SAM}.initiateSignServiceAgreement; osa.idl TpCommonExceptions "
           "P_NO_CALLBACK_ADDRESS_SET",
    pre="An access session whose agreement management was obtained WITHOUT a callback",
    stimulus="selectService, then initiateSignServiceAgreement(token)",
    expected="TpCommonExceptions(P_NO_CALLBACK_ADDRESS_SET)",
    transports=("corba",), covers=("TpCommonExceptions", "P_NO_CALLBACK_ADDRESS_SET"))  # fmt: skip
def no_callback(ctx: Any) -> None:
    session = access(ctx, prepare=False).prepare(with_sam_callback=False)
    _, token = session.select(ctx.first_service_type())
    expect_refusal(
        lambda: session.sam.initiateSignServiceAgreement(token),
        "TpCommonExceptions", exception_type="P_NO_CALLBACK_ADDRESS_SET",
    )  # fmt: skip


@tp("FW/SAM/BO-02", "signServiceAgreement before initiateSignServiceAgreement is refused",
    clause=f"{SAM}.signServiceAgreement: 'After the framework has called signServiceAgreement() "
           "on the application's IpAppServiceAgreementManagement ...'; {FLOW}",
    pre="A service token, no initiateSignServiceAgreement",
    stimulus="signServiceAgreement(token, a text, the session's algorithm)",
    expected="Refused (P_ACCESS_DENIED, P_INVALID_AGREEMENT_TEXT or TpCommonExceptions); no manager",
    covers=("P_ACCESS_DENIED",))  # fmt: skip
def sign_too_early(ctx: Any) -> None:
    session, _, token = selected(ctx)
    refusal = expect_refusal(
        lambda: sign_agreement(ctx, session, token, "an agreement nobody offered", session.algorithm),
        "P_ACCESS_DENIED", "P_INVALID_AGREEMENT_TEXT", "TpCommonExceptions",
    )  # fmt: skip
    ctx.note(f"refused with {refusal.describe()}")


@tp("FW/SAM/BO-03", "A service access token is good for its own service only",
    clause="docs/grpc-api.md (service access tokens); AIP-193",
    pre="A signed agreement for P_PAYMENT",
    stimulus="Send the P_PAYMENT service access token to AccountService.GetBalanceTypes",
    expected="PERMISSION_DENIED, reason TOKEN_WRONG_SERVICE",
    transports=("grpc",), covers=("TOKEN_WRONG_SERVICE",))  # fmt: skip
def wrong_service(ctx: Any) -> None:
    from apps.interop.grpc_scf import GrpcAccount

    token = access(ctx).agreement("P_PAYMENT").manager
    face = GrpcAccount(ctx.fw.channel, token)
    refusal = expect_refusal(
        lambda: face.getBalanceTypes("tel:+10000000000"), "TOKEN_WRONG_SERVICE"
    )
    assert refusal.grpc_code == "PERMISSION_DENIED", refusal.grpc_code
