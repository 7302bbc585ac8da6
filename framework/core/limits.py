"""Named limits of the framework, unit or kind last, then max/min (docs/operations.md,
"Configuration names"). Each has a defined answer when exceeded.

Limits an operator may want to tune live in the ``[framework]`` configuration section
(``auth_failures_max``, ``auth_lockout_base_s``, ``callback_timeout_ms``, ``auth_session_ttl_s``,
``auth_sessions_per_app_max``, ``auth_sessions_per_peer_max``, ``auth_alarm_peers``,
``access_idle_s``); the rest are fixed here because changing them changes security.
"""

from __future__ import annotations

# CHAP (RFC 1994 packets carried in TpOctetSet)
challenge_value_bytes = 32  # random value of each challenge the framework sends
challenge_value_bytes_min = (
    8  # a client challenge with a shorter value is refused (P_ACCESS_DENIED)
)
chap_packet_bytes_max = 1024  # longer octet sets are refused before parsing
chap_name_bytes_max = 255

# Authentication
auth_lockout_s_max = 3600  # back-off doubles per failure past auth_failures_max, up to this
auth_alarm_window_s = 600  # failing addresses counted over this window for the alarm
auth_alarm_interval_s = 60  # at most one alarm log line per application per interval
trust_prune_interval_s = 60  # how often a gateway drops expired shared challenges and counts
handshake_stale_s = 5  # at a handshake cap, an unproven handshake this old gives way
answered_challenges_per_app_max = 4096  # remembered client challenge values (replay refusal)

# Access
access_sessions_per_app_max = 64  # past this, the oldest session of the application is ended

# Revocation: the one sweep of the lifecycle (lifecycle.py) finds what ended outside this process
# (the CLI, another gateway) or with time, for every surface
revocation_sweep_interval_s = 0.5

# Texts and signatures carried in requests
agreement_text_bytes_max = 16384
termination_text_bytes_max = 4096
signature_bytes_max = 1024
identifier_chars_max = 256  # application ids, service ids, tokens, type and interface names

# Secrets and keys
secret_bytes_min = 16  # shared authentication secret of an application
secret_bytes_max = 4096
service_token_bytes = 24  # 192 random bits per service token
object_key_bytes = 20  # 160 random bits per object id of a session or SCF manager

# Discovery
discover_services_max = 256  # a larger "max" is clamped to this
