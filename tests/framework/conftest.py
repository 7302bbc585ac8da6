"""Fixtures of the framework tests: a gateway process per module that asks for one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.framework.gateway import Gateway


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Gateway]:
    settings = getattr(request.module, "GATEWAY_SETTINGS", None)
    gw = Gateway.start(tmp_path_factory.mktemp("gateway"), settings)
    try:
        yield gw
    finally:
        gw.stop()
