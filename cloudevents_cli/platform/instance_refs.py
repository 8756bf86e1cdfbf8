"""Instances by reference: list with filters, resolve ID|NAME, delete, and collect what `export` writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudevents_cli.errors import CloudEventsError, OutcomeUnknown
from cloudevents_cli.platform.client import PlatformClient, instance_element
from cloudevents_cli.platform.errors import status_of
from cloudevents_cli.platform.results import Result
from cloudevents_cli.platform.runner import run_ordered, writing


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


def cut_short_ref(res: Result, wrote: bool) -> Result:
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

    return await run_ordered(found, one, not_run=lambda r: r, cut_short=cut_short_ref)


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
