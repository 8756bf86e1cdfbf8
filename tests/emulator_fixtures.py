"""Pytest fixtures that run the emulator in-process and as a subprocess (owned by the emulator work)."""
