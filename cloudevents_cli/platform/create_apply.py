"""The flows behind create, apply, diff and plan: one Result per definition, in input order (prune's deletes
first). Nothing printed here.

Each item goes to its account's client (`clients(item.account)`: one client, and so one set of credentials, per
account; a single PlatformClient stands for every account).

apply is two steps. `assess` reads: live instances are found by (name, element): a search by name then an
exact filter (or, for a large batch, one listing of everything per account, indexed). 0 found -> create;
1 -> update when something differs, else unchanged; more -> a conflict naming their ids. With `prune`, the
instances carrying the `owner` tag that no definition describes are to be deleted. `carry_out` then writes
what was decided. diff and plan are `assess` alone; `apply PLAN` is `assess`, a check against the plan
(platform/plans.py), then `carry_out`.

A POST is never sent twice for one definition in one run: when its outcome is unknown, a fresh look-up by
(name, element) reports it created if it is there, else `unknown` (the platform may still be processing it;
the next run finds it). `create` reports `unknown` at once.
On Ctrl-C a batch raises Interrupted: items whose write was sent are `unknown`, those not begun `not-run`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.errors import CloudEventsError, Conflict, Interrupted, OutcomeUnknown, Unreachable
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
from cloudevents_cli.platform.retry import RetryPolicy
from cloudevents_cli.platform.runner import DEFAULT_CONCURRENCY, run_ordered, writing

LIST_ALL_THRESHOLD = 25  # above this many definitions of one account, apply lists its instances once
EARLY_LISTING_AFTER = 0.25  # a build still going after this long is large (26 definitions take ~5 ms): list
LOOKUP_TRIES = 3
PRUNE_SOURCE = "prune"

Clients = PlatformClient | Callable[[Any], PlatformClient]


def client_for(clients: Clients) -> Callable[[Any], PlatformClient]:
    """The client of an account (`Item.account`, None for the run's)."""
    if isinstance(clients, PlatformClient):
        return lambda _account: clients
    return clients


def _register(items: Sequence[Any]) -> None:
    for item in items:
        if item.secrets:
            redact.register(*item.secrets)


def with_owner(body: dict[str, Any], owner: str | None) -> dict[str, Any]:
    """The POST body with the ownership tag added to its tags (a copy; unchanged without an owner)."""
    if owner is None:
        return body
    tags = list(body.get("tags") or [])
    return {**body, "tags": tags if owner in tags else [*tags, owner]}


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
    clients: Clients,
    items: Sequence[Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    fail_fast: bool = False,
    on_done: Callable[[Result], None] | None = None,
) -> list[Result]:
    _register(items)
    pick = client_for(clients)

    async def one(item: Any) -> Result:
        if not item.valid:
            return invalid_result(item)
        writing()
        try:
            created = await pick(item.account).create_instance(item.body, secrets=item.secrets)
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


# -- apply / diff / plan ------------------------------------------------------------------------------------
class EarlyListing:
    """The listing of the run's account, read in a thread of its own while the definitions are still being built,
    so that a large batch (which lists everything anyway) does not wait for it after the build.

    It starts only once the build has taken `after` seconds (a small batch, which searches by name, is built long
    before: nothing is sent for it), makes one attempt at each page (no retry: on any failure apply lists as it
    always does), and is discarded (`cancel`) unless apply lists that account."""

    def __init__(self, make_client: Callable[[], PlatformClient], after: float) -> None:
        self._make_client = make_client
        self._timer = threading.Timer(after, self._start)
        self._timer.daemon = True
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[list[dict[str, Any]]] | None = None
        self._listed: list[dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._cancelled = False
        self._timer.start()

    def _start(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        async def listing() -> list[dict[str, Any]]:
            async with self._make_client() as client:
                policy = client.policy
                client.policy = RetryPolicy(attempts=1, rate_limit_attempts=1, blind_rate_limit_attempts=1)
                client.policy.sleep = policy.sleep
                return await client.list_instances()

        loop = asyncio.new_event_loop()
        try:
            with self._lock:
                if self._cancelled:
                    return
                self._loop = loop
                self._task = loop.create_task(listing())
            self._listed = loop.run_until_complete(self._task)
        except BaseException:  # any failure, a cancellation included: apply lists the account itself
            self._listed = None
        finally:
            with self._lock:
                self._loop = None
                loop.close()

    def cancel(self) -> None:
        """Not needed after all: stop it (a listing under way ends at its next await)."""
        with self._lock:
            self._cancelled = True
            self._timer.cancel()
            if self._loop is not None and self._task is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)

    def result(self) -> list[dict[str, Any]] | None:
        """The instances listed (waiting for the listing to end), or None when it did not run or failed."""
        self._timer.cancel()
        with self._lock:
            thread = self._thread
            self._cancelled = thread is None
        if thread is None:
            return None
        thread.join()
        return self._listed


class _Finder:
    """Finds live instances of one account by (name, element): one listing for large batches (kept, so that
    prune reads the owned instances from it too), else a search per name."""

    def __init__(self, client: PlatformClient, list_all: bool, early: EarlyListing | None = None) -> None:
        self.client = client
        self.list_all = list_all
        self._early = early
        self._all: list[dict[str, Any]] | None = None
        self._index: dict[tuple[str, str | None], list[dict[str, Any]]] | None = None
        self._lock = asyncio.Lock()

    async def everything(self) -> list[dict[str, Any]]:
        async with self._lock:
            if self._all is None:
                early = self._early
                self._all = await asyncio.to_thread(early.result) if early is not None else None
                if self._all is None:
                    self._all = await self.client.list_instances()
                index: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
                for inst in self._all:
                    index.setdefault((str(inst.get("name")), instance_element(inst)), []).append(inst)
                self._index = index
        return self._all

    async def find(self, name: str, element: str | None) -> list[dict[str, Any]]:
        if not self.list_all:
            return await self.client.find(name, element)
        await self.everything()
        assert self._index is not None
        return list(self._index.get((name, element), []))

    async def owned(self, owner: str) -> list[dict[str, Any]]:
        """Instances carrying the tag `owner`."""
        found = await self.everything() if self.list_all else await self.client.list_instances(tags=[owner])
        return [i for i in found if owner in [str(t) for t in i.get("tags") or []]]


@dataclass
class Step:
    """What apply does for one definition, or one instance prune deletes, as decided from the live state."""

    result: Result  # would-create, would-update, would-delete, unchanged, or failed/invalid/not-run
    client: PlatformClient | None = None
    item: Any = None  # the definition (None for a delete)
    body: dict[str, Any] | None = None  # would-create: the POST body (with secrets: never shown)
    patch: dict[str, Any] | None = None  # would-update: the PATCH body (likewise)


@dataclass
class Assessment:
    steps: list[Step]
    # what the decisions rest on, for a plan's fingerprint: ("match", account, element, name, instances) per
    # definition, ("owned", account, instances) per account with prune
    seen: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def results(self) -> list[Result]:
        return [s.result for s in self.steps]


async def assess(
    clients: Clients,
    items: Sequence[Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    update_secrets: bool = False,
    owner: str | None = None,
    prune: bool = False,
    in_scope: Callable[[str, str | None], bool] = lambda name, element: True,
    on_done: Callable[[Result], None] | None = None,
    early: EarlyListing | None = None,
) -> Assessment:
    """Read the live state and decide, per definition, what apply would do; with `prune` (and an `owner`), also
    which owned instances in scope (`in_scope(name, element)`: the shard) no definition describes. `early`: the
    run's account (None) listed ahead, used if that account is listed.

    Two definitions with the same (name, element) arrive invalid already (pipeline.build(unique=True))."""
    _register(items)
    pick = client_for(clients)
    accounts: dict[Any, list[Any]] = {}
    for item in items:
        accounts.setdefault(item.account, []).append(item)
    finders = {
        account: _Finder(
            pick(account),
            list_all=sum(1 for i in group if i.valid) > LIST_ALL_THRESHOLD,
            early=early if account is None else None,
        )
        for account, group in accounts.items()
    }
    if early is not None and not (None in finders and finders[None].list_all):
        early.cancel()
    labels = {account: f"{pick(account).connection.base_url}#{n}" for n, account in enumerate(accounts)}
    seen: list[tuple[Any, ...]] = []

    deletes: list[Step] = []
    if prune and owner is not None:
        for account, group in accounts.items():
            described = {(i.name, i.element) for i in group}
            owned = [
                i for i in await finders[account].owned(owner) if in_scope(str(i.get("name")), instance_element(i))
            ]
            seen.append(("owned", labels[account], owned))
            for inst in owned:
                key = (inst.get("name"), instance_element(inst))
                if key not in described:
                    result = Result(PRUNE_SOURCE, key[0], key[1], "would-delete", id=inst.get("id"))
                    deletes.append(Step(result, client=pick(account)))
        for step in deletes:
            if on_done is not None:
                on_done(step.result)

    async def one(item: Any) -> Step:
        if not item.valid:
            return Step(invalid_result(item))
        try:
            return await _assess_one(
                pick(item.account),
                finders[item.account],
                item,
                update_secrets=update_secrets,
                owner=owner,
                seen=lambda live: seen.append(("match", labels[item.account], item.element, item.name, live)),
            )
        except OutcomeUnknown as err:
            return Step(failed_result(item, err, "unknown"))
        except CloudEventsError as err:
            return Step(failed_result(item, err))

    try:
        steps = await run_ordered(
            list(items),
            one,
            concurrency=concurrency,
            not_run=lambda item: Step(not_run_result(item)),
            cut_short=lambda item, wrote: Step(cut_short_result(item, wrote)),
            on_done=(lambda step: on_done(step.result)) if on_done is not None else None,
        )
    except Interrupted as err:
        raise Interrupted(err.message, results=[s.result for s in deletes + err.results]) from None
    return Assessment(deletes + steps, seen)


async def _assess_one(
    client: PlatformClient,
    finder: _Finder,
    item: Any,
    *,
    update_secrets: bool,
    owner: str | None,
    seen: Callable[[list[dict[str, Any]]], None],
) -> Step:
    name = str(item.name)
    live = await finder.find(name, item.element)
    if len(live) == 1 and "configuration" not in live[0]:
        live = [await client.get_instance(live[0]["id"])]
    seen(live)
    if len(live) > 1:
        ids = ", ".join(str(i.get("id")) for i in live)
        raise Conflict(f"{len(live)} live instances are named '{name}' with element '{item.element}' (ids {ids})")
    if not live:
        return Step(base_result(item, "would-create"), client, item, body=with_owner(item.body, owner))
    current = live[0]
    the_plan = plan(item.body, current, update_secrets=update_secrets, secrets=item.secrets, owner=owner)
    if not the_plan.changed:
        return Step(base_result(item, "unchanged", id=current.get("id")), client, item)
    result = base_result(item, "would-update", id=current.get("id"), changes=the_plan.changes)
    return Step(result, client, item, patch=the_plan.patch)


async def carry_out(
    assessment: Assessment,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    fail_fast: bool = False,
    on_done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Do what `assess` decided: the deletes first, then the creates and updates; the rest as it was."""

    async def one(step: Step) -> Result:
        result = step.result
        if result.action not in ("would-create", "would-update", "would-delete"):
            return result
        assert step.client is not None
        try:
            writing()
            if result.action == "would-delete":
                status = await step.client.delete_instance(result.id)
                return Result(PRUNE_SOURCE, result.name, result.element, "deleted", id=result.id, http_status=status)
            if result.action == "would-create":
                assert step.body is not None
                return await _create_carefully(step.client, step.item, step.body)
            assert step.patch is not None
            await step.client.patch_instance(result.id, step.patch, secrets=step.item.secrets)
            return base_result(step.item, "updated", id=result.id, http_status=200, changes=result.changes)
        except OutcomeUnknown as err:
            return failed_result(result, err, "unknown", id=result.id)
        except CloudEventsError as err:
            return failed_result(result, err, id=result.id)

    def not_run(step: Step) -> Result:
        return not_run_result(step.result) if step.result.action.startswith("would-") else step.result

    def cut_short(step: Step, wrote: bool) -> Result:
        if step.result.action.startswith("would-"):
            return cut_short_result(step.result, wrote)
        return step.result

    return await run_ordered(
        assessment.steps,
        one,
        concurrency=concurrency,
        fail_fast=fail_fast,
        failed=lambda r: r.failed,
        not_run=not_run,
        cut_short=cut_short,
        on_done=on_done,
    )


async def apply_all(
    clients: Clients,
    items: Sequence[Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    fail_fast: bool = False,
    update_secrets: bool = False,
    dry_run: bool = False,
    owner: str | None = None,
    prune: bool = False,
    in_scope: Callable[[str, str | None], bool] = lambda name, element: True,
    on_done: Callable[[Result], None] | None = None,
    early: EarlyListing | None = None,
) -> list[Result]:
    """apply (dry_run: diff): create what is missing, PATCH what differs, leave what matches, and with prune
    delete the owned instances no definition describes."""
    assessment = await assess(
        clients,
        items,
        concurrency=concurrency,
        update_secrets=update_secrets,
        owner=owner,
        prune=prune,
        in_scope=in_scope,
        on_done=on_done if dry_run else None,
        early=early,
    )
    if dry_run:
        return assessment.results
    return await carry_out(assessment, concurrency=concurrency, fail_fast=fail_fast, on_done=on_done)


async def _create_carefully(client: PlatformClient, item: Any, body: dict[str, Any]) -> Result:
    """POST once. When the outcome is unknown, look the instance up: there -> created; absent -> unknown, never
    a second POST (the first may still be in progress on the platform)."""
    try:
        created = await client.create_instance(body, secrets=item.secrets)
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
