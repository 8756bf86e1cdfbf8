"""The one place that prints: tables, JSON, YAML, ids, messages. Everything shown passes `redact`.

Data goes to stdout; progress, warnings, errors and logs go to stderr. JSON is never wrapped or coloured and
always carries `schema_version`. Untrusted text is never read as rich markup.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from cloudevents_cli import redact

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA_VERSION = 1
FORMATS = ("table", "json", "yaml", "id")
LOG_WIDTH = 240  # columns for tables written off a terminal


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


def to_json(doc: Any) -> str:
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
        width = None if is_tty or os.environ.get("COLUMNS") else LOG_WIDTH
        return Console(
            width=width,
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
    def json(self, doc: dict[str, Any]) -> None:
        """A JSON document on stdout, with schema_version first. Never coloured or wrapped."""
        full = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in doc.items() if k != "schema_version"}}
        self.stdout.write(redact.scrub(to_json(full)) + "\n")
        self.stdout.flush()

    def json_line(self, doc: dict[str, Any]) -> None:
        """One compact JSON document a line (streams such as `listen -o json`)."""
        full = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in doc.items() if k != "schema_version"}}
        self.stdout.write(redact.scrub(json.dumps(full, ensure_ascii=False, default=str)) + "\n")
        self.stdout.flush()

    def raw_json(self, doc: Any, *, reveal: bool = False) -> None:
        """A JSON value exactly as given (request bodies, schemas): no schema_version added.

        `reveal` (the user's --show-secrets) skips the masking of registered secret values.
        """
        text = to_json(doc)
        self.stdout.write((text if reveal else redact.scrub(text)) + "\n")
        self.stdout.flush()

    def yaml(self, doc: Any, *, reveal: bool = False) -> None:
        text = to_yaml(doc)
        self.stdout.write(text if reveal else redact.scrub(text))
        self.stdout.flush()

    def text(self, text: str) -> None:
        """Plain text on stdout (generated files, completion scripts)."""
        self.stdout.write(redact.scrub(text))
        if not text.endswith("\n"):
            self.stdout.write("\n")
        self.stdout.flush()

    def ids(self, ids: Sequence[Any]) -> None:
        for value in ids:
            if value is not None:
                self.stdout.write(f"{value}\n")
        self.stdout.flush()

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        title: str | None = None,
        styles: dict[str, str] | None = None,
    ) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
        for name in columns:
            table.add_column(name, overflow="fold", style=(styles or {}).get(name))
        for row in rows:
            table.add_row(*(Text(redact.scrub(_cell(v))) for v in row))
        self.out.print(table)

    # -- messages on stderr ---------------------------------------------------------------------------------
    def _say(self, text: str, style: str | None = None) -> None:
        from rich.text import Text

        self.err.print(Text(redact.scrub(text), style=style or ""), soft_wrap=True)

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
