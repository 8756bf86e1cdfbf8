"""Run work items concurrently: at most N at a time, results in input order, optional fail-fast.

A fixed pool of N workers pulls from one iterator (no task per item: 10,000 items cost 10,000 results,
not 10,000 pending tasks). With fail-fast, the first failure stops the start of new work; items not
started get the `not_run` result; work already started finishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 8


async def run_ordered(
    items: Sequence[T],
    work: Callable[[T], Awaitable[R]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    fail_fast: bool = False,
    failed: Callable[[R], bool] = lambda r: False,
    not_run: Callable[[T], R],
    on_done: Callable[[R], None] | None = None,
) -> list[R]:
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    results: list[R | None] = [None] * len(items)
    pending = iter(enumerate(items))
    stop = False

    async def worker() -> None:
        nonlocal stop
        for index, item in pending:
            if stop:
                results[index] = not_run(item)
                continue
            result = await work(item)
            results[index] = result
            if on_done is not None:
                on_done(result)
            if fail_fast and failed(result):
                stop = True

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(items)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return [r if r is not None else not_run(items[i]) for i, r in enumerate(results)]
