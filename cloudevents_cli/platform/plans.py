"""Plans (`plan PATH... --out FILE`, then `apply FILE`) and shards (`--shard I/N`).

A plan file is one JSON document (mode 0600, written atomically): the writes apply would make (creates with
their body, updates with before/after of what differs, prune's deletes), the fingerprint of the live state
they were decided from, the base URL, a one-time plan id, and how to render the definitions again.

It holds no secret, not even masked-but-recoverable: a create body holds credentials, so the bodies are shown
with secrets masked and the file records the definitions' sources (absolute paths and the event flags; a
secret flag cannot be planned: put secrets in the definitions as `${env:NAME}`/`${file:PATH}`). `apply FILE`
renders them again from the same environment, reads the live state again, and applies only if
- the plan was not applied before (`applied` is set in the file, atomically, before anything is sent);
- the run talks to the plan's base URL;
- the fingerprint is the same: sha256 over, per definition, the live instances its (name, element) found and,
  with prune, the owned instances in scope, each as id, updatedDate, name, element, tags and configuration
  (the fields the decisions rest on; updatedDate catches any recorded write, the fields catch a write within
  the same timestamp, ids catch an instance replaced, created or deleted under a name);
- every write decided now is the write planned: each one's digest, an HMAC-SHA256 of the whole request (body
  with secrets included) keyed with the account's credentials, so the file lets nobody without those
  credentials test a guess of a secret, yet any change of a file, flag, `${env:}` value or account shows.
A copy of an applied plan is refused too: its writes changed the fingerprinted state (a plan with no write
does nothing either way).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.errors import InvalidInput, PlanRefused, UsageError
from cloudevents_cli.platform.client import auth_header, instance_element

PLAN_KIND = "cloudevents-plan"
PLAN_VERSION = 1
MAX_PLAN_BYTES = 256 * 1024 * 1024
WRITES = {"would-create": "create", "would-update": "update", "would-delete": "delete"}


# -- shards -------------------------------------------------------------------------------------------------
def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` with 1 <= I <= N; UsageError otherwise."""
    match = re.fullmatch(r"([0-9]+)/([0-9]+)", text.strip())
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 2/4")
    return int(match[1]), int(match[2])


def shard_of(name: str | None, element: str | None, source: str, count: int) -> int:
    """The shard (1..count) of a definition: sha256 of `element NUL name` (its source when it has neither),
    so that every job of a CI matrix computes the same split, whatever the order or the Python."""
    key = f"{element}\0{name}" if name is not None and element is not None else f"\0{source}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % count + 1


# -- the fingerprint and the digests ------------------------------------------------------------------------
def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _snapshot(instance: dict[str, Any]) -> str:
    return _canonical(
        {
            "id": instance.get("id"),
            "updatedDate": instance.get("updatedDate"),
            "name": instance.get("name"),
            "element": instance_element(instance),
            "tags": sorted(str(t) for t in instance.get("tags") or []),
            "configuration": instance.get("configuration"),
        }
    )


def fingerprint(seen: list[tuple[Any, ...]]) -> str:
    """sha256 of what an assessment saw (create_apply.Assessment.seen), independent of the order of reading."""
    entries = sorted(_canonical([*entry[:-1], sorted(_snapshot(i) for i in entry[-1])]) for entry in seen)
    return "sha256:" + hashlib.sha256("\n".join(entries).encode()).hexdigest()


def digest(step: Any) -> str:
    """HMAC-SHA256 of one write (its whole request, secrets included), keyed with its account's credentials."""
    r = step.result
    request = {"action": WRITES[r.action], "name": r.name, "element": r.element, "id": r.id}
    request.update(body=step.body, patch=step.patch, base_url=step.client.connection.base_url)
    conn = step.client.connection
    key = auth_header(conn.user_secret, conn.org_secret).encode()
    return hmac.new(key, _canonical(request).encode(), hashlib.sha256).hexdigest()


def _writes(assessment: Any) -> list[dict[str, Any]]:
    out = []
    for step in assessment.steps:
        r = step.result
        if r.action not in WRITES:
            continue
        change: dict[str, Any] = {"action": WRITES[r.action], "source": r.source, "name": r.name}
        change.update(element=r.element, id=r.id, digest=digest(step))
        if step.body is not None:
            change["body"] = redact.mask(step.body, step.item.secrets)
        if r.changes:
            change["changes"] = r.changes
        out.append(change)
    return out


def summary_line(counts: dict[str, int]) -> str:
    """Terraform's line: `3 to create, 2 to update, 1 to delete`."""
    return ", ".join(f"{counts.get(action, 0)} to {action}" for action in ("create", "update", "delete"))


def counts(results: list[Any]) -> dict[str, int]:
    out = {"create": 0, "update": 0, "delete": 0, "unchanged": 0}
    for r in results:
        key = WRITES.get(r.action, r.action)
        if key in out:
            out[key] += 1
    return out


# -- the file -----------------------------------------------------------------------------------------------
def check_plannable(overrides: Any, paths: list[str]) -> None:
    """A plan renders its definitions again at apply time: from files (not stdin), without secret flags."""
    if "-" in paths:
        raise UsageError("a plan cannot read stdin (-): apply renders the definitions again from their files")
    secret_sets = [s.split("=", 1)[0] for s in overrides.sets if redact.is_secret_key(s.split("=", 1)[0])]
    if overrides.signature_key is not None or secret_sets:
        flag = "--signature-key" if overrides.signature_key is not None else f"--set {secret_sets[0]}=..."
        raise UsageError(
            f"{flag}: a plan file holds no secret, so a plan cannot take a secret flag; "
            "put it in the definitions as ${env:NAME} (apply reads it again)"
        )


def document(
    assessment: Any,
    *,
    base_url: str,
    paths: list[str],
    overrides: Any,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The plan of an assessment, with a new plan id; its secrets masked."""
    import uuid

    doc = {
        "schema_version": 1,
        "kind": PLAN_KIND,
        "plan_version": PLAN_VERSION,
        "plan_id": uuid.uuid4().hex,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base_url": base_url,
        "fingerprint": fingerprint(assessment.seen),
        "definitions": {"paths": [str(Path(p).absolute()) for p in paths], "overrides": asdict(overrides)},
        "options": options,
        "changes": _writes(assessment),
        "summary": counts(assessment.results),
        "applied": None,
    }
    return dict(redact.mask_document(doc))


def write(path: Path, doc: dict[str, Any]) -> None:
    from cloudevents_cli.files import write_atomically

    write_atomically(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", mode=0o600)


def read(path: Path) -> dict[str, Any]:
    """The plan in a file; InvalidInput when it is not one this version can apply."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PLAN_BYTES + 1)
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read the plan: {err.strerror}") from None
    if len(raw) > MAX_PLAN_BYTES:
        raise InvalidInput(f"{path}: larger than {MAX_PLAN_BYTES >> 20} MiB; not a plan")
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("kind") != PLAN_KIND:
        raise InvalidInput(f"{path}: not a cloudevents plan (make one with: cloudevents plan PATH... --out FILE)")
    if doc.get("plan_version") != PLAN_VERSION:
        raise InvalidInput(f"{path}: plan version {doc.get('plan_version')!r}; this cloudevents reads {PLAN_VERSION}")
    return doc


def is_plan(path: Path) -> bool:
    """Whether a PATH given to apply is a plan file (a JSON object of kind cloudevents-plan)."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip()
    except OSError:
        return False
    return head.startswith(b"{") and re.search(rb'"kind"\s*:\s*"cloudevents-plan"', head) is not None


def check_unapplied(doc: dict[str, Any]) -> None:
    applied = doc.get("applied")
    if applied:
        at = applied.get("at") if isinstance(applied, dict) else applied
        raise PlanRefused(f"plan {doc.get('plan_id')} was applied already ({at}); make a new plan", code="plan-applied")


def check_target(doc: dict[str, Any], base_url: str) -> None:
    if doc.get("base_url") != base_url:
        raise PlanRefused(
            f"plan {doc.get('plan_id')} is for {doc.get('base_url')}, this run talks to {base_url}; nothing was sent",
            code="plan-target",
        )


def check(doc: dict[str, Any], assessment: Any) -> None:
    """PlanRefused unless applying now does exactly what the plan says (see the module doc; the base URL is
    `check_target`'s, before anything is read)."""
    plan_id = doc.get("plan_id")
    check_unapplied(doc)
    if doc.get("fingerprint") != fingerprint(assessment.seen):
        raise PlanRefused(
            f"the live state changed since plan {plan_id} was made; nothing was sent: make a new plan",
            code="plan-stale",
        )
    planned = [(c.get("action"), c.get("id"), c.get("digest")) for c in doc.get("changes") or []]
    now = [(c["action"], c["id"], c["digest"]) for c in _writes(assessment)]
    if planned != now:
        raise PlanRefused(
            f"the definitions no longer render to what plan {plan_id} holds (a file, a flag, an ${{env:}} or "
            "${file:} value, or an account changed); nothing was sent: make a new plan",
            code="plan-changed",
        )


def mark_applied(path: Path, doc: dict[str, Any]) -> None:
    """Record in the file, before anything is sent, that the plan is applied (a second apply refuses)."""
    marked = {**doc, "applied": {"at": datetime.now(timezone.utc).isoformat(timespec="seconds")}}
    try:
        write(path, marked)
    except OSError as err:
        raise UsageError(
            f"{path}: cannot record that the plan is applied ({err.strerror}); nothing was sent: "
            "put the plan where it can be written"
        ) from None
