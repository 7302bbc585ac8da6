"""One CAMARA gateway for the whole package (starting one is the slow part)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.camara.harness import CamaraGateway


@pytest.fixture(scope="session")
def camara(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CamaraGateway]:
    gateway = CamaraGateway.start(tmp_path_factory.mktemp("camara"))
    try:
        yield gateway
    finally:
        gateway.stop()
