"""The event flags of render, create, apply and diff, and the loading option of every command that reads
definitions (--no-file-outside), declared once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudevents_cli.errors import UsageError

if TYPE_CHECKING:
    from cloudevents_cli.definitions.overrides import Overrides

PANEL = "Event flags (override every definition of the run)"
_MINUTES = re.compile(r"[0-9]+")

NoFileOutsideOpt = Annotated[
    bool,
    typer.Option(
        "--no-file-outside",
        envvar="CE_NO_FILE_OUTSIDE",
        help="Refuse ${file:} paths outside the folder of the definition file that names them.",
    ),
]

PollingOpt = Annotated[
    bool, typer.Option("--polling", help="Events by polling (enables events).", rich_help_panel=PANEL)
]
WebhooksOpt = Annotated[
    bool, typer.Option("--webhooks", help="Events by webhooks (enables events).", rich_help_panel=PANEL)
]
NoEventsOpt = Annotated[
    bool, typer.Option("--no-events", help="Events disabled (enabled: false).", rich_help_panel=PANEL)
]
CallbackUrlOpt = Annotated[
    str | None, typer.Option("--callback-url", metavar="URL", help="events.callback_url.", rich_help_panel=PANEL)
]
SignatureKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--signature-key",
        metavar="KEY",
        help="events.signature_key (a secret).",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
RefreshIntervalOpt = Annotated[
    str | None,
    typer.Option("--refresh-interval", metavar="MINUTES", help="events.refresh_interval.", rich_help_panel=PANEL),
]
TagOpt = Annotated[
    list[str] | None, typer.Option("--tag", metavar="TAG", help="Add a tag (repeatable).", rich_help_panel=PANEL)
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Set any definition path; VALUE is read as YAML (repeatable).",
        rich_help_panel=PANEL,
    ),
]
ElementOpt = Annotated[
    str | None, typer.Option("--element", metavar="KEY", help="With no PATH: the element key.", rich_help_panel=PANEL)
]
NameOpt = Annotated[
    str | None, typer.Option("--name", metavar="NAME", help="With no PATH: the instance name.", rich_help_panel=PANEL)
]


FLAG_PARAMETERS = (
    "polling",
    "webhooks",
    "no_events",
    "callback_url",
    "signature_key",
    "refresh_interval",
    "tag",
    "set_",
    "element",
    "name",
)


def overrides_of(paths: list[str] | None, parameters: Mapping[str, Any]) -> Overrides:
    """The event flags among a command's parameters (`locals()` of a command that declares them all)."""
    return overrides_from_flags(paths, **{k: parameters[k] for k in FLAG_PARAMETERS})


def overrides_from_flags(
    paths: list[str] | None,
    *,
    polling: bool = False,
    webhooks: bool = False,
    no_events: bool = False,
    callback_url: str | None = None,
    signature_key: str | None = None,
    refresh_interval: str | None = None,
    tag: list[str] | None = None,
    set_: list[str] | None = None,
    element: str | None = None,
    name: str | None = None,
) -> Overrides:
    """The flags as an Overrides, after the checks that are about the command line itself."""
    from cloudevents_cli import redact
    from cloudevents_cli.definitions.overrides import Overrides

    redact.register(signature_key)
    if polling and webhooks:
        raise UsageError("--polling and --webhooks exclude each other")
    if no_events and (polling or webhooks):
        raise UsageError("--no-events excludes --polling and --webhooks")
    if paths and (element is not None or name is not None):
        raise UsageError("--element and --name define an instance without PATH; with PATH use --set name=...")
    if not paths and (element is None or name is None):
        raise UsageError("give definition files (PATH...), or both --element and --name")
    if refresh_interval is not None and not _MINUTES.fullmatch(refresh_interval.strip()):
        raise UsageError("--refresh-interval takes a whole number of minutes in ASCII digits, e.g. 15")
    return Overrides(
        event_type="polling" if polling else "webhooks" if webhooks else None,
        no_events=no_events,
        callback_url=callback_url,
        signature_key=signature_key,
        refresh_interval=refresh_interval,
        tags=list(tag or []),
        sets=list(set_ or []),
        element=element,
        name=name,
    )
