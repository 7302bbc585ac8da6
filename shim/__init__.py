"""The gRPC shim: ``micropay.v1`` over grpc.aio, on the same framework and domain services.

Nothing here is a second implementation: the servicers translate proto messages to the domain
services' values (``scf/*/service.py``, the ledger), the framework handshake runs on
``framework/core`` objects shared with the CORBA framework, and errors come from the one fault
table (``scf.common.faults``). ``shim.component.start_grpc_component`` wires it into
``micropay serve``; docs/grpc-api.md is the API.
"""
