"""The element catalogue: `GET /elements` (paged), `GET /elements/{keyOrId}` (its configuration list and
authentication type) and `GET /elements/{keyOrId}/metadata` (events supported, event methods), summarised as
`ElementInfo`, with a cache per base URL that lasts a day (a JSON file under the user's cache folder,
`$XDG_CACHE_HOME/cloudevents/`). A cache that cannot be read or written is ignored. Nothing printed here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import quote

from cloudevents_cli.errors import NotFound
from cloudevents_cli.platform.client import MAX_PAGES, NEXT_PAGE_HEADER, PlatformClient
from cloudevents_cli.platform.errors import BadResponse, json_body

CACHE_SECONDS = 24 * 60 * 60
PAGE_SIZE = 200  # the most the platform gives a page
CONCURRENCY = 8  # element descriptions read at once
POLLER = "event.poller.configuration"


@dataclass
class ElementInfo:
    """What the tool needs to know of an element."""

    key: str
    name: str | None = None
    id: Any = None
    auth_type: str | None = None  # e.g. oauth2, oauth1, basic, custom (as the platform names it)
    events_supported: bool | None = None
    methods: list[str] = field(default_factory=list)  # as the platform names them: polling, webhook(s)
    configuration: list[dict[str, Any]] = field(default_factory=list)  # key, name, type, required, hidden, default
    poller: dict[str, Any] | None = None  # the default event.poller.configuration, when the element has one

    @property
    def oauth(self) -> bool:
        return str(self.auth_type or "").lower().startswith("oauth")

    @property
    def required_keys(self) -> list[str]:
        """Keys a definition must give: required, shown in the console, without a default."""
        return [
            c["key"]
            for c in self.configuration
            if c.get("required") and not c.get("hidden") and c.get("default") in (None, "") and c.get("key")
        ]

    def offers(self, method: str) -> bool:
        """Whether the element's events come by METHOD (polling or webhooks; webhook and webhooks are one)."""
        return _method(method) in {_method(m) for m in self.methods}


def _method(name: str) -> str:
    name = name.strip().lower()
    return "webhooks" if name == "webhook" else name


def summarise(element: dict[str, Any], metadata: dict[str, Any] | None) -> ElementInfo:
    """An ElementInfo from the answers of GET /elements/{key} and (when read) its /metadata."""
    auth = element.get("authentication")
    auth_type = auth.get("type") if isinstance(auth, dict) else element.get("authenticationType") or auth
    if auth_type is None and element.get("typeOauth") is True:
        auth_type = "oauth2"
    events = (metadata or {}).get("events")
    events = events if isinstance(events, dict) else {}
    methods = events.get("methods")
    configuration = []
    for entry in element.get("configuration") or []:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            configuration.append(
                {
                    "key": entry["key"],
                    "name": entry.get("name"),
                    "type": entry.get("type"),
                    "required": entry.get("required") is True,
                    "hidden": entry.get("hideFromConsole") is True,
                    "default": entry.get("defaultValue"),
                }
            )
    return ElementInfo(
        poller=_poller(configuration) or (events.get("polling") if isinstance(events.get("polling"), dict) else None),
        key=str(element.get("key")),
        name=element.get("name") if isinstance(element.get("name"), str) else None,
        id=element.get("id"),
        auth_type=str(auth_type) if isinstance(auth_type, (str, int)) else None,
        events_supported=events.get("supported") if isinstance(events.get("supported"), bool) else None,
        methods=[str(m) for m in methods] if isinstance(methods, list) else [],
        configuration=configuration,
    )


def _poller(configuration: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The default event.poller.configuration of a configuration list (its JSON text parsed), when not empty."""
    for entry in configuration:
        if entry["key"] == POLLER:
            value = entry.get("default")
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return None
            return value if isinstance(value, dict) and value else None
    return None


# -- the platform -------------------------------------------------------------------------------------------
async def _get(client: PlatformClient, path: str) -> dict[str, Any]:
    sent = await client.request("GET", path)
    data = json_body(sent.response, f"GET {path}")
    if not isinstance(data, dict):
        raise BadResponse(f"GET {path}: HTTP {sent.response.status_code}: expected a JSON object", status=200)
    return data


async def fetch_element(client: PlatformClient, key: str) -> ElementInfo:
    """GET /elements/{key} and its /metadata. An unknown key is NotFound."""
    path = f"/elements/{quote(key, safe='')}"
    element = await _get(client, path)
    metadata = await _get(client, f"{path}/metadata")
    return summarise(element, metadata)


async def fetch_catalogue(client: PlatformClient) -> list[dict[str, Any]]:
    """Every element of GET /elements (key, name, id, authentication), following page tokens to the end."""
    out: list[dict[str, Any]] = []
    token: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        params = [("pageSize", str(PAGE_SIZE))] + ([("nextPage", token)] if token else [])
        sent = await client.request("GET", "/elements", params=params)
        page = json_body(sent.response, "GET /elements")
        if not isinstance(page, list) or not all(isinstance(e, dict) and e.get("key") for e in page):
            raise BadResponse(
                f"GET /elements: HTTP {sent.response.status_code}: expected a list of elements", status=200
            )
        out.extend(page)
        token = sent.response.headers.get(NEXT_PAGE_HEADER) or None
        if not token or not page:
            return out
        if token in seen:
            raise BadResponse("GET /elements: the platform repeated a page token", status=200)
        seen.add(token)
    raise BadResponse(f"GET /elements: more than {MAX_PAGES} pages, the most this tool follows", status=200)


# -- the cache ----------------------------------------------------------------------------------------------
def cache_file(base_url: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:16]
    return Path(base) / "cloudevents" / f"elements-{digest}.json"


class Catalogue:
    """Element descriptions of one platform (base URL), from the cache while it is fresh, else fetched."""

    def __init__(self, client: PlatformClient, *, now: float | None = None) -> None:
        self.client = client
        self.now = time.time() if now is None else now
        self.path = cache_file(client.connection.base_url)
        self._data = self._read()
        self._lock = asyncio.Lock()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _fresh(self, entry: Any) -> TypeGuard[dict[str, Any]]:
        return (
            isinstance(entry, dict)
            and isinstance(entry.get("at"), (int, float))
            and (0 <= self.now - entry["at"] < CACHE_SECONDS)
        )

    def _save(self) -> None:
        from cloudevents_cli.files import write_atomically

        try:
            write_atomically(self.path, json.dumps(self._data, ensure_ascii=False), mode=0o600)
        except OSError:
            pass  # a cache that cannot be written is only slower

    async def info(self, key: str, *, save: bool = True) -> ElementInfo:
        """One element; NotFound when the platform does not know KEY. `save`: write the cache now."""
        cached = self._data.get("elements", {}).get(key) if isinstance(self._data.get("elements"), dict) else None
        if self._fresh(cached):
            try:
                return ElementInfo(**cached["info"])
            except (TypeError, KeyError):
                pass
        info = await fetch_element(self.client, key)
        async with self._lock:
            self._data.setdefault("elements", {})[key] = {"at": self.now, "info": asdict(info)}
            if save:
                self._save()
        return info

    async def keys(self) -> list[dict[str, Any]]:
        """The catalogue's elements (key, name, id, authentication type)."""
        cached = self._data.get("catalogue")
        if self._fresh(cached) and isinstance(cached.get("elements"), list):
            return list(cached["elements"])
        elements = [
            {"key": str(e["key"]), "name": e.get("name"), "id": e.get("id"), "auth_type": summarise(e, None).auth_type}
            for e in await fetch_catalogue(self.client)
        ]
        async with self._lock:
            self._data["catalogue"] = {"at": self.now, "elements": elements}
            self._save()
        return elements

    async def many(self, keys: Sequence[str]) -> dict[str, ElementInfo | None]:
        """Several elements at once (CONCURRENCY at a time); None for a key the platform does not know."""
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(key: str) -> ElementInfo | None:
            async with gate:
                try:
                    return await self.info(key, save=False)
                except NotFound:
                    return None

        try:
            found = await asyncio.gather(*(one(k) for k in keys))
        finally:
            self._save()  # once, with every element read so far
        return dict(zip(keys, found, strict=True))
