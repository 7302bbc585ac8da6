"""The framework's domain core: CHAP, signing, agreements, state machines, the application store.

Nothing here knows CORBA or gRPC (``tests/test_tidy.py`` checks it): the servants in
``framework/corba`` and the gRPC shim translate their types and errors at the edge.
"""
