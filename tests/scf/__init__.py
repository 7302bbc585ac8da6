"""Tests of the SCFs (scf/), mirroring the source tree."""
