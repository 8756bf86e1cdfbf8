"""Commands: platform_cmds."""

from __future__ import annotations

from cloudevents_cli.cli.app import app  # noqa: F401
