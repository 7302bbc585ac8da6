"""The harness's ORB: a client of the IUT and the server of the harness's own callback servants.

Built from the generated stubs of ``idl/`` alone (``org.csapi...``), so it faces any
implementation of that IDL. Every remote call is bounded (``clientCallTimeOutPeriod``), strings
travel as UTF-8 (Korean SMS text), and :class:`Guarded` turns whatever a call raises into a
:class:`~apps.interop.refusals.Refusal`.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from pathlib import Path
from typing import Any

import org.csapi as csapi
from omniORB import CORBA, PortableServer
from org.csapi.parlayx import common

from apps.interop.refusals import Refusal

EXCEPTION_TYPES = {
    csapi.P_RESOURCES_UNAVAILABLE: "P_RESOURCES_UNAVAILABLE",
    csapi.P_TASK_REFUSED: "P_TASK_REFUSED",
    csapi.P_TASK_CANCELLED: "P_TASK_CANCELLED",
    csapi.P_NO_CALLBACK_ADDRESS_SET: "P_NO_CALLBACK_ADDRESS_SET",
    csapi.P_METHOD_NOT_SUPPORTED: "P_METHOD_NOT_SUPPORTED",
    csapi.P_INVALID_STATE: "P_INVALID_STATE",
}
CALL_TIMEOUT_MS = 20_000

_lock = threading.Lock()
_world: World | None = None


def refusal_from(exc: BaseException) -> Refusal | None:
    """The Refusal a CORBA exception stands for, or None for anything else."""
    if isinstance(exc, common.ServiceException):
        return Refusal(exc.messageId, "service", exc.text, list(exc.variables))
    if isinstance(exc, common.PolicyException):
        return Refusal(exc.messageId, "policy", exc.text, list(exc.variables))
    if isinstance(exc, csapi.TpCommonExceptions):
        kind = EXCEPTION_TYPES.get(exc.ExceptionType, str(exc.ExceptionType))
        return Refusal("TpCommonExceptions", "framework", exc.ExtraInformation, exception_type=kind)
    if isinstance(exc, CORBA.UserException):
        return Refusal(type(exc).__name__, "framework", str(getattr(exc, "ExtraInformation", "")))
    if isinstance(exc, CORBA.SystemException):
        return Refusal(type(exc).__name__, "system", f"minor {exc.minor}")
    return None


class Guarded:
    """An object reference whose operations raise Refusal instead of CORBA exceptions."""

    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.ref, name)

        def call(*args: Any) -> Any:
            try:
                return method(*args)
            except (CORBA.UserException, CORBA.SystemException) as exc:
                refusal = refusal_from(exc)
                assert refusal is not None
                raise refusal from None

        return call


class World:
    """One ORB per process, with a POA for the harness's callback servants (random ids)."""

    def __init__(self, host: str) -> None:
        self.orb = CORBA.ORB_init(
            [
                "micropay-interop",
                "-ORBendPoint", f"giop:tcp:{host}:",
                "-ORBnativeCharCodeSet", "UTF-8",
                "-ORBclientCallTimeOutPeriod", str(CALL_TIMEOUT_MS),
                "-ORBclientConnectTimeOutPeriod", str(CALL_TIMEOUT_MS),
            ],
            CORBA.ORB_ID,
        )  # fmt: skip
        root = self.orb.resolve_initial_references("RootPOA")
        policies = [
            root.create_id_assignment_policy(PortableServer.USER_ID),
            root.create_lifespan_policy(PortableServer.TRANSIENT),
        ]
        self.poa = root.create_POA("interop-callbacks", root._get_the_POAManager(), policies)
        root._get_the_POAManager().activate()
        self._oids: list[bytes] = []

    def activate(self, servant: Any) -> Any:
        oid = secrets.token_bytes(20)
        self.poa.activate_object_with_id(oid, servant)
        self._oids.append(oid)
        return self.poa.id_to_reference(oid)

    def ior(self, ref: Any) -> str:
        return self.orb.object_to_string(ref)

    def resolve(self, endpoint: str) -> Any:
        """An object from corbaloc:, corbaname:, IOR: text or a file holding an IOR."""
        text = endpoint.strip()
        if not text.lower().startswith(("corbaloc:", "corbaname:", "ior:")):
            try:
                text = Path(text).read_text().strip()
            except OSError as exc:
                raise ValueError(
                    f"{endpoint}: not a corbaloc/IOR and not readable: {exc}"
                ) from None
        return self.orb.string_to_object(text)

    def shutdown(self) -> None:
        for oid in self._oids:
            with contextlib.suppress(Exception):
                self.poa.deactivate_object(oid)
        with contextlib.suppress(Exception):
            self.orb.destroy()


def shutdown_world() -> None:
    """Stop the process's ORB, if one was made, before the interpreter exits: an IUT's call
    still arriving at a callback servant (abortAuthentication after a refused handshake, say)
    must not meet a half torn-down interpreter, which aborts the process."""
    global _world
    with _lock:
        if _world is not None:
            _world.shutdown()
            _world = None


def world(host: str = "127.0.0.1") -> World:
    """The process's ORB (created on first use)."""
    global _world
    with _lock:
        if _world is None:
            _world = World(host)
        return _world
