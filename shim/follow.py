"""The loop every server stream runs: read from an outbox, send, wait, until the client goes.

The stream ends with UNAUTHENTICATED as soon as its token is revoked (checked before every read,
so within ``stream_poll_interval_s``), and by the deadline the client set (gRPC ends the call;
the loop never sleeps past it). An idle stream costs no query of its own: readers first compare
their position with the outbox's newest id (``shim.watermark``, one query per interval for all
streams). Reads run on the worker pool; a failed read ends the stream
with its fault, and the client resumes from the last cursor it processed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from shim import limits
from shim.calls import Calls, abort
from shim.errors import TOKEN_INVALID, status_for, token_status


async def follow(
    context: grpc.aio.ServicerContext,
    calls: Calls,
    grant: Any,
    start: Callable[[], None],
    read: Callable[[], list[Any]],
    message: Callable[[Any], Any],
) -> AsyncIterator[Any]:
    """Yield ``message(item)`` for every item ``read()`` returns, for as long as the call lives."""
    try:
        await calls.blocking(start)
    except Exception as exc:
        await abort(context, status_for(exc))
    while True:
        if not grant.alive:
            await abort(context, token_status(TOKEN_INVALID, "the token was revoked"))
        try:
            items = await calls.blocking(read)
        except Exception as exc:
            await abort(context, status_for(exc))
        for item in items:
            yield message(item)
        if len(items) < limits.stream_batch_max:
            pause = limits.stream_poll_interval_s
            remaining = context.time_remaining()
            if remaining is not None:
                pause = max(0.0, min(pause, remaining))
            await asyncio.sleep(pause)
