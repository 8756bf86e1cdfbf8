"""Writing files so that readers never see half of one, and never through a symbolic link."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cloudevents_cli.errors import UsageError


def check_destination(path: Path, *, force: bool) -> None:
    """UsageError unless `path` may be written: never a symbolic link (even a dangling one), and an existing
    file only with `force`. A folder on the way may be a link: the file is written in the folder it points to."""
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; not writing through it (remove it or choose another path)")
    if path.is_dir():
        raise UsageError(f"{path} is a folder")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; use --force to overwrite it")


def write_atomically(path: Path, text: str, *, mode: int | None = None) -> None:
    """Readers see the whole content or no file: a temporary file in the same folder, then a rename.

    The rename replaces the directory entry: an existing file or link at `path` is replaced, never written
    through, and the file has `mode` (0600 without one, as the temporary file is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
