"""`cloudevents elements [KEY]`: the element catalogue (key, name, authentication, event methods), or one element
(its required configuration keys and default poller configuration). Element descriptions are cached for a day
per base URL (platform/elements.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.errors import NotFound

app = command_group()  # this module's commands; cli.app.Group loads them when they run

LIST_COLUMNS = ["key", "name", "auth", "event methods"]


@app.command()
def elements(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(metavar="[KEY]", help="One element (key or id).")] = None,
    output: OutputOpt = None,
) -> None:
    """The element catalogue: auth type, event methods, required keys, default poller configuration."""
    st = state(ctx)
    out = st.output_for(output)
    conn = connection(st)
    from dataclasses import asdict

    from cloudevents_cli.platform.elements import Catalogue

    if key is None:

        async def listing(client: Any) -> list[dict[str, Any]]:
            catalogue = Catalogue(client)
            found = await catalogue.keys()
            infos = await catalogue.many([e["key"] for e in found])
            rows = []
            for entry in found:
                info = infos.get(entry["key"])
                methods = info.methods if info is not None else []
                rows.append({**entry, "auth_type": (info and info.auth_type) or entry["auth_type"], "methods": methods})
            return rows

        rows = with_client(st, conn, listing)

        def table(doc: dict[str, Any]) -> None:
            cells = [[e["key"], e["name"], e["auth_type"], e["methods"]] for e in doc["elements"]]
            out.table(LIST_COLUMNS, cells)
            out.info(f"{len(rows)} element{'s' if len(rows) != 1 else ''}")

        out.emit({"elements": rows}, table=table, ids=lambda doc: [e["key"] for e in doc["elements"]])
        return

    async def one(client: Any) -> Any:
        catalogue = Catalogue(client)
        try:
            return await catalogue.info(key)
        except NotFound:
            raise NotFound(f"no element '{key}' on {conn.base_url}{await _suggestion(catalogue, key)}") from None

    info = with_client(st, conn, one)
    doc = {
        "element": {
            **asdict(info),
            "oauth": info.oauth,
            "required_keys": info.required_keys,
            "default_poller_configuration": info.poller,
        }
    }

    def show(doc: dict[str, Any]) -> None:
        e = doc["element"]
        rows = [
            ["key", e["key"]],
            ["name", e["name"]],
            ["id", e["id"]],
            ["authentication", e["auth_type"]],
            ["events", {True: "supported", False: "not supported"}.get(e["events_supported"], "")],
            ["event methods", e["methods"]],
            ["required configuration keys", e["required_keys"]],
        ]
        for name, resource in (e["default_poller_configuration"] or {}).items():
            url = resource.get("url") if isinstance(resource, dict) else resource
            rows.append([f"default poller: {name}", url])
        out.table(["field", "value"], rows)
        if e["oauth"]:
            out.info("an OAuth element: create its instances with `cloudevents authorize PATH` (consent in a browser)")

    out.emit(doc, table=show, ids=lambda doc: [doc["element"]["key"]])


async def _suggestion(catalogue: Any, key: str) -> str:
    """' - did you mean 'x'?' from the catalogue's keys, or ''."""
    import difflib

    keys = [e["key"] for e in await catalogue.keys()]
    close = difflib.get_close_matches(key, keys, n=3)
    return f" - did you mean {', '.join(repr(k) for k in close)}?" if close else ""
