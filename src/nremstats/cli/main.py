"""The entry point: the app with every panel's commands registered on it."""

from __future__ import annotations

from nremstats.cli import publish, returns, store
from nremstats.cli.app import app

#: The modules whose commands are registered on :data:`app` (by importing them).
PANELS = (returns, store, publish)


def main() -> None:
    """Console-script entry point."""
    app()
