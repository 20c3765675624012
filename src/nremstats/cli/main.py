"""The entry point: the app, with the commands of each help panel added in the order
``--help`` shows them."""

from __future__ import annotations

from nremstats.cli import publish, returns, store
from nremstats.cli.app import add_panel, app

for panel in (returns, store, publish):
    add_panel(panel.commands)


def main() -> None:
    """Console-script entry point."""
    app()
