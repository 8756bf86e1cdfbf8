"""Invented changes: what a vendor webhook or a poll would have found, as batches of events."""

from __future__ import annotations

import random
from typing import Any

from cloudevents_cli.emulator import catalog, defaults, validation
from cloudevents_cli.emulator.delivery import Batch, chunk
from cloudevents_cli.emulator.store import Instance, now_iso

EVENT_TYPES = ("CREATED", "UPDATED", "DELETED")


def _event(instance: Instance, object_type: str, event_type: str, object_id: str) -> dict[str, Any]:
    return {
        "objectId": object_id,
        "objectType": object_type,
        "eventType": event_type,
        "elementKey": instance.element_key,
        "date": now_iso(),
    }


def webhook_batches(
    instance: Instance, object_type: str, event_type: str, count: int, rng: random.Random
) -> list[Batch]:
    """`count` events of one type, at most 20 a notification, with the vendor's payload as `raw`."""
    events = [_event(instance, object_type, event_type, str(rng.randint(100000, 999999))) for _ in range(count)]
    return [
        Batch(
            part,
            {
                "webhook": True,
                "objectType": object_type,
                "eventType": event_type,
                "objects": [{"id": e["objectId"], "changeType": event_type.lower()} for e in part],
            },
        )
        for part in chunk(events, defaults.WEBHOOK_BATCH)
    ]


def polled_resources(instance: Instance) -> dict[str, str]:
    """Resource name -> id field: from the poller configuration, `event.objects` (Salesforce family), the
    element's default poller, or its default resource."""
    try:
        configured = validation.poller_resources(instance.configuration)
    except validation.Invalid:
        configured = None
    elem = catalog.find(instance.element_key)
    if not configured and elem is not None and elem.objects:
        configured = {name: {"idField": "Id"} for name in validation.objects(instance.configuration)}
    if not configured and elem is not None:
        configured = elem.poller
    if configured:
        return {name: str(spec.get("idField", "id")) for name, spec in configured.items()}
    return {elem.default_resource if elem else "objects": "id"}


def polling_batches(instance: Instance, rng: random.Random, *, count: int | None = None) -> list[Batch]:
    """A poll's findings: a few changes for each resource (or `count` each), at most 10 a notification."""
    events: list[dict[str, Any]] = []
    id_fields: dict[str, str] = {}
    for resource, id_field in polled_resources(instance).items():
        id_fields[resource] = id_field
        for _ in range(count if count is not None else rng.randint(1, 3)):
            events.append(_event(instance, resource, rng.choice(EVENT_TYPES), str(rng.randint(100000, 999999))))
    batches = []
    for part in chunk(events, defaults.POLLING_BATCH):
        raw: dict[str, list[dict[str, Any]]] = {}
        for e in part:
            raw.setdefault(e["objectType"], []).append(
                {id_fields[e["objectType"]]: e["objectId"], "updated": e["date"]}
            )
        batches.append(Batch(part, raw))
    return batches
