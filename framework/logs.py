"""Structured log lines for the framework (the gateway's JSON formatter reads ``fields``).

The framework never logs secrets, keys, challenges, responses or signatures: only ids, names
and the types of errors. ``gateway/logs.py`` masks secret-looking keys as a second line of defence.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("micropay.framework")


def log(level: int, msg: str, **fields: object) -> None:
    logger.log(level, msg, extra={"fields": fields})
