"""The shim's small parts on their own: the rate limiter, cursors, TLS choices and the
self-signed certificate, the error edge (one ErrorInfo for every kind of failure) and money."""

from __future__ import annotations

import ipaddress
import stat

import grpc
import pytest
from cryptography import x509
from google.rpc import error_details_pb2, status_pb2

from charging.errors import InsufficientBalance, InvalidAmount, InvalidInput
from framework.core import errors as fw
from framework.core.refusals import REFUSAL_TABLE
from scf.common.faults import domain_error_classes, fault_for
from shim import cursors
from shim.convert import charging_information, decimal_of, money
from shim.errors import rate_limited_status, status_for, token_status
from shim.ratelimit import RateLimiter
from shim.tls import self_signed, tls_wanted
from shim.watermark import Watermark
from tests.shim.messages import charge


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_the_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(10, 3, clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    wait = limiter.take("a")
    assert wait is not None and 0 < wait <= 0.1
    assert limiter.take("b") is None  # per application
    clock.now += 0.11
    assert limiter.take("a") is None
    assert RateLimiter(0, 1, clock).take("a") is None  # 0: off


def test_cursors_refuse_what_was_never_handed_out() -> None:
    assert cursors.decode("ce1", "", 2) is None
    assert cursors.decode("ce1", cursors.encode("ce1", 12, 7), 2) == (12, 7)
    for bad in ("ce1.12", "dr1.12.7", "ce1.-1.7", "ce1.x.7", "ce1." + "9" * 80 + ".1"):
        with pytest.raises(InvalidInput):
            cursors.decode("ce1", bad, 2)
    with pytest.raises(InvalidInput):
        cursors.beyond(13, 12)


@pytest.mark.parametrize(
    ("tls", "host", "wanted"),
    [
        ("auto", "127.0.0.1", False),
        ("auto", "localhost", False),
        ("auto", "::1", False),
        ("auto", "0.0.0.0", True),
        ("auto", "gw.example", True),
        ("on", "127.0.0.1", True),
        ("off", "0.0.0.0", False),
    ],
)
def test_tls_is_on_by_default_off_loopback(tls: str, host: str, wanted: bool) -> None:
    assert tls_wanted({"tls": tls, "host": host}) is wanted


def test_self_signed_certificate_is_made_once_for_the_host(tmp_path) -> None:  # noqa: ANN001
    cert, key = self_signed(tmp_path / "grpc-tls", "10.1.2.3")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    ips = names.value.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("10.1.2.3") in ips and ipaddress.ip_address("127.0.0.1") in ips
    before = cert.read_bytes()
    assert self_signed(tmp_path / "grpc-tls", "10.1.2.3")[0].read_bytes() == before


def _details(status: grpc.Status) -> list[error_details_pb2.ErrorInfo]:
    ((key, value),) = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    decoded = status_pb2.Status.FromString(value)
    assert decoded.code == status.code.value[0] and decoded.message == status.details
    infos = []
    for detail in decoded.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
    return infos


def test_every_failure_has_exactly_one_error_info() -> None:
    statuses = [status_for(spec.error("detail")) for spec in REFUSAL_TABLE]
    statuses += [status_for(cls()) for cls in domain_error_classes()]
    statuses += [status_for(RuntimeError("SELECT secret FROM x")), status_for(TimeoutError())]
    statuses += [token_status("TOKEN_INVALID", "x"), rate_limited_status("app", 5, 0.2)]
    for status in statuses:
        infos = _details(status)
        assert len(infos) == 1 and infos[0].domain == "micropay" and infos[0].reason
        assert "SELECT" not in status.details


def test_framework_and_domain_reasons() -> None:
    (info,) = _details(status_for(fw.InvalidSignature("the signature does not verify")))
    assert info.reason == "P_INVALID_SIGNATURE"
    (info,) = _details(status_for(fw.TaskRefused("locked")))
    assert (info.reason, info.metadata["exceptionType"]) == ("TpCommonExceptions", "P_TASK_REFUSED")
    error = InsufficientBalance(available=150, amount=1000, currency="USD")
    status = status_for(error)
    (info,) = _details(status)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    assert info.reason == "POL1000" and status.details == fault_for(error).text
    assert dict(info.metadata) == {"available": "1.50", "amount": "10.00", "currency": "USD"}


def test_money_is_exact_and_checked() -> None:
    assert (money(1250, "USD").amount_minor, money(1250, "USD").exponent) == (1250, 2)
    assert money(None, "USD") is None
    assert str(decimal_of(money(1250, "USD"))[0]) == "12.50"
    assert str(charging_information(charge("12.50", "USD")).amount) == "12.50"
    with pytest.raises(InvalidAmount):  # scaled by the wrong power of ten
        charging_information(charge("12.5", "KRW"))


def test_watermark_reads_the_outbox_once_per_interval() -> None:
    clock, reads = Clock(), []

    def read() -> int:
        reads.append(clock.now)
        return len(reads) * 10

    mark = Watermark(read, age_s_max=0.2, clock=clock)
    assert [mark.newest() for _ in range(5)] == [10] * 5
    clock.now += 0.25
    assert mark.newest() == 20 and len(reads) == 2
