"""Running a blocking domain call from a grpc.aio handler: deadline, worker pool, error edge.

The domain services block (the ledger waits for its group commit to be durable; the SMS outbox
commits), so each call runs on the shim's worker pool (``grpc.workers_max`` threads) while the
event loop goes on serving. :meth:`Calls.run`:

- refuses to start work whose deadline has already passed (DEADLINE_EXCEEDED); when it passes
  meanwhile, gRPC ends the call with DEADLINE_EXCEEDED and cancels the handler (the work itself
  completes: every money-moving request is idempotent on its reference_code, so the client's
  retry returns the first outcome);
- turns whatever the call raised into a status with exactly one ErrorInfo (``shim.errors``).

The caller's identity is :data:`CALLER`, set by the auth interceptor for the RPC's context.
Handlers read it in their coroutine and hand it to the work: the pool's threads do not carry
the RPC's contextvars (copying them per call is measurable).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn, TypeVar

import grpc

from shim.errors import make_status, status_for

T = TypeVar("T")

# The grant the auth interceptor resolved for this RPC: shim.access.AccessGrant on the
# FrameworkService, shim.access.ServiceGrant on the SCF services.
CALLER: contextvars.ContextVar[Any] = contextvars.ContextVar("micropay_grpc_caller")


def deadline_status() -> grpc.Status:
    return make_status("DEADLINE_EXCEEDED", "the deadline passed", "DEADLINE_EXCEEDED")


async def abort(context: grpc.aio.ServicerContext, status: grpc.Status) -> NoReturn:
    await context.abort_with_status(status)
    raise AssertionError("abort_with_status returned")  # pragma: no cover


class Calls:
    def __init__(self, workers_max: int) -> None:
        self.executor = ThreadPoolExecutor(workers_max, thread_name_prefix="grpc-worker")

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    async def run(
        self,
        context: grpc.aio.ServicerContext,
        fn: Callable[..., T],
        *args: Any,
        fault_context: Mapping[str, object] | None = None,
    ) -> T:
        """``fn(*args)`` on the worker pool, its failure reported through ``context``."""
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            await abort(context, deadline_status())
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, functools.partial(fn, *args))
        except asyncio.CancelledError:  # the deadline passed or the client went: gRPC ends it
            raise
        except Exception as exc:
            await abort(context, status_for(exc, fault_context))

    async def run_async(
        self,
        context: grpc.aio.ServicerContext,
        work: Callable[[], Awaitable[T]],
        *,
        fault_context: Mapping[str, object] | None = None,
    ) -> T:
        """:meth:`run` for work that is a coroutine itself (the ledger's async charge): no
        worker thread, the same deadline and error edge."""
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            await abort(context, deadline_status())
        try:
            return await work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await abort(context, status_for(exc, fault_context))

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the worker pool with no error translation (streams' reads)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args))


def caller() -> Any:
    """The grant of the current RPC (the interceptor always sets it before a handler runs)."""
    return CALLER.get()
