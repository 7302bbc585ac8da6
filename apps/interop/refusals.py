"""What the IUT answers instead of a result, in one form for both transports, and the checks.

A :class:`Refusal` is a framework exception (``P_INVALID_VERSION``; ``TpCommonExceptions`` with
its ExceptionType), a Parlay X fault (``SVC0002``, ``POL1009``: messageId, kind, variables), a
system exception (``OBJECT_NOT_EXIST``) or a bearer-token refusal of the gRPC surface
(``TOKEN_MISSING``). The transports turn their own errors into it, so a purpose states the
expected answer once: ``expect_refusal(call, "SVC0002", part="addresses")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# gRPC status codes the micropay.v1 surface may use for a Parlay X messageId (docs/faults.md).
FAULT_GRPC_CODES: dict[str, frozenset[str]] = {
    "SVC0001": frozenset({"INTERNAL"}),
    "SVC0002": frozenset({"INVALID_ARGUMENT", "NOT_FOUND"}),
    "SVC0005": frozenset({"ALREADY_EXISTS"}),
    "SVC0007": frozenset({"INVALID_ARGUMENT"}),
    "SVC0008": frozenset({"ALREADY_EXISTS"}),
    "SVC0250": frozenset({"PERMISSION_DENIED"}),
    "SVC0251": frozenset({"INVALID_ARGUMENT"}),
    "SVC0280": frozenset({"INVALID_ARGUMENT"}),
    "SVC1000": frozenset({"UNAVAILABLE"}),
    "SVC1101": frozenset({"NOT_FOUND"}),
    "SVC1102": frozenset({"ALREADY_EXISTS"}),
    "SVC1103": frozenset({"FAILED_PRECONDITION"}),
    "POL0001": frozenset({"FAILED_PRECONDITION"}),
    "POL0003": frozenset({"INVALID_ARGUMENT"}),
    "POL0005": frozenset({"RESOURCE_EXHAUSTED"}),
    "POL0008": frozenset({"PERMISSION_DENIED"}),
    "POL0220": frozenset({"FAILED_PRECONDITION"}),
    "POL0254": frozenset({"FAILED_PRECONDITION"}),
    "POL1000": frozenset({"FAILED_PRECONDITION"}),
    "POL1001": frozenset({"FAILED_PRECONDITION"}),
    "POL1009": frozenset({"NOT_FOUND"}),
    "POL1010": frozenset({"FAILED_PRECONDITION"}),
    "POL1101": frozenset({"FAILED_PRECONDITION"}),
    "POL1102": frozenset({"FAILED_PRECONDITION"}),
    "POL1103": frozenset({"RESOURCE_EXHAUSTED"}),
    "POL1104": frozenset({"FAILED_PRECONDITION"}),
}


@dataclass
class Refusal(Exception):
    """The IUT refused a request. ``kind``: framework, service, policy, system or token."""

    name: str
    kind: str
    text: str = ""
    variables: list[str] = field(default_factory=list)  # Parlay X variables (CORBA: in order)
    metadata: dict[str, str] = field(default_factory=dict)  # gRPC ErrorInfo metadata
    grpc_code: str = ""  # the gRPC status code name, when it came over gRPC
    exception_type: str = ""  # TpCommonExceptions.ExceptionType, by name

    def __post_init__(self) -> None:
        super().__init__(self.describe())

    def describe(self) -> str:
        bits = [self.name]
        if self.exception_type:
            bits.append(f"({self.exception_type})")
        if self.grpc_code:
            bits.append(f"[{self.grpc_code}]")
        if self.variables:
            bits.append(f"variables={self.variables}")
        elif self.metadata and not self.text:
            bits.append(f"metadata={self.metadata}")
        if self.text:
            bits.append(f"'{self.text}'")
        return " ".join(bits)

    def variable(self, name: str, position: int) -> str | None:
        """A Parlay X variable: by name over gRPC (ErrorInfo metadata), by position over CORBA."""
        if name in self.metadata:
            return self.metadata[name]
        if position < len(self.variables):
            return self.variables[position]
        return None


def fault_kind(message_id: str) -> str:
    """Parlay X Part 1 §5.3: SVC ids are ServiceException, POL ids PolicyException."""
    return "policy" if message_id.startswith("POL") else "service"


def expect_refusal(
    call: Callable[[], Any],
    *names: str,
    part: str | None = None,
    exception_type: str | None = None,
    on_success: Callable[[Any], None] | None = None,
) -> Refusal:
    """Run ``call``; it must be refused with one of ``names``. For a Parlay X messageId the kind
    (ServiceException or PolicyException over CORBA; the status code over gRPC) must match the
    standard, and ``part`` (SVC0002's message part, variable %1) when given. ``on_success`` runs
    when the call unexpectedly succeeded (to undo it) before the purpose fails."""
    try:
        result = call()
    except Refusal as refusal:
        check_refusal(refusal, names, part, exception_type)
        return refusal
    if on_success is not None:
        on_success(result)
    raise AssertionError(f"expected {' or '.join(names)}, but the request succeeded ({result!r})")


def check_refusal(
    refusal: Refusal,
    names: Iterable[str],
    part: str | None = None,
    exception_type: str | None = None,
) -> None:
    names = tuple(names)
    assert refusal.name in names, f"expected {' or '.join(names)}, got {refusal.describe()}"
    if refusal.name[:3] in ("SVC", "POL"):
        kind = fault_kind(refusal.name)
        if refusal.grpc_code:
            allowed = FAULT_GRPC_CODES.get(refusal.name)
            assert allowed is None or refusal.grpc_code in allowed, (
                f"{refusal.name} came with gRPC status {refusal.grpc_code}, "
                f"expected {' or '.join(sorted(allowed))}"
            )
        else:
            assert refusal.kind == kind, (
                f"{refusal.name} came as a {refusal.kind} exception; Parlay X raises it as a "
                f"{kind.capitalize()}Exception"
            )
    if part is not None:
        got = refusal.variable("part", 0)
        assert got == part, f"{refusal.name} names message part {got!r}, expected {part!r}"
    if exception_type is not None:
        assert refusal.exception_type == exception_type, (
            f"TpCommonExceptions ExceptionType {refusal.exception_type or '?'}, "
            f"expected {exception_type}"
        )


def expect_ok(call: Callable[[], Any], what: str) -> Any:
    """Run ``call``, turning a refusal into a failure that says which step was refused."""
    try:
        return call()
    except Refusal as refusal:
        raise AssertionError(f"{what} was refused: {refusal.describe()}") from None
