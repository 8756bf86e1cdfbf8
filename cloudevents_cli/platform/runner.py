"""Run work items concurrently: at most N at a time, results in input order, optional fail-fast; and run a
command's coroutine so that Ctrl-C ends a batch with its partial results instead of losing them.

A fixed pool of N workers pulls from one iterator (no task per item: 10,000 items cost 10,000 results,
not 10,000 pending tasks). With fail-fast, the first failure stops the start of new work; items not
started get the `not_run` result; work already started finishes.

Ctrl-C (or any cancellation) stops a batch: it raises `errors.Interrupted` with one result per item, the
finished ones as they are and the others from `cut_short(item, wrote)`, where `wrote` says the item had
announced a write (`writing()`) and so may have taken effect.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from cloudevents_cli.errors import Interrupted

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 8

_slot: ContextVar[tuple[list[bool], int] | None] = ContextVar("batch_slot", default=None)


def writing() -> None:
    """The current item is about to send a write: if the batch is interrupted from now on, its outcome is
    unknown. Outside a batch, nothing happens."""
    slot = _slot.get()
    if slot is not None:
        wrote, index = slot
        wrote[index] = True


async def run_ordered(
    items: Sequence[T],
    work: Callable[[T], Awaitable[R]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    fail_fast: bool = False,
    failed: Callable[[R], bool] = lambda r: False,
    not_run: Callable[[T], R],
    cut_short: Callable[[T, bool], R] | None = None,
    on_done: Callable[[R], None] | None = None,
) -> list[R]:
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    results: list[R | None] = [None] * len(items)
    wrote = [False] * len(items)
    pending = iter(enumerate(items))
    stop = False

    async def worker() -> None:
        nonlocal stop
        for index, item in pending:
            if stop:
                results[index] = not_run(item)
                continue
            _slot.set((wrote, index))
            result = await work(item)
            results[index] = result
            if on_done is not None:
                on_done(result)
            if fail_fast and failed(result):
                stop = True

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(items)))]
    try:
        await asyncio.gather(*workers)
    except (asyncio.CancelledError, KeyboardInterrupt):
        finished = sum(1 for r in results if r is not None)
        in_flight = sum(1 for r, w in zip(results, wrote, strict=True) if r is None and w)
        rest = cut_short or (lambda item, _wrote: not_run(item))
        partial = [r if r is not None else rest(items[i], wrote[i]) for i, r in enumerate(results)]
        message = f"interrupted: {finished} of {len(items)} finished"
        if in_flight:
            message += f", {in_flight} with a write in flight (outcome unknown: run again to settle)"
        raise Interrupted(message, results=partial) from None
    finally:
        for task in workers:
            task.cancel()
    return [r if r is not None else not_run(items[i]) for i, r in enumerate(results)]


def run_to_end(coro: Coroutine[Any, Any, R]) -> R:
    """Run a command's coroutine in a fresh event loop. Ctrl-C cancels it and runs it to its end, so that a
    batch raises Interrupted with its results (anything else cancelled becomes KeyboardInterrupt); a second
    Ctrl-C stops at once. A KeyboardInterrupt raised inside a task (a test's transport) is handled alike."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    task = loop.create_task(coro)
    presses = 0

    def on_sigint(signum: int, frame: Any) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        loop.call_soon_threadsafe(task.cancel)

    ours = threading.current_thread() is threading.main_thread()
    ours = ours and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ours:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        while True:
            try:
                return loop.run_until_complete(task)
            except KeyboardInterrupt:  # raised out of the loop by each task it reached, until the coroutine ends
                if task.done():
                    break
                if presses > 1:
                    raise
                task.cancel()
            except asyncio.CancelledError:
                break
        if task.cancelled():
            raise KeyboardInterrupt
        return task.result()
    finally:
        if ours:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if presses <= 1:
            rest = asyncio.all_tasks(loop)
            for left in rest:
                left.cancel()
            loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        asyncio.set_event_loop(None)
        loop.close()
