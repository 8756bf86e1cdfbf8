"""Commands: init, schema, completion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.errors import UsageError

app = command_group()  # this module's commands; cli.app.Group loads them when they run

SHELLS = ("bash", "zsh", "fish")


@app.command()
def init(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Argument(help="Where to write it (stdout without FILE).", show_default=False)
    ] = None,
    polling: Annotated[bool, typer.Option("--polling", help="A polling instance (the default).")] = False,
    webhooks: Annotated[bool, typer.Option("--webhooks", help="A webhook instance.")] = False,
    element: Annotated[str, typer.Option("--element", metavar="KEY", help="The element key.")] = "hubspotcrm",
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="The instance name.")] = "my-instance",
    oauth: Annotated[
        bool, typer.Option("--oauth", help="OAuth2 with your own tokens (external_authentication: initial).")
    ] = False,
    online: Annotated[
        bool,
        typer.Option("--online", help="Ask the platform for the element's required keys and default poller."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a commented starter definition, with the schema comment for editors."""
    if polling and webhooks:
        raise UsageError("--polling and --webhooks exclude each other")
    from cloudevents_cli.definitions.starter import starter, variables

    keys, resources = None, None
    if online:
        info = _element_info(state(ctx), element)
        oauth = oauth or info.oauth
        webhooks = webhooks or (not polling and not info.offers("polling") and info.offers("webhooks"))
        keys = [k for k in info.required_keys if not k.startswith(("event.", "oauth."))]
        resources = _resources(info.poller)
    text = starter(
        element=element,
        name=name,
        webhooks=webhooks,
        file=str(file) if file else "FILE",
        oauth=oauth,
        keys=None if oauth else keys,
        resources=resources,
    )
    out = state(ctx).out
    if file is None:
        out.text(text)
        return
    from cloudevents_cli.files import check_destination, write_atomically

    check_destination(file, force=force)
    try:
        write_atomically(file, text)
    except OSError as err:
        raise UsageError(f"cannot write {file}: {err.strerror or err}") from None
    needed = " ".join(f"{name}=..." for name in variables(element, oauth=oauth, keys=None if oauth else keys))
    out.success(f"wrote {file}; next: export {needed}; cloudevents validate {file}")


def _element_info(st: Any, element: str) -> Any:
    from cloudevents_cli.cli.connect import connection, with_client
    from cloudevents_cli.platform.elements import Catalogue

    conn = connection(st)
    return with_client(st, conn, lambda client: Catalogue(client).info(element))


def _resources(poller: dict[str, Any] | None) -> dict[str, Any]:
    """The element's default poller in the definition's form; {} when it has none or one the format does not
    model (the platform's default poller is then used as it is)."""
    if not poller:
        return {}
    from cloudevents_cli.definitions.export import to_definition

    raw = {"event.notification.enabled": "true", "event.poller.configuration": poller}
    definition, _ = to_definition({"id": 0, "name": "-", "element": {"key": "-"}, "configuration": raw})
    resources = (definition.get("events") or {}).get("resources")
    return resources if isinstance(resources, dict) and "configuration" not in definition else {}


@app.command()
def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of the definition format (for yaml-language-server and check-jsonschema)."""
    from cloudevents_cli.definitions.schema import json_schema

    out = state(ctx).output_for(None, default="json", allowed=("json",))
    out.emit(json_schema(), envelope=False, reveal=True)


@app.command()
def completion(
    ctx: typer.Context,
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.", show_default=False)],
) -> None:
    """Print a shell completion script: eval "$(cloudevents completion bash)"."""
    if shell not in SHELLS:
        raise UsageError(f"'{shell}' is not one of {', '.join(SHELLS)}")
    from typer._completion_shared import get_completion_script

    script = get_completion_script(prog_name="cloudevents", complete_var="_CLOUDEVENTS_COMPLETE", shell=shell)
    state(ctx).out.text(script)
