"""Framework: IpInitial (TS 29.198-3 §6.3.1); gRPC: InitiateAuthentication."""

from __future__ import annotations

from typing import Any

import org.csapi.fw as fw

from apps.interop import chap
from apps.interop.catalogue.steps import begin, nil
from apps.interop.corba_framework import ClientAccess, HandshakeError
from apps.interop.model import tp
from apps.interop.refusals import expect_refusal

INITIAL = "TS 29.198-3 §6.3.1 IpInitial"
API_AUTH_REPO_ID = "IDL:org/csapi/fw/fw_access/trust_and_security/IpAPILevelAuthentication:1.0"


def _unknown_app(ctx: Any) -> str:
    return f"iop-unknown-{ctx.run_id}"


@tp("FW/INI/BV-01", "IpInitial hands out the framework's authentication interface",
    clause=f"{INITIAL}.initiateAuthenticationWithVersion",
    pre="The application is registered and enabled",
    stimulus="initiateAuthenticationWithVersion({P_CLIENT_APPLICATION: app, our "
             "IpClientAPILevelAuthentication}, P_OSA_AUTHENTICATION, P_PARLAY_4); gRPC: "
             "InitiateAuthentication(app, P_PARLAY_4, mechanisms)",
    expected="A TpAuthDomain of type P_FW whose AuthInterface is an IpAPILevelAuthentication; "
             "gRPC: an authentication id, a chosen mechanism and a well-formed CHAP Challenge",
    covers=("IpInitial.initiateAuthenticationWithVersion",))  # fmt: skip
def initial_valid(ctx: Any) -> None:
    if ctx.corba:
        handshake = begin(ctx)
        assert handshake.answer.DomainID._d == fw.P_FW, (
            f"DomainID is {handshake.answer.DomainID._d}, expected P_FW"
        )
        ref = handshake.answer.AuthInterface
        assert ref is not None and ref._is_a(API_AUTH_REPO_ID), (
            "AuthInterface is not an IpAPILevelAuthentication"
        )
        ctx.note(f"framework id {handshake.answer.DomainID.FwID!r}")
        return
    started = ctx.fw.initiate(ctx.creds.app_id, ctx.creds.mechanisms)
    assert started.authentication_id, "no authentication id"
    assert started.mechanism in ctx.creds.mechanisms.split(","), started.mechanism
    try:
        chap.parse_challenge(started.challenge)
    except ValueError as exc:
        raise AssertionError(f"the challenge: {exc}") from None


@tp("FW/INI/BV-02", "The deprecated initiateAuthentication still leads to authentication",
    clause=f"{INITIAL}.initiateAuthentication (deprecated, to be supported until the next major release)",
    pre="The application is registered and enabled",
    stimulus="initiateAuthentication({P_CLIENT_APPLICATION: app, our auth interface}, "
             "P_OSA_AUTHENTICATION), then the Parlay 4 steps",
    expected="An IpAPILevelAuthentication that selects a mechanism and answers our CHAP challenge",
    transports=("corba",), covers=("IpInitial.initiateAuthentication",))  # fmt: skip
def initial_deprecated(ctx: Any) -> None:
    from org.csapi.fw.fw_access import trust_and_security as ts

    from apps.interop.corba_framework import ClientAuth, Handshake
    from apps.interop.corba_orb import Guarded

    servant = ClientAuth(ctx.creds.secret)
    servant.parties = (b"micropay", ctx.creds.app_id.encode())
    answer = ctx.fw.initial().initiateAuthentication(
        ctx.fw.domain(ctx.creds.app_id, ctx.world.activate(servant)), "P_OSA_AUTHENTICATION"
    )
    fw_auth = answer.AuthInterface._narrow(ts.IpAPILevelAuthentication)
    assert fw_auth is not None, "AuthInterface is not an IpAPILevelAuthentication"
    handshake = ctx.own(Handshake(Guarded(fw_auth), servant, answer))
    ctx.fw.select_mechanism(handshake, ctx.creds.mechanisms)
    try:
        ctx.fw.prove_framework(handshake, ctx.creds)
    except HandshakeError as exc:
        raise AssertionError(str(exc)) from None


@tp("FW/INI/BI-01", "An unknown authentication type is refused",
    clause=f"{INITIAL}.initiateAuthenticationWithVersion (P_INVALID_AUTH_TYPE)",
    pre="The application is registered and enabled",
    stimulus="initiateAuthenticationWithVersion(valid domain, 'P_IOP_NO_SUCH_AUTH', P_PARLAY_4)",
    expected="P_INVALID_AUTH_TYPE",
    transports=("corba",), covers=("P_INVALID_AUTH_TYPE",))  # fmt: skip
def initial_auth_type(ctx: Any) -> None:
    from apps.interop.corba_framework import ClientAuth

    domain = ctx.fw.domain(ctx.creds.app_id, ctx.world.activate(ClientAuth(ctx.creds.secret)))
    expect_refusal(
        lambda: ctx.fw.initial().initiateAuthenticationWithVersion(
            domain, "P_IOP_NO_SUCH_AUTH", "P_PARLAY_4"
        ),
        "P_INVALID_AUTH_TYPE",
    )


@tp("FW/INI/BI-02", "An unknown client application is refused",
    clause=f"{INITIAL}.initiateAuthenticationWithVersion (P_INVALID_DOMAIN_ID)",
    pre="None (the application id is made up for the run)",
    stimulus="initiateAuthenticationWithVersion({P_CLIENT_APPLICATION: an unregistered id}, ...); "
             "gRPC: InitiateAuthentication(unregistered id)",
    expected="P_INVALID_DOMAIN_ID",
    covers=("P_INVALID_DOMAIN_ID",))  # fmt: skip
def initial_unknown_app(ctx: Any) -> None:
    if ctx.corba:
        from apps.interop.corba_framework import ClientAuth

        ref = ctx.world.activate(ClientAuth(b"x"))
        expect_refusal(
            lambda: ctx.fw.initial().initiateAuthenticationWithVersion(
                ctx.fw.domain(_unknown_app(ctx), ref), "P_OSA_AUTHENTICATION", "P_PARLAY_4"
            ),
            "P_INVALID_DOMAIN_ID",
        )
        return
    expect_refusal(
        lambda: ctx.fw.initiate(_unknown_app(ctx), ctx.creds.mechanisms), "P_INVALID_DOMAIN_ID"
    )


@tp("FW/INI/BI-03", "A domain that is not a client application is refused",
    clause=f"{INITIAL}.initiateAuthenticationWithVersion (P_INVALID_DOMAIN_ID)",
    pre="None",
    stimulus="initiateAuthenticationWithVersion({P_ENT_OP: 'iop'}, P_OSA_AUTHENTICATION, P_PARLAY_4)",
    expected="P_INVALID_DOMAIN_ID",
    transports=("corba",), covers=("P_INVALID_DOMAIN_ID",))  # fmt: skip
def initial_enterprise_domain(ctx: Any) -> None:
    from apps.interop.corba_framework import ClientAuth

    domain = fw.TpAuthDomain(fw.TpDomainID(EntOpID="iop"), ctx.world.activate(ClientAuth(b"x")))
    expect_refusal(
        lambda: ctx.fw.initial().initiateAuthenticationWithVersion(
            domain, "P_OSA_AUTHENTICATION", "P_PARLAY_4"
        ),
        "P_INVALID_DOMAIN_ID",
    )


@tp("FW/INI/BI-04", "A nil authentication interface is refused",
    clause=f"{INITIAL}.initiateAuthenticationWithVersion (P_INVALID_INTERFACE_TYPE)",
    pre="The application is registered and enabled",
    stimulus="initiateAuthenticationWithVersion({app, nil}, P_OSA_AUTHENTICATION, P_PARLAY_4)",
    expected="P_INVALID_INTERFACE_TYPE",
    transports=("corba",), covers=("P_INVALID_INTERFACE_TYPE",))  # fmt: skip
def initial_nil_interface(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.fw.initial().initiateAuthenticationWithVersion(
            ctx.fw.domain(ctx.creds.app_id, nil()), "P_OSA_AUTHENTICATION", "P_PARLAY_4"
        ),
        "P_INVALID_INTERFACE_TYPE",
    )


@tp("FW/INI/BI-05", "An unsupported framework version is refused",
    clause=f"{INITIAL}.initiateAuthenticationWithVersion (P_INVALID_VERSION)",
    pre="The application is registered and enabled",
    stimulus="initiateAuthenticationWithVersion(valid domain, P_OSA_AUTHENTICATION, 'P_PARLAY_3'); "
             "gRPC: InitiateAuthentication(app, 'P_PARLAY_3')",
    expected="P_INVALID_VERSION",
    covers=("P_INVALID_VERSION",))  # fmt: skip
def initial_version(ctx: Any) -> None:
    if ctx.corba:
        expect_refusal(lambda: begin(ctx, version="P_PARLAY_3"), "P_INVALID_VERSION")
        return
    expect_refusal(
        lambda: ctx.fw.initiate(ctx.creds.app_id, ctx.creds.mechanisms, "P_PARLAY_3"),
        "P_INVALID_VERSION",
    )


@tp("FW/INI/BI-06", "An authentication interface of the wrong type is refused",
    clause=f"{INITIAL}.initiateAuthenticationWithVersion (P_INVALID_INTERFACE_TYPE)",
    pre="The application is registered and enabled",
    stimulus="initiateAuthenticationWithVersion({app, an IpClientAccess object}, ...)",
    expected="P_INVALID_INTERFACE_TYPE",
    transports=("corba",), covers=("P_INVALID_INTERFACE_TYPE",))  # fmt: skip
def initial_wrong_interface(ctx: Any) -> None:
    wrong = ctx.world.activate(ClientAccess())
    expect_refusal(
        lambda: ctx.fw.initial().initiateAuthenticationWithVersion(
            ctx.fw.domain(ctx.creds.app_id, wrong), "P_OSA_AUTHENTICATION", "P_PARLAY_4"
        ),
        "P_INVALID_INTERFACE_TYPE",
    )
