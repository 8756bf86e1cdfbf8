"""Commands: init, schema, completion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a commented starter definition, with the schema comment for editors."""
    if polling and webhooks:
        raise UsageError("--polling and --webhooks exclude each other")
    from cloudevents_cli.definitions.starter import starter, variables

    text = starter(element=element, name=name, webhooks=webhooks, file=str(file) if file else "FILE")
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
    needed = " ".join(f"{name}=..." for name in variables(element))
    out.success(f"wrote {file}; next: export {needed}; cloudevents validate {file}")


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
