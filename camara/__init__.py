"""The CAMARA Carrier Billing surface (REST): Carrier Billing v0.5.0 and Carrier Billing Refund
v0.3.0 of CAMARA release r3.2, on the gateway's own domain services, framework and fault table.

See docs/camara.md. The package is transport-thin: ``api.py`` (Starlette handlers) over
``payments.py`` / ``refunds.py`` (the flows, on the Payment SCF and the ledger), ``store.py``
(this surface's own rows: payments, refunds, one-time codes, tokens, the CloudEvents outbox),
``oauth.py`` (client credentials with private_key_jwt) and ``sinks.py`` (the notifier).
"""
