"""Test keys, generated once per process: the benchmarks' key pool (``bench/keys.py``), so that
tests and benchmarks share one and neither imports the other's helpers twice."""

from __future__ import annotations

from bench.keys import private_key, private_pem, public_pem

__all__ = ["private_key", "private_pem", "public_pem"]
