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
from dataclasses import dataclass, field
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.errors import (
    CloudEventsError,
    Conflict,
    InvalidInput,
    OutcomeUnknown,
    Unreachable,
)
from cloudevents_cli.platform.client import PlatformClient, instance_element
from cloudevents_cli.platform.errors import status_of
from cloudevents_cli.platform.planner import plan
from cloudevents_cli.platform.runner import DEFAULT_CONCURRENCY, run_ordered, writing

LIST_ALL_THRESHOLD = 25  # above this many definitions, apply lists every instance once instead of searching each
LOOKUP_TRIES = 3

ACTIONS = (
    "created",
    "updated",
    "unchanged",
    "would-create",
    "would-update",
    "failed",
    "invalid",
    "unknown",
    "not-run",
    "deleted",
)
NOT_RUN_MESSAGE = "not run: an earlier definition failed and --fail-fast was given"


@dataclass
class Result:
    source: str
    name: str | None
    element: str | None
    action: str
    id: Any = None
    http_status: int | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    error: CloudEventsError | None = None
    problems: list[Any] = field(default_factory=list)
    body: dict[str, Any] | None = None  # create --dry-run: what would be sent

    @property
    def failed(self) -> bool:
        return self.action in ("failed", "invalid", "unknown")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "name": self.name,
            "element": self.element,
            "action": self.action,
            "id": self.id,
            "http_status": self.http_status,
            "changes": self.changes,
            "error": self.error.as_dict() if self.error is not None else None,
        }
        if self.body is not None:
            data["body"] = self.body
        return data


def summary(results: Sequence[Result]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.action] = counts.get(r.action, 0) + 1
    return counts


def _base(item: Any, action: str, **kw: Any) -> Result:
    return Result(source=item.source, name=item.name, element=item.element, action=action, **kw)


def invalid_result(item: Any) -> Result:
    errors = [p for p in item.problems if getattr(p, "severity", "error") == "error"]
    first = errors[0].one_line() if errors else "the definition is invalid"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return _base(item, "invalid", error=InvalidInput(first + more), problems=errors)


def failed_result(item: Any, err: CloudEventsError, action: str = "failed", **kw: Any) -> Result:
    return _base(item, action, error=err, http_status=status_of(err), **kw)


def not_run_result(item: Any) -> Result:
    return _base(item, "not-run", error=CloudEventsError(NOT_RUN_MESSAGE, code="not-run"))


def cut_short_result(item: Any, wrote: bool) -> Result:
    """An item a Ctrl-C stopped: `unknown` once its write was sent, else `not-run`."""
    if wrote:
        return failed_result(
            item, OutcomeUnknown("interrupted after the request was sent; the outcome is unknown"), "unknown"
        )
    return _base(item, "not-run", error=CloudEventsError("not run: interrupted", code="not-run"))


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
        out.append(_base(item, "would-create", body=body))
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
        return _base(item, "created", id=created.get("id"), http_status=200)

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
            return _base(item, "would-create")
        return await _create_carefully(client, item)
    current = live[0]
    if "configuration" not in current:
        current = await client.get_instance(current["id"])
    the_plan = plan(item.body, current, update_secrets=update_secrets, secrets=item.secrets)
    if not the_plan.changed:
        return _base(item, "unchanged", id=current.get("id"))
    if dry_run:
        return _base(item, "would-update", id=current.get("id"), changes=the_plan.changes)
    writing()
    await client.patch_instance(current["id"], the_plan.patch, secrets=item.secrets)
    return _base(item, "updated", id=current.get("id"), http_status=200, changes=the_plan.changes)


async def _create_carefully(client: PlatformClient, item: Any) -> Result:
    """POST once. When the outcome is unknown, look the instance up: there -> created; absent -> unknown, never
    a second POST (the first may still be in progress on the platform)."""
    writing()
    try:
        created = await client.create_instance(item.body, secrets=item.secrets)
        return _base(item, "created", id=created.get("id"), http_status=200)
    except OutcomeUnknown as err:
        unknown = err
    found = await _look_up_after_unknown(client, item, unknown)
    if len(found) == 1:
        return _base(item, "created", id=found[0].get("id"))
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


# -- list / get / delete / export ---------------------------------------------------------------------------
async def list_filtered(
    client: PlatformClient,
    *,
    tags: Sequence[str] = (),
    element: str | None = None,
    name: str | None = None,
) -> list[dict[str, Any]]:
    """Instances with every tag (server-side `tags[]`, checked again here), the element key, a name glob."""
    from fnmatch import fnmatchcase

    plain_name = name is not None and not any(ch in name for ch in "*?[")
    found = await client.list_instances(tags=tags, search_text=name if plain_name else None)
    wanted = set(tags)
    return [
        inst
        for inst in found
        if wanted.issubset({str(t) for t in inst.get("tags") or []})
        and (element is None or instance_element(inst) == element)
        and (name is None or fnmatchcase(str(inst.get("name")), name))
    ]


def _ref_result(ref: str, action: str, inst: dict[str, Any] | None = None, **kw: Any) -> Result:
    inst = inst or {}
    return Result(
        source=ref,
        name=inst.get("name"),
        element=instance_element(inst),
        action=action,
        id=inst.get("id"),
        **kw,
    )


async def resolve_refs(client: PlatformClient, refs: Sequence[str]) -> list[Result]:
    """Each ID|NAME to one instance: action "found", or "failed" with the error (not found, ambiguous...)."""

    async def one(ref: str) -> Result:
        try:
            return _ref_result(ref, "found", await client.resolve(ref))
        except CloudEventsError as err:
            return _ref_result(ref, "failed", error=err, http_status=status_of(err))

    return await run_ordered(refs, one, not_run=lambda ref: _ref_result(ref, "not-run"))


def _cut_short_ref(res: Result, wrote: bool) -> Result:
    if not wrote:
        return Result(res.source, res.name, res.element, "not-run", id=res.id)
    err = OutcomeUnknown("interrupted after the request was sent; the outcome is unknown")
    return Result(res.source, res.name, res.element, "unknown", id=res.id, error=err)


async def delete_refs(client: PlatformClient, found: Sequence[Result]) -> list[Result]:
    async def one(res: Result) -> Result:
        if res.action != "found":
            return res
        writing()
        try:
            status = await client.delete_instance(res.id)
        except CloudEventsError as err:
            return Result(res.source, res.name, res.element, "failed", id=res.id, error=err, http_status=status_of(err))
        return Result(res.source, res.name, res.element, "deleted", id=res.id, http_status=status)

    return await run_ordered(found, one, not_run=lambda r: r, cut_short=_cut_short_ref)


async def collect_for_export(
    client: PlatformClient, refs: Sequence[str], *, tags: Sequence[str] = (), all_: bool = False
) -> list[dict[str, Any]]:
    """The instances to export: each ref (errors raised), or every instance / those with the tags."""
    if refs:
        resolved = await resolve_refs(client, refs)
        for res in resolved:
            if res.error is not None:
                raise res.error
        instances = await run_ordered([r.id for r in resolved], client.get_instance, not_run=lambda i: {"id": i})
        wanted = set(tags)
        return [i for i in instances if wanted.issubset({str(t) for t in i.get("tags") or []})]
    return await list_filtered(client, tags=tags)
