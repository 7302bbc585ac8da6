"""Framework: IpInitial and IpAPILevelAuthentication (TS 29.198-3 §6.3.1, states §6.4).

Over gRPC the same steps are InitiateAuthentication and CompleteAuthentication
(proto/micropay/v1/framework.proto).
"""

from __future__ import annotations

from typing import Any

from apps.interop import chap
from apps.interop.catalogue.steps import begin, nil
from apps.interop.corba_framework import ClientAccess, HandshakeError
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, check_refusal, expect_refusal

INITIAL = "TS 29.198-3 §6.3.1 IpInitial"
API_AUTH = "TS 29.198-3 §6.3.1 IpAPILevelAuthentication"
CHAP = "docs/framework.md (mechanisms) / RFC 1994 CHAP"
API_AUTH_REPO_ID = "IDL:org/csapi/fw/fw_access/trust_and_security/IpAPILevelAuthentication:1.0"


def _unknown_app(ctx: Any) -> str:
    return f"iop-unknown-{ctx.run_id}"


# -- IpInitial ------------------------------------------------------------------------------------
# -- IpAPILevelAuthentication ---------------------------------------------------------------------
@tp("FW/AUT/BV-01", "The framework picks the first mechanism of the list it supports",
    clause=f"{API_AUTH}.selectAuthenticationMechanism",
    pre="initiateAuthenticationWithVersion succeeded",
    stimulus="selectAuthenticationMechanism('P_IOP_NO_SUCH_MECHANISM,<our mechanism>'); gRPC: "
             "InitiateAuthentication with that list",
    expected="Our mechanism (the first one the framework supports)",
    covers=("IpAPILevelAuthentication.selectAuthenticationMechanism",))  # fmt: skip
def mechanism_first_supported(ctx: Any) -> None:
    wanted = ctx.creds.mechanisms.split(",")[0]
    offered = f"P_IOP_NO_SUCH_MECHANISM,{wanted}"
    if ctx.corba:
        chosen = ctx.fw.select_mechanism(begin(ctx), offered)
    else:
        chosen = ctx.fw.initiate(ctx.creds.app_id, offered).mechanism
    assert chosen == wanted, f"chose {chosen!r}, expected {wanted!r}"


@tp("FW/AUT/BV-02", "The framework proves it knows the shared secret",
    clause=f"{API_AUTH}.challenge; {CHAP}",
    pre="A mechanism was selected",
    stimulus="challenge(a fresh CHAP Challenge packet); gRPC: CompleteAuthentication.client_challenge",
    expected="A CHAP Response with our identifier and the digest of the shared secret",
    covers=("IpAPILevelAuthentication.challenge", "IpAPILevelAuthentication.authenticationSucceeded"))  # fmt: skip
def framework_proves(ctx: Any) -> None:
    try:
        if ctx.corba:
            handshake = begin(ctx)
            ctx.fw.select_mechanism(handshake, ctx.creds.mechanisms)
            ctx.fw.prove_framework(handshake, ctx.creds)
        else:
            ctx.own(ctx.fw.open_access(ctx.creds))
    except HandshakeError as exc:
        raise AssertionError(str(exc)) from None


@tp("FW/AUT/BV-03", "The framework challenges the application and reports success",
    clause=f"TS 29.198-3 §6.3.1 IpClientAPILevelAuthentication.challenge, "
           f"authenticationSucceeded; {CHAP}",
    pre="A mechanism was selected",
    stimulus="selectAuthenticationMechanism; we answer the framework's challenge correctly and "
             "accept its proof",
    expected="The framework calls our challenge() with a well-formed CHAP Challenge, then our "
             "authenticationSucceeded()",
    transports=("corba",),
    covers=("IpClientAPILevelAuthentication.challenge",
            "IpClientAPILevelAuthentication.authenticationSucceeded"))  # fmt: skip
def framework_challenges(ctx: Any) -> None:
    try:
        handshake = ctx.own(ctx.fw.authenticate(ctx.creds))
    except HandshakeError as exc:
        raise AssertionError(str(exc)) from None
    assert handshake.servant.challenged.is_set(), "the framework never challenged us"
    chap.parse_challenge(handshake.servant.challenge_packet)


@tp("FW/AUT/BV-04", "Legacy P_OSA_MD5 authentication works when allowed",
    clause=f"{API_AUTH}.selectAuthenticationMechanism; docs/framework.md (mechanisms) P_OSA_MD5",
    pre="The operator allows P_OSA_MD5 for the application (profile: [framework] md5 = true)",
    stimulus="The whole mutual authentication with the mechanism list 'P_OSA_MD5'",
    expected="P_OSA_MD5 is chosen and both sides are proven",
    covers=("P_OSA_MD5",))  # fmt: skip
def md5_mechanism(ctx: Any) -> None:
    if not ctx.profile.md5_allowed:
        raise Inconclusive("the profile does not say the application may use P_OSA_MD5")
    try:
        if ctx.corba:
            handshake = ctx.own(ctx.fw.authenticate(ctx.creds, "P_OSA_MD5"))
            assert handshake.servant.mechanism == "P_OSA_MD5", handshake.servant.mechanism
        else:
            ctx.own(ctx.fw.open_access(ctx.creds, mechanisms="P_OSA_MD5"))
    except HandshakeError as exc:
        raise AssertionError(str(exc)) from None


@tp("FW/AUT/BV-05", "After mutual authentication, requestAccess returns IpAccess",
    clause="TS 29.198-3 §6.3.1 IpAuthentication.requestAccess",
    pre="Both sides are authenticated",
    stimulus="requestAccess('P_OSA_ACCESS', our IpClientAccess)",
    expected="An IpAccess reference",
    transports=("corba",), covers=("IpAuthentication.requestAccess",))  # fmt: skip
def request_access(ctx: Any) -> None:
    from org.csapi.fw.fw_access import trust_and_security as ts

    handshake = ctx.own(ctx.fw.authenticate(ctx.creds))
    ref = handshake.fw_auth.requestAccess("P_OSA_ACCESS", ctx.world.activate(ClientAccess()))
    access = ref._narrow(ts.IpAccess) if ref is not None else None
    assert access is not None, "requestAccess did not return an IpAccess"
    from apps.interop.corba_framework import CorbaAccess

    ctx.own(CorbaAccess(ctx.world, ctx.creds, access, ClientAccess()))


@tp("FW/AUT/BI-01", "No acceptable mechanism is refused",
    clause=f"{API_AUTH}.selectAuthenticationMechanism (P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM)",
    pre="initiateAuthenticationWithVersion succeeded",
    stimulus="selectAuthenticationMechanism('P_IOP_NO_SUCH_MECHANISM'); gRPC: "
             "InitiateAuthentication with that list",
    expected="P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM",
    covers=("P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM",))  # fmt: skip
def mechanism_none(ctx: Any) -> None:
    if ctx.corba:
        handshake = begin(ctx)
        expect_refusal(
            lambda: handshake.fw_auth.selectAuthenticationMechanism("P_IOP_NO_SUCH_MECHANISM"),
            "P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM",
        )
        return
    expect_refusal(
        lambda: ctx.fw.initiate(ctx.creds.app_id, "P_IOP_NO_SUCH_MECHANISM"),
        "P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM",
    )


@tp("FW/AUT/BI-02", "A wrong answer to the framework's challenge ends the authentication",
    clause=f"{API_AUTH} (states, §6.4); IpAuthentication.requestAccess (P_ACCESS_DENIED)",
    pre="A mechanism was selected (counts one failure toward the application's lock-out)",
    stimulus="We answer the framework's challenge with the digest of a wrong secret, then "
             "requestAccess; gRPC: CompleteAuthentication with a wrong challenge_response",
    expected="The framework calls our abortAuthentication() and refuses access (P_ACCESS_DENIED); "
             "gRPC: P_ACCESS_DENIED",
    covers=("IpClientAPILevelAuthentication.abortAuthentication", "P_ACCESS_DENIED"))  # fmt: skip
def wrong_answer(ctx: Any) -> None:
    if ctx.corba:
        handshake = begin(ctx, mode="wrong")
        ctx.fw.select_mechanism(handshake, ctx.creds.mechanisms)
        assert handshake.servant.aborted.wait(ctx.wait_s), (
            "the framework did not call abortAuthentication after a wrong answer"
        )
        expect_refusal(
            lambda: handshake.fw_auth.requestAccess("P_OSA_ACCESS", ctx.world.activate(ClientAccess())),
            "P_ACCESS_DENIED", "OBJECT_NOT_EXIST",
        )  # fmt: skip
        return
    started = ctx.fw.initiate(ctx.creds.app_id, ctx.creds.mechanisms)
    wrong = chap.response_packet(
        started.mechanism, started.challenge, b"not-" + ctx.creds.secret, started.parties
    )
    _, _, packet = chap.challenge_packet()
    expect_refusal(
        lambda: ctx.fw.complete(started, wrong, packet, ctx.creds.signing_caps()), "P_ACCESS_DENIED"
    )


@tp("FW/AUT/BI-03", "An unknown access type is refused",
    clause="TS 29.198-3 §6.3.1 IpAuthentication.requestAccess (P_INVALID_ACCESS_TYPE)",
    pre="Both sides are authenticated",
    stimulus="requestAccess('P_IOP_NO_SUCH_ACCESS', our IpClientAccess)",
    expected="P_INVALID_ACCESS_TYPE",
    transports=("corba",), covers=("P_INVALID_ACCESS_TYPE",))  # fmt: skip
def access_type(ctx: Any) -> None:
    handshake = ctx.own(ctx.fw.authenticate(ctx.creds))
    expect_refusal(
        lambda: handshake.fw_auth.requestAccess(
            "P_IOP_NO_SUCH_ACCESS", ctx.world.activate(ClientAccess())
        ),
        "P_INVALID_ACCESS_TYPE",
    )


@tp("FW/AUT/BI-04", "A nil client access interface is refused",
    clause="TS 29.198-3 §6.3.1 IpAuthentication.requestAccess (P_INVALID_INTERFACE_TYPE)",
    pre="Both sides are authenticated",
    stimulus="requestAccess('P_OSA_ACCESS', nil)",
    expected="P_INVALID_INTERFACE_TYPE",
    transports=("corba",), covers=("P_INVALID_INTERFACE_TYPE",))  # fmt: skip
def access_nil(ctx: Any) -> None:
    handshake = ctx.own(ctx.fw.authenticate(ctx.creds))
    expect_refusal(
        lambda: handshake.fw_auth.requestAccess("P_OSA_ACCESS", nil()), "P_INVALID_INTERFACE_TYPE"
    )


@tp("FW/AUT/BI-05", "The framework does not answer its own challenge (reflection)",
    clause=f"{API_AUTH}.challenge; docs/framework.md (mechanisms: mutual, fresh, once)",
    pre="A mechanism was selected; the framework is challenging us",
    stimulus="Inside our challenge() callback we send the framework's own challenge back to it",
    expected="P_ACCESS_DENIED (a reflected challenge would let anyone relay the framework's proof)",
    transports=("corba",), covers=("P_ACCESS_DENIED",))  # fmt: skip
def reflection(ctx: Any) -> None:
    handshake = begin(ctx, mode="reflect")
    ctx.fw.select_mechanism(handshake, ctx.creds.mechanisms)
    assert handshake.servant.challenged.wait(ctx.wait_s), "the framework never challenged us"
    reflected = handshake.servant.reflection
    if isinstance(reflected, Refusal):
        check_refusal(reflected, ("P_ACCESS_DENIED",))
        return
    raise AssertionError(f"the framework answered its own challenge: {reflected!r}")


@tp("FW/AUT/BI-06", "A replayed client challenge is not answered again",
    clause=f"{API_AUTH}.challenge; docs/framework.md (mechanisms: mutual, fresh, once)",
    pre="A mechanism was selected in two handshakes of the application",
    stimulus="challenge(P) in one handshake, then the same packet P in a second one",
    expected="The second is refused with P_ACCESS_DENIED",
    transports=("corba",), covers=("P_ACCESS_DENIED",))  # fmt: skip
def replayed_challenge(ctx: Any) -> None:
    first, second = begin(ctx), begin(ctx)
    for handshake in (first, second):
        ctx.fw.select_mechanism(handshake, ctx.creds.mechanisms)
    _, _, packet = chap.challenge_packet()
    first.fw_auth.challenge(list(packet))
    expect_refusal(lambda: second.fw_auth.challenge(list(packet)), "P_ACCESS_DENIED")


@tp("FW/AUT/BO-01", "requestAccess before authentication completes is refused",
    clause="TS 29.198-3 §6.3.1 IpAuthentication.requestAccess: 'If [it] is called before the "
           "client has been successfully authenticated ... P_ACCESS_DENIED'",
    pre="A mechanism was selected; we have not proven the framework",
    stimulus="requestAccess('P_OSA_ACCESS', our IpClientAccess) straight away",
    expected="P_ACCESS_DENIED",
    transports=("corba",), covers=("P_ACCESS_DENIED",))  # fmt: skip
def access_too_early(ctx: Any) -> None:
    handshake = begin(ctx)
    ctx.fw.select_mechanism(handshake, ctx.creds.mechanisms)
    expect_refusal(
        lambda: handshake.fw_auth.requestAccess("P_OSA_ACCESS", ctx.world.activate(ClientAccess())),
        "P_ACCESS_DENIED",
    )


@tp("FW/AUT/BO-02", "After the application aborts, the authentication cannot be used",
    clause=f"{API_AUTH}.abortAuthentication",
    pre="initiateAuthenticationWithVersion succeeded",
    stimulus="abortAuthentication(), then selectAuthenticationMechanism",
    expected="Refused (P_ACCESS_DENIED or the object is gone: OBJECT_NOT_EXIST)",
    transports=("corba",), covers=("IpAPILevelAuthentication.abortAuthentication",))  # fmt: skip
def aborted_by_client(ctx: Any) -> None:
    handshake = begin(ctx)
    handshake.fw_auth.abortAuthentication()
    expect_refusal(
        lambda: handshake.fw_auth.selectAuthenticationMechanism(ctx.creds.mechanisms),
        "P_ACCESS_DENIED", "OBJECT_NOT_EXIST", "TpCommonExceptions",
    )  # fmt: skip


@tp("FW/AUT/BO-03", "Deprecated selectEncryptionMethod is refused in the Parlay 4 flow",
    clause=f"{API_AUTH}.selectEncryptionMethod: 'shall only be used when ... obtained by using "
           "the deprecated method initiateAuthentication()'",
    pre="initiateAuthenticationWithVersion succeeded",
    stimulus="selectEncryptionMethod('NULL,P_RSA_512')",
    expected="Refused: TpCommonExceptions, P_ACCESS_DENIED or P_NO_ACCEPTABLE_ENCRYPTION_CAPABILITY",
    transports=("corba",),
    covers=("IpAPILevelAuthentication.selectEncryptionMethod", "TpCommonExceptions"))  # fmt: skip
def encryption_method(ctx: Any) -> None:
    handshake = begin(ctx)
    expect_refusal(
        lambda: handshake.fw_auth.selectEncryptionMethod("NULL,P_RSA_512"),
        "TpCommonExceptions", "P_ACCESS_DENIED", "P_NO_ACCEPTABLE_ENCRYPTION_CAPABILITY",
    )  # fmt: skip


@tp("FW/AUT/BO-04", "Deprecated authenticate is refused in the Parlay 4 flow",
    clause=f"{API_AUTH}.authenticate (deprecated from Parlay 4 on)",
    pre="initiateAuthenticationWithVersion succeeded",
    stimulus="authenticate(a CHAP Challenge packet)",
    expected="Refused: TpCommonExceptions or P_ACCESS_DENIED",
    transports=("corba",), covers=("IpAPILevelAuthentication.authenticate",))  # fmt: skip
def authenticate_deprecated(ctx: Any) -> None:
    handshake = begin(ctx)
    _, _, packet = chap.challenge_packet()
    expect_refusal(
        lambda: handshake.fw_auth.authenticate(list(packet)),
        "TpCommonExceptions",
        "P_ACCESS_DENIED",
    )


@tp("FW/AUT/BO-05", "An unknown authentication id is refused",
    clause="proto/micropay/v1/framework.proto CompleteAuthentication (P_ACCESS_DENIED)",
    pre="None",
    stimulus="CompleteAuthentication with an authentication id the framework never gave",
    expected="P_ACCESS_DENIED",
    transports=("grpc",), covers=("P_ACCESS_DENIED",))  # fmt: skip
def unknown_authentication(ctx: Any) -> None:
    from apps.interop.grpc_framework import Started

    started = Started(f"iop-{ctx.run_id}-made-up", ctx.creds.mechanisms.split(",")[0], b"")
    _, _, packet = chap.challenge_packet()
    response = chap.response_packet(started.mechanism, packet, ctx.creds.secret, started.parties)
    expect_refusal(
        lambda: ctx.fw.complete(
            started, response, chap.challenge_packet()[2], ctx.creds.signing_caps()
        ),
        "P_ACCESS_DENIED",
    )


@tp("FW/AUT/BO-06", "An authentication id is single use",
    clause="proto/micropay/v1/framework.proto InitiateAuthenticationResponse.authentication_id "
           "('single use, short-lived')",
    pre="One authentication completed",
    stimulus="CompleteAuthentication again with the same authentication id and a right answer",
    expected="P_ACCESS_DENIED",
    transports=("grpc",), covers=("P_ACCESS_DENIED",))  # fmt: skip
def authentication_once(ctx: Any) -> None:
    started = ctx.fw.initiate(ctx.creds.app_id, ctx.creds.mechanisms)
    response = chap.response_packet(
        started.mechanism, started.challenge, ctx.creds.secret, started.parties
    )
    done = ctx.fw.complete(started, response, chap.challenge_packet()[2], ctx.creds.signing_caps())
    from apps.interop.grpc_framework import GrpcAccess

    ctx.own(GrpcAccess(ctx.fw, ctx.creds, done.access_token, done.signing_algorithm))
    expect_refusal(
        lambda: ctx.fw.complete(
            started, response, chap.challenge_packet()[2], ctx.creds.signing_caps()
        ),
        "P_ACCESS_DENIED",
    )
