"""The one place that prints: tables, JSON, YAML, ids, messages.

Data goes to stdout through `Output.emit`, which adds `schema_version` and masks secrets on the data before it is
encoded (redact.py); progress, warnings, errors and logs go to stderr. The tool's own messages never carry secret
values, so they are printed as they are. JSON is never wrapped or coloured. Untrusted text is never read as rich
markup.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from cloudevents_cli import redact

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA_VERSION = 1
FORMATS = ("table", "json", "yaml", "id")
LOG_WIDTH = 240  # columns for tables written off a terminal
_REWRITTEN_BY_RICH = ("\a", "\b", "\t", "\v", "\f", "\r")  # rich drops these, or expands the tab


def colour_wanted(mode: str, stream: TextIO) -> bool:
    """--color auto|always|never, with NO_COLOR and FORCE_COLOR honoured in auto mode."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def terminal_columns() -> int | None:
    """COLUMNS when it is a positive number; None (unset) for 0, an empty value or anything else."""
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None


def to_json(doc: Any) -> str:
    import json  # here, not at start-up: --help and --version print no JSON

    return json.dumps(doc, indent=2, ensure_ascii=False, default=str)


def to_yaml(doc: Any) -> str:
    import yaml

    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 16))


class Output:
    """Both consoles and the output format of one run."""

    def __init__(
        self,
        fmt: str = "table",
        *,
        quiet: bool = False,
        verbose: bool = False,
        color: str = "auto",
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.fmt = fmt
        self.quiet = quiet
        self.verbose = verbose
        self.color = color
        self._stdout = stdout
        self._stderr = stderr
        self._out_console: Console | None = None
        self._err_console: Console | None = None
        self.lines_written = False  # emit_line ran: stdout is JSON lines now, and must stay so to the end

    # -- streams ------------------------------------------------------------------------------------------
    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self._stderr or sys.stderr

    def _console(self, stream: TextIO) -> Console:
        from rich.console import Console

        colour = colour_wanted(self.color, stream)
        # Off a terminal (CI logs, files, pipes) rich would fold tables at 80 columns: let them be as wide as
        # their content instead, unless COLUMNS says otherwise.
        is_tty = bool(getattr(stream, "isatty", lambda: False)())
        columns = terminal_columns()
        width = columns or (None if is_tty else LOG_WIDTH)
        return Console(
            width=width,
            _environ={k: v for k, v in os.environ.items() if k != "COLUMNS"},
            file=stream,
            markup=False,
            emoji=False,
            highlight=False,
            # off a terminal, never rich's own guess (TTY_COMPATIBLE=1 would write bold and dim escapes)
            force_terminal=colour if self.color != "auto" or os.environ.get("FORCE_COLOR") or not is_tty else None,
            no_color=not colour,
            soft_wrap=False,
        )

    @property
    def out(self) -> Console:
        if self._out_console is None:
            self._out_console = self._console(self.stdout)
        return self._out_console

    @property
    def err(self) -> Console:
        if self._err_console is None:
            self._err_console = self._console(self.stderr)
        return self._err_console

    @property
    def stderr_is_terminal(self) -> bool:
        return bool(getattr(self.stderr, "isatty", lambda: False)())

    # -- data on stdout -------------------------------------------------------------------------------------
    def emit(
        self,
        doc: Any,
        *,
        table: Callable[[Any], None] | None = None,
        ids: Callable[[Any], Iterable[Any]] | None = None,
        views: Mapping[str, Callable[[Any], None]] | None = None,
        envelope: bool = True,
        reveal: bool = False,
        secrets: Iterable[str] = (),
    ) -> None:
        """A command's data on stdout, in the run's format: every command's json/yaml/id/table goes through here.

        The document gets `schema_version` first (unless `envelope` is False: a request body or a schema printed
        as it is), then its secrets are masked on the data before anything is encoded (unless `reveal`: the
        user's --show-secrets); `secrets` adds values to mask in this document only (a definition's own, however
        short). `table` and `ids` say how the masked document shows as a table / as ids; `views` render other
        formats (-o github) or replace the encoding of one.
        """
        doc = _document(doc, envelope=envelope, reveal=reveal, secrets=secrets)
        view = (views or {}).get(self.fmt)
        if view is not None:
            view(doc)
        elif self.fmt == "table" and table is not None:
            table(doc)
        elif self.fmt == "id" and ids is not None:
            self.stdout.write("".join(f"{value}\n" for value in ids(doc) if value is not None))
        elif self.fmt == "yaml":
            self.stdout.write(to_yaml(doc))
        else:
            self.stdout.write(to_json(doc) + "\n")
        self.stdout.flush()

    def emit_line(self, doc: dict[str, Any], *, table: Callable[[Any], None]) -> None:
        """One record of a stream (`listen`): one compact JSON document a line with -o json, else `table(doc)`."""
        doc = _document(doc)
        if self.fmt == "json":
            import json

            self.lines_written = True
            self.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
            self.stdout.flush()
        else:
            table(doc)

    def text(self, text: str) -> None:
        """Plain text on stdout (generated files, completion scripts, a table's lines)."""
        self.stdout.write(text)
        if not text.endswith("\n"):
            self.stdout.write("\n")
        self.stdout.flush()

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
        """A table of cells taken from a masked document (see `emit`)."""
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
        for name in columns:
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*(Text(_cell(v)) for v in row))
        self.out.print(table)

    # -- messages on stderr ---------------------------------------------------------------------------------
    def _say(self, text: str, style: str | None = None) -> None:
        stream = self.stderr
        if (
            self._err_console is None
            and not colour_wanted(self.color, stream)
            and not getattr(stream, "isatty", lambda: False)()
            and not any(c in text for c in _REWRITTEN_BY_RICH)
        ):  # what rich writes off a terminal without colour, without importing rich
            stream.write(text + "\n")
            stream.flush()
            return
        from rich.text import Text

        self.err.print(Text(text, style=style or ""), soft_wrap=True)

    def info(self, text: str) -> None:
        if not self.quiet:
            self._say(text)

    def success(self, text: str) -> None:
        if not self.quiet:
            self._say(text, "green")

    def warn(self, text: str) -> None:
        self._say(text, "yellow")

    def error(self, text: str) -> None:
        self._say(text, "red")

    def debug(self, text: str) -> None:
        if self.verbose:
            self._say(text, "dim")

    @contextmanager
    def progress(self, total: int, label: str) -> Iterator[Any]:
        """A progress bar on stderr for long runs on a terminal; a no-op advance() otherwise."""
        if self.quiet or not self.stderr_is_terminal or total < 5:
            yield _NoProgress()
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=total)
            yield _Advance(bar, task)


def _document(doc: Any, *, envelope: bool = True, reveal: bool = False, secrets: Iterable[str] = ()) -> Any:
    """The document as shown: `schema_version` first (with `envelope`), secrets masked (unless `reveal`)."""
    if envelope:
        doc = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in doc.items() if k != "schema_version"}}
    return doc if reveal else redact.mask_document(doc, data=not envelope, extra=secrets)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


class _NoProgress:
    def advance(self, n: int = 1) -> None:
        return None


class _Advance:
    def __init__(self, bar: Any, task: Any) -> None:
        self._bar = bar
        self._task = task

    def advance(self, n: int = 1) -> None:
        self._bar.advance(self._task, n)
