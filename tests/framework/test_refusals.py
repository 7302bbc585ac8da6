"""The one framework refusal table (framework/core/refusals.py): every typed refusal has one
row, and the CORBA framework and the gRPC shim both say each refusal by it."""

from __future__ import annotations

from google.rpc import error_details_pb2, status_pb2

from framework.corba.errors import to_corba
from framework.core import errors as fw
from framework.core.refusals import REFUSAL_TABLE, refusal_for
from shim.errors import status_for


def refusal_classes() -> list[type[fw.FrameworkError]]:
    found: list[type[fw.FrameworkError]] = [fw.FrameworkError]
    for cls in found:
        found.extend(sub for sub in cls.__subclasses__() if sub not in found)
    return [cls for cls in found if cls.exception and cls is not fw.CommonError]


def test_every_refusal_class_has_exactly_one_row() -> None:
    rows = [spec.error for spec in REFUSAL_TABLE]
    assert sorted(c.__name__ for c in rows) == sorted(c.__name__ for c in refusal_classes())
    assert len(set(rows)) == len(rows)


def test_both_surfaces_say_each_refusal_by_the_table() -> None:
    for spec in REFUSAL_TABLE:
        error = spec.error("detail")
        assert refusal_for(error) is spec
        corba = to_corba(error)
        scope = spec.scope.replace("::", "/")
        assert corba._NP_RepositoryId.startswith(f"IDL:{scope}/{spec.exception}:")
        status = status_for(error)
        assert status.code.name == spec.grpc_code
        proto = status_pb2.Status.FromString(
            dict(status.trailing_metadata)["grpc-status-details-bin"]
        )
        info = error_details_pb2.ErrorInfo()
        proto.details[0].Unpack(info)
        assert info.reason == spec.exception
        if spec.exception_type:
            assert corba.ExceptionType == error.exception_type
            assert info.metadata["exceptionType"] == spec.exception_type
        else:
            assert corba.ExtraInformation == "detail"
