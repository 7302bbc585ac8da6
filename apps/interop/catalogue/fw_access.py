"""Framework: IpAccess (TS 29.198-3 §6.3.1); over gRPC the access token and its refusals."""

from __future__ import annotations

from typing import Any

from apps.interop import chap
from apps.interop.catalogue.steps import (
    access,
    nil,
)
from apps.interop.corba_framework import ClientAccess
from apps.interop.model import tp
from apps.interop.refusals import expect_refusal

ACCESS = "TS 29.198-3 §6.3.1 IpAccess"
DISCOVERY_REPO_ID = "IDL:org/csapi/fw/fw_application/discovery/IpServiceDiscovery:1.0"
SAM_REPO_ID = "IDL:org/csapi/fw/fw_application/service_agreement/IpServiceAgreementManagement:1.0"


def _fresh(ctx: Any) -> Any:
    """A fresh access session where no signing algorithm is chosen yet (CORBA)."""
    return access(ctx, prepare=False)


@tp("FW/ACC/BV-01", "The framework picks the first signing algorithm of the list it supports",
    clause=f"{ACCESS}.selectSigningAlgorithm",
    pre="An access session",
    stimulus="selectSigningAlgorithm('P_IOP_NO_SUCH_ALGORITHM,<what our key signs>'); gRPC: "
             "CompleteAuthentication.signing_algorithms",
    expected="The first of ours the framework supports",
    covers=("IpAccess.selectSigningAlgorithm",))  # fmt: skip
def signing_first_supported(ctx: Any) -> None:
    ours = ctx.creds.signing_caps()
    offered = f"P_IOP_NO_SUCH_ALGORITHM,{ours}"
    if ctx.corba:
        chosen = _fresh(ctx).access.selectSigningAlgorithm(offered)
    else:
        chosen = access(ctx, signing=offered).algorithm
    assert chosen in ours.split(","), f"chose {chosen!r}, not one of {ours!r}"
    ctx.note(f"the framework chose {chosen}")


@tp("FW/ACC/BV-02", "obtainInterface gives the discovery interface",
    clause=f"{ACCESS}.obtainInterface",
    pre="An access session",
    stimulus="obtainInterface('P_DISCOVERY')",
    expected="An IpServiceDiscovery reference",
    transports=("corba",), covers=("IpAccess.obtainInterface",))  # fmt: skip
def obtain_discovery(ctx: Any) -> None:
    ref = _fresh(ctx).access.obtainInterface("P_DISCOVERY")
    assert ref is not None and ref._is_a(DISCOVERY_REPO_ID), "not an IpServiceDiscovery"


@tp("FW/ACC/BV-03", "obtainInterfaceWithCallback gives service agreement management",
    clause=f"{ACCESS}.obtainInterfaceWithCallback",
    pre="An access session",
    stimulus="obtainInterfaceWithCallback('P_SERVICE_AGREEMENT_MANAGEMENT', our "
             "IpAppServiceAgreementManagement)",
    expected="An IpServiceAgreementManagement reference",
    transports=("corba",), covers=("IpAccess.obtainInterfaceWithCallback",))  # fmt: skip
def obtain_sam(ctx: Any) -> None:
    session = _fresh(ctx)
    ref = session.access.obtainInterfaceWithCallback(
        "P_SERVICE_AGREEMENT_MANAGEMENT", ctx.world.activate(session.sam_servant)
    )
    assert ref is not None and ref._is_a(SAM_REPO_ID), "not an IpServiceAgreementManagement"


@tp("FW/ACC/BV-04", "listInterfaces names the framework interfaces",
    clause=f"{ACCESS}.listInterfaces",
    pre="An access session",
    stimulus="listInterfaces()",
    expected="A list that includes P_DISCOVERY and P_SERVICE_AGREEMENT_MANAGEMENT",
    transports=("corba",), covers=("IpAccess.listInterfaces",))  # fmt: skip
def list_interfaces(ctx: Any) -> None:
    names = set(_fresh(ctx).access.listInterfaces())
    missing = {"P_DISCOVERY", "P_SERVICE_AGREEMENT_MANAGEMENT"} - names
    assert not missing, f"listInterfaces lacks {sorted(missing)} (got {sorted(names)})"


@tp("FW/ACC/BI-01", "No acceptable signing algorithm is refused",
    clause=f"{ACCESS}.selectSigningAlgorithm (P_NO_ACCEPTABLE_SIGNING_ALGORITHM)",
    pre="An access session",
    stimulus="selectSigningAlgorithm('P_IOP_NO_SUCH_ALGORITHM'); gRPC: CompleteAuthentication "
             "with that list",
    expected="P_NO_ACCEPTABLE_SIGNING_ALGORITHM",
    covers=("P_NO_ACCEPTABLE_SIGNING_ALGORITHM",))  # fmt: skip
def signing_none(ctx: Any) -> None:
    if ctx.corba:
        session = _fresh(ctx)
        expect_refusal(
            lambda: session.access.selectSigningAlgorithm("P_IOP_NO_SUCH_ALGORITHM"),
            "P_NO_ACCEPTABLE_SIGNING_ALGORITHM",
        )
        return
    started = ctx.fw.initiate(ctx.creds.app_id, ctx.creds.mechanisms)
    response = chap.response_packet(
        started.mechanism, started.challenge, ctx.creds.secret, started.parties
    )
    expect_refusal(
        lambda: ctx.fw.complete(
            started, response, chap.challenge_packet()[2], "P_IOP_NO_SUCH_ALGORITHM"
        ),
        "P_NO_ACCEPTABLE_SIGNING_ALGORITHM",
    )


@tp("FW/ACC/BI-02", "An unknown interface name is refused",
    clause=f"{ACCESS}.obtainInterface (P_INVALID_INTERFACE_NAME)",
    pre="An access session",
    stimulus="obtainInterface('P_IOP_NO_SUCH_INTERFACE')",
    expected="P_INVALID_INTERFACE_NAME",
    transports=("corba",), covers=("P_INVALID_INTERFACE_NAME",))  # fmt: skip
def interface_name(ctx: Any) -> None:
    session = _fresh(ctx)
    expect_refusal(
        lambda: session.access.obtainInterface("P_IOP_NO_SUCH_INTERFACE"),
        "P_INVALID_INTERFACE_NAME",
    )


@tp("FW/ACC/BI-03", "A nil callback for agreement management is refused",
    clause=f"{ACCESS}.obtainInterfaceWithCallback (P_INVALID_INTERFACE_TYPE)",
    pre="An access session",
    stimulus="obtainInterfaceWithCallback('P_SERVICE_AGREEMENT_MANAGEMENT', nil)",
    expected="P_INVALID_INTERFACE_TYPE",
    transports=("corba",), covers=("P_INVALID_INTERFACE_TYPE",))  # fmt: skip
def callback_nil(ctx: Any) -> None:
    session = _fresh(ctx)
    expect_refusal(
        lambda: session.access.obtainInterfaceWithCallback("P_SERVICE_AGREEMENT_MANAGEMENT", nil()),
        "P_INVALID_INTERFACE_TYPE",
    )


@tp("FW/ACC/BI-04", "A callback of the wrong type is refused",
    clause=f"{ACCESS}.obtainInterfaceWithCallback (P_INVALID_INTERFACE_TYPE)",
    pre="An access session",
    stimulus="obtainInterfaceWithCallback('P_SERVICE_AGREEMENT_MANAGEMENT', an IpClientAccess)",
    expected="P_INVALID_INTERFACE_TYPE",
    transports=("corba",), covers=("P_INVALID_INTERFACE_TYPE",))  # fmt: skip
def callback_wrong_type(ctx: Any) -> None:
    session = _fresh(ctx)
    wrong = ctx.world.activate(ClientAccess())
    expect_refusal(
        lambda: session.access.obtainInterfaceWithCallback("P_SERVICE_AGREEMENT_MANAGEMENT", wrong),
        "P_INVALID_INTERFACE_TYPE",
    )


@tp("FW/ACC/BI-10", "A framework call without an access token is refused",
    clause="docs/grpc-api.md (bearer tokens); AIP-193",
    pre="None",
    stimulus="ListServiceTypes without an authorization header",
    expected="UNAUTHENTICATED, reason TOKEN_MISSING",
    transports=("grpc",), covers=("TOKEN_MISSING",))  # fmt: skip
def token_missing(ctx: Any) -> None:
    from micropay.v1 import framework_pb2 as fpb

    from apps.interop.grpc_framework import call

    refusal = expect_refusal(
        lambda: call(ctx.fw.stub, "ListServiceTypes", fpb.ListServiceTypesRequest()),
        "TOKEN_MISSING",
    )
    assert refusal.grpc_code == "UNAUTHENTICATED", refusal.grpc_code


@tp("FW/ACC/BI-11", "A made-up access token is refused",
    clause="docs/grpc-api.md (bearer tokens); AIP-193",
    pre="None",
    stimulus="ListServiceTypes with 'authorization: Bearer <made up>'",
    expected="UNAUTHENTICATED, reason TOKEN_INVALID",
    transports=("grpc",), covers=("TOKEN_INVALID",))  # fmt: skip
def token_invalid(ctx: Any) -> None:
    from micropay.v1 import framework_pb2 as fpb

    from apps.interop.grpc_framework import call

    refusal = expect_refusal(
        lambda: call(
            ctx.fw.stub, "ListServiceTypes", fpb.ListServiceTypesRequest(), f"iop-{ctx.run_id}"
        ),
        "TOKEN_INVALID",
    )
    assert refusal.grpc_code == "UNAUTHENTICATED", refusal.grpc_code
