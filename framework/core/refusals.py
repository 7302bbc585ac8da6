"""The one framework refusal table: how every surface says each typed refusal of the framework.

The framework's counterpart of the SCF fault table (``scf/common/faults.py``): the core raises
the typed refusals of :mod:`framework.core.errors` (one class per standard exception of TS
29.198-3) and each surface turns them into its standard form through this table and nothing
else, so the surfaces always agree:

- CORBA (``framework/corba/errors.py``): the standard exception ``error.exception`` declared in
  the IDL module ``scope``, with ExtraInformation = the detail; a ``CommonError`` is
  ``TpCommonExceptions`` with its ExceptionType;
- gRPC (``shim/errors.py``): the status ``grpc_code``, and one ErrorInfo whose reason is the
  standard exception's name (``exceptionType`` in the metadata for a ``CommonError``);
- HTTP (a REST surface): ``http_status`` -- google.rpc's mapping of ``grpc_code``.

Codes follow what the caller should do next: INVALID_ARGUMENT (fix the request), NOT_FOUND (the
identifier names nothing), PERMISSION_DENIED (not allowed, whatever it sends), FAILED_PRECONDITION
(do another step first), RESOURCE_EXHAUSTED (wait), UNIMPLEMENTED. Transport-free on purpose:
codes and scopes are plain names. ``docs/faults.md`` renders the table
(``python -m scf.common.faults_doc --write``).
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.core import errors as fw

CSAPI = "org::csapi"
CSAPI_FW = "org::csapi::fw"

EXCEPTION_TYPE_NAMES: dict[int, str] = {
    fw.P_RESOURCES_UNAVAILABLE: "P_RESOURCES_UNAVAILABLE",
    fw.P_TASK_REFUSED: "P_TASK_REFUSED",
    fw.P_TASK_CANCELLED: "P_TASK_CANCELLED",
    fw.P_NO_CALLBACK_ADDRESS_SET: "P_NO_CALLBACK_ADDRESS_SET",
    fw.P_METHOD_NOT_SUPPORTED: "P_METHOD_NOT_SUPPORTED",
    fw.P_INVALID_STATE: "P_INVALID_STATE",
}

HTTP_STATUS = {  # google.rpc.Code -> HTTP, as google/rpc/code.proto maps them
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "UNIMPLEMENTED": 501,
}


@dataclass(frozen=True)
class RefusalSpec:
    """One row: a refusal class and its form on each surface."""

    error: type[fw.FrameworkError]
    scope: str  # the IDL module that declares the CORBA exception
    grpc_code: str  # a grpc.StatusCode name

    @property
    def exception(self) -> str:
        """The standard exception's name (``TpCommonExceptions`` for a CommonError)."""
        return self.error.exception

    @property
    def exception_type(self) -> str:
        """A CommonError's ExceptionType name; "" for the others."""
        if issubclass(self.error, fw.CommonError):
            return EXCEPTION_TYPE_NAMES[self.error.exception_type]
        return ""

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.grpc_code]


R = RefusalSpec
# fmt: off
REFUSAL_TABLE: tuple[RefusalSpec, ...] = (
    # -- TpCommonExceptions, by ExceptionType -------------------------------------------------
    R(fw.ResourcesUnavailable, CSAPI, "RESOURCE_EXHAUSTED"),
    R(fw.TaskRefused, CSAPI, "FAILED_PRECONDITION"),
    R(fw.NoCallbackAddressSet, CSAPI, "FAILED_PRECONDITION"),
    R(fw.MethodNotSupported, CSAPI, "UNIMPLEMENTED"),
    R(fw.InvalidState, CSAPI, "FAILED_PRECONDITION"),
    # -- org::csapi ---------------------------------------------------------------------------
    R(fw.InvalidInterfaceType, CSAPI, "INVALID_ARGUMENT"),
    R(fw.InvalidInterfaceName, CSAPI, "INVALID_ARGUMENT"),
    R(fw.InvalidVersion, CSAPI, "INVALID_ARGUMENT"),
    # -- org::csapi::fw -----------------------------------------------------------------------
    R(fw.AccessDenied, CSAPI_FW, "PERMISSION_DENIED"),
    R(fw.InvalidAuthType, CSAPI_FW, "INVALID_ARGUMENT"),
    R(fw.InvalidDomainId, CSAPI_FW, "PERMISSION_DENIED"),
    R(fw.InvalidAccessType, CSAPI_FW, "INVALID_ARGUMENT"),
    R(fw.NoAcceptableAuthenticationMechanism, CSAPI_FW, "FAILED_PRECONDITION"),
    R(fw.NoAcceptableSigningAlgorithm, CSAPI_FW, "FAILED_PRECONDITION"),
    R(fw.InvalidSignature, CSAPI_FW, "PERMISSION_DENIED"),
    R(fw.InvalidSigningAlgorithm, CSAPI_FW, "INVALID_ARGUMENT"),
    R(fw.InvalidAgreementText, CSAPI_FW, "INVALID_ARGUMENT"),
    R(fw.InvalidServiceToken, CSAPI_FW, "NOT_FOUND"),
    R(fw.InvalidServiceId, CSAPI_FW, "NOT_FOUND"),
    R(fw.ServiceAccessDenied, CSAPI_FW, "PERMISSION_DENIED"),
    R(fw.IllegalServiceType, CSAPI_FW, "INVALID_ARGUMENT"),
    R(fw.UnknownServiceType, CSAPI_FW, "NOT_FOUND"),
    R(fw.InvalidProperty, CSAPI_FW, "INVALID_ARGUMENT"),
)
# fmt: on

SPECS: dict[type[fw.FrameworkError], RefusalSpec] = {spec.error: spec for spec in REFUSAL_TABLE}
assert len(SPECS) == len(REFUSAL_TABLE), "a refusal appears twice in REFUSAL_TABLE"
assert set(SPECS) == set(fw.ALL_ERRORS), "every framework refusal needs exactly one row"
assert all(spec.grpc_code in HTTP_STATUS for spec in REFUSAL_TABLE), "a code without HTTP status"


def refusal_for(error: fw.FrameworkError) -> RefusalSpec:
    """The row of ``error``: its own class's, else its nearest ancestor's."""
    for cls in type(error).__mro__:
        spec = SPECS.get(cls)
        if spec is not None:
            return spec
    raise AssertionError(f"{type(error).__name__} has no row in the refusal table")
