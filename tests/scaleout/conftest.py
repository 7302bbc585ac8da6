"""One cluster per test module: two gateways on one PostgreSQL, omniNames and an SMSC."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.scaleout.cluster import Cluster


@pytest.fixture(scope="module")
def cluster(postgres_server, tmp_path_factory) -> Iterator[Cluster]:
    url = postgres_server.create_database(f"scaleout_{uuid.uuid4().hex[:12]}")
    running = Cluster(tmp_path_factory.mktemp("cluster"), url)
    try:
        running.start()
        yield running
    finally:
        running.stop()
