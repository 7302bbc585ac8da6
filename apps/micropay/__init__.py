"""The micro-payment application: a web shop that takes payments through the gateway.

A third-party application in the Parlay sense (DESIGN §2): it authenticates to the OSA framework
with its own secret and key (``client/``), signs agreements for P_PAYMENT, P_ACCOUNT_MANAGEMENT
and P_SMS, and subscribes to charging events with its own ``IpAppAccountManager``.

Modules, one job each (docs/application.md has the picture):

- ``procedure``  -- the payment procedure as a state table and the eligibility check (pure)
- ``checkout``   -- drives the procedure for one order against the :class:`~.ports.Gateway`
- ``events``     -- charging events and subscriber SMS in, durably de-duplicated, acted on once
- ``texts``      -- every SMS text the application sends
- ``store``      -- the application's own SQLite database (orders, events, SMS, subscriptions)
- ``corba``      -- the Gateway port over CORBA (client library, Parlay X faults) + callbacks
- ``web``/``operator``/``phone``/``chart`` -- the Starlette web application
- ``runtime``    -- wires it all and runs it (``micropay shop``, ``micropay demo``)
"""
