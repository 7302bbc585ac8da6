"""Benchmarks of micropay: each module prints its figures beside a baseline measured in the same run.

Run one with ``.venv/bin/python -m bench.<name>``, all with ``./build.sh bench``. Never part of the
pass/fail test suite.
"""
