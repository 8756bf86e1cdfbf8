"""Operating events on the platform: an instance's event history (paged, filtered), one event with its delivery
attempts, and the switches (instance enabled/disabled, events on/off) as idempotent batch results."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from cloudevents_cli.errors import CloudEventsError, UsageError
from cloudevents_cli.platform.client import (
    DEFAULT_PAGE_SIZE,
    MAX_INSTANCES,
    MAX_PAGES,
    NEXT_PAGE_HEADER,
    PlatformClient,
    instance_element,
)
from cloudevents_cli.platform.errors import BadResponse, json_body, status_of
from cloudevents_cli.platform.instance_refs import cut_short_ref, list_filtered
from cloudevents_cli.platform.results import Result
from cloudevents_cli.platform.runner import run_ordered, writing

MAX_EVENTS = MAX_INSTANCES
EVENTS_ENABLED = "event.notification.enabled"


def parse_since(text: str) -> datetime:
    """An ISO date or date-time (naive means UTC), or a usage error."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since '{text}': not an ISO date (2026-11-28 or 2026-11-28T10:00:00Z)") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _date(record: dict[str, Any]) -> datetime | None:
    raw = record.get("createdDate")
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _items(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in record.get("events") or [] if isinstance(e, dict)]


@dataclass
class EventFilter:
    since: datetime | None = None
    object_type: str | None = None
    event_type: str | None = None

    def matches(self, record: dict[str, Any]) -> bool:
        if self.since is not None:
            when = _date(record)
            if when is None or when < self.since:
                return False
        items = _items(record)
        if self.object_type is not None and not any(str(e.get("objectType")) == self.object_type for e in items):
            return False
        wanted = (self.event_type or "").casefold()
        return self.event_type is None or any(str(e.get("eventType")).casefold() == wanted for e in items)


def _page_problem(page: Any) -> str | None:
    if not isinstance(page, list):
        return "expected a list of events"
    if not all(isinstance(r, dict) for r in page):
        return "expected each event to be a JSON object"
    return None


async def history_pages(
    client: PlatformClient,
    instance_id: Any,
    *,
    where: EventFilter | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The instance's events matching `where`, oldest first, one list per page as it arrives, following page
    tokens to the end (at most MAX_PAGES pages and MAX_EVENTS events)."""
    where = where or EventFilter()
    path = f"/instances/{quote(str(instance_id), safe='')}/events"
    what = f"GET {path}"
    token: str | None = None
    seen: set[str] = set()
    total = 0
    for _ in range(MAX_PAGES):
        params = [("pageSize", str(page_size))] + ([("nextPage", token)] if token else [])
        response = (await client.request("GET", path, params=params)).response
        page = json_body(response, what)
        problem = _page_problem(page)
        if problem is not None:
            raise BadResponse(f"{what}: HTTP {response.status_code}: {problem}", status=response.status_code)
        total += len(page)
        if total > MAX_EVENTS:
            raise BadResponse(f"{what}: more than {MAX_EVENTS} events, the most this tool reads", status=200)
        yield [r for r in page if where.matches(r)]
        token = response.headers.get(NEXT_PAGE_HEADER) or None
        if not token or not page:
            return
        if token in seen:
            raise BadResponse(f"{what}: the platform repeated a page token", status=200)
        seen.add(token)
    raise BadResponse(f"{what}: more than {MAX_PAGES} pages of {page_size}, the most this tool follows", status=200)


async def event_history(
    client: PlatformClient,
    instance_id: Any,
    *,
    where: EventFilter | None = None,
    limit: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Every page of `history_pages` in one list; with `limit`, only the most recent `limit` events."""
    kept: deque[dict[str, Any]] = deque(maxlen=limit)
    async for page in history_pages(client, instance_id, where=where, page_size=page_size):
        kept.extend(page)
    return list(kept)


async def get_event(client: PlatformClient, event_id: str) -> dict[str, Any]:
    """`GET /instances/events/{eventId}`: one event with its status and delivery attempts."""
    path = f"/instances/events/{quote(event_id, safe='')}"
    response = (await client.request("GET", path)).response
    record = json_body(response, f"GET {path}")
    if not isinstance(record, dict):
        raise BadResponse(f"GET {path}: HTTP {response.status_code}: expected an event (a JSON object)", status=200)
    return record


# -- switches -------------------------------------------------------------------------------------------------
def is_disabled(instance: dict[str, Any]) -> bool:
    return instance.get("disabled") is True


def events_on(instance: dict[str, Any]) -> bool:
    if isinstance(instance.get("eventsEnabled"), bool):
        return bool(instance["eventsEnabled"])
    conf = instance.get("configuration")
    value = conf.get(EVENTS_ENABLED) if isinstance(conf, dict) else None
    return str(value).lower() == "true"


@dataclass
class Target:
    """One instance a switch applies to (or the error finding it)."""

    source: str
    instance: dict[str, Any] | None = None
    error: CloudEventsError | None = None


async def find_targets(client: PlatformClient, refs: Sequence[str], tags: Sequence[str]) -> list[Target]:
    """Each ID|NAME resolved (an error stays with its ref), then every instance with all the tags; an instance
    named twice is switched once."""

    async def one(ref: str) -> Target:
        try:
            return Target(ref, await client.resolve(ref))
        except CloudEventsError as err:
            return Target(ref, error=err)

    targets = await run_ordered(refs, one, not_run=lambda ref: Target(ref, error=CloudEventsError("not run")))
    if tags:
        label = "--tag " + ",".join(tags)
        targets += [Target(label, inst) for inst in await list_filtered(client, tags=tags)]
    seen: set[Any] = set()
    unique = []
    for target in targets:
        key = target.instance.get("id") if target.instance is not None else None
        if key is None or key not in seen:
            unique.append(target)
            seen.add(key)
    return unique


def _result(target: Target, action: str, **kw: Any) -> Result:
    inst = target.instance or {}
    return Result(target.source, inst.get("name"), instance_element(inst), action, id=inst.get("id"), **kw)


async def switch(client: PlatformClient, targets: Sequence[Target], what: str, on: bool) -> list[Result]:
    """Set `what` ("enabled": PUT/DELETE /instances/{id}/enabled; "events": PATCH event.notification.enabled) to
    `on` on each target: `unchanged` (nothing sent) when it already is, else `updated` with the change."""

    async def one(target: Target) -> Result:
        inst = target.instance
        if inst is None:  # its ID|NAME did not resolve
            assert target.error is not None
            return _result(target, "failed", error=target.error, http_status=status_of(target.error))
        path = f"/instances/{quote(str(inst.get('id')), safe='')}"
        if what == "enabled":
            before = not is_disabled(inst)
            field, method, body = "enabled", "PUT" if on else "DELETE", None
            path += "/enabled"
        else:
            before = events_on(inst)
            field, method, body = f"configuration.{EVENTS_ENABLED}", "PATCH", {"configuration": {EVENTS_ENABLED: on}}
        if before == on:
            return _result(target, "unchanged")
        writing()
        try:
            sent = await client.request(method, path, body=body)
        except CloudEventsError as err:
            return _result(target, "failed", error=err, http_status=status_of(err))
        change = {"path": field, "before": before, "after": on}
        return _result(target, "updated", http_status=sent.response.status_code, changes=[change])

    return await run_ordered(
        targets,
        one,
        not_run=lambda t: _result(t, "not-run"),
        cut_short=lambda t, wrote: cut_short_ref(_result(t, "found"), wrote),
    )
