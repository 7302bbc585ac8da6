"""Named limits of the gRPC shim, unit last (DESIGN §6). Each has a defined answer when exceeded.

Those an operator tunes live in the ``[grpc]`` configuration section (``app_rate_limit_per_s``,
``app_burst_max``, ``workers_max``); the rest are fixed here.
"""

from __future__ import annotations

# Tokens
access_token_ttl_s = 86_400  # an access session's bearer token; UNAUTHENTICATED after it
token_bytes = 32  # random bytes per bearer token, authentication id or service access token
authorization_chars_max = 256  # a longer "authorization" header is refused before it is parsed

# Streams
stream_poll_interval_s = 0.2  # how often an idle stream looks for new items
stream_batch_max = 200  # items read from an outbox per look
stream_gap_wait_s = 2.0  # a missing outbox id is waited for this long, then skipped
cursor_chars_max = 64  # a longer cursor is INVALID_ARGUMENT

# Server
stop_grace_s = 2.0  # in-flight RPCs get this long on stop; streams are cancelled
start_timeout_s = 15.0  # the server thread must be listening by then or start-up fails
