"""The framework's domain core: CHAP, signing, agreements, state machines, the application store,
and the one lifecycle of handshakes, access sessions and agreements the CORBA and gRPC surfaces
carry (``lifecycle.py``; its refusals say themselves by ``refusals.py``; the CAMARA surface
shares its registry).

Nothing here knows CORBA or gRPC (``tests/test_tidy.py`` checks it): the servants in
``framework/corba`` and the gRPC shim translate their types and errors at the edge, and hand
out only what their transport needs (object references, bearer tokens).
"""
