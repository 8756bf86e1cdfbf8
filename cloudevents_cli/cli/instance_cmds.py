"""Commands about live instances: list, get, delete, export.

Each converts options, calls one core function (platform/create_apply.py, instance_refs.py, client.py) and renders.
httpx and the platform modules are imported inside the commands only, to keep --help fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt, finish
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.cli.results_view import render_results, show_value
from cloudevents_cli.errors import ExitCode, UsageError, batch_code
from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run


# -- list / get ---------------------------------------------------------------------------------------------
def _config(inst: dict[str, Any]) -> dict[str, Any]:
    conf = inst.get("configuration")
    return conf if isinstance(conf, dict) else {}


def _row(inst: dict[str, Any]) -> list[Any]:
    from cloudevents_cli.platform.client import instance_element

    conf = _config(inst)
    enabled = inst.get("eventsEnabled")
    if enabled is None and "event.notification.enabled" in conf:
        enabled = str(conf["event.notification.enabled"]).lower() == "true"
    callback = inst.get("eventsNotificationCallbackUrl") or conf.get("event.notification.callback.url")
    return [
        inst.get("id"),
        inst.get("name"),
        instance_element(inst),
        conf.get("event.vendor.type"),
        enabled,
        callback,
        inst.get("tags") or [],
        ", ".join(needs_auth(inst)) or "ok",
    ]


LIST_COLUMNS = ["id", "name", "element", "events type", "enabled", "callback URL", "tags", "state"]


def needs_auth(inst: dict[str, Any]) -> list[str]:
    """Why an instance needs attention before it works again (disabled, invalid: re-enable, re-authenticate)."""
    return [
        why for why, bad in (("disabled", inst.get("disabled") is True), ("invalid", inst.get("valid") is False)) if bad
    ]


def _instances_table(out: Output, doc: dict[str, Any]) -> None:
    out.table(LIST_COLUMNS, [_row(i) for i in doc["instances"]])


def _instance_ids(doc: dict[str, Any]) -> list[Any]:
    return [i.get("id") for i in doc["instances"]]


@app.command("list")
def list_(
    ctx: typer.Context,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Only instances with this tag (repeat).")
    ] = None,
    element: Annotated[str | None, typer.Option("--element", metavar="KEY", help="Only this element key.")] = None,
    name: Annotated[str | None, typer.Option("--name", metavar="NAME", help="Only names matching this glob.")] = None,
    needing: Annotated[
        bool, typer.Option("--needs-auth", help="Only instances that are disabled or invalid (re-authenticate them).")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Instances as a table: id, name, element, events type, enabled, callback URL, tags, state."""
    st = state(ctx)
    out = st.output_for(output)
    conn = connection(st)
    from cloudevents_cli.platform.instance_refs import list_filtered

    instances = with_client(st, conn, lambda c: list_filtered(c, tags=tag or [], element=element, name=name))
    if needing:
        instances = [i for i in instances if needs_auth(i)]

    def table(doc: dict[str, Any]) -> None:
        _instances_table(out, doc)
        troubled = sum(1 for i in instances if needs_auth(i))
        out.info(f"{len(instances)} instance{'s' if len(instances) != 1 else ''}")
        if troubled:
            out.warn(f"{troubled} disabled or invalid: cloudevents enable ID, then cloudevents authorize --instance ID")

    out.emit({"instances": instances}, table=table, ids=_instance_ids)


@app.command()
def get(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="Instance id or name.")],
    output: OutputOpt = None,
) -> None:
    """One instance, by id or name."""
    st = state(ctx)
    out = st.output_for(output)
    conn = connection(st)
    instance = with_client(st, conn, lambda c: c.resolve(ref))
    out.emit({"instances": [instance]}, table=lambda doc: _instance_table(out, doc["instances"][0]), ids=_instance_ids)
    troubles = needs_auth(instance)
    if troubles:
        steps = (
            "cloudevents enable ID, then " if "disabled" in troubles else ""
        ) + "cloudevents authorize --instance ID"
        out.warn(
            f"instance {instance.get('id')} is {' and '.join(troubles)}: {steps.replace('ID', str(instance.get('id')))}"
        )


def _instance_table(out: Output, instance: dict[str, Any]) -> None:
    """One (masked) instance as field/value rows."""
    rows: list[list[Any]] = [[col, val] for col, val in zip(LIST_COLUMNS, _row(instance), strict=True)]
    for key in ("token", "valid", "disabled", "createdDate", "updatedDate"):
        if key in instance:
            rows.append([key, instance[key]])
    for key, value in _config(instance).items():
        rows.append([f"configuration.{key}", show_value(value)])
    out.table(["field", "value"], rows)


# -- delete -------------------------------------------------------------------------------------------------
@app.command()
def delete(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(metavar="ID|NAME...", help="Instance ids or names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    output: OutputOpt = None,
) -> None:
    """Delete instances; asks first on a terminal, needs --yes otherwise."""
    st = state(ctx)
    out = st.output_for(output)
    if not yes and (os.environ.get("CI") or not sys.stdin.isatty()):
        why = "CI is set" if os.environ.get("CI") else "there is no terminal to ask on"
        raise UsageError(f"refusing to delete without --yes: {why}")
    conn = connection(st)
    from cloudevents_cli.platform.instance_refs import delete_refs, resolve_refs

    found = with_client(st, conn, lambda c: resolve_refs(c, refs))
    targets = [f for f in found if f.action == "found"]
    if targets and not yes:
        listing = ", ".join(f"{t.id} ({t.name})" for t in targets)
        if not typer.confirm(f"Delete {len(targets)} instance(s): {listing}?", default=False, err=True):
            out.info("nothing deleted")
            raise typer.Exit(int(ExitCode.NO))
    results = with_client(st, conn, lambda c: delete_refs(c, found))
    render_results(out, results)
    finish(batch_code(results))


# -- export -------------------------------------------------------------------------------------------------
@app.command()
def export(
    ctx: typer.Context,
    refs: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ID|NAME...]", help="Instance ids or names.", show_default=False),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every instance.")] = False,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Instances with this tag (repeat).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "-d", "--dir", metavar="DIR", help="Write one <name>.yaml an instance into this folder (mode 0600)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files in DIR.")] = False,
    output: OutputOpt = None,
) -> None:
    """Write definitions (YAML) for existing instances; secrets become ${env:} placeholders."""
    st = state(ctx)
    out = st.output_for(output, default="yaml", allowed=("yaml", "json", "id", "table"))
    if not refs and not all_ and not tag:
        raise UsageError("say which instances: ID|NAME..., --tag T or --all")
    if refs and all_:
        raise UsageError("give ID|NAME... or --all, not both")
    conn = connection(st)
    from cloudevents_cli.platform.instance_refs import collect_for_export

    instances = with_client(st, conn, lambda c: collect_for_export(c, refs or [], tags=tag or [], all_=all_))
    if not instances:
        out.warn("no instances matched")
        return
    from cloudevents_cli.definitions.export import render_yaml, to_definition

    def definitions(found: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        documents = []
        for inst in found:
            definition, env_vars = to_definition(inst)
            origin = f"instance {inst.get('id')} at {conn.base_url}"
            documents.append((inst, render_yaml(definition, env_vars, origin=origin)))
        return documents

    if directory is None:  # on stdout, from the masked instances: definitions as YAML, or the instances

        def as_yaml(doc: dict[str, Any]) -> None:
            out.text("---\n".join(_doc_end(text) for _, text in definitions(doc["instances"])))

        out.emit(
            {"instances": instances},
            table=lambda doc: _instances_table(out, doc),
            ids=_instance_ids,
            views={"yaml": as_yaml},
        )
        return
    documents = definitions(instances)
    from cloudevents_cli.definitions.export import file_names
    from cloudevents_cli.files import check_destination, write_atomically

    targets = [directory / n for n in file_names([inst for inst, _ in documents])]
    for target in targets:
        check_destination(target, force=force)
    for target, (_, text) in zip(targets, documents, strict=True):
        try:
            write_atomically(target, _doc_end(text), mode=0o600)
        except OSError as err:
            raise UsageError(f"cannot write {target}: {err.strerror or err}") from None
        out.info(f"wrote {target}")


def _doc_end(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
