"""The charging server: micro-payment accounts and the ledger behind Payment and Account Management.

Free of CORBA and gRPC: the SCF servants and the gRPC shim adapt this package's operations and
typed errors to their surfaces.
"""
