"""Every command has help text and a walkthrough in the README; docs carry the contracts."""

from __future__ import annotations

import pytest
from typer.main import get_command

from nremstats.cli.main import app
from tests.conftest import ROOT

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_commands():
    assert COMMANDS == [
        "chart",
        "compact",
        "demo",
        "diff",
        "export",
        "history",
        "ingest",
        "layouts",
        "map",
        "profile",
        "reconcile",
        "report",
        "status",
        "template",
        "validate",
        "verify",
    ]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_readme_section(name):
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    assert command.help and "Example:" in command.help
    assert f"nremstats {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_docs_reproduce_the_contracts():
    observation = (ROOT / "docs" / "observation-format.md").read_text(encoding="utf-8")
    contract = (ROOT / "docs" / "cli-contract.md").read_text(encoding="utf-8")
    for word in ("OTHER_FORMS", "obs_status", "conf_status", "source_sha256", "`<5`"):
        assert word in observation
    for word in ("NREMSTATS_STORE", "rows_rejected", "--prefer", "format_version"):
        assert word in contract
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/observation-format.md" in readme and "docs/cli-contract.md" in readme


def test_rules_in_docs():
    from nremstats.core.codes import rules

    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code in rules():
        assert code in text
