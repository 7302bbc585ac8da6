"""Framework: service agreements (TS 29.198-3 §7.3.2, flow §7.1.4); gRPC: the agreement RPCs."""

from __future__ import annotations

from typing import Any

from apps.interop import chap
from apps.interop.catalogue.steps import (
    SYSTEM_GONE,
    TOKEN_GONE,
    access,
    initiated,
    probe_manager,
    selected,
    sign_agreement,
    terminate_agreement,
)
from apps.interop.corba_framework import MANAGERS
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, expect_refusal

SAM = "TS 29.198-3 §7.3.2 IpServiceAgreementManagement"
APP_SAM = "TS 29.198-3 §7.3.2 IpAppServiceAgreementManagement"
FLOW = "TS 29.198-3 §7.1.4"


def _other_algorithm(algorithm: str) -> str:
    return "P_ED25519" if algorithm != "P_ED25519" else "P_SHA256_RSA_2048"


@tp("FW/SAM/BV-01", "Selecting the same service twice gives the same token",
    clause=f"{SAM}.selectService: 'the same serviceToken ... shall be returned'",
    pre="An access session; a service of the first type under test is discovered",
    stimulus="selectService(id) twice",
    expected="Two equal, non-empty service tokens",
    covers=("IpServiceAgreementManagement.selectService",))  # fmt: skip
def select_twice(ctx: Any) -> None:
    session, service_id, token = selected(ctx)
    again = session.select(ctx.first_service_type())[1]
    assert token, "an empty service token"
    assert again == token, f"the second selectService gave another token ({again!r} != {token!r})"


@tp("FW/SAM/BV-02", "initiateSignServiceAgreement makes the framework ask the application to sign",
    clause=f"{SAM}.initiateSignServiceAgreement; {APP_SAM}.signServiceAgreement; {FLOW} step 3",
    pre="A service token",
    stimulus="initiateSignServiceAgreement(token); gRPC: InitiateSignServiceAgreement(token)",
    expected="The framework calls our signServiceAgreement(token, text, algorithm) with the "
             "session's signing algorithm and a non-empty text (gRPC: returns them)",
    covers=("IpServiceAgreementManagement.initiateSignServiceAgreement",
            "IpAppServiceAgreementManagement.signServiceAgreement"))  # fmt: skip
def initiate_asks(ctx: Any) -> None:
    session, token, text, algorithm = initiated(ctx)
    assert text, "an empty agreement text"
    assert algorithm == session.algorithm, (
        f"the agreement is to be signed with {algorithm}, but the session chose {session.algorithm}"
    )


@tp("FW/SAM/BV-03", "signServiceAgreement returns the framework's signature and the SCF manager",
    clause=f"{SAM}.signServiceAgreement; {FLOW} step 4",
    pre="The framework asked us to sign and we signed",
    stimulus="signServiceAgreement(token, the text, the algorithm) for each type under test",
    expected="TpSignatureAndServiceMgr with a signature and a manager of the SCF's type "
             "(gRPC: a service access token for the type)",
    covers=("IpServiceAgreementManagement.signServiceAgreement",))  # fmt: skip
def sign_gives_manager(ctx: Any) -> None:
    session = access(ctx)
    for service_type in ctx.service_types_under_test():
        agreement = session.agreement(service_type)
        assert agreement.fw_signature, f"{service_type}: the framework did not sign"
        if ctx.corba:
            assert agreement.manager is not None, f"{service_type}: no manager"
            if service_type in MANAGERS:
                assert agreement.manager._is_a(MANAGERS[service_type]._NP_RepositoryId), (
                    service_type
                )
        else:
            assert agreement.manager, f"{service_type}: no service access token"
        probe_manager(ctx, agreement)


@tp("FW/SAM/BV-04", "The framework's agreement signature verifies with its published key",
    clause=f"{SAM}.signServiceAgreement (TpSignatureAndServiceMgr.DigitalSignature); docs/framework.md (signing)",
    pre="The operator published the framework's public key for the agreement's signing algorithm "
        "(profile [framework] public_keys or --framework-key)",
    stimulus="Sign an agreement both ways",
    expected="The framework's signature verifies over the UTF-8 agreement text",
    covers=("IpServiceAgreementManagement.signServiceAgreement",))  # fmt: skip
def framework_signature(ctx: Any) -> None:
    if not ctx.creds.framework_keys:
        raise Inconclusive("no framework public key given")
    agreement = access(ctx).agreement(ctx.first_service_type())
    keys = ctx.framework_keys_for(agreement.algorithm)
    ok = any(
        chap.verify(agreement.algorithm, k, agreement.text, agreement.fw_signature) for k in keys
    )
    assert ok, f"the framework's {agreement.algorithm} signature does not verify with its key"


@tp("FW/SAM/BV-05", "terminateServiceAgreement revokes the manager",
    clause=f"{SAM}.terminateServiceAgreement",
    pre="A signed agreement",
    stimulus="terminateServiceAgreement(token, text, our signature), then call the manager",
    expected="Accepted; the manager is gone (OBJECT_NOT_EXIST; gRPC: token refused)",
    covers=("IpServiceAgreementManagement.terminateServiceAgreement",))  # fmt: skip
def terminate_revokes(ctx: Any) -> None:
    session = access(ctx)
    agreement = session.agreement(ctx.first_service_type())
    probe_manager(ctx, agreement)
    text = chap.termination_text(
        ctx.creds.app_id, f"service token {agreement.token}", f"interop {ctx.run_id}"
    )
    terminate_agreement(ctx, session, agreement.token, text, bytes(session.sign(text)))
    expect_refusal(lambda: probe_manager(ctx, agreement), *SYSTEM_GONE, *TOKEN_GONE)


@tp("FW/SAM/BV-06", "The SCF manager is an IpService that accepts setCallback",
    clause="TS 29.198-3 / osa.idl IpService.setCallback, setCallbackWithSessionID",
    pre="A signed agreement for each type under test",
    stimulus="setCallback(nil) and setCallbackWithSessionID(nil, 1) on each manager",
    expected="Accepted, or refused as P_INVALID_INTERFACE_TYPE (never an unknown operation)",
    transports=("corba",),
    covers=("IpService.setCallback", "IpService.setCallbackWithSessionID"))  # fmt: skip
def set_callback(ctx: Any) -> None:
    from apps.interop.catalogue.steps import nil
    from apps.interop.corba_orb import Guarded

    for service_type in ctx.service_types_under_test():
        manager = Guarded(ctx.raw_face("main", service_type).raw)
        for call in (lambda m=manager: m.setCallback(nil()),
                     lambda m=manager: m.setCallbackWithSessionID(nil(), 1)):  # fmt: skip
            try:
                call()
            except Refusal as refusal:
                assert refusal.name == "P_INVALID_INTERFACE_TYPE", f"{service_type}: {refusal}"


@tp("FW/SAM/BI-01", "selectService of an unknown service id is refused",
    clause=f"{SAM}.selectService (P_INVALID_SERVICE_ID)",
    pre="An access session",
    stimulus="selectService('iop-no-such-service')",
    expected="P_INVALID_SERVICE_ID",
    covers=("P_INVALID_SERVICE_ID",))  # fmt: skip
def select_unknown(ctx: Any) -> None:
    session = ctx.session()
    if ctx.corba:
        expect_refusal(
            lambda: session.sam.selectService("iop-no-such-service"), "P_INVALID_SERVICE_ID"
        )
        return
    from micropay.v1 import framework_pb2 as fpb

    expect_refusal(
        lambda: session.call(
            "SelectService", fpb.SelectServiceRequest(service_id="iop-no-such-service")
        ),
        "P_INVALID_SERVICE_ID",
    )


@tp("FW/SAM/BI-02", "initiateSignServiceAgreement with an unknown token is refused",
    clause=f"{SAM}.initiateSignServiceAgreement (P_INVALID_SERVICE_TOKEN)",
    pre="An access session",
    stimulus="initiateSignServiceAgreement('iop-no-such-token')",
    expected="P_INVALID_SERVICE_TOKEN",
    covers=("P_INVALID_SERVICE_TOKEN",))  # fmt: skip
def initiate_unknown(ctx: Any) -> None:
    session = ctx.session()
    if ctx.corba:
        expect_refusal(
            lambda: session.sam.initiateSignServiceAgreement("iop-no-such-token"),
            "P_INVALID_SERVICE_TOKEN",
        )
        return
    expect_refusal(lambda: session.initiate("iop-no-such-token"), "P_INVALID_SERVICE_TOKEN")


@tp("FW/SAM/BI-03", "signServiceAgreement with an unknown token is refused",
    clause=f"{SAM}.signServiceAgreement (P_INVALID_SERVICE_TOKEN)",
    pre="An access session",
    stimulus="signServiceAgreement('iop-no-such-token', text, the session's algorithm)",
    expected="P_INVALID_SERVICE_TOKEN",
    covers=("P_INVALID_SERVICE_TOKEN",))  # fmt: skip
def sign_unknown(ctx: Any) -> None:
    session = ctx.session()
    expect_refusal(
        lambda: sign_agreement(ctx, session, "iop-no-such-token", "text", session.algorithm),
        "P_INVALID_SERVICE_TOKEN",
    )


@tp("FW/SAM/BI-04", "signServiceAgreement with another algorithm is refused",
    clause=f"{SAM}.signServiceAgreement (P_INVALID_SIGNING_ALGORITHM); the algorithm 'shall be "
           "identical to the one chosen by the framework'",
    pre="The framework offered the agreement text",
    stimulus="signServiceAgreement(token, text, an algorithm other than the session's)",
    expected="P_INVALID_SIGNING_ALGORITHM",
    covers=("P_INVALID_SIGNING_ALGORITHM",))  # fmt: skip
def sign_other_algorithm(ctx: Any) -> None:
    session, token, text, algorithm = initiated(ctx)
    other = _other_algorithm(algorithm)
    if ctx.corba:
        call = lambda: session.sam.signServiceAgreement(token, text, other)  # noqa: E731
    else:
        call = lambda: session.sign_agreement(token, text, other, b"\x00" * 64)  # noqa: E731
    expect_refusal(call, "P_INVALID_SIGNING_ALGORITHM")


@tp("FW/SAM/BI-05", "signServiceAgreement with another text is refused",
    clause=f"{SAM}.signServiceAgreement (P_INVALID_AGREEMENT_TEXT)",
    pre="The framework offered the agreement text",
    stimulus="signServiceAgreement(token, a different text, the algorithm)",
    expected="P_INVALID_AGREEMENT_TEXT",
    covers=("P_INVALID_AGREEMENT_TEXT",))  # fmt: skip
def sign_other_text(ctx: Any) -> None:
    session, token, text, algorithm = initiated(ctx)
    expect_refusal(
        lambda: sign_agreement(
            ctx, session, token, text + " (amended by the application)", algorithm
        ),
        "P_INVALID_AGREEMENT_TEXT",
    )
