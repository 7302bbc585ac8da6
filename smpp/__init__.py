"""SMPP 3.4 as pure code: bytes and time in, values and decisions out; no sockets, no clock.

The bottom floor of the SMS path, shared by the SMS SCF's ESME (``scf/sms``) and the embedded
SMSC (``smsc/``), which stand beside each other on it and never import each other:

- :mod:`smpp.pdus` -- PDUs through aiosmpplib's classes: framing (:func:`~smpp.pdus.pdu_length`),
  decoding, the submit_sm/deliver_sm/receipt builders;
- :mod:`smpp.encoding` -- text <-> user data: GSM 03.38, UCS-2, concatenation UDH;
- :mod:`smpp.addresses` -- TON/NPI addresses and how they read as ``tel:``/``short:`` URIs;
- :mod:`smpp.receipts` -- delivery receipts (SMPP 3.4 Appendix B) and their message ids;
- :mod:`smpp.window` -- the ESME's send window: outstanding submit_sm, throttling, slow start;
- :mod:`smpp.bind_backoff` -- when an ESME binds again after a failed bind;
- :mod:`smpp.credentials` -- the bind password file (at most 8 characters);
- :mod:`smpp.errors` -- the codec's refusals (empty text, too long).

Reading and writing sockets is the edges' job: ``scf/sms/smpp_client.py`` (the ESME session)
and ``smsc/session.py`` (the SMSC's side of a session). The only micropay modules this package
imports are :mod:`domain_errors` and the number plan :mod:`charging.msisdn`, both of which
import nothing else of micropay (``tests/test_layers.py`` holds that).
"""
