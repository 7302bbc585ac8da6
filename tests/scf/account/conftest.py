"""One SCF test gateway process per module (tests/scf/payment/gateway.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scf.payment.gateway import DirectGateway


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[DirectGateway]:
    options = getattr(request.module, "GATEWAY_OPTIONS", ())
    gw = DirectGateway(tmp_path_factory.mktemp("scf"), *options)
    try:
        yield gw.start()
    finally:
        gw.close()
