"""`cloudevents profile add|list|show|remove`: the profiles of the config file (config.py)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from cloudevents_cli.cli.app import State, command_group, state
from cloudevents_cli.errors import UsageError

app = command_group()  # this module's commands; cli.app.Group loads them when they run

profile_app = typer.Typer(
    name="profile",
    help="Manage named profiles (base URL and secrets) in the config file.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(profile_app, name="profile")

OutputOpt = Annotated[str | None, typer.Option("-o", "--output", metavar="FORMAT", help="table, json or yaml.")]
FORMATS = ("table", "json", "yaml")


def _secret(value: str | None, fallback: str | None, label: str) -> str:
    if value:
        return value
    if fallback:
        return fallback
    if sys.stdin.isatty():
        return str(typer.prompt(label, hide_input=True, err=True))
    raise UsageError(f"profile add: no {label.lower()} (give --{label.lower().replace(' ', '-')})")


@profile_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Profile name.")],
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="Platform URL (a bare host is fine).")
    ] = None,
    user_secret: Annotated[
        str | None, typer.Option("--user-secret", metavar="SECRET", help="User secret (prompted if absent).")
    ] = None,
    org_secret: Annotated[
        str | None, typer.Option("--org-secret", metavar="SECRET", help="Organization secret (prompted if absent).")
    ] = None,
    default: Annotated[bool, typer.Option("--default", help="Make it the default profile.")] = False,
) -> None:
    """Add or replace a profile (the config file is written with mode 0600)."""
    from cloudevents_cli import redact
    from cloudevents_cli.config import add_profile

    st = state(ctx)
    redact.register(user_secret, org_secret)
    config = add_profile(
        st.options.config,
        name,
        base_url=base_url or st.options.base_url,
        user_secret=_secret(user_secret, st.options.user_secret, "User secret"),
        org_secret=_secret(org_secret, st.options.org_secret, "Org secret"),
        make_default=default,
    )
    suffix = " (default)" if config.default_profile == name else ""
    st.out.success(f"profile '{name}' saved in {config.path}{suffix}")


def _load(st: State) -> Any:
    from cloudevents_cli.config import load_config

    config = load_config(st.options.config)
    for warning in config.warnings:
        st.out.warn(f"warning: {warning}")
    return config


def _view(profile: Any, default: str | None) -> dict[str, Any]:
    from cloudevents_cli.redact import MASK

    return {
        "name": profile.name,
        "base_url": profile.base_url,
        "user_secret": MASK if profile.user_secret else None,
        "org_secret": MASK if profile.org_secret else None,
        "default": profile.name == default,
    }


@profile_app.command("list")
def list_(ctx: typer.Context, output: OutputOpt = None) -> None:
    """The profiles, the default one marked."""
    st = state(ctx)
    out = st.output_for(output, allowed=FORMATS)
    config = _load(st)
    views = [_view(p, config.default_profile) for p in config.profiles.values()]

    def table(doc: dict[str, Any]) -> None:
        if doc["profiles"]:
            out.table(
                ["name", "base URL", "default"], [[v["name"], v["base_url"], v["default"]] for v in doc["profiles"]]
            )
        else:
            out.info(f"no profiles in {config.path} (add one: cloudevents profile add NAME)")

    out.emit({"profiles": views, "default_profile": config.default_profile}, table=table)


@profile_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Profile name (default: the default profile).")] = None,
    output: OutputOpt = None,
) -> None:
    """One profile, secrets masked."""
    from cloudevents_cli.config import get_profile

    st = state(ctx)
    out = st.output_for(output, allowed=FORMATS)
    config = _load(st)
    profile = get_profile(config, name)
    if profile is None:
        raise UsageError(f"no default profile in {config.path}: name one")
    out.emit(
        {"profile": _view(profile, config.default_profile)},
        table=lambda doc: out.table(["field", "value"], list(doc["profile"].items())),
    )


@profile_app.command("remove")
def remove(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Profile name.")]) -> None:
    """Remove a profile."""
    from cloudevents_cli.config import remove_profile

    st = state(ctx)
    config = remove_profile(st.options.config, name)
    st.out.success(f"profile '{name}' removed from {config.path}")
