"""Framework: ending access and giving interfaces back (TS 29.198-3 §6.3.1 IpAccess
terminateAccess, relinquishInterface, releaseInterface, endAccess; IpClientAccess)."""

from __future__ import annotations

from typing import Any

import org.csapi.fw as fw

from apps.interop import chap
from apps.interop.catalogue.steps import (
    SYSTEM_GONE,
    TOKEN_GONE,
    access,
    probe_manager,
    service_types,
    terminate_access,
)
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, expect_refusal

ACCESS = "TS 29.198-3 §6.3.1 IpAccess"


def _fresh(ctx: Any) -> Any:
    """A fresh access session where no signing algorithm is chosen yet (CORBA)."""
    return access(ctx, prepare=False)


@tp("FW/ACC/BV-05", "A signed terminateAccess ends the access session",
    clause=f"{ACCESS}.terminateAccess",
    pre="An access session with a signing algorithm",
    stimulus="terminateAccess(text, our signature of it), then use the session",
    expected="Accepted; afterwards the session's interfaces are gone (OBJECT_NOT_EXIST or "
             "P_ACCESS_DENIED); gRPC: the access token is refused (UNAUTHENTICATED)",
    covers=("IpAccess.terminateAccess",))  # fmt: skip
def terminate_ends(ctx: Any) -> None:
    session = access(ctx)
    text = chap.termination_text(ctx.creds.app_id, "access", f"interop {ctx.run_id}")
    terminate_access(ctx, session, text, bytes(session.sign(text)))
    session.ended = True
    expect_refusal(lambda: service_types(ctx, session), *SYSTEM_GONE, *TOKEN_GONE)


@tp("FW/ACC/BV-06", "Ending the access session revokes its SCF managers",
    clause=f"{ACCESS}.terminateAccess: 'all remaining service instances created by the framework "
           "... shall be terminated'",
    pre="An access session with a signed agreement (the first SCF of the run's suites)",
    stimulus="terminateAccess(text, signature), then call the SCF manager",
    expected="OBJECT_NOT_EXIST (gRPC: the service token is refused, UNAUTHENTICATED)",
    covers=("IpAccess.terminateAccess",))  # fmt: skip
def terminate_revokes(ctx: Any) -> None:
    session = access(ctx)
    agreement = session.agreement(ctx.first_service_type())
    probe_manager(ctx, agreement)
    text = chap.termination_text(ctx.creds.app_id, "access", f"interop {ctx.run_id}, all of it")
    terminate_access(ctx, session, text, bytes(session.sign(text)))
    session.ended = True
    expect_refusal(lambda: probe_manager(ctx, agreement), *SYSTEM_GONE, *TOKEN_GONE)


@tp("FW/ACC/BV-07", "relinquishInterface with a good signature is accepted",
    clause=f"{ACCESS}.relinquishInterface",
    pre="An access session with a signing algorithm and the discovery interface",
    stimulus="relinquishInterface('P_DISCOVERY', text, our signature of it)",
    expected="Accepted",
    transports=("corba",), covers=("IpAccess.relinquishInterface",))  # fmt: skip
def relinquish(ctx: Any) -> None:
    session = access(ctx)
    text = chap.termination_text(ctx.creds.app_id, "interface P_DISCOVERY", f"interop {ctx.run_id}")
    session.access.relinquishInterface("P_DISCOVERY", text, session.sign(text))


@tp("FW/ACC/BV-08", "The deprecated endAccess ends the session",
    clause=f"{ACCESS}.endAccess (deprecated in Rel-6)",
    pre="An access session",
    stimulus="endAccess([]), then listInterfaces()",
    expected="Accepted; afterwards the session is gone (OBJECT_NOT_EXIST or P_ACCESS_DENIED)",
    transports=("corba",), covers=("IpAccess.endAccess",))  # fmt: skip
def end_access(ctx: Any) -> None:
    session = _fresh(ctx)
    session.access.endAccess([])
    session.ended = True
    expect_refusal(lambda: session.access.listInterfaces(), *SYSTEM_GONE)


@tp("FW/ACC/BV-09", "The deprecated releaseInterface is accepted for a known interface",
    clause=f"{ACCESS}.releaseInterface (deprecated in Rel-6)",
    pre="An access session with the discovery interface",
    stimulus="releaseInterface('P_DISCOVERY')",
    expected="Accepted",
    transports=("corba",), covers=("IpAccess.releaseInterface",))  # fmt: skip
def release_interface(ctx: Any) -> None:
    access(ctx).access.releaseInterface("P_DISCOVERY")


@tp("FW/ACC/BI-05", "terminateAccess with a bad signature is refused and the session stays",
    clause=f"{ACCESS}.terminateAccess (P_INVALID_SIGNATURE)",
    pre="An access session with a signing algorithm",
    stimulus="terminateAccess(text, a signature of another text), then use the session",
    expected="P_INVALID_SIGNATURE; the session still works",
    covers=("P_INVALID_SIGNATURE",))  # fmt: skip
def terminate_bad_signature(ctx: Any) -> None:
    session = access(ctx)
    forged = bytes(session.sign("some other text"))
    expect_refusal(
        lambda: terminate_access(ctx, session, f"interop {ctx.run_id} ends", forged),
        "P_INVALID_SIGNATURE",
    )
    service_types(ctx, session)


@tp("FW/ACC/BI-06", "relinquishInterface with a bad signature is refused",
    clause=f"{ACCESS}.relinquishInterface (P_INVALID_SIGNATURE)",
    pre="An access session with a signing algorithm",
    stimulus="relinquishInterface('P_DISCOVERY', text, a signature of another text)",
    expected="P_INVALID_SIGNATURE",
    transports=("corba",), covers=("P_INVALID_SIGNATURE",))  # fmt: skip
def relinquish_bad_signature(ctx: Any) -> None:
    session = access(ctx)
    expect_refusal(
        lambda: session.access.relinquishInterface(
            "P_DISCOVERY", "interop relinquishes", session.sign("another text")
        ),
        "P_INVALID_SIGNATURE",
    )


@tp("FW/ACC/BI-07", "relinquishInterface of an unknown interface is refused",
    clause=f"{ACCESS}.relinquishInterface (P_INVALID_INTERFACE_NAME)",
    pre="An access session with a signing algorithm",
    stimulus="relinquishInterface('P_IOP_NO_SUCH_INTERFACE', text, our signature)",
    expected="P_INVALID_INTERFACE_NAME",
    transports=("corba",), covers=("P_INVALID_INTERFACE_NAME",))  # fmt: skip
def relinquish_unknown(ctx: Any) -> None:
    session = access(ctx)
    text = f"interop {ctx.run_id} relinquishes nothing"
    expect_refusal(
        lambda: session.access.relinquishInterface(
            "P_IOP_NO_SUCH_INTERFACE", text, session.sign(text)
        ),
        "P_INVALID_INTERFACE_NAME",
    )


@tp("FW/ACC/BI-08", "releaseInterface of an unknown interface is refused",
    clause=f"{ACCESS}.releaseInterface (P_INVALID_INTERFACE_NAME)",
    pre="An access session",
    stimulus="releaseInterface('P_IOP_NO_SUCH_INTERFACE')",
    expected="P_INVALID_INTERFACE_NAME",
    transports=("corba",), covers=("P_INVALID_INTERFACE_NAME",))  # fmt: skip
def release_unknown(ctx: Any) -> None:
    session = _fresh(ctx)
    expect_refusal(
        lambda: session.access.releaseInterface("P_IOP_NO_SUCH_INTERFACE"),
        "P_INVALID_INTERFACE_NAME",
    )


@tp("FW/ACC/BI-09", "endAccess with an undefined property is refused",
    clause=f"{ACCESS}.endAccess (P_INVALID_PROPERTY)",
    pre="An access session",
    stimulus="endAccess([{P_IOP_NO_SUCH_PROPERTY: x}])",
    expected="P_INVALID_PROPERTY",
    transports=("corba",), covers=("P_INVALID_PROPERTY",))  # fmt: skip
def end_access_property(ctx: Any) -> None:
    session = _fresh(ctx)
    expect_refusal(
        lambda: session.access.endAccess([fw.TpProperty("P_IOP_NO_SUCH_PROPERTY", "x")]),
        "P_INVALID_PROPERTY",
    )


@tp("FW/ACC/BO-01", "Signing before a signing algorithm is chosen is refused",
    clause=f"{ACCESS}.selectSigningAlgorithm ('for use in all cases where digital signatures are "
           "required') and terminateAccess",
    pre="An access session without selectSigningAlgorithm",
    stimulus="terminateAccess(text, an RSA signature of it)",
    expected="Refused (TpCommonExceptions P_INVALID_STATE, or P_INVALID_SIGNATURE); the session stays",
    transports=("corba",), covers=("TpCommonExceptions",))  # fmt: skip
def sign_too_early(ctx: Any) -> None:
    session = _fresh(ctx)
    text = chap.termination_text(ctx.creds.app_id, "access", f"interop {ctx.run_id} early")
    algorithm = ctx.creds.signing_caps().split(",")[0]
    signature = list(chap.sign(algorithm, ctx.creds.key, text))
    refusal = expect_refusal(
        lambda: session.access.terminateAccess(text, signature),
        "TpCommonExceptions", "P_INVALID_SIGNATURE",
    )  # fmt: skip
    ctx.note(f"refused with {refusal.describe()}")
    try:
        session.access.listInterfaces()
    except Refusal as exc:
        raise AssertionError(
            f"the session did not survive the refused terminateAccess: {exc}"
        ) from None


@tp("FW/ACC/BO-02", "The framework ends the oldest access session itself, signed",
    clause="TS 29.198-3 §6.3.1 IpClientAccess.terminateAccess ('used by the framework to end the "
           "client's access session')",
    pre="The operator states the framework's access sessions per application (profile "
        "[framework] access_sessions_max); the framework's public key for the signature",
    stimulus="Open one access session more than that bound",
    expected="The framework calls our IpClientAccess.terminateAccess(text, algorithm, signature) "
             "on the oldest session; the signature verifies with the framework's key",
    transports=("corba",), covers=("IpClientAccess.terminateAccess",), timeout_s=120)  # fmt: skip
def framework_ends_oldest(ctx: Any) -> None:
    bound = ctx.profile.access_sessions_max
    if bound <= 0:
        raise Inconclusive("the profile does not state [framework] access_sessions_max")
    ctx.reset_sessions()  # the shared session must not be the one the framework ends
    sessions = [access(ctx) for _ in range(bound + 1)]
    oldest = sessions[0].client
    assert oldest.terminated.wait(ctx.wait_s), (
        f"after {bound + 1} sessions the framework did not call terminateAccess on the oldest"
    )
    text, algorithm, signature = oldest.calls[0]
    ctx.note(f"terminateAccess({text!r}, {algorithm})")
    keys = chap.keys_for(algorithm, ctx.creds.framework_keys)
    if keys:
        assert any(chap.verify(algorithm, k, text, signature) for k in keys), (
            "the framework's termination signature does not verify with its key"
        )
    elif ctx.creds.framework_keys:
        ctx.note(f"no framework key for {algorithm} given: the signature was not checked")
    for session in sessions[1:]:
        assert not session.client.terminated.is_set(), "a newer session was ended too"
