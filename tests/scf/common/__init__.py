"""Tests of scf/common: the fault table, addresses, amounts."""
