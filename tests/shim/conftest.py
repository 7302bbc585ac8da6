"""Fixtures of the shim tests: one TLS gateway for the whole package (starting one is the slow
part), and helpers to make gRPC requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shim.harness import ShimGateway


@pytest.fixture(scope="session")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShimGateway]:
    gateway = ShimGateway.start(tmp_path_factory.mktemp("shim"))
    try:
        yield gateway
    finally:
        gateway.stop()
