"""The health of instances, one row each: switches, events configuration, the newest event in the history,
queued deliveries for the callback URL, and why the instance needs attention (an empty list when it does not)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from cloudevents_cli.platform import deliveries
from cloudevents_cli.platform.client import MAX_PAGES, NEXT_PAGE_HEADER, PlatformClient, instance_element
from cloudevents_cli.platform.errors import BadResponse, json_body

PAGE_SIZE = 200
CONCURRENCY = 8  # event histories read at once
TROUBLED = {"FAILED", "RETRYING", "QUEUED"}  # a last event in one of these did not reach the callback (yet)


def _is_true(value: Any) -> bool:
    return str(value).lower() == "true"


async def last_event(client: PlatformClient, instance_id: Any) -> dict[str, Any] | None:
    """The newest record of the instance's event history (paged through, keeping one record)."""
    path = f"/instances/{instance_id}/events"
    newest: dict[str, Any] | None = None
    token: str | None = None
    for _ in range(MAX_PAGES):
        params = [("pageSize", str(PAGE_SIZE))] + ([("nextPage", token)] if token else [])
        sent = await client.request("GET", path, params=params)
        page = json_body(sent.response, f"GET {path}")
        if not isinstance(page, list) or not all(isinstance(r, dict) for r in page):
            raise BadResponse(f"GET {path}: HTTP {sent.response.status_code}: expected a list of events", status=200)
        for record in page:
            if newest is None or str(record.get("createdDate") or "") >= str(newest.get("createdDate") or ""):
                newest = record
        token = sent.response.headers.get(NEXT_PAGE_HEADER) or None
        if not token or not page:
            return newest
    raise BadResponse(f"GET {path}: more than {MAX_PAGES} pages, the most this tool follows", status=200)


def _attention(row: dict[str, Any], wants_events: bool | None) -> list[str]:
    reasons = []
    if row["disabled"]:
        reasons.append("disabled")
    if row["valid"] is False:
        reasons.append("invalid")
    if wants_events and not row["events"]:
        reasons.append("events off, the definition wants them on")
    if row["last_event_status"] in TROUBLED:
        reasons.append(f"last delivery {row['last_event_status'].lower()}")
    if row["queued"]:
        reasons.append(f"{row['queued']} queued deliveries")
    return reasons


async def health(
    client: PlatformClient,
    instances: Sequence[dict[str, Any]],
    wants_events: Mapping[tuple[str, str], bool] | None = None,
) -> list[dict[str, Any]]:
    """One row per instance; `wants_events` maps (name, element) to the definition's events switch, and a
    definition without a live instance gets a row of its own (attention: "no instance")."""
    queued: dict[str, int] = {}
    for delivery in await deliveries.queued(client):
        url = str((delivery.get("config") or {}).get("url"))
        queued[url] = queued.get(url, 0) + 1

    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(inst: dict[str, Any]) -> dict[str, Any]:
        async with limit:
            last = await last_event(client, inst.get("id"))
        conf = inst.get("configuration")
        conf = conf if isinstance(conf, dict) else {}
        callback = conf.get("event.notification.callback.url")
        row = {
            "id": inst.get("id"),
            "name": inst.get("name"),
            "element": instance_element(inst),
            "disabled": bool(inst.get("disabled")),
            "valid": inst.get("valid"),
            "events": _is_true(conf.get("event.notification.enabled")),
            "vendor_type": conf.get("event.vendor.type"),
            "callback_url": callback,
            "last_event_date": last.get("createdDate") if last else None,
            "last_event_status": last.get("status") if last else None,
            "queued": queued.get(str(callback), 0) if callback else 0,
        }
        wanted = (wants_events or {}).get((str(row["name"]), str(row["element"])))
        return {**row, "attention": _attention(row, wanted)}

    rows = list(await asyncio.gather(*(one(inst) for inst in instances)))
    seen = {(str(r["name"]), str(r["element"])) for r in rows}
    missing = [{**_absent(name, element), "attention": ["no instance"]} for name, element in wants_events or {}]
    return rows + [row for row in missing if (row["name"], row["element"]) not in seen]


def _absent(name: str, element: str) -> dict[str, Any]:
    row = dict.fromkeys(["id", "name", "element", "disabled", "valid", "events", "vendor_type", "callback_url"])
    last = dict.fromkeys(["last_event_date", "last_event_status"])
    return {**row, "name": name, "element": element, **last, "queued": 0}
