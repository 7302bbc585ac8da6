"""Named limits of the CAMARA surface, unit or kind last. Each has a defined answer when exceeded.

Those an operator tunes live in the ``[camara]`` configuration section; the rest are fixed here.
"""

from __future__ import annotations

# HTTP
body_bytes_max = 64 * 1024  # a larger request body is 400 INVALID_ARGUMENT before it is parsed
authorization_chars_max = 4096  # a longer Authorization header is 401 before it is parsed
identifier_chars_max = 128  # referenceCode, clientCorrelator, paymentId, ... (400 beyond it)
text_chars_max = 256  # description, reason, merchant fields (400 beyond it)
payment_details_max = 50  # items of paymentDetails / refundDetails (400 beyond it)
sink_chars_max = 2048  # a longer sink URL is 400 INVALID_SINK

# Paging (retrievePayments, retrieveRefunds)
page_size_default = 10  # perPage when not given (the spec's default)
matching_records_max = 10_000  # more matches than this is 400 TOO_MANY_MATCHING_RECORDS

# OAuth (client credentials, private_key_jwt)
assertion_lifetime_s_max = 600  # a client assertion whose exp is further away is refused
assertion_clock_skew_s = 30  # iat/nbf/exp are judged with this leeway
assertion_chars_max = 8192  # a longer client_assertion is invalid_client before it is parsed
token_bytes = 32  # random bytes of an access token (256 bits)
revocation_sweep_interval_s = 0.5  # how soon a disabled application's tokens stop working

# Identifiers
payment_id_bytes = 16  # random bytes of a paymentId / refundId / authorizationId (128 bits)

# One-time codes
code_digits = 6

# Recovery of requests a crash interrupted
recovery_age_s = 60  # a row still "processing" this long after its last change is re-driven
recovery_interval_s = 5  # how often the sweep looks for such rows and for expired holds

# Server
start_timeout_s = 15.0  # the server thread must be listening by then or start-up fails
stop_grace_s = 2.0  # in-flight requests get this long on stop
