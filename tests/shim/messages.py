"""Small builders of proto requests for the shim tests."""

from __future__ import annotations

from decimal import Decimal

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from micropay.v1 import common_pb2

from charging.errors import DomainError
from charging.money import exponent


def money(amount: str | int, currency: str = "KRW") -> common_pb2.Money:
    """Money from a decimal text the way a client would scale it: by the currency's exponent
    when the amount fits, else by its own decimals (so over-precise amounts reach the server)."""
    value = Decimal(str(amount))
    try:
        known = exponent(currency)
    except DomainError:  # a currency the server must refuse: sent as it is
        known = 0
    places = max(known, -int(value.as_tuple().exponent))
    return common_pb2.Money(
        currency_code=currency, amount_minor=int(value.scaleb(places)), exponent=places
    )


def charge(
    amount: str | int, currency: str = "KRW", description: str = "Song 42"
) -> common_pb2.ChargingInformation:
    return common_pb2.ChargingInformation(description=description, amount=money(amount, currency))


def failure(err: grpc.RpcError) -> tuple[grpc.StatusCode, str, dict[str, str], int]:
    """(code, ErrorInfo reason, metadata, how many ErrorInfo details) of a failed call."""
    status = rpc_status.from_call(err)
    assert status is not None, "no google.rpc.Status in the trailers"
    infos = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
    assert infos, "no ErrorInfo"
    return err.code(), infos[0].reason, dict(infos[0].metadata), len(infos)
