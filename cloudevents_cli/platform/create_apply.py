"""The flows behind create, apply and diff: one Result per definition, in input order. Nothing printed here.

apply: live instances are found by (name, element): a search by name then an exact filter (or, for a
large batch, one listing of everything, indexed). 0 found -> POST; 1 -> PATCH when something differs, else
unchanged; more -> a conflict naming their ids. A POST is never sent twice for one definition in one run:
when its outcome is unknown, a fresh look-up by (name, element) reports it created if it is there, else
`unknown` (the platform may still be processing it; the next run finds it). `create` reports `unknown` at once.
On Ctrl-C a batch raises Interrupted: items whose write was sent are `unknown`, those not begun `not-run`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.errors import CloudEventsError, Conflict, OutcomeUnknown, Unreachable
from cloudevents_cli.platform.client import PlatformClient, instance_element
from cloudevents_cli.platform.planner import plan
from cloudevents_cli.platform.results import (
    Result,
    base_result,
    cut_short_result,
    failed_result,
    invalid_result,
    not_run_result,
)
from cloudevents_cli.platform.runner import DEFAULT_CONCURRENCY, run_ordered, writing

LIST_ALL_THRESHOLD = 25  # above this many definitions, apply lists every instance once instead of searching each
LOOKUP_TRIES = 3


def _register(items: Sequence[Any]) -> None:
    for item in items:
        if item.secrets:
            redact.register(*item.secrets)


# -- create -------------------------------------------------------------------------------------------------
def dry_run_create(items: Sequence[Any], *, show_secrets: bool = False) -> list[Result]:
    _register(items)
    out = []
    for item in items:
        if not item.valid:
            out.append(invalid_result(item))
            continue
        body = item.body if show_secrets else redact.mask(item.body, item.secrets)
        out.append(base_result(item, "would-create", body=body))
    return out


async def create_all(
    client: PlatformClient,
    items: Sequence[Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    fail_fast: bool = False,
    on_done: Callable[[Result], None] | None = None,
) -> list[Result]:
    _register(items)

    async def one(item: Any) -> Result:
        if not item.valid:
            return invalid_result(item)
        writing()
        try:
            created = await client.create_instance(item.body, secrets=item.secrets)
        except OutcomeUnknown as err:
            return failed_result(item, err, "unknown", changes=[])
        except CloudEventsError as err:
            return failed_result(item, err)
        return base_result(item, "created", id=created.get("id"), http_status=200)

    return await run_ordered(
        items,
        one,
        concurrency=concurrency,
        fail_fast=fail_fast,
        failed=lambda r: r.failed,
        not_run=not_run_result,
        cut_short=cut_short_result,
        on_done=on_done,
    )


# -- apply / diff -------------------------------------------------------------------------------------------
class _Finder:
    """Finds live instances by (name, element): one listing for large batches, else a search per name."""

    def __init__(self, client: PlatformClient, list_all: bool) -> None:
        self.client = client
        self.list_all = list_all
        self._index: dict[tuple[str, str | None], list[dict[str, Any]]] | None = None
        self._lock = asyncio.Lock()

    async def find(self, name: str, element: str | None) -> list[dict[str, Any]]:
        if not self.list_all:
            return await self.client.find(name, element)
        async with self._lock:
            if self._index is None:
                index: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
                for inst in await self.client.list_instances():
                    index.setdefault((str(inst.get("name")), instance_element(inst)), []).append(inst)
                self._index = index
        return list(self._index.get((name, element), []))


async def apply_all(
    client: PlatformClient,
    items: Sequence[Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    fail_fast: bool = False,
    update_secrets: bool = False,
    dry_run: bool = False,
    on_done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """apply (dry_run: diff): create what is missing, PATCH what differs, leave what matches.

    Two definitions with the same (name, element) arrive invalid already (pipeline.build(unique=True))."""
    _register(items)
    valid = sum(1 for i in items if i.valid)
    finder = _Finder(client, list_all=valid > LIST_ALL_THRESHOLD)

    async def one(item: Any) -> Result:
        if not item.valid:
            return invalid_result(item)
        try:
            return await _apply_one(client, finder, item, update_secrets=update_secrets, dry_run=dry_run)
        except OutcomeUnknown as err:
            return failed_result(item, err, "unknown")
        except CloudEventsError as err:
            return failed_result(item, err)

    return await run_ordered(
        list(items),
        one,
        concurrency=concurrency,
        fail_fast=fail_fast,
        failed=lambda r: r.failed,
        not_run=not_run_result,
        cut_short=cut_short_result,
        on_done=on_done,
    )


async def _apply_one(
    client: PlatformClient, finder: _Finder, item: Any, *, update_secrets: bool, dry_run: bool
) -> Result:
    name = str(item.name)
    live = await finder.find(name, item.element)
    if len(live) > 1:
        ids = ", ".join(str(i.get("id")) for i in live)
        raise Conflict(f"{len(live)} live instances are named '{name}' with element '{item.element}' (ids {ids})")
    if not live:
        if dry_run:
            return base_result(item, "would-create")
        return await _create_carefully(client, item)
    current = live[0]
    if "configuration" not in current:
        current = await client.get_instance(current["id"])
    the_plan = plan(item.body, current, update_secrets=update_secrets, secrets=item.secrets)
    if not the_plan.changed:
        return base_result(item, "unchanged", id=current.get("id"))
    if dry_run:
        return base_result(item, "would-update", id=current.get("id"), changes=the_plan.changes)
    writing()
    await client.patch_instance(current["id"], the_plan.patch, secrets=item.secrets)
    return base_result(item, "updated", id=current.get("id"), http_status=200, changes=the_plan.changes)


async def _create_carefully(client: PlatformClient, item: Any) -> Result:
    """POST once. When the outcome is unknown, look the instance up: there -> created; absent -> unknown, never
    a second POST (the first may still be in progress on the platform)."""
    writing()
    try:
        created = await client.create_instance(item.body, secrets=item.secrets)
        return base_result(item, "created", id=created.get("id"), http_status=200)
    except OutcomeUnknown as err:
        unknown = err
    found = await _look_up_after_unknown(client, item, unknown)
    if len(found) == 1:
        return base_result(item, "created", id=found[0].get("id"))
    if len(found) > 1:
        ids = ", ".join(str(i.get("id")) for i in found)
        raise Conflict(f"after an unknown outcome, {len(found)} instances are named '{item.name}' (ids {ids})")
    raise OutcomeUnknown(
        f"{unknown.message}; no instance named '{item.name}' was found yet (the platform may still be creating "
        "it): run apply again, it will find it rather than create a second one"
    )


async def _look_up_after_unknown(client: PlatformClient, item: Any, unknown: OutcomeUnknown) -> list[dict[str, Any]]:
    """The look-up that settles an unknown POST gets more patience than one request: it is what prevents
    a duplicate. When it cannot be done, the outcome stays unknown."""
    for attempt in range(LOOKUP_TRIES):
        try:
            return await client.find(str(item.name), item.element)
        except Unreachable as err:
            if attempt == LOOKUP_TRIES - 1:
                raise OutcomeUnknown(f"{unknown.message}; the look-up by name failed too: {err.message}") from None
    raise AssertionError("unreachable")
