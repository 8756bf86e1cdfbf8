"""The GitHub Action's logic (action.yml runs it with the Python that has cloudevents-cli installed).

Reads the inputs as INPUT_* variables and the event as GitHub sets it (GITHUB_EVENT_NAME, GITHUB_REF,
GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY). Always validates first, with annotations (`-o github`); then, for
command `auto`, diffs on a pull request and applies on a push to the default branch (`diff` and `apply` name one
explicitly; `validate` stops there). diff and apply write a Markdown table of what differs to the job summary; the
CLI masks secrets in what it prints, and only that output is used. Exits with the CLI's code (diff's 1, "changes
found", is a success here), so a failed validate or apply fails the step. ${file:} paths must stay inside the
folder of the definition naming them (CE_NO_FILE_OUTSIDE=1) unless the workflow sets CE_NO_FILE_OUTSIDE=0.
"""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

COMMANDS = ("auto", "validate", "diff", "apply")
PULL_REQUEST_EVENTS = ("pull_request",)  # not pull_request_target: it would run a fork's files with secrets
MAX_ROWS = 200  # rows in the job summary (GitHub keeps at most 1 MiB of it)
USAGE = 2


def main(environ: Mapping[str, str] = os.environ) -> int:
    command = environ.get("INPUT_COMMAND", "").strip() or "auto"
    try:
        paths = shlex.split(environ.get("INPUT_PATHS", ""))
    except ValueError as err:
        print(f"::error title=cloudevents::paths: {err}")
        return USAGE
    if command not in COMMANDS:
        print(f"::error title=cloudevents::command must be one of {', '.join(COMMANDS)}, not {command!r}")
        return USAGE
    if not paths:
        print("::error title=cloudevents::the action needs `paths`: definition files or folders")
        return USAGE
    env = dict(environ)
    if environ.get("INPUT_BASE_URL", "").strip():
        env["CE_BASE_URL"] = environ["INPUT_BASE_URL"].strip()
    env.pop("CE_OUTPUT", None)  # each command below names its format
    env.setdefault("CE_NO_FILE_OUTSIDE", "1")  # ${file:} stays inside the definitions' folders unless set to 0

    validate = ["validate", "-o", "github", *paths]
    if environ.get("INPUT_STRICT", "").strip().lower() == "true":
        validate.insert(1, "--strict")
    code = subprocess.run(cloudevents(*validate), env=env).returncode
    if code != 0:
        print(f"cloudevents validate failed (exit {code}); nothing was sent")
        return code
    print("cloudevents validate: every definition is valid")

    then = command if command != "auto" else next_step(environ)
    if then in ("diff", "apply"):
        return send(then, paths, env)
    return 0


def cloudevents(*args: str) -> list[str]:
    return [sys.executable, "-m", "cloudevents_cli", *args]


def next_step(environ: Mapping[str, str]) -> str:
    """What `auto` does after validating: diff for a pull request, apply for a push to the default branch."""
    event = environ.get("GITHUB_EVENT_NAME", "")
    if event in PULL_REQUEST_EVENTS:
        return "diff"
    branch = environ.get("INPUT_DEFAULT_BRANCH", "").strip() or default_branch(environ)
    if event == "push" and environ.get("GITHUB_REF") == f"refs/heads/{branch}":
        return "apply"
    print(f"command auto: validate only ({event or 'no event'} on {environ.get('GITHUB_REF', 'no ref')})")
    return "validate"


def default_branch(environ: Mapping[str, str]) -> str:
    """The repository's default branch, from the event payload GitHub writes; main when it does not say."""
    try:
        with open(environ["GITHUB_EVENT_PATH"], encoding="utf-8") as f:
            return str(json.load(f)["repository"]["default_branch"])
    except (KeyError, OSError, ValueError, TypeError):
        return "main"


def send(command: str, paths: list[str], env: dict[str, str]) -> int:
    """diff or apply with -o json; its report to the log and the job summary; the exit code (diff's 1 is 0)."""
    done = subprocess.run(cloudevents(command, *paths, "-o", "json"), env=env, stdout=subprocess.PIPE, text=True)
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        report = markdown(command, doc)
        print(report)
        target = env.get("GITHUB_STEP_SUMMARY")
        if target:
            with open(target, "a", encoding="utf-8") as f:
                f.write(report + "\n")
    if command == "diff" and done.returncode == 1:
        return 0
    if done.returncode != 0:
        print(f"cloudevents {command} failed (exit {done.returncode})")
    return done.returncode


def markdown(command: str, doc: dict[str, Any]) -> str:
    """A heading with the counts and a table of every result that is not `unchanged` (at most MAX_ROWS)."""
    counts = ", ".join(f"{n} {action}" for action, n in (doc.get("summary") or {}).items()) or "nothing to do"
    lines = [f"### cloudevents {command}: {_md(counts)}", ""]
    rows = [r for r in doc.get("results") or [] if r.get("action") != "unchanged"]
    if rows:
        lines += ["| instance | element | action | detail |", "| --- | --- | --- | --- |"]
        for r in rows[:MAX_ROWS]:
            detail = "<br>".join(_change(c) for c in r.get("changes") or []) or _md(str(r.get("error") or ""))
            lines.append(f"| {_md(str(r.get('name')))} | {_md(str(r.get('element')))} | {r.get('action')} | {detail} |")
        if len(rows) > MAX_ROWS:
            lines += ["", f"... and {len(rows) - MAX_ROWS} more: see the log of this step."]
    return "\n".join(lines)


def _change(change: dict[str, Any]) -> str:
    def shown(value: Any) -> str:
        return "(removed)" if value is None else _code(json.dumps(value, ensure_ascii=False))

    return f"{_code(str(change.get('path')))}: {shown(change.get('before'))} → {shown(change.get('after'))}"


def _md(text: str) -> str:
    """Text as itself in a Markdown table cell: no markup, no HTML, no line breaks."""
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"([\\`*_\[\]|~#!()])", r"\\\1", text)


def _code(text: str) -> str:
    """Text as a code span in a table cell: shown literally; only `|` needs its backslash there."""
    text = " ".join(text.split()).replace("|", "\\|")
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # in order with the CLI's lines
    sys.exit(main())
