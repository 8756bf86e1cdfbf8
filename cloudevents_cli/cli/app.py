"""The Typer application: its global options, the class every command is built as, and the one handler that maps
errors to exit codes."""

import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from cloudevents_cli import __version__

# output, errors and redact are imported where a command runs: `--help` and `--version` need none of them.
if TYPE_CHECKING:
    from cloudevents_cli.output import Output


@dataclass
class GlobalOptions:
    """The global options as given (flag or environment); None where not given."""

    base_url: str | None = None
    user_secret: str | None = None
    org_secret: str | None = None
    profile: str | None = None
    config: Path | None = None
    output: str | None = None
    output_from_env: bool = False  # -o came from CE_OUTPUT: a default, not a demand
    quiet: bool = False
    verbose: bool = False
    color: str = "auto"
    timeout: float | None = None
    ca_bundle: Path | None = None


@dataclass
class Seams:
    """What tests inject instead of the real world: `runner.invoke(app, args, obj=Seams(transport=...))`.

    `transport`: an httpx transport every platform client of the run uses (e.g. ASGITransport(emulator app));
    `sleep`: the coroutine function retries wait with (tests make waits instant or record them)."""

    transport: Any = None
    sleep: Any = None


@dataclass
class State:
    options: GlobalOptions
    out: "Output"
    seams: Seams = field(default_factory=Seams)

    def output_for(self, local: str | None, default: str = "table", allowed: tuple[str, ...] | None = None) -> "Output":
        """The Output of this command: `-o` given to the command wins over the global one. A format the command
        does not support (`allowed`, by default all of output.FORMATS) is a usage error when given as -o, and falls
        back to `default` when it is CE_OUTPUT's."""
        if allowed is None:
            from cloudevents_cli.output import FORMATS

            allowed = FORMATS
        fmt = local or self.options.output or default
        if fmt not in allowed:
            if local is None and self.options.output_from_env:
                fmt = default
            else:
                raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(allowed)}", param_hint="'-o' / '--output'")
        self.out.fmt = fmt
        return self.out


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        from cloudevents_cli.output import Output

        root.obj = State(GlobalOptions(), Output())
    return root.obj


class Group(TyperGroup):
    """The root group: loads each command's module only when that command runs (cli/commands.py), and runs
    commands under the single error handler: one line on stderr, the right exit code."""

    _loaded: dict[str, Any] = {}  # noqa: RUF012 - command name -> the command, built once per process

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _texts_as_given(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _texts_as_given([option])
        return option

    def list_commands(self, ctx: Any) -> list[str]:
        from cloudevents_cli.cli.commands import COMMANDS

        return list(COMMANDS)

    def get_command(self, ctx: Any, name: str) -> Any:
        from cloudevents_cli.cli.commands import COMMANDS

        if name not in COMMANDS:
            return None
        if name not in self._loaded:
            import importlib

            from typer.main import get_command, get_command_from_info, get_command_name

            module = importlib.import_module(f"cloudevents_cli.cli.{COMMANDS[name][0]}")
            _build_as_command(module.app)
            # Only the command that runs is built, not the other commands of its module (options cost time);
            # a sub-group (profile, events) is built with its module's Typer.
            infos = [
                info
                for info in module.app.registered_commands
                if (info.name or get_command_name(info.callback.__name__)) == name
            ]
            if infos:
                self._loaded[name] = get_command_from_info(
                    infos[0],
                    pretty_exceptions_short=module.app.pretty_exceptions_short,
                    rich_markup_mode=module.app.rich_markup_mode,
                )
            else:
                loaded = get_command(module.app)
                self._loaded[name] = loaded.get_command(ctx, name) if hasattr(loaded, "get_command") else loaded
        return self._loaded[name]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """As typer's, but a typo is matched against the table: typer suggests from `self.commands`, which this
        lazy group leaves empty."""
        from cloudevents_cli.cli.commands import COMMANDS

        name = args[0]
        if name not in COMMANDS and not name.startswith("-") and not ctx.resilient_parsing:
            import difflib

            matches = difflib.get_close_matches(name, COMMANDS)
            hint = f" Did you mean {', '.join(map(repr, matches))}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of --help from the table, without importing any command's module."""
        from cloudevents_cli.cli.commands import COMMANDS

        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in COMMANDS.items()])

    def invoke(self, ctx: Any) -> Any:
        from cloudevents_cli import redact
        from cloudevents_cli.errors import CloudEventsError, ExitCode, Interrupted

        try:
            return super().invoke(ctx)
        except Interrupted as err:  # Ctrl-C in a batch: what finished, what may have, then 130
            _interrupted(ctx, err.results)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except CloudEventsError as err:
            _report(ctx, f"error: {err.message}")
            raise typer.Exit(int(err.exit_code)) from None
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except BrokenPipeError:  # stdout closed early (| head): stop quietly, as other tools do
            _silence_stdout()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            _interrupted(ctx, [])
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Exception as err:  # a bug: one line, traceback only with -v, secrets scrubbed either way
            detail = " ".join(str(err).splitlines())
            message = redact.scrub(f"internal error: {type(err).__name__}: {detail}")
            if isinstance(ctx.obj, State) and ctx.obj.options.verbose:
                import traceback

                _report(ctx, message)
                sys.stderr.write(redact.scrub(traceback.format_exc()))
            else:
                _report(ctx, f"{message} (run again with -v for the traceback, and please report it)")
            raise typer.Exit(int(ExitCode.INTERNAL)) from None


class Command(TyperCommand):
    """The class of every command (Group builds each one it loads as this): -q/-v accepted after the command
    too, as -o is, and help that shows each argument's metavar (PATHS..., ID|NAME), never its Python type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name == "argument":  # the brackets and dots are the usage line's to add
                param.metavar = (param.metavar or str(param.name).upper()).strip("[]").removesuffix("...")
        _texts_as_given(self.params)
        self.params += _verbosity_options()

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _texts_as_given([option])
        return option

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                shown = param.metavar if param.required else f"[{param.metavar}]"
                pieces.append(f"{shown}..." if param.nargs != 1 else str(shown))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":  # typer would add the type: `paths... <list[str]>`
                record = (f"{param.metavar}..." if param.nargs != 1 else str(param.metavar), record[1])
            sections["Arguments" if param.param_type_name == "argument" else "Options"].append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


try:  # a private module of typer 0.29 (pinned below 0.30): without it, typer's own coercion is used, only slower
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:  # pragma: no cover - another typer
    RuntimeParam = None  # type: ignore[misc,assignment]


class _AsGiven(RuntimeParam or object):  # type: ignore[misc]
    """A parameter's coercion: a text (or a list of texts) as given, which is what typer's pydantic TypeAdapter
    returns for it; any other value through typer's own coercion, built when such a value comes. (None never gets
    here: RuntimeParam.coerce answers it.)"""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.parameter_info.parser is None and param.type_descriptor.file_annotation is None:
            if self.annotation is str and type(value) is str:
                return value
            if self.annotation == list[str] and isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                return list(value)
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def _texts_as_given(params: list[Any]) -> None:
    """typer builds a pydantic TypeAdapter for every parameter it processes, even one left unset: importing
    pydantic and building the adapters cost more than a whole `validate` of a few files. Texts are kept as given
    instead, and the adapter is built only for a value of another type (a --timeout, a --config path)."""
    if RuntimeParam is None:  # pragma: no cover - another typer
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None:
            param._runtime_param = _AsGiven(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)


def _build_as_command(module_app: typer.Typer) -> None:
    """Have typer build every command of a module's Typer (and of its sub-groups, e.g. profile) as `Command`."""
    for info in module_app.registered_commands:
        if info.cls is TyperCommand:  # typer's default
            info.cls = Command
    for group in module_app.registered_groups:
        if group.typer_instance is not None:
            _build_as_command(group.typer_instance)


def _set_verbosity(ctx: typer.Context, param: typer.CallbackParam, value: bool) -> None:
    """-q/-v given after the command: the same as given before it."""
    if value:
        st = state(ctx)
        setattr(st.options, str(param.name), True)
        setattr(st.out, str(param.name), True)


@functools.cache
def _verbosity_options() -> tuple[Any, ...]:
    """The command-level -q and -v, declared the typer way once (a command that never runs) and shared."""
    declare = typer.Typer(add_completion=False)

    @declare.command()
    def verbosity(
        quiet: Annotated[
            bool, typer.Option("-q", "--quiet", help="Less on stderr.", callback=_set_verbosity, expose_value=False)
        ] = False,
        verbose: Annotated[
            bool,
            typer.Option(
                "-v",
                "--verbose",
                help="More on stderr: each HTTP exchange, secrets masked.",
                callback=_set_verbosity,
                expose_value=False,
            ),
        ] = False,
    ) -> None:
        """Never runs: it declares the options."""

    from typer.main import get_command

    return tuple(get_command(declare).params)


def _interrupted(ctx: typer.Context, results: list[Any]) -> None:
    """Ctrl-C: the batch's results so far (finished, `unknown` for writes in flight, `not-run`), then one line."""
    obj = ctx.find_root().obj
    if not results or not isinstance(obj, State):
        _report(ctx, "interrupted")
        return
    from cloudevents_cli.cli import results_view

    if obj.out.lines_written:  # --stream: what finished is out already; the rest as lines, then the summary line
        for result in results:
            if result.action in ("unknown", "not-run"):
                results_view.stream_result(obj.out, result)
        results_view.stream_summary(obj.out, results)
    else:
        results_view.render_results(obj.out, results)
    unknown = sum(1 for r in results if r.action == "unknown")
    finished = sum(1 for r in results if r.action not in ("unknown", "not-run"))
    _report(ctx, f"interrupted: {finished} of {len(results)} finished, {unknown} unknown")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the final flush at exit does not fail on the closed pipe again."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (in-process tests)
        pass


def command_group(**kwargs: Any) -> typer.Typer:
    """A Typer for a module's commands (or a sub-group such as `profile`), with the root's help style."""
    return typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False, **kwargs)


def _report(ctx: typer.Context, message: str) -> None:
    obj = ctx.find_root().obj
    if isinstance(obj, State):
        obj.out.error(message)
    else:
        sys.stderr.write(message + "\n")


app = typer.Typer(
    cls=Group,
    name="cloudevents",
    help="Create Cloud Elements / SAP Open Connectors element instances with events, from YAML definitions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"cloudevents {__version__}\n")
        raise typer.Exit()


def _output_choice(value: str | None) -> str | None:
    from cloudevents_cli.output import FORMATS

    if value is not None and value not in (*FORMATS, "github"):
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(FORMATS)}")
    return value


def _color_choice(value: str) -> str:
    if value not in ("auto", "always", "never"):
        raise typer.BadParameter(f"'{value}' is not one of auto, always, never")
    return value


@app.callback()
def main_callback(
    ctx: typer.Context,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", envvar="CE_BASE_URL", metavar="URL", help="Platform URL; a bare host gets /elements/api-v2."
        ),
    ] = None,
    user_secret: Annotated[
        str | None,
        typer.Option(
            "--user-secret", envvar="CE_USER_SECRET", metavar="SECRET", help="User secret.", show_default=False
        ),
    ] = None,
    org_secret: Annotated[
        str | None,
        typer.Option(
            "--org-secret", envvar="CE_ORG_SECRET", metavar="SECRET", help="Organization secret.", show_default=False
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", envvar="CE_PROFILE", metavar="NAME", help="Profile from the config file.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="CE_CONFIG",
            metavar="FILE",
            help="Config file (default: $XDG_CONFIG_HOME/cloudevents/config.yaml).",
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            envvar="CE_OUTPUT",
            metavar="FORMAT",
            callback=_output_choice,
            help="table, json, yaml or id.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Less on stderr.")] = False,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="More on stderr: each HTTP exchange, secrets masked.")
    ] = False,
    color: Annotated[
        str, typer.Option("--color", metavar="WHEN", callback=_color_choice, help="auto, always or never.")
    ] = "auto",
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", envvar="CE_TIMEOUT", metavar="SECONDS", help="Seconds per request (default 30)."),
    ] = None,
    ca_bundle: Annotated[
        Path | None,
        typer.Option("--ca-bundle", envvar="CE_CA_BUNDLE", metavar="FILE", help="Extra CA certificates (PEM)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Create Cloud Elements / SAP Open Connectors element instances with events, from YAML definitions."""
    from cloudevents_cli import redact
    from cloudevents_cli.output import Output

    redact.register(user_secret, org_secret)
    options = GlobalOptions(
        base_url=base_url,
        user_secret=user_secret,
        org_secret=org_secret,
        profile=profile,
        config=config,
        output=output,
        output_from_env=getattr(ctx.get_parameter_source("output"), "name", None) == "ENVIRONMENT",
        quiet=quiet,
        verbose=verbose,
        color=color,
        timeout=timeout,
        ca_bundle=ca_bundle,
    )
    seams = ctx.obj if isinstance(ctx.obj, Seams) else Seams()
    ctx.obj = State(options, Output(output or "table", quiet=quiet, verbose=verbose, color=color), seams)
