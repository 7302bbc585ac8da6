"""The running system: configuration, the ``micropay`` command line, process start-up and health.

The only package that wires the others together.
"""
