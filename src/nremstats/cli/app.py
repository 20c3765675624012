"""The ``nremstats`` Typer app, its global options and the options commands share.

Every command (:mod:`~nremstats.cli.returns`, :mod:`~nremstats.cli.store`,
:mod:`~nremstats.cli.publish`) parses its options, calls one library function, hands the
result to :mod:`~nremstats.cli.render` and exits; :func:`guarded` maps errors to the exit
codes of docs/cli-contract.md: 0 done, 1 error-level findings (or warnings under
``--strict``), 2 usage error, 3 internal failure (``--debug`` shows the traceback). Heavy
libraries are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from nremstats import __version__
from nremstats.core.errors import NremstatsError


def _plain_flags(params: list[Any]) -> list[Any]:
    """Flags shown without a value type in ``--help`` (Typer 0.2x writes ``<bool>``)."""
    for param in params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", "") is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose ``--help`` shows flags as flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))


class Group(TyperGroup):
    """The app, whose ``--help`` shows flags as flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))


app = typer.Typer(
    name="nremstats",
    cls=Group,
    help="Consolidate national statistics on trafficking in persons: template, validate, "
    "ingest, export, report, chart.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
_state = {"debug": False}


def add_panel(commands: typer.Typer) -> None:
    """Add a help panel's commands to the app, their ``--help`` showing flags as flags."""
    for info in commands.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = Command
    app.add_typer(commands)


F = TypeVar("F", bound=Callable[..., Any])


class ResultFormat(StrEnum):
    text = "text"
    summary = "summary"
    lines = "lines"
    json = "json"
    junit = "junit"


class FailOn(StrEnum):
    error = "error"
    invalid = "invalid"
    warning = "warning"
    never = "never"


class TableFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="Store folder \\[default: $NREMSTATS_STORE or ./nremstats-store]."
    ),
]
FilesArgument = Annotated[list[Path], typer.Argument(help="Returns: .xlsx templates or .csv.")]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Exit 1 on warnings too (as --fail-on warning).")
]
FailOnOption = Annotated[
    FailOn,
    typer.Option(
        "--fail-on",
        help="What exits 1: any error; only a file rejected whole (invalid: an agency "
        "compilation stored in part passes); a warning too; or never.",
    ),
]
AllOption = Annotated[
    bool,
    typer.Option(
        "--all", help="Text report: every finding and every file, not the first of each rule."
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Exit 0 for a file of which no row is stored (status nothing_stored).",
    ),
]
FormatOption = Annotated[
    ResultFormat,
    typer.Option(
        "--format",
        help="Report format: text is the summary for people on a terminal and lines (one "
        "line a finding, for grep) elsewhere; json and junit are data.",
    ),
]
RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="YAML file switching rules off or changing severities and "
        "parameters (see docs/rules.md) \\[default: the rules as declared].",
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No text report: the exit code says it all.")
]
LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=1,
        help="The summary: N cells a rule \\[default: 5]. Lines, json, junit: at most N "
        "findings, with a notice \\[default: all].",
        show_default=False,
    ),
]
LayoutOption = Annotated[
    str | None,
    typer.Option(
        "--layout",
        help="Read the files with this layout: a name from "
        "'nremstats layouts' or a layout file \\[default: detected per file].",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Read and store files again even when the store holds the same bytes read the "
        "same way (the new submissions supersede the earlier reading).",
    ),
]
PartialOption = Annotated[
    bool,
    typer.Option(
        "--partial",
        help="The files hold some country-years of their provider only (a download of some "
        "countries): they withdraw nothing, even when their layout reads complete exports.",
    ),
]
CountryOption = Annotated[
    str | None,
    typer.Option(
        "--country",
        help="The country the returns are from (ISO3): confirms a template whose file name or "
        "sheet titles name another country than its metadata (and refuses one whose "
        "metadata names another) \\[default: the metadata's].",
        show_default=False,
    ),
]
MaxFileOption = Annotated[
    int | None,
    typer.Option(
        "--max-file-mb",
        min=1,
        help="Raise the limit on a received file's size \\[default: schemas/limits.yaml: 200 MB].",
        show_default=False,
    ),
]
MaxInflatedOption = Annotated[
    int | None,
    typer.Option(
        "--max-inflated-mb",
        min=1,
        help="Raise the limit on a workbook's inflated size "
        "\\[default: schemas/limits.yaml: 200 MB].",
        show_default=False,
    ),
]
MaxCellsOption = Annotated[
    int | None,
    typer.Option(
        "--max-cells",
        min=1,
        help="Raise the limit on a sheet's cells \\[default: schemas/limits.yaml: 5,000,000].",
        show_default=False,
    ),
]
VintageOption = Annotated[
    str | None,
    typer.Option(
        "--vintage",
        help="The date the figures were extracted (YYYY-MM-DD), for a compilation that does "
        "not carry it where its layout says: the newer vintage of a provider is current "
        "whatever the order of ingest \\[default: where the layout says].",
        show_default=False,
    ),
]
PreferOption = Annotated[
    str | None,
    typer.Option("--prefer", help="Provider priority, e.g. UNODC,NATIONAL \\[default: NATIONAL]."),
]
SuppressOption = Annotated[
    int | None,
    typer.Option(
        "--suppress-below",
        min=1,
        help="Publish counts under K only as ranges, and "
        "hide what would give them away \\[default: schemas/publication.yaml: 5].",
    ),
]
IgnoreOption = Annotated[
    bool,
    typer.Option(
        "--ignore-unknown-columns", help="CSV columns the format does not define: ignore them."
    ),
]


def guarded(command: F) -> F:
    """Map library errors to the contract's exit codes; a bug exits 3 with one line."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nremstats.cli import render

        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:  # the reader stopped (``| head``): as Python's docs advise
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except NremstatsError as exc:
            render.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            if _state["debug"]:
                import traceback

                traceback.print_exc()
            render.error(
                f"internal failure ({type(exc).__name__}: {exc}). This is a bug in nremstats; "
                "run again with --debug for the traceback and report it."
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nremstats {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of failures.")] = False,
) -> None:
    """Consolidate national statistics on trafficking in persons."""
    _state["debug"] = debug


YearOption = Annotated[
    int | None, typer.Option("--year", help="One reference year \\[default: every year].")
]
TableFormatOption = Annotated[TableFormat, typer.Option("--format", help="Output format.")]
